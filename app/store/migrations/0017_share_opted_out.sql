-- Version 17: HQ's finding on a share (sync/records.py "share".opted_out): the customer
-- had opted out of marketing when the share reached HQ, sent from a terminal that did not
-- know yet. Pulled from HQ like over_cap; a terminal never sends it.
ALTER TABLE shares ADD COLUMN opted_out INTEGER NOT NULL DEFAULT 0;
