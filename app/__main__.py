"""`guidedesk`: the composition root. Parses arguments, builds store, sync and UI, connects them.

Sub-commands:
  guidedesk [--lang en]                       open the workbench (the default)
  guidedesk demo [--customers N] [--no-ui]    embedded HQ with the demo brand, enrol, sync, open
  guidedesk enroll --server URL --code CODE   enrol this terminal (token to the OS keyring)
  guidedesk sync --once                       one sync, non-zero exit on failure
  guidedesk status [--json]                   what IT wants to know
"""

from __future__ import annotations

import argparse
import json
import logging
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


def cmd_enroll(args: argparse.Namespace) -> int:
    from app import terminal
    from sync import credentials

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
    return 1


def cmd_status(args: argparse.Namespace) -> int:
    from app import terminal

    report = terminal.status_report(_db_file(args))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Embedded HQ with the demo brand, enrolled terminal, first sync, then the app."""
    from app import terminal
    from app.embedded_hq import EmbeddedHQ
    from app.store import db
    from sync import credentials

    if credentials.use_memory_keyring_if_none():
        print(
            "演示：本机没有系统钥匙串，凭证和本地数据密钥只留在本进程内存中，"
            "演示数据下次启动时重新建立，别的进程（如 guidedesk sync）打不开它"
            " (demo: no OS keyring, the token and the cache key are kept in this process's"
            " memory: the next demo starts a new cache, and no other process can open this one)"
        )
    home = db.data_dir(args.home)
    hq = EmbeddedHQ(home / "demo-hq")
    if hq.prepare(args.customers):
        print(f"演示品牌已生成 demo brand created ({args.customers} customers)")
    url = hq.start(port=args.port)
    print(f"演示总部 demo HQ at {url}")
    try:
        db_file = db.db_path(home)
        if terminal.discard_unreadable_demo_cache(db_file):
            print(
                "演示：上次的演示数据以内存中的密钥加密，已无法解密，已删除并重新建立"
                " (demo: the last demo cache was encrypted with a key that lived in that"
                " process's memory; it was removed and is built anew)"
            )
        if terminal.is_enrolled(db_file):
            terminal.point_at_server(db_file, url)
        else:
            terminal.enroll_terminal(db_file, url, hq.enroll_code(DEMO_STORE), "demo terminal")
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
        if args.no_ui:
            return 0
        return _open_ui(args, guide_id=terminal.first_guide(db_file))
    finally:
        hq.stop()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guidedesk", description="GuideDesk 导购工作台")
    parser.add_argument("--version", action="version", version=f"GuideDesk {__version__}")
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

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        return args.func(args)
    except (StoreError, SyncError, CredentialError, EmbeddedHQError) as exc:
        print(f"guidedesk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
