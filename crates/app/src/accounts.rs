//! Accounts: roles and what they allow, the signed-in user, passwords (Argon2id), login with
//! throttling, sessions, invitations, and the administration of users and organisations.
//!
//! Tokens (session cookies, invitation links) are 32 random bytes as hex; the database keeps
//! only their SHA-256, so a leaked table opens nothing. A login always verifies a hash, also
//! for an unknown login (a dummy one), so the answer's time does not tell which logins exist,
//! and every login gets a new session token (no session fixation). Failed logins are counted
//! in the database, so every node of a cluster throttles alike.

use std::collections::HashMap;
use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
pub use store::{Actor, StoredOrganisation};
use store::{InviteUse, Store, StoredUser};

use crate::AppError;

/// How long a session lasts (the cookie's Max-Age too): 12 hours.
pub const SESSION_SECS: i64 = 12 * 3600;
/// The window in which failed logins are counted.
pub const THROTTLE_WINDOW_SECS: i64 = 15 * 60;
/// Failed logins of one account in the window before its logins are refused for a while.
pub const ACCOUNT_FAILURES: usize = 5;
/// Failed logins from one address in the window before its logins are refused for a while.
pub const ADDRESS_FAILURES: usize = 20;
/// The shortest password taken.
pub const MIN_PASSWORD: usize = 12;
/// An invitation's default lifetime: 7 days.
pub const INVITE_SECS: i64 = 7 * 24 * 3600;

/// A role, stored as `data_entry`, `approver`, `verifier`, `analyst` or `admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Enters and submits a unit's data (a unit of their JST).
    DataEntry,
    /// Enters, submits and withdraws a unit's data.
    Approver,
    /// Checks submitted data of their units: returns or approves it.
    Verifier,
    /// Reads unpublished data of their units.
    Analyst,
    /// Everything, every unit.
    Admin,
    /// Runs exchange groups (GWD, issue 19): opens cycles, admits members, keeps meetings;
    /// sees who is which letter in the cycles they coordinate. Every unit (no unit scope).
    Coordinator,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::DataEntry, Role::Approver, Role::Verifier, Role::Analyst, Role::Admin, Role::Coordinator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::DataEntry => "data_entry",
            Role::Approver => "approver",
            Role::Verifier => "verifier",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
        }
    }

    /// The role named `s` (as stored; `-` for `_` is taken too).
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Its name in words: (Polish, English).
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Role::DataEntry => ("wprowadzanie danych", "data entry"),
            Role::Approver => ("zatwierdzanie w JST", "approver"),
            Role::Verifier => ("weryfikacja", "verifier"),
            Role::Analyst => ("analityk", "analyst"),
            Role::Admin => ("administrator", "administrator"),
            Role::Coordinator => ("koordynator grup wymiany", "exchange-group coordinator"),
        }
    }

    /// Whether a grant of this role may cover every unit (unit_id None).
    fn may_be_global(self) -> bool {
        matches!(self, Role::Verifier | Role::Analyst | Role::Admin | Role::Coordinator)
    }

    fn allows(self, action: Action) -> bool {
        match action {
            Action::EnterData => matches!(self, Role::DataEntry | Role::Approver | Role::Admin),
            Action::Withdraw => matches!(self, Role::Approver | Role::Admin),
            Action::Verify => matches!(self, Role::Verifier | Role::Admin),
            // A coordinator's grant covers every unit but reads nothing unpublished outside
            // the cycles it runs (the exchange pages check the cycle themselves).
            Action::ReadUnpublished => self != Role::Coordinator,
            Action::Administer => self == Role::Admin,
            Action::Plan => matches!(self, Role::Approver | Role::Analyst | Role::Admin),
            Action::Coordinate => matches!(self, Role::Coordinator | Role::Admin),
            Action::RunSurvey => matches!(self, Role::Approver | Role::Analyst | Role::Admin),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role on a unit, or on every unit (`unit_id` None).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub unit_id: Option<i64>,
}

/// What a user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Edit and save drafts, upload the XLSX, submit: data_entry or approver of the unit, admin.
    EnterData,
    /// Take back a submitted (not yet verified) submission: approver of the unit, admin.
    Withdraw,
    /// The queue, return, approve: verifier of the unit, admin.
    Verify,
    /// See approved-but-unpublished values and submissions: any role on the unit, admin.
    ReadUnpublished,
    /// Users, forms, campaigns, the audit page: admin.
    Administer,
    /// Priorities, the improvement plan, reorganisations and good practices of a unit
    /// (issue 18): approver or analyst of the unit, admin.
    Plan,
    /// Open and run exchange-group cycles (issue 19): coordinator, admin. Within a cycle only
    /// its own coordinator (or an admin) manages it.
    Coordinate,
    /// Service-user surveys of a unit (issue 19): create a campaign, upload paper results,
    /// moderate free text, consent to be named: approver or analyst of the unit, admin.
    RunSurvey,
}

