-- Version 6: personal tasks (follow-ups that are due) are found by index, not by a scan of
-- the guide's whole book (app/store/tasks.py personal_candidates).
CREATE INDEX customers_guide_next_followup ON customers (guide_id, next_followup_on);
