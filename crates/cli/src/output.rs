//! Output of the CLI: tables for people, CSV and JSON for scripts, progress on stderr.
//! Everything for stdout goes through [`stdout`] (and [`outln!`]), which notes a closed pipe:
//! `miernik units | head` then ends quietly, whichever writer (csv, serde_json, export) met it.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use clap::ValueEnum;
use serde_json::json;

use crate::SummaryFormat;

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Standard output, locked; a write that finds the reader gone (`EPIPE`: Rust ignores
/// SIGPIPE, so the write fails instead of killing us) is noted for [`stdout_closed`].
pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

/// Whether a write to standard output found the pipe closed: the reader (`head`) has all
/// it wanted, so the command stops without a word.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

pub struct Stdout(std::io::StdoutLock<'static>);

impl Stdout {
    fn note<T>(r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        }
        r
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Self::note(self.0.write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Self::note(self.0.flush())
    }
}

/// `println!` that returns the write's error instead of panicking on a closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!($crate::output::stdout(), $($arg)*)
    }};
}
pub(crate) use outln;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// A progress bar on stderr when it is a terminal.
pub fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} import {bytes}/{total_bytes} [{bar:30}] {percent}% ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    Some(bar)
}

fn date(d: Option<model::Date>) -> String {
    d.map(model::format_date).unwrap_or_default()
}

fn num(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Writes rows as an aligned table, CSV or JSON objects with the given keys.
fn emit(format: Format, header: &[&str], rows: Vec<Vec<String>>, json_rows: Vec<serde_json::Value>) -> Result<()> {
    let mut out = stdout();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &json_rows)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(header)?;
            for r in rows {
                // A cell a spreadsheet would run as a formula gets a leading `'` (numbers stay).
                w.write_record(r.iter().map(|c| export::csv_safe(c)).collect::<Vec<_>>().iter().map(|c| c.as_bytes()))?;
            }
            w.flush()?;
        }
        Format::Table => {
            let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
            for r in &rows {
                for (i, c) in r.iter().enumerate() {
                    widths[i] = widths[i].max(c.chars().count());
                }
            }
            let line = |cells: Vec<&str>| {
                cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect::<Vec<_>>().join("  ").trim_end().to_owned()
            };
            writeln!(out, "{}", line(header.to_vec()))?;
            for r in &rows {
                writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
            }
        }
    }
    Ok(())
}

pub fn print_units(units: &[app::UnitListing], format: Format) -> Result<()> {
    let header = ["code", "name", "kind", "parent", "valid_from", "valid_to"];
    let rows = units
        .iter()
        .map(|u| {
            vec![
                u.code.to_string(),
                u.name.clone(),
                u.kind.as_str().to_owned(),
                u.parent.as_ref().map(ToString::to_string).unwrap_or_default(),
                date(u.valid_from),
                date(u.valid_to),
            ]
        })
        .collect();
    let json_rows = units
        .iter()
        .map(|u| {
            json!({
                "code": u.code.as_str(),
                "name": u.name,
                "kind": u.kind.as_str(),
                "parent": u.parent.as_ref().map(|p| p.as_str().to_owned()),
                "valid_from": u.valid_from.map(model::format_date),
                "valid_to": u.valid_to.map(model::format_date),
            })
        })
        .collect();
    emit(format, &header, rows, json_rows)?;
    if format == Format::Table {
        let n = units.len();
        let word = match (n % 10, n % 100) {
            _ if n == 1 => "jednostka",
            (2..=4, r) if !(12..=14).contains(&r) => "jednostki",
            _ => "jednostek",
        };
        eprintln!("{n} {word} / {n} unit{}", if n == 1 { "" } else { "s" });
        if n == 0 {
            eprintln!("hint: brak jednostek? zaimportuj rejestr TERC / no units? import the TERC register: miernik import units TERC_Urzedowy_….csv");
        }
    }
    Ok(())
}

pub fn print_units_report(r: &app::UnitsImportReport, format: SummaryFormat) -> Result<()> {
    let o = &r.outcome;
    if format == SummaryFormat::Json {
        outln!(
            "{}",
            json!({
                "state": model::format_date(r.state_date),
                "read": r.rows_read,
                "created": o.created,
                "closed": o.closed,
                "code_changes": o.code_changes,
                "renamed": o.renamed,
                "already_imported": o.already_imported,
            })
        )?;
        return Ok(());
    }
    for e in &r.events {
        outln!("{e}")?;
    }
    outln!(
        "TERC state {}: {} rows read, {} units created, {} closed, {} code changes, {} renamed{}",
        model::format_date(r.state_date),
        r.rows_read,
        o.created,
        o.closed,
        o.code_changes,
        o.renamed,
        if o.already_imported { " (this state was imported before)" } else { "" }
    )?;
    Ok(())
}

