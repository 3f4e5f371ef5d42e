"""The Content page and the share dialog, driven the way a guide does."""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from app.store import outbox
from app.ui.content.page import ContentPage, PictureSource
from app.ui.main_window import MainWindow
from app.ui.sync_panel import SyncController
from tests.ui.conftest import change
from tests.ui.test_customer_book import type_into


def png(color: str = "#c0392b") -> bytes:
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


PICTURE = png()
SHA = hashlib.sha256(PICTURE).hexdigest()


def piece(cid: str, **extra) -> dict:
    data = {
        "id": cid,
        "kind": "copy",
        "title": f"标题 {cid}",
        "body": "",
        "images": [],
        "skus": [],
        "category_631": "brand",
        "tags": [],
        "campaign": None,
        "valid_from": None,
        "valid_until": None,
        "status": "active",
    }
    data.update(extra)
    return change("content", data)


def library() -> list[dict]:
    return [
        piece(
            "CT-WINTER",
            title="冬季新品到店",
            body="{称呼}您好，我是{门店}的{导购}，冬季新品到店了，周末来试穿吧。",
            images=[SHA],
            tags=["新品", "冬季"],
            campaign="WINTER26",
            valid_from="2026-11-01",
            valid_until="2026-12-31",
        ),
        piece(
            "CT-SCARF",
            kind="product",
            title="羊绒围巾",
            body="{称呼}，围巾到了",
            category_631="selling",
            valid_until="2026-10-31",
        ),
        piece("CT-OLD", title="已下架的旧活动", status="retired"),
    ]


class Fetcher:
    """Stands in for HQ's GET /v1/pictures/{sha}: answers what it is told, counts calls."""

    def __init__(self, answers: list) -> None:
        self.answers, self.calls = answers, 0

    def __call__(self, sha: str) -> bytes:
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else OSError("offline")
        if isinstance(answer, Exception):
            raise answer
        return answer


def open_page(qtbot, session, guide, picture_cache, fetch=None) -> ContentPage:
    source = PictureSource(session, picture_cache, fetch)
    page = ContentPage(session, guide, pictures=source)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    qtbot.waitUntil(lambda: page.ready)
    return page


def titles(page: ContentPage) -> list[str]:
    return sorted(
        page.model.item(r).data(Qt.ItemDataRole.UserRole + 1).title
        for r in range(page.model.rowCount())
    )


