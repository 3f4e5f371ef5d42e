"""HQ's contact-cap re-check when shares arrive (sync/hq/mutations/shares.py): a share over
the store's cap is stored anyway, flagged over_cap, with or without the guide's reason;
the flag pulls back to terminals. Never an error."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.sync.hq.test_app import client, enroll, hq, latest, mutation, pull_all, push

__all__ = ["client"]  # the fixture


def _share(sid: str, at: str, reason: str = "") -> dict[str, Any]:
    payload = {"id": sid, "customer_id": "C1", "content_id": "CT001", "task_id": None,
               "channel": "wechat", "shared_at": at, "override_reason": reason}  # fmt: skip
    return mutation("share", "create", sid, payload)


def _set_cap(client: TestClient, store_id: str, cap: int | None, days: int = 30) -> None:
    with hq(client).write() as tx:
        store = tx.get("store", store_id)
        assert store is not None
        tx.put("store", [store | {"contact_cap": cap, "contact_cap_days": days}], scopes=store_id)


def test_share_over_the_cap_is_stored_and_flagged(client: TestClient) -> None:
    headers = enroll(client, "S001")
    _set_cap(client, "S001", 2)
    results = push(
        client,
        headers,
        _share("s-1", "2026-11-20T03:00:00Z"),
        _share("s-2", "2026-11-21T03:00:00Z"),
        _share("s-3", "2026-11-22T03:00:00Z"),
        _share("s-4", "2026-11-22T04:00:00Z", reason="顾客主动问新品"),
    )
    assert [r["status"] for r in results] == ["applied"] * 4, results
    pulled, _ = pull_all(client, headers)
    flags = {
        s: latest(pulled, "share", s)["data"]["over_cap"] for s in ("s-1", "s-2", "s-3", "s-4")
    }
    assert flags == {"s-1": False, "s-2": False, "s-3": True, "s-4": True}
    assert latest(pulled, "share", "s-4")["data"]["override_reason"] == "顾客主动问新品"
    assert latest(pulled, "share", "s-3")["data"]["override_reason"] == ""


def test_no_cap_and_an_old_share_outside_the_window(client: TestClient) -> None:
    headers = enroll(client, "S001")
    push(
        client,
        headers,
        _share("s-1", "2026-11-01T03:00:00Z"),
        _share("s-2", "2026-11-21T03:00:00Z"),
    )
    _set_cap(client, "S001", 1, days=7)
    push(client, headers, _share("s-3", "2026-11-22T03:00:00Z"))
    pulled, _ = pull_all(client, headers)
    assert latest(pulled, "share", "s-2")["data"]["over_cap"] is False  # no cap then
    assert latest(pulled, "share", "s-3")["data"]["over_cap"] is True  # s-2 in the 7 days


def test_set_contact_cap_cli_reaches_terminals_and_clears(
    client: TestClient, sqlite_url: str, capsys
) -> None:
    from sync.hq import cli

    headers = enroll(client, "S001")
    _, cursor = pull_all(client, headers)
    assert (
        cli.main(["set-contact-cap", "3", "--days", "14", "--store", "S001", "--db", sqlite_url])
        == 0
    )
    pulled, cursor = pull_all(client, headers, cursor)
    store = latest(pulled, "store", "S001")["data"]
    assert (store["contact_cap"], store["contact_cap_days"]) == (3, 14)
    assert cli.main(["set-contact-cap", "none", "--store", "S001", "--db", sqlite_url]) == 0
    pulled, _ = pull_all(client, headers, cursor)
    assert latest(pulled, "store", "S001")["data"]["contact_cap"] is None
    assert cli.main(["set-contact-cap", "lots", "--db", sqlite_url]) == 1
    assert cli.main(["set-contact-cap", "2", "--store", "NOPE", "--db", sqlite_url]) == 1
    assert "NOPE does not exist" in capsys.readouterr().err


def test_a_free_composition_keeps_its_words_pictures_products_and_category(
    client: TestClient,
) -> None:
    headers = enroll(client, "S001")
    hq(client).put_content(
        [{"id": "CT001", "kind": "product", "title": "羊绒大衣", "category_631": "selling"}]
    )
    sha = "ab" * 32
    composed = {"id": "s-c", "customer_id": "C1", "content_id": None, "task_id": None,
                "channel": "wechat", "shared_at": "2026-11-22T03:00:00Z",
                "category_631": "service", "body": "{称呼}，大衣的保养小贴士给您",
                "images": [sha], "skus": ["SKU-COAT-1"]}  # fmt: skip
    old = {"id": "s-o", "customer_id": "C1", "content_id": "CT001", "task_id": None,
           "channel": "wechat", "shared_at": "2026-11-22T04:00:00Z"}  # fmt: skip
    results = push(
        client,
        headers,
        mutation("share", "create", "s-c", composed),
        mutation("share", "create", "s-o", old),
    )
    assert [r["status"] for r in results] == ["applied"] * 2, results
    pulled, _ = pull_all(client, headers)
    data = latest(pulled, "share", "s-c")["data"]
    assert (data["category_631"], data["body"], data["images"], data["skus"]) == (
        "service",
        "{称呼}，大衣的保养小贴士给您",
        [sha],
        ["SKU-COAT-1"],
    )
    assert data["content_id"] is None
    # A terminal that sends no category: the piece's own is kept.
    assert latest(pulled, "share", "s-o")["data"]["category_631"] == "selling"


def test_an_opt_out_edit_reaches_hq_and_other_terminals(client: TestClient) -> None:
    headers = enroll(client, "S001")
    edit = {
        "fields": {
            "marketing_opt_out": {"old": False, "new": True},
            "opt_out_reason": {"old": "", "new": "顾客要求不再接收活动消息"},
        }
    }
    [result] = push(client, headers, mutation("customer", "update", "C1", edit))
    assert result["status"] == "applied", result
    other = enroll(client, "S001")  # another terminal of the store
    pulled, _ = pull_all(client, other)
    data = latest(pulled, "customer", "C1")["data"]
    assert (data["marketing_opt_out"], data["opt_out_reason"]) == (True, "顾客要求不再接收活动消息")


def test_a_share_sent_before_the_opt_out_was_known_is_kept_and_flagged(
    client: TestClient,
) -> None:
    """Terminal A records C1's opt-out; terminal B, not synced since, shares to C1. HQ keeps
    the share (the message went out) with opted_out true, a share before it stays
    unflagged, and both reach terminal B's next pull."""
    a, b = enroll(client, "S001"), enroll(client, "S001")
    push(client, b, _share("s-before", "2026-11-21T03:00:00Z"))
    edit = {"fields": {"marketing_opt_out": {"old": False, "new": True}}}
    [done] = push(client, a, mutation("customer", "update", "C1", edit))
    assert done["status"] == "applied", done
    [late] = push(client, b, _share("s-late", "2026-11-22T03:00:00Z"))
    assert late["status"] == "applied", late
    pulled, _ = pull_all(client, b)
    assert latest(pulled, "share", "s-late")["data"]["opted_out"] is True
    assert latest(pulled, "share", "s-before")["data"]["opted_out"] is False
