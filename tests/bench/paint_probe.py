"""Child process of tests/bench/search.py: the real workbench window over a big store.

    python tests/bench/paint_probe.py STORE SAMPLES SEED LAUNCHED_AT [plain]

Prints ``first_window <s>`` (from the moment the parent launched this process, so the
interpreter and the imports count, to the customer book shown with its first rows
painted) and one ``paint <s>`` line per keystroke: a character typed into the search box
(``customerSearch``) until the list (``customerList``) has been repainted with the rows
of that query. Each keystroke waits for its repaint before the next, so every line is
one keystroke's full latency. ``plain``: the store is unencrypted (search.py --plain).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEvent, QEventLoop, QObject
from PySide6.QtWidgets import QApplication

from app import terminal
from app.store import db
from app.store.guides import list_guides
from app.ui.app import UiContext, Workbench, apply_style, install_translator
from app.ui.main_window import MainWindow
from app.ui.session import Session
from app.ui.sync_panel import SyncController
from tests.bench.common import BENCH_TODAY
from tests.bench.search import keystroke_queries


class PaintWatch(QObject):
    """Counts paint events of the list's viewport that come after a model reset."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.armed = False
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

    def wait(self, app: QApplication) -> None:
        """Return once the viewport has painted (the paint event fully handled)."""
        while not self.painted:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        # The filter sees the event before the view paints it: finish that delivery.
        app.processEvents()
        self.armed = self.painted = False


def main() -> int:
    store, samples, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    launched_at = float(sys.argv[4])
    if sys.argv[5:] == ["plain"]:
        db.cache_key_of = lambda path: None
    app = QApplication(sys.argv[:1])
    install_translator(app, "zh_CN")
    apply_style(app)
    conn = db.connect(store)
    manager = next(g for g in list_guides(conn) if g.is_manager)  # sees the whole store
    conn.close()
    # As `guidedesk` starts (app/__main__.py): is this terminal enrolled? (This store is
    # not, so no sync runs during the measurement.)
    assert not terminal.is_enrolled(store)
    ctx = UiContext(db_path=store, guide_id=manager.id, clock=lambda: _bench_now())
    session = Session(store, clock=ctx.clock)
    sync = SyncController(session, None)
    workbench = Workbench(ctx, session, sync)
    workbench.start()
    window = workbench.window
    assert isinstance(window, MainWindow)
    watch = PaintWatch(window)
    watch.armed = True  # the first page may already have arrived
    watch.wait(app)
    while window.customers.model.rowCount() == 0:
        watch.armed = True
        watch.wait(app)
    print(f"first_window {time.time() - launched_at:.4f}", flush=True)

    box = window.customers.search_box
    conn = db.connect(store)
    words = keystroke_queries(conn, samples, seed, prefixes=False)
    conn.close()
    for word in words:
        if box.text():
            box.clear()
            watch.wait(app)
        for ch in word:
            started = time.perf_counter()
            box.insert(ch)  # as a key press or an input method's commit does
            watch.wait(app)
            print(f"paint {time.perf_counter() - started:.5f}", flush=True)
    sync.stop()
    session.close()
    return 0


def _bench_now():
    from datetime import UTC, datetime

    return datetime.combine(BENCH_TODAY, datetime.min.time(), tzinfo=UTC).replace(hour=10)


if __name__ == "__main__":
    sys.exit(main())
