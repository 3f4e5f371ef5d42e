-- Version 15: free compositions (自由组合, issue 11): a guide's own message made of their
-- words, library pictures and products, kept here as a draft until (and after) it is
-- shared. Local only: never synced, never in the outbox; a share of one carries its
-- words, pictures and products itself (shares.body / images / skus).
CREATE TABLE compositions (
    id            TEXT PRIMARY KEY,
    guide_id      TEXT NOT NULL,               -- whose draft: another guide never sees it
    title         TEXT NOT NULL DEFAULT '',    -- the body's first line
    body          TEXT NOT NULL DEFAULT '',    -- as typed; {称呼}/{导购}/{门店} unfilled
    images        TEXT NOT NULL DEFAULT '[]',  -- JSON list of picture sha256 hashes
    skus          TEXT NOT NULL DEFAULT '[]',  -- JSON list of product SKUs
    category_631  TEXT,                        -- brand / service / selling, NULL: not chosen
    created_at    TEXT NOT NULL,               -- ISO-8601 UTC with a Z
    updated_at    TEXT NOT NULL
);
-- The guide's drafts, last edited first.
CREATE INDEX compositions_by_guide ON compositions (guide_id, updated_at DESC);