/// A BDL export's series: which the catalogue sent to its variables (with the measure
/// conversion), which it does not map (kept under a code of their own).
fn print_series(r: &app::ObsImportReport) {
    const SHOWN: usize = 20;
    let (mapped, unmapped): (Vec<_>, Vec<_>) = r.series.iter().partition(|o| o.mapped);
    let name = |subject: &str, dims: &[String]| format!("{subject} `{}`", dims.join("; "));
    for o in mapped.iter().take(SHOWN) {
        eprintln!(
            "seria z katalogu / series mapped to the catalogue: {}{} → {} {}, {} {}",
            name(&o.subject, &o.dims),
            o.measure.as_deref().map(|m| format!(" [{m}]")).unwrap_or_default(),
            o.variable,
            o.conversion,
            o.records,
            match (o.records % 10, o.records % 100) {
                _ if o.records == 1 => "rekord / record",
                (2..=4, r) if !(12..=14).contains(&r) => "rekordy / records",
                _ => "rekordów / records",
            }
        );
    }
    if mapped.len() > SHOWN {
        eprintln!("seria z katalogu / series mapped to the catalogue: … i {0} więcej / and {0} more", mapped.len() - SHOWN);
    }
    for o in unmapped.iter().take(SHOWN) {
        eprintln!("serie bez zmiennej w katalogu / series not mapped to the catalogue: {} → {}", name(&o.subject, &o.dims), o.variable);
    }
    if unmapped.len() > SHOWN {
        eprintln!("serie bez zmiennej w katalogu / series not mapped to the catalogue: … i {0} więcej / and {0} more", unmapped.len() - SHOWN);
    }
    if !unmapped.is_empty() && r.catalogue_series == 0 {
        eprintln!(
            "  w bazie nie ma katalogu z seriami BDL: najpierw zaimportuj katalog / the database has no catalogue with BDL series: import the catalogue first (miernik import indicators catalogue/indicators.toml), then this file again"
        );
    }
}

pub fn print_obs_report(r: &app::ObsImportReport, format: SummaryFormat, file: &Path) -> Result<()> {
    let c = &r.counts;
    for rej in &r.rejected {
        eprintln!("rejected: {}: {rej}", file.display());
    }
    if c.rejected as usize > r.rejected.len() {
        eprintln!("rejected: … and {} more", c.rejected as usize - r.rejected.len());
    }
    if !r.created_variables.is_empty() {
        eprintln!("new variables: {}", r.created_variables.join(", "));
    }
    print_series(r);
    if !r.created_units.is_empty() {
        eprintln!("new historical units: {}", r.created_units.len());
        for (code, name) in r.created_units.iter().take(20) {
            eprintln!("  {code} {name}");
        }
    }
    if !r.linked_codes.is_empty() {
        eprintln!("old codes linked to current units (catalogue/territory_changes.csv): {}", r.linked_codes.len());
        for (old, now) in r.linked_codes.iter().take(20) {
            eprintln!("  {old} → {now}");
        }
    }
    if r.unknown_units > 0 {
        eprintln!("unknown unit codes: {} (their rows rejected)", r.unknown_units);
    }
    for c in &r.conflicts {
        eprintln!("{}: {c}", file.display());
    }
    for (variable, newer) in &r.newer_exports {
        eprintln!(
            "uwaga / warning: ten eksport BDL jest starszy niż zaimportowany już {newer} dla zmiennej {variable}: jego wartości zastąpiły nowsze tam, gdzie się różnią (np. sprzed rewizji po spisie 2021); zaimportuj nowszy eksport ponownie, aby je przywrócić / this BDL export is older than {newer}, already imported for {variable}: its values replaced the newer ones where they differ (e.g. from before the revision after the 2021 census); import the newer export again to restore them"
        );
    }
    if format == SummaryFormat::Json {
        outln!("{}", json!({"read": c.read, "inserted": c.inserted, "changed": c.changed, "unchanged": c.unchanged, "rejected": c.rejected}))?;
    } else {
        outln!(
            "{}: {} rows read, {} inserted, {} changed, {} unchanged, {} rejected{}",
            file.display(),
            c.read,
            c.inserted,
            c.changed,
            c.unchanged,
            c.rejected,
            if r.empty_cells > 0 { format!(" ({} empty cells skipped)", r.empty_cells) } else { String::new() }
        )?;
    }
    Ok(())
}

