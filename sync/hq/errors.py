"""The typed failures of HQ's storage: each carries a message an operator or a terminal
can act on (STYLE.md, pattern 6)."""

from __future__ import annotations


class StorageError(Exception):
    """A known failure with a message an operator or a terminal can act on."""


class NotFound(StorageError):
    pass


class InvalidCursor(StorageError):
    pass


class ResetRequired(StorageError):
    """The cursor is below the compaction horizon: the terminal must pull from scratch."""


class Rejected(StorageError):
    """A pushed mutation HQ refuses; the message goes back to the terminal as the reason."""


class InvalidRecord(Rejected):
    """A record that does not fit its declaration in sync/records.py: HQ writes none, so
    no terminal is ever handed a record its schema refuses."""
