"""The workbench fits a 1024×768 counter screen, in Chinese and in English.

Each main page is rendered with the real style sheet and translation at 1024×768 (and the
customer book also at 1366×768, 1920×1080 and the logical sizes of 1366×768 at 125 % and
1920×1080 at 150 %); ``tests/ui/fitcheck.py`` then measures every visible label, button,
combo box entry (in the open list too) and table header against the room it has, and
every widget against the window's rect. A child process repeats the 1024×768 book at a
device pixel ratio of 1.5 (QT_SCALE_FACTOR), where rounding differs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QApplication

from app.ui.app import apply_style, install_translator
from app.ui.main_window import MainWindow
from app.ui.sign_in import SignInView
from app.ui.sync_panel import SyncController
from sync.outcome import SyncReport
from tests.ui.fitcheck import TOUCH, problems, small_targets

SMALL = (1024, 768)
SIZES = [SMALL, (1366, 768), (1920, 1080), (1093, 614), (1280, 720)]


@pytest.fixture(params=["zh_CN", "en"])
def lang(request, qapp):
    """The app's look (style sheet) and language, as ``app.ui.app.run`` sets them."""
    previous = qapp.styleSheet()
    apply_style(qapp)
    translator = install_translator(qapp, request.param)
    yield request.param
    if translator is not None:
        qapp.removeTranslator(translator)
    qapp.setStyleSheet(previous)


def settle(qtbot, window) -> None:
    QApplication.processEvents()
    qtbot.wait(20)
    QApplication.processEvents()


def open_window(qtbot, session, who, size, sync=None) -> MainWindow:
    sync = sync or SyncController(session, None)
    window = MainWindow(session, who, sync)
    qtbot.addWidget(window)
    window.show()
    # After show: the window placed itself inside the offscreen screen (800×800); the
    # child processes below check that placing on a 1024×768 screen.
    window.resize(*size)
    qtbot.waitUntil(lambda: window.customers.model.rowCount() > 0)
    return window


def open_profile(qtbot, window: MainWindow, customer_id: str = "C1") -> None:
    book = window.customers
    book.table.selectRow(book.model.row_of(customer_id))
    qtbot.waitUntil(lambda: book.profile.ready and book.profile.customer_id == customer_id)
    settle(qtbot, window)


def assert_fits(window, what: str) -> None:
    found = problems(window)
    assert not found, f"{what}: {len(found)} problems\n" + "\n".join(found)


def test_the_check_finds_what_is_cut(qtbot, lang) -> None:
    """The measuring itself: each kind of cut it must see, seen."""
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QTableView, QWidget

    window = QWidget()
    qtbot.addWidget(window)
    window.resize(400, 300)
    label = QLabel("Not contacted for 90 days", window)
    label.setGeometry(0, 0, 60, 30)
    button = QPushButton("Appointments and performance", window)
    button.setGeometry(0, 40, 70, 40)
    box = QComboBox(window)
    box.addItems(["All", "Not contacted for 90 days"])
    box.setGeometry(0, 90, 80, 40)
    table = QTableView(window)
    model = QStandardItemModel(1, 2, table)
    model.setHorizontalHeaderLabels(["Last purchase", "Tags"])
    table.setModel(model)
    table.setColumnWidth(0, 30)
    table.setGeometry(0, 140, 300, 100)
    from PySide6.QtWidgets import QListWidget

    entries = QListWidget(window)
    entries.addItem("李娜（李女士）  Opted out of marketing: asked in the shop")
    entries.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    entries.setGeometry(310, 0, 80, 60)
    sideways = QListWidget(window)
    sideways.addItem("李娜（李女士）  Opted out of marketing: asked in the shop")
    sideways.setGeometry(310, 70, 80, 60)
    outside = QLabel("ok", window)
    outside.setGeometry(380, 280, 60, 40)
    window.show()
    settle(qtbot, window)
    found = "\n".join(problems(window))
    for expected in (
        "'Not contacted for 90 days': needs",
        "'Appointments and performance': needs",
        "entry 'Not contacted for 90 days' needs",
        "header 'Last purchase' needs",
        "QListWidget entry '李娜（李女士）  Opted out of marketing: asked i' needs",
        "QListWidget: its entries scroll sideways",
        "outside the window",
    ):
        assert expected in found, found


def test_sign_in_fits(qtbot, lang, session) -> None:
    view = SignInView(session)
    qtbot.addWidget(view)
    view.resize(*SMALL)
    view.show()
    settle(qtbot, view)
    assert_fits(view, f"sign-in {lang}")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_customer_book_with_a_profile_fits(qtbot, lang, session, guide, size) -> None:
    window = open_window(qtbot, session, guide, size)
    open_profile(qtbot, window)
    profile = window.customers.profile
    assert profile.isVisible()
    assert window.rect().contains(
        QRect(profile.mapTo(window, profile.rect().topLeft()), profile.size())
    )
    assert window.statusBar().isVisible()
    assert_fits(window, f"customer book {lang} {size}")


