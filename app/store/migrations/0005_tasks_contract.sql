-- Version 5: the fields tasks need (HQ campaigns, the guide's Today, the manager's review),
-- as declared in sync/records.py; added columns only, so plain ALTER TABLE does it.

-- The store's time zone: "today" for birthdays, stages and due dates (app/domain/clock.py).
ALTER TABLE stores ADD COLUMN timezone TEXT NOT NULL DEFAULT 'Asia/Shanghai';

ALTER TABLE tasks ADD COLUMN content_ids TEXT NOT NULL DEFAULT '[]';   -- JSON list
ALTER TABLE tasks ADD COLUMN evidence TEXT NOT NULL DEFAULT 'none';    -- none / note / picture
ALTER TABLE tasks ADD COLUMN review INTEGER NOT NULL DEFAULT 0;        -- a manager approves

ALTER TABLE task_targets ADD COLUMN completed_by TEXT;
ALTER TABLE task_targets ADD COLUMN outcome TEXT;          -- contacted / unreachable / …
ALTER TABLE task_targets ADD COLUMN evidence_picture TEXT; -- base64, scaled down
ALTER TABLE task_targets ADD COLUMN reviewed_by TEXT;
ALTER TABLE task_targets ADD COLUMN reviewed_at TEXT;
CREATE INDEX task_targets_guide ON task_targets (guide_id, status);
