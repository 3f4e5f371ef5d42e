-- Version 2: the outbox learns who made a mutation and what HQ said of it; lost edits
-- and phone reveals get tables of their own.

-- A rejected mutation is kept (status 'rejected' + HQ's reason) and shown, never dropped.
ALTER TABLE outbox ADD COLUMN guide_id TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';   -- pending / rejected
ALTER TABLE outbox ADD COLUMN reject_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
-- Version-1 mutations carried the guide inside the payload.
UPDATE outbox SET guide_id = coalesce(json_extract(payload, '$.guide_id'), '') WHERE guide_id = '';
CREATE INDEX outbox_status ON outbox (status, seq);

-- Field edits that lost a merge on HQ (the value that was overwritten is kept here and
-- shown in the profile), pulled from HQ.
CREATE TABLE conflicts (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    field        TEXT NOT NULL,
    kept_value   TEXT,
    lost_value   TEXT,
    lost_by      TEXT,
    detail       TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conflicts_customer ON conflicts (customer_id);

-- PIPL: every reveal of a full phone number is recorded (and pushed to HQ via the outbox).
CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    guide_id     TEXT NOT NULL,
    action       TEXT NOT NULL,
    customer_id  TEXT,
    at           TEXT NOT NULL
);
