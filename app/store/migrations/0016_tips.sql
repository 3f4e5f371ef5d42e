-- Version 16: peer tips (无师自通, issue 11) as declared in sync/records.py "tip": a guide's
-- few lines and an optional picture (its sha256; the bytes in the picture cache) for the
-- store or the whole brand. HQ pins or hides one. A tip posted here is a row of version 0
-- until HQ's copy arrives (like a follow-up), so a reset keeps it.
CREATE TABLE tips (
    id          TEXT PRIMARY KEY,
    guide_id    TEXT NOT NULL,
    guide_name  TEXT NOT NULL DEFAULT '',
    store_id    TEXT NOT NULL,
    audience    TEXT NOT NULL DEFAULT 'store',   -- store / brand
    body        TEXT NOT NULL,
    image       TEXT,                            -- sha256 hex of the picture, or NULL
    created_at  TEXT NOT NULL,
    pinned      INTEGER NOT NULL DEFAULT 0,
    hidden      INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL DEFAULT 0
);
-- The panel's list: not hidden, pinned first, newest first.
CREATE INDEX tips_order ON tips (hidden, pinned DESC, created_at DESC, id DESC);
