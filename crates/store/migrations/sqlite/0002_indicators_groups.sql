-- Indicator catalogue, custom comparison groups, unit adjacency. Kept column-for-column
-- equal with migrations/postgres/0002_indicators_groups.sql.

-- One row per indicator code; `definition` is the whole definition as JSON (name, area,
-- formulas, polarity, unit kinds, texts), the other columns are what queries filter on.
CREATE TABLE indicator (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    area              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    position          INTEGER NOT NULL,          -- order in the catalogue file
    definition        TEXT NOT NULL,
    catalogue_version TEXT NOT NULL,
    import_id         INTEGER NOT NULL REFERENCES import_log(id),
    retired           INTEGER NOT NULL DEFAULT 0 -- 1 when a later catalogue no longer has it
);

-- Every replaced definition, so no version of a catalogue is ever lost.
CREATE TABLE indicator_history (
    code              TEXT NOT NULL,
    definition        TEXT NOT NULL,
    catalogue_version TEXT NOT NULL,
    import_id         INTEGER NOT NULL REFERENCES import_log(id),
    replaced_by       INTEGER NOT NULL REFERENCES import_log(id)
);

-- Custom comparison groups (an exchange group of cities, "gminy of my LAG", ...).
CREATE TABLE unit_group (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name_pl    TEXT NOT NULL,
    name_en    TEXT,
    created_at TEXT NOT NULL,
    import_id  INTEGER NOT NULL REFERENCES import_log(id)
);

CREATE TABLE unit_group_member (
    group_id INTEGER NOT NULL REFERENCES unit_group(id),
    unit_id  INTEGER NOT NULL REFERENCES unit(id),
    PRIMARY KEY (group_id, unit_id)
);

-- Units that share a boundary (both directions stored).
CREATE TABLE unit_adjacency (
    unit_id      INTEGER NOT NULL REFERENCES unit(id),
    neighbour_id INTEGER NOT NULL REFERENCES unit(id),
    source       TEXT NOT NULL,
    PRIMARY KEY (unit_id, neighbour_id)
);