def test_manager_book_and_team_view_fit(qtbot, lang, session, manager) -> None:
    window = open_window(qtbot, session, manager, SMALL)
    open_profile(qtbot, window)
    assert_fits(window, f"manager's book {lang}")
    window.show_section("tasks")
    tasks = window.tasks
    assert tasks.tabs is not None and tasks.team is not None
    tasks.tabs.setCurrentWidget(tasks.team)
    qtbot.waitUntil(lambda: tasks.team.snapshot is not None)
    settle(qtbot, window)
    assert_fits(window, f"team view {lang}")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_today_with_a_customer_fits(qtbot, lang, session, guide, size) -> None:
    window = open_window(qtbot, session, guide, size)
    window.show_section("tasks")
    today = window.tasks.today
    qtbot.waitUntil(lambda: today.summary.text() != "")
    tasks = today.task_list.model()
    first = tasks.index(0, 0, tasks.index(0, 0))  # the first task of the first group
    assert first.isValid()
    today.task_list.setCurrentIndex(first)
    qtbot.waitUntil(lambda: today.targets.rowCount() > 0)
    today.target_table.selectRow(0)
    qtbot.waitUntil(lambda: today.profile.ready)
    settle(qtbot, window)
    assert today.profile.isVisible()
    assert_fits(window, f"Tasks/Today {lang} {size}")


def test_lock_screen_and_follow_up_dialog_fit(qtbot, lang, session, guide) -> None:
    window = open_window(qtbot, session, guide, SMALL)
    open_profile(qtbot, window)
    dialog = window.customers.profile.log_follow_up()
    assert dialog is not None
    settle(qtbot, window)
    assert_fits(dialog, f"follow-up dialog {lang}")
    window.lock()
    settle(qtbot, window)
    assert_fits(window, f"lock screen {lang}")


def test_content_page_and_share_dialog_fit(qtbot, lang, session, guide, add_records) -> None:
    from tests.ui.test_content import library

    add_records(library())
    # A long reason: its entry in the share list wraps instead of being cut.
    session.conn.execute(
        "UPDATE customers SET marketing_opt_out = 1, opt_out_reason = ? WHERE id = 'C2'",
        ("顾客在电话里说得很清楚：不要再发任何活动和新品消息，有需要她会自己来店里问",),
    )
    window = open_window(qtbot, session, guide, SMALL)
    window.show_section("content")
    page = window.content
    qtbot.waitUntil(lambda: page.ready and page.model.rowCount() == 2)
    page.grid.setCurrentIndex(page.model.index(0, 0))
    settle(qtbot, window)
    assert_fits(window, f"Content page {lang}")
    dialog = page.share_current()
    qtbot.waitUntil(lambda: dialog.ready)
    dialog.item_of("C1").setCheckState(Qt.CheckState.Checked)
    settle(qtbot, dialog)
    assert_fits(dialog, f"share dialog {lang}")


def test_composer_and_drafts_fit(qtbot, lang, session, guide, add_records) -> None:
    from tests.ui.test_content import library

    add_records(library())
    window = open_window(qtbot, session, guide, SMALL)
    window.show_section("content")
    bar = window.content.compose
    composer = bar.compose()
    qtbot.waitUntil(lambda: composer.ready and composer.products.count() == 2)
    composer.text.setPlainText("{称呼}您好，新到的围巾很配您上次的大衣。")
    composer.products.item(0).setCheckState(Qt.CheckState.Checked)
    settle(qtbot, composer)
    assert composer.frameGeometry().width() <= SMALL[0]
    assert composer.frameGeometry().height() <= SMALL[1]
    assert_fits(composer, f"composer {lang}")
    composer.save_draft()
    qtbot.waitUntil(lambda: composer.saved_count >= 1)
    composer.close()
    drafts = bar.show_drafts()
    qtbot.waitUntil(lambda: drafts.ready and drafts.model.rowCount() == 1)
    settle(qtbot, drafts)
    assert_fits(drafts, f"drafts {lang}")


def test_status_bar_during_and_after_a_sync_fits(qtbot, lang, session, guide, fake_engine) -> None:
    gate = threading.Event()
    engine = fake_engine(SyncReport(ok=True, pulled=3), gate=gate)
    sync = SyncController(session, lambda: engine, interval_s=3600)
    window = open_window(qtbot, session, guide, SMALL, sync)
    try:
        assert sync.sync_now()
        settle(qtbot, window)
        assert_fits(window, f"status bar while syncing {lang}")
        with qtbot.waitSignal(sync.finished):
            gate.set()
        settle(qtbot, window)
        assert window.sync_status.text()
        assert_fits(window, f"status bar after a sync {lang}")
    finally:
        gate.set()
        sync.stop()