pub fn print_history(rows: &[app::HistoryRow], format: Format) -> Result<()> {
    let header = ["year", "value", "flag", "status", "recorded_at", "import", "source", "file", "superseded_at"];
    let status = |h: &app::HistoryRow| if h.superseded_at.is_none() { "current" } else { "superseded" };
    let table = rows
        .iter()
        .map(|h| {
            vec![
                h.year.to_string(),
                num(h.value),
                h.flag.as_str().to_owned(),
                status(h).to_owned(),
                h.recorded_at.clone(),
                h.import_id.to_string(),
                h.source.clone(),
                h.file.clone().unwrap_or_default(),
                h.superseded_at.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let json_rows = rows
        .iter()
        .map(|h| {
            json!({
                "year": h.year, "value": h.value, "flag": h.flag.as_str(), "status": status(h),
                "recorded_at": h.recorded_at, "import": h.import_id, "source": h.source, "file": h.file,
                "superseded_at": h.superseded_at,
            })
        })
        .collect();
    emit(format, &header, table, json_rows)
}

/// The changes of one page, then, when `next` is given (more may follow), the line
/// `next: CURSOR` on stderr: the `--after` of the next page.
pub fn print_changes(rows: &[app::ChangeRow], next: Option<&str>, format: Format) -> Result<()> {
    let header = ["unit", "variable", "year", "old_value", "old_flag", "new_value", "new_flag", "import", "changed_at"];
    let table = rows
        .iter()
        .map(|c| {
            vec![
                c.unit.clone(),
                c.variable.clone(),
                c.year.to_string(),
                num(c.old.and_then(|o| o.0)),
                c.old.map(|o| o.1.as_str().to_owned()).unwrap_or_default(),
                num(c.new_value),
                c.new_flag.as_str().to_owned(),
                c.import_id.to_string(),
                c.changed_at.clone(),
            ]
        })
        .collect();
    let json_rows = rows
        .iter()
        .map(|c| {
            json!({
                "unit": c.unit, "variable": c.variable, "year": c.year,
                "old_value": c.old.and_then(|o| o.0), "old_flag": c.old.map(|o| o.1.as_str()),
                "new_value": c.new_value, "new_flag": c.new_flag.as_str(),
                "import": c.import_id, "changed_at": c.changed_at,
            })
        })
        .collect();
    emit(format, &header, table, json_rows)?;
    if let Some(cursor) = next {
        eprintln!("next: {cursor}");
    }
    Ok(())
}

pub fn print_imports(rows: &[app::ImportInfo], format: Format) -> Result<()> {
    let header = ["id", "kind", "source", "file", "started_at", "finished_at", "read", "inserted", "changed", "unchanged", "rejected"];
    let table = rows
        .iter()
        .map(|i| {
            let c = &i.counts;
            vec![
                i.id.to_string(),
                i.kind.clone(),
                i.source.clone(),
                i.file.clone().unwrap_or_default(),
                i.started_at.clone(),
                i.finished_at.clone(),
                c.read.to_string(),
                c.inserted.to_string(),
                c.changed.to_string(),
                c.unchanged.to_string(),
                c.rejected.to_string(),
            ]
        })
        .collect();
    let json_rows = rows
        .iter()
        .map(|i| {
            let c = &i.counts;
            json!({
                "id": i.id, "kind": i.kind, "source": i.source, "file": i.file,
                "started_at": i.started_at, "finished_at": i.finished_at,
                "read": c.read, "inserted": c.inserted, "changed": c.changed, "unchanged": c.unchanged, "rejected": c.rejected,
            })
        })
        .collect();
    emit(format, &header, table, json_rows)
}

pub fn print_check(r: &app::AdditivityCheck, format: Format) -> Result<()> {
    let header = ["code", "name", "kind", "value", "sum_of_sub_units", "difference", "sub_units"];
    let table = r
        .mismatches
        .iter()
        .map(|m| {
            vec![
                m.code.to_string(),
                m.name.clone(),
                m.kind.as_str().to_owned(),
                m.value.to_string(),
                m.children_sum.to_string(),
                (m.value - m.children_sum).to_string(),
                m.children.to_string(),
            ]
        })
        .collect();
    let json_rows = r
        .mismatches
        .iter()
        .map(|m| {
            json!({
                "code": m.code.as_str(), "name": m.name, "kind": m.kind.as_str(), "value": m.value,
                "sum_of_sub_units": m.children_sum, "difference": m.value - m.children_sum, "sub_units": m.children,
            })
        })
        .collect();
    emit(format, &header, table, json_rows)?;
    for (code, name, with, all) in r.incomplete.iter().take(20) {
        eprintln!("incomplete: {code} {name}: {with} of {all} sub-units have a value");
    }
    eprintln!("{} units checked, {} do not add up, {} with sub-units missing values", r.checked, r.mismatches.len(), r.incomplete.len());
    Ok(())
}

pub fn print_outliers(rows: &[app::HistoryOutlier], format: Format) -> Result<()> {
    let header = ["code", "name", "value", "previous_year", "robust_z"];
    let table = rows
        .iter()
        .map(|o| vec![o.code.to_string(), o.name.clone(), o.value.to_string(), o.previous.to_string(), format!("{:.2}", o.robust_z)])
        .collect();
    let json_rows = rows
        .iter()
        .map(|o| {
            json!({
                "code": o.code.as_str(), "name": o.name, "value": o.value, "previous_year": o.previous,
                "robust_z": o.robust_z,
            })
        })
        .collect();
    emit(format, &header, table, json_rows)?;
    eprintln!("{} value(s) changed from the year before far more than their unit's values usually do", rows.len());
    Ok(())
}

fn band_code(b: app::Band) -> &'static str {
    match b {
        app::Band::Lowest => "lowest",
        app::Band::BelowMedian => "below_median",
        app::Band::AtMedian => "at_median",
        app::Band::AboveMedian => "above_median",
        app::Band::Highest => "highest",
    }
}

fn band_words(b: app::Band) -> &'static str {
    match b {
        app::Band::Lowest => "ćwiartka najniższych wartości / lowest quarter of values",
        app::Band::BelowMedian => "poniżej mediany / below the median",
        app::Band::AtMedian => "równo z medianą / at the median",
        app::Band::AboveMedian => "powyżej mediany / above the median",
        app::Band::Highest => "ćwiartka najwyższych wartości / highest quarter of values",
    }
}

fn verdict_code(v: app::Verdict) -> &'static str {
    match v {
        app::Verdict::Better => "better",
        app::Verdict::Worse => "worse",
    }
}

fn verdict_words(v: app::Verdict) -> &'static str {
    match v {
        app::Verdict::Better => "najlepsza ćwiartka grupy / the group's best quarter",
        app::Verdict::Worse => "najsłabsza ćwiartka grupy / the group's weakest quarter",
    }
}

