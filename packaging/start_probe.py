"""Cold-start probe: the workbench over a store, to the customer book painted.

    python packaging/start_probe.py STORE LAUNCHED_AT          (source install)
    dist/guidedesk/guidedesk-startprobe STORE LAUNCHED_AT      (frozen, build.py --start-probe)

The same code runs from source and frozen, so tests/bench/frozen_start.py compares like with
like. Prints ``first_window <s>``: from LAUNCHED_AT (the parent's clock just before it
started this process: the interpreter or the frozen bootloader and every import count) to
the customer book shown with its first rows painted. The store's manager is signed in
directly (as ``guidedesk demo`` does), so the sign-in screen does not wait for a person.
Only a build made with ``--start-probe`` carries this program; a terminal's build does not.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QEvent, QEventLoop, QObject
from PySide6.QtWidgets import QApplication

from app import terminal
from app.store import db
from app.store.guides import list_guides
from app.ui.app import UiContext, Workbench, apply_style, install_translator
from app.ui.main_window import MainWindow
from app.ui.session import Session
from app.ui.sync_panel import SyncController

# The day the benchmark stores are made for (tests/bench/common.py BENCH_TODAY).
NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)


class PaintWatch(QObject):
    """Sees the book's list viewport paint after its model was (re)filled."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.armed = True  # the first page may already be in the model
        self.painted = False
        table = window.customers.table
        table.viewport().installEventFilter(self)
        table.model().modelReset.connect(self._reset)

    def _reset(self) -> None:
        self.armed = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.armed and event.type() == QEvent.Type.Paint:
            self.painted = True
        return False


def main() -> int:
    store, launched_at = Path(sys.argv[1]), float(sys.argv[2])
    app = QApplication(sys.argv[:1])
    install_translator(app, "zh_CN")
    apply_style(app)
    conn = db.connect(store)
    manager = next(g for g in list_guides(conn) if g.is_manager)
    conn.close()
    assert not terminal.is_enrolled(store)  # no sync runs during the measurement
    ctx = UiContext(db_path=store, guide_id=manager.id, clock=lambda: NOW)
    session = Session(store, clock=ctx.clock)
    sync = SyncController(session, None)
    workbench = Workbench(ctx, session, sync)
    workbench.start()
    window = workbench.window
    assert isinstance(window, MainWindow)
    watch = PaintWatch(window)
    # Painted with rows: a paint that happens once the first page is in the model.
    while not (watch.painted and window.customers.model.rowCount() > 0):
        if watch.painted:  # painted while still empty: wait for the rows' paint
            watch.armed = watch.painted = False
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
    app.processEvents()  # the filter sees the paint before the view handles it
    print(f"first_window {time.time() - launched_at:.4f}", flush=True)
    sync.stop()
    session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
