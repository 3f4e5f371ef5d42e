"""Synced text is shown as the characters typed, never as Qt rich text.

An edit made on one terminal (or at HQ) reaches every other terminal of the store. If a
label guessed rich text from it, ``<h1 style="color:red">FAKE</h1>`` would render as big red
fake text, ``<img src=…>`` would load a picture and ``<a href=…>`` would be a link. Here
markup is put into every field a guide reads, the profile is opened the way a guide opens
it (phone tail, Enter), and every widget must show the markup literally.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from app.store import db
from app.store.replica import TerminalReplica
from app.ui.errors import ErrorReporter
from app.ui.main_window import MainWindow
from app.ui.sign_in import SignInView
from app.ui.sync_panel import SyncController
from sync.outcome import RequestRejected

H1 = '<h1 style="color:red">FAKE</h1>'
IMG = '<img src="https://example.invalid/x.png">FAKE'
LINK = '<a href="https://example.invalid/">FAKE</a>'


def hostile_records(change, customer) -> list[dict]:
    return [
        change("store", {"id": "S001", "name": f"店{H1}", "city": "上海"}),
        change(
            "guide",
            {
                "id": "G003",
                "store_id": "S001",
                "name": f"导购{LINK}",
                "is_manager": False,
                "active": True,
                "pin_verifier": "x",
            },
        ),
        change(
            "product",
            {
                "sku": "X1",
                "name": f"裙{IMG}",
                "category": "连衣裙",
                "color": "红",
                "price_cents": 100,
                "image": None,
            },
        ),
        customer(
            "C66",
            f"李{H1}",
            "13700006666",
            tags=[f"标签{LINK}", IMG],
            preferences=f"喜欢{IMG}",
            note=f"备注{H1}",
            sizes={"top": f"M{LINK}"},
        ),
        change(
            "followup",
            {
                "id": "F66",
                "customer_id": "C66",
                "guide_id": "G003",
                "channel": "wechat",
                "note": f"跟进{H1}\n{LINK}",
                "next_followup_on": None,
                "created_at": "2026-11-20T03:00:00Z",
                "task_id": None,
            },
        ),
        change(
            "purchase",
            {
                "id": "P66",
                "customer_id": "C66",
                "store_id": "S001",
                "guide_id": "G001",
                "paid_at": "2026-11-02T06:00:00Z",
                "amount_cents": 100,
                "items": [{"sku": "X1", "qty": 1, "price_cents": 100}],
            },
        ),
        change(
            "conflict",
            {
                "id": "X66",
                "customer_id": "C66",
                "field": "note",
                "kept_value": f"留{H1}",
                "lost_value": f"丢{IMG}",
                "lost_by": f"G{LINK}",
                "detail": "",
                "created_at": "2026-11-12T03:00:00Z",
            },
        ),
    ]


@pytest.fixture
def hostile(add_records, terminal, clock):
    from tests.ui.conftest import change, customer

    add_records(hostile_records(change, customer))
    conn = db.connect(terminal)
    try:  # the store's name as enrolment and the store record leave it
        TerminalReplica(conn, clock=clock).set_state(store_name=f"店{H1}")
    finally:
        conn.close()


def rendered(text: str) -> str:
    """What Qt shows for ``text`` when it treats it as rich text."""
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def labels_showing_data(root: QWidget) -> list[QLabel]:
    return [label for label in root.findChildren(QLabel) if "FAKE" in label.text()]


def assert_all_plain(root: QWidget, expected: tuple[str, ...]) -> None:
    """Every label of ``root`` is plain text, and ``expected`` markup shows literally."""
    labels = [label for label in root.findChildren(QLabel) if label.isVisibleTo(root)]
    rich = [
        label.objectName() or label.text()
        for label in labels
        if label.textFormat() != Qt.TextFormat.PlainText and label.objectName() != "syncStatus"
    ]
    assert rich == [], "labels that would guess rich text"
    texts = "\n".join(label.text() for label in labels)
    for markup in expected:
        assert markup in texts, f"{markup!r} is not shown literally"


def test_the_profile_shows_synced_markup_literally(qtbot, hostile, session, guide) -> None:
    sync = SyncController(session, None)
    window = MainWindow(session, guide, sync)
    qtbot.addWidget(window)
    window.show()
    book = window.customers
    qtbot.waitUntil(lambda: book.model.rowCount() == 5)
    book.search_box.setText("6666")  # the phone tail, as at the counter
    qtbot.waitUntil(lambda: book.model.rowCount() == 1)
    qtbot.keyClick(book.search_box, Qt.Key.Key_Return)
    assert book.profile.customer_id == "C66"
    qtbot.waitUntil(lambda: book.profile.ready)  # the profile loads on the read lane

    profile = book.profile
    qtbot.waitUntil(
        lambda: all(label.isVisible() for label in profile.findChildren(QLabel, "followUpNote"))
    )
    assert profile.findChild(QLabel, "profileName").text() == f"李{H1}"
    values = {
        label.property("field"): label.text()
        for label in profile.findChildren(QLabel, "aboutValue")
    }
    assert values["note"] == f"备注{H1}"
    assert values["preferences"] == f"喜欢{IMG}"
    assert values["tags"] == f"标签{LINK}、{IMG}"
    assert values["sizes"] == f"Top M{LINK}"
    assert values["guide"] == "王丽"
    (note,) = profile.findChildren(QLabel, "followUpNote")
    assert note.text() == f"跟进{H1}\n{LINK}"
    (head,) = profile.findChildren(QLabel, "followUpHead")
    assert head.text().endswith(f"导购{LINK}")  # the guide who wrote it
    (item,) = profile.findChildren(QLabel, "purchaseItem")
    assert item.text().startswith(f"裙{IMG} ×1")
    (conflict,) = profile.findChildren(QLabel, "conflictEntry")
    assert f"留{H1}" in conflict.text() and f"丢{IMG}" in conflict.text()
    assert_all_plain(window, (f"李{H1}", f"备注{H1}", f"喜欢{IMG}", f"跟进{H1}", f"导购{LINK}"))
    for label in labels_showing_data(window):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()

    # The list's cells are drawn as plain text by the delegate; tooltips guess like a label.
    model = book.model
    fields = [c.field for c in model.columns]

    def tooltip_shows(field: str) -> str:
        tip = model.data(model.index(0, fields.index(field)), Qt.ItemDataRole.ToolTipRole)
        return rendered(tip) if QtGuiNamespace.mightBeRichText(tip) else tip

    assert tooltip_shows("name").startswith(f"李{H1}")
    assert tooltip_shows("tags") == f"标签{LINK}\n{IMG}"
    assert model.data(model.index(0, 0)) == f"李{H1}"

    # The guide's dialogs name the customer: plain there too.
    follow_up = profile.log_follow_up()
    assert follow_up is not None
    assert_all_plain(follow_up, (f"Follow-up with 李{H1}",))
    follow_up.reject()
    edit = profile.edit()
    assert edit is not None
    assert edit.windowTitle() == f"Edit customer — 李{H1}  137****6666"  # titles are plain
    assert_all_plain(edit, ())
    edit.reject()
    sync.stop()


def test_the_sign_in_screen_shows_the_store_name_literally(qtbot, hostile, session) -> None:
    view = SignInView(session)
    qtbot.addWidget(view)
    view.show()
    assert view.findChild(QLabel, "signInStore").text() == f"店{H1}"
    assert_all_plain(view, (f"店{H1}",))
    guides = [view.guide_box.itemText(i) for i in range(view.guide_box.count())]
    assert f"导购{LINK}" in guides  # a combo box item is always plain


def test_hq_words_in_an_error_are_plain(qtbot) -> None:
    reporter = ErrorReporter()
    reporter.report(RequestRejected(f"总部拒绝了请求：{H1}"))
    (box,) = reporter.shown
    qtbot.addWidget(box)
    assert isinstance(box, QMessageBox)
    assert box.textFormat() == Qt.TextFormat.PlainText and box.text().endswith(H1)
    shown = [label.text() for label in box.findChildren(QLabel) if "FAKE" in label.text()]
    assert shown == [f"总部拒绝了请求：{H1}"]
    assert all(
        label.textFormat() == Qt.TextFormat.PlainText
        for label in box.findChildren(QLabel)
        if "FAKE" in label.text()
    )
    QApplication.processEvents()
