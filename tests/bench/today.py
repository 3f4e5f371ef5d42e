"""The guide's Today opening on a busy terminal: 50 tasks, 5,000 targets of one guide.

    python tests/bench/today.py [--customers 8000] [--runs 5] [--shot docs/screenshot-today.png]

Times, in the real process with the style sheet and the Chinese translation, from
constructing the Today view to its task list AND the selected task's customers painted
(the read-lane queries, the model resets, the first paint of both views). The last line
is ``today open_ms=<median> budget_ratio=<median / 150 ms>``.

``--shot PATH`` also saves the workbench on the Tasks page at 1920×1080 to PATH and at
1024×768 beside it (``-1024`` before the suffix), for looking at clipping.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEvent, QEventLoop, QObject
from PySide6.QtWidgets import QApplication, QWidget

from app.store import db
from app.store.replica import TerminalReplica
from tests.ui.screenshot import NOW, load_demo_store, record

BUDGET_MS = 150
TASKS, TARGETS = 50, 5000


def add_tasks(path: Path, guide_id: str) -> None:
    """50 open tasks in 5 campaigns, 5,000 targets of ``guide_id`` (some done, one
    rejected), and the content they suggest."""
    conn = db.connect(path)
    try:
        store_id, customers = conn.execute(
            "SELECT store_id, json_group_array(id) FROM (SELECT store_id, id FROM customers"
            " WHERE guide_id = ? ORDER BY id)",
            (guide_id,),
        ).fetchone()
        import json

        ids = json.loads(customers)
        records = [
            record(
                "content",
                f"K{n}",
                {"id": f"K{n}", "kind": "copy", "title": title, "body": "…"},
            )
            for n, title in enumerate(("冬季新品羊绒系列软文", "生日礼遇海报", "会员日搭配推荐"))
        ]
        titles = (
            "十二月生日问候",
            "流失老客挽回",
            "新客两周回访",
            "转发冬季新品",
            "交接后自我介绍",
        )
        kinds = ("birthday", "win_back", "new_customer", "content_share", "handover_intro")
        per_task = TARGETS // TASKS
        for t in range(TASKS):
            campaign = t % 5
            tid = f"T-2026-12-{t:02d}"
            records.append(
                record(
                    "task",
                    tid,
                    {
                        "id": tid,
                        "campaign_id": f"2026-12-{kinds[campaign].upper()}",
                        "store_id": store_id,
                        "guide_id": None,
                        "kind": kinds[campaign],
                        "title": f"{titles[campaign]} · 第 {t // 5 + 1} 批",
                        "description": "生日前一周发祝福并提醒到店领取生日礼",
                        "content_ids": ["K0", "K1"] if campaign == 0 else ["K2"],
                        "target_rule": {},
                        "starts_on": "2026-11-01",
                        "due_on": "2026-11-20" if t % 7 == 3 else "2026-12-31",
                        "status": "open",
                        "evidence": ("none", "note", "picture")[t % 3],
                        "review": True,
                    },
                )
            )
            for i in range(per_task):
                cid = ids[(t * per_task + i) % len(ids)]
                status = "done" if i % 3 == 0 else "rejected" if i == 1 else "open"
                data = {
                    "task_id": tid,
                    "customer_id": cid,
                    "guide_id": guide_id,
                    "status": status,
                    "outcome": "contacted" if status != "open" else None,
                    "completed_at": "2026-11-21T03:00:00Z" if status != "open" else None,
                    "review_comment": "请附上聊天截图" if status == "rejected" else "",
                }
                records.append(record("task_target", f"{tid}:{cid}", data))
        TerminalReplica(conn, clock=lambda: NOW).apply_page(records, "tasks", more=False)
    finally:
        conn.close()


class Painted(QObject):
    """True once each watched viewport painted after its model was reset."""

    def __init__(self, views: list) -> None:  # type: ignore[type-arg]
        super().__init__()
        self.waiting = {v.viewport() for v in views}
        self.armed: set[QWidget] = set()
        for v in views:
            v.viewport().installEventFilter(self)
            v.model().modelReset.connect(lambda vp=v.viewport(): self.armed.add(vp))  # noqa: B008

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and watched in self.armed:
            self.waiting.discard(watched)  # type: ignore[arg-type]
        return False


def open_once(app: QApplication, session, guide, size: tuple[int, int]) -> float:  # type: ignore[no-untyped-def]
    from app.ui.tasks.today import TodayView

    started = time.perf_counter()
    view = TodayView(session, guide)
    painted = Painted([view.task_list, view.target_table])
    view.resize(*size)
    view.show()
    while painted.waiting or view.targets.rowCount() == 0:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 20)
    app.processEvents()
    elapsed = (time.perf_counter() - started) * 1000
    view.close()
    view.deleteLater()
    app.processEvents()
    return elapsed


def screenshots(app: QApplication, session, guide, shot: Path) -> None:  # type: ignore[no-untyped-def]
    from app.ui.main_window import MainWindow
    from app.ui.sync_panel import SyncController

    window = MainWindow(session, guide, SyncController(session, None))
    window.show()
    window.show_section("tasks")
    today = window.tasks.today
    for size, path in (
        ((1920, 1080), shot),
        ((1024, 768), shot.with_name(f"{shot.stem}-1024{shot.suffix}")),
    ):
        window.resize(*size)
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline and not (
            today.profile.ready and today.targets.rowCount()
        ):
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 20)
        for _ in range(20):
            app.processEvents()
        window.grab().save(str(path))
        print(f"saved {path} ({size[0]}x{size[1]})")
    window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=8000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shot", type=Path)
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="gd-bench-today-"))
    path = home / db.DB_FILENAME
    guide_id = load_demo_store(path, args.customers)
    add_tasks(path, guide_id)

    from app.store.guides import get_guide
    from app.ui.app import apply_style, install_translator
    from app.ui.session import Session

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    install_translator(app, "zh_CN")
    apply_style(app)
    session = Session(path, clock=lambda: NOW)
    guide = get_guide(session.conn, guide_id)
    assert guide is not None
    targets = session.conn.execute(
        "SELECT count(*) FROM task_targets WHERE guide_id = ?", (guide_id,)
    ).fetchone()[0]
    print(f"store: {args.customers} customers, {TASKS} tasks, {targets} targets of {guide_id}")
    try:
        if args.shot:
            screenshots(app, session, guide, args.shot)
        open_once(app, session, guide, (1280, 800))  # warm-up: imports, fonts, the lanes
        runs = [open_once(app, session, guide, (1280, 800)) for _ in range(args.runs)]
    finally:
        session.close()
    median = statistics.median(runs)
    print("runs_ms=" + " ".join(f"{r:.1f}" for r in runs))
    print(f"today open_ms={median:.1f} budget_ratio={median / BUDGET_MS:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
