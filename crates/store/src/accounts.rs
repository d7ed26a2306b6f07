//! People who write: organisations, users, their roles, server-side sessions, one-time
//! invitations and failed logins (tables of migration 0005). Tokens never reach the database:
//! sessions and invitations are stored by the SHA-256 of their token, which the caller
//! computes. Every change appends its audit row in the same transaction ([`crate::audit`]).

use crate::audit::{Actor, AuditEntry, append_tx};
use crate::{Result, Store, StoreError, Tx, dispatch, now_text};

/// An organisation: a JST (`kind` = `jst`, with its unit), an association, an office.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOrganisation {
    pub id: i64,
    /// `jst`, `association` or `office`.
    pub kind: String,
    pub name: String,
    pub unit_id: Option<i64>,
    pub created_at: String,
}

/// A user as listed (never with the password hash).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUser {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub organisation_id: Option<i64>,
    /// The organisation's name.
    pub organisation: Option<String>,
    /// Whether a password is set (an invitation not yet accepted leaves none).
    pub has_password: bool,
    pub disabled: bool,
    pub created_at: String,
}

/// What a login checks: the user's id, password hash (a PHC string) and whether disabled.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    pub user_id: i64,
    pub login: String,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

/// One role row: `role` is `data_entry`, `approver`, `verifier`, `analyst` or `admin`;
/// `unit_id` None means every unit.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRole {
    pub user_id: i64,
    pub role: String,
    pub unit_id: Option<i64>,
    pub granted_at: String,
    pub granted_by: String,
}

/// A live session: its user (enabled) and its form token.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    pub user: StoredUser,
    pub csrf: String,
    pub expires_at: String,
}

/// What became of an invitation token.
#[derive(Debug, Clone, PartialEq)]
pub enum InviteUse {
    /// The password is set; the invitation is spent.
    Accepted {
        user_id: i64,
        login: String,
    },
    /// No such invitation.
    Unknown,
    /// Already used once.
    Used,
    Expired,
    /// The user it was for is disabled.
    Disabled,
}

type UserRow = (i64, String, String, Option<i64>, Option<String>, bool, i64, String);

const USER_SELECT: &str = "SELECT u.id, u.login, u.display_name, u.organisation_id, o.name, u.password_hash IS NOT NULL, u.disabled, u.created_at \
                           FROM app_user u LEFT JOIN organisation o ON o.id = u.organisation_id";

fn user((id, login, display_name, organisation_id, organisation, has_password, disabled, created_at): UserRow) -> StoredUser {
    StoredUser { id, login, display_name, organisation_id, organisation, has_password, disabled: disabled != 0, created_at }
}

/// Now plus `secs` seconds, in the store's timestamp format (sortable as text).
fn later(secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(secs);
    // As `now_text` writes it.
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second(), t.microsecond())
}

fn entry(action: &str, unit_id: Option<i64>, detail: String) -> AuditEntry {
    AuditEntry { action: action.to_owned(), unit_id, detail: Some(detail), ..AuditEntry::default() }
}

async fn login_of(tx: &mut Tx, user_id: i64) -> Result<String> {
    let login: Option<String> =
        dispatch!(tx, t => sqlx::query_scalar("SELECT login FROM app_user WHERE id = $1").bind(user_id).fetch_optional(&mut **t).await?);
    login.ok_or_else(|| StoreError::Invalid(format!("no user with id {user_id}")))
}