/// Where a user may do an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// These units (sorted, each once); empty: nowhere.
    Units(Vec<i64>),
}

impl Scope {
    pub fn contains(&self, unit_id: i64) -> bool {
        match self {
            Scope::All => true,
            Scope::Units(u) => u.binary_search(&unit_id).is_ok(),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Scope::Units(u) if u.is_empty())
    }
}

/// The signed-in user of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentUser {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub grants: Vec<Grant>,
}

impl CurrentUser {
    /// Whether the user may do `action` on the unit `unit_id` (for [`Action::Administer`]
    /// the unit does not matter).
    pub fn can(&self, action: Action, unit_id: i64) -> bool {
        self.grants.iter().any(|g| g.role == Role::Admin || (g.role.allows(action) && g.unit_id.is_none_or(|u| u == unit_id)))
    }

    /// Whether the user may do `action` on some unit.
    pub fn can_any(&self, action: Action) -> bool {
        self.grants.iter().any(|g| g.role.allows(action))
    }

    /// The units where the user may do `action`.
    pub fn scope(&self, action: Action) -> Scope {
        let mut units = Vec::new();
        for g in self.grants.iter().filter(|g| g.role.allows(action)) {
            match g.unit_id {
                _ if g.role == Role::Admin => return Scope::All,
                None => return Scope::All,
                Some(u) => units.push(u),
            }
        }
        units.sort_unstable();
        units.dedup();
        Scope::Units(units)
    }

    pub fn is_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::Admin)
    }

    /// Who the audit log records: `user:LOGIN`, from `address`.
    pub fn actor(&self, address: Option<String>) -> Actor {
        Actor { name: format!("user:{}", self.login), user_id: Some(self.id), address }
    }
}

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Shorter than [`MIN_PASSWORD`] characters.
    TooShort,
    /// The same as the login.
    SameAsLogin,
}

/// Why an invitation link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteProblem {
    Unknown,
    Used,
    Expired,
    /// Its user has been disabled.
    Disabled,
}

/// A session found by its cookie token: the user and the session's form token.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user: CurrentUser,
    pub csrf: String,
}

/// What a login attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum LoginOutcome {
    /// A new session: its cookie token, its form token, the user.
    Ok { token: String, csrf: String, user: CurrentUser },
    /// Unknown login, wrong password, no password yet or a disabled account (one answer for all).
    Wrong,
    /// Too many failures lately from this account or address: try again after this long.
    Throttled { retry_after_secs: u64 },
}

/// A role of a listed user, with its unit's code and name.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantListing {
    pub role: Role,
    pub unit_id: Option<i64>,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
}

/// A user as the administration lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct UserListing {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub organisation: Option<String>,
    pub has_password: bool,
    pub disabled: bool,
    pub created_at: String,
    pub grants: Vec<GrantListing>,
}

/// 32 random bytes as 64 hex digits.
pub fn random_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| AppError::Invalid(format!("no randomness from the system: {e}")))?;
    Ok(hex(&bytes))
}

/// The SHA-256 of a token, as hex: what the database keeps.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A login as stored: trimmed, lower case.
pub fn normalise_login(login: &str) -> String {
    login.trim().to_lowercase()
}

fn check_login(login: &str) -> Result<(), AppError> {
    let ok = (2..=64).contains(&login.chars().count()) && login.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._@-".contains(c));
    if ok { Ok(()) } else { Err(AppError::Invalid(format!("login `{login}`: 2–64 characters, small letters, digits and . _ @ - only"))) }
}

