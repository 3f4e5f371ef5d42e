"""Free composition (自由组合), driven the way a guide does: products, a picture, their own
words, the 631 category; a draft that survives Esc, a restart and a kill; a share."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from app.store import db, outbox
from app.store.compositions import list_compositions
from app.ui.content.compose import AUTOSAVE_MS, ComposeDialog
from app.ui.session import Session
from tests.ui.test_content import PICTURE, SHA, library, open_page, tick
from tests.ui.test_customer_book import type_into

WORDS = "{称呼}您好，我是{门店}的{导购}。\n上次说的围巾到了，配您的大衣正好。"


def check(qtbot, widget, item) -> None:
    """Tick a list entry with the keyboard (Space on the current entry)."""
    widget.setCurrentItem(item)
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_Space)
    assert item.checkState() == Qt.CheckState.Checked


def choose_service(qtbot, dialog: ComposeDialog) -> None:
    dialog.category.setFocus()
    while dialog.category.value() != "service":
        qtbot.keyClick(dialog.category, Qt.Key.Key_Down)
    assert dialog.category.value() == "service"


def open_composer(qtbot, page) -> ComposeDialog:
    qtbot.mouseClick(page.compose.compose_button, Qt.MouseButton.LeftButton)
    dialog = page.compose.composer
    assert dialog is not None and dialog.objectName() == "composeDialog"
    qtbot.waitUntil(lambda: dialog.ready)
    return dialog


def compose(qtbot, dialog: ComposeDialog, *, words: bool = True) -> None:
    if words:
        dialog.text.setFocus()
        type_into(qtbot, dialog.text, WORDS)
    type_into(qtbot, dialog.product_search, "围巾")
    qtbot.waitUntil(lambda: dialog.ready and dialog.products.count() == 1)
    check(qtbot, dialog.products, dialog.product_item("S200"))
    check(qtbot, dialog.picture_list, dialog.picture_item(SHA))
    choose_service(qtbot, dialog)


def stored(path) -> list:
    conn = db.connect(path)
    try:
        return list_compositions(conn, "G001")
    finally:
        conn.close()


def test_save_close_and_reopen_the_page_after_a_restart(
    qtbot, session, guide, add_records, picture_cache, terminal, clock
) -> None:
    add_records(library())
    picture_cache.put(SHA, PICTURE)
    page = open_page(qtbot, session, guide, picture_cache)
    assert page.compose.compose_button.objectName() == "composeButton"
    dialog = open_composer(qtbot, page)
    qtbot.waitUntil(lambda: not dialog.thumbnail_is_placeholder(SHA))  # cached: its thumbnail
    compose(qtbot, dialog)
    assert "王女士您好，我是静安嘉里店的王丽。" in dialog.preview.text()  # a sample customer
    assert "羊绒围巾 ¥599.00" in dialog.preview_meta.text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.saved_count >= 1)
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.compose.ready and len(page.compose.drafts) == 1)
    assert page.compose.drafts_button.text() == "My drafts (1)"

    # A restart: a new session over the same file, a new page.
    again = Session(terminal, clock=clock)
    try:
        page2 = open_page(qtbot, again, guide, picture_cache)
        qtbot.waitUntil(lambda: page2.compose.ready and len(page2.compose.drafts) == 1)
        qtbot.mouseClick(page2.compose.drafts_button, Qt.MouseButton.LeftButton)
        drafts = page2.compose.drafts_dialog
        qtbot.waitUntil(lambda: drafts.ready and drafts.model.rowCount() == 1)
        rect = drafts.list.visualRect(drafts.model.index(0, 0))
        qtbot.mouseClick(drafts.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseClick(drafts.open_button, Qt.MouseButton.LeftButton)
        reopened = page2.compose.composer
        assert reopened is not None
        qtbot.waitUntil(lambda: reopened.ready)
        assert reopened.text.toPlainText() == WORDS
        assert reopened.category.value() == "service"
        assert reopened.picture_item(SHA).checkState() == Qt.CheckState.Checked
        assert "羊绒围巾" in reopened.preview_meta.text()  # the picked product by its name
        qtbot.mouseClick(reopened.delete_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page2.compose.ready and page2.compose.drafts == [])
    finally:
        page2.close()
        page2.deleteLater()
        QApplication.processEvents()
        again.close()
    assert stored(terminal) == []


def test_esc_keeps_the_draft(qtbot, session, guide, add_records, picture_cache, terminal) -> None:
    add_records(library())
    page = open_page(qtbot, session, guide, picture_cache)  # nothing cached: placeholders
    dialog = open_composer(qtbot, page)
    assert dialog.thumbnail_is_placeholder(SHA)
    dialog.text.setFocus()
    type_into(qtbot, dialog.text, "周末来店里试试新到的大衣")
    qtbot.keyClick(dialog.text, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: page.compose.ready and len(page.compose.drafts) == 1)
    assert page.compose.drafts[0].body == "周末来店里试试新到的大衣"


def test_typing_is_kept_on_a_timer_without_closing(
    qtbot, session, guide, add_records, picture_cache, terminal
) -> None:
    """A kill after typing: what the autosave kept is in the file, read from outside."""
    add_records(library())
    page = open_page(qtbot, session, guide, picture_cache)
    dialog = open_composer(qtbot, page)
    dialog.text.setFocus()
    type_into(qtbot, dialog.text, "只打了一半")
    assert stored(terminal) == []
    qtbot.waitUntil(lambda: dialog.saved_count >= 1, timeout=AUTOSAVE_MS + 3000)
    assert [c.body for c in stored(terminal)] == ["只打了一半"]
    assert dialog.isVisible()
    # An untouched new composer leaves nothing behind.
    dialog.close()
    second = open_composer(qtbot, page)
    qtbot.keyClick(second, Qt.Key.Key_Escape)
    qtbot.wait(50)
    assert len(stored(terminal)) == 1


def test_share_opens_the_share_dialog_and_records_a_composed_share(
    qtbot, session, guide, add_records, picture_cache
) -> None:
    add_records(library())
    picture_cache.put(SHA, PICTURE)
    page = open_page(qtbot, session, guide, picture_cache)
    dialog = open_composer(qtbot, page)
    dialog.text.setFocus()
    type_into(qtbot, dialog.text, WORDS)
    qtbot.mouseClick(dialog.share_button, Qt.MouseButton.LeftButton)  # no category yet
    assert "Choose the 631 category" in dialog.problems.text()
    assert dialog.isVisible()
    compose(qtbot, dialog, words=False)
    qtbot.mouseClick(dialog.share_button, Qt.MouseButton.LeftButton)
    share = page.share_dialog
    assert share.objectName() == "shareDialog" and share.piece.composed
    qtbot.waitUntil(lambda: share.ready and share.image is not None)
    tick(qtbot, share, "C1")
    qtbot.mouseClick(share.copy_button, Qt.MouseButton.LeftButton)
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.text() == WORDS.replace("{称呼}", "张女士").replace("{门店}", "静安嘉里店").replace(
        "{导购}", "王丽"
    )
    assert mime.hasImage() and QImage(mime.imageData()).pixelColor(5, 5) == QColor("#c0392b")

    def recorded():
        return [e.payload for e in outbox.pending(session.conn) if e.entity == "share"]

    qtbot.waitUntil(lambda: len(recorded()) == 1)
    payload = recorded()[0]
    assert payload["content_id"] is None and payload["body"] == WORDS
    assert payload["skus"] == ["S200"] and payload["images"] == [SHA]
    assert payload["category_631"] == "service" and payload["customer_id"] == "C1"
    row = session.conn.execute("SELECT content_id, skus FROM shares").fetchone()
    assert row["content_id"] is None and json.loads(row["skus"]) == ["S200"]
    qtbot.waitUntil(lambda: len(page.compose.drafts) == 1)  # the draft stays for next time


def test_limits_are_said_in_the_dialog(qtbot, session, guide, add_records, picture_cache) -> None:
    add_records(library())
    page = open_page(qtbot, session, guide, picture_cache)
    dialog = open_composer(qtbot, page)
    dialog.text.setPlainText("字" * 2001)  # a long paste
    assert "longer than 2000 characters" in dialog.problems.text()
    choose_service(qtbot, dialog)
    qtbot.mouseClick(dialog.share_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and getattr(page, "share_dialog", None) is None


@pytest.mark.parametrize("ctrl_s", [True])
def test_ctrl_s_saves(qtbot, session, guide, add_records, picture_cache, terminal, ctrl_s) -> None:
    page = open_page(qtbot, session, guide, picture_cache)
    dialog = open_composer(qtbot, page)
    dialog.text.setFocus()
    type_into(qtbot, dialog.text, "Ctrl+S 保存")
    qtbot.keyClick(dialog.text, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: dialog.saved_count >= 1)
    assert dialog.note.text() == "Draft saved."
    assert [c.body for c in stored(terminal)] == ["Ctrl+S 保存"]


def test_in_chinese_the_guide_chooses_service(qtbot, qapp, session, guide, picture_cache) -> None:
    from app.ui.app import install_translator

    translator = install_translator(qapp, "zh_CN")
    try:
        page = open_page(qtbot, session, guide, picture_cache)
        assert page.compose.compose_button.text() == "自由组合…"
        assert page.compose.drafts_button.text() == "我的草稿（0）"
        dialog = open_composer(qtbot, page)
        labels = [dialog.category.itemText(i) for i in range(dialog.category.count())]
        assert labels[0] == "选择 631 类别" and any(t.startswith("服务") for t in labels)
        choose_service(qtbot, dialog)
        assert dialog.category.currentText().startswith("服务")
        assert dialog.save_button.text() == "保存草稿" and dialog.share_button.text() == "分享…"
    finally:
        if translator is not None:
            qapp.removeTranslator(translator)
