"""HQ campaigns (任务): publishing a task file, cancelling it, the task report, and how a
task target follows its customer when the customer changes owner.

A task file (JSON) names one campaign; HQ publishes it as one ``task`` record per store
(id ``"{file id}@{store}"``, ``campaign_id`` the file's id) and one ``task_target`` per
selected customer, assigned to the customer's current guide — all in one transaction
through :meth:`Tx.put`. The rule is ``app.domain.targeting`` (one implementation, both
sides): SQL only narrows the candidates by conditions whose SQL form selects a superset
(store, guide, tier, a tag inside the JSON text, a birthday being known), then each
candidate goes through :func:`~app.domain.targeting.selects` on its store's today;
purchases are loaded only for the candidates left and only when the rule needs them.

Re-publishing the same id updates the campaign: changed fields are written, newly selected
customers get an open target, and a customer no longer selected loses their target only
while it is still ``open`` (done, approved and rejected targets stay, with their author).
A store the file no longer covers has its task cancelled (its open targets removed the
same way); a store that comes into the rule gets its task. Publishing a cancelled
campaign again re-opens it. ``cancel-task`` sets every task of the campaign to
``cancelled`` and keeps the targets (completions made offline still arrive: see
``sync/hq/mutations/tasks.py``).

When a customer changes owner (:meth:`Tx.move`, through which every move, departure and
CRM owner change goes): within the store, their open (and rejected, i.e. reopened)
targets go to the new owner; to another store, their open targets of the old store's
tasks are removed (tombstones), and where the same campaign has an open task in the new
store whose rule selects the customer there, a target is added to it. A completion
already made stays where it is, with its author (``completed_by``).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from app.domain.clock import store_today
from app.domain.lifecycle import PurchaseSummary, year_window_start
from app.domain.outreach import may_target
from app.domain.targeting import (
    CustomerFacts,
    TargetRule,
    TargetRuleError,
    conditions_hold,
    parse_targets,
    selects,
)
from app.domain.tasks import EvidenceKind, TaskKind, TaskStatus, TaskTargetStatus
from sync import records
from sync.hq.errors import NotFound, StorageError
from sync.hq.schema import ENTITY_SPECS, content, customers, guides, purchases, stores
from sync.hq.schema import task_targets as targets_table
from sync.hq.schema import tasks as tasks_table

if TYPE_CHECKING:
    from sync.hq.tx import Tx

_CHUNK = 500
_FILE_KEYS = (
    "id",
    "title",
    "kind",
    "instructions",
    "starts_on",
    "due_on",
    "targets",
    "content",
    "evidence",
    "review",
)
_OPEN = TaskTargetStatus.OPEN.value
# Still to do: a rejection reopens a target for its guide.
_TO_DO = (TaskTargetStatus.OPEN.value, TaskTargetStatus.REJECTED.value)


class TaskFileError(StorageError):
    """A task file HQ refuses, naming the field (``targets.tag_groups[1]``) and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TaskFile:
    """A checked task file (everything but what only the database can say)."""

    id: str
    title: str
    kind: TaskKind
    instructions: str
    starts_on: str
    due_on: str
    rule: TargetRule
    content_ids: tuple[str, ...]
    evidence: EvidenceKind
    review: bool


@dataclass
class StorePublished:
    task_id: str
    status: str
    targets: int = 0  # targets of the task after publishing
    added: int = 0
    removed: int = 0
    kept: int = 0  # no longer selected but kept: done, approved or rejected
    opted_out: int = 0  # selected, left out: opted out of marketing (a marketing task)


@dataclass
class PublishResult:
    campaign_id: str
    created: bool  # False: the campaign existed (a re-publish)
    stores: dict[str, StorePublished] = field(default_factory=dict)

    @property
    def targets(self) -> int:
        return sum(s.targets for s in self.stores.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.campaign_id,
            "created": self.created,
            "targets": self.targets,
            "stores": {k: asdict(v) for k, v in self.stores.items()},
        }


# -- the task file -------------------------------------------------------------------------


