-- Version 14: consent and contact fatigue, free compositions (issue 11), as declared in
-- sync/records.py: the store's contact cap, the customer's marketing opt-out, and what a
-- share carried (its 631 category, a composition's words, pictures and products, an
-- override of the cap and HQ's re-check). Added columns only.
ALTER TABLE stores ADD COLUMN contact_cap INTEGER;
ALTER TABLE stores ADD COLUMN contact_cap_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE customers ADD COLUMN marketing_opt_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN opt_out_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE shares ADD COLUMN category_631 TEXT;
ALTER TABLE shares ADD COLUMN body TEXT NOT NULL DEFAULT '';
ALTER TABLE shares ADD COLUMN images TEXT NOT NULL DEFAULT '[]';        -- JSON list of sha256
ALTER TABLE shares ADD COLUMN skus TEXT NOT NULL DEFAULT '[]';          -- JSON list
ALTER TABLE shares ADD COLUMN override_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE shares ADD COLUMN over_cap INTEGER NOT NULL DEFAULT 0;
CREATE INDEX shares_guide_time ON shares (guide_id, shared_at);
