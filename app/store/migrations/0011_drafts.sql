-- Version 11: drafts of the dialogs (issue 10, "forgiving dialogs").
-- What a guide typed in a follow-up, edit or task-outcome dialog and closed without saving
-- (Esc, Cancel, the window's close box, the app closing): it comes back the next time that
-- dialog opens for the same customer (and task). Local only: never synced, never in the
-- outbox; a revoked terminal's wipe removes them with the rest of the customers' data.
-- ``task_id`` is '' where the dialog has no task (a key column cannot usefully be NULL).
CREATE TABLE drafts (
    kind         TEXT NOT NULL,      -- 'followup' | 'edit_customer' | 'task_outcome'
    guide_id     TEXT NOT NULL,      -- whose typing it is: another guide never sees it
    customer_id  TEXT NOT NULL,
    task_id      TEXT NOT NULL DEFAULT '',
    fields       TEXT NOT NULL,      -- JSON object: the dialog's fields as typed
    updated_at   TEXT NOT NULL,      -- ISO-8601 UTC with a Z
    PRIMARY KEY (kind, guide_id, customer_id, task_id)
) WITHOUT ROWID;
