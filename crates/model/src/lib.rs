//! Domain vocabulary of Miernik: territorial units and their TERYT codes, variables, years,
//! observations and their flags. Validated newtypes with `parse` constructors; no I/O, no
//! serde, no SQL.

mod code;
mod fold;
mod indicator;
mod observation;
mod peer_group;
mod unit;

pub use code::{CodeError, Level, TerytCode};
pub use fold::fold;
pub use indicator::{Polarity, PolarityError};
pub use observation::{Flag, FlagError, Observation, Value, ValueError, VariableCode, VariableCodeError, Year, YearError};
pub use peer_group::{PORTAL_GROUPS, PeerGroupSpec};
pub use unit::{KindError, UnitKind};

/// At most `max` characters of `s`, cut on a character boundary and marked with `…` when
/// cut: how error messages quote input, which may be a 100 MB field or a whole file on one
/// line. Borrows when nothing is cut.
pub fn excerpt(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(s),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}…", &s[..cut])),
    }
}

/// A calendar date (no time of day). Validity of units and "changed since" use it.
pub type Date = time::Date;

/// Parses an ISO date `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).ok()
}

/// Formats a date as ISO `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// 1 January of a year, the day most territorial changes take effect.
pub fn new_year(year: i32) -> Option<Date> {
    Date::from_calendar_date(year, time::Month::January, 1).ok()
}