def parse_task_file(raw: Any) -> TaskFile:
    """Check a whole task file (parsed JSON); TaskFileError names the first bad field."""
    if not isinstance(raw, Mapping):
        raise TaskFileError("file", "must be a JSON object")
    for key in raw:
        if key not in _FILE_KEYS:
            raise TaskFileError(str(key), f"unknown field (known: {', '.join(_FILE_KEYS)})")
    task = records.BY_ENTITY["task"]
    file_id = raw.get("id")
    if not isinstance(file_id, str) or not file_id.strip():
        raise TaskFileError("id", "is required (text)")
    if len(file_id) > 100:
        raise TaskFileError("id", "is longer than 100 characters")
    if any(c in file_id for c in ":@") or not file_id.isprintable() or " " in file_id:
        raise TaskFileError("id", "may hold no spaces, ':' or '@'")

    def text(name: str, record_field: str, *, required: bool) -> str:
        value = raw.get(name)
        if value is None or value == "":
            if required:
                raise TaskFileError(name, "is required")
            return ""
        problem = records.value_problem(task.field(record_field), value)
        if problem is not None:
            raise TaskFileError(name, problem)
        return value.strip()

    def choice(name: str, enum: Any, default: str) -> str:
        value = raw.get(name, default)
        allowed = [e.value for e in enum]
        if value not in allowed:
            raise TaskFileError(name, f"must be one of {', '.join(map(repr, allowed))}")
        return value

    def day(name: str) -> str:
        value = raw.get(name)
        if value is None:
            raise TaskFileError(name, "is required (YYYY-MM-DD)")
        if records.parse_date(value) is None:
            raise TaskFileError(name, f"{value!r} is not a real date (YYYY-MM-DD)")
        return value

    title = text("title", "title", required=True)
    kind = choice("kind", TaskKind, TaskKind.CUSTOM.value)
    instructions = text("instructions", "description", required=False)
    starts_on, due_on = day("starts_on"), day("due_on")
    if starts_on > due_on:
        raise TaskFileError("due_on", f"{due_on} is before starts_on ({starts_on})")
    if "targets" not in raw:
        raise TaskFileError("targets", "is required")
    try:
        rule = parse_targets(raw["targets"])
    except TargetRuleError as exc:
        raise TaskFileError(exc.field, exc.reason) from exc
    content_ids = raw.get("content", [])
    limit = task.field("content_ids").max_len
    if not isinstance(content_ids, list) or len(content_ids) > limit:
        raise TaskFileError("content", f"must be a list of at most {limit} content ids")
    for n, cid in enumerate(content_ids):
        if not isinstance(cid, str) or records.text_problem(cid, max_len=40) or not cid.strip():
            raise TaskFileError(f"content[{n}]", "must be a content id (at most 40 characters)")
    evidence = choice("evidence", EvidenceKind, EvidenceKind.NONE.value)
    review = raw.get("review", False)
    if not isinstance(review, bool):
        raise TaskFileError("review", "must be true or false")
    return TaskFile(
        id=file_id,
        title=title,
        kind=TaskKind(kind),
        instructions=instructions,
        starts_on=starts_on,
        due_on=due_on,
        rule=rule,
        content_ids=tuple(dict.fromkeys(content_ids)),
        evidence=EvidenceKind(evidence),
        review=review,
    )


# -- choosing the customers ----------------------------------------------------------------


def _like(tag: str) -> str:
    """A LIKE pattern matching the tag as a JSON string inside the tags column (the JSON
    text is compact with non-ASCII kept, as HQ writes it); \\ escapes LIKE's wildcards."""
    quoted = json.dumps(tag, ensure_ascii=False)
    return "%" + quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _facts(row: Any, rule: TargetRule) -> CustomerFacts:
    tags = frozenset(json.loads(row.tags)) if rule.tag_groups and row.tags else frozenset()
    return CustomerFacts(
        customer_id=row.id,
        store_id=row.store_id,
        guide_id=row.guide_id,
        tier=row.tier,
        tags=tags,
        birthday=row.birthday,
    )


_FACT_COLUMNS = (
    customers.c.id,
    customers.c.store_id,
    customers.c.guide_id,
    customers.c.tier,
    customers.c.tags,
    customers.c.birthday,
)


