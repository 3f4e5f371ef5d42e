"""Peer tips (无师自通) on the Content page, driven the way a guide does: the real store."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt

from app.domain.tips import MAX_TIP_CHARS
from app.store import outbox
from app.ui.content.page import ContentPage, PictureSource
from app.ui.content.tips import TipDialog, TipsPanel
from tests.ui.conftest import change
from tests.ui.test_customer_book import type_into
from tests.ui.test_fit import SMALL, assert_fits, lang, open_window, settle  # noqa: F401


def tip(tid: str, body: str, *, created_at: str, pinned=False, hidden=False, **extra) -> dict:
    data = {
        "id": tid,
        "guide_id": "G002",
        "guide_name": "李娜",
        "store_id": "S001",
        "audience": "brand",
        "body": body,
        "image": None,
        "created_at": created_at,
        "pinned": pinned,
        "hidden": hidden,
    }
    data.update(extra)
    return change("tip", data)


def open_page(qtbot, session, guide) -> ContentPage:
    page = ContentPage(session, guide, pictures=PictureSource(session, None, None))
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    qtbot.waitUntil(lambda: page.ready and page.tips.ready)
    page.content_tabs.setCurrentWidget(page.tips)
    return page


def open_dialog(qtbot, panel: TipsPanel) -> TipDialog:
    qtbot.mouseClick(panel.post_button, Qt.MouseButton.LeftButton)
    dialog = panel.dialog  # the one this click opened (a closed one is deleted later)
    assert isinstance(dialog, TipDialog) and dialog.objectName() == "tipDialog"
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def closed(dialog: TipDialog) -> bool:
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def tip_entries(session) -> list:
    return [e for e in outbox.pending(session.conn) if e.entity == "tip"]


def test_empty_state_then_a_typed_tip_posts_with_ctrl_enter_and_shows_at_once(
    qtbot, session, guide
):
    page = open_page(qtbot, session, guide)
    panel = page.tips
    assert panel.empty.isVisible()
    assert "No tips yet" in panel.empty.text() or "还没有心得" in panel.empty.text()

    dialog = open_dialog(qtbot, panel)
    type_into(qtbot, dialog.text, "试衣间多放一面镜子")
    assert dialog.counter.text() == f"9 / {MAX_TIP_CHARS}"
    dialog.audience.setCurrentIndex(dialog.audience.findData("brand"))
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: closed(dialog))
    qtbot.waitUntil(lambda: panel.list.count() == 1)
    text = panel.list.item(0).text()
    assert "试衣间多放一面镜子" in text and "王丽" in text
    assert "Waiting for sync" in text or "待同步" in text
    assert not panel.empty.isVisible()
    entries = tip_entries(session)
    assert [(e.entity, e.op) for e in entries] == [("tip", "create")]
    assert entries[0].payload["body"] == "试衣间多放一面镜子"
    assert entries[0].payload["audience"] == "brand"
    assert panel.draft == ""


def test_pinned_first_new_guide_block_and_hidden_not_shown(qtbot, session, guide, add_records):
    add_records(
        [
            tip("T-OLD-PIN", "先问尺码再推荐", created_at="2026-11-01T02:00:00Z", pinned=True),
            tip("T-NEW", "雨天提醒顾客带伞", created_at="2026-12-01T02:00:00Z"),
            tip("T-HIDDEN", "不该出现的心得", created_at="2026-12-01T03:00:00Z", hidden=True),
            tip("T-MID", "会员日提前一天发消息", created_at="2026-11-20T02:00:00Z"),
        ]
    )
    page = open_page(qtbot, session, guide)
    panel = page.tips
    # G001 has no shares yet: a new guide sees the pinned tips in their own block first
    assert panel.tips.new_guide
    assert panel.must_list.isVisible() and panel.must_title.isVisible()
    must = panel.item_texts(panel.must_list)
    assert len(must) == 1 and "先问尺码再推荐" in must[0]
    assert "Pinned" in must[0] or "置顶" in must[0]
    rest = panel.item_texts()
    assert [t.split("\n")[0] for t in rest] == ["雨天提醒顾客带伞", "会员日提前一天发消息"]
    assert all("不该出现" not in t for t in must + rest)
    assert "李娜" in rest[0] and ("brand" in rest[0] or "全品牌" in rest[0])


def test_an_hq_change_to_tips_reloads_the_panel(qtbot, session, guide, add_records):
    page = open_page(qtbot, session, guide)
    panel = page.tips
    add_records([tip("T-PIN", "置顶的心得", created_at="2026-11-01T02:00:00Z", pinned=True)])
    from app.store.changes import Changes

    session.hub.publish(Changes(entities=frozenset({"tip"})))
    qtbot.waitUntil(lambda: panel.must_list.count() == 1)
    add_records([tip("T-PIN", "置顶的心得", created_at="2026-11-01T02:00:00Z", hidden=True)])
    session.hub.publish(Changes(entities=frozenset({"tip"})))
    qtbot.waitUntil(lambda: panel.empty.isVisible())


def test_too_long_keeps_the_dialog_open_with_a_message_and_writes_nothing(qtbot, session, guide):
    page = open_page(qtbot, session, guide)
    panel = page.tips
    dialog = open_dialog(qtbot, panel)
    dialog.text.setPlainText("长" * (MAX_TIP_CHARS + 1))
    assert dialog.counter.text() == f"{MAX_TIP_CHARS + 1} / {MAX_TIP_CHARS}"
    qtbot.mouseClick(dialog.post_button, Qt.MouseButton.LeftButton)
    qtbot.wait(100)
    assert dialog.isVisible()
    assert dialog.message.text()
    assert dialog.text.toPlainText() == "长" * (MAX_TIP_CHARS + 1)
    assert tip_entries(session) == []
    assert panel.list.count() == 0


def test_escape_then_reopen_restores_the_typed_text(qtbot, session, guide):
    page = open_page(qtbot, session, guide)
    panel = page.tips
    dialog = open_dialog(qtbot, panel)
    type_into(qtbot, dialog.text, "导购要先微笑")
    dialog.audience.setCurrentIndex(dialog.audience.findData("brand"))
    qtbot.keyClick(dialog.text, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: closed(dialog))
    assert tip_entries(session) == []

    again = open_dialog(qtbot, panel)
    assert again.text.toPlainText() == "导购要先微笑"
    assert again.audience.currentData() == "brand"


def test_a_file_that_is_not_a_picture_gets_a_message_and_keeps_the_text(
    qtbot, session, guide, tmp_path
):
    page = open_page(qtbot, session, guide)
    dialog = open_dialog(qtbot, page.tips)
    type_into(qtbot, dialog.text, "带图的心得")
    bogus = tmp_path / "notes.jpg"
    bogus.write_text("not a picture")
    assert not dialog.set_picture_file(str(bogus))
    assert dialog.message.text() and dialog.picture is None
    assert dialog.text.toPlainText() == "带图的心得"


def test_a_posted_picture_is_cached_under_its_hash_and_shows_as_the_thumbnail(
    qtbot, session, guide, tmp_path
):
    from PySide6.QtGui import QColor, QImage

    from app.store.picture_cache import PictureCache

    cache = PictureCache(tmp_path / "pictures")
    page = ContentPage(session, guide, pictures=PictureSource(session, cache, None))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.tips.ready)
    panel = page.tips
    dialog = open_dialog(qtbot, panel)
    type_into(qtbot, dialog.text, "陈列要有主次")
    image = QImage(800, 600, QImage.Format.Format_RGB32)
    image.fill(QColor("#2e86de"))
    path = tmp_path / "shelf.png"
    assert image.save(str(path))
    assert dialog.set_picture_file(str(path))
    qtbot.mouseClick(dialog.post_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: closed(dialog))
    qtbot.waitUntil(lambda: panel.list.count() == 1 and panel.tips.tips[0].image is not None)
    sha = panel.tips.tips[0].image
    assert cache.get(sha) is not None  # the bytes HQ will hash the same way
    assert "picture" in tip_entries(session)[0].payload
    qtbot.waitUntil(lambda: panel.pictures.image(sha) is not None)

    def blue_thumbnail() -> bool:
        color = panel.list.item(0).icon().pixmap(64, 48).toImage().pixelColor(32, 24)
        return color.blue() > 180 and color.red() < 90  # the picture, not the grey placeholder

    qtbot.waitUntil(blue_thumbnail)


def test_the_tips_tab_and_the_dialog_fit_1024x768(qtbot, lang, session, guide, add_records):  # noqa: F811
    add_records(
        [
            tip("T-PIN", "先问尺码再推荐" * 8, created_at="2026-11-01T02:00:00Z", pinned=True),
            tip("T-NEW", "雨天提醒顾客带伞", created_at="2026-12-01T02:00:00Z"),
        ]
    )
    window = open_window(qtbot, session, guide, SMALL)
    window.show_section("content")
    page = window.content
    qtbot.waitUntil(lambda: page.tips.ready and page.tips.must_list.count() == 1)
    page.content_tabs.setCurrentWidget(page.tips)
    settle(qtbot, window)
    assert page.tips.must_list.isVisible()
    assert_fits(window, f"Tips tab {lang}")
    dialog = page.tips.open_dialog()
    qtbot.waitUntil(dialog.isVisible)
    settle(qtbot, dialog)
    assert_fits(dialog, f"tip dialog {lang}")
