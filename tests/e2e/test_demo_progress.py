"""The first sync's progress moves forward only, over a real HQ with many pages."""

from __future__ import annotations

from sync.outcome import SyncProgress


def check_forward_only(seen: list[SyncProgress], pulled: int) -> None:
    pulls = [p for p in seen if p.phase == "pull"]
    assert len(pulls) > 5, "several pages, or the test shows nothing"
    dones = [p.done for p in pulls]
    assert dones == sorted(dones), f"done went back: {dones}"
    *during, last = pulls
    totals = {p.total for p in during}
    assert len(totals) == 1, f"the total moved during the pull: {sorted(totals)}"
    (total,) = totals
    assert all(p.done <= total for p in during) if total else True
    assert (last.done, last.total) == (pulled, pulled)


def test_first_sync_progress_is_stable_over_many_pages(hq, make_terminal) -> None:
    t = make_terminal("progress")
    t.enroll(hq, "S001")
    seen: list[SyncProgress] = []
    engine = t.engine(page_size=7)
    try:
        report = engine.sync_once(seen.append)
    finally:
        engine.close()
    assert report.ok and report.pulled > 40
    check_forward_only(seen, report.pulled)
    assert seen[-2].total == report.pulled  # HQ counts a pull from nothing exactly


def test_a_later_sync_with_an_estimated_total_also_moves_forward_only(
    hq, make_terminal, tmp_path
) -> None:
    t = make_terminal("later")
    t.enroll(hq, "S001")
    assert t.sync().ok
    # 60 more customers at HQ: the next pull starts from a cursor, HQ only estimates.
    csv = tmp_path / "more.csv"
    rows = ["customer_id,name,phone,gender,birthday,store,guide,tier,points,tags,joined_at"]
    rows += [f"N{i:04d},赵{i},1391234{i:04d},女,,S001,G002,普通,0,,2024-03-01" for i in range(60)]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    hq.run("import-customers", str(csv))
    seen: list[SyncProgress] = []
    engine = t.engine(page_size=7)
    try:
        report = engine.sync_once(seen.append)
    finally:
        engine.close()
    assert report.ok and report.pulled >= 60
    check_forward_only(seen, report.pulled)