def _prefiltered(tx: Tx, rule: TargetRule, store_ids: Sequence[str]) -> Iterable[Any]:
    """Customers of these stores the rule may select: the SQL superset of the rule."""
    query = sa.select(*_FACT_COLUMNS).where(customers.c.store_id.in_(list(store_ids)))
    if rule.guides:
        query = query.where(customers.c.guide_id.in_(list(rule.guides)))
    if rule.tiers:
        query = query.where(customers.c.tier.in_([t.value for t in rule.tiers]))
    for group in rule.tag_groups:
        query = query.where(sa.or_(*[customers.c.tags.like(_like(t), escape="\\") for t in group]))
    if rule.birthday_within_days is not None:
        query = query.where(customers.c.birthday.is_not(None))
    return tx.conn.execute(query)


def _summaries(
    tx: Tx,
    facts: Sequence[CustomerFacts],
    today_of: Mapping[str, date],
    *,
    whole_store: int | None = None,
) -> dict:
    """Each customer's PurchaseSummary on their store's today, aggregated by the database.

    The summary is data (first and last day, counts and sums, the rolling year), the same
    aggregates ``summarize`` computes from Purchase values; the rules that read it (stage,
    tier) stay in app/domain. Reading two million purchases into Python to sum them took
    ~20 s at 200,000 customers; one GROUP BY per store's day takes a second or two.
    ``tests/sync/hq/test_tasks.py`` checks both give the same summary.
    """
    by_day: dict[date, list[CustomerFacts]] = defaultdict(list)
    for f in facts:
        by_day[today_of[f.store_id]].append(f)
    found: dict[str, PurchaseSummary] = {f.customer_id: PurchaseSummary() for f in facts}
    day = sa.func.substr(purchases.c.paid_at, 1, 10)
    for today, group in by_day.items():
        in_year = day >= year_window_start(today).isoformat()
        columns = (
            purchases.c.customer_id,
            sa.func.min(day),
            sa.func.max(day),
            sa.func.sum(sa.case((in_year, 1), else_=0)),
            sa.func.sum(sa.case((in_year, purchases.c.amount_cents), else_=0)),
            sa.func.sum(purchases.c.amount_cents),
            sa.func.count(),
        )
        wanted = {f.customer_id for f in group}
        stores_ = sorted({f.store_id for f in group})
        if len(wanted) > (_WHOLE_STORE if whole_store is None else whole_store):
            # Most of the stores' book: one scan by store, keeping the candidates.
            of_stores = sa.select(customers.c.id).where(customers.c.store_id.in_(stores_))
            queries = [purchases.c.customer_id.in_(of_stores)]
        else:
            ids = sorted(wanted)
            queries = [
                purchases.c.customer_id.in_(ids[n : n + _CHUNK]) for n in range(0, len(ids), _CHUNK)
            ]
        for where in queries:
            query = sa.select(*columns).where(where).group_by(purchases.c.customer_id)
            for cid, first, last, n365, spent365, total, count in tx.conn.execute(query):
                if cid in wanted:
                    found[cid] = PurchaseSummary(
                        first, last, int(n365), int(spent365), int(total), int(count)
                    )
    return found


# Candidates above which the purchases are aggregated per store rather than per id list.
_WHOLE_STORE = 20_000


def select_customers(
    tx: Tx, rule: TargetRule, store_ids: Sequence[str], today_of: Mapping[str, date]
) -> dict[str, CustomerFacts]:
    """Customer id -> facts of everyone the rule selects in these stores, plus the rule's
    explicit customers wherever they are."""
    partial = rule.without_purchases()
    found: list[CustomerFacts] = []
    if rule.has_conditions and store_ids:
        for row in _prefiltered(tx, rule, store_ids):
            facts = _facts(row, rule)
            if conditions_hold(partial, facts, today_of[facts.store_id]):
                found.append(facts)
        if rule.needs_purchases:
            summaries = _summaries(tx, found, today_of)
            found = [
                facts
                for facts in found
                if selects(
                    rule,
                    CustomerFacts(**{**_fields(facts), "purchases": summaries[facts.customer_id]}),
                    today_of[facts.store_id],
                )
            ]
    chosen = {f.customer_id: f for f in found}
    explicit = [c for c in rule.customers if c not in chosen]
    for start in range(0, len(explicit), _CHUNK):
        query = sa.select(*_FACT_COLUMNS).where(
            customers.c.id.in_(explicit[start : start + _CHUNK])
        )
        for row in tx.conn.execute(query):
            chosen[row.id] = _facts(row, rule)
    return chosen


