-- Exchange groups (GWD) and service-user surveys (issue 19). Kept column-for-column equal
-- with migrations/postgres/0007_exchange_surveys.sql. Nothing here is deleted: states move
-- (a member withdraws, a question closes, a comment is rejected) and every write appends
-- audit_log rows in the same transaction. Anonymity: a member's letter is given once, on
-- acceptance, and never changes; only the unit itself and the cycle's coordinator (or an
-- admin) are ever shown which unit a letter is.

-- A cycle of an exchange group: one sector, one data year, 6-8 JSTs, about 8 months.
CREATE TABLE exchange_cycle (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL,
    sector              TEXT NOT NULL,        -- catalogue area code (edukacja, pomoc_spoleczna, ...)
    year                INTEGER NOT NULL,     -- the data year the sheets compare
    description         TEXT,
    state               TEXT NOT NULL,        -- recruiting | running | closed
    coordinator_user_id INTEGER NOT NULL REFERENCES app_user(id),
    campaign_id         INTEGER REFERENCES campaign(id), -- the group's own data collection
    created_at          TEXT NOT NULL,
    created_by          TEXT NOT NULL,
    closed_at           TEXT,
    closed_by           TEXT
);

-- A JST in a cycle: applied -> accepted (gets its letter) | rejected; accepted -> withdrawn.
CREATE TABLE exchange_member (
    cycle_id      INTEGER NOT NULL REFERENCES exchange_cycle(id),
    unit_id       INTEGER NOT NULL REFERENCES unit(id),
    state         TEXT NOT NULL,              -- applied | accepted | rejected | withdrawn
    letter        TEXT,                       -- A, B, ... given on acceptance, never changed
    application   TEXT,                       -- the applicant's note (who will take part)
    applied_at    TEXT NOT NULL,
    applied_by    TEXT NOT NULL,
    decided_at    TEXT,
    decided_by    TEXT,
    plan_id       INTEGER REFERENCES improvement_plan(id), -- the plan filed at the end
    plan_filed_at TEXT,
    plan_filed_by TEXT,
    PRIMARY KEY (cycle_id, unit_id)
);
CREATE UNIQUE INDEX exchange_member_letter ON exchange_member(cycle_id, letter);

-- A meeting of a cycle, hosted in turn by the members.
CREATE TABLE exchange_meeting (
    id           INTEGER PRIMARY KEY,
    cycle_id     INTEGER NOT NULL REFERENCES exchange_cycle(id),
    seq          INTEGER NOT NULL,            -- 1, 2, ... in date order when created
    held_on      TEXT NOT NULL,               -- YYYY-MM-DD
    host_unit_id INTEGER REFERENCES unit(id),
    place        TEXT,
    agenda       TEXT,
    notes        TEXT,                        -- the minutes, written after the meeting
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    UNIQUE (cycle_id, seq)
);

-- A document of a cycle (a presentation, the minutes as a file), for members only.
CREATE TABLE exchange_document (
    id           INTEGER PRIMARY KEY,
    cycle_id     INTEGER NOT NULL REFERENCES exchange_cycle(id),
    meeting_id   INTEGER REFERENCES exchange_meeting(id),
    title        TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content      BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL
);
CREATE INDEX exchange_document_by_cycle ON exchange_document(cycle_id);

