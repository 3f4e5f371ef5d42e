"""Version 4: the terminal's tables agree with the contract (sync/records.py).

Found by the contract test (tests/sync/hq/test_contract.py):

* ``appointments.ends_at`` was NOT NULL here and nullable at HQ, so an appointment HQ
  accepted without an end failed this store's pull page on every sync. It is nullable
  now (an open-ended appointment; clash detection assumes an hour).
* ``tasks.store_id`` becomes NOT NULL (tasks are store-scoped at HQ) and ``tasks.kind``
  defaults to ``custom``, one of the declared task kinds; HQ's old ``handover`` kind is
  ``handover_intro`` and the terminal's old ``campaign`` default is ``custom``.
* task targets HQ marked ``completed`` are ``done``, the declared status.

SQLite's ALTER TABLE cannot change NOT NULL or a default, so the two tables are rebuilt
with sqlite-utils' ``table.transform()`` (which keeps their indexes), inside the
migration's transaction. Neither table is the parent of a foreign key.
"""

from __future__ import annotations

from app.domain.tasks import TaskKind
from app.store.sqlite import driver as sqlite3


def migrate(conn: sqlite3.Connection) -> None:
    import sqlite_utils  # only when migrating: it is not needed on the start-up path

    kinds = [k.value for k in TaskKind]
    marks = ", ".join("?" for _ in kinds)
    conn.execute("UPDATE tasks SET kind = 'handover_intro' WHERE kind = 'handover'")
    conn.execute(f"UPDATE tasks SET kind = 'custom' WHERE kind NOT IN ({marks})", kinds)
    conn.execute(
        "UPDATE tasks SET store_id = coalesce((SELECT value FROM sync_state"
        " WHERE key = 'store_id'), '') WHERE store_id IS NULL"
    )
    conn.execute("UPDATE task_targets SET status = 'done' WHERE status = 'completed'")
    database = sqlite_utils.Database(conn)
    database["tasks"].transform(not_null={"store_id": True}, defaults={"kind": "custom"})
    database["appointments"].transform(not_null={"ends_at": False})
