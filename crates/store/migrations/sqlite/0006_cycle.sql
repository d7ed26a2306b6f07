-- The closed cycle (issue 18): priorities, improvement plans with actions and targets,
-- reorganisations with their institutions and milestones, good practices, functional areas.
-- Nothing here is ever deleted: a removed priority, action or target keeps its row with
-- removed_at/removed_by, and every change writes audit_log rows in the same transaction.
-- Kept column-for-column equal with migrations/postgres/0006_cycle.sql.

-- A saved custom group (unit_group) declared a functional area: a card, a diagnosis, plans.
CREATE TABLE functional_area (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL UNIQUE REFERENCES unit_group(id),
    lead_unit_id INTEGER NOT NULL REFERENCES unit(id), -- whose planners may write its plan
    description  TEXT,
    declared_at  TEXT NOT NULL,
    declared_by  TEXT NOT NULL
);

-- A weakness of the diagnosis a unit (or a functional area) chose to work on.
CREATE TABLE priority (
    id             INTEGER PRIMARY KEY,
    unit_id        INTEGER REFERENCES unit(id),
    area_id        INTEGER REFERENCES functional_area(id),
    indicator_code TEXT NOT NULL,
    year           INTEGER NOT NULL,       -- the diagnosis year it was chosen from
    group_name     TEXT NOT NULL,          -- the peer group of that diagnosis (canonical name)
    note           TEXT,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    removed_at     TEXT,
    removed_by     TEXT,
    CHECK ((unit_id IS NULL) <> (area_id IS NULL))
);
CREATE INDEX priority_by_unit ON priority(unit_id);
CREATE INDEX priority_by_area ON priority(area_id);
-- At most one live priority per indicator of a unit or an area.
CREATE UNIQUE INDEX priority_live_unit ON priority(unit_id, indicator_code) WHERE removed_at IS NULL;
CREATE UNIQUE INDEX priority_live_area ON priority(area_id, indicator_code) WHERE removed_at IS NULL;

-- One improvement plan per unit or functional area.
CREATE TABLE improvement_plan (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER UNIQUE REFERENCES unit(id),
    area_id    INTEGER UNIQUE REFERENCES functional_area(id),
    title      TEXT NOT NULL,
    summary    TEXT,
    public     INTEGER NOT NULL DEFAULT 0, -- 1: anyone sees it; 0: only roles on the unit
    group_name TEXT NOT NULL,              -- the peer group targets are proposed from
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    CHECK ((unit_id IS NULL) <> (area_id IS NULL))
);

CREATE TABLE plan_action (
    id          INTEGER PRIMARY KEY,
    plan_id     INTEGER NOT NULL REFERENCES improvement_plan(id),
    priority_id INTEGER REFERENCES priority(id),
    title       TEXT NOT NULL,
    description TEXT,
    owner       TEXT,                      -- who carries it out (a person, a department)
    budget      REAL,                      -- zł
    start_year  INTEGER NOT NULL,
    end_year    INTEGER NOT NULL,
    status      TEXT NOT NULL,             -- planned | in_progress | done | cancelled
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    removed_at  TEXT,
    removed_by  TEXT
);
CREATE INDEX plan_action_by_plan ON plan_action(plan_id);

-- An indicator an action is to move, to a value by a year, from a baseline.
CREATE TABLE action_target (
    id             INTEGER PRIMARY KEY,
    action_id      INTEGER NOT NULL REFERENCES plan_action(id),
    indicator_code TEXT NOT NULL,
    baseline_year  INTEGER NOT NULL,
    baseline_value REAL NOT NULL,
    target_year    INTEGER NOT NULL,
    target_value   REAL NOT NULL,
    method         TEXT NOT NULL,          -- manual | median | q3 | best_decile | gap:0.5 (share of the gap to Q3)
    group_name     TEXT NOT NULL,          -- the peer group the proposal came from
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    removed_at     TEXT,
    removed_by     TEXT
);
CREATE INDEX action_target_by_action ON action_target(action_id);
-- At most one live target per indicator of an action (a new one replaces it).
CREATE UNIQUE INDEX action_target_live ON action_target(action_id, indicator_code) WHERE removed_at IS NULL;

-- Institutions of a JST: schools, OPS, DPS, nurseries, the CUW.
CREATE TABLE institution (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES unit(id),
    kind       TEXT NOT NULL,              -- szkola | przedszkole | zlobek | ops | dps | cuw | inna
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX institution_by_unit ON institution(unit_id);

-- A reorganisation of a JST's services (a CUW, a social-assistance reorganisation, …).
CREATE TABLE reorganisation (
    id             INTEGER PRIMARY KEY,
    unit_id        INTEGER NOT NULL REFERENCES unit(id),
    kind           TEXT NOT NULL,          -- cuw | pomoc_spoleczna | siec_szkol | inna
    title          TEXT NOT NULL,
    description    TEXT,
    start_date     TEXT NOT NULL,          -- YYYY-MM-DD
    end_date       TEXT,
    project_value  REAL,                   -- zł
    funding_share  REAL,                   -- 0..1 of project_value from outside funds
    funding_source TEXT,
    indicators     TEXT NOT NULL,          -- indicator codes to re-evaluate, comma-separated
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL
);
CREATE INDEX reorganisation_by_unit ON reorganisation(unit_id);

CREATE TABLE reorganisation_milestone (
    id                INTEGER PRIMARY KEY,
    reorganisation_id INTEGER NOT NULL REFERENCES reorganisation(id),
    on_date           TEXT NOT NULL,       -- YYYY-MM-DD
    title             TEXT NOT NULL,
    done              INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE reorganisation_institution (
    reorganisation_id INTEGER NOT NULL REFERENCES reorganisation(id),
    institution_id    INTEGER NOT NULL REFERENCES institution(id),
    PRIMARY KEY (reorganisation_id, institution_id)
);

-- What a unit did that others can learn from.
CREATE TABLE good_practice (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES unit(id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    contact     TEXT,
    links       TEXT,                      -- one address a line
    start_year  INTEGER,                   -- when it began (for "what they did" beside a change)
    status      TEXT NOT NULL,             -- proposed | verified | rejected
    status_note TEXT,
    verified_at TEXT,
    verified_by TEXT,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);
CREATE INDEX good_practice_by_unit ON good_practice(unit_id);

CREATE TABLE good_practice_indicator (
    practice_id    INTEGER NOT NULL REFERENCES good_practice(id),
    indicator_code TEXT NOT NULL,
    PRIMARY KEY (practice_id, indicator_code)
);
CREATE INDEX good_practice_by_indicator ON good_practice_indicator(indicator_code);