def click_card(qtbot, page: ContentPage, content_id: str) -> None:
    row = page.row_of(content_id)
    rect = page.grid.visualRect(page.model.index(row, 0))
    qtbot.mouseClick(page.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.current is not None and page.current.id == content_id


def test_rail_opens_the_page_with_synced_content_and_filters(
    qtbot, session, guide, add_records
) -> None:
    add_records(library())
    window = MainWindow(session, guide, SyncController(session, None))
    qtbot.addWidget(window)
    window.show()
    qtbot.mouseClick(window.rail.buttons["content"], Qt.MouseButton.LeftButton)
    page = window.content
    assert window.stack.currentWidget() is page and page.objectName() == "contentView"
    qtbot.waitUntil(lambda: page.ready)
    assert titles(page) == ["冬季新品到店", "羊绒围巾"]  # the retired piece is hidden
    assert page.grid.objectName() == "contentGrid"

    type_into(qtbot, page.search, "围巾")
    qtbot.waitUntil(lambda: page.ready and titles(page) == ["羊绒围巾"])
    page.search.clear()
    qtbot.waitUntil(lambda: page.ready and len(titles(page)) == 2)

    qtbot.mouseClick(page.valid_today, Qt.MouseButton.LeftButton)  # today: 2026-11-22
    qtbot.waitUntil(lambda: page.ready and titles(page) == ["冬季新品到店"])
    page.valid_today.click()
    qtbot.waitUntil(lambda: page.ready and len(titles(page)) == 2)

    for box, value, expected in (
        (page.kind, "product", ["羊绒围巾"]),
        (page.tag, "冬季", ["冬季新品到店"]),
        (page.campaign, "WINTER26", ["冬季新品到店"]),
        (page.category, "selling", ["羊绒围巾"]),
    ):
        assert box.select(value)
        qtbot.waitUntil(lambda e=expected: page.ready and titles(page) == e)
        box.setCurrentIndex(0)
        qtbot.waitUntil(lambda: page.ready and len(titles(page)) == 2)

    click_card(qtbot, page, "CT-WINTER")
    assert page.preview_title.text() == "冬季新品到店"
    assert "周末来试穿吧" in page.preview_body.text()
    assert "WINTER26" in page.preview_meta.text()


def test_empty_library_says_what_to_do(qtbot, session, guide, picture_cache) -> None:
    page = open_page(qtbot, session, guide, picture_cache)
    assert page.body.currentWidget() is page.empty and page.empty.isVisible()
    assert "sync" in page.empty.text()


def test_placeholder_until_cached_and_corrupt_download_never_shown(
    qtbot, session, guide, add_records, picture_cache
) -> None:
    add_records(library())
    fetch = Fetcher([PICTURE[:-7] + b"garbage"])  # first a corrupt transfer
    page = open_page(qtbot, session, guide, picture_cache, fetch)
    row = page.row_of("CT-WINTER")
    qtbot.waitUntil(lambda: fetch.calls == 1)
    qtbot.wait(50)
    assert page.thumbnail_is_placeholder(row) and not picture_cache.has(SHA)

    fetch.answers.append(PICTURE)  # HQ answers right the next time: retried by itself
    assert page.retry.isActive()
    page.retry.setInterval(20)
    page.retry.start()
    qtbot.waitUntil(
        lambda: page.ready and not page.thumbnail_is_placeholder(page.row_of("CT-WINTER"))
    )
    assert fetch.calls == 2 and picture_cache.get(SHA) == PICTURE


def test_offline_the_cached_picture_shows(
    qtbot, session, guide, add_records, picture_cache
) -> None:
    add_records(library())
    picture_cache.put(SHA, PICTURE)
    fetch = Fetcher([])  # offline: every call fails
    page = open_page(qtbot, session, guide, picture_cache, fetch)
    qtbot.waitUntil(lambda: not page.thumbnail_is_placeholder(page.row_of("CT-WINTER")))
    assert fetch.calls == 0


def tick(qtbot, dialog, customer_id: str) -> None:
    item = dialog.item_of(customer_id)
    dialog.customers.setCurrentItem(item)
    dialog.customers.setFocus()
    qtbot.keyClick(dialog.customers, Qt.Key.Key_Space)
    assert item.checkState() == Qt.CheckState.Checked


def shares(session) -> list[tuple[str, str, str]]:
    return [
        (e.payload["customer_id"], e.payload["content_id"], e.payload["channel"])
        for e in outbox.pending(session.conn)
        if e.entity == "share" and e.op == "create"
    ]


def test_copy_for_wechat_fills_the_text_puts_the_picture_and_records_the_share(
    qtbot, session, guide, add_records, picture_cache
) -> None:
    add_records(library())
    picture_cache.put(SHA, PICTURE)
    page = open_page(qtbot, session, guide, picture_cache)
    click_card(qtbot, page, "CT-WINTER")
    qtbot.mouseClick(page.share_button, Qt.MouseButton.LeftButton)
    dialog = page.share_dialog
    assert dialog.objectName() == "shareDialog"
    qtbot.waitUntil(lambda: dialog.ready and dialog.image is not None)
    # Only the guide's own customers (C5 belongs to G002).
    assert dialog.item_of("C5") is None and dialog.item_of("C1") is not None
    type_into(qtbot, dialog.search, "曾")
    qtbot.waitUntil(lambda: dialog.ready and dialog.customers.count() == 1)
    tick(qtbot, dialog, "C2")
    dialog.search.clear()
    qtbot.waitUntil(lambda: dialog.ready and dialog.customers.count() == 4)
    tick(qtbot, dialog, "C1")
    assert dialog.item_of("C2").checkState() == Qt.CheckState.Checked  # kept across search

    first = dialog.current()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    mime = QGuiApplication.clipboard().mimeData()
    expected = {
        "C1": "张女士您好，我是静安嘉里店的王丽，冬季新品到店了，周末来试穿吧。",
        "C2": "曾女士您好，我是静安嘉里店的王丽，冬季新品到店了，周末来试穿吧。",
    }
    assert mime.text() == expected[first.id]
    assert mime.hasImage()
    image = QImage(mime.imageData())
    assert image.size().width() == 40 and image.pixelColor(5, 5) == QColor("#c0392b")
    qtbot.waitUntil(lambda: shares(session) == [(first.id, "CT-WINTER", "wechat")])

    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)  # 下一位
    second = dialog.current()
    assert second.id != first.id and not dialog.next_button.isEnabled()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().mimeData().text() == expected[second.id]
    qtbot.waitUntil(lambda: len(shares(session)) == 2)
    assert sorted(s[0] for s in shares(session)) == ["C1", "C2"]
    # Copying again does not count twice.
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    QApplication.processEvents()
    assert len(shares(session)) == 2


def test_in_chinese_the_empty_state_and_the_share_steps_read_naturally(
    qtbot, qapp, session, guide, add_records, picture_cache
) -> None:
    from app.ui.app import install_translator

    translator = install_translator(qapp, "zh_CN")
    try:
        page = open_page(qtbot, session, guide, picture_cache)
        assert page.empty.text() == "总部还没有发布内容，同步后会出现在这里"
        add_records(library())
        page.reload()
        qtbot.waitUntil(lambda: page.ready and page.model.rowCount() == 2)
        click_card(qtbot, page, "CT-WINTER")
        assert page.share_button.text() == "复制到微信…"
        dialog = page.share_current()
        qtbot.waitUntil(lambda: dialog.ready)
        assert dialog.copy_button.text() == "复制到微信"
        assert dialog.next_button.text() == "下一位"
    finally:
        if translator is not None:
            qapp.removeTranslator(translator)


def test_share_content_from_a_profile_ticks_that_customer(
    qtbot, session, guide, add_records
) -> None:
    add_records(library())
    window = MainWindow(session, guide, SyncController(session, None))
    qtbot.addWidget(window)
    window.show()
    book = window.customers
    qtbot.waitUntil(lambda: book.model.rowCount() > 0)
    book.table.selectRow(book.model.row_of("C3"))
    qtbot.waitUntil(lambda: book.profile.ready and book.profile.customer_id == "C3")
    qtbot.mouseClick(book.profile.share_button, Qt.MouseButton.LeftButton)
    page = window.content
    assert window.stack.currentWidget() is page
    qtbot.waitUntil(lambda: page.ready and page.model.rowCount() == 2)
    click_card(qtbot, page, "CT-SCARF")
    qtbot.mouseClick(page.share_button, Qt.MouseButton.LeftButton)
    dialog = page.share_dialog
    qtbot.waitUntil(lambda: dialog.ready)
    assert [c.id for c in dialog.queue] == ["C3"]
    assert dialog.text.toPlainText() == "欧阳女士，围巾到了"
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert not QGuiApplication.clipboard().mimeData().hasImage()  # this piece has no picture
    qtbot.waitUntil(lambda: shares(session) == [("C3", "CT-SCARF", "wechat")])
