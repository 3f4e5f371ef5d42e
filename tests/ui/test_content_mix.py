"""The 631 mix on the Content page (mixChart, mixAdvice, the manager's mixByGuide), and
the page's picture fetcher keeping one HQ client."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.domain.content import Category631
from app.domain.mix631 import Advice
from app.store.mix import guide_counts, store_counts
from app.ui.content.mix import ME, TARGET_ROW, advice_text
from app.ui.content.page import PictureFetcher
from sync.outcome import AuthError
from tests.ui.conftest import change
from tests.ui.test_content import click_card, library, open_page
from tests.ui.test_content import tick as tick_customer
from tests.ui.test_fit import SMALL, assert_fits, lang, open_window, settle  # noqa: F401

RECENT = "2026-11-20T03:00:00Z"  # the clock is 2026-11-22 10:30 UTC
OLD = "2026-10-01T03:00:00Z"  # outside the 30 days


def share(sid: str, guide_id: str, customer_id: str, content_id: str | None, category, at=RECENT):
    return change(
        "share",
        {
            "id": sid,
            "customer_id": customer_id,
            "guide_id": guide_id,
            "content_id": content_id,
            "task_id": None,
            "channel": "wechat",
            "shared_at": at,
            "category_631": category,
            "body": "",
            "images": [],
            "skus": [],
            "override_reason": "",
            "over_cap": False,
        },
    )


def shares() -> list[dict]:
    return [
        # G001: two brand, one selling (an old share without its own category: the
        # piece's, CT-SCARF is selling), one service; one too old; G002: one selling.
        share("SH1", "G001", "C1", "CT-WINTER", "brand"),
        share("SH2", "G001", "C1", "CT-WINTER", "brand"),
        share("SH3", "G001", "C2", "CT-SCARF", None),
        share("SH4", "G001", "C2", None, "service"),
        share("SH5", "G001", "C2", "CT-SCARF", "selling", at=OLD),
        share("SH6", "G002", "C5", "CT-SCARF", "selling"),
    ]


def test_store_counts_fall_back_to_the_piece_and_keep_to_the_window(
    session, add_records, clock
) -> None:
    add_records([*library(), *shares()])
    since, until = clock.now.replace(month=10, day=23), clock.now
    assert guide_counts(session.conn, "G001", since, until) == {
        "brand": 2,
        "selling": 1,
        "service": 1,
    }
    team = {g.guide_id: g.counts for g in store_counts(session.conn, "S001", since, until)}
    assert team == {
        "G001": {"brand": 2, "selling": 1, "service": 1},
        "G002": {"selling": 1},
        "M001": {},
    }


def test_a_guide_without_shares_is_told_to_start_with_brand_content(
    qtbot, session, guide, add_records, picture_cache
) -> None:
    add_records(library())
    page = open_page(qtbot, session, guide, picture_cache)
    panel = page.mix
    qtbot.waitUntil(lambda: panel.ready)
    assert page.findChild(type(panel.view), "mixChart") is panel.view
    advice = page.findChild(type(panel.advice), "mixAdvice")
    assert advice.text() == advice_text(Advice.NO_SHARES)
    assert page.findChild(object, "mixByGuide") is None  # not a manager


def test_the_chart_and_advice_follow_the_shares_and_a_new_share(
    qtbot, session, guide, add_records, picture_cache
) -> None:
    add_records([*library(), *shares()])
    page = open_page(qtbot, session, guide, picture_cache)
    panel = page.mix
    qtbot.waitUntil(lambda: panel.ready)
    # 2 brand, 1 service, 1 selling: 50 / 25 / 25 — selling furthest over.
    assert panel.current.advice is Advice.SELLING_OVER
    assert panel.advice.text() == advice_text(Advice.SELLING_OVER)
    assert [panel.sets[c].at(ME) for c in Category631] == [50, 25, 25]
    assert [panel.sets[c].at(TARGET_ROW) for c in Category631] == [60, 30, 10]  # the target row

    # A brand share through the real dialog: the mix reloads on its own.
    click_card(qtbot, page, "CT-WINTER")
    qtbot.mouseClick(page.share_button, Qt.MouseButton.LeftButton)
    dialog = page.share_dialog
    qtbot.waitUntil(lambda: dialog.ready)
    tick_customer(qtbot, dialog, "C1")
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.current.total == 5)
    assert panel.current.counts[Category631.BRAND] == 3
    assert [panel.sets[c].at(ME) for c in Category631] == [60, 20, 20]


def test_the_manager_sees_the_mix_per_guide(
    qtbot, session, manager, add_records, picture_cache
) -> None:
    add_records([*library(), *shares()])
    page = open_page(qtbot, session, manager, picture_cache)
    panel = page.mix
    qtbot.waitUntil(lambda: panel.ready)
    table = page.findChild(type(panel.table), "mixByGuide")
    assert table is panel.table and table.rowCount() == 3
    names = [table.item(r, 0).text() for r in range(3)]
    assert set(names) == {"王丽", "李娜", "陈店长"}
    assert panel.advice_of("G001") is Advice.SELLING_OVER
    assert panel.advice_of("G002") is Advice.SELLING_OVER  # one selling share: 100 %
    assert panel.advice_of("M001") is Advice.NO_SHARES
    row = names.index("陈店长")
    assert table.item(row, 5).text() == advice_text(Advice.NO_SHARES)
    assert table.item(row, 4).text() == "—"  # nothing over the contact cap


def test_the_manager_sees_shares_over_the_cap_with_the_reason(
    qtbot, session, manager, add_records, picture_cache
) -> None:
    reasoned = share("SH7", "G001", "C1", "CT-WINTER", "brand")
    reasoned["data"]["override_reason"] = "顾客主动问新款大衣"
    flagged = share("SH8", "G001", "C2", "CT-WINTER", "brand")
    flagged["data"]["over_cap"] = True  # HQ's re-check: over, and no reason given
    unknowing = share("SH9", "G001", "C2", "CT-WINTER", "brand")
    unknowing["data"]["opted_out"] = True  # sent before the opt-out reached this terminal
    add_records([*library(), *shares(), reasoned, flagged, unknowing])
    page = open_page(qtbot, session, manager, picture_cache)
    panel = page.mix
    qtbot.waitUntil(lambda: panel.ready)
    table = panel.table
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    cell = table.item(names.index("王丽"), 4)
    assert cell.text() == "3"
    assert "顾客主动问新款大衣" in cell.toolTip() and "found by HQ" in cell.toolTip()
    assert "sent after the customer had opted out" in cell.toolTip()
    assert table.item(names.index("李娜"), 4).text() == "—"


def test_content_page_fits_for_a_manager(qtbot, lang, session, manager, add_records) -> None:  # noqa: F811
    add_records([*library(), *shares()])
    window = open_window(qtbot, session, manager, SMALL)
    window.show_section("content")
    page = window.content
    qtbot.waitUntil(lambda: page.ready and page.mix.ready)
    settle(qtbot, window)
    assert_fits(window, f"Content page (manager) {lang}")


class Engine:
    def __init__(self, log: list) -> None:
        self.hq = Client(log)
        self.replica = self

    def close(self) -> None:  # the replica's connection
        self.hq.log.append("replica closed")


class Client:
    def __init__(self, log: list, refuse: bool = False) -> None:
        self.log, self.closed = log, False

    def picture(self, sha: str) -> bytes:
        if self.log and self.log[0] == "refuse" and "refused" not in self.log:
            self.log.append("refused")
            raise AuthError("token rotated")
        return sha.encode()

    def close(self) -> None:
        self.closed = True


def test_the_picture_fetcher_keeps_one_hq_client() -> None:
    log: list = []
    engines: list[Engine] = []

    def make() -> Engine:
        engines.append(Engine(log))
        return engines[-1]

    fetch = PictureFetcher(make)
    assert [fetch("a"), fetch("b"), fetch("c")] == [b"a", b"b", b"c"]
    assert len(engines) == 1 and fetch.clients_made == 1
    assert log == ["replica closed"]  # only its HQ client is kept
    fetch.close()
    assert engines[0].hq.closed
    with pytest.raises(RuntimeError):
        fetch("d")


def test_a_refused_credential_gets_one_fresh_client() -> None:
    log: list = ["refuse"]
    engines: list[Engine] = []

    def make() -> Engine:
        engines.append(Engine(log))
        return engines[-1]

    fetch = PictureFetcher(make)
    assert fetch("a") == b"a"
    assert len(engines) == 2 and engines[0].hq.closed and not engines[1].hq.closed
    fetch.close()
