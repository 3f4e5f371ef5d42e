"""Forgiving dialogs, driven as a busy guide drives them: typing, Esc, Tab, ↑ on a date.

Nothing typed is lost by a key press: Esc (or Cancel, or the close box) keeps it as a
draft that comes back the next time the dialog opens for that customer (and task), for
that guide, also after the app restarts; a save removes it. Tab moves between fields;
↑/↓ and PgUp/PgDn on a date move days and months; every dialog names its customer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDateEdit,
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
)

from app.store import outbox
from app.store.customers import customer_profile
from app.store.drafts import DraftKey, DraftKind, draft_count, load_draft
from app.ui.app import install_translator
from app.ui.customers.book import CustomerBook
from app.ui.customers.dialogs import AUTOSAVE_MS
from app.ui.session import Session
from tests.ui.conftest import PIN
from tests.ui.test_customer_book import make_book, type_into
from tests.ui.test_i18n import english_words, visible_texts
from tests.ui.test_idle_lock import open_follow_up, open_window, unlock_with
from tests.ui.test_today import TASKS, click_target, click_task, open_today

FOLLOW_UP_C1 = DraftKey(DraftKind.FOLLOWUP, "G001", "C1")


def open_dialog(qtbot, name: str) -> QDialog:
    """The one visible dialog called ``name`` (closed ones of before stay hidden)."""
    found: list[QDialog] = []

    def present() -> bool:
        found[:] = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QDialog) and w.objectName() == name and w.isVisible()
        ]
        return len(found) == 1

    qtbot.waitUntil(present)
    found[0].activateWindow()  # shortcuts (Ctrl+Enter) work in the active window
    qtbot.waitUntil(found[0].isActiveWindow)
    return found[0]


def follow_up(qtbot, book: CustomerBook, customer_id: str) -> QDialog:
    """Choose the customer in the list, press 记跟进: the dialog, open."""
    book.table.selectRow(book.model.row_of(customer_id))
    qtbot.waitUntil(
        lambda: (
            book.profile.ready
            and book.profile.profile is not None
            and book.profile.profile.id == customer_id
        )
    )
    button = book.profile.findChild(QPushButton, "logFollowUpButton")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return open_dialog(qtbot, "followUpDialog")


def note_of(dialog: QDialog, name: str = "followUpNote") -> QPlainTextEdit:
    note = dialog.findChild(QPlainTextEdit, name)
    assert note is not None
    return note


def banner_shown(dialog: QDialog) -> bool:
    label = dialog.findChild(QLabel, "draftRestored")
    return label is not None and label.isVisible()


def press_escape(qtbot, dialog: QDialog, widget) -> None:
    qtbot.keyClick(widget, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_esc_keeps_the_typing_for_that_customer_only(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    dialog = follow_up(qtbot, book, "C1")
    type_into(qtbot, note_of(dialog), "电话问候，她想要米白色")
    press_escape(qtbot, dialog, note_of(dialog))
    qtbot.waitUntil(lambda: load_draft(session.conn, FOLLOW_UP_C1) is not None)
    assert outbox.pending(session.conn) == []  # a draft is no follow-up and never syncs

    again = follow_up(qtbot, book, "C1")
    assert note_of(again).toPlainText() == "电话问候，她想要米白色"
    assert banner_shown(again)
    assert again.findChild(QLabel, "draftRestored").text() == (
        "Restored what you typed last time and did not save."
    )
    assert again.save_button.isEnabled()
    press_escape(qtbot, again, note_of(again))

    other = follow_up(qtbot, book, "C2")
    assert note_of(other).toPlainText() == "" and not banner_shown(other)
    assert not other.save_button.isEnabled()
    press_escape(qtbot, other, note_of(other))
    assert load_draft(session.conn, DraftKey(DraftKind.FOLLOWUP, "G001", "C2")) is None


def test_saving_a_restored_draft_removes_it(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    dialog = follow_up(qtbot, book, "C1")
    type_into(qtbot, note_of(dialog), "周六来试穿")
    press_escape(qtbot, dialog, note_of(dialog))
    qtbot.waitUntil(lambda: load_draft(session.conn, FOLLOW_UP_C1) is not None)

    again = follow_up(qtbot, book, "C1")
    note = note_of(again)
    type_into(qtbot, note, "，带朋友")
    with qtbot.waitSignal(session.hub.changed):
        qtbot.keyClick(note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not again.isVisible())
    qtbot.waitUntil(lambda: load_draft(session.conn, FOLLOW_UP_C1) is None)
    assert [e.payload["note"] for e in outbox.pending(session.conn)] == ["周六来试穿，带朋友"]

    fresh = follow_up(qtbot, book, "C1")
    assert note_of(fresh).toPlainText() == "" and not banner_shown(fresh)
    fresh.reject()


def test_discard_draft_empties_the_dialog_and_the_store(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    dialog = follow_up(qtbot, book, "C1")
    type_into(qtbot, note_of(dialog), "不要了")
    dialog.findChild(QCheckBox, "followUpHasNext").click()
    qtbot.mouseClick(dialog.findChild(QPushButton, "cancelButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: load_draft(session.conn, FOLLOW_UP_C1) is not None)

    again = follow_up(qtbot, book, "C1")
    assert again.findChild(QCheckBox, "followUpHasNext").isChecked()  # all of it came back
    qtbot.mouseClick(again.findChild(QPushButton, "discardDraftButton"), Qt.MouseButton.LeftButton)
    assert note_of(again).toPlainText() == "" and not banner_shown(again)
    assert not again.findChild(QCheckBox, "followUpHasNext").isChecked()
    assert note_of(again).hasFocus()
    qtbot.waitUntil(lambda: load_draft(session.conn, FOLLOW_UP_C1) is None)
    press_escape(qtbot, again, note_of(again))
    qtbot.wait(50)
    assert draft_count(session.conn) == 0  # an empty dialog leaves nothing behind


def test_emptying_a_restored_draft_and_pressing_esc_removes_it(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    dialog = follow_up(qtbot, book, "C1")
    type_into(qtbot, note_of(dialog), "ab")
    press_escape(qtbot, dialog, note_of(dialog))
    qtbot.waitUntil(lambda: load_draft(session.conn, FOLLOW_UP_C1) is not None)
    again = follow_up(qtbot, book, "C1")
    note = note_of(again)
    note.moveCursor(note.textCursor().MoveOperation.End)
    qtbot.keyClick(note, Qt.Key.Key_Backspace)
    qtbot.keyClick(note, Qt.Key.Key_Backspace)
    assert note.toPlainText() == ""
    press_escape(qtbot, again, note)
    qtbot.waitUntil(lambda: load_draft(session.conn, FOLLOW_UP_C1) is None)


def test_another_guide_does_not_get_the_draft(qtbot, session, guide, manager) -> None:
    book = make_book(qtbot, session, guide)
    dialog = follow_up(qtbot, book, "C1")
    type_into(qtbot, note_of(dialog), "王丽的草稿")
    press_escape(qtbot, dialog, note_of(dialog))
    qtbot.waitUntil(lambda: load_draft(session.conn, FOLLOW_UP_C1) is not None)
    managers = make_book(qtbot, session, manager)
    qtbot.waitUntil(lambda: managers.model.row_of("C1") is not None)
    theirs = follow_up(qtbot, managers, "C1")
    assert note_of(theirs).toPlainText() == "" and not banner_shown(theirs)
    theirs.reject()


def test_a_draft_survives_a_restart(qtbot, terminal: Path, clock, guide) -> None:
    """Esc, the app closes; a new session on the same file: the text is back."""
    first = Session(terminal, clock=clock)
    book = make_book(qtbot, first, guide)
    dialog = follow_up(qtbot, book, "C1")
    type_into(qtbot, note_of(dialog), "下周三再打电话")
    press_escape(qtbot, dialog, note_of(dialog))
    qtbot.waitUntil(lambda: load_draft(first.conn, FOLLOW_UP_C1) is not None)
    book.close()
    first.close()

    second = Session(terminal, clock=clock)
    try:
        book = make_book(qtbot, second, guide)
        again = follow_up(qtbot, book, "C1")
        assert note_of(again).toPlainText() == "下周三再打电话" and banner_shown(again)
        again.reject()
        book.close()
    finally:
        second.close()


def test_typing_is_kept_while_the_dialog_is_open(qtbot, terminal: Path, clock, guide) -> None:
    """No Esc ever comes when the app closes with the dialog open (end of a shift): a
    pause in the typing is kept all the same."""
    first = Session(terminal, clock=clock)
    book = make_book(qtbot, first, guide)
    dialog = follow_up(qtbot, book, "C1")
    type_into(qtbot, note_of(dialog), "她说月底发工资再来")
    qtbot.waitUntil(
        lambda: load_draft(first.conn, FOLLOW_UP_C1) is not None, timeout=AUTOSAVE_MS + 3000
    )
    assert dialog.isVisible()
    book.close()  # as the app does at a sign-out or when it quits: the dialog goes with it
    book.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))
    first.close()

    second = Session(terminal, clock=clock)
    try:
        book = make_book(qtbot, second, guide)
        again = follow_up(qtbot, book, "C1")
        assert note_of(again).toPlainText() == "她说月底发工资再来"
        again.reject()
        book.close()
    finally:
        second.close()


def test_tab_moves_from_the_note_to_the_next_field_and_reaches_the_date(
    qtbot, session, guide
) -> None:
    book = make_book(qtbot, session, guide)
    dialog = follow_up(qtbot, book, "C1")
    note = note_of(dialog)
    type_into(qtbot, note, "abc")
    qtbot.keyClick(note, Qt.Key.Key_Tab)
    assert note.toPlainText() == "abc"  # no tab character
    has_next = dialog.findChild(QCheckBox, "followUpHasNext")
    assert QApplication.focusWidget() is has_next
    qtbot.keyClick(has_next, Qt.Key.Key_Tab)
    date = dialog.findChild(QDateEdit, "followUpNextDate")
    assert QApplication.focusWidget() in (date, date.lineEdit()) or date.hasFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # one Tab past the date
    assert QApplication.focusWidget() is dialog.save_button
    qtbot.keyClick(dialog.save_button, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert date.hasFocus()
    # Ctrl+Tab types a tab, should one ever be wanted
    note.setFocus()
    qtbot.keyClick(note, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert note.toPlainText() == "abc\t"
    dialog.reject()


def test_up_and_page_up_on_the_date_move_the_day_and_the_month(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    dialog = follow_up(qtbot, book, "C1")
    date = dialog.findChild(QDateEdit, "followUpNextDate")
    has_next = dialog.findChild(QCheckBox, "followUpHasNext")
    assert date.date() == QDate(2026, 11, 29) and not has_next.isChecked()  # today + 7
    date.setFocus()
    date.lineEdit().setCursorPosition(0)  # in the year: ↑ moved the year before
    qtbot.keyClick(date, Qt.Key.Key_Up)
    assert date.date() == QDate(2026, 11, 30)
    assert has_next.isChecked()  # choosing a date means following up then
    qtbot.keyClick(date, Qt.Key.Key_Up)
    assert date.date() == QDate(2026, 12, 1)
    date.lineEdit().setCursorPosition(6)  # in the month
    qtbot.keyClick(date, Qt.Key.Key_Down)
    assert date.date() == QDate(2026, 11, 30)
    qtbot.keyClick(date, Qt.Key.Key_PageUp)
    assert date.date() == QDate(2026, 12, 30)
    qtbot.keyClick(date, Qt.Key.Key_PageDown)
    qtbot.keyClick(date, Qt.Key.Key_PageDown)
    assert date.date() == QDate(2026, 11, 22)  # not before today
    type_into(qtbot, note_of(dialog), "x")
    assert dialog.value().next_followup_on == "2026-11-22"
    dialog.reject()


def test_every_dialog_names_its_customer_with_the_phone_masked(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    dialog = follow_up(qtbot, book, "C1")
    assert dialog.windowTitle() == "Log a follow-up — 张三  138****5678"
    assert dialog.findChild(QLabel, "dialogCustomer").text() == "张三  138****5678"
    dialog.reject()
    qtbot.mouseClick(
        book.profile.findChild(QPushButton, "editCustomerButton"), Qt.MouseButton.LeftButton
    )
    edit = open_dialog(qtbot, "editCustomerDialog")
    assert edit.windowTitle() == "Edit customer — 张三  138****5678"
    assert edit.findChild(QLabel, "dialogCustomer").text() == "张三  138****5678"
    for shown in (dialog, edit):
        texts = [shown.windowTitle()] + [label.text() for label in shown.findChildren(QLabel)]
        assert not any("13812345678" in text for text in texts)
    edit.reject()


def test_the_edit_dialog_keeps_only_what_was_changed(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    book.table.selectRow(book.model.row_of("C1"))
    qtbot.waitUntil(lambda: book.profile.ready and book.profile.profile.id == "C1")
    edit_button = book.profile.findChild(QPushButton, "editCustomerButton")
    qtbot.mouseClick(edit_button, Qt.MouseButton.LeftButton)
    edit = open_dialog(qtbot, "editCustomerDialog")
    press_escape(qtbot, edit, edit.findChild(QLineEdit, "editTags"))  # nothing changed
    qtbot.mouseClick(edit_button, Qt.MouseButton.LeftButton)
    edit = open_dialog(qtbot, "editCustomerDialog")
    assert not banner_shown(edit)
    note = note_of(edit, "editNote")
    type_into(qtbot, note, "只在周末联系")
    qtbot.keyClick(note, Qt.Key.Key_Tab)
    assert note.toPlainText() == "只在周末联系"  # Tab moved on
    press_escape(qtbot, edit, QApplication.focusWidget())
    key = DraftKey(DraftKind.EDIT_CUSTOMER, "G001", "C1")
    qtbot.waitUntil(lambda: load_draft(session.conn, key) is not None)
    assert load_draft(session.conn, key).fields == {"note": "只在周末联系"}

    qtbot.mouseClick(edit_button, Qt.MouseButton.LeftButton)
    edit = open_dialog(qtbot, "editCustomerDialog")
    assert banner_shown(edit) and note_of(edit, "editNote").toPlainText() == "只在周末联系"
    assert edit.findChild(QLineEdit, "editTags").text() == "新品控、VIP"  # untouched
    with qtbot.waitSignal(session.hub.changed):
        qtbot.mouseClick(edit.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not edit.isVisible())
    qtbot.waitUntil(lambda: load_draft(session.conn, key) is None)
    assert customer_profile(session.conn, "C1").note == "只在周末联系"
    (entry,) = outbox.pending(session.conn)
    assert set(entry.payload["fields"]) == {"note"}


def test_the_outcome_dialog_keeps_a_draft_per_customer_and_task(
    qtbot, session, guide, add_records
) -> None:
    add_records(TASKS)
    _window, today = open_today(qtbot, session, guide)

    def outcome_for(task_title: str, name: str, customer_id: str) -> QDialog:
        click_task(qtbot, today, task_title)
        click_target(qtbot, today, name)
        qtbot.waitUntil(lambda: today.profile.ready and today.profile.customer_id == customer_id)
        button = today.findChild(QPushButton, "recordOutcomeButton")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        return open_dialog(qtbot, "outcomeDialog")

    dialog = outcome_for("回访流失老客", "单丽", "C4")  # T2 asks for an evidence note
    assert dialog.windowTitle() == "Record the outcome — 单丽  150****3333"
    assert dialog.findChild(QLabel, "outcomeCustomer").text() == "单丽  150****3333"
    note = note_of(dialog, "outcomeNote")
    type_into(qtbot, note, "她说下月再来")
    qtbot.keyClick(note, Qt.Key.Key_Tab)  # from the note to the evidence
    evidence = note_of(dialog, "outcomeEvidenceNote")
    assert evidence.hasFocus() and note.toPlainText() == "她说下月再来"
    type_into(qtbot, evidence, "发了优惠券")
    press_escape(qtbot, dialog, evidence)
    key = DraftKey(DraftKind.TASK_OUTCOME, "G001", "C4", "T2")
    qtbot.waitUntil(lambda: load_draft(session.conn, key) is not None)

    other_task = outcome_for("发截图", "单丽", "C4")  # the same customer, another task
    assert note_of(other_task, "outcomeNote").toPlainText() == ""
    assert not banner_shown(other_task)
    press_escape(qtbot, other_task, note_of(other_task, "outcomeNote"))

    again = outcome_for("回访流失老客", "单丽", "C4")
    assert banner_shown(again)
    assert note_of(again, "outcomeNote").toPlainText() == "她说下月再来"
    assert note_of(again, "outcomeEvidenceNote").toPlainText() == "发了优惠券"
    assert again.save_button.isEnabled()
    with qtbot.waitSignal(session.hub.changed):
        qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not again.isVisible())
    qtbot.waitUntil(lambda: load_draft(session.conn, key) is None)
    assert draft_count(session.conn) == 0


def test_change_pin_esc_just_closes_and_keeps_no_pin(qtbot, session, guide) -> None:
    from app.ui.change_pin import ChangePinDialog

    dialog = ChangePinDialog(session, guide, "session-1", authority=object())
    qtbot.addWidget(dialog)
    dialog.show()
    field = dialog.findChild(QLineEdit, "changePinNew")
    qtbot.keyClicks(field, "135790")
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.outcome == ChangePinDialog.CANCELLED
    qtbot.wait(50)
    assert draft_count(session.conn) == 0


@pytest.fixture
def chinese(qapp):
    translator = install_translator(qapp, "zh_CN")
    assert translator is not None
    yield
    qapp.removeTranslator(translator)


def test_a_restored_draft_says_so_in_chinese(qtbot, chinese, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    dialog = follow_up(qtbot, book, "C1")
    type_into(qtbot, note_of(dialog), "回访")
    press_escape(qtbot, dialog, note_of(dialog))
    qtbot.waitUntil(lambda: load_draft(session.conn, FOLLOW_UP_C1) is not None)
    again = follow_up(qtbot, book, "C1")
    assert again.findChild(QLabel, "draftRestored").text() == "上次未保存的内容已恢复"
    assert again.findChild(QPushButton, "discardDraftButton").text() == "丢弃草稿"
    assert again.windowTitle().endswith(" — 张三  138****5678")
    assert not english_words(visible_texts(again))
    again.reject()


def test_the_idle_lock_keeps_the_typing_as_a_draft_and_brings_the_dialog_back(
    qtbot, session, guide
) -> None:
    """Locked mid-sentence (Ctrl+L from the dialog): the typing is in the store at once,
    in case the app ends before the guide is back; unlocked, the same dialog is back."""
    window = open_window(qtbot, session, guide, idle_seconds=3600)
    dialog, note = open_follow_up(qtbot, window, "她想要米白色M码")
    qtbot.keyClick(note, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.locked)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: load_draft(session.conn, FOLLOW_UP_C1) is not None)
    assert load_draft(session.conn, FOLLOW_UP_C1).fields["note"] == "她想要米白色M码"
    unlock_with(qtbot, window, PIN)
    qtbot.waitUntil(lambda: not window.locked)
    qtbot.waitUntil(dialog.isVisible)
    assert note.toPlainText() == "她想要米白色M码"
    open_dialog(qtbot, "followUpDialog")
    with qtbot.waitSignal(session.hub.changed):
        qtbot.keyClick(note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    qtbot.waitUntil(lambda: load_draft(session.conn, FOLLOW_UP_C1) is None)


def test_a_pasted_screenshot_comes_back_after_the_close_box(
    qtbot, session, guide, add_records
) -> None:
    add_records(TASKS)
    _window, today = open_today(qtbot, session, guide)

    def outcome_dialog() -> QDialog:
        click_task(qtbot, today, "发截图")
        click_target(qtbot, today, "单丽")
        qtbot.waitUntil(lambda: today.profile.ready and today.profile.customer_id == "C4")
        button = today.findChild(QPushButton, "recordOutcomeButton")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        return open_dialog(qtbot, "outcomeDialog")

    dialog = outcome_dialog()
    image = QImage(800, 600, QImage.Format.Format_RGB32)
    image.fill(QColor("#88aa44"))
    QGuiApplication.clipboard().setImage(image)
    note = note_of(dialog, "outcomeNote")
    qtbot.keyClick(note, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(dialog.save_button.isEnabled)
    pasted = dialog.picture
    dialog.close()  # the window's close box
    assert not dialog.isVisible()
    key = DraftKey(DraftKind.TASK_OUTCOME, "G001", "C4", "T3")
    qtbot.waitUntil(lambda: load_draft(session.conn, key) is not None)

    QGuiApplication.clipboard().clear()
    again = outcome_dialog()
    assert banner_shown(again) and again.save_button.isEnabled()
    preview = again.findChild(QLabel, "outcomePicturePreview")
    assert preview.pixmap() is not None and not preview.pixmap().isNull()
    assert preview.pixmap().width() <= 220
    with qtbot.waitSignal(session.hub.changed):
        qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not again.isVisible())
    assert outbox.pending(session.conn)[-1].payload["evidence_picture"] == pasted
    qtbot.waitUntil(lambda: load_draft(session.conn, key) is None)