/// Checks a new password against the rules.
pub fn check_password(login: &str, password: &str) -> Result<(), PasswordProblem> {
    if password.chars().count() < MIN_PASSWORD {
        Err(PasswordProblem::TooShort)
    } else if password.trim().to_lowercase() == normalise_login(login) {
        Err(PasswordProblem::SameAsLogin)
    } else {
        Ok(())
    }
}

/// The Argon2id hash (PHC string) of a password; slow on purpose, so call it off the async
/// workers (the functions here do).
fn hash_password_blocking(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| AppError::Invalid(format!("no randomness from the system: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Invalid(format!("password salt: {e}")))?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| AppError::Invalid(format!("password hash: {e}")))
}

async fn hash_password(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password_blocking(&password)).await.map_err(|e| AppError::Invalid(format!("password hash: {e}")))?
}

/// A hash of nothing anyone knows, verified for unknown logins so they take as long.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password_blocking("miernik: no such user, no such password").unwrap_or_default())
}

fn verify_blocking(hash: Option<&str>, password: &str) -> bool {
    let real = hash.is_some();
    let hash = hash.unwrap_or_else(|| dummy_hash());
    let ok = PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
    ok && real
}

fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Seconds until the oldest of the last `limit` failures leaves the window, when `times`
/// (oldest first) holds `limit` or more; None when not throttled.
fn throttled_for(times: &[String], limit: usize, now: time::OffsetDateTime) -> Option<u64> {
    let relevant = times.len().checked_sub(limit)?;
    let leaves = parse_time(&times[relevant])
        .map_or(now + time::Duration::seconds(THROTTLE_WINDOW_SECS), |t| t + time::Duration::seconds(THROTTLE_WINDOW_SECS));
    Some(u64::try_from((leaves - now).whole_seconds()).unwrap_or(0).max(1))
}

fn grants_of(roles: &[store::StoredRole]) -> Vec<Grant> {
    roles.iter().filter_map(|r| Some(Grant { role: Role::parse(&r.role)?, unit_id: r.unit_id })).collect()
}

async fn current_user(store: &Store, u: &StoredUser) -> Result<CurrentUser, AppError> {
    let roles = store.roles_of(u.id).await?;
    Ok(CurrentUser { id: u.id, login: u.login.clone(), display_name: u.display_name.clone(), grants: grants_of(&roles) })
}

/// Logs in: throttled per account and per address (failed logins of the last 15 minutes,
/// counted in the database), the password verified on a blocking thread (a dummy hash for
/// unknown logins), and on success a NEW session with a new token.
pub async fn login(store: &Store, login: &str, password: &str, address: Option<&str>) -> Result<LoginOutcome, AppError> {
    let login = normalise_login(login);
    let address = address.unwrap_or("-").to_owned();
    let now = time::OffsetDateTime::now_utc();
    let limit = i64::try_from(ACCOUNT_FAILURES.max(ADDRESS_FAILURES)).unwrap_or(20);
    let (by_login, by_address) = store.login_failures(&login, &address, THROTTLE_WINDOW_SECS, limit).await?;
    let wait = throttled_for(&by_login, ACCOUNT_FAILURES, now).into_iter().chain(throttled_for(&by_address, ADDRESS_FAILURES, now)).max();
    if let Some(retry_after_secs) = wait {
        return Ok(LoginOutcome::Throttled { retry_after_secs });
    }
    let creds = store.credentials(&login).await?;
    let hash = creds.as_ref().and_then(|c| c.password_hash.clone());
    let password = password.to_owned();
    let verified = tokio::task::spawn_blocking(move || verify_blocking(hash.as_deref(), &password))
        .await
        .map_err(|e| AppError::Invalid(format!("password check: {e}")))?;
    let Some(creds) = creds.filter(|c| verified && !c.disabled) else {
        store.record_login_failure(&login, &address).await?;
        return Ok(LoginOutcome::Wrong);
    };
    let token = random_token()?;
    let csrf = random_token()?;
    let actor = Actor { name: format!("user:{}", creds.login), user_id: Some(creds.user_id), address: Some(address).filter(|a| a != "-") };
    store.create_session(&actor, &hash_token(&token), creds.user_id, &csrf, SESSION_SECS).await?;
    let u = store.user_by_login(&creds.login).await?.ok_or_else(|| AppError::UnknownUser { login: creds.login.clone() })?;
    Ok(LoginOutcome::Ok { token, csrf, user: current_user(store, &u).await? })
}

