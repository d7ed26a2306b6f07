//! `miernik import bdl` and `miernik bdl …`: the GUS BDL API. The import fetches every page
//! into the cache first (printing the plan and its time under the quota), then imports the
//! cached pages in one transaction through the ordinary observation pipeline.
//! `miernik bdl check-catalogue` compares the catalogue's BDL ids and series with BDL's own
//! variable metadata (cached like the pages).

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};
use model::VariableCode;

use crate::SummaryFormat;
use crate::output::{Format, outln};

/// How to reach the API (shared by the import and the metadata commands).
#[derive(Args, Clone)]
pub struct Conn {
    /// The API's address, or a mirror's
    #[arg(long, default_value = bdl::DEFAULT_BASE_URL)]
    base_url: String,
    /// The X-ClientId key (higher quotas; free at api.stat.gov.pl)
    #[arg(long, env = "BDL_CLIENT_ID", hide_env_values = true)]
    client_id: Option<String>,
    /// Seconds one request may take
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Retries of a request after 429, 5xx or a timeout (each is told on stderr; a host
    /// name that does not resolve is not retried)
    #[arg(long, default_value_t = 6)]
    retries: u32,
}

/// A client whose every retry is told on stderr as it happens (above the progress bar, if
/// any): the wait, the attempt, the reason.
fn client(opts: bdl::ClientOptions, request_log: Option<&Path>, bar: Option<indicatif::ProgressBar>) -> bdl::Client {
    let mut client = bdl::Client::new(opts, request_log);
    client.on_retry(move |r| {
        let wait = bdl::quota::human(r.wait);
        let line = format!(
            "BDL: ponawiam za {wait} (próba {} z {} nieudana) / retrying in {wait} (attempt {} of {} failed): {}: {}",
            r.attempt, r.attempts, r.attempt, r.attempts, r.reason, r.url
        );
        match &bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    });
    client
}

/// The error of the API, with the flag to look at when the host name does not resolve.
fn api_error(e: bdl::BdlError) -> anyhow::Error {
    match e {
        bdl::BdlError::HostNotFound { .. } => anyhow!("{e} (--base-url)"),
        e => anyhow!(e),
    }
}

impl Conn {
    fn options(&self) -> bdl::ClientOptions {
        let mut o = bdl::ClientOptions::new(&self.base_url, self.client_id.clone());
        o.timeout = std::time::Duration::from_secs(self.timeout.max(1));
        o.retries = self.retries;
        if let Ok(ms) = std::env::var("MIERNIK_BDL_BACKOFF_MS")
            && let Ok(ms) = ms.parse::<u64>()
        {
            o.backoff = std::time::Duration::from_millis(ms); // tests: keep retries quick
        }
        o
    }
}

#[derive(Args)]
pub struct BdlImportArgs {
    /// BDL variable ids, comma-separated (e.g. 72305,149); stored as bdl_<id>
    #[arg(long, value_delimiter = ',')]
    variable: Vec<i64>,
    /// A named set of variables: `catalogue` = every bdl_id of the indicator catalogue, stored under the catalogue's codes
    #[arg(long)]
    preset: Option<String>,
    /// The catalogue file for --preset catalogue
    #[arg(long, default_value = "catalogue/indicators.toml")]
    catalogue: PathBuf,
    /// BDL unit levels, comma-separated: 0 Poland, 2 województwa, 5 powiaty, 6 gminy (with their parts); default 6, or with --preset the levels the catalogue's indicators apply to
    #[arg(long, value_delimiter = ',')]
    level: Vec<u8>,
    /// Years: 2010-2024, 2023 or 2010,2015 (default: every year BDL has)
    #[arg(long)]
    years: Option<String>,
    /// The page cache (default: next to the SQLite database, or ./miernik-bdl-cache)
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Fetch into the cache only, import nothing
    #[arg(long)]
    fetch_only: bool,
    /// Import the valid values and list the rejected ones (default: all or nothing)
    #[arg(long)]
    skip_invalid: bool,
    /// Add unknown unit codes as closed historical units
    #[arg(long)]
    create_missing_units: bool,
    #[command(flatten)]
    conn: Conn,
    /// Summary as text, or one JSON object {read, inserted, changed, unchanged, rejected}
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

#[derive(Subcommand)]
pub enum BdlCommand {
    /// Search BDL variables by name (or list a subject's variables)
    Variables {
        #[arg(long)]
        search: Option<String>,
        /// A subject id such as P2137
        #[arg(long)]
        subject: Option<String>,
        #[command(flatten)]
        conn: Conn,
        #[arg(long)]
        json: bool,
    },
    /// BDL units of a level (with their TERYT codes), under a parent or matching a name
    Units {
        #[arg(long)]
        level: Option<u8>,
        /// A 12-character BDL unit id
        #[arg(long)]
        parent: Option<String>,
        #[arg(long)]
        search: Option<String>,
        #[command(flatten)]
        conn: Conn,
        #[arg(long)]
        json: bool,
    },
    /// BDL subjects (the tree of areas, groups and subgroups)
    Subjects {
        #[arg(long)]
        parent: Option<String>,
        #[command(flatten)]
        conn: Conn,
        #[arg(long)]
        json: bool,
    },
    /// Check the catalogue's BDL references against BDL's variable metadata: for each
    /// bdl_id the subject, dimensions (n1…), measure unit and level; for bdl_series without
    /// a bdl_id, the id to add. Exit status 1 when an id disagrees, is unknown to BDL or could
    /// not be checked
    CheckCatalogue(CheckArgs),
    /// Unit levels, measure units or attributes (the flags of values)
    Dictionary {
        /// levels, measures or attributes
        name: String,
        #[command(flatten)]
        conn: Conn,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct CheckArgs {
    /// The catalogue file
    #[arg(default_value = "catalogue/indicators.toml")]
    file: PathBuf,
    /// The cache of BDL's answers (default: next to the SQLite database, or ./miernik-bdl-cache);
    /// a second run asks BDL for nothing it holds
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Ask BDL again for what the cache holds (the cache still answers if BDL cannot be reached)
    #[arg(long)]
    refresh: bool,
    #[command(flatten)]
    conn: Conn,
    /// A table, CSV, or one JSON object {variables: […], summary}
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

fn parse_years(s: &str) -> Result<Vec<i16>> {
    let bad = || anyhow!("--years: `{s}` is not a year, a range such as 2010-2024 or a list such as 2010,2015");
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let a: i16 = a.trim().parse().map_err(|_| bad())?;
        let b: i16 = b.trim().parse().map_err(|_| bad())?;
        if !(1900..=2100).contains(&a) || !(1900..=2100).contains(&b) || a > b {
            return Err(bad());
        }
        out.extend(a..=b);
    }
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

fn default_cache(db: &str) -> PathBuf {
    match db.strip_prefix("sqlite://").or_else(|| db.strip_prefix("sqlite:")) {
        Some(p) => {
            let p = p.split('?').next().unwrap_or(p);
            PathBuf::from(format!("{p}.bdl-cache"))
        }
        None => PathBuf::from("miernik-bdl-cache"),
    }
}

fn plan(a: &BdlImportArgs) -> Result<bdl::Plan> {
    let years = a.years.as_deref().map(parse_years).transpose()?.unwrap_or_default();
    let mut vars: Vec<(i64, VariableCode, String, Vec<u8>)> = Vec::new();
    match a.preset.as_deref() {
        None => {}
        Some("catalogue" | "katalog") => {
            for v in bdl::preset::from_catalogue(&a.catalogue).map_err(|e| anyhow!("--preset catalogue: {e}"))? {
                vars.push((v.bdl_id, v.code, v.name, v.levels));
            }
        }
        Some(p) => return Err(anyhow!("--preset: unknown preset `{p}`; known: catalogue")),
    }
    for id in &a.variable {
        if *id <= 0 {
            return Err(anyhow!("--variable: {id} is not a BDL variable id (a positive number)"));
        }
        let code = VariableCode::parse(&format!("bdl_{id}")).map_err(|e| anyhow!("--variable: {e}"))?;
        vars.push((*id, code, format!("BDL {id}"), vec![6]));
    }
    if vars.is_empty() {
        return Err(anyhow!("name the variables: --variable ID[,ID…] or --preset catalogue"));
    }
    for l in &a.level {
        if !matches!(l, 0 | 2 | 5 | 6) {
            return Err(anyhow!("--level: {l}; levels with TERYT codes are 0 (Poland), 2 (województwa), 5 (powiaty), 6 (gminy)"));
        }
    }
    let mut series = Vec::new();
    for (id, code, name, levels) in vars {
        let levels = if a.level.is_empty() { levels } else { a.level.clone() };
        for level in levels {
            let s = bdl::Series { variable: id, level, years: years.clone(), code: code.clone(), name: name.clone() };
            if !series.contains(&s) {
                series.push(s);
            }
        }
    }
    Ok(bdl::Plan { series })
}

fn fetch_bar() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} BDL {pos}/{len} stron / pages [{bar:30}] {percent}% ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    Some(bar)
}

pub async fn import(db: &str, a: BdlImportArgs) -> Result<()> {
    let plan = plan(&a)?;
    // The database first: a wrong --db is said before a long fetch, not after it.
    let store = if a.fetch_only { None } else { Some(crate::open_to_import(db).await?) };
    let dir = a.cache.clone().unwrap_or_else(|| default_cache(db));
    let cache = bdl::Cache::open(&dir)?;
    let est = bdl::estimate(&plan, &cache);
    let approx = if est.exact { "" } else { "~" };
    let todo = est.requests - est.cached;
    eprintln!(
        "BDL: {} serii, {approx}{} zapytań, {} w pamięci podręcznej / {} series, {approx}{} requests, {} cached ({})",
        plan.series.len(),
        est.requests,
        est.cached,
        plan.series.len(),
        est.requests,
        est.cached,
        dir.display()
    );
    if todo > 0 {
        let (anon, keyed) = (bdl::quota::human(est.without_key), bdl::quota::human(est.with_key));
        let hint = if a.conn.client_id.is_some() {
            "klucz podany / key given"
        } else {
            "klucz: --client-id lub BDL_CLIENT_ID / key: --client-id or BDL_CLIENT_ID"
        };
        eprintln!(
            "BDL: czas pobierania ~{anon} bez klucza, ~{keyed} z kluczem X-ClientId / fetch time ~{anon} without a key, ~{keyed} with X-ClientId ({hint})"
        );
    }
    let opts = a.conn.options();
    let (fplan, fcache) = (plan.clone(), cache.clone());
    let report = tokio::task::spawn_blocking(move || -> Result<bdl::FetchReport, bdl::BdlError> {
        let bar = fetch_bar();
        let mut client = client(opts, Some(&fcache.request_log()), bar.clone());
        let mut progress = |done: u64, total: u64| {
            if let Some(b) = &bar {
                b.set_length(total);
                b.set_position(done);
            }
        };
        let r = bdl::fetch(&mut client, &fcache, &fplan, &mut progress);
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        r
    })
    .await
    .map_err(|e| anyhow!("the fetch stopped: {e}"))?
    .map_err(api_error)?;
    eprintln!(
        "BDL: pobrano {} stron, {} z pamięci podręcznej / fetched {} pages, {} from the cache",
        report.fetched, report.cached, report.fetched, report.cached
    );
    let Some(store) = store else { return Ok(()) };
    let label = format!(
        "{} data/by-variable {} level {}{}",
        a.conn.base_url.trim_end_matches('/'),
        {
            let mut v: Vec<i64> = plan.series.iter().map(|s| s.variable).collect();
            v.dedup();
            v.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        },
        {
            let mut l: Vec<u8> = plan.series.iter().map(|s| s.level).collect();
            l.sort_unstable();
            l.dedup();
            l.iter().map(u8::to_string).collect::<Vec<_>>().join(",")
        },
        a.years.as_deref().map(|y| format!(" years {y}")).unwrap_or_default()
    );
    let (oplan, ocache) = (plan.clone(), cache.clone());
    let open: app::OpenSource = std::sync::Arc::new(move || Ok(bdl::source::boxed(ocache.clone(), oplan.clone())));
    let opts = app::ObsImportOptions {
        variable: None,
        sheet: None,
        skip_invalid: a.skip_invalid,
        create_missing_units: a.create_missing_units,
        source: Some("bdl".to_owned()),
    };
    let bar = crate::output::progress_bar();
    let on_progress = |done: u64, total: u64| {
        if let Some(b) = &bar {
            if total > 0 {
                b.set_length(total);
            }
            b.set_position(done);
        }
    };
    let result = app::import_records(&store, &label, open, &opts, &on_progress).await;
    store.close().await;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    crate::output::print_obs_report(&result?, a.format, Path::new(&label))
}

fn field(v: &serde_json::Value, k: &str) -> String {
    match &v[k] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        x => x.to_string(),
    }
}

pub async fn metadata(db: &str, cmd: BdlCommand) -> Result<()> {
    let (conn, query, json, kind) = match cmd {
        BdlCommand::CheckCatalogue(a) => return check_catalogue(db, a).await,
        BdlCommand::Variables { search, subject, conn, json } => {
            let q = match (search, subject) {
                (Some(s), _) => format!("variables/search?name={}", enc(&s)),
                (None, Some(p)) => format!("variables?subject-id={}", enc(&p)),
                (None, None) => return Err(anyhow!("give --search TEXT or --subject ID")),
            };
            (conn, q, json, "variables")
        }
        BdlCommand::Units { level, parent, search, conn, json } => {
            let mut q = match search {
                Some(s) => format!("units/search?name={}", enc(&s)),
                None => "units?".to_owned(),
            };
            if let Some(l) = level {
                q.push_str(&format!("{}level={l}", if q.ends_with('?') { "" } else { "&" }));
            }
            if let Some(p) = parent {
                q.push_str(&format!("{}parent-id={}", if q.ends_with('?') { "" } else { "&" }, enc(&p)));
            }
            (conn, q.trim_end_matches('?').to_owned(), json, "units")
        }
        BdlCommand::Subjects { parent, conn, json } => {
            let q = parent.map_or_else(|| "subjects".to_owned(), |p| format!("subjects?parent-id={}", enc(&p)));
            (conn, q, json, "subjects")
        }
        BdlCommand::Dictionary { name, conn, json } => {
            if !matches!(name.as_str(), "levels" | "measures" | "attributes" | "aggregates") {
                return Err(anyhow!("unknown dictionary `{name}`; known: levels, measures, attributes, aggregates"));
            }
            (conn, name.clone(), json, "dictionary")
        }
    };
    let opts = conn.options();
    let rows = tokio::task::spawn_blocking(move || {
        let mut client = client(opts, None, None);
        bdl::fetch::list_all(&mut client, &query)
    })
    .await
    .map_err(|e| anyhow!("the request stopped: {e}"))?
    .map_err(api_error)?;
    if json {
        outln!("{}", serde_json::Value::Array(rows))?;
        return Ok(());
    }
    // Names come from an outside API: a cell a spreadsheet would run as a formula gets a `'`.
    let mut out = SafeTsv(csv::WriterBuilder::new().delimiter(b'\t').from_writer(crate::output::stdout()));
    match kind {
        "variables" => {
            out.write_record(["id", "subject", "name", "level", "measure"])?;
            for v in &rows {
                let name: Vec<String> = (1..=7).map(|i| field(v, &format!("n{i}"))).filter(|s| !s.is_empty()).collect();
                out.write_record([field(v, "id"), field(v, "subjectId"), name.join(" / "), field(v, "level"), field(v, "measureUnitName")])?;
            }
        }
        "units" => {
            out.write_record(["id", "teryt", "name", "level", "kind"])?;
            for v in &rows {
                let id = field(v, "id");
                let teryt = bdl::teryt_of(&id).ok().flatten().map(|c| c.as_str().to_owned()).unwrap_or_default();
                out.write_record([id, teryt, field(v, "name"), field(v, "level"), field(v, "kind")])?;
            }
        }
        "subjects" => {
            out.write_record(["id", "name", "has_variables"])?;
            for v in &rows {
                out.write_record([field(v, "id"), field(v, "name"), field(v, "hasVariables")])?;
            }
        }
        _ => {
            out.write_record(["id", "symbol", "name", "description"])?;
            for v in &rows {
                out.write_record([field(v, "id"), field(v, "symbol"), field(v, "name"), field(v, "description")])?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// BDL's side of a variable, short: `P2137 ogółem; ogółem [osoba] L6`.
fn describe(m: &bdl::meta::VariableMeta) -> String {
    let level = m.level.map(|l| format!(" L{l}")).unwrap_or_default();
    format!("{} {} [{}]{level}", m.subject_id, m.dims.join("; "), m.measure_unit_name)
}

fn meta_json(m: &bdl::meta::VariableMeta) -> serde_json::Value {
    serde_json::json!({
        "id": m.id, "subject_id": m.subject_id, "dims": m.dims, "measure_unit_id": m.measure_unit_id,
        "measure_unit_name": m.measure_unit_name, "level": m.level,
        "first_year": m.years.iter().min(), "last_year": m.years.iter().max(),
    })
}

fn check_json(c: &bdl::check::VariableCheck) -> serde_json::Value {
    let mut meta = c.meta.as_ref().map(meta_json).unwrap_or(serde_json::Value::Null);
    if let (Some(o), Some(n)) = (meta.as_object_mut(), &c.subject_name) {
        o.insert("subject_name".into(), n.clone().into());
    }
    serde_json::json!({
        "code": c.code,
        "bdl_id": c.bdl_id,
        "verdict": c.verdict.key(),
        "problems": c.problems.iter().map(|p| serde_json::json!({"field": p.field, "bdl": p.bdl, "catalogue": p.catalogue, "reason": p.reason})).collect::<Vec<_>>(),
        "bdl": meta,
        "candidates": c.candidates.iter().map(meta_json).collect::<Vec<_>>(),
        "expected": {
            "series": c.series.iter().map(|s| serde_json::json!({"subject": s.subject.get_ref(), "dims": s.dims, "measure": s.measure})).collect::<Vec<_>>(),
            "unit": c.unit,
            "level": c.needed_level,
            "indicators": c.needed_by,
        },
        "notes": c.notes,
        "error": c.error,
    })
}

/// The table's cells of one variable: code, bdl_id, verdict, BDL's side, details.
fn check_row(c: &bdl::check::VariableCheck) -> Vec<String> {
    let mut details: Vec<String> = c.problems.iter().map(ToString::to_string).collect();
    if c.verdict == bdl::check::Verdict::IdFound {
        details.push(format!("bdl_id = {}", c.candidates.iter().map(|m| m.id.to_string()).collect::<Vec<_>>().join(" lub / or ")));
    }
    details.extend(c.error.iter().cloned());
    details.extend(c.notes.iter().cloned());
    let bdl = match (&c.meta, c.candidates.as_slice()) {
        (Some(m), _) => describe(m),
        (None, []) => String::new(),
        (None, found) => found.iter().map(|m| format!("{}: {}", m.id, describe(m))).collect::<Vec<_>>().join(" | "),
    };
    vec![c.code.clone(), c.bdl_id.map_or_else(|| "-".to_owned(), |i| i.to_string()), c.verdict.label().to_owned(), bdl, details.join(" | ")]
}

fn check_summary(r: &bdl::check::CatalogueCheck) -> String {
    use bdl::check::Verdict::*;
    let n = r.variables.len();
    let (ok, mis, nf, idf, un) = (r.count(Ok), r.count(Mismatch), r.count(NotFound), r.count(IdFound), r.count(Unchecked));
    format!(
        "Zmienne BDL: {n} — zgodne: {ok}, niezgodne: {mis}, brak w BDL: {nf}, do uzupełnienia: {idf}, nie sprawdzono: {un}; bez odniesienia do BDL: {sk} \
         / BDL variables: {n} — ok: {ok}, mismatch: {mis}, not found: {nf}, id found: {idf}, not checked: {un}; without a BDL reference: {sk} \
         (zapytania / requests: {f}, z pamięci podręcznej / from the cache: {c})",
        sk = r.skipped,
        f = r.fetched,
        c = r.cached
    )
}

pub async fn check_catalogue(db: &str, a: CheckArgs) -> Result<()> {
    let cat = bdl::check::read_catalogue(&a.file).map_err(|e| anyhow!(e))?;
    let dir = a.cache.clone().unwrap_or_else(|| default_cache(db));
    let cache = bdl::Cache::open(&dir)?;
    // What the run asks for at most: each variable not cached and its subject; each subject
    // of a series without an id, a page at least.
    let ids: Vec<i64> = cat.variables.iter().filter_map(|v| v.bdl_id).collect();
    let held = |name: String| !a.refresh && (cache.contains(&name) || cache.contains(&format!("{name}.missing")));
    let uncached = ids.iter().filter(|id| !held(format!("meta-variable-{id}-pl.json"))).count();
    let mut subjects: Vec<&str> = cat
        .variables
        .iter()
        .filter(|v| v.bdl_id.is_none())
        .flat_map(|v| v.bdl_series.iter().map(|s| s.subject.get_ref().as_str()))
        .filter(|s| !held(format!("meta-variables-{s}-pl-p00000.json")))
        .collect();
    subjects.sort_unstable();
    subjects.dedup();
    let todo = 2 * uncached + subjects.len();
    if todo > 0 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let log = cache.request_log();
        let anon = bdl::Limiter::persisted(bdl::Quota::anonymous(), false, &log, now).estimate(todo, now);
        let keyed = bdl::Limiter::persisted(bdl::Quota::with_key(), true, &log, now).estimate(todo, now);
        let (anon, keyed) = (bdl::quota::human(anon), bdl::quota::human(keyed));
        eprintln!(
            "BDL: {} zmiennych z bdl_id, do ~{todo} zapytań (~{anon} bez klucza, ~{keyed} z kluczem) / {} variables with a bdl_id, up to ~{todo} requests (~{anon} without a key, ~{keyed} with X-ClientId) ({})",
            ids.len(),
            ids.len(),
            dir.display()
        );
    }
    let opts = a.conn.options();
    let refresh = a.refresh;
    let report = tokio::task::spawn_blocking(move || {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} BDL {pos}/{len} zmiennych / variables [{bar:30}] ({eta})") {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        let mut client = client(opts, Some(&cache.request_log()), bar.clone());
        let mut src = bdl::meta::MetaSource::new(&mut client, &cache, refresh);
        let mut progress = |done: usize, total: usize| {
            if let Some(b) = &bar {
                b.set_length(total as u64);
                b.set_position(done as u64);
            }
        };
        let r = bdl::check::check_catalogue(&cat, &mut src, &mut progress);
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        r
    })
    .await
    .map_err(|e| anyhow!("the check stopped: {e}"))?;
    let summary = check_summary(&report);
    match a.format {
        Format::Json => {
            use bdl::check::Verdict::*;
            let v = serde_json::json!({
                "catalogue": a.file.display().to_string(),
                "variables": report.variables.iter().map(check_json).collect::<Vec<_>>(),
                "summary": {
                    "checked": report.variables.len(), "ok": report.count(Ok), "mismatch": report.count(Mismatch),
                    "not_found": report.count(NotFound), "id_found": report.count(IdFound), "unchecked": report.count(Unchecked),
                    "skipped": report.skipped, "requests": report.fetched, "from_cache": report.cached,
                    "stopped": report.stopped.as_ref().map(ToString::to_string),
                },
            });
            outln!("{}", serde_json::to_string_pretty(&v)?)?;
            eprintln!("{summary}");
        }
        Format::Csv => {
            let mut out = SafeTsv(csv::WriterBuilder::new().from_writer(crate::output::stdout()));
            out.write_record(["code", "bdl_id", "verdict", "bdl", "details"])?;
            for c in &report.variables {
                let mut row = check_row(c);
                row[2] = c.verdict.key().to_owned();
                out.write_record(row)?;
            }
            out.flush()?;
            eprintln!("{summary}");
        }
        Format::Table => {
            let header = ["code", "bdl_id", "verdict", "bdl", "details"];
            let rows: Vec<Vec<String>> = report.variables.iter().map(check_row).collect();
            let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
            for r in &rows {
                for (i, c) in r.iter().enumerate() {
                    widths[i] = widths[i].max(c.chars().count());
                }
            }
            let line = |cells: &[String]| {
                cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect::<Vec<_>>().join("  ").trim_end().to_owned()
            };
            outln!("{}", line(&header.map(str::to_owned)))?;
            for r in &rows {
                outln!("{}", line(r))?;
            }
            outln!("{summary}")?;
        }
    }
    let un = report.count(bdl::check::Verdict::Unchecked);
    if let Some(e) = report.stopped {
        return Err(anyhow!(
            "{}; {un} z {} zmiennych nie sprawdzono (brak odpowiedzi w pamięci podręcznej) / {un} of {} variables not checked (no answer in the cache)",
            api_error(e),
            report.variables.len(),
            report.variables.len()
        ));
    }
    if report.fails() {
        use bdl::check::Verdict::*;
        return Err(anyhow!(
            "katalog niezgodny z BDL / the catalogue disagrees with BDL: {} mismatch, {} not found, {} not checked",
            report.count(Mismatch),
            report.count(NotFound),
            report.count(Unchecked)
        ));
    }
    Ok(())
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            o.push(char::from(b));
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// A TSV writer whose every cell goes through [`export::csv_safe`].
struct SafeTsv<W: std::io::Write>(csv::Writer<W>);

impl<W: std::io::Write> SafeTsv<W> {
    fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0.write_record(record.into_iter().map(|c| export::csv_safe(c.as_ref()).into_owned()))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_and_cache_paths() {
        assert_eq!(parse_years("2010-2012").expect("range"), vec![2010, 2011, 2012]);
        assert_eq!(parse_years("2015,2010").expect("list"), vec![2010, 2015]);
        assert!(parse_years("2012-2010").is_err());
        assert!(parse_years("abc").is_err());
        assert_eq!(default_cache("sqlite:/tmp/m.db"), PathBuf::from("/tmp/m.db.bdl-cache"));
        assert_eq!(default_cache("postgres://h/db"), PathBuf::from("miernik-bdl-cache"));
        assert_eq!(enc("ludność ogółem"), "ludno%C5%9B%C4%87%20og%C3%B3%C5%82em");
    }
}
