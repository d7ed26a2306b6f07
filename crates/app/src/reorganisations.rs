//! Reorganisations of a JST's services (a shared-services centre, a social-assistance
//! reorganisation, a change of the school network…) and the institutions of a JST: validated
//! writes, listings with unit names, and the re-evaluation of each of a reorganisation's
//! indicators against peers that did not reorganise the same way.
//!
//! Who may write is decided by the caller (`CurrentUser::can(Action::Plan, unit)`); every
//! write takes the [`Actor`] the audit log records, and the store writes the audit rows in
//! the same transaction. Values typed into forms are checked here ([`check`],
//! [`check_milestone`], [`check_institution`]): each refusal names its field and says why, in
//! Polish and English ([`Problem`]).

use std::collections::HashMap;

use model::{Polarity, TerytCode};
use store::{Actor, Store, StoreError};

pub use store::{InstitutionRow, MilestoneRow, ReorganisationFields, ReorganisationRow};

use crate::evaluate::{EvalRequest, Evaluation};
use crate::{AppError, Computed};

/// Kinds of reorganisation: (code, Polish words, English words).
pub const KINDS: [(&str, &str, &str); 4] = [
    ("cuw", "centrum usług wspólnych (CUW)", "shared-services centre (CUW)"),
    ("pomoc_spoleczna", "reorganizacja pomocy społecznej", "social-assistance reorganisation"),
    ("siec_szkol", "zmiana sieci szkół", "school-network change"),
    ("inna", "inna reorganizacja", "other reorganisation"),
];

/// Kinds of institution: (code, Polish words, English words).
pub const INSTITUTION_KINDS: [(&str, &str, &str); 7] = [
    ("szkola", "szkoła", "school"),
    ("przedszkole", "przedszkole", "kindergarten"),
    ("zlobek", "żłobek", "nursery"),
    ("ops", "ośrodek pomocy społecznej", "social-assistance centre"),
    ("dps", "dom pomocy społecznej", "care home"),
    ("cuw", "centrum usług wspólnych", "shared-services centre"),
    ("inna", "inna instytucja", "other institution"),
];

/// The longest title or name, and the longest description (characters).
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 4000;
/// The most indicators one reorganisation is re-evaluated on.
pub const MAX_INDICATORS: usize = 20;
/// Years a date may fall in.
pub const YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;
/// The re-evaluation's windows: years before the start, and from the start on.
pub const DEFAULT_BEFORE: usize = 3;
pub const DEFAULT_AFTER: usize = 3;

/// A kind's words (Polish, English); an unknown code is given back as it is.
pub fn kind_words(code: &str) -> (&str, &str) {
    KINDS.iter().find(|k| k.0 == code).map_or((code, code), |k| (k.1, k.2))
}

/// An institution kind's words (Polish, English); an unknown code is given back as it is.
pub fn institution_kind_words(code: &str) -> (&str, &str) {
    INSTITUTION_KINDS.iter().find(|k| k.0 == code).map_or((code, code), |k| (k.1, k.2))
}

/// The code of `raw` in `list`: the code itself or its Polish or English words (case, Polish
/// letters and the part in brackets do not matter).
fn pick(list: &[(&'static str, &'static str, &'static str)], raw: &str) -> Option<&'static str> {
    let want = model::fold(raw.trim());
    let bare = |s: &str| model::fold(s.split(" (").next().unwrap_or(s).trim());
    list.iter()
        .find(|(code, pl, en)| want == *code || want == model::fold(pl) || want == model::fold(en) || want == bare(pl) || want == bare(en))
        .map(|k| k.0)
}

/// The kind of reorganisation `raw` names, if any.
pub fn parse_kind(raw: &str) -> Option<&'static str> {
    pick(&KINDS, raw)
}

/// The kind of institution `raw` names, if any.
pub fn parse_institution_kind(raw: &str) -> Option<&'static str> {
    pick(&INSTITUTION_KINDS, raw)
}

/// A refused value: the field (as named in [`ReorganisationInput`], or `on_date`, `name`…)
/// and what to correct, in Polish and English.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub field: &'static str,
    pub pl: String,
    pub en: String,
}

fn problem(field: &'static str, pl: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem { field, pl: pl.into(), en: en.into() }
}

/// Problems as one use-case error: `field: why; field: why` (English).
pub fn invalid(problems: &[Problem]) -> AppError {
    AppError::Invalid(problems.iter().map(|p| format!("{}: {}", p.field, p.en)).collect::<Vec<_>>().join("; "))
}

