-- People who write, the audit log and data collection (issue 17). Kept column-for-column
-- equal to ../postgres/0005_people_audit_forms.sql.

-- Who ran an import: "user:LOGIN" (web), "cli:OSUSER" or "cli:OSUSER as NAME" (--as),
-- "system" (publication of a campaign by the server). NULL for imports before issue 17.
ALTER TABLE import_log ADD COLUMN actor TEXT;

-- An organisation: a JST (by its unit), an association of JSTs, a statistics office.
CREATE TABLE organisation (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,              -- jst | association | office
    name       TEXT NOT NULL,
    unit_id    INTEGER REFERENCES unit(id),-- the JST's unit (kind = jst)
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX organisation_by_name ON organisation(name);

CREATE TABLE app_user (
    id              INTEGER PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE,  -- lower case
    display_name    TEXT NOT NULL,
    organisation_id INTEGER REFERENCES organisation(id),
    password_hash   TEXT,                  -- argon2id PHC string; NULL until an invitation sets it
    disabled        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);

-- A role in a scope: data_entry | approver (a unit of their JST), verifier | analyst (each
-- unit of a set, one row per unit, or every unit: unit_id NULL), admin (unit_id NULL).
CREATE TABLE user_role (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES app_user(id),
    role       TEXT NOT NULL,
    unit_id    INTEGER REFERENCES unit(id),
    granted_at TEXT NOT NULL,
    granted_by TEXT NOT NULL
);
CREATE UNIQUE INDEX user_role_once ON user_role(user_id, role, COALESCE(unit_id, 0));

-- Server-side sessions, shared by every node: the cookie holds a random token, the table
-- its SHA-256 (a leaked table opens no session).
CREATE TABLE user_session (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES app_user(id),
    csrf       TEXT NOT NULL,              -- the session's form token
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    address    TEXT
);
CREATE INDEX user_session_by_user ON user_session(user_id);

-- One-time links that set a password (`miernik user invite`): SHA-256 of the token.
CREATE TABLE user_invite (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES app_user(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);

-- Failed logins, for throttling per account and per address (shared by every node).
CREATE TABLE login_failure (
    id      INTEGER PRIMARY KEY,
    login   TEXT NOT NULL,
    address TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX login_failure_by_login ON login_failure(login, at);
CREATE INDEX login_failure_by_address ON login_failure(address, at);

-- Every write: append-only (the triggers below refuse update and delete).
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,           -- UTC, ISO
    actor         TEXT NOT NULL,           -- as import_log.actor
    user_id       INTEGER,
    action        TEXT NOT NULL,           -- import | revert | value | submit | return | approve | publish | user.* | role.* | form.add | campaign.add | login | logout ...
    unit_id       INTEGER,
    variable_code TEXT,
    year          INTEGER,
    old_value     REAL,
    new_value     REAL,
    comment       TEXT,                    -- why
    import_id     INTEGER,
    submission_id INTEGER,
    address       TEXT,                    -- the client's address (web)
    detail        TEXT                     -- anything else, short text
);
CREATE INDEX audit_by_at ON audit_log(at, id);
CREATE INDEX audit_by_unit ON audit_log(unit_id, at);
CREATE INDEX audit_by_user ON audit_log(user_id, at);
CREATE INDEX audit_by_import ON audit_log(import_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'miernik: the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'miernik: the audit log is append-only');
END;

-- A questionnaire definition (TOML, as uploaded); a new upload of a code is a new version.
CREATE TABLE form (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    title      TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (code, version)
);

-- A data collection: a form, a year, the units it is for, a deadline, a publication date.
CREATE TABLE campaign (
    id         INTEGER PRIMARY KEY,
    form_id    INTEGER NOT NULL REFERENCES form(id),
    name       TEXT NOT NULL,
    year       INTEGER NOT NULL,
    deadline   TEXT NOT NULL,              -- YYYY-MM-DD, the last day to submit
    publish_on TEXT NOT NULL,              -- YYYY-MM-DD, approved values become public that day
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE campaign_unit (
    campaign_id INTEGER NOT NULL REFERENCES campaign(id),
    unit_id     INTEGER NOT NULL REFERENCES unit(id),
    PRIMARY KEY (campaign_id, unit_id)
);

-- One unit's answer to a campaign: draft -> submitted -> returned | approved -> published.
CREATE TABLE submission (
    id             INTEGER PRIMARY KEY,
    campaign_id    INTEGER NOT NULL REFERENCES campaign(id),
    unit_id        INTEGER NOT NULL REFERENCES unit(id),
    state          TEXT NOT NULL,          -- draft | submitted | returned | approved
    updated_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    submitted_at   TEXT,
    return_comment TEXT,
    approved_at    TEXT,
    approved_by    TEXT,
    import_id      INTEGER REFERENCES import_log(id), -- the publication that made it observations
    UNIQUE (campaign_id, unit_id)
);

CREATE TABLE submission_value (
    submission_id INTEGER NOT NULL REFERENCES submission(id),
    field         TEXT NOT NULL,
    value         REAL,                    -- NULL: empty or not a number (then raw)
    raw           TEXT,                    -- as typed, when it is not a number
    comment       TEXT,                    -- the explanation a warning asks for
    PRIMARY KEY (submission_id, field)
);
