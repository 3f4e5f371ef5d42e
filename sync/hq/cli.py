"""``guidedesk-hq``: HQ operations' admin command (总部运营 and IT).

One sub-command, one function. Each exits 0 on success and 1 on a known failure with a
one-line message on stderr; ``--json`` prints what scripts read. Every command takes
``--db URL`` (or ``GUIDEDESK_HQ_DB``); the default is an SQLite file in the user's data
folder, which is all a small brand or the demo needs.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sync.hq import content as hq_content
from sync.hq import importers, members, tasks
from sync.hq.app import DB_ENV
from sync.hq.storage import HQStorage, StorageError, iso

PROG = "guidedesk-hq"
_DEMO_MARKER = "demo_brand"


def _plain(text: str) -> str:
    """Help text for a terminal: reST literals (``x``) read as x."""
    return text.replace("``", "")


class CommandError(Exception):
    """A known failure of a command, said in one line."""


def default_db_url() -> str:
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('GuideDesk-HQ', appauthor=False)) / 'hq.sqlite3'}"


def _db_url(args: argparse.Namespace) -> str:
    return args.db or os.environ.get(DB_ENV) or default_db_url()


@contextmanager
def _storage(args: argparse.Namespace, *, initialised: bool = True) -> Iterator[HQStorage]:
    storage = HQStorage(_db_url(args))
    try:
        if initialised:
            storage.require_schema()
        yield storage
    finally:
        storage.close()


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


# -- commands ----------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    with _storage(args, initialised=False) as storage:
        version = storage.migrate()
    print(f"HQ database ready (schema version {version})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from sync.hq.app import create_app

    db_url = _db_url(args)
    with _storage(args, initialised=False) as storage:
        storage.migrate()  # once, before any worker starts
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": "info",
        "access_log": args.access_log,
        # Without --proxy-headers the client address is the connection's own: a header
        # cannot choose whose enrolment rate limit it counts against.
        "proxy_headers": args.proxy_headers,
        "forwarded_allow_ips": args.forwarded_allow_ips,
    }
    if args.workers > 1:
        # Worker processes build their own app: pass an import string and the URL by env.
        os.environ[DB_ENV] = db_url
        uvicorn.run(
            "sync.hq.app:create_app_from_env", factory=True, workers=args.workers, **options
        )
    else:
        uvicorn.run(create_app(db_url), **options)
    return 0


def cmd_add_store(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        storage.add_store(args.code, args.name, args.city, args.timezone)
    print(f"store {args.code} saved")
    return 0


def cmd_add_guide(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        storage.add_guide(
            args.code, args.name, store_id=args.store, is_manager=args.manager, pin=args.pin
        )
    print(f"guide {args.code} saved")
    return 0


def _import(args: argparse.Namespace, run: Callable[..., importers.ImportReport]) -> int:
    """Refused lines and warnings on stderr, the counts (or --json) on stdout; exit 1 when
    a line was refused (the good lines are in all the same), 0 otherwise."""
    with _storage(args) as storage:
        report = run(storage, Path(args.file))
    for problem in [*report.refused, *report.warnings]:
        print(problem, file=sys.stderr)
    if args.json:
        _print_json(report.as_dict())
    else:
        print(report.summary())
    return 1 if report.refused else 0


def cmd_import_customers(args: argparse.Namespace) -> int:
    return _import(args, importers.import_customers)


def cmd_import_purchases(args: argparse.Namespace) -> int:
    return _import(args, importers.import_purchases)


def cmd_show_customer(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        card = members.customer_card(storage, args.customer_id, reveal=args.reveal)
        if card is None:
            raise CommandError(f"customer {args.customer_id} does not exist")
        if args.reveal and card["phone"]:
            members.record_reveal(storage, args.customer_id, _operator())
    if args.json:
        _print_json(card)
        return 0
    guide = card["guide"]
    sizes = ", ".join(f"{k} {v}" for k, v in card["sizes"].items())
    rows = [
        ("customer", f"{card['id']}  {card['name']}"),
        ("phone", card["phone"] or "-"),
        ("gender", card["gender"] or "-"),
        ("birthday", card["birthday"] or "-"),
        ("store", f"{card['store']['id']}  {card['store']['name'] or '?'}"),
        (
            "guide",
            f"{guide['id']}  {guide['name']}{'' if guide['active'] else ' (has left)'}"
            if guide
            else "- (no guide)",
        ),
        ("tier", card["tier"]),
        ("points", f"{card['points']:,}"),
        ("tags", " | ".join(card["tags"]) or "-"),
        ("sizes", sizes or "-"),
        ("joined_at", card["joined_at"] or "-"),
        ("counts", ", ".join(f"{v} {k}" for k, v in card["counts"].items())),
    ]
    for label, value in rows:
        print(f"{label:<10} {value}")
    print("owners")
    for owner in card["owners"]:
        print(
            f"  {owner['since']} .. {owner['until'] or 'now':<20}  {owner['guide_id'] or '-'}"
            f" {owner['guide'] or ''}  {owner['store_id']} {owner['store'] or ''}".rstrip()
        )
    return 0


def _operator() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def cmd_enroll_code(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        code = storage.create_enroll_code(args.store, hours=args.hours)
    print(code)  # alone on stdout: scripts and the demo read it
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        started = time.perf_counter()
        counts = load_demo(storage, customers=args.customers, seed=args.seed)
        seconds = time.perf_counter() - started
    if counts is None:
        print("demo data is already loaded")
    else:
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        print(f"demo brand loaded in {seconds:.1f} s: {summary}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        if args.store:
            stores, _ = storage.stores_and_guides()
            if args.store not in stores:
                raise CommandError(f"store {args.store} does not exist")
        meta = storage.meta()
        status = {
            "database": storage.engine.url.render_as_string(hide_password=True),
            "schema_version": int(meta.get("schema_version", 0)),
            "store": args.store,
            "counts": storage.counts(args.store),
            "head": storage.head_cursor(args.store) if args.store else None,
            "horizon": meta.get("horizon") or None,
            "compacted_at": meta.get("compacted_at"),
            "demo": json.loads(meta[_DEMO_MARKER]) if _DEMO_MARKER in meta else None,
        }
    if args.json:
        _print_json(status)
    else:
        print(f"database  {status['database']} (schema {status['schema_version']})")
        if args.store:
            print(f"store     {args.store}")
        for name, count in status["counts"].items():
            print(f"{name:<17} {count:>10}")
    return 0


def _print_handover(report: Any, *, verb: str) -> None:
    heirs = report.per_heir()
    moved = len(report.moved)
    unchanged = len(report.results) - moved
    print(
        f"{verb}: {moved} customer(s) moved from {report.from_guide} ({report.reason})"
        + (f", {unchanged} already with their guide" if unchanged else "")
    )
    for heir, counts in heirs.items():
        tiers = ", ".join(f"{counts[t]} {t}" for t in ("head", "waist", "regular") if t in counts)
        print(
            f"  -> {heir}: {counts['total']} customer(s) ({tiers});"
            f" handover task {report.tasks.get(heir, '-')}"
        )


def cmd_move_customers(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        report = storage.move_customers(
            args.from_guide,
            args.to_guide,
            args.customer or None,
            reason=args.reason,
            actor=_operator(),
        )
    if args.json:
        _print_json(report.as_dict())
    elif not report.results:
        print(f"guide {args.from_guide} has no customers: nothing moved")
    else:
        _print_handover(report, verb="moved")
    return 0


def cmd_depart(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        report = storage.depart(
            args.guide_id, args.to, split_by_tier=args.split_by_tier, actor=_operator()
        )
    if args.json:
        _print_json(report.as_dict())
        return 0
    state = "deactivated" if report.deactivated else "was already inactive"
    print(
        f"guide {args.guide_id} {state}: their sign-in is refused at HQ now and leaves"
        " every terminal of their store at its next sync"
    )
    if report.results:
        _print_handover(report, verb="departure")
    else:
        print("no customers to hand over")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from sync.hq import audit

    with _storage(args) as storage, storage.read() as conn:
        found = audit.entries(
            conn, customer_id=args.customer, guide_id=args.guide, action=args.action
        )
    if args.json:
        _print_json([e.as_dict() for e in found])
        return 0
    if not found:
        print("no audit entries")
        return 0
    for e in found:
        who = e.actor or (f"terminal {e.terminal_id}" if e.terminal_id else "-")
        if e.action == "move":
            what = f"{e.customer_id}  {e.from_guide or '-'} -> {e.to_guide or '-'}"
        elif e.action == "depart":
            heirs = e.details.get("heirs") or {}
            what = f"{e.guide_id}  -> " + ", ".join(f"{h} ({n})" for h, n in heirs.items())
        else:
            what = " ".join(x for x in (e.customer_id, e.guide_id) if x)
        reason = f"  [{e.reason}]" if e.reason else ""
        print(f"{e.at}  {e.action:<12} {what}{reason}  by {who}")
    return 0


def cmd_move_customer(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        result = storage.move_customer(args.customer_id, args.guide, actor=_operator())
    if not result.moved:
        print(f"customer {args.customer_id} already belongs to {args.guide}")
    else:
        print(
            f"customer {result.customer_id}: {result.from_guide or '-'} ({result.from_store})"
            f" -> {result.to_guide} ({result.to_store}); handover task {result.task_id}"
        )
    return 0


def cmd_depart_guide(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        results = storage.depart(args.guide_id, [args.to], actor=_operator()).results
    print(f"guide {args.guide_id} deactivated; {len(results)} customer(s) handed to {args.to}")
    return 0


def _read_pin(args: argparse.Namespace) -> str:
    """--pin, or one line from stdin (not echoed on a terminal): a PIN on the command line
    stays in the shell's history and in ps."""
    if args.pin is not None:
        return args.pin
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("new PIN: ")
    return sys.stdin.readline().strip()