-- A member questions a value of the sheet: one cell (unit, indicator, year) of a cycle.
CREATE TABLE exchange_question (
    id               INTEGER PRIMARY KEY,
    cycle_id         INTEGER NOT NULL REFERENCES exchange_cycle(id),
    unit_id          INTEGER NOT NULL REFERENCES unit(id), -- whose value is questioned
    indicator_code   TEXT NOT NULL,
    year             INTEGER NOT NULL,
    value_shown      REAL,                    -- the value the asker saw
    state            TEXT NOT NULL,           -- open | answered | correcting | corrected | closed
    asked_by_unit_id INTEGER REFERENCES unit(id), -- NULL: the coordinator asked
    submission_id    INTEGER REFERENCES submission(id), -- reopened for the correction
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX exchange_question_by_cycle ON exchange_question(cycle_id, unit_id);

-- The thread of a question. Authors are shown to others as their unit's letter (or
-- "koordynator"), never by name.
CREATE TABLE exchange_comment (
    id             INTEGER PRIMARY KEY,
    question_id    INTEGER NOT NULL REFERENCES exchange_question(id),
    author_user_id INTEGER NOT NULL REFERENCES app_user(id),
    author_unit_id INTEGER REFERENCES unit(id), -- NULL: the coordinator (or an admin)
    kind           TEXT NOT NULL,             -- question | comment | answer | correction | close
    body           TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX exchange_comment_by_question ON exchange_comment(question_id, id);

-- A standard question set of service-user surveys (TOML, as uploaded; a new upload of a
-- code is a new version; campaigns keep the version they were opened with).
CREATE TABLE survey_set (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    sector     TEXT NOT NULL,
    title      TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (code, version)
);

-- A survey of one service of a unit (a school, the OPS) in a year. Its letter is stable
-- among the campaigns of the same set code and year.
CREATE TABLE survey_campaign (
    id          INTEGER PRIMARY KEY,
    set_id      INTEGER NOT NULL REFERENCES survey_set(id),
    set_code    TEXT NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES unit(id),
    service     TEXT NOT NULL,                -- the institution surveyed, in words
    year        INTEGER NOT NULL,
    mode        TEXT NOT NULL,                -- tokens | open
    min_answers INTEGER NOT NULL DEFAULT 30,
    opens_on    TEXT NOT NULL,                -- YYYY-MM-DD
    closes_on   TEXT NOT NULL,                -- YYYY-MM-DD, the last day answers are taken
    slug        TEXT NOT NULL UNIQUE,         -- the public link's random part
    letter      TEXT NOT NULL,
    named       INTEGER NOT NULL DEFAULT 0,   -- 1: the unit agrees to be named in comparisons
    state       TEXT NOT NULL,                -- open | closed
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    closed_at   TEXT,
    closed_by   TEXT
);
CREATE UNIQUE INDEX survey_campaign_letter ON survey_campaign(set_code, year, letter);
CREATE INDEX survey_campaign_by_unit ON survey_campaign(unit_id);

-- One-time answer links: SHA-256 of the token. `used` only, no time: nothing ties a token
-- to the answer it brought.
CREATE TABLE survey_token (
    campaign_id INTEGER NOT NULL REFERENCES survey_campaign(id),
    token_hash  TEXT NOT NULL,
    used        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, token_hash)
);

-- A batch of paper results uploaded as a file.
CREATE TABLE survey_upload (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES survey_campaign(id),
    file_name   TEXT NOT NULL,
    responses   INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);

-- One respondent's answers. No address, no token, no time finer than the day.
CREATE TABLE survey_response (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES survey_campaign(id),
    channel     TEXT NOT NULL,                -- web | paper
    upload_id   INTEGER REFERENCES survey_upload(id),
    received_on TEXT NOT NULL                 -- YYYY-MM-DD
);
CREATE INDEX survey_response_by_campaign ON survey_response(campaign_id);

CREATE TABLE survey_answer (
    response_id INTEGER NOT NULL REFERENCES survey_response(id),
    question    TEXT NOT NULL,                -- the question's code in the set
    score       INTEGER,                      -- 1..5; NULL with dont_know = 1, or unanswered
    dont_know   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (response_id, question)
);

-- Free-text remarks, apart from the scores, never published before moderation.
CREATE TABLE survey_comment (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES survey_campaign(id),
    body         TEXT NOT NULL,
    state        TEXT NOT NULL,               -- pending | published | rejected
    received_on  TEXT NOT NULL,
    moderated_at TEXT,
    moderated_by TEXT
);
CREATE INDEX survey_comment_by_campaign ON survey_comment(campaign_id, state);