/// A reorganisation as typed (a form, the CLI): every value as text, checked by [`check`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReorganisationInput {
    /// A code of [`KINDS`] or its words.
    pub kind: String,
    pub title: String,
    pub description: String,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    /// `YYYY-MM-DD` or empty.
    pub end_date: String,
    /// zł, Polish or English number writing (`1 200 000,50`), empty when unknown.
    pub project_value: String,
    /// The share of outside funds in per cent (0–100, `85`, `85,5 %`), empty when none.
    pub funding_share: String,
    pub funding_source: String,
    /// Indicator codes (each may also hold several, separated by commas or spaces).
    pub indicators: Vec<String>,
}

impl ReorganisationInput {
    /// The input that gives `f` back (a form to edit it), numbers written plainly with a
    /// decimal point.
    pub fn from_fields(f: &ReorganisationFields) -> ReorganisationInput {
        let plain = |v: f64| {
            let s = format!("{v:.6}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" { "0".to_owned() } else { s.to_owned() }
        };
        ReorganisationInput {
            kind: f.kind.clone(),
            title: f.title.clone(),
            description: f.description.clone().unwrap_or_default(),
            start_date: f.start_date.clone(),
            end_date: f.end_date.clone().unwrap_or_default(),
            project_value: f.project_value.map(plain).unwrap_or_default(),
            funding_share: f.funding_share.map(|s| plain(s * 100.0)).unwrap_or_default(),
            funding_source: f.funding_source.clone().unwrap_or_default(),
            indicators: f.indicators.clone(),
        }
    }
}

/// A date `YYYY-MM-DD` within [`YEARS`].
fn date(raw: &str, field: &'static str) -> Result<String, Problem> {
    let raw = raw.trim();
    match model::parse_date(raw) {
        Some(d) if YEARS.contains(&d.year()) && raw.len() == 10 => Ok(model::format_date(d)),
        Some(_) if raw.len() == 10 => Err(problem(
            field,
            format!("„{}”: rok spoza lat {}–{}", clip(raw), YEARS.start(), YEARS.end()),
            format!("`{}`: a year outside {}–{}", clip(raw), YEARS.start(), YEARS.end()),
        )),
        _ => Err(problem(
            field,
            format!("„{}”: podaj datę jako RRRR-MM-DD, np. 2019-09-01", clip(raw)),
            format!("`{}`: give the date as YYYY-MM-DD, e.g. 2019-09-01", clip(raw)),
        )),
    }
}

/// A number as typed, with an optional unit word after it (`zł`, `%`).
fn number(raw: &str, strip: &[&str]) -> Option<f64> {
    let mut s = raw.trim();
    for w in strip {
        s = s.strip_suffix(w).unwrap_or(s).trim_end();
    }
    crate::form_check::parse_number(s).filter(|v| v.is_finite())
}

fn clip(s: &str) -> String {
    let mut t: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        t.push('…');
    }
    t
}

/// A text of at most `max` characters, trimmed; `required` refuses an empty one.
fn text(raw: &str, field: &'static str, max: usize, required: bool) -> Result<Option<String>, Problem> {
    let t = raw.trim();
    let n = t.chars().count();
    if n > max {
        return Err(problem(field, format!("{n} znaków, najwyżej {max}"), format!("{n} characters, at most {max}")));
    }
    if t.is_empty() {
        return if required { Err(problem(field, "pole jest wymagane", "this field is required")) } else { Ok(None) };
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(problem(field, "niedozwolone znaki sterujące", "control characters are not taken"));
    }
    Ok(Some(t.to_owned()))
}

