-- Observations by variable as one columnar record each (issue 20): the snapshot build reads a
-- few hundred records instead of millions of rows. A record is derived data: it holds exactly
-- the rows of `observation` for its variable when its `stamp` equals the variable's
-- `data_stamp`, which every write of observations moves in its own transaction (the import's
-- finish and a revert), and which the record is built from in one consistent read. A stale or
-- missing record is never wrong, only slower: the reader takes the rows instead.
ALTER TABLE variable ADD COLUMN data_stamp INTEGER NOT NULL DEFAULT 0;

CREATE TABLE observation_column (
    variable_id INTEGER PRIMARY KEY REFERENCES variable(id),
    stamp       INTEGER NOT NULL,
    n_rows      INTEGER NOT NULL,
    min_year    INTEGER,
    max_year    INTEGER,
    data        BLOB NOT NULL
);
