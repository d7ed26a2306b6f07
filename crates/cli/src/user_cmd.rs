//! `miernik user …`: accounts from the command line — add a user (and their organisation),
//! list users with their roles, grant and revoke roles, make a one-time invitation link, set
//! a password read from standard input (never from the command line).

use std::io::Read;

use anyhow::{Result, anyhow};
use app::accounts::{self, Role};
use clap::{Subcommand, ValueEnum};
use serde_json::json;

use crate::output::outln;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OrgKind {
    Jst,
    Association,
    Office,
}

impl OrgKind {
    fn as_str(self) -> &'static str {
        match self {
            OrgKind::Jst => "jst",
            OrgKind::Association => "association",
            OrgKind::Office => "office",
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum UserFormat {
    Table,
    Json,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user (without a password: send them `user invite`, or use `user password`)
    Add {
        /// The login (stored in lower case: letters, digits, . _ @ -)
        login: String,
        /// The person's name
        #[arg(long)]
        name: String,
        /// Their organisation, by name; created when --org-kind is given and it is new
        #[arg(long)]
        org: Option<String>,
        /// The kind of a new organisation
        #[arg(long, value_enum, requires = "org")]
        org_kind: Option<OrgKind>,
        /// A new JST organisation's TERYT code
        #[arg(long, requires = "org")]
        org_unit: Option<String>,
    },
    /// List the users with their organisations and roles
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: UserFormat,
    },
    /// Grant a role: data_entry, approver, verifier, analyst or admin
    Grant {
        login: String,
        role: String,
        /// TERYT codes (comma-separated) or * (every unit: verifier, analyst); without it
        /// data_entry and approver get the user's own JST, admin every unit
        #[arg(long, value_delimiter = ',')]
        units: Vec<String>,
    },
    /// Revoke a role (on --units only, or every row of the role)
    Revoke {
        login: String,
        role: String,
        #[arg(long, value_delimiter = ',')]
        units: Vec<String>,
    },
    /// Make a one-time invitation link that lets the user set their password
    Invite {
        login: String,
        /// Days the link stays valid
        #[arg(long, default_value_t = 7)]
        days: i64,
        /// The portal's public address, put before /zaproszenie/TOKEN
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Set a user's password, read from standard input (one line)
    Password { login: String },
}

/// Text for the terminal: control characters (escape sequences) shown as `?`.
fn plain(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

fn role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| anyhow!("no role `{s}`: use data_entry, approver, verifier, analyst or admin"))
}

/// Runs a `user` subcommand against `store` (whose actor is the CLI's, `--as` included).
pub async fn run(store: &app::Store, cmd: UserCommand) -> Result<()> {
    let actor = store.actor().clone();
    match cmd {
        UserCommand::Add { login, name, org, org_kind, org_unit } => {
            if let Some(org) = org.as_deref() {
                let exists = store.organisations().await.map_err(app::AppError::from)?.iter().any(|o| o.name == org.trim());
                match (exists, org_kind) {
                    (true, _) => {}
                    (false, Some(kind)) => {
                        accounts::add_organisation(store, &actor, kind.as_str(), org, org_unit.as_deref()).await?;
                        outln!("organizacja / organisation {org} ({}) added", kind.as_str())?;
                    }
                    (false, None) => return Err(app::AppError::UnknownOrganisation { name: org.to_owned() }.into()),
                }
            }
            accounts::add_user(store, &actor, &login, &name, org.as_deref()).await?;
            outln!(
                "użytkownik / user {} added (no password yet: miernik user invite {})",
                accounts::normalise_login(&login),
                accounts::normalise_login(&login)
            )?;
        }
        UserCommand::List { format } => {
            let users = accounts::list_users(store).await?;
            match format {
                UserFormat::Json => {
                    let list: Vec<serde_json::Value> = users
                        .iter()
                        .map(|u| {
                            json!({
                                "login": u.login,
                                "name": u.display_name,
                                "organisation": u.organisation,
                                "has_password": u.has_password,
                                "disabled": u.disabled,
                                "created_at": u.created_at,
                                "roles": u.grants.iter().map(|g| json!({
                                    "role": g.role.as_str(),
                                    "unit": g.unit_code,
                                    "unit_name": g.unit_name,
                                    "all_units": g.unit_id.is_none(),
                                })).collect::<Vec<_>>(),
                            })
                        })
                        .collect();
                    outln!("{}", serde_json::to_string_pretty(&list)?)?;
                }
                UserFormat::Table => {
                    outln!("{:<20} {:<28} {:<24} {:<10} roles", "login", "name", "organisation", "state")?;
                    for u in &users {
                        let state = if u.disabled {
                            "disabled"
                        } else if u.has_password {
                            "active"
                        } else {
                            "invited"
                        };
                        let roles: Vec<String> = u
                            .grants
                            .iter()
                            .map(|g| format!("{}:{}", g.role.as_str(), g.unit_code.as_deref().unwrap_or(if g.unit_id.is_none() { "*" } else { "?" })))
                            .collect();
                        outln!(
                            "{:<20} {:<28} {:<24} {:<10} {}",
                            plain(&u.login),
                            plain(&u.display_name),
                            plain(u.organisation.as_deref().unwrap_or("-")),
                            state,
                            roles.join(" ")
                        )?;
                    }
                }
            }
        }
        UserCommand::Grant { login, role: r, units } => {
            let r = role(&r)?;
            let n = accounts::grant(store, &actor, &login, r, &units).await?;
            outln!("{}: {} granted ({n} new row{})", accounts::normalise_login(&login), r.as_str(), if n == 1 { "" } else { "s" })?;
        }
        UserCommand::Revoke { login, role: r, units } => {
            let r = role(&r)?;
            let n = accounts::revoke(store, &actor, &login, r, &units).await?;
            outln!("{}: {} revoked ({n} row{})", accounts::normalise_login(&login), r.as_str(), if n == 1 { "" } else { "s" })?;
        }
        UserCommand::Invite { login, days, base_url } => {
            if !(1..=365).contains(&days) {
                return Err(anyhow!("--days must be 1 to 365"));
            }
            let token = accounts::invite(store, &actor, &login, days * 86_400).await?;
            let base = base_url.as_deref().unwrap_or("").trim_end_matches('/');
            outln!("{base}/zaproszenie/{token}")?;
            eprintln!(
                "link jednorazowy, ważny {days} dni — wyślij go użytkownikowi / a one-time link, valid {days} days — send it to {}",
                accounts::normalise_login(&login)
            );
        }
        UserCommand::Password { login } => {
            let mut input = String::new();
            std::io::stdin().take(4096).read_to_string(&mut input)?;
            let password = input.lines().next().unwrap_or("");
            accounts::set_password(store, &actor, &login, password).await?;
            outln!("{}: hasło ustawione / password set", accounts::normalise_login(&login))?;
        }
    }
    Ok(())
}