def cmd_set_pin(args: argparse.Namespace) -> int:
    pin = _read_pin(args)
    with _storage(args) as storage:
        storage.set_pin(args.guide_id, pin, must_change=args.must_change, actor=_operator())
    after = " (to be changed at the next sign-in)" if args.must_change else ""
    print(f"PIN of guide {args.guide_id} set{after}; wrong PINs forgotten, lock lifted")
    return 0


def cmd_unlock_guide(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        was_locked = storage.unlock_guide(args.guide_id, actor=_operator())
    print(f"guide {args.guide_id} " + ("unlocked" if was_locked else "was not locked"))
    return 0


def cmd_pin_status(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        state = storage.pin_state(args.guide_id)
    if args.json:
        _print_json(state)
    else:
        locked = f"locked since {state['locked_at']}" if state["locked_at"] else "not locked"
        print(
            f"guide {state['guide_id']}: {locked}; {state['failures']} wrong PIN(s) in a row"
            + ("; must change PIN" if state["must_change_pin"] else "")
        )
    return 0


def cmd_set_idle_lock(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        storage.set_idle_lock(args.seconds)
    print(f"terminals lock after {args.seconds} s idle (from their next sync)")
    return 0


def cmd_set_token_days(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        storage.set_token_days(args.days)
    print(f"terminal tokens issued from now on live {args.days} days")
    return 0


def cmd_revoke_terminal(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        storage.revoke_terminal(args.terminal_id)
    print(f"terminal {args.terminal_id} revoked: it wipes its data on its next contact")
    return 0


def cmd_list_terminals(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        rows = storage.list_terminals()
    if args.json:
        _print_json(rows)
        return 0
    for row in rows:
        state = "revoked" if row["revoked_at"] else "active"
        print(
            f"{row['id']}  {row['store_id']}  {state:<7}  last seen {row['last_seen_at'] or '-'}"
            f"  {row['name']}"
        )
    if not rows:
        print("no terminals enrolled")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        report = storage.compact(older_than_days=args.older_than_days)
    if args.json:
        _print_json({"horizon": report.horizon, "removed": report.removed})
    else:
        print(f"removed {report.removed} change row(s); horizon {report.horizon or '-'}")
    return 0


def _read_task_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise CommandError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        return _yaml(path, text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{path}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc


def _yaml(path: Path, text: str) -> Any:
    """A task or content file written as YAML (``.yaml`` / ``.yml``): safe loading only, and
    dates kept as the text they were written as (the contract's dates are ISO text)."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    # 2026-12-01 stays '2026-12-01' (YAML would make a date object of it).
    _Loader.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
    )
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CommandError(f"{path}: not valid YAML: {where}{problem}") from exc


def cmd_publish_task(args: argparse.Namespace) -> int:
    raw = _read_task_file(Path(args.file))
    spec = tasks.parse_task_file(raw)  # the whole file is checked before HQ is opened
    with _storage(args) as storage:
        result = storage.publish_task(spec)
    if args.json:
        _print_json(result.as_dict())
        return 0
    verb = "published" if result.created else "updated"
    print(
        f"task {result.campaign_id} {verb}: {len(result.stores)} store(s), {result.targets} target(s)"
    )
    for store_id, s in result.stores.items():
        kept = f", {s.kept} kept (already worked)" if s.kept else ""
        kept += f", {s.opted_out} left out (opted out of marketing)" if s.opted_out else ""
        print(
            f"  {store_id}  {s.task_id}  {s.status:<9} {s.targets:>7} target(s)"
            f"  +{s.added} -{s.removed}{kept}"
        )
    return 0


def cmd_publish_content(args: argparse.Namespace) -> int:
    path = Path(args.file)
    raw = _read_task_file(path)
    # The whole file (pictures included) is checked before HQ is opened; then one transaction.
    pieces = hq_content.parse_content_file(raw, path.parent)
    with _storage(args) as storage:
        result = storage.publish_content(pieces)
    if args.json:
        _print_json(result.as_dict())
        return 0
    for cid in result.created:
        print(f"content {cid} published")
    for cid in result.updated:
        print(f"content {cid} updated")
    print(f"{len(pieces)} piece(s), {result.pictures} picture(s)")
    return 0


def cmd_set_contact_cap(args: argparse.Namespace) -> int:
    """Contact cap (issue 11): at most N outreaches per customer in --days days."""
    from sync.hq.mutations.shares import set_contact_cap

    value = args.cap.strip().lower()
    if value in ("0", "none", "off"):
        cap = None
    elif value.isdigit():
        cap = int(value)
    else:
        raise CommandError(f"contact cap {args.cap!r}: a number, or 0 / none to clear")
    with _storage(args) as storage:
        try:
            ids = set_contact_cap(storage, cap, args.days, args.store)
        except ValueError as error:
            raise CommandError(str(error)) from None
    if not ids:
        raise CommandError(f"store {args.store} does not exist")
    shown = "no cap" if cap is None else f"{cap} per {args.days} days"
    print(f"contact cap {shown}: {', '.join(ids)} (terminals get it at their next sync)")
    return 0


def cmd_retire_content(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        retired = storage.retire_content(args.content_id)
    state = "retired" if retired else "was already retired"
    print(f"content {args.content_id} {state} (terminals hide it at their next sync)")
    return 0


def cmd_tips(args: argparse.Namespace) -> int:
    """Peer tips (无师自通): list them; pin / unpin / hide / unhide one (terminals see it
    at their next pull: hidden tips leave them, pinned ones come first)."""
    from sync.hq import tips as hq_tips

    with _storage(args) as storage:
        if args.action == "list":
            rows = hq_tips.list_tips(storage, store=args.store)
            if args.format == "json":
                _print_json(rows)
            elif not rows:
                print("no tips")
            for t in rows if args.format == "table" else ():
                flags = ("📌 " if t["pinned"] else "") + ("(hidden) " if t["hidden"] else "")
                text = t["body"].replace("\n", " ")[:40]
                who = f"{t['id']}  {t['store_id']}  {t['audience']}  {t['guide_name']}"
                print(f"{who}  {flags}{text}")
            return 0
        if args.tip_id is None:
            raise CommandError(f"tips {args.action} needs a tip ID")
        flag, value = {
            "pin": ("pinned", True),
            "unpin": ("pinned", False),
            "hide": ("hidden", True),
            "unhide": ("hidden", False),
        }[args.action]
        changed = hq_tips.set_flag(storage, args.tip_id, flag, value)
    state = "done" if changed else "nothing to change"
    print(f"tip {args.tip_id}: {args.action} {state} (terminals see it at their next sync)")
    return 0


def cmd_cancel_task(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        cancelled = storage.cancel_task(args.task_id)
    if cancelled:
        print(f"task {args.task_id} cancelled: {', '.join(cancelled)} (targets kept)")
    else:
        print(f"task {args.task_id} was already cancelled")
    return 0


_REPORT_HEADINGS = {
    "task_id": "task",
    "store_id": "store",
    "guide_id": "guide",
    "guide_name": "name",
    "targets": "targets",
    "done": "done",
    "open": "open",
    "overdue": "overdue",
    "approved": "approved",
    "rejected": "rejected",
}


def _width(text: str) -> int:
    """Columns a text takes in a terminal: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


_CONTENT_HEADINGS = {
    "content_id": "content",
    "title": "title",
    "kind": "kind",
    "campaign": "campaign",
    "status": "status",
    "shares": "shares",
    "customers": "customers",
    "guides": "guides",
    "over_cap": "over_cap",
    "purchases": "purchases",
    "purchase_cents": "amount_cents",
}


def _report_content(args: argparse.Namespace) -> int:
    with _storage(args) as storage:
        rows = storage.content_report(campaign=args.campaign, window_days=args.window_days)
    columns = hq_content.REPORT_COLUMNS
    if args.format == "json":
        _print_json(rows)
        return 0
    if args.format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row[c] is None else row[c] for c in columns])
        sys.stdout.flush()
        sys.stdout.buffer.write(("\ufeff" + out.getvalue()).encode("utf-8"))
        sys.stdout.buffer.flush()
        return 0
    if not rows:
        print("no content")
        return 0
    numbers = ("shares", "customers", "guides", "over_cap", "purchases", "purchase_cents")
    heads = _CONTENT_HEADINGS
    cells = [{k: "-" if row[k] is None else str(row[k]) for k in heads} for row in rows]
    widths = {k: max(_width(h), *(_width(c[k]) for c in cells)) for k, h in heads.items()}
    print("  ".join(_pad(h, widths[k], right=k in numbers) for k, h in heads.items()).rstrip())
    for c in cells:
        print("  ".join(_pad(c[k], widths[k], right=k in numbers) for k in heads).rstrip())
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    if args.subject == "content":
        return _report_content(args)
    with _storage(args) as storage:
        rows = storage.task_report(task=args.task, store=args.store)
    if args.format == "json":
        _print_json(rows)
        return 0
    if args.format == "csv":
        # Excel in China opens UTF-8 CSV correctly only with a BOM; CRLF line ends.
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(tasks.REPORT_COLUMNS)
        for row in rows:
            writer.writerow(["" if row[c] is None else row[c] for c in tasks.REPORT_COLUMNS])
        sys.stdout.flush()
        sys.stdout.buffer.write(("\ufeff" + out.getvalue()).encode("utf-8"))
        sys.stdout.buffer.flush()
        return 0
    if not rows:
        print("no tasks")
        return 0
    numbers = ("targets", "done", "open", "overdue", "approved", "rejected")
    cells = [{k: "-" if row[k] is None else str(row[k]) for k in _REPORT_HEADINGS} for row in rows]
    widths = {
        k: max(_width(h), *(_width(c[k]) for c in cells)) for k, h in _REPORT_HEADINGS.items()
    }
    print(
        "  ".join(
            _pad(h, widths[k], right=k in numbers) for k, h in _REPORT_HEADINGS.items()
        ).rstrip()
    )
    for c in cells:
        print(
            "  ".join(_pad(c[k], widths[k], right=k in numbers) for k in _REPORT_HEADINGS).rstrip()
        )
    return 0


# -- the demo brand ----------------------------------------------------------------------

_DEMO_CONTENT = (
    ("brand", "copy", "秋冬新品｜羊绒系列到店", "今年的羊绒系列到店啦，柔软亲肤，欢迎来店试穿。"),
    ("brand", "outfit", "通勤穿搭：西装外套 + 针织连衣裙", "一件外套三种穿法，周末来店帮您搭配。"),
    ("brand", "copy", "品牌故事：一件大衣的诞生", "从面料到版型，我们为一件大衣打磨了十八个月。"),
    ("service", "tip", "羊毛大衣的保养方法", "挂在宽肩衣架上，避免暴晒；起球请用专用去球器。"),
    ("service", "copy", "会员服务：免费修改裤长", "会员购买裤装可免费修改裤长，三天内取件。"),
    ("selling", "copy", "会员日 9 折", "本周六会员日，全场正价商品 9 折，积分双倍。"),
)


_DEMO_OPT_OUT = (
    "顾客说不要再发活动消息",
    "只想收到订单和售后通知",
    "微信里说消息太多，先不发了",
)


def demo_records(brand: Any) -> dict[str, Any]:
    """The demo brand as wire records, the keyword arguments of ``HQStorage.load_brand``
    (customers and purchases as iterators: 200,000 customers never sit in memory)."""
    from app.domain.customers import to_record
    from sync.hq.auth import pin_verifier

    verifiers: dict[str, str] = {}  # argon2 takes ~0.1 s: every demo guide shares one PIN

    def guide_record(guide: Any) -> dict[str, Any]:
        pin = guide.pin
        if pin and pin not in verifiers:
            # DEMO_PIN meets the PIN rule: the demo guides sign in without a forced change.
            verifiers[pin] = pin_verifier(pin)
        return {
            "id": guide.id,
            "store_id": guide.store_id,
            "name": guide.name,
            "is_manager": guide.is_manager,
            "active": True,
            "pin_verifier": verifiers.get(pin) if pin else None,
        }

    def customer_records() -> Iterator[dict[str, Any]]:
        for n, c in enumerate(brand.iter_customers()):
            # About one customer in 25 asked for no marketing (the share dialog shows why).
            opted_out = n % 25 == 3
            yield {
                "id": c.id,
                "store_id": c.store_id,
                "guide_id": c.guide_id,
                "name": c.name,
                "phone": c.phone,
                "gender": c.gender,
                "birthday": c.birthday,
                "tier": c.tier.value,
                "points": c.points,
                "tags": list(c.tags),
                "sizes": c.sizes,
                "preferences": c.preferences,
                "note": c.note,
                "joined_at": c.joined_at,
                "marketing_opt_out": opted_out,
                "opt_out_reason": _DEMO_OPT_OUT[n % len(_DEMO_OPT_OUT)] if opted_out else "",
            }

    def purchase_records() -> Iterator[dict[str, Any]]:
        for p in brand.iter_purchases():
            yield {
                "id": p.id,
                "customer_id": p.customer_id,
                "store_id": p.store_id,
                "guide_id": p.guide_id,
                "paid_at": p.paid_at,
                "amount_cents": p.amount_cents,
                "items": [
                    {"sku": i.sku, "qty": i.qty, "price_cents": i.price_cents} for i in p.items
                ],
            }

    published = iso(datetime.combine(brand.today, datetime.min.time(), tzinfo=UTC))
    content = [
        {
            "id": f"CT{n:03d}",
            "kind": kind,
            "title": title,
            "body": body,
            "images": [],
            "skus": [brand.products[(n * 17) % len(brand.products)].sku] if brand.products else [],
            "category_631": category,
            "published_at": published,
            "expires_at": None,
        }
        for n, (category, kind, title, body) in enumerate(_DEMO_CONTENT, 1)
    ]
    return {
        # Every demo store caps outreach at 4 contacts per customer in 30 days.
        "stores_": [
            {**to_record(s), "contact_cap": 4, "contact_cap_days": 30} for s in brand.stores
        ],
        "guides_": [guide_record(g) for g in brand.guides],
        "products_": [{**to_record(p), "image": None} for p in brand.products],
        "customers_": customer_records(),
        "purchases_": purchase_records(),
        "followups_": (
            {**to_record(f), "channel": f.channel.value} for f in brand.iter_followups()
        ),
        "content_": content,
    }


def load_demo(
    storage: HQStorage, *, customers: int, seed: int = 20261122, today: date | None = None
) -> dict[str, int] | None:
    """Load the demo brand into an empty HQ (None if it is loaded already)."""
    from app.domain.demo_brand import generate_brand

    if _DEMO_MARKER in storage.meta():
        return None
    brand = generate_brand(customers, seed=seed, today=today or datetime.now(UTC).date())
    counts = storage.load_brand(
        **demo_records(brand),
        meta={_DEMO_MARKER: json.dumps({"customers": customers, "seed": seed})},
    )
    from sync.hq.demo_content import demo_content  # the library with its pictures

    library = demo_content(brand.today, [p.sku for p in brand.products])
    counts["content_published"] = len(storage.publish_content(library).created)
    for campaign in demo_campaigns(brand.today):
        storage.publish_task(campaign)
    counts["campaigns"] = len(demo_campaigns(brand.today))
    from sync.hq.tips import load_demo_tips

    counts["tips"] = load_demo_tips(storage, brand.guides, now=storage.now())
    return counts


def demo_campaigns(today: date) -> list[dict[str, Any]]:
    """A few HQ campaigns running today, so the demo's Tasks page has work on it: this
    month's birthdays, frequent buyers slipping away, new customers' first weeks, and a
    campaign to share with the customers who like new arrivals."""
    day = lambda n: (today + timedelta(days=n)).isoformat()  # noqa: E731
    common = {"starts_on": day(-3), "content": [], "evidence": "none", "review": False}
    return [
        {
            **common,
            "id": "DEMO-BDAY",
            "title": "本月生日问候",
            "kind": "birthday",
            "instructions": "生日前一周发祝福，并提醒到店领取生日礼。",
            "due_on": day(27),
            "targets": {"birthday_within_days": 30},
        },
        {
            **common,
            "id": "DEMO-WINBACK",
            "title": "老客回访：流失预警",
            "kind": "win_back",
            "instructions": "常买的老顾客快四个月没来了：电话或微信问候，邀请来看新品。",
            "due_on": day(11),
            "targets": {"stages": ["at_risk"]},
            "evidence": "note",
            "review": True,
        },
        {
            **common,
            "id": "DEMO-NEW",
            "title": "新客两周回访",
            "kind": "new_customer",
            "instructions": "首购后两周内回访：穿着是否合适，需要改衣或换码吗？",
            "due_on": day(4),
            "targets": {"stages": ["new"]},
            "review": True,
        },
        {
            **common,
            "id": "DEMO-SHARE",
            "title": "转发冬季新品",
            "kind": "content_share",
            "instructions": "把冬季新品图文发给喜欢新品的顾客，附上试穿邀请。",
            "due_on": day(14),
            "targets": {"tag_groups": [["新品控"]]},
            "content": ["CT001", "CT-WINTER26-01"],
            "evidence": "picture",
            "review": True,
        },
    ]


def prepare_demo(db_url: str, customers: int = 2_000, *, seed: int = 20261122) -> None:
    """A ready demo HQ at ``db_url``: schema plus the demo brand (idempotent)."""
    with HQStorage(db_url) as storage:
        storage.migrate()
        load_demo(storage, customers=customers, seed=seed)


# -- argument parsing --------------------------------------------------------------------

_im = importers
CUSTOMERS_HELP = f"""\
Columns (a header line names them, in any order; other columns are ignored):
  customer_id  1-64 characters, no spaces or ':'; the key (a re-import updates)
  name         required, at most {_im.MAX_NAME} characters
  phone        a mainland mobile number, 11 digits (+86, spaces and dashes allowed)
  gender       男/女/M/F or empty
  birthday     YYYY-MM-DD (or / or .), not after today
  store        a store code HQ has (add-store)
  guide        a guide code of that store, active, or empty
  tier         头部/腰部/普通 (head/waist/regular) or empty for regular
  points       whole number 0-{_im.MAX_POINTS:,} or empty for 0
  tags         separated by |, each at most {_im.MAX_TAG} characters, at most {_im.MAX_TAGS}; added to the
               member's tags (a guide's tags are kept)
  joined_at    YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS], China time unless a zone
               (Z, +08:00) is given
A phone already held by another member (in the file or at HQ) imports with a warning
naming both ids. When an id appears twice, the later line wins (with a warning).
"""

PURCHASES_HELP = f"""\
Columns (a header line names them, in any order; other columns are ignored):
  order_id     1-64 characters, no spaces or ':'; the key (a re-import updates)
  customer_id  a member HQ has (import the members first)
  store        a store code HQ has
  guide        a guide code HQ has, or empty
  paid_at      YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS], China time unless a zone is given
  amount       yuan, at most 2 decimals, 0-{_im.MAX_AMOUNT_CENTS // 100:,}, an optional ¥ in front
               (1299, 1,299.00, ¥99.5)
  items        SKU*quantity separated by |, quantity 1-{_im.MAX_QTY} (SKU alone: 1)
"""

CSV_HELP = f"""
Encoding: decided once for the whole file. A UTF-8 BOM (Excel's "CSV UTF-8") or a
file that is all valid UTF-8 is UTF-8. Otherwise the lines with non-ASCII text vote:
UTF-8 if at least half of them are valid UTF-8, else GB18030 (Excel's plain "CSV" in
China; it covers GBK and GB2312). A line that does not decode in the file's encoding
is refused with its number and never makes the file be read another way; in a GB18030
file a line that reads as UTF-8 Chinese is refused too (it would import as mojibake).
UTF-16 ("Unicode text") files are refused.

Refused lines (each reported as "line N: reason"; the other lines are imported):
numbers that are not ASCII digits 0-9 (full-width １２, superscript ², 1e30), negative
or out of range; dates that do not exist or fall outside {_im.YEARS[0]}-{_im.YEARS[1]}; text with control
characters (NUL, tab, newline), bidi overrides, a BOM (two files joined) or U+FFFD;
unknown stores or guides; more fields than the header; the header line repeated.

Output: refused lines and warnings on stderr, then one line of counts on stdout
(imported, updated, unchanged, refused, warnings, the encoding), or --json.
Exit status: 0 when no line was refused (warnings allowed); 1 when some lines were
refused (the good lines are imported all the same) or the file cannot be read at all
(nothing imported; one-line message).
"""


TASK_FILE_HELP = """\
A task file (JSON, UTF-8):
  {"id": "T-2026-12-BDAY", "title": "十二月生日问候", "kind": "birthday",
   "instructions": "生日前一周发祝福并提醒生日礼", "starts_on": "2026-12-01", "due_on": "2026-12-31",
   "targets": {"stores": ["S001"], "guides": [], "stages": [], "tiers": [],
               "tag_groups": [["VIP", "新品控"], ["亲子"]], "birthday_within_days": 30,
               "days_since_purchase": {"min": 90, "max": 180}, "customers": []},
   "content": [], "evidence": "none", "review": true}
kind: birthday, win_back, new_customer, content_share, handover_intro, custom
evidence: none, note, picture;  review: whether the store manager approves each completion
targets: every condition given must hold; tags inside a group OR, groups AND; explicit
customers are added. stages: prospect new mature at_risk dormant; tiers: head waist regular.
HQ makes one task per store ("ID@STORE") and one target per selected customer (their
guide). Publishing the same id again updates it: new customers are added, customers no
longer selected are removed while their target is still open. A bad file is refused
with the field and the reason (exit 1) and nothing is written.
"""


MOVE_HELP = """\
Every customer moves with the whole history (purchases, follow-ups and notes, tags,
sizes, preferences, shares, open tasks and appointments) in one transaction. The new
owner gets a handover-introduction task with a suggested first message, and each
customer's profile on their terminal says "inherited from X on DATE" with a brief
(last conversation, open tasks and appointments, preferences, days since last contact).
A customer named with --customer who is not --from's is refused and nothing is moved.
Edits --from typed offline before the move still land, attributed to them. Every move
is in the audit log (guidedesk-hq audit).
"""

DEPART_HELP = """\
The guide is deactivated at once: HQ refuses their sign-in and anything they type from
now on (edits made before still land, attributed to them); the sign-in list of every
terminal of their store drops them at its next sync. Their customers go to the heirs as
move-customers does (reason departure): with one heir all of them; with several, dealt
out round-robin by customer id, or with --split-by-tier each tier in turn (head, waist,
regular) so every heir gets a fair share of each. Each heir gets one handover task.
"""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="URL",
        help=f"sqlite:///ABS/PATH or postgresql://… (default: ${DB_ENV} or a file in the"
        " user's data folder)",
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_plain(__doc__.splitlines()[0]),
        epilog="Every command takes --db URL after its name, e.g. guidedesk-hq status --db"
        " sqlite:////path/to/hq.sqlite3 --json (or set $" + DB_ENV + ").",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, func: Callable[[argparse.Namespace], int], help_: str, epilog: str = ""
    ) -> Any:
        p = sub.add_parser(
            name,
            parents=[common],
            help=_plain(help_),
            description=_plain(help_),
            epilog=epilog or None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        return p

    command("init", cmd_init, "create or upgrade the HQ database")
    p = command("serve", cmd_serve, "run the HQ server (HTTP)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL)")
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.add_argument(
        "--proxy-headers",
        action="store_true",
        help="behind a reverse proxy: take the client address from X-Forwarded-For (rate"
        " limits are per client address), trusted only from --forwarded-allow-ips",
    )
    p.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="the proxy's addresses, comma-separated (default 127.0.0.1)",
    )
    p = command("add-store", cmd_add_store, "add or rename a store")
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--city", default="")
    p.add_argument(
        "--timezone",
        default=None,
        metavar="ZONE",
        help="the store's time zone, e.g. Asia/Urumqi (default Asia/Shanghai): its today",
    )
    p = command("add-guide", cmd_add_guide, "add or update a guide (导购)")
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--store", required=True, metavar="CODE")
    p.add_argument("--manager", action="store_true", help="the store manager (店长)")
    p.add_argument(
        "--pin",
        help="sign-in PIN, 6–12 digits, not one digit repeated nor a run such as 123456"
        " (stored only as an argon2 hash)",
    )
    for name, func, what, epilog in (
        (
            "import-customers",
            cmd_import_customers,
            "import members from a CRM CSV file",
            CUSTOMERS_HELP + CSV_HELP,
        ),
        (
            "import-purchases",
            cmd_import_purchases,
            "import orders from a CRM CSV file",
            PURCHASES_HELP + CSV_HELP,
        ),
    ):
        p = command(name, func, what, epilog)
        p.add_argument("file", metavar="FILE.csv")
        p.add_argument(
            "--json",
            action="store_true",
            help="print encoding, imported, updated, unchanged, refused and warnings"
            " (with line numbers) as JSON",
        )
    p = command(
        "show-customer",
        cmd_show_customer,
        "one member as HQ holds it: owner, tier, points, tags, counts, ownership history",
        "The phone shows masked (138****5678); --reveal shows it in full and leaves a\n"
        "reveal_phone row in HQ's audit log, as a guide's reveal at a terminal does.\n"
        "Exit status: 0, or 1 with a one-line message when the id is unknown.",
    )
    p.add_argument("customer_id", metavar="ID")
    p.add_argument("--reveal", action="store_true", help="show the phone in full (audited)")
    p.add_argument("--json", action="store_true")
    p = command("enroll-code", cmd_enroll_code, "print a one-time code to enrol a terminal")
    p.add_argument("--store", required=True, metavar="CODE")
    p.add_argument("--hours", type=float, default=24, help="validity (default 24)")
    p = command("demo-data", cmd_demo_data, "load the demo brand into an empty HQ")
    p.add_argument("--customers", type=int, default=2_000)
    p.add_argument("--seed", type=int, default=20261122)
    p = command("status", cmd_status, "counts, brand-wide or for one store")
    p.add_argument("--store", metavar="CODE")
    p.add_argument("--json", action="store_true")
    p = command(
        "move-customers",
        cmd_move_customers,
        "give a guide's customers to another guide (在职转接), with their whole history",
        MOVE_HELP,
    )
    p.add_argument("--from", dest="from_guide", required=True, metavar="GUIDE")
    p.add_argument("--to", dest="to_guide", required=True, metavar="GUIDE")
    p.add_argument(
        "--customer",
        action="append",
        metavar="ID",
        help="only this customer (repeat for more); default: all of --from's customers",
    )
    p.add_argument(
        "--reason", choices=["departure", "transfer"], default="transfer", help="(default transfer)"
    )
    p.add_argument("--json", action="store_true", help="print the moves and tasks as JSON")
    p = command(
        "depart",
        cmd_depart,
        "a guide leaves (离职继承): hand every customer to the heirs, disable the guide now",
        DEPART_HELP,
    )
    p.add_argument("guide_id", metavar="GUIDE")
    p.add_argument(
        "--to", required=True, action="append", metavar="GUIDE", help="an heir (repeat for more)"
    )
    p.add_argument(
        "--split-by-tier",
        action="store_true",
        help="deal each tier (head, waist, regular) out evenly among the heirs",
    )
    p.add_argument("--json", action="store_true", help="print the moves and tasks as JSON")
    p = command(
        "audit",
        cmd_audit,
        "HQ's audit log: moves, departures, phone reveals, sign-in locks",
        "Oldest first. --guide matches the guide acted on and either side of a move.",
    )
    p.add_argument("--customer", metavar="ID")
    p.add_argument("--guide", metavar="GUIDE")
    p.add_argument("--action", metavar="NAME", help="only this action (move, depart, …)")
    p.add_argument("--json", action="store_true")
    p = command("move-customer", cmd_move_customer, "one customer to another guide (older form)")
    p.add_argument("customer_id")
    p.add_argument("--guide", required=True, metavar="GUIDE_ID")
    p = command("depart-guide", cmd_depart_guide, "a guide leaves, one heir (older form of depart)")
    p.add_argument("guide_id")
    p.add_argument("--to", required=True, metavar="GUIDE_ID")
    p = command(
        "publish-task",
        cmd_publish_task,
        "publish or update a campaign task from a JSON file",
        TASK_FILE_HELP,
    )
    p.add_argument("file", metavar="FILE.json")
    p.add_argument("--json", action="store_true", help="print the stores and target counts as JSON")
    p = command(
        "cancel-task",
        cmd_cancel_task,
        "cancel a campaign (every store's task) or one store's task; targets are kept",
    )
    p.add_argument("task_id", metavar="ID")
    p = command(
        "publish-content",
        cmd_publish_content,
        "publish or update content (copy, product, outfit, poster) from a JSON file",
        hq_content.FILE_HELP,
    )
    p.add_argument("file", metavar="FILE.json")
    p.add_argument("--json", action="store_true", help="print the ids published as JSON")
    p = command(
        "retire-content",
        cmd_retire_content,
        "take a content piece out of circulation (terminals hide it; past shares stay)",
    )
    p.add_argument("content_id", metavar="ID")
    p = command(
        "set-contact-cap",
        cmd_set_contact_cap,
        "at most N outreaches (shares, marketing follow-ups) per customer in --days days",
    )
    p.add_argument("cap", metavar="N", help="a number; 0 or none clears the cap")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--store", metavar="CODE", help="one store (default: every store)")
    p = command(
        "tips",
        cmd_tips,
        "peer tips (无师自通): list, pin, unpin, hide, unhide",
        "tips list [--store S] [--format table|json]; tips pin|unpin|hide|unhide ID",
    )
    p.add_argument("action", choices=["list", "pin", "unpin", "hide", "unhide"])
    p.add_argument("tip_id", nargs="?", metavar="ID")
    p.add_argument("--store", metavar="CODE", help="list: the tips that store's terminals see")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p = command(
        "report",
        cmd_report,
        "task completion per task and guide; or content shares and the purchases after them",
        "content: per piece, shares, distinct customers, guides who shared, and purchases\n"
        "by those customers within --window-days (default 14) after one of its shares.\n"
        "tasks columns: targets; done (done or approved); open (open or rejected: a rejection\n"
        "reopens it for its guide); overdue (open past due_on in the store's today);\n"
        "approved; rejected. A completion counts for its author.\n"
        "csv is UTF-8 with a BOM and CRLF line ends (what Excel in China opens).",
    )
    p.add_argument("subject", choices=["tasks", "content"])
    p.add_argument("--task", metavar="ID", help="a campaign id (the file's id) or one task id")
    p.add_argument("--campaign", metavar="C", help="content: only this campaign's pieces")
    p.add_argument(
        "--window-days",
        type=int,
        default=14,
        help="content: purchases within this many days after a share count (default 14)",
    )
    p.add_argument("--store", metavar="CODE")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p = command(
        "set-pin",
        cmd_set_pin,
        "set a guide's sign-in PIN (6–12 digits; read from stdin unless --pin)",
        "The guide's wrong PINs are forgotten and a lock is lifted.\n"
        "--must-change: a temporary PIN the guide replaces at their next sign-in at HQ.",
    )
    p.add_argument("guide_id", metavar="GUIDE")
    p.add_argument("--pin", help="the PIN (else one line from stdin)")
    p.add_argument("--must-change", action="store_true", help="ask for a new PIN at sign-in")
    p = command(
        "unlock-guide",
        cmd_unlock_guide,
        "unlock a guide locked after too many wrong PINs (audited)",
    )
    p.add_argument("guide_id", metavar="GUIDE")
    p = command("pin-status", cmd_pin_status, "a guide's wrong PINs, lock and must-change")
    p.add_argument("guide_id", metavar="GUIDE")
    p.add_argument("--json", action="store_true")
    p = command(
        "set-idle-lock",
        cmd_set_idle_lock,
        "seconds of no use after which terminals lock (default 300; 30 to 28800)",
    )
    p.add_argument("seconds", type=int, metavar="SECONDS")
    p = command(
        "set-token-days",
        cmd_set_token_days,
        "how long terminal tokens live (default 90); terminals rotate them on their own",
    )
    p.add_argument("days", type=int, metavar="DAYS")
    p = command("revoke-terminal", cmd_revoke_terminal, "revoke a lost or retired terminal")
    p.add_argument("terminal_id")
    p = command("list-terminals", cmd_list_terminals, "enrolled terminals")
    p.add_argument("--json", action="store_true")
    p = command("compact", cmd_compact, "compact the change log")
    p.add_argument(
        "--older-than-days",
        type=int,
        default=30,
        help="terminals silent for longer no longer hold the log back (default 30)",
    )
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CommandError, StorageError, importers.ImportFileError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        print(f"{PROG}: cannot use the database: {reason}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