/// Checks a typed reorganisation of unit `unit_id` against the catalogue of `c`: the kind is
/// known, the title given, dates `YYYY-MM-DD` with the end not before the start, the project
/// value not negative, the funding share 0–100 % (stored as 0..1), each indicator in the
/// catalogue, applying to the unit and not neutral (a change of a neutral indicator is
/// neither better nor worse). Every problem is reported, not only the first.
pub fn check(c: &Computed, unit_id: i64, input: &ReorganisationInput) -> Result<ReorganisationFields, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut keep = |r: Result<Option<String>, Problem>| {
        r.unwrap_or_else(|p| {
            problems.push(p);
            None
        })
    };
    let title = keep(text(&input.title, "title", MAX_TITLE, true));
    let description = keep(text(&input.description, "description", MAX_DESCRIPTION, false));
    let funding_source = keep(text(&input.funding_source, "funding_source", MAX_TITLE, false));
    let u = c.unit_ids.iter().position(|&id| id == unit_id);
    if u.is_none() {
        problems.push(problem("unit", "to nie jest bieżąca JST z danymi", "not a current JST with data"));
    }
    let kind = parse_kind(&input.kind);
    if kind.is_none() {
        let codes: Vec<&str> = KINDS.iter().map(|k| k.0).collect();
        problems.push(problem(
            "kind",
            format!("„{}”: wybierz jeden z rodzajów: {}", clip(input.kind.trim()), codes.join(", ")),
            format!("`{}`: choose one of {}", clip(input.kind.trim()), codes.join(", ")),
        ));
    }
    let start = date(&input.start_date, "start_date").map_err(|p| problems.push(p)).ok();
    let end = if input.end_date.trim().is_empty() { None } else { date(&input.end_date, "end_date").map_err(|p| problems.push(p)).ok() };
    if let (Some(s), Some(e)) = (&start, &end)
        && e < s
    {
        problems.push(problem("end_date", format!("koniec {e} jest przed początkiem {s}"), format!("the end {e} is before the start {s}")));
    }
    let project_value = if input.project_value.trim().is_empty() {
        None
    } else {
        match number(&input.project_value, &["zł", "zl", "PLN"]) {
            Some(v) if (0.0..=1e13).contains(&v) => Some(v),
            Some(_) => {
                problems.push(problem("project_value", "wartość projektu od 0 do 10 bln zł", "the project value is 0 to 10 trillion zł"));
                None
            }
            None => {
                problems.push(problem(
                    "project_value",
                    format!("„{}”: podaj kwotę w zł, np. 1 200 000", clip(input.project_value.trim())),
                    format!("`{}`: give an amount in zł, e.g. 1200000", clip(input.project_value.trim())),
                ));
                None
            }
        }
    };
    let funding_share = if input.funding_share.trim().is_empty() {
        None
    } else {
        match number(&input.funding_share, &["%"]) {
            Some(v) if (0.0..=100.0).contains(&v) => Some(v / 100.0),
            _ => {
                problems.push(problem(
                    "funding_share",
                    format!("„{}”: udział środków zewnętrznych w procentach, od 0 do 100", clip(input.funding_share.trim())),
                    format!("`{}`: the share of outside funds in per cent, 0 to 100", clip(input.funding_share.trim())),
                ));
                None
            }
        }
    };
    let mut indicators: Vec<String> = Vec::new();
    for code in input.indicators.iter().flat_map(|s| s.split([',', ' ', ';', '\n'])).map(str::trim).filter(|s| !s.is_empty()) {
        let Some(i) = c.snapshot.indicator_index(code) else {
            problems.push(problem(
                "indicators",
                format!("„{}”: nie ma takiego wskaźnika", clip(code)),
                format!("`{}`: no such indicator", clip(code)),
            ));
            continue;
        };
        let spec = c.snapshot.indicator(i);
        if spec.polarity == Polarity::Neutral {
            problems.push(problem(
                "indicators",
                format!("{code}: wskaźnik neutralny (ani wyżej, ani niżej nie znaczy lepiej) — jego zmiany nie da się ocenić"),
                format!("{code}: a neutral indicator (neither higher nor lower is better): its change cannot be judged"),
            ));
            continue;
        }
        if let Some(u) = u
            && !spec.applies.get(u).copied().unwrap_or(false)
        {
            problems.push(problem(
                "indicators",
                format!("{code}: nie dotyczy jednostek tego rodzaju"),
                format!("{code}: does not apply to units of this kind"),
            ));
            continue;
        }
        if !indicators.iter().any(|x| x == code) {
            indicators.push(spec.code.clone());
        }
    }
    if indicators.len() > MAX_INDICATORS {
        problems.push(problem(
            "indicators",
            format!("{} wskaźników, najwyżej {MAX_INDICATORS}", indicators.len()),
            format!("{} indicators, at most {MAX_INDICATORS}", indicators.len()),
        ));
    }
    match (problems.is_empty(), kind, title, start) {
        (true, Some(kind), Some(title), Some(start_date)) => Ok(ReorganisationFields {
            unit_id,
            kind: kind.to_owned(),
            title,
            description,
            start_date,
            end_date: end,
            project_value,
            funding_share,
            funding_source,
            indicators,
        }),
        _ => Err(problems),
    }
}

