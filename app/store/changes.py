"""What a store write changed, so each view refreshes only what concerns it (Anki's OpChanges)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Changes:
    customers: frozenset[str] = field(default_factory=frozenset)
    followups: frozenset[str] = field(default_factory=frozenset)
    outbox: bool = False
    # A sync apply or a reset touched more than a view can track row by row.
    everything: bool = False

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            customers=self.customers | other.customers,
            followups=self.followups | other.followups,
            outbox=self.outbox or other.outbox,
            everything=self.everything or other.everything,
        )

    def touches_customer(self, customer_id: str) -> bool:
        return self.everything or customer_id in self.customers
