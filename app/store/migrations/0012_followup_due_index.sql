-- The book's "Follow-up due" filter (待跟进, app/domain/followups.py): customers whose next
-- follow-up date is on or before the store's today. Few customers have a date planned,
-- so a partial index keeps it small; the filter and its count read it instead of
-- walking the whole book.
CREATE INDEX IF NOT EXISTS customers_next_followup
    ON customers (next_followup_on) WHERE next_followup_on IS NOT NULL;