/// The session of a cookie token: None when unknown, expired or its user disabled.
pub async fn session_user(store: &Store, token: &str) -> Result<Option<Session>, AppError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let Some(s) = store.session(&hash_token(token)).await? else {
        return Ok(None);
    };
    Ok(Some(Session { user: current_user(store, &s.user).await?, csrf: s.csrf }))
}

/// Ends the session of a cookie token; whether there was one.
pub async fn logout(store: &Store, token: &str, address: Option<String>) -> Result<bool, AppError> {
    let hash = hash_token(token);
    let actor = match store.session(&hash).await? {
        Some(s) => Actor { name: format!("user:{}", s.user.login), user_id: Some(s.user.id), address },
        None => Actor { name: "unknown".into(), user_id: None, address },
    };
    Ok(store.delete_session(&actor, &hash).await?)
}

/// The unit id of a TERYT code.
async fn unit_of(store: &Store, code: &str) -> Result<i64, AppError> {
    let teryt = model::TerytCode::parse_lenient(code.trim()).map_err(|_| AppError::UnknownUnit { code: code.to_owned() })?;
    store.unit_id_for_code(&teryt).await?.ok_or_else(|| AppError::UnknownUnit { code: code.to_owned() })
}

async fn user_id(store: &Store, login: &str) -> Result<StoredUser, AppError> {
    let login = normalise_login(login);
    store.user_by_login(&login).await?.ok_or(AppError::UnknownUser { login })
}

/// Adds an organisation: `kind` is `jst` (then `unit` is its TERYT code), `association`
/// or `office`; its id.
pub async fn add_organisation(store: &Store, actor: &Actor, kind: &str, name: &str, unit: Option<&str>) -> Result<i64, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::Invalid("an organisation needs a name".into()));
    }
    if store.organisation_by_name(name).await?.is_some() {
        return Err(AppError::Invalid(format!("organisation `{name}` exists already")));
    }
    let unit_id = match unit {
        Some(code) => Some(unit_of(store, code).await?),
        None if kind == "jst" => return Err(AppError::Invalid(format!("organisation `{name}` is a JST: give its TERYT code"))),
        None => None,
    };
    Ok(store.add_organisation(actor, kind, name, unit_id).await?)
}

/// Adds a user (without a password: send an invitation) to `organisation` (by name; None:
/// none); their id.
pub async fn add_user(store: &Store, actor: &Actor, login: &str, display_name: &str, organisation: Option<&str>) -> Result<i64, AppError> {
    let login = normalise_login(login);
    check_login(&login)?;
    let display_name = display_name.trim();
    if display_name.is_empty() {
        return Err(AppError::Invalid("a user needs a name".into()));
    }
    if store.user_by_login(&login).await?.is_some() {
        return Err(AppError::Invalid(format!("user `{login}` exists already")));
    }
    let org = match organisation {
        Some(name) => Some(store.organisation_by_name(name.trim()).await?.ok_or_else(|| AppError::UnknownOrganisation { name: name.to_owned() })?.id),
        None => None,
    };
    Ok(store.add_user(actor, &login, display_name, org).await?)
}

/// Every user with their roles (units by code and name), by login.
pub async fn list_users(store: &Store) -> Result<Vec<UserListing>, AppError> {
    let users = store.users().await?;
    let roles = store.roles().await?;
    let mut units: HashMap<i64, Option<(String, String)>> = HashMap::new();
    for r in &roles {
        if let Some(id) = r.unit_id
            && !units.contains_key(&id)
        {
            let u = store.unit(id).await?.map(|u| (u.code.as_str().to_owned(), u.name));
            units.insert(id, u);
        }
    }
    Ok(users
        .into_iter()
        .map(|u| {
            let grants = roles
                .iter()
                .filter(|r| r.user_id == u.id)
                .filter_map(|r| {
                    let known = r.unit_id.and_then(|id| units.get(&id).cloned().flatten());
                    Some(GrantListing {
                        role: Role::parse(&r.role)?,
                        unit_id: r.unit_id,
                        unit_code: known.as_ref().map(|k| k.0.clone()),
                        unit_name: known.map(|k| k.1),
                    })
                })
                .collect();
            UserListing {
                id: u.id,
                login: u.login,
                display_name: u.display_name,
                organisation: u.organisation,
                has_password: u.has_password,
                disabled: u.disabled,
                created_at: u.created_at,
                grants,
            }
        })
        .collect())
}

