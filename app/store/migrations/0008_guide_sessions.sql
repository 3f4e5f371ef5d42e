-- Version 8: who signed in, provably (issue 8).
-- A guide's session from HQ's sign-in: outbox rows made while it is valid carry it, so HQ
-- records which person acted. No row (or an expired one) = signed in offline.
CREATE TABLE guide_sessions (
    guide_id      TEXT PRIMARY KEY,
    session       TEXT NOT NULL,
    expires_at    TEXT NOT NULL,      -- ISO-8601 UTC with a Z, as every time in this file
    signed_in_at  TEXT NOT NULL
);

-- Wrong PINs per guide on this terminal: they survive a restart and lock that guide only.
-- ``locks`` counts the locks since the last good sign-in (each one lasts longer).
CREATE TABLE sign_in_failures (
    guide_id         TEXT PRIMARY KEY,
    failures         INTEGER NOT NULL DEFAULT 0,
    locks            INTEGER NOT NULL DEFAULT 0,
    locked_until     TEXT,
    last_failure_at  TEXT
);

-- The guide session a mutation was made under (NULL: signed in offline); pushed as the
-- mutation envelope's ``session``. Fixed when the row is written: signing out or locking
-- later changes nothing already queued.
ALTER TABLE outbox ADD COLUMN session TEXT;
