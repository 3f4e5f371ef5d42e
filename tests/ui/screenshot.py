"""Load one store of the demo brand straight into a terminal store and show the workbench,
for screenshots and for looking at the UI without an HQ.

    python -m tests.ui.screenshot --home /tmp/gd --customers 20000 [--shot docs/screenshot-customers.png]
        [--lang en] [--size 1024x768 | --size screen] [--profile-only]

With ``--shot`` it opens the first customer who has follow-ups, logs a follow-up through the
dialog (its picture goes beside the shot as ``screenshot-followup.png``; ``--profile-only``
skips the dialog), waits for the window to settle, saves a picture of it and quits; without,
it stays open for a person to use. ``--size screen`` leaves the window where it placed
itself on the screen (under ``Xvfb :1 -screen 0 1024x768x24``: the counter terminal's
screen). It prints what tests/ui/fitcheck.py finds clipped. Not a test module (pytest
collects ``test_*.py`` only).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from argon2 import PasswordHasher

from app.domain.customers import to_record
from app.domain.demo_brand import DEMO_PIN, generate_brand
from app.store import db
from app.store.replica import TerminalReplica

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)


def record(entity: str, key: str, data: dict) -> dict:
    data = {k: (str(v) if hasattr(v, "value") else v) for k, v in data.items()}
    return {"entity": entity, "op": "upsert", "id": key, "version": 1, "data": data}


def load_demo_store(path: Path, customers: int, store_index: int = 0) -> str:
    """Fill ``path`` with one store of the demo brand; returns the first guide's id."""
    from sync import credentials

    # Run as a script (screenshots, tests/bench/today.py) on a machine without a keyring:
    # the store's key stays in this process's memory, as in the demo.
    credentials.use_memory_keyring_if_none()
    brand = generate_brand(customers, today=TODAY)
    store = brand.stores[store_index]
    verifier = PasswordHasher().hash(DEMO_PIN)
    records = [record("store", store.id, to_record(store))]
    team = [g for g in brand.guides if g.store_id == store.id]
    for guide in team:
        data = to_record(guide) | {"pin_verifier": verifier, "active": True}
        data.pop("pin", None)
        records.append(record("guide", guide.id, data))
    records += [record("product", p.sku, to_record(p)) for p in brand.products]
    mine = set()
    for customer in brand.iter_customers():
        if customer.store_id == store.id:
            mine.add(customer.id)
            records.append(record("customer", customer.id, to_record(customer)))
    buyers: list[tuple[str, str | None]] = []
    for purchase in brand.iter_purchases():
        if purchase.customer_id in mine:
            records.append(record("purchase", purchase.id, to_record(purchase)))
            buyers.append((purchase.customer_id, purchase.guide_id))
    records += _followups(buyers[-4000:])
    conn = db.connect(path)
    try:
        replica = TerminalReplica(conn, clock=lambda: NOW)
        replica.apply_page(records, "demo", more=False)
        replica.set_state(
            store_id=store.id, store_name=store.name, last_sync_at="2026-11-22T07:12:00Z"
        )
    finally:
        conn.close()
    return next(g.id for g in team if not g.is_manager)


NOTES = (
    ("wechat", "发了新款羊绒大衣的搭配图，她说周末来试穿。"),
    ("in_store", "到店试了两条连衣裙，喜欢米白色那条，等会员日再买。"),
    ("call", "回访上次买的毛衣，洗后没有起球，很满意。"),
)


def _followups(buyers: list[tuple[str, str | None]]) -> list[dict]:
    """A few follow-ups HQ already has, so profiles show a timeline."""
    out = []
    for n, (customer_id, guide_id) in enumerate(dict.fromkeys(buyers)):
        if guide_id is None or n % 3:
            continue
        channel, note = NOTES[n % len(NOTES)]
        data = {
            "id": f"F-demo-{n}",
            "customer_id": customer_id,
            "guide_id": guide_id,
            "channel": channel,
            "note": note,
            "next_followup_on": None,
            "created_at": f"2026-11-{10 + n % 10:02d}T0{n % 9}:15:00Z",
            "task_id": None,
        }
        out.append(record("followup", data["id"], data))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--lang", default="zh_CN")
    parser.add_argument("--shot", type=Path, help="save a picture of the window and quit")
    parser.add_argument("--size", default="1440x900", help="WxH, or 'screen': as it opens")
    parser.add_argument("--profile-only", action="store_true", help="no follow-up dialog")
    args = parser.parse_args(argv)
    args.home.mkdir(parents=True, exist_ok=True)
    path = args.home / db.DB_FILENAME
    if not path.exists():
        guide_id = load_demo_store(path, args.customers)
    else:
        conn = db.connect(path)
        guide_id = conn.execute(
            "SELECT id FROM guides WHERE is_manager = 0 ORDER BY id"
        ).fetchone()[0]
        conn.close()

    from app.ui.app import UiContext, run

    ctx = UiContext(db_path=path, lang=args.lang, guide_id=guide_id, clock=lambda: NOW)
    if args.shot:
        from PySide6.QtCore import QTimer

        size = None if args.size == "screen" else tuple(int(v) for v in args.size.split("x"))
        QTimer.singleShot(
            0, lambda: _after_start(args.shot, size, with_dialog=not args.profile_only)
        )
    return run(ctx, [sys.argv[0]])


def _after_start(shot: Path, size: tuple[int, int] | None, *, with_dialog: bool = True) -> None:
    """Pick a customer, log a follow-up through the dialog, then take the pictures."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.ui.main_window import MainWindow

    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    if size is not None:
        window.resize(*size)
        window.move(0, 0)
    book = window.customers

    def pick() -> None:
        book.step(1)
        book.step(1)
        if not with_dialog:
            QTimer.singleShot(1200, save)
            return
        dialog = book.profile.log_follow_up()
        assert dialog is not None
        dialog.note.setPlainText("微信发了羊绒大衣的搭配图，约了周六下午来店试穿。")
        dialog.has_next.setChecked(True)
        QTimer.singleShot(600, lambda: save_dialog(dialog))

    def save_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
        dialog.grab().save(str(shot.with_name("screenshot-followup.png")))
        dialog.finished.connect(lambda _result: QTimer.singleShot(800, save))
        dialog._submit()

    def save() -> None:
        from tests.ui.fitcheck import problems

        window.grab().save(str(shot))
        found = problems(window)
        print(f"{shot}: window {window.geometry()}, {len(found)} clipped or outside")
        for line in found:
            print("  " + line)
        QApplication.quit()

    QTimer.singleShot(800, pick)


if __name__ == "__main__":
    sys.exit(main())
