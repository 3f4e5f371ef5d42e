"""A big library opens with its first screen of cards, then the rest below them; the
thumbnails already shown stay (no placeholder flash when the whole library arrives)."""

from __future__ import annotations

import hashlib

from PySide6.QtCore import Qt

from app.store.content import ContentQuery, list_content
from app.ui.content import page as page_module
from app.ui.content.page import FIRST_SCREEN, ContentPage, PictureSource
from tests.ui.test_content import piece, png

COLOURS = ("#c0392b", "#2980b9", "#27ae60")


def test_first_screen_then_the_whole_library_in_the_same_order(
    qtbot, session, guide, add_records, picture_cache, monkeypatch
) -> None:
    pictures = [png(c) for c in COLOURS]
    shas = [hashlib.sha256(p).hexdigest() for p in pictures]
    for sha, data in zip(shas, pictures, strict=True):
        picture_cache.put(sha, data)
    count = FIRST_SCREEN + 25
    add_records(
        [piece(f"CT-{n:03d}", title=f"内容 {n:03d}", images=[shas[n % 3]]) for n in range(count)]
    )
    whole = list_content(session.conn).pieces
    first = list_content(session.conn, first=FIRST_SCREEN)
    assert [p.id for p in first.pieces] == [p.id for p in whole[:FIRST_SCREEN]]
    assert first.total == count

    shown: list[tuple[int, bool]] = []  # (cards, ready) at each fill of the grid
    real_show = ContentPage._show

    def watch(self, library, *, partial=False):
        real_show(self, library, partial=partial)
        shown.append((self.model.rowCount(), self.ready))

    monkeypatch.setattr(ContentPage, "_show", watch)
    requested: list[list[str]] = []
    real_request = PictureSource.request_many

    def count_requests(self, wanted, done, owner=None):
        requested.append(list(wanted))
        return real_request(self, wanted, done, owner)

    monkeypatch.setattr(PictureSource, "request_many", count_requests)
    page = ContentPage(session, guide, pictures=PictureSource(session, picture_cache, None))
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    qtbot.waitUntil(lambda: page.ready and page.model.rowCount() == count)
    assert shown == [(FIRST_SCREEN, False), (count, True)]
    order = [page.model.item(r).data(page_module.PIECE_ROLE).id for r in range(count)]
    assert order == [p.id for p in whole]
    qtbot.waitUntil(lambda: not any(page.thumbnail_is_placeholder(r) for r in range(count)))
    # The three pictures were decoded for the first screen; the whole library reused them
    # (asked again only for what was not in yet when it arrived).
    assert sorted(requested[0]) == sorted(shas)
    assert sum(len(r) for r in requested) <= 2 * len(shas)


def test_a_filter_or_a_small_library_reads_once(
    qtbot, session, guide, add_records, picture_cache
) -> None:
    add_records([piece("CT-A", title="冬季"), piece("CT-B", title="围巾", kind="product")])
    page = ContentPage(session, guide, pictures=PictureSource(session, picture_cache, None))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.ready and page.model.rowCount() == 2)
    page.kind.setCurrentIndex(page.kind.findData("product"))
    qtbot.waitUntil(lambda: page.ready and page.model.rowCount() == 1)
    assert not ContentQuery(kind="product").unfiltered and ContentQuery().unfiltered
    assert page.model.item(0).data(Qt.ItemDataRole.AccessibleDescriptionRole) == "CT-B"