/// A store refusal said as the use-cases say it: a row gone or changed meanwhile is
/// "not found", a link the store refuses is invalid.
fn store_err(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(m) if m.contains("not found") => AppError::NotFound(m),
        StoreError::Conflict(m) => AppError::Invalid(m),
        e => e.into(),
    }
}

/// Saves (adds when `id` is None, else replaces) a checked reorganisation. A reorganisation
/// stays with its unit: an edit that moves it to another is refused.
pub async fn save_fields(store: &Store, id: Option<i64>, f: &ReorganisationFields, actor: &Actor) -> Result<i64, AppError> {
    if let Some(id) = id {
        match store.reorganisation(id).await? {
            None => return Err(AppError::NotFound(format!("no reorganisation {id}"))),
            Some((row, _, _)) if row.fields.unit_id != f.unit_id => {
                return Err(AppError::Invalid("unit: a reorganisation stays with its unit".into()));
            }
            Some(_) => {}
        }
    }
    store.save_reorganisation(id, f, actor).await.map_err(store_err)
}

/// Checks and saves a reorganisation of the unit with TERYT code `unit` (the CLI, the demo).
pub async fn save(store: &Store, c: &Computed, id: Option<i64>, unit: &str, input: &ReorganisationInput, actor: &Actor) -> Result<i64, AppError> {
    let unit_id = unit_id(store, unit).await?;
    let f = check(c, unit_id, input).map_err(|p| invalid(&p))?;
    save_fields(store, id, &f, actor).await
}

/// The id of the unit with TERYT code `code` (lenient: `0201011`, `02 01 01 1`…).
pub async fn unit_id(store: &Store, code: &str) -> Result<i64, AppError> {
    let parsed = TerytCode::parse_lenient(code).map_err(|e| AppError::Invalid(format!("unit: `{}`: {e}", clip(code))))?;
    store.unit_id_for_code(&parsed).await?.ok_or_else(|| AppError::UnknownUnit { code: parsed.as_str().to_owned() })
}

/// A reorganisation on a list, with its unit's code and name.
#[derive(Debug, Clone, PartialEq)]
pub struct ReorganisationListing {
    pub row: ReorganisationRow,
    pub unit_code: String,
    pub unit_name: String,
}

/// Every unit's (code, name), by id.
async fn unit_names(store: &Store) -> Result<HashMap<i64, (String, String)>, AppError> {
    Ok(store.units().await?.into_iter().map(|u| (u.id, (u.code.as_str().to_owned(), u.name))).collect())
}

/// Every reorganisation, newest start first, with its unit's code and name.
pub async fn list(store: &Store) -> Result<Vec<ReorganisationListing>, AppError> {
    let names = unit_names(store).await?;
    let mut out: Vec<ReorganisationListing> = store
        .reorganisations()
        .await?
        .into_iter()
        .map(|row| {
            let (unit_code, unit_name) = names.get(&row.fields.unit_id).cloned().unwrap_or_default();
            ReorganisationListing { row, unit_code, unit_name }
        })
        .collect();
    out.sort_by(|a, b| b.row.fields.start_date.cmp(&a.row.fields.start_date).then(a.row.id.cmp(&b.row.id)));
    Ok(out)
}

/// One reorganisation with everything its page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReorganisationDetail {
    pub row: ReorganisationRow,
    pub unit_code: String,
    pub unit_name: String,
    /// By date.
    pub milestones: Vec<MilestoneRow>,
    /// The institutions involved.
    pub institutions: Vec<InstitutionRow>,
    /// Every institution of the unit (those that may be linked).
    pub unit_institutions: Vec<InstitutionRow>,
}

/// The reorganisation `id`, or None.
pub async fn detail(store: &Store, id: i64) -> Result<Option<ReorganisationDetail>, AppError> {
    let Some((row, mut milestones, institutions)) = store.reorganisation(id).await? else { return Ok(None) };
    let unit_institutions = store.institutions(Some(row.fields.unit_id)).await?;
    let (unit_code, unit_name) = unit_names(store).await?.remove(&row.fields.unit_id).unwrap_or_default();
    milestones.sort_by(|a, b| a.on_date.cmp(&b.on_date).then(a.id.cmp(&b.id)));
    Ok(Some(ReorganisationDetail { row, unit_code, unit_name, milestones, institutions, unit_institutions }))
}

