"""The contract of sync/records.py against both real schemas, and every entity's round trip.

For each declared record: HQ's table (SQLite, and PostgreSQL when a server is given) and
the terminal's table (after all its migrations) have a column per field with the declared
type, NOT NULL and default; and a record written at HQ, pulled and applied on a terminal
comes out as it went in — once with every field set, once with only the required ones
(the defaults and NULLs are where the two sides drifted apart before: an appointment
without ``ends_at`` failed every pull of its store).

Adding a synced record: declare it, and this file names what is still missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import sqlite_utils

from app.store import db as terminal_db
from app.store.replica import TerminalReplica
from app.store.sqlite import driver as sqlite3
from sync import protocol
from sync.hq.storage import HQStorage
from sync.records import (
    DECLARATIONS,
    JSON_TYPES,
    MUTATIONS,
    Field,
    Record,
    Scope,
    Type,
    check_record,
)
from tests.conftest import FIXED_NOW

IDS = [r.entity for r in DECLARATIONS]
_SQL_TYPE = {Type.INT: "INTEGER", Type.BOOL: "INTEGER"}  # everything else is TEXT


# -- the terminal's schema -------------------------------------------------------------------


@pytest.fixture(scope="module")
def terminal_columns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    conn = terminal_db.connect(tmp_path_factory.mktemp("terminal") / "t.sqlite3")
    try:
        found = {
            name: {c.name: c for c in sqlite_utils.Database(conn)[name].columns}
            for name in sqlite_utils.Database(conn).table_names()
        }
    finally:
        conn.close()
    return found


def _terminal_default(raw: str | None) -> Any:
    if raw is None:
        return None
    text = raw.strip("'") if raw.startswith("'") else raw
    return text


def _declared_default(f: Field, *, sql_text: bool) -> Any:
    """The default as the schema spells it (text), or None when there is none."""
    value = f.default_value()
    if value is None:
        return None
    if f.type in JSON_TYPES:
        return json.dumps(value)
    if f.type is Type.BOOL:
        return "1" if value else "0"
    return str(value)


@pytest.mark.parametrize("record", DECLARATIONS, ids=IDS)
def test_terminal_table_matches_the_declaration(
    record: Record, terminal_columns: dict[str, dict[str, Any]]
) -> None:
    table = terminal_columns.get(record.terminal_table)
    assert table is not None, f"the terminal has no table {record.terminal_table}: add a migration"
    problems = []
    for f in record.fields:
        if f.name in record.terminal_elsewhere:
            continue
        column = table.get(f.name)
        if column is None:
            problems.append(f"{f.name}: no column (add it in a migration)")
            continue
        want_type = _SQL_TYPE.get(f.type, "TEXT")
        if column.type.upper() != want_type:
            problems.append(f"{f.name}: type {column.type}, declared {want_type}")
        not_null = bool(column.notnull)
        if f.name in record.key:
            pass  # keys are never NULL: HQ makes them
        elif not_null != (not f.nullable):
            problems.append(f"{f.name}: NOT NULL is {not_null}, declared nullable={f.nullable}")
        have = _terminal_default(column.default_value)
        want = _declared_default(f, sql_text=True)
        if f.name not in record.key and have != want:
            problems.append(f"{f.name}: default {have!r}, declared {want!r}")
    assert not problems, f"{record.terminal_table}: " + "; ".join(problems)


# -- HQ's schema -----------------------------------------------------------------------------


def _hq_default(raw: Any) -> Any:
    if raw is None:
        return None
    text = str(raw)
    text = re.sub(r"::[a-z ]+$", "", text)  # PostgreSQL: ''::text, '[]'::text
    if text.startswith("'") and text.endswith("'"):
        text = text[1:-1]
    return {"false": "0", "true": "1"}.get(text.lower(), text)


@pytest.mark.parametrize("record", DECLARATIONS, ids=IDS)
def test_hq_table_matches_the_declaration(record: Record, db_url: str) -> None:
    storage = HQStorage(db_url)
    try:
        storage.migrate()
        inspector = sa.inspect(storage.engine)
        columns = {c["name"]: c for c in inspector.get_columns(record.hq_table)}
    finally:
        storage.close()
    problems = []
    for f in record.fields:
        column = columns.get(f.name)
        if column is None:
            problems.append(f"{f.name}: no column")
            continue
        kind = column["type"]
        if f.type is Type.BOOL:
            ok = isinstance(kind, sa.Boolean) or (
                storage.dialect == "sqlite" and isinstance(kind, sa.Integer)
            )
        elif f.type is Type.INT:
            ok = isinstance(kind, sa.Integer)
        else:
            ok = isinstance(kind, sa.String)
        if not ok:
            problems.append(f"{f.name}: type {kind}, declared {f.type}")
        if f.name not in record.key and column["nullable"] != f.nullable:
            problems.append(f"{f.name}: nullable is {column['nullable']}, declared {f.nullable}")
        have = _hq_default(column.get("default"))
        want = _declared_default(f, sql_text=True)
        if f.name not in record.key and have != want:
            problems.append(f"{f.name}: default {have!r}, declared {want!r}")
    assert not problems, f"{record.hq_table}: " + "; ".join(problems)


# -- the round trip --------------------------------------------------------------------------


def _sample(f: Field, entity: str, *, full: bool) -> Any:
    """A value for a field: every field set (full), or only what the record needs."""
    fixed = {
        "store_id": "S1",
        "guide_id": "G1",
        "customer_id": "C1",
        "task_id": "T1",
        "content_id": "CT1",
        "lost_by": "G1",
    }
    if f.name in fixed and (full or f.required):
        return fixed[f.name]
    if f.name == "id":
        return {"store": "S1", "guide": "G1", "customer": "C1", "task": "T1"}.get(
            entity, f"{entity.upper()}-1"
        )
    if not full:
        return None if not f.required else _sample(f, entity, full=True)
    if f.choices:
        return f.choices[-1]
    return {
        Type.TEXT: "多行\n<b>文字</b>\tok" if f.multiline else "王芳 <i>x</i>",
        Type.INT: min(f.bounds[1], max(f.bounds[0], 3)),
        Type.BOOL: True,
        Type.DATE: "2026-12-24",
        Type.TIMESTAMP: "2026-11-22T08:30:00Z",
        Type.TAGS: ["VIP", "新品控"],
        Type.SIZES: {"top": "M", "shoe": "38"},
        Type.ITEMS: [{"sku": "SKU1", "qty": 2, "price_cents": 1990}],
        Type.JSON: {"stages": ["new"], "n": 1},
    }[f.type]


def _record(record: Record, *, full: bool) -> dict[str, Any]:
    values = {f.name: _sample(f, record.entity, full=full) for f in record.fields}
    return {k: v for k, v in values.items() if v is not None}


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[TerminalReplica]:
    conn = terminal_db.connect(tmp_path / "terminal.sqlite3")
    yield TerminalReplica(conn, clock=lambda: FIXED_NOW)
    conn.close()


def _terminal_record(conn: sqlite3.Connection, record: Record, key: dict[str, Any]) -> dict:
    where = " AND ".join(f"{k} = ?" for k in record.key)
    conn.row_factory = sqlite3.Row
    row = conn.execute(
        f"SELECT * FROM {record.terminal_table} WHERE {where}", [key[k] for k in record.key]
    ).fetchone()
    assert row is not None, f"{record.entity} did not reach the terminal"
    found: dict[str, Any] = {}
    for f in record.fields:
        if f.name in record.terminal_elsewhere:
            continue
        value = row[f.name]
        if f.type in JSON_TYPES and value is not None:
            value = json.loads(value)
        elif f.type is Type.BOOL:
            value = bool(value)
        found[f.name] = value
    if record.entity == "purchase":
        found["items"] = [
            dict(r)
            for r in conn.execute(
                "SELECT sku, qty, price_cents FROM purchase_items WHERE purchase_id = ?"
                " ORDER BY line",
                (key["id"],),
            )
        ]
    return found


@pytest.mark.parametrize("full", [True, False], ids=["every-field", "required-only"])
def test_every_entity_round_trips_hq_wire_terminal(
    full: bool, db_url: str, terminal: TerminalReplica
) -> None:
    storage = HQStorage(db_url)
    try:
        storage.migrate()
        sent: dict[str, dict[str, Any]] = {}
        with storage.write() as tx:
            for record in DECLARATIONS:
                values = _record(record, full=full)
                scope = "*" if record.scope is Scope.BRAND else "S1"
                tx.put(record.entity, [values], scopes=scope)
                sent[record.entity] = check_record(record, values)
        page = json.loads(storage.pull("S1", None, protocol.MAX_PULL_LIMIT).body)
    finally:
        storage.close()
    response = protocol.PullResponse.model_validate(page)
    pulled = {c.entity: c for c in response.changes}
    assert set(pulled) == set(sent), "HQ did not log every entity"
    for record in DECLARATIONS:
        wire = pulled[record.entity].data
        # The wire record is exactly the declaration's fields and passes its model.
        assert tuple(wire) == record.names, record.entity
        assert protocol.RECORD_MODELS[record.entity].model_validate(wire)
        assert wire == sent[record.entity], record.entity
    terminal.apply_page([c.model_dump() for c in response.changes], response.cursor, more=False)
    for record in DECLARATIONS:
        back = _terminal_record(terminal.conn, record, sent[record.entity])
        expected = {k: v for k, v in sent[record.entity].items()}
        assert back == expected, record.entity


# -- the declaration itself ------------------------------------------------------------------


def test_every_declared_mutation_has_a_handler_at_hq_and_nothing_else_does() -> None:
    from sync.hq.mutations import HANDLERS

    assert set(HANDLERS) == set(MUTATIONS)


@pytest.mark.parametrize("record", DECLARATIONS, ids=IDS)
def test_declared_defaults_and_choices_agree(record: Record) -> None:
    for f in record.fields:
        if f.choices and f.default_value() is not None:
            assert f.default_value() in f.choices, f"{record.entity}.{f.name}"
        for name in record.key:
            assert not record.field(name).nullable
    for mutation in record.mutations:
        assert set(mutation.required) <= set(mutation.fields)
        assert set(mutation.fields) | set(mutation.editable) <= set(record.names)
