"""A dialog's draft: what the guide typed and did not save, kept in the terminal store.

``DraftSlot`` is the one thing a dialog knows about drafts (no SQL in widgets): ``load``
reads the kept draft once when the dialog opens — one primary-key read on the UI
thread's own connection, so the text is there before the first key press — and ``keep``
/ ``discard`` run on the write lane, in order with the dialog's save.
"""

from __future__ import annotations

import logging
from typing import Any

from app.store.drafts import DraftKey, DraftKind, discard_draft, keep_draft, load_draft
from app.ui.session import Session

log = logging.getLogger("guidedesk.ui")


class DraftSlot:
    def __init__(
        self,
        session: Session,
        kind: DraftKind,
        *,
        guide_id: str,
        customer_id: str,
        task_id: str | None = None,
    ) -> None:
        self.session = session
        self.key = DraftKey(kind, guide_id, customer_id, task_id or "")

    def load(self) -> dict[str, Any] | None:
        draft = load_draft(self.session.conn, self.key)
        return draft.fields if draft is not None else None

    def keep(self, fields: dict[str, Any]) -> None:
        key, now = self.key, self.session.now_iso()
        self._run(lambda conn: keep_draft(conn, key, fields, now=now))

    def discard(self) -> None:
        key = self.key
        self._run(lambda conn: discard_draft(conn, key))

    def _run(self, job: Any) -> None:
        def failed(exc: BaseException) -> None:
            # A draft is a courtesy: a failed one (disk full) must not interrupt the
            # guide with a dialog while typing; the save that follows reports it.
            log.warning("draft %s not written: %s", self.key.kind.value, type(exc).__name__)

        try:
            self.session.write.run(job, failure=failed)
        except RuntimeError:
            pass  # the app is closing: its write lane takes no more work
