-- Version 7: handovers (交接) as HQ sends them (sync/records.py "handover"): who had the
-- customer before, when and why they changed hands, and the brief HQ computed then. The
-- profile shows the latest one ("inherited from 王芳 on 2026-12-02"); the record goes
-- with its customer, like the rest of their history.
CREATE TABLE handovers (
    id               TEXT PRIMARY KEY,
    customer_id      TEXT NOT NULL,
    from_guide_id    TEXT,
    from_guide_name  TEXT NOT NULL DEFAULT '',
    to_guide_id      TEXT,
    moved_at         TEXT NOT NULL,
    reason           TEXT NOT NULL DEFAULT 'transfer',   -- departure / transfer
    brief            TEXT NOT NULL DEFAULT '{}',         -- JSON, app/domain/handover.py
    version          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX handovers_customer ON handovers (customer_id, moved_at DESC);
