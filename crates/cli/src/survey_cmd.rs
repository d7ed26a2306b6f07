//! `miernik survey …`: service-user surveys from the command line — the standard question
//! sets (loaded when absent, or a new one added from a file), paper results imported into a
//! campaign, and the comparison of a set's campaigns in a year, under letters unless the
//! operator asks to `--reveal` the units.

use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow};
use app::surveys::{self as sv, Comparison, Label, QuestionResult};
use clap::{Subcommand, ValueEnum};
use serde_json::{Value, json};

use crate::output::outln;

// The largest files read are the reader's own limits: the CLI does not read a bigger file
// into memory to learn that it is refused.
use ingest::survey::{MAX_PAPER_BYTES, MAX_SET_BYTES};

/// How `survey results` prints.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ResultsFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
pub enum SurveyCommand {
    /// The question sets: loads the standard ones (catalogue/surveys) that are absent and
    /// lists every set; --add stores a set file as the next version of its code
    Sets {
        /// A question set (TOML, see catalogue/surveys/szkola.toml)
        #[arg(long)]
        add: Option<PathBuf>,
    },
    /// Import paper results into a campaign: CSV (`;` or `,`) or XLSX, a header of question
    /// codes (and optionally `uwagi`), one row per questionnaire; all rows or none
    Import {
        /// The campaign's id
        #[arg(long)]
        campaign: i64,
        /// The file of paper results
        file: PathBuf,
    },
    /// The comparison of a set's campaigns in a year: each unit under its letter (named only
    /// when it consented, as the public sees it) with the mean score, the share satisfied and
    /// their 95 % intervals; figures only from the campaign's minimum of answers
    Results {
        /// The set's code
        #[arg(long)]
        set: String,
        /// The year of the campaigns
        #[arg(long)]
        year: i32,
        #[arg(long, value_enum, default_value = "text")]
        format: ResultsFormat,
        /// Name every unit beside its letter (the operator's view; do not publish it)
        #[arg(long)]
        reveal: bool,
    },
}

/// The actor of this command: the store handle's (`--as`), else `cli:$USER`.
fn actor(store: &app::Store) -> sv::Actor {
    let a = store.actor();
    if !a.name.is_empty() && a.name != "unknown" {
        return a.clone();
    }
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    sv::Actor::named(format!("cli:{user}"))
}

/// A file read whole, refused past `limit` bytes before it is read.
fn read_bounded(file: &std::path::Path, limit: usize, what: &str) -> Result<Vec<u8>> {
    let size = std::fs::metadata(file).with_context(|| format!("{}: cannot read", file.display()))?.len();
    if size > limit as u64 {
        return Err(anyhow!("{}: {size} bytes, past the limit of {limit} for {what}", file.display()));
    }
    std::fs::read(file).with_context(|| format!("{}: cannot read", file.display()))
}

pub async fn run(store: &app::Store, cmd: SurveyCommand) -> Result<()> {
    match cmd {
        SurveyCommand::Sets { add } => {
            let actor = actor(store);
            for code in sv::load_standard_sets(store, &actor).await? {
                eprintln!("dodano standardowy zestaw / standard set added: {code}");
            }
            if let Some(file) = add {
                let bytes = read_bounded(&file, MAX_SET_BYTES, "a question set")?;
                let text = String::from_utf8(bytes).map_err(|_| anyhow!("{}: not UTF-8 text (a question set is a TOML file)", file.display()))?;
                let set = sv::add_set(store, &text, &file.display().to_string(), &actor).await?;
                eprintln!("zapisano / stored: {} wersja / version {} (id {})", set.code, set.version, set.id);
            }
            let sets = sv::sets(store).await?;
            let rows: Vec<[String; 5]> = sets
                .iter()
                .map(|s| [s.code.clone(), s.version.to_string(), s.set.sector.clone(), s.set.questions.len().to_string(), s.set.title_pl.clone()])
                .collect();
            print_table(&["code", "version", "sector", "questions", "title"], &rows)
        }
        SurveyCommand::Import { campaign, file } => {
            let bytes = read_bounded(&file, MAX_PAPER_BYTES, "a file of paper results")?;
            let c = sv::campaign(store, campaign).await?.ok_or_else(|| anyhow!("no survey campaign {campaign}"))?;
            let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
            let n = sv::import_paper(store, campaign, &bytes, &name, &actor(store)).await?;
            outln!(
                "ankieta / survey {campaign} ({}, {} {}): {n} kwestionariuszy papierowych zapisano / paper questionnaires stored",
                c.set_code,
                c.unit_name,
                c.year
            )?;
            Ok(())
        }
        SurveyCommand::Results { set, year, format, reveal } => {
            let viewer = if reveal { sv::Viewer { admin: true, own_units: Vec::new() } } else { sv::Viewer::default() };
            let c = sv::comparison(store, &set, year, &viewer).await?;
            if c.rows.is_empty() && c.set.is_none() {
                return Err(anyhow!("no survey question set `{set}` (miernik survey sets lists them)"));
            }
            match format {
                ResultsFormat::Json => {
                    outln!("{}", serde_json::to_string_pretty(&comparison_json(&c))?)?;
                    Ok(())
                }
                ResultsFormat::Text => print_comparison(&c),
            }
        }
    }
}

