"""`guidedesk`: the composition root. Parses arguments, builds store, sync and UI, connects them.

Sub-commands:
  guidedesk [--lang en]                       open the workbench (the default)
  guidedesk demo [--customers N] [--no-ui [--keep-running]]
                                              embedded HQ with the demo brand, enrol, sync, open
  guidedesk enroll --server URL --code CODE   enrol this terminal (token to the OS keyring)
  guidedesk sync --once                       one sync, non-zero exit on failure
  guidedesk status [--json]                   what IT wants to know
  guidedesk --self-check [--server URL]       ok / problem per check, exit 0 when all ok
  guidedesk --version
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path

from app import __version__

log = logging.getLogger("guidedesk")

DEMO_STORE = "S001"


def _db_file(args: argparse.Namespace) -> Path:
    from app.store import db

    return db.db_path(args.home)


def _open_ui(args: argparse.Namespace, *, guide_id: str | None = None) -> int:
    from app import terminal
    from app.ui.app import UiContext, run

    db_file = _db_file(args)
    enrolled = terminal.is_enrolled(db_file)
    ctx = UiContext(
        db_path=db_file,
        lang=args.lang,
        guide_id=guide_id,
        make_engine=terminal.engine_factory(db_file) if enrolled else None,
        sync_interval_s=args.sync_interval,
        authority=terminal.GuideAuthority() if enrolled else None,
    )
    return run(ctx, [sys.argv[0]])


def cmd_gui(args: argparse.Namespace) -> int:
    from app.store.db import StoreError

    try:
        return _open_ui(args)
    except StoreError as exc:
        # Started from a desktop icon there is no console: the refusal (no keyring, a
        # wiped terminal, a file without its key) is said in a window too.
        _say_in_a_window(str(exc))
        raise


def _say_in_a_window(message: str) -> None:
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    QMessageBox.critical(None, "GuideDesk", message)


def _demo_keyring_for_a_demo_folder(args: argparse.Namespace) -> None:
    """A folder `guidedesk demo` made keeps its secrets in its own demo keyring when the
    machine has no OS keyring (sync/credentials.py DemoFolderKeyring): the window, sync
    and status open it as the demo does. Any other folder: the OS keyring, always."""
    from app.store import db
    from sync import credentials

    credentials.use_demo_keyring_if_needed(db.data_dir(args.home))


def cmd_enroll(args: argparse.Namespace) -> int:
    from app import terminal
    from app.store import db
    from sync import credentials

    if credentials.is_demo_folder(db.data_dir(args.home)):
        raise credentials.CredentialError(
            "这是演示程序的数据文件夹，不能登记为真实终端；请用另一个 --home"
            " (this data folder belongs to `guidedesk demo`; enrol a real terminal in a"
            " folder of its own: --home DIR or GUIDEDESK_HOME)"
        )

    # The keyring is keyring's own choice or the one IT named: never the demo's in-memory
    # one, which would lose the token when this process ends (enroll_terminal checks).
    result = terminal.enroll_terminal(_db_file(args), args.server, args.code, args.name)
    print(f"已登记 enrolled: terminal {result['terminal_id']} for store {result['store_id']}")
    print(f"凭证保存在 token kept in: {credentials.keyring_description()}")
    return 0


def _print_progress(progress) -> None:  # type: ignore[no-untyped-def]
    """Print "pull 4000/25657": a line that moves forward only (the engine keeps the total
    stable, sync/client.py pull), or "pull 4000" while HQ has not said how much there is.
    Scripts and tests read this shape."""
    if progress.total:
        print(f"\r{progress.phase} {progress.done}/{progress.total}", end="", flush=True)
    elif progress.done:
        print(f"\r{progress.phase} {progress.done}", end="", flush=True)


def cmd_sync(args: argparse.Namespace) -> int:
    from app import terminal

    engine = terminal.engine_factory(
        _db_file(args), push_batch=args.push_batch, page_size=args.page_size
    )()
    try:
        report = engine.sync_once(None if args.quiet else _print_progress)
    finally:
        engine.close()
    if not args.quiet:
        print()
    if report.ok:
        print(
            f"同步完成 sync ok: pushed {report.pushed}, pulled {report.pulled}, rejected {report.rejected}"
        )
        return 0
    if report.revoked:
        print(
            "本终端已被总部停用：本机的顾客数据、本地数据密钥和终端凭证已清除。"
            " (this terminal was revoked by HQ: its customer data, cache key and token were"
            " wiped from this machine)",
            file=sys.stderr,
        )
        return 1
    print(f"同步失败 sync failed: {report.error}", file=sys.stderr)
    if report.offline and _is_demo_folder(args):
        print(
            "这是演示程序的数据文件夹，演示总部只在 guidedesk demo 运行时运行：请先在另一个终端"
            "运行 guidedesk demo（或 guidedesk demo --no-ui --keep-running）"
            " (this is the demo's data folder and its HQ runs only while `guidedesk demo`"
            " does: start `guidedesk demo`, or `guidedesk demo --no-ui --keep-running`, in"
            " another terminal, then sync again)",
            file=sys.stderr,
        )
    return 1


def _demo_status(home: Path, server: str | None) -> dict[str, object]:
    """For a demo folder: where its HQ's database is, and whether that HQ answers now."""
    import httpx

    running = False
    if server:
        try:
            running = httpx.get(server + "/healthz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            running = False
    hq_db = (home / "demo-hq" / "hq.sqlite3").resolve()
    return {
        "hq_database": f"sqlite:///{hq_db}",
        "hq_running": running,
        "hq": "running"
        if running
        else "演示总部没有运行：运行 guidedesk demo 启动它 (not running: start `guidedesk demo`)",
    }


def _is_demo_folder(args: argparse.Namespace) -> bool:
    from app.store import db
    from sync import credentials

    return credentials.is_demo_folder(db.data_dir(args.home))


def cmd_status(args: argparse.Namespace) -> int:
    from app import terminal

    report = terminal.status_report(_db_file(args))
    if _is_demo_folder(args):
        report["demo"] = _demo_status(_db_file(args).parent, report.get("server"))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0


def display_problem(env: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why no window can open here, or None. Linux (and the BSDs) need an X11 or Wayland
    display unless Qt is told to draw without one (QT_QPA_PLATFORM offscreen, minimal, or
    a framebuffer); Windows and macOS always have their own."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip()
    if qpa in _HEADLESS_QPA:
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (
        "没有图形显示（DISPLAY 和 WAYLAND_DISPLAY 都没有设置），演示窗口打不开；什么都还没启动。\n"
        "(no display: neither DISPLAY nor WAYLAND_DISPLAY is set, so the demo's window cannot"
        " open; nothing was started.)\n"
        "可以这样运行 / run it one of these ways:\n"
        "  - 在桌面会话里运行 in a desktop session (a terminal window on the desktop)\n"
        "  - xvfb-run guidedesk demo      (a virtual display: apt install xvfb)\n"
        "  - guidedesk demo --no-ui       (set up and sync only, no window)"
    )


_HEADLESS_QPA = frozenset({"offscreen", "minimal", "eglfs", "linuxfb", "vnc", "vkkhrdisplay"})
EXIT_NO_DISPLAY = 3


def _exit_on_termination() -> None:
    """SIGTERM (and SIGHUP: the terminal window closed) end the demo like Ctrl+C does:
    through its ``finally``, which stops and reaps the demo HQ."""

    def end(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, end)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, end)
    # Ctrl+C is KeyboardInterrupt even when started in the background (where a shell sets
    # SIGINT to ignored): `kill -INT` must stop the demo too.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _quit_ui_on_signals() -> object:
    """While the window is open, Ctrl+C / SIGTERM / SIGHUP quit the Qt loop, so the demo's
    ``finally`` still runs. Python handles a signal only between bytecodes, so a timer
    lets the interpreter in a few times a second. Returns the timer (keep it alive)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])

    def end(signum: int, _frame: object) -> None:
        app.exit(128 + signum)

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), end)
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return timer


def _demo_people(db_file: Path) -> tuple[object | None, object | None]:
    """The store's first guide and its manager (as the store has them)."""
    from app.store import db
    from app.store.guides import list_guides

    conn = db.connect(db_file)
    try:
        guides = list_guides(conn)
    finally:
        conn.close()
    plain = next((g for g in guides if not g.is_manager), None)
    manager = next((g for g in guides if g.is_manager), None)
    return plain, manager


def cmd_demo(args: argparse.Namespace) -> int:
    """Embedded HQ with the demo brand, enrolled terminal, first sync, then the app.

    The demo's HQ stops with it however it ends (app/embedded_hq.py); a restart reuses the
    terminal's enrolment and asks for the PIN."""
    if args.keep_running and not args.no_ui:
        print("guidedesk demo: --keep-running goes with --no-ui", file=sys.stderr)
        return 2
    missing = missing_hq_packages()
    if missing and getattr(sys, "frozen", False):  # the terminal build carries no HQ server
        print(
            "guidedesk demo: 终端安装包不含演示用的总部服务器，请在源码安装中运行演示（见 README）"
            " (the terminal build carries no HQ server, so it has no demo: run the demo from a"
            " source install, README's first command)",
            file=sys.stderr,
        )
        return 2
    if missing:  # before any folder or process: the demo's HQ could not start
        print(
            "guidedesk demo: 演示需要总部服务器的软件包，本机没有安装"
            f" (the demo runs an HQ server, and its packages are not installed: {', '.join(missing)}):"
            " pip install 'guidedesk[hq]'"
            " (from a source folder: pip install -c constraints.txt -e '.[hq]')",
            file=sys.stderr,
        )
        return 2
    if not args.no_ui:  # first of all: before any import, folder or process
        problem = display_problem()
        if problem is not None:
            print(f"guidedesk demo: {problem}", file=sys.stderr)
            return EXIT_NO_DISPLAY

    from app import terminal
    from app.domain.demo_brand import DEMO_PIN
    from app.embedded_hq import EmbeddedHQ
    from app.store import db
    from sync import credentials

    _exit_on_termination()
    home = db.data_dir(args.home)
    terminal.claim_demo_folder(home)
    if credentials.use_demo_keyring_if_needed(home):
        print(
            "演示：本机没有系统钥匙串，演示终端的凭证和本地数据密钥以明文保存在演示文件夹的"
            f" {credentials.DEMO_KEYRING_FILE} 中（只用于演示数据）"
            f" (demo: no OS keyring; the demo terminal's token and cache key are kept in"
            f" {home / credentials.DEMO_KEYRING_FILE}, plain text, demo data only)"
        )
    hq = EmbeddedHQ(home / "demo-hq")
    other = hq.already_running()
    if other is not None:
        print(
            f"guidedesk demo: 这个文件夹的演示已在运行（总部进程 {other}）"
            f" (a demo already runs on {home}: its HQ is process {other}; use that one, or"
            " end it first)",
            file=sys.stderr,
        )
        return 1
    db_file = db.db_path(home)
    new_hq = hq.prepare(args.customers)
    if new_hq:
        print(f"演示品牌已生成 demo brand created ({args.customers} customers)")
        terminal.forget_demo_terminal(db_file)  # enrolled with an HQ that is gone
    try:
        url = hq.start(port=args.port)
        print(f"演示总部 demo HQ at {url} (pid {hq.pid})")
        print(
            "演示总部数据库 demo HQ database, for the admin command:"
            f" guidedesk-hq status --db {hq.db_url} --json",
            flush=True,
        )
        if terminal.discard_unreadable_demo_cache(db_file):
            print(
                "演示：上次的演示数据的密钥已不在，已删除并重新建立"
                " (demo: the last demo cache's key is gone; it was removed and is built anew)"
            )
        newly_enrolled = not terminal.is_enrolled(db_file)
        if newly_enrolled:
            terminal.enroll_terminal(db_file, url, hq.enroll_code(DEMO_STORE), "demo terminal")
            print("演示终端已登记 demo terminal enrolled")
        else:
            terminal.point_at_server(db_file, url)
            print("沿用上次登记的演示终端 demo terminal enrolled before: reused")
        engine = terminal.engine_factory(db_file)()
        try:
            report = engine.sync_once(_print_progress)
        finally:
            engine.close()
        print()
        if not report.ok:
            print(f"首次同步失败 first sync failed: {report.error}", file=sys.stderr)
            return 1
        print(f"同步完成 synced: {report.pulled} changes")
        guide, manager = _demo_people(db_file)
        signed_in = terminal.demo_sign_in(db_file, newly_enrolled=newly_enrolled)
        if signed_in and guide is not None:
            print(
                f"演示以导购 {guide.id} {guide.name} 登录 (the demo signs in guide {guide.id});"
                f" 店长 manager: {manager.id if manager else '-'}, PIN {DEMO_PIN}"
            )
        else:
            print(
                f"登录界面：选择导购并输入 PIN {DEMO_PIN} (sign-in screen: choose a guide, PIN"
                f" {DEMO_PIN}; the manager is {manager.id if manager else '-'})"
            )
        if args.no_ui:
            if not args.keep_running:
                return 0
            print(
                "演示总部保持运行，按 Ctrl+C 结束；另开一个终端可运行 guidedesk sync --once"
                " (the demo HQ keeps running until Ctrl+C; in another terminal, guidedesk"
                " sync --once and guidedesk status work on this folder)",
                flush=True,
            )
            assert hq.process is not None
            code = hq.process.wait()
            print(f"演示总部意外退出 the demo HQ exited ({code})", file=sys.stderr)
            return 1
        keep = _quit_ui_on_signals()
        try:
            return _open_ui(args, guide_id=signed_in)
        finally:
            del keep
    finally:
        hq.stop()


def version() -> str:
    """The installed distribution's version; a frozen build has no metadata: the package's."""
    from importlib import metadata

    try:
        return metadata.version("guidedesk")
    except metadata.PackageNotFoundError:
        return __version__


def cmd_self_check(args: argparse.Namespace) -> int:
    from app import selfcheck
    from app.store import db

    return selfcheck.report(selfcheck.run_checks(db.data_dir_path(args.home), args.check_server))


HQ_PACKAGES = ("fastapi", "uvicorn", "sqlalchemy")


def missing_hq_packages() -> list[str]:
    """The HQ server's packages (the `hq` extra) this installation lacks."""
    import importlib.util

    def absent(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is None
        except (ImportError, ValueError):
            return True

    return [name for name in HQ_PACKAGES if absent(name)]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guidedesk", description="GuideDesk 导购工作台")
    parser.add_argument("--version", action="version", version=f"GuideDesk {version()}")
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="check this terminal for IT (data folder, store, keyring, clock, resources)",
    )
    parser.add_argument(
        "--server", dest="check_server", help="with --self-check: also check HQ at this URL"
    )
    parser.add_argument("--home", help="data folder (default: $GUIDEDESK_HOME or the OS's)")
    parser.add_argument("--lang", default="zh_CN", choices=["zh_CN", "en"], help="UI language")
    parser.add_argument("--sync-interval", type=int, default=60, help="seconds between syncs")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.set_defaults(func=cmd_gui)
    sub = parser.add_subparsers(dest="command")

    demo = sub.add_parser("demo", help="run against an embedded HQ with demo data")
    demo.add_argument("--customers", type=int, default=5000)
    demo.add_argument("--port", type=int, default=None)
    demo.add_argument("--no-ui", action="store_true", help="set up and sync, then exit")
    demo.add_argument(
        "--keep-running",
        action="store_true",
        help="with --no-ui: keep the demo HQ running until Ctrl+C (for guidedesk sync/status)",
    )
    demo.set_defaults(func=cmd_demo)

    enroll = sub.add_parser("enroll", help="enrol this terminal with HQ")
    enroll.add_argument("--server", required=True)
    enroll.add_argument("--code", required=True)
    enroll.add_argument("--name", default="")
    enroll.set_defaults(func=cmd_enroll)

    sync = sub.add_parser("sync", help="synchronise with HQ")
    sync.add_argument("--once", action="store_true", required=True)
    sync.add_argument("--quiet", action="store_true")
    sync.add_argument("--push-batch", type=int, default=200, help="mutations per push request")
    sync.add_argument("--page-size", type=int, default=2000, help="changes per pulled page")
    sync.set_defaults(func=cmd_sync)

    status = sub.add_parser("status", help="terminal status")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    from app.embedded_hq import EmbeddedHQError
    from app.store.db import StoreError
    from sync.credentials import CredentialError
    from sync.outcome import SyncError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.check_server and not args.self_check:
        parser.error("--server goes with --self-check (enrol with: guidedesk enroll --server)")
    if args.self_check:
        args.func = cmd_self_check
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        if args.func in (cmd_gui, cmd_sync, cmd_status):
            _demo_keyring_for_a_demo_folder(args)
        return args.func(args)
    except (StoreError, SyncError, CredentialError, EmbeddedHQError) as exc:
        print(f"guidedesk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