/// A unit against a group: one row per measure (table/csv), one object (json).
pub fn print_comparison(c: &app::Comparison, format: Format) -> Result<()> {
    let d = usize::from(c.decimals);
    let f = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.d$}"));
    if format == Format::Json {
        let s = &c.stats;
        let p = &c.position;
        outln!(
            "{}",
            json!({
                "unit": c.unit_code, "unit_name": c.unit_name, "indicator": c.indicator, "indicator_name": c.indicator_name,
                "year": c.year, "group": c.group_label, "value": c.value, "measure_unit": c.measure_unit,
                "group_stats": {"n": s.n, "missing": s.missing, "min": s.min, "q1": s.q1, "median": s.median, "q3": s.q3,
                    "max": s.max, "mean": s.mean, "sd": s.sd, "aggregate": s.aggregate},
                "position": {"rank": p.rank, "of": s.n, "percentile": p.percentile, "quartile": p.quartile, "z": p.z,
                    "band": c.band.map(band_code), "verdict": c.verdict.map(verdict_code)},
                "peers": peers_json(&c.peers),
            })
        )?;
        return Ok(());
    }
    let s = &c.stats;
    let p = &c.position;
    let rows = vec![
        vec!["jednostka / unit".to_owned(), format!("{} {}", c.unit_code, c.unit_name)],
        vec!["wskaźnik / indicator".to_owned(), format!("{} {} [{}]", c.indicator, c.indicator_name, c.measure_unit)],
        vec!["rok / year".to_owned(), c.year.to_string()],
        vec!["grupa / group".to_owned(), c.group_label.clone()],
        vec!["wartość / value".to_owned(), f(c.value)],
        vec!["pozycja / rank".to_owned(), p.rank.map_or_else(|| "—".to_owned(), |r| format!("{r} / {}", s.n))],
        vec!["percentyl / percentile".to_owned(), p.percentile.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}"))],
        vec!["kwartyl / quartile class".to_owned(), p.quartile.map_or_else(|| "—".to_owned(), |q| q.to_string())],
        vec!["położenie wartości / where the value lies".to_owned(), c.band.map_or_else(|| "—".to_owned(), |b| band_words(b).to_owned())],
        vec!["ocena / judgement".to_owned(), c.verdict.map_or_else(|| "— (bez oceny / not judged)".to_owned(), |v| verdict_words(v).to_owned())],
        vec!["z".to_owned(), p.z.map_or_else(|| "—".to_owned(), |z| format!("{z:.2}"))],
        vec!["n (brak / missing)".to_owned(), format!("{} ({})", s.n, s.missing)],
        vec!["min · Q1 · mediana · Q3 · max".to_owned(), format!("{} · {} · {} · {} · {}", f(s.min), f(s.q1), f(s.median), f(s.q3), f(s.max))],
        vec!["średnia / mean (sd)".to_owned(), format!("{} ({})", f(s.mean), f(s.sd))],
        vec!["wartość grupy / aggregate".to_owned(), f(s.aggregate)],
    ];
    let mut rows = rows;
    for (k, m) in c.peers.iter().enumerate() {
        let why = m.distance.map_or_else(String::new, |d| format!("  d = {d:.3}; {}", shares(&m.contributions)));
        rows.push(vec![if k == 0 { "członkowie / members".to_owned() } else { String::new() }, format!("{} {}{why}", m.code, m.name)]);
    }
    emit(format, &["measure", "value"], rows, Vec::new())
}

fn peers_json(peers: &[app::PeerRow]) -> serde_json::Value {
    peers
        .iter()
        .map(|m| {
            json!({"code": m.code, "name": m.name, "distance": m.distance,
                "contributions": m.contributions.iter().map(|(k, v)| json!({"context": k, "share": v})).collect::<Vec<_>>()})
        })
        .collect()
}

/// `ludnosc 62%, DEM_09 20%, …`, largest first.
fn shares(contributions: &[(String, f64)]) -> String {
    let mut c: Vec<&(String, f64)> = contributions.iter().collect();
    c.sort_by(|a, b| b.1.total_cmp(&a.1));
    c.iter().map(|(k, v)| format!("{k} {:.0}%", v * 100.0)).collect::<Vec<_>>().join(", ")
}

/// Statistical nearest neighbours: one row per neighbour with the distance and each context
/// measure's share of it.
pub fn print_nearest(g: &app::PeerGroup, spec: &app::nearest::NearestSpec, format: Format) -> Result<()> {
    // The measures used: the spec's, less those that do not apply to the unit's kind.
    let labels: Vec<String> = match g.rows.first() {
        Some(r) => r.contributions.iter().map(|(k, _)| k.clone()).collect(),
        None => spec.items.iter().map(|i| i.label()).collect(),
    };
    let mut header: Vec<&str> = vec!["rank", "code", "name", "distance"];
    header.extend(labels.iter().map(String::as_str));
    let table = g
        .rows
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let mut r = vec![(k + 1).to_string(), m.code.clone(), m.name.clone(), m.distance.map_or_else(String::new, |d| format!("{d:.3}"))];
            r.extend(m.contributions.iter().map(|(_, v)| format!("{:.0}%", v * 100.0)));
            r
        })
        .collect();
    if format == Format::Json {
        outln!("{}", serde_json::to_string_pretty(&json!({"group": g.label, "context": labels, "neighbours": peers_json(&g.rows)}))?)?;
        return Ok(());
    }
    emit(format, &header, table, Vec::new())?;
    eprintln!("{} — udział zmiennej w kwadracie odległości / each column: the measure's share of the squared distance", g.label);
    Ok(())
}

