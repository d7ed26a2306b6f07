//! The error of the use-cases: what went wrong, said so that a user can act on it.

/// One rejected input row: where and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Ingest(#[from] ingest::IngestError),
    /// Every store error but `Busy` (which becomes [`AppError::Busy`]).
    #[error(transparent)]
    Store(store::StoreError),
    /// The database had no free connection in time (or stayed locked): try again shortly.
    /// The portal answers 503 with `Retry-After`.
    #[error("{}", store::StoreError::Busy)]
    Busy,
    /// The import was refused and nothing was written.
    #[error("{file}: {summary}; nothing was imported")]
    Rejected { file: String, summary: String, rows: Vec<Rejected> },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// No indicator catalogue in the store: nothing can be computed. The CLI's words name the
    /// import command; the portal says it in Polish and English without one (`web::i18n`'s
    /// `describe`).
    #[error("no indicators: import a catalogue first (miernik import indicators catalogue/indicators.toml)")]
    NoCatalogue,
    /// A peer group `custom:CODE` of no stored custom group.
    #[error("no custom group `{code}` (see miernik group list)")]
    NoCustomGroup { code: String },
    /// A campaign use-case refused (worded PL/EN by `CampaignError::pl`/`en`).
    #[error(transparent)]
    Campaign(crate::campaigns::CampaignError),
    /// Accounts: no user with this login.
    #[error("no user `{login}` (see miernik user list)")]
    UnknownUser { login: String },
    /// Accounts: no organisation with this name.
    #[error("no organisation `{name}`: give --org-kind (and --org-unit for a JST) to create it")]
    UnknownOrganisation { name: String },
    /// Accounts: a TERYT code of no unit.
    #[error("no unit with TERYT code `{code}`")]
    UnknownUnit { code: String },
    /// Accounts: a new password the rules refuse.
    #[error("{}", match .0 {
        crate::accounts::PasswordProblem::TooShort => format!("the password must have at least {} characters", crate::accounts::MIN_PASSWORD),
        crate::accounts::PasswordProblem::SameAsLogin => "the password must not be the login".to_owned(),
    })]
    Password(crate::accounts::PasswordProblem),
    /// Accounts: an invitation link that does not work (any more).
    #[error("{}", match .0 {
        crate::accounts::InviteProblem::Unknown => "no such invitation",
        crate::accounts::InviteProblem::Used => "the invitation has been used already",
        crate::accounts::InviteProblem::Expired => "the invitation has expired",
        crate::accounts::InviteProblem::Disabled => "the invited account is disabled",
    })]
    Invite(crate::accounts::InviteProblem),
}

impl From<store::StoreError> for AppError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Busy | store::StoreError::Unavailable(_) => AppError::Busy,
            e => AppError::Store(e),
        }
    }
}
