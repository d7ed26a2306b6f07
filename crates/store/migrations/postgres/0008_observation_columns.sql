-- Observations by variable as one columnar record each (issue 20): the snapshot build reads a
-- few hundred records instead of millions of rows. A record is derived data: it holds exactly
-- the rows of `observation` for its variable when its `stamp` equals the variable's
-- `data_stamp`, which every write of observations moves in its own transaction (the import's
-- finish and a revert), and which the record is built from in one consistent read. A stale or
-- missing record is never wrong, only slower: the reader takes the rows instead.
ALTER TABLE variable ADD COLUMN data_stamp BIGINT NOT NULL DEFAULT 0;

CREATE TABLE observation_column (
    variable_id BIGINT PRIMARY KEY REFERENCES variable(id),
    stamp       BIGINT NOT NULL,
    n_rows      BIGINT NOT NULL,
    min_year    BIGINT,
    max_year    BIGINT,
    data        BYTEA NOT NULL
);

-- Every node hears of a change at once (LISTEN miernik_changes): a new or finished import
-- (every change of data is one) and a submission moving (the pending version of the private
-- view). Statement-level, so a bulk write notifies once; delivered at commit, never for a
-- rolled-back transaction.
CREATE FUNCTION miernik_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('miernik_changes', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER import_log_notify AFTER INSERT OR UPDATE ON import_log
    FOR EACH STATEMENT EXECUTE FUNCTION miernik_notify_change();
CREATE TRIGGER submission_notify AFTER INSERT OR UPDATE ON submission
    FOR EACH STATEMENT EXECUTE FUNCTION miernik_notify_change();
