"""What a store write changed, so each view refreshes only what concerns it (Anki's OpChanges)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Changes:
    customers: frozenset[str] = field(default_factory=frozenset)
    followups: frozenset[str] = field(default_factory=frozenset)
    outbox: bool = False
    # Kinds of synced record a sync (or a write) changed: 'task', 'task_target', 'guide' …
    entities: frozenset[str] = field(default_factory=frozenset)
    # A first sync, a reset or a wipe touched more than a view can track row by row.
    everything: bool = False

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            customers=self.customers | other.customers,
            followups=self.followups | other.followups,
            outbox=self.outbox or other.outbox,
            entities=self.entities | other.entities,
            everything=self.everything or other.everything,
        )

    def touches_customer(self, customer_id: str) -> bool:
        return self.everything or customer_id in self.customers

    def touches(self, *entities: str) -> bool:
        """True when any of these kinds of record changed (or everything did)."""
        return self.everything or not self.entities.isdisjoint(entities)
