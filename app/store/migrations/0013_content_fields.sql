-- Version 13: the content fields HQ publishes (issue 11), as declared in sync/records.py;
-- added columns only, so plain ALTER TABLE does it. ``images`` holds sha256 hex hashes.
ALTER TABLE content ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';   -- JSON list
ALTER TABLE content ADD COLUMN campaign TEXT;
ALTER TABLE content ADD COLUMN valid_from TEXT;                   -- 'YYYY-MM-DD'
ALTER TABLE content ADD COLUMN valid_until TEXT;                  -- 'YYYY-MM-DD', inclusive
ALTER TABLE content ADD COLUMN sku TEXT;
ALTER TABLE content ADD COLUMN price_cents INTEGER;
ALTER TABLE content ADD COLUMN caption TEXT NOT NULL DEFAULT '';
ALTER TABLE content ADD COLUMN status TEXT NOT NULL DEFAULT 'active';  -- active / retired