/// Strengths and weaknesses.
pub fn print_diagnosis(d: &app::UnitDiagnosis, format: Format) -> Result<()> {
    let finding_json = |f: &app::Finding| {
        json!({"indicator": f.indicator, "name_pl": f.name_pl, "name_en": f.name_en, "area": f.area, "value": f.value,
            "measure_unit": f.measure_unit, "score": f.score, "group_median": f.group_median, "rank": f.rank, "of": f.group_n,
            "change_3y": f.change_3y, "trend_3y": app::trend_words(f.trend_3y).1,
            "change_5y": f.change_5y, "trend_5y": app::trend_words(f.trend_5y).1})
    };
    if format == Format::Json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "unit": d.unit_code, "unit_name": d.unit_name, "year": d.year, "group": d.group_label, "judged": d.judged,
                "strengths": d.strengths.iter().map(finding_json).collect::<Vec<_>>(),
                "weaknesses": d.weaknesses.iter().map(finding_json).collect::<Vec<_>>(),
                "peers": peers_json(&d.peers),
            }))?
        )?;
        return Ok(());
    }
    let header = ["kind", "indicator", "name", "value", "group_median", "rank", "score", "trend_3y", "trend_5y"];
    let row = |kind: &str, f: &app::Finding| {
        let d = usize::from(f.decimals);
        let change = |c: Option<f64>, t| c.map_or_else(|| app::trend_words(t).0.to_owned(), |c| format!("{} ({c:+.d$})", app::trend_words(t).0));
        vec![
            kind.to_owned(),
            f.indicator.clone(),
            f.name_pl.clone(),
            format!("{:.d$} {}", f.value, f.measure_unit),
            f.group_median.map_or_else(|| "—".to_owned(), |m| format!("{m:.d$}")),
            f.rank.map_or_else(|| "—".to_owned(), |r| format!("{r}/{}", f.group_n)),
            format!("{:+.2}", f.score),
            change(f.change_3y, f.trend_3y),
            change(f.change_5y, f.trend_5y),
        ]
    };
    let rows =
        d.strengths.iter().map(|f| row("mocna strona / strength", f)).chain(d.weaknesses.iter().map(|f| row("słaba strona / weakness", f))).collect();
    emit(format, &header, rows, Vec::new())?;
    eprintln!(
        "{} {}, {}, {}: {} wskaźników ocenionych / indicators judged (score: z-score turned by polarity, + is good)",
        d.unit_code, d.unit_name, d.year, d.group_label, d.judged
    );
    Ok(())
}

/// Custom groups.
pub fn print_groups(groups: &[app::SavedGroup], format: Format) -> Result<()> {
    let header = ["code", "name_pl", "name_en", "units", "members"];
    let table = groups
        .iter()
        .map(|g| vec![g.code.clone(), g.name_pl.clone(), g.name_en.clone().unwrap_or_default(), g.members.len().to_string(), g.members.join(" ")])
        .collect();
    let json_rows = groups.iter().map(|g| json!({"code": g.code, "name_pl": g.name_pl, "name_en": g.name_en, "members": g.members})).collect();
    emit(format, &header, table, json_rows)
}

/// Indicator values standing out among peers.
pub fn print_peer_outliers(rows: &[app::PeerOutlier], format: Format) -> Result<()> {
    let header = ["indicator", "code", "name", "value", "group", "group_median", "n", "robust_z"];
    let table = rows
        .iter()
        .map(|o| {
            vec![
                o.indicator.clone(),
                o.code.to_string(),
                o.name.clone(),
                format!("{:.4}", o.value),
                o.group.clone(),
                o.group_median.map_or_else(|| "—".to_owned(), |m| format!("{m:.4}")),
                o.group_n.to_string(),
                format!("{:.2}", o.robust_z),
            ]
        })
        .collect();
    let json_rows = rows
        .iter()
        .map(|o| {
            json!({"indicator": o.indicator, "code": o.code.as_str(), "name": o.name, "value": o.value, "group": o.group,
                "group_median": o.group_median, "n": o.group_n, "robust_z": o.robust_z})
        })
        .collect();
    emit(format, &header, table, json_rows)?;
    eprintln!("{} wartości odstaje od grupy typologicznej / value(s) stand out from their typology peers", rows.len());
    Ok(())
}

/// The summary of an area import: the observation summary plus the year used.
pub fn print_area_report(r: &app::AreaImportReport, format: SummaryFormat, file: &Path) -> Result<()> {
    eprintln!(
        "powierzchnia (km², z kolumny ha / from the ha column): rok / year {} — {}; lata wcześniejsze biorą ją jako szacunek, dopóki terytorium się nie zmieniło / earlier years take it as an estimate while the territory is unchanged{}",
        r.year,
        r.year_from,
        if r.skipped > 0 { format!("; {} wierszy pominięto (puste, uwagi) / rows skipped (blank, notes)", r.skipped) } else { String::new() }
    );
    if format == SummaryFormat::Json {
        let c = &r.obs.counts;
        outln!(
            "{}",
            json!({"read": c.read, "inserted": c.inserted, "changed": c.changed, "unchanged": c.unchanged, "rejected": c.rejected, "year": r.year})
        )?;
        Ok(())
    } else {
        print_obs_report(&r.obs, format, file)
    }
}

