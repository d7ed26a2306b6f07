-- Miernik foundation schema (SQLite). Kept column-for-column equal to ../postgres/0001.
-- Dates are ISO text (YYYY-MM-DD), timestamps ISO text in UTC: the same store code reads
-- and compares them on both backends.

CREATE TABLE import_log (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,            -- units | observations | ...
    source      TEXT NOT NULL,            -- where the data came from: file, bdl, mf, demo ...
    file        TEXT,                     -- the file name given by the user
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    rows_read   INTEGER NOT NULL DEFAULT 0,
    inserted    INTEGER NOT NULL DEFAULT 0,
    changed     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    note        TEXT
);

CREATE TABLE unit (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL,           -- the current (or, when closed, the last) TERYT code
    name         TEXT NOT NULL,           -- the current (or last) name
    name_folded  TEXT NOT NULL,           -- lower case, no diacritics: for search
    kind         TEXT NOT NULL,
    parent_id    INTEGER REFERENCES unit(id),
    same_jst_id  INTEGER REFERENCES unit(id), -- city with powiat rights: its gmina <-> powiat record
    valid_from   TEXT,                    -- NULL: existed before the first state imported
    valid_to     TEXT,                    -- exclusive; NULL: still valid
    historical   INTEGER NOT NULL DEFAULT 0, -- 1: created from a data file, not from TERC
    import_id    INTEGER NOT NULL REFERENCES import_log(id)
);
CREATE INDEX unit_by_code ON unit(code);
CREATE INDEX unit_by_parent ON unit(parent_id);

-- Every code a unit has had, with validity: old codes stay as aliases.
CREATE TABLE unit_code (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES unit(id),
    code       TEXT NOT NULL,
    valid_from TEXT,
    valid_to   TEXT
);
CREATE INDEX unit_code_by_code ON unit_code(code);
CREATE INDEX unit_code_by_unit ON unit_code(unit_id);

-- Every name a unit has had, with validity.
CREATE TABLE unit_name (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES unit(id),
    name       TEXT NOT NULL,
    valid_from TEXT,
    valid_to   TEXT
);
CREATE INDEX unit_name_by_unit ON unit_name(unit_id);

-- The TERC states imported, so that an older state is never applied over a newer one.
CREATE TABLE territory_state (
    state_date TEXT PRIMARY KEY,
    import_id  INTEGER NOT NULL REFERENCES import_log(id)
);

CREATE TABLE variable (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    name_pl      TEXT NOT NULL,
    name_en      TEXT,
    measure_unit TEXT,
    source       TEXT,
    import_id    INTEGER REFERENCES import_log(id)
);

-- External identifiers of a variable: (bdl_variable, 60559), (bdl_subgroup, P2137), ...
CREATE TABLE variable_ref (
    variable_id INTEGER NOT NULL REFERENCES variable(id),
    system      TEXT NOT NULL,
    ref         TEXT NOT NULL,
    PRIMARY KEY (system, ref, variable_id)
);

-- The current value of each (variable, unit, year). A change never overwrites: the trigger
-- below moves the old row into observation_history first.
CREATE TABLE observation (
    variable_id INTEGER NOT NULL,
    unit_id     INTEGER NOT NULL,
    year        INTEGER NOT NULL,
    value       REAL,
    flag        INTEGER NOT NULL,
    import_id   INTEGER NOT NULL,
    PRIMARY KEY (variable_id, unit_id, year)
) WITHOUT ROWID;

-- Which variables each import wrote: "what changed since" probes only those (through the
-- primary key), so no index by import has to be kept up to date on every row.
CREATE TABLE import_variable (
    import_id   INTEGER NOT NULL REFERENCES import_log(id),
    variable_id INTEGER NOT NULL REFERENCES variable(id),
    PRIMARY KEY (import_id, variable_id)
);

CREATE TABLE observation_history (
    variable_id   INTEGER NOT NULL,
    unit_id       INTEGER NOT NULL,
    year          INTEGER NOT NULL,
    value         REAL,
    flag          INTEGER NOT NULL,
    import_id     INTEGER NOT NULL,       -- the import that wrote this value
    superseded_by INTEGER NOT NULL        -- the import that replaced it
);
CREATE INDEX observation_history_by_key ON observation_history(variable_id, unit_id, year);
CREATE INDEX observation_history_by_superseded ON observation_history(superseded_by);

-- One import may not give the same key two different values: that is a conflicting
-- duplicate row in the input, and the whole import is rolled back.
CREATE TRIGGER observation_no_conflicting_duplicate
BEFORE UPDATE ON observation
WHEN OLD.import_id = NEW.import_id
BEGIN
    SELECT RAISE(ABORT, 'miernik: conflicting duplicate observation');
END;

CREATE TRIGGER observation_keep_history
AFTER UPDATE ON observation
BEGIN
    INSERT INTO observation_history
        (variable_id, unit_id, year, value, flag, import_id, superseded_by)
    VALUES (OLD.variable_id, OLD.unit_id, OLD.year, OLD.value, OLD.flag, OLD.import_id, NEW.import_id);
END;

CREATE TRIGGER observation_never_deleted
BEFORE DELETE ON observation
BEGIN
    SELECT RAISE(ABORT, 'miernik: observations are never deleted');
END;
