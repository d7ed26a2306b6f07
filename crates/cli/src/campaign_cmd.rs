//! `miernik campaign …`: data collection campaigns from the command line — add a form
//! definition, create a campaign, list campaigns, show a campaign's dashboard, publish the
//! approved answers whose publication date has come.

use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow};
use clap::Subcommand;
use serde_json::json;

use crate::output::{Format, outln};

#[derive(Subcommand)]
pub enum CampaignCommand {
    /// Add a form definition (TOML, see catalogue/forms/oswiata.toml); a code already stored
    /// gets its next version
    Form {
        /// The form file
        file: PathBuf,
    },
    /// Create a campaign: a form, a year, the units (TERYT codes or a custom group), a
    /// deadline and a publication date
    Add {
        /// The form's code (its newest version is used)
        #[arg(long)]
        form: String,
        /// The campaign's name
        #[arg(long)]
        name: String,
        /// The year the answers are for
        #[arg(long)]
        year: i64,
        /// The last day to submit, YYYY-MM-DD
        #[arg(long)]
        deadline: String,
        /// The day approved answers become public, YYYY-MM-DD (not before the deadline)
        #[arg(long)]
        publish_on: String,
        /// TERYT codes of the units, comma-separated
        #[arg(long, required_unless_present = "group", conflicts_with = "group", value_delimiter = ',')]
        units: Vec<String>,
        /// A custom group (miernik group list): every member takes part
        #[arg(long)]
        group: Option<String>,
    },
    /// List the campaigns
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// A campaign's dashboard: each unit's state (submitted, late, returned, approved)
    Status {
        /// The campaign's id (campaign list)
        id: i64,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Judge lateness as of this day (YYYY-MM-DD; default today)
        #[arg(long)]
        today: Option<String>,
    },
    /// Publish every approved submission whose campaign's publication date has come: its
    /// values become observations (source `ankieta`). Safe to run again, or on two nodes
    Publish {
        /// Publish as of this day (YYYY-MM-DD; default today)
        #[arg(long)]
        today: Option<String>,
    },
}

fn date(s: Option<&str>, what: &str) -> Result<model::Date> {
    match s {
        None => Ok(app::campaigns::today()),
        Some(s) => model::parse_date(s).ok_or_else(|| anyhow!("{what} `{s}` is not a date YYYY-MM-DD")),
    }
}

/// The actor of this command: the store handle's (`--as`), else `cli:$USER`.
fn actor(store: &app::Store) -> app::campaigns::Actor {
    let a = store.actor();
    if !a.name.is_empty() && a.name != "unknown" {
        return a.clone();
    }
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    app::campaigns::Actor::named(format!("cli:{user}"))
}

/// Columns padded to their widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> Result<()> {
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

fn csv_out(header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut w = csv::Writer::from_writer(crate::output::stdout());
    w.write_record(header)?;
    for r in rows {
        w.write_record(r.iter().map(|c| export::csv_safe(c).into_owned()))?;
    }
    w.flush()?;
    Ok(())
}

