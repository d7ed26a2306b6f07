-- Keyset paging of "what changed since" (GET /api/v1/changes, `miernik changes`). Kept
-- column-for-column equal to ../sqlite/0004_changes_keyset.sql.
--
-- The feed is ordered by (import_log.finished_at, import id, variable_id, unit_id, year), a
-- total order, and a page starts right after the last row of the page before: a range scan
-- of these two indexes from the cursor, whatever the depth. Paging by OFFSET sorted every
-- change and skipped the rows before the page (3.3 s at offset 850,000), and probing the
-- variables of each import through the primary key (0001's plan) read every row of those
-- variables, changed by that import or not.
--
-- The price is one more B-tree on observation, written on every insert and change (not on
-- an unchanged re-import): a new import's entries all go to its right-hand end, as its
-- import id is the newest.
CREATE INDEX import_log_by_finished ON import_log(finished_at, id);
CREATE INDEX observation_by_import ON observation(import_id, variable_id, unit_id, year);