/// The summary of a CKE results import: schools read and skipped (and why), gminy written,
/// takers per subject, then the counts.
pub fn print_cke_report(r: &app::CkeImportReport, format: SummaryFormat, file: &Path) -> Result<()> {
    let s = &r.summary;
    eprintln!(
        "egzamin ósmoklasisty / eighth-grade exam {} ({}): {} szkół / schools read, {} pominiętych / skipped (bez zdających lub bez opublikowanego wyniku w każdym przedmiocie / no takers or no published mean in any subject); {} gmin / gminy written ({} miast na prawach powiatu także jako powiat / cities with powiat rights also as their powiat)",
        s.year, s.year_from, s.schools, s.schools_skipped, s.gminy, s.city_powiats
    );
    eprintln!(
        "  szkoły w częściach gmin miejsko-wiejskich / schools in parts of urban-rural gminy: {} miasto (RODZ 4), {} obszar wiejski (RODZ 5); w dzielnicach / in city districts: {}",
        s.town_part_schools, s.rural_part_schools, s.district_schools
    );
    for sub in &s.subjects {
        eprintln!(
            "  {}: {} zdających / takers, {} z nich w szkołach z wynikiem / of them in schools with a mean ({} szkół / schools); pominięto / skipped: {} szkół bez opublikowanego wyniku / schools without a published mean ({} zdających / takers), {} bez zdających / without takers",
            sub.subject,
            sub.takers,
            sub.takers_with_mean,
            sub.schools_with_mean,
            sub.schools_without_mean,
            sub.takers - sub.takers_with_mean,
            sub.schools_without_takers
        );
    }
    if !s.other_subjects.is_empty() {
        eprintln!("  nie czytano / not read: {}", s.other_subjects.join(", "));
    }
    if !s.by_base.is_empty() {
        let pairs: Vec<String> = s.by_base.iter().map(|(a, b)| format!("{a} → {b}")).collect();
        eprintln!(
            "  kody gmin nieznane w rejestrze, dopasowane po pierwszych sześciu cyfrach / gmina codes the register does not know, matched by their first six digits: {}",
            pairs.join(", ")
        );
    }
    if format == SummaryFormat::Json {
        let c = &r.obs.counts;
        let subjects: serde_json::Map<String, serde_json::Value> = s
            .subjects
            .iter()
            .map(|sub| {
                (
                    sub.subject.clone(),
                    json!({"takers": sub.takers, "takers_with_mean": sub.takers_with_mean, "schools_with_mean": sub.schools_with_mean,
                        "schools_without_mean": sub.schools_without_mean, "schools_without_takers": sub.schools_without_takers}),
                )
            })
            .collect();
        outln!(
            "{}",
            json!({"read": c.read, "inserted": c.inserted, "changed": c.changed, "unchanged": c.unchanged, "rejected": c.rejected,
                "year": s.year.get(), "schools": s.schools, "schools_skipped": s.schools_skipped, "gminy": s.gminy,
                "town_part_schools": s.town_part_schools, "rural_part_schools": s.rural_part_schools, "subjects": subjects,
                "by_base": s.by_base, "city_powiats": s.city_powiats})
        )?;
        Ok(())
    } else {
        print_obs_report(&r.obs, format, file)
    }
}

/// The summary of one budget package: what it held, how it was stored, the counts.
pub fn print_budget_report(r: &app::BudgetImportReport, format: SummaryFormat) -> Result<()> {
    let s = &r.summary;
    eprintln!(
        "{}: {} — {} sprawozdań / reports, {} pozycji / positions; JST {}",
        r.file.display(),
        s.reports.join(", "),
        s.report_count,
        s.positions,
        s.jst.join(", ")
    );
    if !s.summed_units.is_empty() {
        eprintln!(
            "  zsumowano {} jednostek budżetowych w zmienne …_jb_… (nie budżet JST) / summed {} budget units into …_jb_… variables (not the JST's budget): {}",
            s.summed_units.len(),
            s.summed_units.len(),
            s.summed_units.join("; ")
        );
    }
    // A package makes hundreds of variables: name a few, count the rest.
    let mut obs = r.obs.clone();
    let created = std::mem::take(&mut obs.created_variables);
    if !created.is_empty() {
        let shown: Vec<&str> = created.iter().take(8).map(String::as_str).collect();
        let more = created.len() - shown.len();
        eprintln!("new variables: {} ({}{})", created.len(), shown.join(", "), if more > 0 { format!(", … and {more} more") } else { String::new() });
    }
    if format == SummaryFormat::Json {
        let c = &r.obs.counts;
        outln!(
            "{}",
            json!({"file": r.file.display().to_string(), "read": c.read, "inserted": c.inserted, "changed": c.changed,
                "unchanged": c.unchanged, "rejected": c.rejected, "reports": s.report_count, "positions": s.positions,
                "jst": s.jst, "summed_units": s.summed_units.len()})
        )?;
        Ok(())
    } else {
        print_obs_report(&obs, format, &r.file)
    }
}

