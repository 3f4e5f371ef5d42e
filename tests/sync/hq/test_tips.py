"""Peer tips at HQ through the real app: posted with a sign-in session, routed by
audience, pinned and hidden from the CLI through the change log, bad pictures refused."""

from __future__ import annotations

import base64
import json
from typing import Any

from sync.hq import cli
from sync.hq.tips import list_tips
from tests.sync.hq.pictures_util import tiny_png
from tests.sync.hq.test_auth import call, client, enroll, hq, push, session_of  # noqa: F401

MADE = "2026-11-22T10:31:00Z"


def tip(n: int, guide: str, session: str | None, *, audience="store", picture=None, **payload):
    tid = f"TIP-{n}"
    body = {"id": tid, "audience": audience, "body": f"心得{n}\n第二行", "created_at": MADE}
    if picture is not None:
        body["picture"] = picture
    body.update(payload)
    return {
        "id": f"m-tip-{n:06d}",
        "guide_id": guide,
        "entity": "tip",
        "op": "create",
        "entity_id": tid,
        "payload": body,
        "created_at": MADE,
        "session": session,
    }


def pulled_tips(client, headers) -> dict[str, dict[str, Any]]:  # noqa: F811
    answer = call(client, "/v1/pull", headers, cursor=None, limit=5000)
    assert answer.status_code == 200, answer.text
    found: dict[str, dict[str, Any]] = {}
    for change in answer.json()["changes"]:
        if change["entity"] == "tip":
            found[change["id"]] = change["data"]
    return found


def test_store_tips_stay_in_their_store_brand_tips_go_everywhere(client, capsys) -> None:  # noqa: F811
    s1, s2 = enroll(client, "S001"), enroll(client, "S002")
    g2 = session_of(client, s1, "G002")
    g3 = session_of(client, s2, "G003")
    picture = base64.b64encode(tiny_png(8, 6)).decode()
    results = push(
        client,
        s1,
        tip(1, "G002", g2, picture=picture, store_id="S002", guide_id="G003"),
        tip(2, "G002", g2, audience="brand"),
        tip(3, "G002", g2, picture=base64.b64encode(b"not a picture").decode()),
        tip(4, "G002", g2, picture="%%%"),
    )
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "rejected"], results
    assert "not a picture" in results[2]["reason"] and "base64" in results[3]["reason"]
    assert [r["status"] for r in push(client, s2, tip(5, "G003", g3))] == ["applied"]
    mine = pulled_tips(client, s1)
    assert set(mine) == {"TIP-1", "TIP-2"}  # S002's store tip is not S001's
    # HQ took guide and store from the signed-in guide, not from the payload.
    assert (mine["TIP-1"]["guide_id"], mine["TIP-1"]["store_id"]) == ("G002", "S001")
    assert mine["TIP-1"]["image"] and mine["TIP-1"]["guide_name"] == "李娜"
    picture_answer = client.get(f"/v1/pictures/{mine['TIP-1']['image']}", headers=s1)
    assert picture_answer.status_code == 200
    assert set(pulled_tips(client, s2)) == {"TIP-2", "TIP-5"}  # the brand tip reaches S002

    url = str(hq(client).engine.url.render_as_string(hide_password=False))
    assert cli.main(["tips", "pin", "TIP-2", "--db", url]) == 0
    assert cli.main(["tips", "hide", "TIP-1", "--db", url]) == 0
    assert pulled_tips(client, s2)["TIP-2"]["pinned"] is True
    assert pulled_tips(client, s1)["TIP-1"]["hidden"] is True
    capsys.readouterr()
    assert cli.main(["tips", "list", "--store", "S001", "--format", "json", "--db", url]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in listed] == ["TIP-2", "TIP-1"]
    assert cli.main(["tips", "unhide", "TIP-1", "--db", url]) == 0
    assert cli.main(["tips", "unpin", "NOPE", "--db", url]) == 1
    assert next(t["id"] for t in list_tips(hq(client))) == "TIP-2"
