-- GuideDesk terminal schema, version 1.
-- Ids are HQ's business ids (stores S001, guides G001, customers from the CRM, orders)
-- or client-made UUIDs (follow-ups, shares, appointments). Every pulled row carries
-- `version`: the HQ change sequence that last wrote it (used for checksums).
-- Times are ISO-8601 UTC text ('2026-11-22T08:30:00Z'), dates 'YYYY-MM-DD'; money in cents.

CREATE TABLE stores (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    city        TEXT NOT NULL DEFAULT '',
    version     INTEGER NOT NULL DEFAULT 0
);

-- 导购 guides and 店长 managers of the terminal's store. pin_verifier is an argon2 hash
-- sent by HQ so a guide can sign in offline; the PIN itself never reaches the terminal.
CREATE TABLE guides (
    id            TEXT PRIMARY KEY,
    store_id      TEXT NOT NULL,
    name          TEXT NOT NULL,
    is_manager    INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1,
    pin_verifier  TEXT,
    version       INTEGER NOT NULL DEFAULT 0
);

-- The customer book. HQ owns identity, tier, points and owner (guide_id); the guide may
-- edit tags, sizes, preferences and note (merged field by field on HQ).
-- Derived columns (last_purchase_at … recency, stage, search_keys) are recomputed on the
-- terminal whenever purchases or follow-ups change, so filters and sorts are indexed.
CREATE TABLE customers (
    rid               INTEGER PRIMARY KEY,          -- local rowid, the FTS content rowid
    id                TEXT NOT NULL UNIQUE,
    store_id          TEXT NOT NULL,
    guide_id          TEXT,
    name              TEXT NOT NULL,
    phone             TEXT NOT NULL DEFAULT '',
    gender            TEXT NOT NULL DEFAULT '',     -- 'F', 'M' or ''
    birthday          TEXT,                         -- 'YYYY-MM-DD'
    birthday_md       TEXT,                         -- 'MM-DD', for birthday windows
    tier              TEXT NOT NULL DEFAULT 'regular',  -- head / waist / regular
    points            INTEGER NOT NULL DEFAULT 0,
    tags              TEXT NOT NULL DEFAULT '[]',   -- JSON list
    sizes             TEXT NOT NULL DEFAULT '{}',   -- JSON object: top / bottom / shoe …
    preferences       TEXT NOT NULL DEFAULT '',
    note              TEXT NOT NULL DEFAULT '',
    joined_at         TEXT,
    last_purchase_at  TEXT,
    orders_365        INTEGER NOT NULL DEFAULT 0,
    spent_365_cents   INTEGER NOT NULL DEFAULT 0,
    total_spent_cents INTEGER NOT NULL DEFAULT 0,
    last_contact_at   TEXT,
    next_followup_on  TEXT,
    recency           TEXT NOT NULL DEFAULT '',     -- latest of purchase, contact, join
    stage             TEXT NOT NULL DEFAULT 'prospect',
    name_sort         TEXT NOT NULL DEFAULT '',     -- pinyin, for sorting by name
    search_keys       TEXT NOT NULL DEFAULT '',     -- ' tok1 tok2 … ' (see domain.search_keys)
    version           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customers_recency ON customers (recency DESC);
CREATE INDEX customers_guide_recency ON customers (guide_id, recency DESC);
CREATE INDEX customers_name_sort ON customers (name_sort);
CREATE INDEX customers_points ON customers (points DESC);
CREATE INDEX customers_last_contact ON customers (last_contact_at);
CREATE INDEX customers_birthday_md ON customers (birthday_md);

CREATE TABLE customer_tags (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (tag, customer_id)
) WITHOUT ROWID;
CREATE INDEX customer_tags_customer ON customer_tags (customer_id);

-- Pinyin / phone-tail / name search (PERFORMANCE.md: FTS5 prefix indexes).
CREATE VIRTUAL TABLE customer_fts USING fts5 (
    search_keys,
    content = 'customers',
    content_rowid = 'rid',
    tokenize = "unicode61 remove_diacritics 0",
    prefix = '1 2 3'
);
CREATE TRIGGER customers_fts_ai AFTER INSERT ON customers BEGIN
    INSERT INTO customer_fts (rowid, search_keys) VALUES (new.rid, new.search_keys);
END;
CREATE TRIGGER customers_fts_ad AFTER DELETE ON customers BEGIN
    INSERT INTO customer_fts (customer_fts, rowid, search_keys)
    VALUES ('delete', old.rid, old.search_keys);
END;
CREATE TRIGGER customers_fts_au AFTER UPDATE OF search_keys ON customers BEGIN
    INSERT INTO customer_fts (customer_fts, rowid, search_keys)
    VALUES ('delete', old.rid, old.search_keys);
    INSERT INTO customer_fts (rowid, search_keys) VALUES (new.rid, new.search_keys);
END;

CREATE TABLE products (
    sku          TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    category     TEXT NOT NULL DEFAULT '',
    color        TEXT NOT NULL DEFAULT '',
    price_cents  INTEGER NOT NULL DEFAULT 0,
    image        TEXT,
    version      INTEGER NOT NULL DEFAULT 0
);

-- Purchase history: HQ master data, pulled. Items reference products by SKU (a SKU
-- unknown to the catalogue still shows, by its code).
CREATE TABLE purchases (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    store_id      TEXT NOT NULL,
    guide_id      TEXT,
    paid_at       TEXT NOT NULL,
    amount_cents  INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX purchases_customer ON purchases (customer_id, paid_at DESC);

CREATE TABLE purchase_items (
    purchase_id  TEXT NOT NULL REFERENCES purchases (id) ON DELETE CASCADE,
    line         INTEGER NOT NULL,
    sku          TEXT NOT NULL,
    qty          INTEGER NOT NULL,
    price_cents  INTEGER,
    PRIMARY KEY (purchase_id, line)
) WITHOUT ROWID;

-- 跟进 follow-ups: append-only, made on a terminal (client UUID) or pulled from HQ.
CREATE TABLE followups (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL,
    guide_id          TEXT NOT NULL,
    channel           TEXT NOT NULL,                 -- wechat / call / in_store / sms
    note              TEXT NOT NULL DEFAULT '',
    next_followup_on  TEXT,
    created_at        TEXT NOT NULL,
    task_id           TEXT,
    version           INTEGER NOT NULL DEFAULT 0    -- 0 = made here, not yet echoed by HQ
);
CREATE INDEX followups_customer ON followups (customer_id, created_at DESC);

-- Marketing content (活动软文, 推荐搭配, product cards, posters, peer tips).
CREATE TABLE content (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,                     -- copy / outfit / product / poster / tip
    title         TEXT NOT NULL,
    body          TEXT NOT NULL DEFAULT '',
    images        TEXT NOT NULL DEFAULT '[]',
    skus          TEXT NOT NULL DEFAULT '[]',
    category_631  TEXT NOT NULL DEFAULT 'brand',     -- brand / service / selling (the 631 rule)
    published_at  TEXT,
    expires_at    TEXT,
    version       INTEGER NOT NULL DEFAULT 0
);

-- HQ campaigns and tasks with their target lists; personal tasks are generated offline.
CREATE TABLE tasks (
    id            TEXT PRIMARY KEY,
    campaign_id   TEXT,
    store_id      TEXT,
    guide_id      TEXT,                              -- NULL: every guide of the store
    kind          TEXT NOT NULL DEFAULT 'campaign',  -- campaign / followup / birthday / onboarding / handover
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    content_id    TEXT,
    target_rule   TEXT NOT NULL DEFAULT '{}',
    starts_on     TEXT,
    due_on        TEXT,
    status        TEXT NOT NULL DEFAULT 'open',
    version       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE task_targets (
    task_id         TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    guide_id        TEXT,
    status          TEXT NOT NULL DEFAULT 'open',    -- open / done / approved / rejected
    completed_at    TEXT,
    evidence        TEXT NOT NULL DEFAULT '',
    review_comment  TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (task_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX task_targets_customer ON task_targets (customer_id);

-- Shares of content to customers (转发), counted toward tasks and attribution.
CREATE TABLE shares (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    guide_id     TEXT NOT NULL,
    content_id   TEXT,
    task_id      TEXT,
    channel      TEXT NOT NULL DEFAULT 'wechat',
    shared_at    TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX shares_customer ON shares (customer_id, shared_at DESC);

CREATE TABLE appointments (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    guide_id     TEXT NOT NULL,
    starts_at    TEXT NOT NULL,
    ends_at      TEXT NOT NULL,
    purpose      TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'booked',     -- booked / done / cancelled / no_show
    rating       INTEGER,
    version      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX appointments_guide ON appointments (guide_id, starts_at);

-- Every local change, written in the same transaction as the change itself.
-- Version 1 of the outbox: no status; a row leaves only when HQ acknowledged it.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id  TEXT NOT NULL UNIQUE,               -- client-made UUID
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    op           TEXT NOT NULL,
    payload      TEXT NOT NULL,                      -- JSON
    created_at   TEXT NOT NULL
);

CREATE TABLE sync_state (
    key    TEXT PRIMARY KEY,
    value  TEXT
);
