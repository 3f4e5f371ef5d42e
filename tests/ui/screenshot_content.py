"""Screenshots of the Content page and the share dialog on a running demo (not a test).

    GUIDEDESK_HOME=/tmp/gd-shot guidedesk demo --no-ui --keep-running &   # HQ + first sync
    GUIDEDESK_HOME=/tmp/gd-shot xvfb-run -s "-screen 0 1920x1080x24" \\
        python -m tests.ui.screenshot_content --out docs

Opens the real workbench on the demo terminal's data (its pictures fetched from the demo
HQ into the picture cache, as the page does), as guide G002 and then manager G001, and
saves ``screenshot-content-1024.png``, ``screenshot-share-1024.png``,
``screenshot-content-1920.png``, ``screenshot-share-1920.png`` and
``screenshot-content-manager-1024.png``. On the way it copies two pieces for a customer
through the share dialog (as a guide does), so the 631 chart has shares to show.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app import terminal
from app.store import db
from app.store.guides import get_guide
from app.store.picture_cache import PictureCache
from app.ui.app import apply_style, install_translator
from app.ui.content.page import PictureSource, picture_fetcher
from app.ui.main_window import MainWindow
from app.ui.session import Session
from app.ui.sync_panel import SyncController
from sync import credentials


def wait(app: QApplication, until, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    for _ in range(5):
        app.processEvents()
        time.sleep(0.02)


def visible_thumbnails(page) -> bool:
    if not page.ready or page.model.rowCount() == 0:
        return False
    rows = min(page.model.rowCount(), 6)
    return all(
        not page.thumbnail_is_placeholder(r)
        for r in range(rows)
        if page.model.item(r).data(Qt.ItemDataRole.UserRole + 1).images
    )


def open_window(app, session, sync, guide_id: str, size: tuple[int, int]) -> MainWindow:
    guide = get_guide(session.conn, guide_id)
    window = MainWindow(session, guide, sync)
    window.resize(*size)
    window.show()
    window.show_section("content")
    page = window.content
    wait(app, lambda: visible_thumbnails(page) and page.mix.ready)
    page.grid.setCurrentIndex(page.model.index(0, 0))
    wait(app, lambda: False, 0.5)
    return window


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--lang", default="zh_CN")
    args = parser.parse_args()
    home = db.data_dir(None)
    credentials.use_demo_keyring_if_needed(home)
    db_file = home / db.DB_FILENAME
    app = QApplication(sys.argv[:1])
    install_translator(app, args.lang)
    apply_style(app)
    session = Session(db_file)
    make_engine = terminal.engine_factory(db_file)
    sync = SyncController(session, make_engine)
    args.out.mkdir(parents=True, exist_ok=True)

    # MainWindow builds the page with the cache in the data folder and the HQ fetcher.
    assert PictureSource and PictureCache and picture_fetcher  # the path it uses
    for size, tag in (((1024, 768), "1024"), ((1920, 1080), "1920")):
        window = open_window(app, session, sync, "G002", size)
        page = window.content
        dialog = page.share_current()
        wait(app, lambda d=dialog: d.ready and d.customers.count() > 0)
        # Two customers ticked just above the first who opted out, so the shot shows both.
        items = [dialog.customers.item(i) for i in range(dialog.customers.count())]
        tickable = [i for i, it in enumerate(items) if it.flags() & Qt.ItemFlag.ItemIsUserCheckable]
        blocked = next((i for i, _ in enumerate(items) if i not in tickable), None)
        before = [i for i in tickable if blocked is None or i < blocked][-2:] or tickable[:2]
        for i in before:
            items[i].setCheckState(Qt.CheckState.Checked)
        if before:
            dialog.customers.scrollToItem(
                items[before[0]], dialog.customers.ScrollHint.PositionAtTop
            )
        wait(app, lambda d=dialog: d.image is not None, 5)
        dialog.grab().save(str(args.out / f"screenshot-share-{tag}.png"))
        if tag == "1024":  # two copies, as a guide clicks them: the mix has shares
            QTest.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
            if dialog.next_button.isEnabled():
                QTest.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
                QTest.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
        dialog.close()
        wait(app, lambda p=page: p.mix.ready and p.mix.current.total > 0, 5)
        window.grab().save(str(args.out / f"screenshot-content-{tag}.png"))
        window.close()
        window.deleteLater()
        app.processEvents()

    window = open_window(app, session, sync, "G001", (1024, 768))
    wait(app, lambda: window.content.mix.table.rowCount() > 0)
    window.grab().save(str(args.out / "screenshot-content-manager-1024.png"))
    window.close()
    window.deleteLater()
    app.processEvents()
    session.close()
    print("saved to", args.out, "; home", os.environ.get("GUIDEDESK_HOME"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
