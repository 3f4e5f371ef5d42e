"""The handover-introduction task HQ makes on a move, on the new owner's Today: its
suggested first message is there to read when the guide opens the task."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QLabel

from sync.hq.storage import HQStorage
from tests.ui.conftest import STORE_NAME
from tests.ui.test_today import click_task, open_today

TITLE = "认识一下您的新顾客 / Introduce yourself"


def handover_records(tmp_path: Path, clock) -> list[dict]:
    """What a real HQ sends this store after moving C1 and C4 to G001 (王丽): the task,
    its targets and the handover records (the customers themselves are already here)."""
    with HQStorage(f"sqlite:///{tmp_path / 'hq.sqlite3'}", clock=clock) as hq:
        hq.migrate()
        hq.add_store("S001", STORE_NAME)
        hq.add_guide("G009", "周敏", store_id="S001")
        hq.add_guide("G001", "王丽", store_id="S001")
        hq.import_customers(
            [
                {"id": cid, "store_id": "S001", "guide_id": "G009", "name": name}
                for cid, name in (("C1", "张三"), ("C4", "单丽"))
            ]
        )
        hq.move_customers("G009", "G001")
        page = json.loads(hq.pull("S001", None, 1000).body)
    wanted = {"task", "task_target", "handover"}
    return [
        {**c, "version": c["version"] + 1000}
        for c in page["changes"]
        if c["entity"] in wanted and c["op"] == "upsert"
    ]


def test_the_new_owner_reads_the_suggested_message_on_today(
    qtbot, session, guide, add_records, tmp_path: Path, clock
) -> None:
    add_records(handover_records(tmp_path, clock))
    _window, today = open_today(qtbot, session, guide)
    click_task(qtbot, today, TITLE)
    description = today.findChild(QLabel, "taskDescription")
    qtbot.waitUntil(lambda: description.isVisible() and bool(description.text()))
    text = description.text()
    assert "2 位顾客已转交给您（原导购 周敏）" in text
    assert f"建议话术：{{称呼}}您好，我是{STORE_NAME}的王丽，之后由我为您服务" in text