/// A milestone as typed: a date `YYYY-MM-DD` and a title.
pub fn check_milestone(on_date: &str, title: &str) -> Result<(String, String), Vec<Problem>> {
    let d = date(on_date, "on_date");
    let t = text(title, "title", MAX_TITLE, true);
    match (d, t) {
        (Ok(d), Ok(Some(t))) => Ok((d, t)),
        (d, t) => Err([d.err(), t.err()].into_iter().flatten().collect()),
    }
}

/// Adds a milestone to reorganisation `reorganisation_id`.
pub async fn add_milestone(store: &Store, reorganisation_id: i64, on_date: &str, title: &str, done: bool, actor: &Actor) -> Result<i64, AppError> {
    let (d, t) = check_milestone(on_date, title).map_err(|p| invalid(&p))?;
    if store.reorganisation(reorganisation_id).await?.is_none() {
        return Err(AppError::NotFound(format!("no reorganisation {reorganisation_id}")));
    }
    store.add_milestone(reorganisation_id, &d, &t, done, actor).await.map_err(store_err)
}

/// Marks milestone `milestone_id` of reorganisation `reorganisation_id` done (or not); a
/// milestone of another reorganisation is not found.
pub async fn set_milestone_done(store: &Store, reorganisation_id: i64, milestone_id: i64, done: bool, actor: &Actor) -> Result<(), AppError> {
    let Some((_, milestones, _)) = store.reorganisation(reorganisation_id).await? else {
        return Err(AppError::NotFound(format!("no reorganisation {reorganisation_id}")));
    };
    if !milestones.iter().any(|m| m.id == milestone_id) {
        return Err(AppError::NotFound(format!("no milestone {milestone_id} of reorganisation {reorganisation_id}")));
    }
    store.set_milestone_done(milestone_id, done, actor).await.map_err(store_err)
}

/// Links institution `institution_id` to reorganisation `reorganisation_id`: only an
/// institution of the same unit.
pub async fn link_institution(store: &Store, reorganisation_id: i64, institution_id: i64, actor: &Actor) -> Result<(), AppError> {
    let Some((row, _, linked)) = store.reorganisation(reorganisation_id).await? else {
        return Err(AppError::NotFound(format!("no reorganisation {reorganisation_id}")));
    };
    if linked.iter().any(|i| i.id == institution_id) {
        return Ok(());
    }
    let theirs = store.institutions(Some(row.fields.unit_id)).await?;
    if !theirs.iter().any(|i| i.id == institution_id) {
        return Err(AppError::Invalid(format!("institution: {institution_id} is not an institution of the reorganisation's unit")));
    }
    store.link_institution(reorganisation_id, institution_id, actor).await.map_err(store_err)
}

/// An institution as typed: its kind (code or words of [`INSTITUTION_KINDS`]) and name.
pub fn check_institution(kind: &str, name: &str) -> Result<(&'static str, String), Vec<Problem>> {
    let k = parse_institution_kind(kind).ok_or_else(|| {
        let codes: Vec<&str> = INSTITUTION_KINDS.iter().map(|k| k.0).collect();
        problem(
            "kind",
            format!("„{}”: wybierz jeden z rodzajów: {}", clip(kind.trim()), codes.join(", ")),
            format!("`{}`: choose one of {}", clip(kind.trim()), codes.join(", ")),
        )
    });
    let n = text(name, "name", MAX_TITLE, true);
    match (k, n) {
        (Ok(k), Ok(Some(n))) => Ok((k, n)),
        (k, n) => Err([k.err(), n.err()].into_iter().flatten().collect()),
    }
}

/// Adds an institution to unit `unit_id`.
pub async fn add_institution(store: &Store, unit_id: i64, kind: &str, name: &str, actor: &Actor) -> Result<i64, AppError> {
    let (k, n) = check_institution(kind, name).map_err(|p| invalid(&p))?;
    store.add_institution(unit_id, k, &n, actor).await.map_err(store_err)
}

/// The institutions of unit `unit_id`, by kind and name.
pub async fn institutions(store: &Store, unit_id: i64) -> Result<Vec<InstitutionRow>, AppError> {
    let mut list = store.institutions(Some(unit_id)).await?;
    list.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| model::fold(&a.name).cmp(&model::fold(&b.name))).then(a.id.cmp(&b.id)));
    Ok(list)
}

/// The year of a stored `YYYY-MM-DD` date.
pub fn year_of(date: &str) -> Option<i32> {
    model::parse_date(date).map(|d| d.year())
}