/// Columns padded to their widest cell.
fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> Result<()> {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| cells.iter().zip(&width).map(|(c, w)| format!("{c:<w$}")).collect::<Vec<_>>().join("  ").trim_end().to_owned();
    outln!("{}", line(header.to_vec()))?;
    for r in rows {
        outln!("{}", line(r.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}

/// `mean [lo–hi]` with `decimals` places, or empty.
fn with_interval(v: Option<f64>, lo: Option<f64>, hi: Option<f64>, decimals: usize) -> String {
    match (v, lo, hi) {
        (Some(v), Some(lo), Some(hi)) => format!("{v:.decimals$} [{lo:.decimals$}–{hi:.decimals$}]"),
        (Some(v), _, _) => format!("{v:.decimals$}"),
        _ => String::new(),
    }
}

/// The named part of a row's label (empty under a letter).
fn who(label: &Label) -> String {
    match label {
        Label::Named { code, name, service, .. } => format!("{name} ({code}) — {service}"),
        Label::Letter(_) => String::new(),
    }
}

fn print_comparison(c: &Comparison) -> Result<()> {
    let title = c.set.as_ref().map_or_else(|| c.set_code.clone(), |s| format!("{} — {}", s.title_pl, s.title_en));
    outln!("{title}, {}: {} badań / surveys", c.year, c.rows.len())?;
    let rows: Vec<[String; 5]> = c
        .rows
        .iter()
        .map(|r| {
            let (mean, share) = if r.shown {
                let o = &r.overall;
                (with_interval(o.mean, o.mean_lo, o.mean_hi, 2), with_interval(o.satisfied_share, o.sat_lo, o.sat_hi, 1))
            } else {
                ("za mało odpowiedzi / too few answers".to_owned(), String::new())
            };
            [r.letter.clone(), who(&r.label), r.n.to_string(), mean, share]
        })
        .collect();
    print_table(&["litera/letter", "jednostka/unit", "n", "średnia/mean 1–5 [95 %]", "zadowoleni/satisfied % [95 %]"], &rows)
}

fn figures(q: &QuestionResult) -> Value {
    json!({"code": q.code, "n": q.n, "dont_know": q.dont_know, "mean": q.mean, "mean_lo": q.mean_lo, "mean_hi": q.mean_hi,
           "satisfied_pct": q.satisfied_share, "satisfied_lo": q.sat_lo, "satisfied_hi": q.sat_hi})
}

fn comparison_json(c: &Comparison) -> Value {
    let rows: Vec<Value> = c
        .rows
        .iter()
        .map(|r| {
            let mut v = json!({"letter": r.letter, "responses": r.n, "shown": r.shown, "overall": figures(&r.overall),
                               "questions": r.questions.iter().map(figures).collect::<Vec<_>>()});
            if let (Label::Named { code, name, service, .. }, Some(o)) = (&r.label, v.as_object_mut()) {
                o.insert("unit_code".into(), json!(code));
                o.insert("unit_name".into(), json!(name));
                o.insert("service".into(), json!(service));
            }
            v
        })
        .collect();
    json!({"set": c.set_code, "year": c.year, "campaigns": rows})
}