def test_main_targets_are_touch_sized(qtbot, lang, session, guide) -> None:
    window = open_window(qtbot, session, guide, SMALL)
    open_profile(qtbot, window)
    found = small_targets(window)
    window.show_section("tasks")
    today = window.tasks.today
    qtbot.waitUntil(lambda: today.summary.text() != "")
    tasks = today.task_list.model()
    today.task_list.setCurrentIndex(tasks.index(0, 0, tasks.index(0, 0)))
    qtbot.waitUntil(lambda: today.targets.rowCount() > 0)
    settle(qtbot, window)
    found += [f"Tasks: {line}" for line in small_targets(window)]
    assert not found, f"under {TOUCH} px:\n" + "\n".join(found)


def test_narrow_book_opens_the_profile_as_a_drawer_that_closes(qtbot, lang, session, guide) -> None:
    window = open_window(qtbot, session, guide, SMALL)
    book = window.customers
    fold = book.fold
    assert fold.narrow and not fold.drawer.isVisible()  # the list has the whole width
    table_width = book.table.width()
    assert table_width > fold.width() * 0.9
    open_profile(qtbot, window)
    assert fold.drawer_open and book.profile.isVisible()
    drawer = fold.drawer.geometry()
    assert drawer.right() == fold.width() - 1 and drawer.width() >= book.profile.minimumWidth()
    # Over the list only: the search box and the filters stay uncovered.
    top = book.list_stack.mapTo(fold, book.list_stack.rect().topLeft()).y()
    assert drawer.top() == top
    assert book.table.width() == table_width  # the list kept its width under the drawer
    qtbot.mouseClick(fold.close_button, Qt.MouseButton.LeftButton)
    assert not fold.drawer.isVisible() and book.search_box.hasFocus()
    row = book.table.visualRect(book.model.index(book.model.row_of("C1"), 0))
    qtbot.mouseClick(book.table.viewport(), Qt.MouseButton.LeftButton, pos=row.center())
    assert fold.drawer_open  # a tap on the row brings it back
    qtbot.mouseClick(fold.close_button, Qt.MouseButton.LeftButton)
    # Another customer opens it again; Esc closes it before it clears the search.
    qtbot.keyClicks(book.search_box, "1")
    qtbot.waitUntil(lambda: book.model.rowCount() > 0)
    qtbot.keyClick(book.search_box, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: fold.drawer_open)
    qtbot.keyClick(book.search_box, Qt.Key.Key_Escape)
    assert not fold.drawer.isVisible() and book.search_box.text() == "1"
    qtbot.keyClick(book.search_box, Qt.Key.Key_Escape)
    assert book.search_box.text() == ""


def test_narrow_today_folds_its_profile_and_keeps_record_outcome_in_reach(
    qtbot, lang, session, guide
) -> None:
    window = open_window(qtbot, session, guide, (819, 614))  # 1024×768 at 125 %
    window.show_section("tasks")
    today = window.tasks.today
    qtbot.waitUntil(lambda: today.summary.text() != "")
    tasks = today.task_list.model()
    today.task_list.setCurrentIndex(tasks.index(0, 0, tasks.index(0, 0)))
    qtbot.waitUntil(lambda: today.targets.rowCount() > 0)
    today.target_table.selectRow(0)
    qtbot.waitUntil(lambda: today.profile.ready)
    settle(qtbot, window)
    fold = today.fold
    assert fold.narrow and fold.drawer_open
    button = today.record_button
    at = QRect(button.mapTo(fold, button.rect().topLeft()), button.size())
    assert button.isVisible() and not fold.drawer.geometry().intersects(at)
    assert_fits(window, f"narrow Today {lang}")
    qtbot.keyClick(today.target_table, Qt.Key.Key_Escape)
    assert not fold.drawer.isVisible()


def test_wide_book_shows_list_and_profile_side_by_side(qtbot, lang, session, guide) -> None:
    window = open_window(qtbot, session, guide, (1366, 768))
    book = window.customers
    open_profile(qtbot, window)
    assert not book.fold.narrow and not book.fold.close_button.isVisible()
    table = book.table.mapTo(window, book.table.rect().topRight())
    profile = book.profile.mapTo(window, book.profile.rect().topLeft())
    assert table.x() < profile.x()  # beside, not over
    window.resize(*SMALL)  # narrowed: the open profile becomes the drawer
    settle(qtbot, window)
    assert book.fold.narrow and book.fold.drawer_open
    window.resize(1366, 768)
    settle(qtbot, window)
    assert not book.fold.narrow and book.profile.isVisible()