/// The re-evaluation request of one indicator of a reorganisation of the unit `unit_code`:
/// the start year is the start date's, the peers the unit's typology group without the units
/// that had a reorganisation of the same kind, the default windows.
pub fn request(row: &ReorganisationRow, unit_code: &str, indicator: &str) -> EvalRequest {
    EvalRequest {
        unit: unit_code.to_owned(),
        indicator: indicator.to_owned(),
        start_year: year_of(&row.fields.start_date).unwrap_or(0),
        group: "typology".to_owned(),
        before: DEFAULT_BEFORE,
        after: DEFAULT_AFTER,
        exclude_reorganised: Some(row.fields.kind.clone()),
    }
}

/// Each indicator of reorganisation `id` re-evaluated (see [`request`]), in its order; an
/// indicator that cannot be evaluated (too few peers, no data before…) carries its error.
pub async fn evaluate_reorganisation(store: &Store, c: &Computed, id: i64) -> Result<Vec<(String, Result<Evaluation, AppError>)>, AppError> {
    let Some(d) = detail(store, id).await? else { return Err(AppError::NotFound(format!("no reorganisation {id}"))) };
    let mut out = Vec::with_capacity(d.row.fields.indicators.len());
    for code in &d.row.fields.indicators {
        let req = request(&d.row, &d.unit_code, code);
        let result = crate::evaluate::evaluate(store, c, &req).await;
        if let Err(AppError::Busy) = result {
            return Err(AppError::Busy);
        }
        out.push((code.clone(), result));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_from_codes_and_words_in_either_language() {
        assert_eq!(parse_kind("cuw"), Some("cuw"));
        assert_eq!(parse_kind("Centrum usług wspólnych"), Some("cuw"));
        assert_eq!(parse_kind("social-assistance reorganisation"), Some("pomoc_spoleczna"));
        assert_eq!(parse_kind("ZMIANA SIECI SZKÓŁ"), Some("siec_szkol"));
        assert_eq!(parse_kind("fuzja"), None);
        assert_eq!(parse_institution_kind("żłobek"), Some("zlobek"));
        assert_eq!(parse_institution_kind("care home"), Some("dps"));
        assert_eq!(parse_institution_kind(""), None);
        assert_eq!(kind_words("pomoc_spoleczna").1, "social-assistance reorganisation");
    }

    #[test]
    fn dates_must_be_iso_days_within_the_years() {
        assert_eq!(date(" 2019-09-01 ", "start_date"), Ok("2019-09-01".to_owned()));
        assert_eq!(date("2019-9-1", "start_date").unwrap_err().field, "start_date");
        assert!(date("1.09.2019", "start_date").is_err());
        assert!(date("1850-01-01", "start_date").unwrap_err().en.contains("outside"));
        assert!(date("2019-02-30", "start_date").is_err());
    }

    #[test]
    fn numbers_are_read_as_typed_with_their_unit_words() {
        assert_eq!(number("1 200 000,50 zł", &["zł"]), Some(1_200_000.5));
        assert_eq!(number("85,5 %", &["%"]), Some(85.5));
        assert_eq!(number("abc", &["%"]), None);
    }

    #[test]
    fn milestones_and_institutions_name_every_bad_field() {
        let e = check_milestone("jutro", "").unwrap_err();
        assert_eq!(e.iter().map(|p| p.field).collect::<Vec<_>>(), ["on_date", "title"]);
        assert_eq!(check_milestone("2020-01-31", " Otwarcie CUW ").unwrap(), ("2020-01-31".to_owned(), "Otwarcie CUW".to_owned()));
        let e = check_institution("bank", &"x".repeat(MAX_TITLE + 1)).unwrap_err();
        assert_eq!(e.iter().map(|p| p.field).collect::<Vec<_>>(), ["kind", "name"]);
        assert_eq!(check_institution("OPS", "GOPS w Gromadce").unwrap().0, "ops");
    }

    #[test]
    fn a_stored_reorganisation_reads_back_as_the_input_that_gives_it() {
        let f = ReorganisationFields {
            unit_id: 1,
            kind: "cuw".into(),
            title: "CUW".into(),
            description: None,
            start_date: "2019-01-01".into(),
            end_date: None,
            project_value: Some(1_250_000.5),
            funding_share: Some(0.85),
            funding_source: None,
            indicators: vec!["A".into()],
        };
        let i = ReorganisationInput::from_fields(&f);
        assert_eq!(i.project_value, "1250000.5");
        assert_eq!(i.funding_share, "85");
        assert_eq!(number(&i.funding_share, &["%"]).map(|v| v / 100.0), f.funding_share);
    }
}