pub async fn run(store: &app::Store, cmd: CampaignCommand) -> Result<()> {
    match cmd {
        CampaignCommand::Form { file } => {
            let size = std::fs::metadata(&file).with_context(|| format!("{}: cannot read", file.display()))?.len();
            if size > app::campaigns::MAX_FORM_BYTES {
                return Err(anyhow!("{}: {size} bytes, past the limit of {} for a form", file.display(), app::campaigns::MAX_FORM_BYTES));
            }
            let text = std::fs::read_to_string(&file).with_context(|| format!("{}: cannot read (a form is a UTF-8 TOML file)", file.display()))?;
            let f = app::campaigns::add_form(store, &actor(store), &text, &file.display().to_string()).await?;
            outln!(
                "formularz / form {} wersja / version {} (id {}): {} pól / fields, {} reguł / rules — {}",
                f.code,
                f.version,
                f.id,
                f.fields,
                f.rules,
                f.title_pl
            )?;
            Ok(())
        }
        CampaignCommand::Add { form, name, year, deadline, publish_on, units, group } => {
            let c = app::campaigns::NewCampaign {
                form: app::campaigns::FormRef::Code(form),
                name,
                year,
                deadline: date(Some(&deadline), "--deadline")?,
                publish_on: date(Some(&publish_on), "--publish-on")?,
                units: group.map_or(units, |g| vec![g]),
            };
            let c = app::campaigns::add_campaign(store, &actor(store), c).await?;
            outln!(
                "ankieta / campaign {}: {} ({} v{}), rok / year {}, {} jednostek / units, termin / deadline {}, publikacja / publication {}",
                c.id,
                c.name,
                c.form_code,
                c.form_version,
                c.year,
                c.units,
                model::format_date(c.deadline),
                model::format_date(c.publish_on)
            )?;
            Ok(())
        }
        CampaignCommand::List { format } => {
            let list = app::campaigns::campaigns(store).await?;
            let header = ["id", "name", "form", "version", "year", "deadline", "publish_on", "units", "created_by"];
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|c| {
                    vec![
                        c.id.to_string(),
                        c.name.clone(),
                        c.form_code.clone(),
                        c.form_version.to_string(),
                        c.year.to_string(),
                        model::format_date(c.deadline),
                        model::format_date(c.publish_on),
                        c.units.to_string(),
                        c.created_by.clone(),
                    ]
                })
                .collect();
            match format {
                Format::Table => table(&header, &rows),
                Format::Csv => csv_out(&header, &rows),
                Format::Json => {
                    let v: Vec<_> = list
                        .iter()
                        .map(|c| {
                            json!({"id": c.id, "name": c.name, "form": c.form_code, "version": c.form_version, "year": c.year,
                               "deadline": model::format_date(c.deadline), "publish_on": model::format_date(c.publish_on),
                               "units": c.units, "created_by": c.created_by, "created_at": c.created_at})
                        })
                        .collect();
                    outln!("{}", serde_json::to_string_pretty(&v)?)?;
                    Ok(())
                }
            }
        }
        CampaignCommand::Status { id, format, today } => {
            let rows = app::campaigns::dashboard(store, id, date(today.as_deref(), "--today")?).await?;
            match format {
                Format::Csv => {
                    use std::io::Write as _;
                    crate::output::stdout().write_all(app::campaigns::dashboard_csv(&rows, true).as_bytes())?;
                    Ok(())
                }
                Format::Json => {
                    let v: Vec<_> = rows
                        .iter()
                        .map(|r| {
                            json!({"teryt": r.code, "name": r.name, "state": r.state.map(|s| s.as_str()), "published": r.published,
                               "late": r.late, "submitted_at": r.submitted_at, "updated_at": r.updated_at, "updated_by": r.updated_by})
                        })
                        .collect();
                    outln!("{}", serde_json::to_string_pretty(&v)?)?;
                    Ok(())
                }
                Format::Table => {
                    let header = ["teryt", "name", "state", "published", "late", "updated_at", "updated_by"];
                    let t: Vec<Vec<String>> = rows
                        .iter()
                        .map(|r| {
                            vec![
                                r.code.clone(),
                                r.name.clone(),
                                r.state.map_or("not started", |s| s.as_str()).to_owned(),
                                if r.published { "yes" } else { "" }.to_owned(),
                                if r.late { "late" } else { "" }.to_owned(),
                                r.updated_at.clone().unwrap_or_default(),
                                r.updated_by.clone().unwrap_or_default(),
                            ]
                        })
                        .collect();
                    table(&header, &t)
                }
            }
        }
        CampaignCommand::Publish { today } => {
            let today = date(today.as_deref(), "--today")?;
            let handle = store.acting_as(actor(store));
            let imports = app::campaigns::publish_due(&handle, today).await?;
            if imports.is_empty() {
                outln!("nic do opublikowania / nothing to publish ({})", model::format_date(today))?;
            } else {
                let ids: Vec<String> = imports.iter().map(i64::to_string).collect();
                outln!("opublikowano / published: {} import(s), id {}", imports.len(), ids.join(", "))?;
            }
            Ok(())
        }
    }
}
