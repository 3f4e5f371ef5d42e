"""Schema migrations of the terminal database, keyed on ``PRAGMA user_version``.

Each step runs in one transaction together with the new ``user_version``, so a crash
leaves the file at the old version or the new one, never between. A file whose version
is newer than this app knows is refused untouched: an older app must not damage data
written by a newer one.

The schema is designed for the whole roadmap (PRODUCT.md): master data pulled from HQ
(stores, guides, customers, purchases, products, tasks, content), the guide's own
append-only records (follow-ups, shares, appointments, task completions), the outbox and
the sync state.
"""

from __future__ import annotations

import importlib
from importlib import resources

from app.store.sqlite import driver as sqlite3


class SchemaTooNew(Exception):
    pass


def _sql(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


# (version, file) in order; never edit a released step, add a new one. A ``.sql`` step is
# a script; a ``.py`` step is a module of this package whose ``migrate(conn)`` runs inside
# the step's transaction (for what plain SQL cannot do, such as changing NOT NULL).
STEPS: list[tuple[int, str]] = [
    (1, "0001_initial.sql"),
    (2, "0002_outbox_status_conflicts_audit.sql"),
    (3, "0003_search_walk_indexes.sql"),
    (4, "m0004_contract.py"),
    (5, "0005_tasks_contract.sql"),
    (6, "0006_personal_task_indexes.sql"),
    (7, "0007_handovers.sql"),
    (8, "0008_guide_sessions.sql"),
    (10, "m0010_search_keys.py"),
    (11, "0011_drafts.sql"),
    (12, "0012_followup_due_index.sql"),
    (13, "0013_content_fields.sql"),
    (14, "0014_outreach_fields.sql"),
    (15, "0015_compositions.sql"),
    (16, "0016_tips.sql"),
    (17, "0017_share_opted_out.sql"),
]
LATEST = STEPS[-1][0]


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_version(conn: sqlite3.Connection) -> int:
    version = current_version(conn)
    if version > LATEST:
        raise SchemaTooNew(
            f"本地数据库由更新版本的 GuideDesk 创建（数据版本 {version}，本程序支持到 {LATEST}）。"
            "请升级 GuideDesk；数据未被改动。"
            f" (database schema {version} is newer than this app's {LATEST}; please update)"
        )
    return version


def migrate(conn: sqlite3.Connection, *, target: int = LATEST) -> int:
    """Bring the database up to ``target``; returns the version it ends at."""
    version = check_version(conn)
    for step, filename in STEPS:
        if step <= version or step > target:
            continue
        try:
            if filename.endswith(".py"):
                module = importlib.import_module(f"{__package__}.{filename[:-3]}")
                conn.execute("BEGIN IMMEDIATE")
                module.migrate(conn)
                conn.execute(f"PRAGMA user_version = {step}")
                conn.execute("COMMIT")
            else:
                # executescript() commits any open transaction first; we wrap the script
                # in our own BEGIN … COMMIT so the step and its user_version land together.
                script = _sql(filename)
                conn.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {step};\nCOMMIT;"
                )
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        version = step
    return version