/// The summary of a boundary import: counts, then the notes (unmatched features, changed
/// codes, units without a boundary), each listed.
pub fn print_boundary_report(r: &app::BoundaryImportReport, format: SummaryFormat) -> Result<()> {
    let note = |n: &app::FeatureNote| json!({"feature": n.number, "code": n.code, "name": n.name, "current_code": n.current_code});
    match format {
        SummaryFormat::Json => outln!(
            "{}",
            json!({"file": r.file, "crs": r.crs, "level": r.level, "source": r.source, "features": r.features,
                "matched": r.matched, "inserted": r.counts.inserted, "changed": r.counts.changed,
                "unchanged": r.counts.unchanged, "removed": r.counts.removed, "neighbour_pairs": r.neighbour_pairs,
                "vertices_read": r.vertices_read, "vertices_stored": r.vertices_stored,
                "unmatched": r.unmatched.iter().map(note).collect::<Vec<_>>(),
                "changed_codes": r.changed_codes.iter().map(note).collect::<Vec<_>>(),
                "without_boundary": r.without_boundary.iter().map(|(c, n)| json!({"code": c, "name": n})).collect::<Vec<_>>()})
        )?,
        SummaryFormat::Text => {
            outln!(
                "{}: {} ({}), poziom / level {}: {} obiektów / features, {} dopasowanych / matched; granice / boundaries: {} new, {} changed, {} unchanged, {} removed; {} par sąsiadów / neighbour pairs; {} → {} wierzchołków / vertices",
                r.file,
                r.crs,
                r.source,
                r.level,
                r.features,
                r.matched,
                r.counts.inserted,
                r.counts.changed,
                r.counts.unchanged,
                r.counts.removed,
                r.neighbour_pairs,
                r.vertices_read,
                r.vertices_stored
            )?;
            if !r.unmatched.is_empty() {
                outln!("niedopasowane / unmatched features ({}):", r.unmatched.len())?;
                for n in &r.unmatched {
                    outln!("  feature {}: {} {}", n.number, n.code, n.name)?;
                }
            }
            if !r.changed_codes.is_empty() {
                outln!("kody zmienione od daty pliku / codes changed since the file's date ({}):", r.changed_codes.len())?;
                for n in &r.changed_codes {
                    outln!("  feature {}: {} → {} {}", n.number, n.code, n.current_code.as_deref().unwrap_or(""), n.name)?;
                }
            }
            if !r.without_boundary.is_empty() {
                outln!("jednostki bez granicy / units without a boundary ({}):", r.without_boundary.len())?;
                for (c, n) in &r.without_boundary {
                    outln!("  {c} {n}")?;
                }
            }
        }
    }
    Ok(())
}

pub fn print_neighbours(pairs: &[app::NeighbourPair], format: Format) -> Result<()> {
    let header = ["level", "code", "name", "neighbour_code", "neighbour_name"];
    let rows =
        pairs.iter().map(|p| vec![p.level.to_owned(), p.code.clone(), p.name.clone(), p.neighbour_code.clone(), p.neighbour_name.clone()]).collect();
    let json_rows = pairs
        .iter()
        .map(|p| json!({"level": p.level, "code": p.code, "name": p.name, "neighbour_code": p.neighbour_code, "neighbour_name": p.neighbour_name}))
        .collect();
    emit(format, &header, rows, json_rows)
}

/// `miernik coverage --format`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CoverageFormat {
    Text,
    Csv,
    Json,
}

/// An input's gap in words: `brak danych / no data` or `brak za / none for 2025`.
fn gap_words(g: &app::Gap) -> String {
    match g {
        app::Gap::None => String::new(),
        app::Gap::NoData => "brak danych / no data".to_owned(),
        app::Gap::Years(ys) => format!("brak za / none for {}", app::coverage::year_runs(ys)),
    }
}

/// Units with a value per year, runs of equal counts: `2015–2024: 2477/2477; 2025: 0/2477`.
fn year_counts(i: &app::IndicatorCoverage) -> String {
    let runs = app::coverage::count_runs(&i.values_by_year);
    if runs.is_empty() {
        return format!("0/{} (nic nie policzono / nothing computed)", i.units);
    }
    runs.iter()
        .map(|&(a, b, n)| if a == b { format!("{a}: {n}/{}", i.units) } else { format!("{a}–{b}: {n}/{}", i.units) })
        .collect::<Vec<_>>()
        .join("; ")
}

fn role_words(role: &str) -> &'static str {
    match role {
        "numerator" => "licznik / numerator",
        "denominator" => "mianownik / denominator",
        _ => "licznik i mianownik / numerator and denominator",
    }
}