def _fields(facts: CustomerFacts) -> dict[str, Any]:
    return {name: getattr(facts, name) for name in facts.__slots__}


def store_days(tx: Tx) -> dict[str, date]:
    """Every store's today (its own time zone) at this transaction's clock."""
    now = tx.storage.clock()
    return {
        sid: store_today(now, zone)
        for sid, zone in tx.conn.execute(sa.select(stores.c.id, stores.c.timezone))
    }


# -- publishing ----------------------------------------------------------------------------


def _missing(tx: Tx, column: sa.Column, ids: Sequence[str]) -> list[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        found.update(r[0] for r in tx.conn.execute(sa.select(column).where(column.in_(chunk))))
    return [i for i in ids if i not in found]


def _check_references(tx: Tx, spec: TaskFile) -> None:
    """What only HQ's database can say about a file: the stores, guides, customers and
    content it names exist. Refused before anything is written."""
    for name, column, ids in (
        ("targets.stores", stores.c.id, spec.rule.stores),
        ("targets.guides", guides.c.id, spec.rule.guides),
        ("targets.customers", customers.c.id, spec.rule.customers),
        ("content", content.c.id, spec.content_ids),
    ):
        missing = _missing(tx, column, ids)
        if missing:
            n = list(ids).index(missing[0])
            what = name.rsplit(".", 1)[-1].rstrip("s")
            raise TaskFileError(f"{name}[{n}]", f"{what} {missing[0]} does not exist at HQ")


def publish(tx: Tx, spec: TaskFile) -> PublishResult:
    """Publish (or re-publish) a campaign inside ``tx``: see the module docstring."""
    _check_references(tx, spec)
    today_of = store_days(tx)
    rule = spec.rule
    covered = list(rule.stores) if rule.stores else list(today_of) if rule.has_conditions else []
    chosen = select_customers(tx, rule, covered, today_of)
    opted_out = _opted_out(tx, spec.kind.value, chosen)
    for cid in opted_out:
        del chosen[cid]
    existing = {
        t["store_id"]: t
        for t in (
            ENTITY_SPECS["task"].to_record(r)
            for r in tx.conn.execute(
                sa.select(tasks_table).where(tasks_table.c.campaign_id == spec.id)
            ).mappings()
        )
    }
    by_store: dict[str, list[CustomerFacts]] = defaultdict(list)
    for facts in chosen.values():
        by_store[facts.store_id].append(facts)
    # A named store gets its task even when nobody is selected there yet; an unnamed one
    # only when somebody is, or when it has the campaign's task already.
    wanted = set(rule.stores) | set(by_store)
    result = PublishResult(spec.id, created=not existing)
    current = _targets_of(tx, [t["id"] for t in existing.values()])
    for store_id in sorted(wanted | set(existing)):
        task_id = f"{spec.id}@{store_id}"
        status = TaskStatus.OPEN.value if store_id in wanted else TaskStatus.CANCELLED.value
        record = {
            "id": task_id,
            "campaign_id": spec.id,
            "store_id": store_id,
            "guide_id": None,
            "kind": spec.kind.value,
            "title": spec.title,
            "description": spec.instructions,
            "content_ids": list(spec.content_ids),
            "target_rule": rule.as_dict(),
            "starts_on": spec.starts_on,
            "due_on": spec.due_on,
            "status": status,
            "evidence": spec.evidence.value,
            "review": spec.review,
        }
        if existing.get(store_id) != record:
            tx.put("task", [record], scopes=store_id)
        outcome = result.stores[store_id] = StorePublished(
            task_id, status, opted_out=sum(1 for s in opted_out.values() if s == store_id)
        )
        have = current.get(task_id, {})
        selected = {f.customer_id: f for f in by_store.get(store_id, [])}
        fresh = []
        for cid, facts in selected.items():
            target = have.get(cid)
            if target is None:
                fresh.append(_open_target(task_id, cid, facts.guide_id))
            elif target["status"] in _TO_DO and target["guide_id"] != facts.guide_id:
                fresh.append({**target, "guide_id": facts.guide_id})  # follows its owner
        tx.put("task_target", fresh, scopes=store_id)
        outcome.added = sum(1 for t in fresh if t["customer_id"] not in have)
        gone = [t for cid, t in have.items() if cid not in selected]
        dropped = [t for t in gone if t["status"] == _OPEN]
        remove_targets(tx, dropped, reason="not targeted")
        outcome.removed = len(dropped)
        outcome.kept = len(gone) - len(dropped)
        outcome.targets = len(have) + outcome.added - outcome.removed
    return result


def _opted_out(tx: Tx, kind: str, chosen: Mapping[str, CustomerFacts]) -> dict[str, str]:
    """Customer id -> store of the ``chosen`` the task may not target (opted out of
    marketing, for a marketing task: app/domain/outreach.may_target). The opted-out are
    few: one pass over them, not one lookup per chosen customer."""
    if not chosen or may_target(kind, opted_out=True):
        return {}  # a service task: opting out of marketing does not matter
    query = sa.select(customers.c.id, customers.c.store_id).where(
        customers.c.marketing_opt_out.is_(True)
    )
    return {row.id: row.store_id for row in tx.conn.execute(query) if row.id in chosen}


def _open_target(task_id: str, customer_id: str, guide_id: str | None) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "customer_id": customer_id,
        "guide_id": guide_id,
        "status": _OPEN,
    }