/// The units a grant names: `*` (every unit, for verifier, analyst and admin), TERYT codes,
/// or none — then the user's own JST (data entry, approver) or every unit (admin).
async fn units_for(store: &Store, user: &StoredUser, role: Role, units: &[String]) -> Result<Vec<Option<i64>>, AppError> {
    let all = units.iter().any(|u| u.trim() == "*");
    if matches!(role, Role::Admin | Role::Coordinator) || (all && role.may_be_global()) {
        return Ok(vec![None]);
    }
    if all {
        return Err(AppError::Invalid(format!("role {role} is for units of the user's JST, not for every unit (`*`)")));
    }
    let mut ids = Vec::new();
    for code in units.iter().flat_map(|u| u.split(',')).map(str::trim).filter(|c| !c.is_empty()) {
        ids.push(Some(unit_of(store, code).await?));
    }
    if ids.is_empty() {
        let org = match user.organisation_id {
            Some(id) => store.organisations().await?.into_iter().find(|o| o.id == id),
            None => None,
        };
        match org.and_then(|o| o.unit_id) {
            Some(u) => ids.push(Some(u)),
            None => {
                return Err(AppError::Invalid(format!("role {role} needs units (TERYT codes{})", if role.may_be_global() { " or *" } else { "" })));
            }
        }
    }
    Ok(ids)
}

/// Grants `role` to `login` on `units` (TERYT codes, `*`, or none: see `units_for`); the
/// number of role rows added.
pub async fn grant(store: &Store, actor: &Actor, login: &str, role: Role, units: &[String]) -> Result<u64, AppError> {
    let user = user_id(store, login).await?;
    let ids = units_for(store, &user, role, units).await?;
    Ok(store.grant_role(actor, user.id, role.as_str(), &ids).await?)
}

/// Takes `role` from `login`: on `units` (TERYT codes or `*`), or everywhere when `units`
/// is empty; the number of role rows removed.
pub async fn revoke(store: &Store, actor: &Actor, login: &str, role: Role, units: &[String]) -> Result<u64, AppError> {
    let user = user_id(store, login).await?;
    if units.iter().all(|u| u.trim().is_empty()) {
        return Ok(store.revoke_role(actor, user.id, role.as_str(), None).await?);
    }
    let mut ids = Vec::new();
    for code in units.iter().flat_map(|u| u.split(',')).map(str::trim).filter(|c| !c.is_empty()) {
        ids.push(if code == "*" { None } else { Some(unit_of(store, code).await?) });
    }
    Ok(store.revoke_role(actor, user.id, role.as_str(), Some(&ids)).await?)
}

/// Disables a user (ending their sessions) or enables them again.
pub async fn set_disabled(store: &Store, actor: &Actor, login: &str, disabled: bool) -> Result<(), AppError> {
    let user = user_id(store, login).await?;
    Ok(store.set_disabled(actor, user.id, disabled).await?)
}

/// A one-time invitation for `login` valid `ttl_secs`: the token of its link
/// `/zaproszenie/TOKEN`.
pub async fn invite(store: &Store, actor: &Actor, login: &str, ttl_secs: i64) -> Result<String, AppError> {
    let user = user_id(store, login).await?;
    let token = random_token()?;
    store.create_invite(actor, &hash_token(&token), user.id, ttl_secs).await?;
    Ok(token)
}

fn invite_problem(u: InviteUse) -> Result<(i64, String), AppError> {
    match u {
        InviteUse::Accepted { user_id, login } => Ok((user_id, login)),
        InviteUse::Unknown => Err(AppError::Invite(InviteProblem::Unknown)),
        InviteUse::Used => Err(AppError::Invite(InviteProblem::Used)),
        InviteUse::Expired => Err(AppError::Invite(InviteProblem::Expired)),
        InviteUse::Disabled => Err(AppError::Invite(InviteProblem::Disabled)),
    }
}