/// The coverage of the indicators (one, or those with gaps when asked), then how many have values.
pub fn print_coverage(cov: &app::Coverage, indicator: Option<&str>, missing: bool, format: CoverageFormat) -> Result<()> {
    if let Some(code) = indicator
        && !cov.indicators.iter().any(|i| i.code == code)
    {
        anyhow::bail!("--indicator {code}: no such indicator in force (see catalogue/indicators.toml)");
    }
    let shown: Vec<&app::IndicatorCoverage> = cov
        .indicators
        .iter()
        .filter(|i| indicator.is_none_or(|c| i.code == c))
        .filter(|i| !missing || i.values == 0 || i.missing().next().is_some())
        .collect();
    let summary = format!(
        "{} z {} wskaźników ma wartości / {} of {} indicators have values",
        cov.with_values(),
        cov.indicators.len(),
        cov.with_values(),
        cov.indicators.len()
    );
    match format {
        CoverageFormat::Json => {
            let mut out = stdout();
            serde_json::to_writer_pretty(
                &mut out,
                &json!({"indicators_total": cov.indicators.len(), "indicators_with_values": cov.with_values(), "years": cov.years, "indicators": shown}),
            )?;
            writeln!(out)?;
        }
        CoverageFormat::Csv => {
            let mut w = csv::Writer::from_writer(stdout());
            w.write_record([
                "indicator",
                "name",
                "area",
                "applies_to",
                "units",
                "values_by_year",
                "latest_year",
                "units_latest",
                "variable",
                "role",
                "observations",
                "years",
                "variable_latest_year",
                "variable_units_latest",
                "missing",
                "source",
                "command",
            ])?;
            for i in &shown {
                for v in &i.inputs {
                    let row = [
                        i.code.clone(),
                        i.name_pl.clone(),
                        i.area.clone(),
                        i.applies_to.join(" "),
                        i.units.to_string(),
                        year_counts(i),
                        i.latest_year.map(|y| y.to_string()).unwrap_or_default(),
                        i.units_latest.to_string(),
                        v.variable.clone(),
                        v.role.to_owned(),
                        v.observations.to_string(),
                        app::coverage::year_runs(&v.years),
                        v.latest_year.map(|y| y.to_string()).unwrap_or_default(),
                        v.units_latest.to_string(),
                        match &v.gap {
                            app::Gap::None => String::new(),
                            app::Gap::NoData => "no_data".to_owned(),
                            app::Gap::Years(ys) => app::coverage::year_runs(ys),
                        },
                        v.imports.iter().map(|w| w.source_pl.as_str()).collect::<Vec<_>>().join(" | "),
                        v.imports.iter().map(|w| w.command.as_str()).collect::<Vec<_>>().join(" | "),
                    ];
                    w.write_record(row.iter().map(|c| export::csv_safe(c)).collect::<Vec<_>>().iter().map(|c| c.as_bytes()))?;
                }
            }
            w.flush()?;
        }
        CoverageFormat::Text => {
            let mut out = stdout();
            for i in &shown {
                writeln!(out, "{}  {} / {}", i.code, i.name_pl, i.name_en)?;
                writeln!(out, "  dotyczy / applies to: {} ({} JST / units)", i.applies_to.join(", "), i.units)?;
                writeln!(out, "  JST z wartościami / units with values: {}", year_counts(i))?;
                for v in &i.inputs {
                    let data = if v.observations == 0 {
                        "0 obs.".to_owned()
                    } else {
                        let last = v.latest_year.map(|y| y.to_string()).unwrap_or_default();
                        format!("{} obs., {}; {} JST w {last} / units in {last}", v.observations, app::coverage::year_runs(&v.years), v.units_latest)
                    };
                    let flagged =
                        if v.flagged > 0 { format!(", {} oflagowanych bez wartości / flagged without a value", v.flagged) } else { String::new() };
                    writeln!(out, "  wejście / input {} ({}): {data}{flagged}", v.variable, role_words(v.role))?;
                }
                let gaps: Vec<&app::InputCoverage> = i.missing().collect();
                if !gaps.is_empty() {
                    writeln!(out, "  brakuje / missing:")?;
                    for v in gaps {
                        writeln!(
                            out,
                            "    {} — {}{}",
                            v.variable,
                            gap_words(&v.gap),
                            if v.declared { "" } else { " (nie w katalogu / not in the catalogue)" }
                        )?;
                        for w in &v.imports {
                            writeln!(out, "      {} / {} → {}", w.source_pl, w.source_en, w.command)?;
                        }
                    }
                } else if i.values == 0 && !i.inputs.is_empty() {
                    writeln!(
                        out,
                        "  wejścia są, ale nie dają wartości (inne JST lub lata, zerowy mianownik) / the inputs are there but give no value (other units or years, a zero denominator)"
                    )?;
                }
                writeln!(out)?;
            }
            writeln!(out, "{summary}")?;
        }
    }
    Ok(())
}

/// After `compute`: a warning on stderr for every indicator without any value, naming its
/// missing inputs and how to import them; a plain word when nothing has a value at all.
pub fn print_compute_warnings(coverage: Option<Result<app::Coverage, app::AppError>>, values: usize) {
    match coverage {
        Some(Ok(cov)) => {
            let mut warned = 0;
            for i in cov.indicators.iter().filter(|i| i.values == 0) {
                warned += 1;
                let gaps: Vec<String> = i
                    .missing()
                    .map(|v| {
                        let ways = v.imports.iter().map(|w| format!("{}; {}", w.source_pl, w.command)).collect::<Vec<_>>().join(" | ");
                        match &v.gap {
                            app::Gap::Years(ys) => format!("{} za / for {} ({ways})", v.variable, app::coverage::year_runs(ys)),
                            _ => format!("{} ({ways})", v.variable),
                        }
                    })
                    .collect();
                if gaps.is_empty() {
                    eprintln!(
                        "uwaga / warning: {} brak wartości / no values — wejścia są, ale nie dają wartości (inne JST lub lata, zerowy mianownik) / the inputs are there but give no value (other units or years, a zero denominator)",
                        i.code
                    );
                } else {
                    eprintln!("uwaga / warning: {} brak wartości / no values — brak danych / missing: {}", i.code, gaps.join(", "));
                }
            }
            if warned > 0 {
                eprintln!(
                    "uwaga / warning: {warned} z {} wskaźników bez wartości / {warned} of {} indicators without values; szczegóły / details: miernik coverage --missing",
                    cov.indicators.len(),
                    cov.indicators.len()
                );
            }
        }
        Some(Err(e)) => eprintln!("uwaga / warning: pokrycia danych nie policzono / data coverage not counted: {e}"),
        None => {}
    }
    if values == 0 {
        eprintln!(
            "uwaga / warning: 0 wartości — żaden wskaźnik nie ma wartości, bo brakuje ich danych wejściowych (miernik coverage) / 0 values — no indicator has a value, their inputs are missing (miernik coverage)"
        );
    }
}