def test_window_opens_inside_the_screen_and_where_it_was(qtbot, session, guide) -> None:
    area = QApplication.primaryScreen().availableGeometry()  # 800×800 offscreen
    first = MainWindow(session, guide, SyncController(session, None))
    qtbot.addWidget(first)
    first.show()
    assert area.contains(first.frameGeometry())
    assert first.frameGeometry().size() == QSize(1360, 820).boundedTo(area.size())
    first.setGeometry(QRect(40, 50, 700, 560))
    first.close()
    second = MainWindow(session, guide, SyncController(session, None))
    qtbot.addWidget(second)
    second.show()
    assert second.geometry() == QRect(40, 50, 700, 560)
    # Saved on a bigger screen: clamped to this one.
    second.setGeometry(QRect(300, 200, 1500, 1000))
    second.close()
    third = MainWindow(session, guide, SyncController(session, None))
    qtbot.addWidget(third)
    third.show()
    assert area.contains(third.frameGeometry()), third.frameGeometry()
    third.close()


SCALED = """
import sys
from tests.ui.test_fit import scaled_main
sys.exit(scaled_main(sys.argv[1]))
"""


def _wait(app: QApplication, done) -> None:
    for _ in range(2000):
        app.processEvents()
        if done():
            return
        threading.Event().wait(0.005)
    raise AssertionError("timed out")


def scaled_main(lang: str) -> int:
    """In a child process on a screen of the size and scale of its platform's config file:
    the window as it opens itself, the book with a profile, Tasks/Today; prints what does
    not fit."""
    from app.store.guides import get_guide
    from app.ui.session import Session
    from sync import credentials
    from tests.conftest import FIXED_NOW
    from tests.ui.conftest import book, fill

    credentials.use_memory_keyring_if_none()
    app = QApplication(sys.argv)
    apply_style(app)
    install_translator(app, lang)
    home = Path(os.environ["GUIDEDESK_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    path = home / "terminal.sqlite3"
    fill(path, book(), lambda: FIXED_NOW)
    session = Session(path, clock=lambda: FIXED_NOW)
    guide = get_guide(session.conn, "G001")
    window = MainWindow(session, guide, SyncController(session, None))
    window.show()
    page = window.customers
    _wait(app, lambda: page.model.rowCount() > 0)
    page.table.selectRow(page.model.row_of("C1"))
    _wait(app, lambda: page.profile.ready and page.profile.customer_id == "C1")
    for _ in range(5):  # the layouts the profile's arrival asked for
        threading.Event().wait(0.01)
        app.processEvents()
    screen = window.screen()
    found = problems(window)
    if not screen.availableGeometry().contains(window.frameGeometry()):
        found.append(f"window {window.frameGeometry()} outside {screen.availableGeometry()}")
    if not page.profile.isVisible():
        found.append("no profile")
    window.show_section("tasks")
    today = window.tasks.today
    _wait(app, lambda: today.summary.text() != "")
    for _ in range(5):
        threading.Event().wait(0.01)
        app.processEvents()
    found += [f"Tasks: {line}" for line in problems(window)]
    if not screen.availableGeometry().contains(window.frameGeometry()):
        found.append(f"Tasks: window {window.frameGeometry()} outside the screen")
    print(
        f"{screen.availableGeometry()} at {screen.devicePixelRatio()}: window {window.geometry()}"
    )
    print(f"{len(found)} problems")
    for line in found:
        print(line)
    window.close()
    session.close()
    return 1 if found else 0


@pytest.mark.parametrize(
    ("lang_code", "width", "height", "scale"),
    [
        ("zh_CN", 1024, 768, 1.5),
        ("en", 1024, 768, 1.5),
        ("en", 1024, 768, 1.25),
        ("zh_CN", 819, 614, 1.25),  # 1024×768 at 125 %
        ("en", 819, 614, 1.25),
        ("zh_CN", 1093, 614, 1.25),  # 1366×768 at 125 %
        ("en", 1280, 720, 1.5),  # 1920×1080 at 150 %
    ],
)
def test_window_opens_inside_a_scaled_screen_and_fits(
    tmp_path: Path, lang_code: str, width: int, height: int, scale: float
) -> None:
    """Sizes are the screen's logical pixels, at a device pixel ratio of ``scale``."""
    config = tmp_path / "screen.json"
    config.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "counter",
                        "x": 0,
                        "y": 0,
                        "width": width,
                        "height": height,
                        "logicalDpi": 96,
                        "dpr": scale,
                    }
                ]
            }
        )
    )
    env = dict(
        os.environ,
        QT_QPA_PLATFORM=f"offscreen:configfile={config}",
        GUIDEDESK_HOME=str(tmp_path / "home"),
    )
    done = subprocess.run(
        [sys.executable, "-c", SCALED, lang_code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"at {scale}: window" in done.stdout, done.stdout
    assert f"QRect(0, 0, {width}, {height})" in done.stdout.splitlines()[0]