impl Store {
    /// Adds an organisation; its id. A name is unique.
    pub async fn add_organisation(&self, actor: &Actor, kind: &str, name: &str, unit_id: Option<i64>) -> Result<i64> {
        if !matches!(kind, "jst" | "association" | "office") {
            return Err(StoreError::Invalid(format!("organisation kind `{kind}`: use jst, association or office")));
        }
        let mut tx = self.begin().await?;
        let at = now_text();
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO organisation (kind, name, unit_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(kind).bind(name).bind(unit_id).bind(&at).fetch_one(&mut **t).await?);
        append_tx(&mut tx, actor, &at, &entry("organisation.add", unit_id, format!("{kind}: {name}"))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every organisation, by name.
    pub async fn organisations(&self) -> Result<Vec<StoredOrganisation>> {
        let rows: Vec<(i64, String, String, Option<i64>, String)> = dispatch!(&self.backend, p => sqlx::query_as(
            "SELECT id, kind, name, unit_id, created_at FROM organisation ORDER BY name").fetch_all(p).await?);
        Ok(rows.into_iter().map(|(id, kind, name, unit_id, created_at)| StoredOrganisation { id, kind, name, unit_id, created_at }).collect())
    }

    /// The organisation called `name`.
    pub async fn organisation_by_name(&self, name: &str) -> Result<Option<StoredOrganisation>> {
        Ok(self.organisations().await?.into_iter().find(|o| o.name == name))
    }

    /// Adds a user without a password (an invitation or `set_password` gives one); its id.
    pub async fn add_user(&self, actor: &Actor, login: &str, display_name: &str, organisation_id: Option<i64>) -> Result<i64> {
        let mut tx = self.begin().await?;
        let at = now_text();
        let taken: Option<i64> =
            dispatch!(&mut tx, t => sqlx::query_scalar("SELECT id FROM app_user WHERE login = $1").bind(login).fetch_optional(&mut **t).await?);
        if taken.is_some() {
            tx.rollback().await?;
            return Err(StoreError::Invalid(format!("login `{login}` is taken")));
        }
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO app_user (login, display_name, organisation_id, disabled, created_at) VALUES ($1, $2, $3, 0, $4) RETURNING id")
            .bind(login).bind(display_name).bind(organisation_id).bind(&at).fetch_one(&mut **t).await?);
        append_tx(&mut tx, actor, &at, &entry("user.add", None, format!("{login} ({display_name})"))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every user, by login.
    pub async fn users(&self) -> Result<Vec<StoredUser>> {
        let sql = format!("{USER_SELECT} ORDER BY u.login");
        let rows: Vec<UserRow> = dispatch!(&self.backend, p => sqlx::query_as(&sql).fetch_all(p).await?);
        Ok(rows.into_iter().map(user).collect())
    }

    /// The user with `login`.
    pub async fn user_by_login(&self, login: &str) -> Result<Option<StoredUser>> {
        let sql = format!("{USER_SELECT} WHERE u.login = $1");
        let row: Option<UserRow> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(login).fetch_optional(p).await?);
        Ok(row.map(user))
    }

    /// What a login checks of the user with `login`.
    pub async fn credentials(&self, login: &str) -> Result<Option<Credentials>> {
        let row: Option<(i64, String, Option<String>, i64)> = dispatch!(&self.backend, p => sqlx::query_as(
            "SELECT id, login, password_hash, disabled FROM app_user WHERE login = $1").bind(login).fetch_optional(p).await?);
        Ok(row.map(|(user_id, login, password_hash, disabled)| Credentials { user_id, login, password_hash, disabled: disabled != 0 }))
    }

    /// Sets a user's password hash (a PHC string).
    pub async fn set_password(&self, actor: &Actor, user_id: i64, password_hash: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let at = now_text();
        let login = login_of(&mut tx, user_id).await?;
        dispatch!(&mut tx, t => { sqlx::query("UPDATE app_user SET password_hash = $1 WHERE id = $2")
            .bind(password_hash).bind(user_id).execute(&mut **t).await?; });
        append_tx(&mut tx, actor, &at, &entry("user.password", None, login)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables (or enables again) a user; disabling ends every session of theirs.
    pub async fn set_disabled(&self, actor: &Actor, user_id: i64, disabled: bool) -> Result<()> {
        let mut tx = self.begin().await?;
        let at = now_text();
        let login = login_of(&mut tx, user_id).await?;
        dispatch!(&mut tx, t => { sqlx::query("UPDATE app_user SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled)).bind(user_id).execute(&mut **t).await?; });
        if disabled {
            dispatch!(&mut tx, t => { sqlx::query("DELETE FROM user_session WHERE user_id = $1").bind(user_id).execute(&mut **t).await?; });
        }
        append_tx(&mut tx, actor, &at, &entry(if disabled { "user.disable" } else { "user.enable" }, None, login)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The roles of one user.
    pub async fn roles_of(&self, user_id: i64) -> Result<Vec<StoredRole>> {
        self.query_roles(Some(user_id)).await
    }

    /// Every role row, by user and role.
    pub async fn roles(&self) -> Result<Vec<StoredRole>> {
        self.query_roles(None).await
    }

    async fn query_roles(&self, user_id: Option<i64>) -> Result<Vec<StoredRole>> {
        let rows: Vec<(i64, String, Option<i64>, String, String)> = dispatch!(&self.backend, p => sqlx::query_as(
            "SELECT user_id, role, unit_id, granted_at, granted_by FROM user_role WHERE ($1 IS NULL OR user_id = $1) \
             ORDER BY user_id, role, COALESCE(unit_id, 0)")
            .bind(user_id).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|(user_id, role, unit_id, granted_at, granted_by)| StoredRole { user_id, role, unit_id, granted_at, granted_by })
            .collect())
    }

    /// Grants `role` on each of `units` (None: every unit); rows already there stay. The
    /// number of rows added.
    pub async fn grant_role(&self, actor: &Actor, user_id: i64, role: &str, units: &[Option<i64>]) -> Result<u64> {
        let mut tx = self.begin().await?;
        let at = now_text();
        let login = login_of(&mut tx, user_id).await?;
        let mut added = 0;
        for unit in units {
            let n = dispatch!(&mut tx, t => sqlx::query(
                "INSERT INTO user_role (user_id, role, unit_id, granted_at, granted_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                .bind(user_id).bind(role).bind(*unit).bind(&at).bind(&actor.name).execute(&mut **t).await?.rows_affected());
            if n > 0 {
                append_tx(&mut tx, actor, &at, &entry("role.grant", *unit, format!("{login}: {role}"))).await?;
                added += n;
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Takes `role` away: on each of `units` (None in it: the every-unit row), or every row
    /// of the role when `units` is None. The number of rows removed.
    pub async fn revoke_role(&self, actor: &Actor, user_id: i64, role: &str, units: Option<&[Option<i64>]>) -> Result<u64> {
        let mut tx = self.begin().await?;
        let at = now_text();
        let login = login_of(&mut tx, user_id).await?;
        let rows: Vec<(i64, Option<i64>)> = dispatch!(&mut tx, t => sqlx::query_as(
            "SELECT id, unit_id FROM user_role WHERE user_id = $1 AND role = $2").bind(user_id).bind(role).fetch_all(&mut **t).await?);
        let mut removed = 0;
        for (id, unit) in rows {
            if units.is_some_and(|u| !u.contains(&unit)) {
                continue;
            }
            removed += dispatch!(&mut tx, t => sqlx::query("DELETE FROM user_role WHERE id = $1").bind(id).execute(&mut **t).await?.rows_affected());
            append_tx(&mut tx, actor, &at, &entry("role.revoke", unit, format!("{login}: {role}"))).await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// Starts a session of `lifetime_secs` for a user who has just logged in: stores the
    /// token's hash and its form token, clears the account's failed logins, appends `login`.
    /// Expired sessions are swept on the way.
    pub async fn create_session(&self, actor: &Actor, token_hash: &str, user_id: i64, csrf: &str, lifetime_secs: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let at = now_text();
        let login = login_of(&mut tx, user_id).await?;
        dispatch!(&mut tx, t => {
            sqlx::query("DELETE FROM user_session WHERE expires_at <= $1").bind(&at).execute(&mut **t).await?;
            sqlx::query("INSERT INTO user_session (token_hash, user_id, csrf, created_at, expires_at, address) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(token_hash).bind(user_id).bind(csrf).bind(&at).bind(later(lifetime_secs)).bind(&actor.address)
                .execute(&mut **t).await?;
            sqlx::query("DELETE FROM login_failure WHERE login = $1").bind(&login).execute(&mut **t).await?;
        });
        append_tx(&mut tx, actor, &at, &entry("login", None, login)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session with this token hash, if it has not expired and its user is not disabled.
    pub async fn session(&self, token_hash: &str) -> Result<Option<StoredSession>> {
        let sql = "SELECT u.id, u.login, u.display_name, u.organisation_id, o.name, u.password_hash IS NOT NULL, u.disabled, u.created_at, s.csrf, s.expires_at \
             FROM user_session s JOIN app_user u ON u.id = s.user_id LEFT JOIN organisation o ON o.id = u.organisation_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0";
        type Row = (i64, String, String, Option<i64>, Option<String>, bool, i64, String, String, String);
        let row: Option<Row> = dispatch!(&self.backend, p => sqlx::query_as(sql).bind(token_hash).bind(now_text()).fetch_optional(p).await?);
        Ok(row.map(|(id, login, name, org_id, org, has_pw, disabled, created, csrf, expires_at)| StoredSession {
            user: user((id, login, name, org_id, org, has_pw, disabled, created)),
            csrf,
            expires_at,
        }))
    }

    /// Ends a session (logout); whether there was one. `logout` is audited when there was.
    pub async fn delete_session(&self, actor: &Actor, token_hash: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let at = now_text();
        let user_id: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar(
            "DELETE FROM user_session WHERE token_hash = $1 RETURNING user_id").bind(token_hash).fetch_optional(&mut **t).await?);
        if let Some(id) = user_id {
            let login = login_of(&mut tx, id).await?;
            append_tx(&mut tx, actor, &at, &entry("logout", None, login)).await?;
        }
        tx.commit().await?;
        Ok(user_id.is_some())
    }

    /// The number of live sessions of a user.
    pub async fn session_count(&self, user_id: i64) -> Result<i64> {
        let n: i64 = dispatch!(&self.backend, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_session WHERE user_id = $1 AND expires_at > $2").bind(user_id).bind(now_text()).fetch_one(p).await?);
        Ok(n)
    }

    /// Stores a one-time invitation (by its token's hash) valid for `ttl_secs`.
    pub async fn create_invite(&self, actor: &Actor, token_hash: &str, user_id: i64, ttl_secs: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let at = now_text();
        let login = login_of(&mut tx, user_id).await?;
        let expires = later(ttl_secs);
        dispatch!(&mut tx, t => { sqlx::query("INSERT INTO user_invite (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash).bind(user_id).bind(&at).bind(&expires).execute(&mut **t).await?; });
        append_tx(&mut tx, actor, &at, &entry("user.invite", None, format!("{login} until {expires}"))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether an invitation may still be used (for the form that asks for the password).
    pub async fn invite_status(&self, token_hash: &str) -> Result<InviteUse> {
        let row: Option<(i64, String, String, Option<String>, i64)> = dispatch!(&self.backend, p => sqlx::query_as(
            "SELECT i.user_id, u.login, i.expires_at, i.used_at, u.disabled FROM user_invite i JOIN app_user u ON u.id = i.user_id \
             WHERE i.token_hash = $1").bind(token_hash).fetch_optional(p).await?);
        Ok(invite_use(row, &now_text()))
    }

    /// Spends an invitation and sets its user's password, in one transaction; the actor is
    /// the user (`user:LOGIN`) at `address`.
    pub async fn accept_invite(&self, token_hash: &str, password_hash: &str, address: Option<String>) -> Result<InviteUse> {
        let mut tx = self.begin().await?;
        let at = now_text();
        let row: Option<(i64, String, String, Option<String>, i64)> = dispatch!(&mut tx, t => sqlx::query_as(
            "SELECT i.user_id, u.login, i.expires_at, i.used_at, u.disabled FROM user_invite i JOIN app_user u ON u.id = i.user_id \
             WHERE i.token_hash = $1").bind(token_hash).fetch_optional(&mut **t).await?);
        let outcome = invite_use(row, &at);
        let InviteUse::Accepted { user_id, login } = &outcome else {
            tx.rollback().await?;
            return Ok(outcome);
        };
        // Spent only if nobody spent it meanwhile (two requests at once).
        let spent = dispatch!(&mut tx, t => sqlx::query("UPDATE user_invite SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(&at).bind(token_hash).execute(&mut **t).await?.rows_affected());
        if spent != 1 {
            tx.rollback().await?;
            return Ok(InviteUse::Used);
        }
        dispatch!(&mut tx, t => { sqlx::query("UPDATE app_user SET password_hash = $1 WHERE id = $2")
            .bind(password_hash).bind(*user_id).execute(&mut **t).await?; });
        let actor = Actor { name: format!("user:{login}"), user_id: Some(*user_id), address };
        append_tx(&mut tx, &actor, &at, &entry("user.password", None, format!("{login} (invitation)"))).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Records a failed login; failures older than a day are swept on the way.
    pub async fn record_login_failure(&self, login: &str, address: &str) -> Result<()> {
        let at = now_text();
        let day_ago = later(-86_400);
        dispatch!(&self.backend, p => {
            sqlx::query("DELETE FROM login_failure WHERE at < $1").bind(&day_ago).execute(p).await?;
            sqlx::query("INSERT INTO login_failure (login, address, at) VALUES ($1, $2, $3)").bind(login).bind(address).bind(&at).execute(p).await?;
        });
        Ok(())
    }

    /// The times (oldest first) of failed logins of the last `window_secs`, for `login` and
    /// for `address`: at most `limit` each, the newest ones.
    pub async fn login_failures(&self, login: &str, address: &str, window_secs: i64, limit: i64) -> Result<(Vec<String>, Vec<String>)> {
        let since = later(-window_secs);
        let (mut by_login, mut by_address): (Vec<String>, Vec<String>) = dispatch!(&self.backend, p => (
            sqlx::query_scalar("SELECT at FROM login_failure WHERE login = $1 AND at > $2 ORDER BY at DESC LIMIT $3")
                .bind(login).bind(&since).bind(limit).fetch_all(p).await?,
            sqlx::query_scalar("SELECT at FROM login_failure WHERE address = $1 AND at > $2 ORDER BY at DESC LIMIT $3")
                .bind(address).bind(&since).bind(limit).fetch_all(p).await?,
        ));
        by_login.reverse();
        by_address.reverse();
        Ok((by_login, by_address))
    }
}

fn invite_use(row: Option<(i64, String, String, Option<String>, i64)>, now: &str) -> InviteUse {
    match row {
        None => InviteUse::Unknown,
        Some((_, _, _, Some(_), _)) => InviteUse::Used,
        Some((_, _, expires, None, _)) if expires.as_str() <= now => InviteUse::Expired,
        Some((_, _, _, None, disabled)) if disabled != 0 => InviteUse::Disabled,
        Some((user_id, login, _, None, _)) => InviteUse::Accepted { user_id, login },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    /// Runs a story on SQLite, then on PostgreSQL when `MIERNIK_TEST_POSTGRES` is set.
    macro_rules! on_both {
        ($story:ident) => {{
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite:{}", dir.path().join("t.db").display());
            $story(Store::open(&url).await.unwrap()).await;
            if let Ok(pg) = std::env::var("MIERNIK_TEST_POSTGRES") {
                let schema = format!("t_acc_{}_{}", stringify!($story), std::process::id());
                let store = Store::open_postgres_schema(&pg, &schema).await.unwrap();
                $story(store.clone()).await;
                store.close().await;
                Store::drop_postgres_schema(&pg, &schema).await.unwrap();
            } else {
                eprintln!("MIERNIK_TEST_POSTGRES not set: {} ran on SQLite only", stringify!($story));
            }
        }};
    }

    fn admin() -> Actor {
        Actor::named("cli:test")
    }

    async fn audit_actions(store: &Store) -> Vec<(String, String, Option<String>)> {
        dispatch!(&store.backend, p => sqlx::query_as("SELECT action, actor, detail FROM audit_log ORDER BY id").fetch_all(p).await.unwrap())
    }

    async fn some_unit(store: &Store) -> i64 {
        let mut imp = store.begin_observation_import("test", "t").await.unwrap();
        let code = model::TerytCode::parse("0201011").unwrap();
        let u = crate::NewUnit {
            code,
            name: "Gmina".into(),
            kind: model::UnitKind::GminaMiejska,
            valid_from: None,
            valid_to: None,
            historical: false,
            parent_id: None,
        };
        let id = imp.create_unit(&u).await.unwrap();
        imp.finish(0, 0, 0).await.unwrap();
        id
    }

    async fn users_roles_and_audit(store: Store) {
        let org = store.add_organisation(&admin(), "association", "Związek Gmin", None).await.unwrap();
        assert!(store.add_organisation(&admin(), "club", "X", None).await.is_err(), "kind is checked");
        let id = store.add_user(&admin(), "ala", "Ala Nowak", Some(org)).await.unwrap();
        assert!(store.add_user(&admin(), "ala", "Other", None).await.is_err(), "a login is unique");
        let u = store.user_by_login("ala").await.unwrap().unwrap();
        assert_eq!((u.id, u.organisation.as_deref(), u.has_password, u.disabled), (id, Some("Związek Gmin"), false, false));

        // Two scoped rows and one every-unit row; granting again adds nothing.
        let unit = some_unit(&store).await;
        assert_eq!(store.grant_role(&admin(), id, "verifier", &[Some(unit), None]).await.unwrap(), 2);
        assert_eq!(store.grant_role(&admin(), id, "verifier", &[Some(unit), None]).await.unwrap(), 0);
        assert_eq!(store.roles_of(id).await.unwrap().len(), 2);
        assert_eq!(store.revoke_role(&admin(), id, "verifier", Some(&[None])).await.unwrap(), 1);
        let left = store.roles_of(id).await.unwrap();
        assert_eq!(left.iter().map(|r| r.unit_id).collect::<Vec<_>>(), [Some(unit)]);
        assert_eq!(left[0].granted_by, "cli:test");
        assert_eq!(store.revoke_role(&admin(), id, "verifier", None).await.unwrap(), 1);
        assert!(store.roles().await.unwrap().is_empty());

        let actions: Vec<String> = audit_actions(&store).await.into_iter().map(|a| a.0).filter(|a| a != "import").collect();
        assert_eq!(actions, ["organisation.add", "user.add", "role.grant", "role.grant", "role.revoke", "role.revoke"]);
    }

    async fn sessions_expire_and_refuse_disabled_users(store: Store) {
        let id = store.add_user(&admin(), "ola", "Ola", None).await.unwrap();
        store.set_password(&admin(), id, "$argon2id$fake").await.unwrap();
        assert_eq!(store.credentials("ola").await.unwrap().unwrap().password_hash.as_deref(), Some("$argon2id$fake"));
        let web = Actor { name: "user:ola".into(), user_id: Some(id), address: Some("10.0.0.1".into()) };
        store.record_login_failure("ola", "10.0.0.1").await.unwrap();
        assert_eq!(store.login_failures("ola", "10.0.0.1", 900, 10).await.unwrap().0.len(), 1);
        store.create_session(&web, "h1", id, "c1", 3600).await.unwrap();
        assert!(store.login_failures("ola", "10.0.0.1", 900, 10).await.unwrap().0.is_empty(), "a login clears the account's failures");
        store.create_session(&web, "h0", id, "c0", 0).await.unwrap();
        let s = store.session("h1").await.unwrap().unwrap();
        assert_eq!((s.user.login.as_str(), s.csrf.as_str()), ("ola", "c1"));
        assert!(store.session("h0").await.unwrap().is_none(), "expired");
        assert!(store.session("nope").await.unwrap().is_none());
        assert_eq!(store.session_count(id).await.unwrap(), 1);

        store.set_disabled(&admin(), id, true).await.unwrap();
        assert!(store.session("h1").await.unwrap().is_none(), "a disabled user has no session");
        store.set_disabled(&admin(), id, false).await.unwrap();
        assert!(store.session("h1").await.unwrap().is_none(), "disabling ended the sessions");

        store.create_session(&web, "h2", id, "c2", 3600).await.unwrap();
        assert!(store.delete_session(&web, "h2").await.unwrap());
        assert!(!store.delete_session(&web, "h2").await.unwrap());
        let audit = audit_actions(&store).await;
        let logins: Vec<&(String, String, Option<String>)> = audit.iter().filter(|a| a.0 == "login" || a.0 == "logout").collect();
        assert_eq!(logins.len(), 4, "{audit:?}");
        assert!(logins.iter().all(|a| a.1 == "user:ola"));
    }

    async fn invitations_are_spent_once(store: Store) {
        let id = store.add_user(&admin(), "ewa", "Ewa", None).await.unwrap();
        store.create_invite(&admin(), "inv", id, 3600).await.unwrap();
        store.create_invite(&admin(), "old", id, 0).await.unwrap();
        assert!(matches!(store.invite_status("inv").await.unwrap(), InviteUse::Accepted { .. }));
        assert_eq!(store.invite_status("old").await.unwrap(), InviteUse::Expired);
        assert_eq!(store.invite_status("x").await.unwrap(), InviteUse::Unknown);
        let first = store.accept_invite("inv", "$argon2id$h", Some("::1".into())).await.unwrap();
        assert_eq!(first, InviteUse::Accepted { user_id: id, login: "ewa".into() });
        assert_eq!(store.accept_invite("inv", "$argon2id$other", None).await.unwrap(), InviteUse::Used);
        assert_eq!(store.accept_invite("old", "$argon2id$other", None).await.unwrap(), InviteUse::Expired);
        assert_eq!(store.credentials("ewa").await.unwrap().unwrap().password_hash.as_deref(), Some("$argon2id$h"));
        let audit = audit_actions(&store).await;
        let last = audit.last().unwrap();
        assert_eq!((last.0.as_str(), last.1.as_str()), ("user.password", "user:ewa"));
    }

    #[tokio::test]
    async fn users_roles_and_audit_on_both_backends() {
        on_both!(users_roles_and_audit);
    }

    #[tokio::test]
    async fn sessions_on_both_backends() {
        on_both!(sessions_expire_and_refuse_disabled_users);
    }

    #[tokio::test]
    async fn invitations_on_both_backends() {
        on_both!(invitations_are_spent_once);
    }
}