def _targets_of(tx: Tx, task_ids: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """task id -> customer id -> target record."""
    spec = ENTITY_SPECS["task_target"]
    found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for task_id in task_ids:
        query = sa.select(targets_table).where(targets_table.c.task_id == task_id)
        for row in tx.conn.execute(query).mappings():
            found[task_id][row["customer_id"]] = spec.to_record(row)
    return found


def remove_targets(tx: Tx, targets: Sequence[Mapping[str, Any]], *, reason: str) -> None:
    """Delete task targets and send their tombstones to their customers' stores."""
    if not targets:
        return
    store_of = tx.customer_stores({t["customer_id"] for t in targets})
    for t in targets:
        tx.conn.execute(
            targets_table.delete().where(
                targets_table.c.task_id == t["task_id"],
                targets_table.c.customer_id == t["customer_id"],
            )
        )
        tx.emit_delete(
            "task_target",
            f"{t['task_id']}:{t['customer_id']}",
            scope=store_of[t["customer_id"]],
            reason=reason,
        )


def drop_marketing_targets(tx: Tx, customer_id: str) -> int:
    """The customer opted out of marketing: their open targets of marketing tasks go now,
    to every terminal of the store, as a re-publish would drop them
    (app/domain/outreach.may_target); worked or returned targets stay. Returns how many."""
    kinds = [k.value for k in TaskKind if not may_target(k.value, opted_out=True)]
    query = (
        sa.select(targets_table)
        .join(tasks_table, tasks_table.c.id == targets_table.c.task_id)
        .where(
            targets_table.c.customer_id == customer_id,
            targets_table.c.status == _OPEN,
            tasks_table.c.kind.in_(kinds),
        )
    )
    spec = ENTITY_SPECS["task_target"]
    found = [spec.to_record(r) for r in tx.conn.execute(query).mappings()]
    remove_targets(tx, found, reason="opted out of marketing")
    return len(found)


def cancel(tx: Tx, task_or_campaign: str) -> list[str]:
    """Cancel a campaign (every store's task) or one store's task; targets are kept.
    Returns the ids of the tasks cancelled now (already cancelled ones are left)."""
    query = sa.select(tasks_table).where(
        sa.or_(tasks_table.c.campaign_id == task_or_campaign, tasks_table.c.id == task_or_campaign)
    )
    found = [ENTITY_SPECS["task"].to_record(r) for r in tx.conn.execute(query).mappings()]
    if not found:
        raise NotFound(f"task {task_or_campaign} does not exist")
    cancelled = []
    for task in found:
        if task["status"] != TaskStatus.CANCELLED.value:
            tx.put(
                "task", [{**task, "status": TaskStatus.CANCELLED.value}], scopes=task["store_id"]
            )
            cancelled.append(task["id"])
    return cancelled


# -- a target follows its customer (called by Tx.move) --------------------------------------


def _customer_targets(
    tx: Tx, customer_ids: Sequence[str]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(target, its task) for every target of these customers (chunked IN lists)."""
    spec = ENTITY_SPECS["task_target"]
    found = []
    for start in range(0, len(customer_ids), _CHUNK):
        query = (
            sa.select(targets_table, tasks_table.c.store_id.label("task_store"))
            .join(tasks_table, tasks_table.c.id == targets_table.c.task_id)
            .where(targets_table.c.customer_id.in_(list(customer_ids[start : start + _CHUNK])))
            .order_by(targets_table.c.customer_id, targets_table.c.task_id)
        )
        found += [
            (spec.to_record(r), {"store_id": r["task_store"]})
            for r in tx.conn.execute(query).mappings()
        ]
    return found


def follow_within_store(tx: Tx, customer_id: str, store_id: str, to_guide: str | None) -> None:
    """The customer's open (or reopened) targets go to their new guide in the same store."""
    follow_within_store_many(tx, {customer_id: to_guide}, store_id)


def follow_within_store_many(tx: Tx, new_guides: Mapping[str, str | None], store_id: str) -> None:
    """:func:`follow_within_store` for many customers of one store at once."""
    moved = [
        {**t, "guide_id": new_guides[t["customer_id"]]}
        for t, _task in _customer_targets(tx, list(new_guides))
        if t["status"] in _TO_DO and t["guide_id"] != new_guides[t["customer_id"]]
    ]
    tx.put("task_target", moved, scopes=store_id)


def leave_store(tx: Tx, customer_id: str, from_store: str) -> list[str]:
    """Before a customer goes to another store: remove their open targets of the old
    store's tasks (tombstones to the old store). Returns the tasks they were open in."""
    return leave_store_many(tx, {customer_id: from_store}).get(customer_id, [])


def leave_store_many(tx: Tx, from_stores: Mapping[str, str]) -> dict[str, list[str]]:
    """:func:`leave_store` for many customers (customer id -> the store they leave):
    per customer, the tasks they were open in (customers without any are left out)."""
    dropped = [
        t
        for t, task in _customer_targets(tx, list(from_stores))
        if t["status"] == _OPEN and task["store_id"] == from_stores[t["customer_id"]]
    ]
    left: dict[str, list[str]] = defaultdict(list)
    for t in dropped:
        left[t["customer_id"]].append(t["task_id"])
    for task_id, group in _by_task(dropped).items():
        for start in range(0, len(group), _CHUNK):
            tx.conn.execute(
                targets_table.delete().where(
                    targets_table.c.task_id == task_id,
                    targets_table.c.customer_id.in_(group[start : start + _CHUNK]),
                )
            )
    for t in dropped:
        tx.emit_delete(
            "task_target",
            f"{t['task_id']}:{t['customer_id']}",
            scope=from_stores[t["customer_id"]],
            reason="moved",
        )
    return dict(left)


def _by_task(targets: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for t in targets:
        grouped[t["task_id"]].append(t["customer_id"])
    return grouped


def arrive_in_store_many(
    tx: Tx, arrivals: Sequence[tuple[Mapping[str, Any], Sequence[str]]]
) -> None:
    """:func:`arrive_in_store` for many (customer in their new store, tasks they left):
    two queries find which campaigns have an open task in those stores at all; only the
    customers such a task may take are looked at one by one."""
    left_tasks = sorted({t for _, left in arrivals for t in left})
    campaign_of: dict[str, str] = {}
    for start in range(0, len(left_tasks), _CHUNK):
        query = sa.select(tasks_table.c.id, tasks_table.c.campaign_id).where(
            tasks_table.c.id.in_(left_tasks[start : start + _CHUNK]),
            tasks_table.c.campaign_id.is_not(None),
        )
        campaign_of.update(dict(tx.conn.execute(query).all()))
    if not campaign_of:
        return
    open_in = set(
        tx.conn.execute(
            sa.select(tasks_table.c.campaign_id, tasks_table.c.store_id).where(
                tasks_table.c.campaign_id.in_(sorted(set(campaign_of.values()))),
                tasks_table.c.store_id.in_(sorted({c["store_id"] for c, _ in arrivals})),
                tasks_table.c.status == TaskStatus.OPEN.value,
            )
        ).all()
    )
    for customer, left in arrivals:
        if any((campaign_of.get(t), customer["store_id"]) in open_in for t in left):
            arrive_in_store(tx, customer, left, customer["store_id"])


def arrive_in_store(
    tx: Tx, customer: Mapping[str, Any], left_tasks: Sequence[str], to_store: str
) -> None:
    """After a customer arrived in another store: for each campaign they had an open
    target in, a target in the campaign's open task of the new store if its rule selects
    them there (their new guide, the new store's today)."""
    if not left_tasks:
        return
    campaigns = {
        r[0]
        for r in tx.conn.execute(
            sa.select(tasks_table.c.campaign_id).where(
                tasks_table.c.id.in_(list(left_tasks)), tasks_table.c.campaign_id.is_not(None)
            )
        )
    }
    if not campaigns:
        return
    query = sa.select(tasks_table).where(
        tasks_table.c.campaign_id.in_(sorted(campaigns)),
        tasks_table.c.store_id == to_store,
        tasks_table.c.status == TaskStatus.OPEN.value,
    )
    found = [ENTITY_SPECS["task"].to_record(r) for r in tx.conn.execute(query).mappings()]
    if not found:
        return
    today = store_days(tx)[to_store]
    base = CustomerFacts(
        customer_id=customer["id"],
        store_id=to_store,
        guide_id=customer["guide_id"],
        tier=customer["tier"],
        tags=frozenset(customer["tags"]),
        birthday=customer["birthday"],
    )
    added = []
    for task in found:
        try:
            rule = parse_targets(task["target_rule"])
        except TargetRuleError:
            continue  # not a published rule (a hand-made task): nothing to resolve
        facts = base
        if rule.needs_purchases:
            summary = _summaries(tx, [base], {to_store: today})[customer["id"]]
            facts = CustomerFacts(**{**_fields(base), "purchases": summary})
        if (
            selects(rule, facts, today)
            and tx.get("task_target", f"{task['id']}:{customer['id']}") is None
        ):
            added.append(_open_target(task["id"], customer["id"], customer["guide_id"]))
    tx.put("task_target", added, scopes=to_store)


# -- the report ----------------------------------------------------------------------------

REPORT_COLUMNS = (
    "task_id",
    "campaign_id",
    "store_id",
    "title",
    "due_on",
    "task_status",
    "guide_id",
    "guide_name",
    "targets",
    "done",
    "open",
    "overdue",
    "approved",
    "rejected",
)


def report_rows(
    tx_conn: Any, *, task: str | None, store: str | None, days: Mapping[str, date]
) -> list[dict[str, Any]]:
    """Per task and guide: targets, done (done + approved), open (open + rejected, which
    is reopened for its guide), overdue (open past due_on in the store's today),
    approved, rejected. A completion counts for its author; anything else for the
    target's guide."""
    done = (TaskTargetStatus.DONE.value, TaskTargetStatus.APPROVED.value)
    who = sa.case(
        (
            sa.and_(targets_table.c.status.in_(done), targets_table.c.completed_by.is_not(None)),
            targets_table.c.completed_by,
        ),
        else_=targets_table.c.guide_id,
    ).label("guide")
    query = (
        sa.select(
            tasks_table.c.id,
            tasks_table.c.campaign_id,
            tasks_table.c.store_id,
            tasks_table.c.title,
            tasks_table.c.due_on,
            tasks_table.c.status,
            who,
            targets_table.c.status.label("target_status"),
            sa.func.count(targets_table.c.customer_id).label("n"),
        )
        .select_from(
            tasks_table.outerjoin(targets_table, targets_table.c.task_id == tasks_table.c.id)
        )
        .group_by(
            tasks_table.c.id,
            tasks_table.c.campaign_id,
            tasks_table.c.store_id,
            tasks_table.c.title,
            tasks_table.c.due_on,
            tasks_table.c.status,
            who,
            targets_table.c.status,
        )
    )
    if task:
        query = query.where(sa.or_(tasks_table.c.id == task, tasks_table.c.campaign_id == task))
    if store:
        query = query.where(tasks_table.c.store_id == store)
    names = dict(tx_conn.execute(sa.select(guides.c.id, guides.c.name)).all())
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for r in tx_conn.execute(query):
        key = (r.id, r.guide or "")
        row = rows.get(key)
        if row is None:
            row = rows[key] = {
                "task_id": r.id,
                "campaign_id": r.campaign_id,
                "store_id": r.store_id,
                "title": r.title,
                "due_on": r.due_on,
                "task_status": r.status,
                "guide_id": r.guide,
                "guide_name": names.get(r.guide) if r.guide else None,
                **dict.fromkeys(("targets", "done", "open", "overdue", "approved", "rejected"), 0),
            }
        if r.target_status is None:
            continue  # a task without targets: one row of zeros
        n = int(r.n)
        row["targets"] += n
        if r.target_status in done:
            row["done"] += n
        else:
            row["open"] += n
            today = days.get(r.store_id)
            if r.due_on and today is not None and today.isoformat() > r.due_on:
                row["overdue"] += n
        if r.target_status == TaskTargetStatus.APPROVED.value:
            row["approved"] += n
        if r.target_status == TaskTargetStatus.REJECTED.value:
            row["rejected"] += n
    return [rows[k] for k in sorted(rows)]


# -- HQStorage's operations ----------------------------------------------------------------


class Tasks:
    """HQStorage's campaigns (mixed into :class:`~sync.hq.storage.HQStorage`)."""

    def publish_task(self, raw: Any) -> PublishResult:
        """Check a whole task file, then publish it in one transaction (nothing is written
        when any field is refused)."""
        spec = raw if isinstance(raw, TaskFile) else parse_task_file(raw)
        with self.write() as tx:
            return publish(tx, spec)

    def cancel_task(self, task_or_campaign: str) -> list[str]:
        with self.write() as tx:
            return cancel(tx, task_or_campaign)

    def task_report(
        self, *, task: str | None = None, store: str | None = None
    ) -> list[dict[str, Any]]:
        with self.read() as conn:
            now = self.clock()
            days = {
                sid: store_today(now, zone)
                for sid, zone in conn.execute(sa.select(stores.c.id, stores.c.timezone))
            }
            if store and store not in days:
                raise NotFound(f"store {store} does not exist")
            found = report_rows(conn, task=task, store=store, days=days)
            if task and not found:
                exists = conn.execute(
                    sa.select(tasks_table.c.id).where(
                        sa.or_(tasks_table.c.id == task, tasks_table.c.campaign_id == task)
                    )
                ).first()
                if exists is None:
                    raise NotFound(f"task {task} does not exist")
            return found


def conflict_record(
    customer_id: str,
    *,
    kept: Mapping[str, Any] | None,
    lost: Mapping[str, Any] | None,
    lost_by: str | None,
    detail: str,
    now: str,
) -> dict[str, Any]:
    """A ``conflict`` record about a task target (field ``task_target``): what HQ kept,
    what it did not apply, and why — the terminal's profile shows it."""

    def value(v: Mapping[str, Any] | None) -> str | None:
        if v is None:
            return None
        keep = ("task_id", "completed_by", "completed_at", "outcome", "status")
        shown = {k: v.get(k) for k in keep} | {"evidence": (v.get("evidence") or "")[:1000]}
        return json.dumps(shown, ensure_ascii=False, separators=(",", ":"))

    return {
        "id": f"conflict-{uuid.uuid4().hex}",
        "customer_id": customer_id,
        "field": "task_target",
        "kept_value": value(kept),
        "lost_value": value(lost),
        "lost_by": lost_by,
        "detail": detail[:1000],
        "created_at": now,
    }