/// The login an invitation is for, if it can still be used.
pub async fn check_invite(store: &Store, token: &str) -> Result<String, AppError> {
    if token.len() > 128 {
        return Err(AppError::Invite(InviteProblem::Unknown));
    }
    Ok(invite_problem(store.invite_status(&hash_token(token)).await?)?.1)
}

/// Sets the password through an invitation (once); the login.
pub async fn accept_invite(store: &Store, token: &str, password: &str, address: Option<String>) -> Result<String, AppError> {
    let login = check_invite(store, token).await?;
    check_password(&login, password).map_err(AppError::Password)?;
    let hash = hash_password(password).await?;
    Ok(invite_problem(store.accept_invite(&hash_token(token), &hash, address).await?)?.1)
}

/// Sets a user's password directly (the CLI's `user password`).
pub async fn set_password(store: &Store, actor: &Actor, login: &str, password: &str) -> Result<(), AppError> {
    let user = user_id(store, login).await?;
    check_password(&user.login, password).map_err(AppError::Password)?;
    let hash = hash_password(password).await?;
    Ok(store.set_password(actor, user.id, &hash).await?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn user(grants: &[(Role, Option<i64>)]) -> CurrentUser {
        CurrentUser {
            id: 1,
            login: "a".into(),
            display_name: "A".into(),
            grants: grants.iter().map(|&(role, unit_id)| Grant { role, unit_id }).collect(),
        }
    }

    #[test]
    fn roles_allow_their_actions_in_their_scope() {
        let clerk = user(&[(Role::DataEntry, Some(7))]);
        assert!(clerk.can(Action::EnterData, 7));
        assert!(!clerk.can(Action::EnterData, 8));
        assert!(!clerk.can(Action::Withdraw, 7));
        assert!(!clerk.can(Action::Verify, 7));
        assert!(clerk.can(Action::ReadUnpublished, 7));
        assert!(!clerk.can(Action::ReadUnpublished, 8));
        assert!(!clerk.can_any(Action::Administer));
        assert_eq!(clerk.scope(Action::EnterData), Scope::Units(vec![7]));

        let approver = user(&[(Role::Approver, Some(7))]);
        assert!(approver.can(Action::Withdraw, 7) && approver.can(Action::EnterData, 7) && !approver.can(Action::Withdraw, 9));

        let verifier = user(&[(Role::Verifier, Some(9)), (Role::Verifier, Some(3)), (Role::Verifier, Some(9))]);
        assert!(verifier.can(Action::Verify, 3) && !verifier.can(Action::Verify, 4) && !verifier.can(Action::EnterData, 3));
        assert_eq!(verifier.scope(Action::Verify), Scope::Units(vec![3, 9]));
        assert!(verifier.scope(Action::EnterData).is_empty());

        let analyst = user(&[(Role::Analyst, None)]);
        assert!(analyst.can(Action::ReadUnpublished, 12345) && !analyst.can(Action::Verify, 1));
        assert_eq!(analyst.scope(Action::ReadUnpublished), Scope::All);

        let admin = user(&[(Role::Admin, None)]);
        for a in [Action::EnterData, Action::Withdraw, Action::Verify, Action::ReadUnpublished, Action::Administer] {
            assert!(admin.can(a, 42) && admin.can_any(a) && admin.scope(a) == Scope::All);
        }
        assert_eq!(admin.actor(Some("::1".into())).name, "user:a");
    }

    #[test]
    fn roles_read_back_and_passwords_follow_the_rules() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("Data-Entry"), Some(Role::DataEntry));
        assert_eq!(Role::parse("boss"), None);
        assert_eq!(check_password("ala", "short"), Err(PasswordProblem::TooShort));
        assert_eq!(check_password("ala.kowalska@x", "Ala.Kowalska@X"), Err(PasswordProblem::SameAsLogin));
        assert_eq!(check_password("ala", "długie hasło ąę"), Ok(()));
        assert_ne!(random_token().unwrap(), random_token().unwrap());
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn throttling_waits_for_the_oldest_counted_failure() {
        let now = time::OffsetDateTime::now_utc();
        let at = |ago: i64| {
            let t = now - time::Duration::seconds(ago);
            t.format(&time::format_description::well_known::Rfc3339).unwrap()
        };
        let times: Vec<String> = [600, 500, 400, 300, 200].into_iter().map(at).collect();
        assert_eq!(throttled_for(&times[1..], 5, now), None);
        let wait = throttled_for(&times, 5, now).unwrap();
        assert!((299..=301).contains(&wait), "{wait}");
        // Six failures: the second oldest must leave.
        let mut six = vec![at(700)];
        six.extend(times);
        let wait = throttled_for(&six, 5, now).unwrap();
        assert!((299..=301).contains(&wait), "{wait}");
    }

    async fn store_with_unit() -> (tempfile::TempDir, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.unwrap();
        let mut imp = store.begin_observation_import("test", "t").await.unwrap();
        let u = store::NewUnit {
            code: model::TerytCode::parse("0201011").unwrap(),
            name: "Bolesławiec".into(),
            kind: model::UnitKind::GminaMiejska,
            valid_from: None,
            valid_to: None,
            historical: false,
            parent_id: None,
        };
        let id = imp.create_unit(&u).await.unwrap();
        imp.finish(0, 0, 0).await.unwrap();
        (dir, store, id)
    }

    fn cli() -> Actor {
        Actor::named("cli:test")
    }

    #[tokio::test]
    async fn login_makes_a_new_session_each_time_and_logout_ends_it() {
        let (_dir, store, unit) = store_with_unit().await;
        add_organisation(&store, &cli(), "jst", "Gmina Miejska Bolesławiec", Some("0201011")).await.unwrap();
        add_user(&store, &cli(), " Ala ", "Ala Nowak", Some("Gmina Miejska Bolesławiec")).await.unwrap();
        assert!(matches!(add_user(&store, &cli(), "ala", "Again", None).await, Err(AppError::Invalid(_))));
        assert!(matches!(add_user(&store, &cli(), "bob", "Bob", Some("Nowhere")).await, Err(AppError::UnknownOrganisation { .. })));
        // No password yet: nothing opens.
        assert_eq!(login(&store, "ala", "", None).await.unwrap(), LoginOutcome::Wrong);
        set_password(&store, &cli(), "ala", "zielone jabłko 42").await.unwrap();
        assert_eq!(grant(&store, &cli(), "ala", Role::DataEntry, &[]).await.unwrap(), 1, "her own JST by default");

        let LoginOutcome::Ok { token: t1, csrf: c1, user } = login(&store, "ALA", "zielone jabłko 42", Some("10.1.1.1")).await.unwrap() else {
            panic!("login refused")
        };
        assert!(user.can(Action::EnterData, unit) && !user.can(Action::Verify, unit));
        let LoginOutcome::Ok { token: t2, csrf: c2, .. } = login(&store, "ala", "zielone jabłko 42", None).await.unwrap() else {
            panic!("login refused")
        };
        assert_ne!(t1, t2, "a new token at every login");
        assert_ne!(c1, c2);
        let s = session_user(&store, &t1).await.unwrap().unwrap();
        assert_eq!((s.user.login.as_str(), s.csrf.as_str()), ("ala", c1.as_str()));
        assert!(logout(&store, &t1, None).await.unwrap());
        assert!(session_user(&store, &t1).await.unwrap().is_none());
        assert!(session_user(&store, &t2).await.unwrap().is_some(), "the other session lives on");

        set_disabled(&store, &cli(), "ala", true).await.unwrap();
        assert!(session_user(&store, &t2).await.unwrap().is_none(), "a disabled user's session ends");
        assert_eq!(login(&store, "ala", "zielone jabłko 42", None).await.unwrap(), LoginOutcome::Wrong);
    }

    #[tokio::test]
    async fn failed_logins_throttle_the_account_and_the_address() {
        let (_dir, store, _) = store_with_unit().await;
        add_user(&store, &cli(), "ola", "Ola", None).await.unwrap();
        set_password(&store, &cli(), "ola", "bardzo tajne hasło").await.unwrap();
        for _ in 0..ACCOUNT_FAILURES {
            assert_eq!(login(&store, "ola", "wrong password!", Some("10.0.0.2")).await.unwrap(), LoginOutcome::Wrong);
        }
        // Even the right password waits now.
        let LoginOutcome::Throttled { retry_after_secs } = login(&store, "ola", "bardzo tajne hasło", Some("10.0.0.3")).await.unwrap() else {
            panic!("not throttled")
        };
        assert!(retry_after_secs > 0 && retry_after_secs <= 900, "{retry_after_secs}");
        // Unknown logins from one address: the address is throttled.
        for i in 0..ADDRESS_FAILURES {
            assert_eq!(login(&store, &format!("nobody{i}"), "x", Some("10.9.9.9")).await.unwrap(), LoginOutcome::Wrong);
        }
        assert!(matches!(login(&store, "someone", "x", Some("10.9.9.9")).await.unwrap(), LoginOutcome::Throttled { .. }));
        assert_eq!(login(&store, "someone", "x", Some("10.9.9.8")).await.unwrap(), LoginOutcome::Wrong, "another address is not");
    }

    #[tokio::test]
    async fn an_invitation_sets_the_password_once_and_expires() {
        let (_dir, store, unit) = store_with_unit().await;
        add_user(&store, &cli(), "ewa", "Ewa", None).await.unwrap();
        let token = invite(&store, &cli(), "ewa", INVITE_SECS).await.unwrap();
        assert_eq!(check_invite(&store, &token).await.unwrap(), "ewa");
        assert!(matches!(accept_invite(&store, &token, "short", None).await, Err(AppError::Password(PasswordProblem::TooShort))));
        assert!(matches!(accept_invite(&store, &token, "ewa", None).await, Err(AppError::Password(_))));
        assert_eq!(accept_invite(&store, &token, "nowe hasło ewy 1", None).await.unwrap(), "ewa");
        assert!(matches!(accept_invite(&store, &token, "inne hasło ewy 2", None).await, Err(AppError::Invite(InviteProblem::Used))));
        assert!(matches!(login(&store, "ewa", "nowe hasło ewy 1", None).await.unwrap(), LoginOutcome::Ok { .. }));
        let old = invite(&store, &cli(), "ewa", 0).await.unwrap();
        assert!(matches!(accept_invite(&store, &old, "inne hasło ewy 2", None).await, Err(AppError::Invite(InviteProblem::Expired))));
        assert!(matches!(check_invite(&store, "nonsense").await, Err(AppError::Invite(InviteProblem::Unknown))));

        // Scopes by TERYT code, `*` only where a role may cover every unit.
        assert_eq!(grant(&store, &cli(), "ewa", Role::Verifier, &["0201011".into()]).await.unwrap(), 1);
        assert!(grant(&store, &cli(), "ewa", Role::DataEntry, &["*".into()]).await.is_err());
        assert!(matches!(grant(&store, &cli(), "ewa", Role::Analyst, &["9999999".into()]).await, Err(AppError::UnknownUnit { .. })));
        assert_eq!(grant(&store, &cli(), "ewa", Role::Analyst, &["*".into()]).await.unwrap(), 1);
        let listed = list_users(&store).await.unwrap();
        let ewa = listed.iter().find(|u| u.login == "ewa").unwrap();
        let verifier = ewa.grants.iter().find(|g| g.role == Role::Verifier).unwrap();
        assert_eq!(
            (verifier.unit_id, verifier.unit_code.as_deref(), verifier.unit_name.as_deref()),
            (Some(unit), Some("0201011"), Some("Bolesławiec"))
        );
        assert!(ewa.has_password);
        assert_eq!(revoke(&store, &cli(), "ewa", Role::Verifier, &[]).await.unwrap(), 1);
        assert_eq!(revoke(&store, &cli(), "ewa", Role::Analyst, &["0201011".into()]).await.unwrap(), 0, "the every-unit row is not this unit's");
    }

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let h = hash_password_blocking("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_blocking(Some(&h), "correct horse battery"));
        assert!(!verify_blocking(Some(&h), "correct horse batterx"));
        assert!(!verify_blocking(None, "miernik: no such user, no such password"), "the dummy hash opens nothing");
        assert!(!verify_blocking(Some("garbage"), "x"));
    }
}
