//! `miernik`: the one binary. Reads argv and the environment, runs a use-case of `app`,
//! prints data to stdout and progress and errors to stderr. Every failure exits non-zero
//! with a one-line reason (`error: …`), possibly followed by indented details.

mod audit_cmd;
mod backup_cmd;
mod bdl_cmd;
mod bench;
mod bench_load;
mod bench_overlay;
mod campaign_cmd;
mod evaluate_cmd;
mod output;
mod survey_cmd;
mod user_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Parser, Subcommand, ValueEnum};
use model::{TerytCode, UnitKind, VariableCode};

use crate::output::{Format, outln, print_changes, print_history, print_obs_report, print_units, print_units_report};

#[derive(Parser)]
#[command(
    name = "miernik",
    version,
    about = "Miernik — monitoring i benchmarking usług publicznych JST / monitoring and benchmarking of Polish local government services",
    propagate_version = true
)]
struct Cli {
    /// Database URL: sqlite:PATH (embedded) or postgres://USER@HOST/DB. Only imports (and
    /// demo) create a missing SQLite file. `demo` keeps its own database, sqlite:miernik-demo.db
    /// (or MIERNIK_DEMO_DB), unless --db is given on its command line
    #[arg(long, global = true, env = "MIERNIK_DB", default_value = "sqlite:miernik.db")]
    db: String,
    /// More messages on stderr: -v the libraries' warnings and progress, -vv debugging
    /// (MIERNIK_LOG or RUST_LOG, e.g. `info,sqlx=warn`, set the filter outright)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// How messages on stderr are written: `text` for people, `json` one JSON object a line
    /// for a log collector (then the default level is info: one line per portal request, with
    /// its request_id, route, status and ms)
    #[arg(long, global = true, env = "MIERNIK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Whom this command's writes are for: the import and audit logs name the OS user and
    /// this (`cli:$USER as NAME`)
    #[arg(long = "as", global = true, value_name = "NAME")]
    as_name: Option<String>,
    /// Whether --db was typed (not taken from MIERNIK_DB or the default).
    #[arg(skip)]
    db_given: bool,
    #[command(subcommand)]
    command: Command,
}

/// How the portal is served (`serve`, `demo`).
#[derive(Args)]
struct ServeArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// The address readers use, behind a reverse proxy: e.g. https://miernik.example.pl (an
    /// https address makes every cookie Secure)
    #[arg(long, env = "MIERNIK_PUBLIC_URL")]
    public_url: Option<String>,
    /// Believe the proxy's X-Forwarded-Proto (https there makes that answer's cookies
    /// Secure); only behind a proxy that sets it
    #[arg(long, env = "MIERNIK_TRUST_PROXY", value_parser = clap::builder::BoolishValueParser::new())]
    trust_proxy: bool,
    /// Seconds to keep serving after SIGTERM with /ready answering 503, before no new
    /// connection is taken: for a load balancer that polls /ready (0 to 300)
    #[arg(long, env = "MIERNIK_SHUTDOWN_DELAY", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=300))]
    shutdown_delay: u64,
}

impl ServeArgs {
    fn options(&self) -> Result<web::ServeOptions> {
        if let Some(u) = &self.public_url {
            let l = u.to_ascii_lowercase();
            let host = l.strip_prefix("https://").or_else(|| l.strip_prefix("http://"));
            if host.is_none_or(|h| h.is_empty() || h.starts_with('/')) {
                anyhow::bail!("--public-url `{u}`: give the address readers use, http(s)://HOST[/PATH], e.g. https://miernik.example.pl");
            }
        }
        Ok(web::ServeOptions {
            public_url: self.public_url.clone(),
            trust_proxy: self.trust_proxy,
            shutdown_delay: std::time::Duration::from_secs(self.shutdown_delay),
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Create (if absent) a database with the built-in synthetic demo data and serve the
    /// portal. The database is --db given here, else sqlite:miernik-demo.db (apart from real
    /// data; MIERNIK_DB is not used)
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// The old name of --db for the demo (and, as MIERNIK_DEMO_DB, the demo's default)
        #[arg(long, env = "MIERNIK_DEMO_DB", hide = true)]
        demo_db: Option<String>,
    },
    /// Serve the portal on an existing database (--db)
    Serve {
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Import data: units (TERC), observations (CSV/XLSX, BDL exports), the BDL API, areas (GUGiK), budget reports (Rb-27S/Rb-28S), exam results (CKE)
    #[command(subcommand)]
    Import(ImportCommand),
    /// Browse the GUS BDL API: variables, units (with TERYT codes), subjects, dictionaries; check
    /// the catalogue's BDL ids against BDL's metadata (check-catalogue)
    #[command(subcommand)]
    Bdl(bdl_cmd::BdlCommand),
    /// List territorial units valid on a date
    Units(UnitsArgs),
    /// Show every revision of the values of a variable for a unit
    History {
        /// TERYT code of the unit (an old code works too)
        #[arg(long)]
        unit: String,
        /// Variable code
        #[arg(long)]
        variable: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List values new or changed since a date, a page at a time, oldest first; when more
    /// follow, the last line on stderr is `next: CURSOR`: continue with `--after CURSOR`
    Changes {
        /// Date YYYY-MM-DD
        #[arg(long)]
        since: String,
        /// Start after this cursor (the `next:` line of the page before); leave out for the first page
        #[arg(long, value_name = "CURSOR")]
        after: Option<String>,
        /// Rows per page
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..))]
        limit: i64,
        /// Gone: changes are paged with --after
        #[arg(long, hide = true)]
        offset: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Compute every indicator of the catalogue for every current JST and year, with the
    /// statistics of the fixed groups (country, województwo, typology); prints a summary
    Compute {
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
    /// Data coverage: per indicator, the units with values in each year, the input variables
    /// it reads, which are missing, their source and the command that imports them
    Coverage {
        /// Only this indicator
        #[arg(long)]
        indicator: Option<String>,
        /// Only the indicators with a missing input or without any value
        #[arg(long)]
        missing: bool,
        #[arg(long, value_enum, default_value_t = output::CoverageFormat::Text)]
        format: output::CoverageFormat,
    },
    /// Compare a unit with a group on one indicator and year: value, group statistics, rank
    Compare {
        /// TERYT code of the unit
        #[arg(long)]
        unit: String,
        /// Indicator code (see catalogue/indicators.toml)
        #[arg(long)]
        indicator: String,
        #[arg(long)]
        year: i32,
        /// country (kraj), wojewodztwo, typology (typologia), neighbours (sasiedzi),
        /// nearest (najblizsi: statistical nearest neighbours) or custom:CODE
        #[arg(long, default_value = "typology")]
        group: String,
        #[command(flatten)]
        nearest: NearestArgs,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Diagnose a unit: its strongest and weakest indicators against a group, with 3- and 5-year trends
    Diagnose {
        /// TERYT code of the unit
        #[arg(long)]
        unit: String,
        #[arg(long)]
        year: i32,
        /// country, wojewodztwo, typology, neighbours, nearest or custom:CODE
        #[arg(long, default_value = "typology")]
        group: String,
        /// How many strengths and how many weaknesses
        #[arg(long, default_value_t = 5)]
        top: usize,
        #[command(flatten)]
        nearest: NearestArgs,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Re-evaluate a change: a unit's indicator from before to after a start year against its
    /// peer group's change (difference in differences), with the placebo interval and verdict
    Evaluate(evaluate_cmd::EvaluateArgs),
    /// The statistical nearest neighbours of a unit in a year, with the distance and each context measure's share of it
    Nearest {
        /// TERYT code of the unit
        #[arg(long)]
        unit: String,
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        nearest: NearestArgs,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Custom peer groups (e.g. an exchange group of cities): save, list
    #[command(subcommand)]
    Group(GroupCommand),
    /// Check data: that an additive variable adds up (gminy to powiat, powiaty to województwo,
    /// to Poland), values standing out from the unit's history (--outliers), or indicator
    /// values standing out from the unit's typology peers (--peers)
    Check {
        /// Variable code (an additive one: population, the unemployed, expenditure…); not with --peers
        #[arg(long, required_unless_present = "peers")]
        variable: Option<String>,
        /// Year to check
        #[arg(long)]
        year: i16,
        /// Largest difference still accepted (for sources that round their parts)
        #[arg(long, default_value_t = 0.0)]
        tolerance: f64,
        /// Instead: list the values of that year whose change from the year before stands out from the unit's history
        #[arg(long, conflicts_with = "peers")]
        outliers: bool,
        /// Instead: list the indicator values of that year that stand out among the unit's typology peers
        #[arg(long, conflicts_with = "variable")]
        peers: bool,
        /// With --peers: only this indicator (default: every indicator of the catalogue)
        #[arg(long, requires = "peers")]
        indicator: Option<String>,
        /// With --outliers or --peers: the modified z-score above which a value stands out
        #[arg(long, default_value_t = 3.5)]
        threshold: f64,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The import log: every import with its counts, newest first
    Imports {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Neighbours (units of one level sharing a border), as pairs; import boundaries first
    Neighbours {
        /// TERYT code of one unit (an old code works too): its neighbours only
        #[arg(long)]
        unit: Option<String>,
        /// gmina, powiat or wojewodztwo (default: all levels)
        #[arg(long)]
        level: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Export any indicators × units × years (CSV, Excel CSV, XLSX with a metadata sheet,
    /// JSON, JSON-stat), streamed: the same query as the API's /api/v1/data
    Export {
        /// Indicator codes, area:CODE or all, separated by commas
        #[arg(long)]
        indicators: String,
        /// TERYT codes, gminy, powiaty, wojewodztwa, a unit kind, in:CODE or all, separated by commas
        #[arg(long, default_value = "")]
        units: String,
        /// Years: 2020, 2015-2020, last or all, separated by commas
        #[arg(long, default_value = "all")]
        years: String,
        /// Add the members of this peer group of --unit (typology, neighbours, nearest, wojewodztwo, country, custom:CODE, lista:CODE,CODE)
        #[arg(long, requires = "unit")]
        group: Option<String>,
        /// The unit whose group --group is (it is added too)
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// One column per year, unit or indicator instead of one row per value (CSV, XLSX)
        #[arg(long)]
        columns: Option<String>,
        /// Language of names and headers: pl or en
        #[arg(long, default_value = "pl")]
        lang: String,
        /// The file to write (default: standard output; XLSX needs a file)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The unit report for the raport o stanie gminy: summary, strengths and weaknesses, every
    /// area's indicators against the group with charts, 5-year trends, definitions and sources
    Report {
        /// TERYT code of the unit
        #[arg(long)]
        unit: String,
        /// The year (default: the unit's newest year with data)
        #[arg(long)]
        year: Option<i32>,
        /// typology, neighbours, nearest, wojewodztwo, country, custom:CODE or lista:CODE,CODE
        #[arg(long, default_value = "typology")]
        group: String,
        #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
        format: ReportFormat,
        /// Language: pl or en
        #[arg(long, default_value = "pl")]
        lang: String,
        /// The file to write
        #[arg(long)]
        out: PathBuf,
    },
    /// Benchmarks that compare Miernik with a peer measured in the same run
    #[command(subcommand)]
    Bench(BenchCommand),
    /// The audit log: who wrote what and when, newest first (--unit also lists the value
    /// changes of every import that touched the unit, old → new)
    Audit(audit_cmd::AuditArgs),
    /// Undo an import as a new import (source `revert`): every value it inserted or changed
    /// gets its previous value back; values changed again later are left and reported
    Revert(audit_cmd::RevertArgs),
    /// Data collection campaigns (questionnaires): add a form, create a campaign, list,
    /// show a campaign's dashboard, publish approved answers
    #[command(subcommand)]
    Campaign(campaign_cmd::CampaignCommand),
    /// Accounts of the people who enter, approve and verify data: add, list, grant and
    /// revoke roles, invitation links, passwords (from standard input)
    #[command(subcommand)]
    User(user_cmd::UserCommand),
    /// Service-user surveys: question sets, paper results, the comparison under letters
    #[command(subcommand)]
    Survey(survey_cmd::SurveyCommand),
    /// Back up the database while the portal serves: SQLite's online copy (checked with
    /// PRAGMA integrity_check), or PostgreSQL through pg_dump --format=custom
    Backup(backup_cmd::BackupArgs),
    /// Restore a backup of `miernik backup` into a new database (--db: a new SQLite file or
    /// an empty PostgreSQL database)
    Restore(backup_cmd::RestoreArgs),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ExportFormat {
    Csv,
    CsvPl,
    Xlsx,
    Json,
    Jsonstat,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ReportFormat {
    Html,
    Pdf,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// The GUS TERC register (CSV or XML, "Urzędowy" variant); import states oldest first
    Units {
        /// The TERC file (CSV or XML) as downloaded from GUS
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
    /// Observations: long layout unit,variable,year,value[,flag] (CSV/XLSX) or a BDL web export (CREL/CTAB)
    Observations(ObsArgs),
    /// Data from the GUS BDL API: fetched into a page cache first (resumable), then imported in one transaction
    Bdl(bdl_cmd::BdlImportArgs),
    /// GUGiK's list of areas of units (XLSX, "Wykaz powierzchni"): stored as powierzchnia in km² (ha ÷ 100)
    Areas {
        /// The .xlsx file as published by GUGiK
        file: PathBuf,
        /// Store under this year (default: the year of the state date, e.g. 2025 for "stan na 01.01.2025",
        /// the territory after that day's changes; earlier years use it as an estimate while a unit's
        /// territory is unchanged)
        #[arg(long)]
        year: Option<i16>,
        /// The sheet to read (default: the first)
        #[arg(long)]
        sheet: Option<String>,
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
    /// MF budget reports Rb-27S/Rb-28S as BeSTi@ XML packages (PaczkaSprawozdan); each file one import
    Budget {
        /// One or more .xml files; all are checked before any is imported
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Store the sum of a package of budget units' reports (Typ JB) under rb27s_jb_…/rb28s_jb_…
        /// variables of their JST (default: such a package is refused, as it is not the JST's budget)
        #[arg(long)]
        sum_units: bool,
        /// One JSON object per file
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
    /// CKE's school results of the egzamin ósmoklasisty (CSV): per gmina and subject (pol, mat,
    /// ang) the takers and the sum of takers × mean (cke8_S_zdajacy, cke8_S_suma); schools of a
    /// town or rural part (RODZ 4/5) count for their gmina
    Cke {
        /// The CSV file of school results
        file: PathBuf,
        /// The exam year (default: the one year in the file name, e.g. 2025 for wyniki_2025_….csv)
        #[arg(long)]
        year: Option<i16>,
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
    /// Boundaries (GeoJSON in WGS84, or a PRG shapefile .shp in EPSG:2180): matched by TERYT
    /// code, simplified for maps, neighbours computed; one level per file
    Boundaries(BoundaryArgs),
    /// The indicator catalogue (TOML, e.g. catalogue/indicators.toml): variables and indicators
    Indicators {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
}

#[derive(Args)]
struct ObsArgs {
    /// The file: .csv or .xlsx in the long layout, or a BDL web export .csv
    file: PathBuf,
    /// The variable of a BDL export (default: derived from the file name and dimensions)
    #[arg(long)]
    variable: Option<String>,
    /// XLSX: the sheet to read (default: the first)
    #[arg(long)]
    sheet: Option<String>,
    /// Import the valid rows and list the rejected ones (default: all or nothing)
    #[arg(long)]
    skip_invalid: bool,
    /// Add unknown unit codes as closed historical units
    #[arg(long)]
    create_missing_units: bool,
    /// Where the data came from (default: file, or bdl for BDL exports)
    #[arg(long)]
    source: Option<String>,
    /// Summary as text, or one JSON object {read, inserted, changed, unchanged, rejected}
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

#[derive(Args)]
struct BoundaryArgs {
    /// The file: .geojson/.json, or .shp with its .shx, .dbf, .prj (and .cpg) beside it
    file: PathBuf,
    /// Date of the boundaries YYYY-MM-DD: units valid then without a boundary are listed (default: today)
    #[arg(long)]
    date: Option<String>,
    /// Import the features that match a unit and list the others (default: all or nothing)
    #[arg(long)]
    skip_unmatched: bool,
    /// Outlines within this many metres of each other count as one border
    #[arg(long, default_value_t = 20.0)]
    tolerance: f64,
    /// At least this many metres of common border make neighbours (a corner does not)
    #[arg(long, default_value_t = 100.0)]
    min_border: f64,
    /// Simplification of the stored outlines in metres (shared borders simplified once); 0 keeps them
    #[arg(long, default_value_t = 50.0)]
    simplify: f64,
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

/// How statistical nearest neighbours are found (used by --group nearest).
#[derive(Args)]
struct NearestArgs {
    /// Context measures, `[log:]CODE[*WEIGHT],…` over indicators or variables
    #[arg(long, default_value = app::nearest::DEFAULT_CONTEXT)]
    context: String,
    /// How many nearest neighbours
    #[arg(long, default_value_t = app::nearest::DEFAULT_K)]
    k: usize,
}

impl NearestArgs {
    fn spec(&self) -> Result<app::nearest::NearestSpec> {
        app::nearest::NearestSpec::parse(&self.context, self.k).map_err(|e| anyhow!("--context/--k: {e}"))
    }
}

#[derive(Subcommand)]
enum GroupCommand {
    /// Save a custom group (replaces one with the same code)
    Save {
        /// Group code: letters, digits, _ or -
        code: String,
        /// Polish name
        #[arg(long)]
        name: String,
        /// English name
        #[arg(long)]
        name_en: Option<String>,
        /// TERYT codes of the members, comma-separated (or the option repeated)
        #[arg(long, required = true, num_args = 1.., value_delimiter = ',')]
        units: Vec<String>,
    },
    /// List custom groups with their members
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Args)]
struct UnitsArgs {
    /// Kind: wojewodztwo, powiat, miasto_na_prawach_powiatu, gmina_miejska, gmina_wiejska,
    /// gmina_miejsko_wiejska, miasto, obszar_wiejski, dzielnica, delegatura
    #[arg(long)]
    kind: Option<String>,
    /// TERYT code of the parent unit
    #[arg(long)]
    parent: Option<String>,
    /// Part of the name or start of the code; case and Polish diacritics are ignored
    #[arg(long)]
    search: Option<String>,
    /// Date YYYY-MM-DD (default: today)
    #[arg(long)]
    at: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Import N long-layout rows into a fresh SQLite database, then again; compare with the
    /// sqlite3 shell's .import of the same file
    Import {
        #[arg(long, default_value_t = 10_000_000)]
        rows: u64,
        /// Working directory for the generated file and databases (default: a temp dir)
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Import all gmina boundaries of Poland (2477 features) into a fresh SQLite database and
    /// compute every neighbour pair: seconds and peak memory of that import process
    Boundaries {
        /// The gmina boundaries (default: kreperu_gminy.geojson in ../shared/data/boundaries)
        #[arg(long)]
        file: Option<PathBuf>,
        /// TERC states to import first, oldest first (default: 2018-10-02 and 2020-01-01 from ../shared/data/teryt)
        #[arg(long)]
        terc: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
    /// Generate a synthetic country and time the indicator engine: a full recompute (all
    /// indicators, fixed-partition statistics, ranks), an incremental rebuild, nearest
    /// neighbours. The peer, DuckDB, is run by bench/engine-vs-duckdb.sh
    Compute {
        #[command(flatten)]
        country: Country,
        /// Write inputs and outputs as CSV into this directory (for the peer to compare)
        #[arg(long)]
        dump: Option<PathBuf>,
        /// Text, or one JSON object with seconds, peak_rss_mb and the rest
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
    /// A data query of --pick indicators × every unit × every year of the synthetic country:
    /// the API's answer (parse, first JSON page), every cell walked, the CSV and XLSX exports
    /// streamed (time, bytes, memory), against the sqlite3 shell running the same query
    Query {
        #[command(flatten)]
        country: Country,
        /// Indicators in the query
        #[arg(long, default_value_t = 50)]
        pick: usize,
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
    /// Render the unit card in process at Poland's scale (the synthetic country of `bench
    /// compute`): p50 / p99 / max milliseconds per whole page, for random units, against
    /// the typology and the nearest-neighbour groups. The HTTP peer, nginx, is run by
    /// bench/portal-vs-nginx.sh
    Pages {
        #[command(flatten)]
        country: Country,
        /// Pages rendered per group
        #[arg(long, default_value_t = 300)]
        renders: usize,
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
    /// Time the way from the store to a snapshot at Poland's scale: the synthetic country of
    /// `bench compute` stored in SQLite (or PostgreSQL, --postgres), then `miernik compute`
    /// run as a child process (seconds, peak RSS of the whole process), against the sqlite3
    /// shell (psql) reading every one of the same rows in the same run
    Load {
        #[command(flatten)]
        country: Country,
        /// Working directory for the database, kept between runs (default: a temp dir,
        /// removed at the end); a database already made there for the same country is reused
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Also (or instead of SQLite, with --only-postgres) a PostgreSQL server: its database
        /// `miernik_bench_load` is created or reused, e.g. postgres://postgres@127.0.0.1:5432/test
        #[arg(long)]
        postgres: Option<String>,
        /// Measure only PostgreSQL (needs --postgres)
        #[arg(long)]
        only_postgres: bool,
        /// Timed runs of each side; the best counts
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
    /// Apply one unit's approved, unpublished values to the private view (one incremental
    /// snapshot update, as after an approval) at Poland's scale, against a full snapshot build
    /// in the same run; the result is checked against the full build cell by cell
    Overlay {
        #[command(flatten)]
        country: Country,
        /// Variables the unit's answers change
        #[arg(long, default_value_t = 10)]
        changed: usize,
        /// Approvals timed
        #[arg(long, default_value_t = 30)]
        samples: usize,
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
}

/// The size of the benchmarks' synthetic country (Poland's by default).
#[derive(Args, Clone, Copy)]
struct Country {
    #[arg(long, default_value_t = 2900)]
    units: usize,
    #[arg(long, default_value_t = 750)]
    indicators: usize,
    #[arg(long, default_value_t = 15)]
    years: usize,
}

/// The form of the log lines on stderr (`--log-format`).
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SummaryFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    // Only `--db` typed for `demo` moves the demo's database; MIERNIK_DB (real data) does not.
    if matches!(matches.value_source("db"), Some(clap::parser::ValueSource::CommandLine)) {
        cli.db_given = true;
    }
    init_logging(cli.verbose, cli.log_format);
    quiet_on_closed_stdout();
    let os_user = std::env::var("USER").ok().filter(|u| !u.is_empty()).or_else(|| std::env::var("LOGNAME").ok());
    audit_cmd::set_actor(audit_cmd::actor_name(os_user.as_deref(), cli.as_name.as_deref()));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let db = cli.db.clone();
    // An import that creates the database and then fails leaves no empty database behind.
    let created_by_this_import = matches!(cli.command, Command::Import(_)).then(|| new_sqlite_file(&db)).flatten();
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::stdout_closed() || is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(path) = created_by_this_import {
                runtime.block_on(remove_if_nothing_imported(&db, &path));
            }
            report_error(&e, &db);
            ExitCode::FAILURE
        }
    }
}

/// Removes the SQLite database at `path` (and its -wal/-shm) when no import is logged in it:
/// the empty database a failed first import made. One that holds a finished import stays.
async fn remove_if_nothing_imported(db: &str, path: &std::path::Path) {
    let empty = match app::Store::open_with(db, app::OpenOptions { create: false, acquire_timeout: None }).await {
        Ok(store) => {
            let imports = store.imports(1).await;
            store.close().await;
            imports.is_ok_and(|i| i.is_empty())
        }
        Err(_) => false,
    };
    if empty {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}

/// The SQLite file `db` names, when it does not exist yet.
fn new_sqlite_file(db: &str) -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(db.strip_prefix("sqlite://").or_else(|| db.strip_prefix("sqlite:"))?);
    (!path.as_os_str().is_empty() && !path.exists()).then(|| path.to_path_buf())
}

/// Messages of tracing on stderr: Miernik's own warnings; the libraries' (sqlx's slow-statement
/// warnings with whole SQL statements, say) only when asked for with `-v` or a filter in
/// MIERNIK_LOG / RUST_LOG. Colour only on a terminal, and never with NO_COLOR. With
/// `--log-format json` every line is a JSON object (`timestamp`, `level`, `target`, the
/// event's fields, and `span` with the request's `request_id`, `method` and `route`), and
/// the default level is info, so that each portal request is logged.
fn init_logging(verbose: u8, format: LogFormat) {
    use std::io::IsTerminal;
    let default = match (verbose, format) {
        (0, LogFormat::Text) => "warn,sqlx=off",
        (0, LogFormat::Json) | (1, _) => "info,sqlx=warn",
        (2, _) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MIERNIK_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    match format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).with_ansi(colour).with_writer(std::io::stderr).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
    }
}

/// A `println!` somewhere (the benchmarks' output, say) meeting a closed pipe panics with
/// "failed printing to stdout: Broken pipe": end quietly instead, as for our own writes.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info.payload().downcast_ref::<String>().map(String::as_str).or_else(|| info.payload().downcast_ref::<&str>().copied());
        if text.is_some_and(|t| t.starts_with("failed printing to stdout") && t.contains("Broken pipe")) {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// `miernik units | head` closes the pipe early: not an error worth a word. The writers of
/// csv and serde_json keep the `io::Error` out of the source chain, so ask them too.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind) == Some(BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe))
    })
}

/// The password of a database URL, to be kept out of every message.
fn password_of(url: &str) -> Option<String> {
    let redacted = app::redact_url(url);
    if redacted == url {
        return None;
    }
    // What `***` stands for: the first stretch where the two differ.
    let start = url.bytes().zip(redacted.bytes()).take_while(|(a, b)| a == b).count();
    let tail = redacted[start..].strip_prefix("***")?;
    let end = url.len().checked_sub(tail.len())?;
    url.get(start..end).filter(|p| !p.is_empty()).map(str::to_owned)
}

fn report_error(e: &anyhow::Error, db: &str) {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !line.contains(&c) {
            line.push_str(": ");
            line.push_str(&c);
        }
    }
    // The store's messages carry redacted URLs; this catches the database password anywhere else.
    if let Some(p) = password_of(db) {
        line = line.replace(&p, "***");
    }
    eprintln!("error: {}", line.replace('\n', " "));
    if let Some(app::AppError::Rejected { rows, .. }) = e.downcast_ref::<app::AppError>() {
        for r in rows.iter().take(50) {
            eprintln!("  {r}");
        }
        if rows.len() > 50 {
            eprintln!("  … and {} more", rows.len() - 50);
        }
    }
}

/// Opens the database of a command that reads: a SQLite file that is not there is an
/// error ("no database at …"), never a new empty database made of a mistyped path.
async fn open(db: &str) -> Result<app::Store> {
    open_with(db, app::OpenOptions { create: false, acquire_timeout: None }).await
}

/// Opens the database of a command that creates data (the imports): a missing SQLite file
/// is created. A file that is not a SQLite database is refused either way, untouched.
pub(crate) async fn open_to_import(db: &str) -> Result<app::Store> {
    open_with(db, app::OpenOptions { create: true, acquire_timeout: None }).await
}

/// How long a page of the portal waits for a free database connection before it answers 503
/// (also when PostgreSQL is down: the pool retries a refused connection until then). Short,
/// so that a reader gets the 503 page in about two seconds, not a hanging one.
const PORTAL_ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

async fn open_with(db: &str, opts: app::OpenOptions) -> Result<app::Store> {
    match app::Store::open_with(db, opts).await {
        Ok(store) => Ok(store.acting_as(audit_cmd::actor()).on_import_wait(|| {
            eprintln!("czekam, aż skończy się inny import / waiting for another import to finish…");
        })),
        Err(e @ app::StoreError::Missing { .. }) => {
            Err(anyhow!("{e}: sprawdź --db albo najpierw zaimportuj dane / check --db (or run an import first)"))
        }
        Err(e @ app::StoreError::NotSqlite { .. }) => Err(anyhow!("{e}: sprawdź --db / check --db")),
        Err(e) => Err(anyhow!(e)),
    }
}

/// The demo's database: `--db` typed on the command line, else `--demo-db` (its old name) or
/// MIERNIK_DEMO_DB, else sqlite:miernik-demo.db; never MIERNIK_DB, which names real data.
fn demo_database(db: &str, db_given: bool, demo_db: Option<String>) -> Result<String> {
    match (db_given, demo_db) {
        (true, Some(d)) if d != db => {
            anyhow::bail!("--db {} and --demo-db {}: give the demo's database once, as --db", app::redact_url(db), app::redact_url(&d))
        }
        (true, _) => Ok(db.to_owned()),
        (false, Some(d)) => Ok(d),
        (false, None) => Ok("sqlite:miernik-demo.db".to_owned()),
    }
}

/// Opens the demo database, creating it first if needed. A new SQLite demo is built in
/// `PATH.partial` and renamed into place when complete, so an interrupted first start leaves
/// no half-built demo behind (the demo's loading spans several transactions).
async fn open_demo(url: &str) -> Result<app::Store> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).map(std::path::Path::new);
    match path {
        Some(p) if !p.exists() => {
            let partial = p.with_extension("partial");
            let sidecars = |f: &std::path::Path| ["", "-wal", "-shm"].map(|s| std::path::PathBuf::from(format!("{}{s}", f.display())));
            for f in sidecars(&partial) {
                let _ = std::fs::remove_file(f);
            }
            let store = open_to_import(&format!("sqlite:{}", partial.display())).await?;
            eprintln!("demo: tworzę dane syntetyczne / building the synthetic demo data…");
            let loaded = app::load_demo(&store).await;
            let flushed = store.checkpoint().await;
            store.close().await;
            loaded?;
            flushed.map_err(|e| anyhow!(e))?;
            std::fs::rename(&partial, p).with_context(|| format!("moving the new demo database to {}", p.display()))?;
            for f in sidecars(&partial) {
                let _ = std::fs::remove_file(f);
            }
            eprintln!("demo: utworzono dane syntetyczne / synthetic demo data created in {}", app::redact_url(url));
            open_with(url, app::OpenOptions { create: false, acquire_timeout: Some(PORTAL_ACQUIRE_TIMEOUT) }).await
        }
        _ => {
            let store = open_with(url, app::OpenOptions { create: true, acquire_timeout: Some(PORTAL_ACQUIRE_TIMEOUT) }).await?;
            if app::load_demo(&store).await? {
                eprintln!("demo: utworzono dane syntetyczne / synthetic demo data created in {}", app::redact_url(url));
            }
            Ok(store)
        }
    }
}

/// The snapshot, with a word on stderr when the database holds the synthetic demo, so no
/// number of it is taken for a real one.
/// Writes `bytes` to `path` through a temporary file beside it, so a failure leaves no
/// half-written file.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes).with_context(|| format!("{}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}", path.display()))
}

/// `miernik export`: the query streamed to the file (through a temporary file beside it)
/// or to standard output.
fn export_query(
    c: &app::Computed,
    q: &app::query::DataQuery,
    format: ExportFormat,
    columns: Option<&str>,
    lang: &str,
    out: Option<&std::path::Path>,
) -> Result<()> {
    let format = match format {
        ExportFormat::Csv => export::Format::Csv,
        ExportFormat::CsvPl => export::Format::CsvPl,
        ExportFormat::Xlsx => export::Format::Xlsx,
        ExportFormat::Json => export::Format::Json,
        ExportFormat::Jsonstat => export::Format::JsonStat,
    };
    let en = match lang {
        "pl" => false,
        "en" => true,
        other => anyhow::bail!("--lang {other}: pl or en"),
    };
    let layout = compose::download::layout(columns).map_err(|e| anyhow!("--columns {e}"))?;
    let meta = compose::download::meta(c, q, en, "miernik export");
    match out {
        Some(path) => {
            let tmp = path.with_extension("partial");
            let file = std::fs::File::create(&tmp).with_context(|| format!("{}", tmp.display()))?;
            let mut w = std::io::BufWriter::new(file);
            let r = compose::download::write_to(c, q, format, layout, &meta, &mut w).map_err(|e| anyhow!("{e}")).and_then(|()| {
                use std::io::Write;
                w.flush().map_err(|e| anyhow!("{}: {e}", tmp.display()))
            });
            if let Err(e) = r {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            std::fs::rename(&tmp, path).with_context(|| format!("{}", path.display()))?;
            eprintln!("{}: {} wartości / values", path.display(), q.cells());
            Ok(())
        }
        None if format == export::Format::Xlsx => anyhow::bail!("--format xlsx needs --out FILE"),
        None => {
            let mut w = std::io::BufWriter::new(output::stdout());
            compose::download::write_to(c, q, format, layout, &meta, &mut w).map_err(|e| anyhow!("{e}"))?;
            use std::io::Write;
            w.flush().map_err(|e| anyhow!("{e}"))
        }
    }
}

async fn compute(store: &app::Store) -> Result<app::Computed, app::AppError> {
    if app::is_demo(store).await.unwrap_or(false) {
        eprintln!("uwaga: dane syntetyczne (demo), nie prawdziwe / note: synthetic demo data, not real");
    }
    app::compute(store).await
}

fn parse_date_arg(s: &str, what: &str) -> Result<model::Date> {
    model::parse_date(s).ok_or_else(|| anyhow!("{what} `{s}` is not a date YYYY-MM-DD"))
}

fn today() -> model::Date {
    time::OffsetDateTime::now_utc().date()
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo { serve, demo_db } => {
            let options = serve.options()?;
            let db = demo_database(&cli.db, cli.db_given, demo_db)?;
            let store = open_demo(&db).await?;
            eprintln!("konta demonstracyjne — tylko demo / demo accounts — demo only (login / hasło / password):");
            for (login, password, role) in app::demo_people::DEMO_CREDENTIALS {
                eprintln!("  {login} / {password} — {role}");
            }
            web::serve(store, &serve.addr, options).await.context("the portal stopped")
        }
        Command::Backup(a) => backup_cmd::backup(&cli.db, a).await,
        Command::Restore(a) => backup_cmd::restore(&cli.db, a).await,
        Command::Serve { serve } => {
            let options = serve.options()?;
            let store = open_with(&cli.db, app::OpenOptions { create: false, acquire_timeout: Some(PORTAL_ACQUIRE_TIMEOUT) }).await?;
            web::serve(store, &serve.addr, options).await.context("the portal stopped")
        }
        Command::Import(ImportCommand::Units { file, format }) => {
            let store = open_to_import(&cli.db).await?;
            let report = app::import_units(&store, &file).await;
            store.close().await;
            print_units_report(&report?, format)
        }
        Command::Import(ImportCommand::Indicators { file, format }) => {
            let store = open_to_import(&cli.db).await?;
            let r = app::import_indicators(&store, &file).await;
            store.close().await;
            let r = r?;
            match format {
                SummaryFormat::Json => outln!(
                    "{}",
                    serde_json::json!({"variables_new": r.variables_new, "variables_updated": r.variables_updated,
                        "indicators_new": r.indicators_new, "indicators_changed": r.indicators_changed,
                        "indicators_unchanged": r.indicators_unchanged, "indicators_retired": r.indicators_retired})
                )?,
                SummaryFormat::Text => outln!(
                    "{}: zmienne / variables: {} new, {} updated; wskaźniki / indicators: {} new, {} changed, {} unchanged, {} retired",
                    file.display(),
                    r.variables_new,
                    r.variables_updated,
                    r.indicators_new,
                    r.indicators_changed,
                    r.indicators_unchanged,
                    r.indicators_retired
                )?,
            }
            Ok(())
        }
        Command::Import(ImportCommand::Areas { file, year, sheet, format }) => {
            let year = year
                .map(|y| model::Year::new(y).ok_or_else(|| anyhow!("--year: {y} is not a year from {} to {}", model::Year::MIN, model::Year::MAX)))
                .transpose()?;
            let store = open_to_import(&cli.db).await?;
            let opts = app::AreaImportOptions { year, sheet };
            let bar = output::progress_bar();
            let on_progress = |done: u64, total: u64| {
                if let Some(b) = &bar {
                    b.set_length(total.max(1));
                    b.set_position(done);
                }
            };
            let r = app::import_areas(&store, &file, &opts, &on_progress).await;
            store.close().await;
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            output::print_area_report(&r?, format, &file)
        }
        Command::Import(ImportCommand::Cke { file, year, format }) => {
            let year = year
                .map(|y| model::Year::new(y).ok_or_else(|| anyhow!("--year: {y} is not a year from {} to {}", model::Year::MIN, model::Year::MAX)))
                .transpose()?;
            let store = open_to_import(&cli.db).await?;
            let r = app::import_cke(&store, &file, &app::CkeImportOptions { year }, &|_, _| {}).await;
            store.close().await;
            output::print_cke_report(&r?, format, &file)
        }
        Command::Import(ImportCommand::Budget { files, sum_units, format }) => {
            let store = open_to_import(&cli.db).await?;
            let r = app::import_budget(&store, &files, app::BudgetOptions { sum_units }, &|_, _| {}).await;
            store.close().await;
            for report in &r? {
                output::print_budget_report(report, format)?;
            }
            Ok(())
        }
        Command::Compute { format } => {
            let store = open(&cli.db).await?;
            if app::is_demo(&store).await.unwrap_or(false) {
                eprintln!("uwaga: dane syntetyczne (demo), nie prawdziwe / note: synthetic demo data, not real");
            }
            let t = std::time::Instant::now();
            let c = app::compute_timed(&store).await;
            let secs = t.elapsed().as_secs_f64();
            let timing = c.as_ref().ok().map(|(_, t)| *t);
            let c = c.map(|(c, _)| std::sync::Arc::new(c));
            // An indicator without any value: say which inputs are missing and how to import them.
            let coverage = match &c {
                Ok(c) if (0..c.snapshot.indicator_count()).any(|i| c.snapshot.latest_year_of(i, None).is_none()) => {
                    Some(app::coverage(&store, Some(c.clone())).await)
                }
                _ => None,
            };
            store.close().await;
            let c = c?;
            let s = &c.snapshot;
            let present: usize = (0..s.indicator_count())
                .map(|i| (0..s.years()).map(|y| s.year_values(i, y).iter().filter(|v| !v.is_nan()).count()).sum::<usize>())
                .sum();
            output::print_compute_warnings(coverage, present);
            match format {
                SummaryFormat::Json => outln!(
                    "{}",
                    serde_json::json!({"indicators": s.indicator_count(), "units": s.units(), "first_year": s.first_year(),
                        "years": s.years(), "values": present, "seconds": secs,
                        "load_seconds": timing.map(|t| t.load_seconds), "engine_seconds": timing.map(|t| t.compute_seconds)})
                )?,
                SummaryFormat::Text => outln!(
                    "{} wskaźników / indicators × {} JST × {} lat / years ({}–{}): {} wartości / values in {:.2} s",
                    s.indicator_count(),
                    s.units(),
                    s.years(),
                    s.first_year(),
                    s.first_year() + s.years() as i32 - 1,
                    present,
                    secs
                )?,
            }
            Ok(())
        }
        Command::Coverage { indicator, missing, format } => {
            let store = open(&cli.db).await?;
            let r = async {
                // Nothing to compute (no observation of a catalogue variable): every indicator is empty.
                let c = match compute(&store).await {
                    Ok(c) => Some(std::sync::Arc::new(c)),
                    Err(app::AppError::NotFound(_) | app::AppError::NoCatalogue) => None,
                    Err(e) => return Err(e),
                };
                app::coverage(&store, c).await
            }
            .await;
            store.close().await;
            output::print_coverage(&r?, indicator.as_deref(), missing, format)
        }
        Command::Compare { unit, indicator, year, group, nearest, format } => {
            let spec = nearest.spec()?;
            let store = open(&cli.db).await?;
            let r = async {
                let c = compute(&store).await?;
                app::compare(&store, &c, &unit, &indicator, year, &group, &spec).await
            }
            .await;
            store.close().await;
            output::print_comparison(&r?, format)
        }
        Command::Diagnose { unit, year, group, top, nearest, format } => {
            let spec = nearest.spec()?;
            let store = open(&cli.db).await?;
            let r = async {
                let c = compute(&store).await?;
                app::diagnose(&store, &c, &unit, year, &group, &spec, top).await
            }
            .await;
            store.close().await;
            output::print_diagnosis(&r?, format)
        }
        Command::Evaluate(a) => evaluate_cmd::run(&cli.db, a).await,
        Command::Nearest { unit, year, nearest, format } => {
            let spec = nearest.spec()?;
            let store = open(&cli.db).await?;
            let r = async {
                let c = compute(&store).await?;
                let (u, y) = app::locate(&c, &unit, year)?;
                app::peer_group(&store, &c, u, y, "nearest", &spec).await
            }
            .await;
            store.close().await;
            output::print_nearest(&r?, &spec, format)
        }
        Command::Group(GroupCommand::Save { code, name, name_en, units }) => {
            let store = open(&cli.db).await?;
            let r = app::save_custom_group(&store, &code, &name, name_en.as_deref(), &units).await;
            store.close().await;
            let g = r?;
            outln!("grupa / group {}: {} jednostek / units saved ({})", g.code, g.members.len(), g.members.join(", "))?;
            Ok(())
        }
        Command::Campaign(cmd) => {
            let store = open(&cli.db).await?;
            let r = campaign_cmd::run(&store, cmd).await;
            store.close().await;
            r
        }
        Command::User(cmd) => {
            let store = open(&cli.db).await?;
            let r = user_cmd::run(&store, cmd).await;
            store.close().await;
            r
        }
        Command::Survey(cmd) => {
            let store = open(&cli.db).await?;
            let r = survey_cmd::run(&store, cmd).await;
            store.close().await;
            r
        }
        Command::Group(GroupCommand::List { format }) => {
            let store = open(&cli.db).await?;
            let r = app::custom_groups(&store).await;
            store.close().await;
            output::print_groups(&r?, format)
        }
        Command::Import(ImportCommand::Bdl(args)) => bdl_cmd::import(&cli.db, args).await,
        Command::Bdl(cmd) => bdl_cmd::metadata(&cli.db, cmd).await,
        Command::Import(ImportCommand::Observations(args)) => {
            let store = open_to_import(&cli.db).await?;
            let variable = args.variable.as_deref().map(VariableCode::parse).transpose().map_err(|e| anyhow!("--variable: {e}"))?;
            let opts = app::ObsImportOptions {
                variable,
                sheet: args.sheet,
                skip_invalid: args.skip_invalid,
                create_missing_units: args.create_missing_units,
                source: args.source,
            };
            let bar = output::progress_bar();
            let on_progress = |done: u64, total: u64| {
                if let Some(b) = &bar {
                    if total > 0 {
                        b.set_length(total);
                    }
                    b.set_position(done);
                }
            };
            let result = app::import_observations(&store, &args.file, &opts, &on_progress).await;
            store.close().await;
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            let report = result?;
            print_obs_report(&report, args.format, &args.file)
        }
        Command::Units(a) => {
            let store = open(&cli.db).await?;
            let at = a.at.as_deref().map(|s| parse_date_arg(s, "--at")).transpose()?.unwrap_or_else(today);
            let filter = app::UnitFilter {
                kind: a.kind.as_deref().map(UnitKind::parse).transpose().map_err(|e| anyhow!("--kind: {e}"))?,
                parent: a.parent.as_deref().map(TerytCode::parse_lenient).transpose().map_err(|e| anyhow!("--parent: {e}"))?,
                search: a.search,
            };
            let units = app::list_units(&store, at, &filter).await;
            store.close().await;
            print_units(&units?, a.format)
        }
        Command::History { unit, variable, format } => {
            let store = open(&cli.db).await?;
            let unit = TerytCode::parse_lenient(&unit).map_err(|e| anyhow!("--unit: {e}"))?;
            let variable = VariableCode::parse(&variable).map_err(|e| anyhow!("--variable: {e}"))?;
            let rows = app::history(&store, &unit, &variable).await;
            store.close().await;
            print_history(&rows?, format)
        }
        Command::Changes { since, after, limit, offset, format } => {
            if offset.is_some() {
                anyhow::bail!("--offset: changes are paged with --after CURSOR, the cursor a page prints on stderr as `next: CURSOR`");
            }
            let since = parse_date_arg(&since, "--since")?;
            let store = open(&cli.db).await?;
            let rows = app::changes_since(&store, since, after.as_deref(), limit).await;
            store.close().await;
            let rows = rows.map_err(|e| match e {
                app::AppError::Invalid(m) | app::AppError::NotFound(m) => anyhow!("--after {m}"),
                e => anyhow::Error::from(e),
            })?;
            // A full page may have more after it; a short one is the end.
            let next = if rows.len() as i64 == limit { rows.last().map(|r| r.cursor.as_str()) } else { None };
            print_changes(&rows, next, format)
        }
        Command::Check { variable, year, tolerance, outliers, peers, indicator, threshold, format } => {
            let year = model::Year::new(year)
                .ok_or_else(|| anyhow!("--year: {year} is not a year from {} to {}", model::Year::MIN, model::Year::MAX))?
                .get();
            let store = open(&cli.db).await?;
            if peers {
                let r = compute(&store).await;
                store.close().await;
                let found = app::check_peer_outliers(&r?, i32::from(year), indicator.as_deref(), threshold)?;
                return output::print_peer_outliers(&found, format);
            }
            let variable = variable.ok_or_else(|| anyhow!("--variable is required (or use --peers)"))?;
            let variable = VariableCode::parse(&variable).map_err(|e| anyhow!("--variable: {e}"))?;
            if outliers {
                let found = app::check_history_outliers(&store, &variable, year, threshold).await;
                store.close().await;
                return output::print_outliers(&found?, format);
            }
            let report = app::check_additivity(&store, &variable, year, tolerance).await;
            store.close().await;
            output::print_check(&report?, format)
        }
        Command::Audit(a) => {
            let store = open(&cli.db).await?;
            let r = audit_cmd::audit(&store, a).await;
            store.close().await;
            r
        }
        Command::Revert(a) => {
            let store = open(&cli.db).await?;
            let r = audit_cmd::revert(&store, a).await;
            store.close().await;
            r
        }
        Command::Imports { limit, format } => {
            let store = open(&cli.db).await?;
            let imports = store.imports(limit).await;
            store.close().await;
            output::print_imports(&imports?, format)
        }
        Command::Export { indicators, units, years, group, unit, format, columns, lang, out } => {
            let store = open(&cli.db).await?;
            let r = async {
                let c = compute(&store).await?;
                let extra = match (&group, &unit) {
                    (Some(g), Some(code)) => {
                        let u = c
                            .unit_index(TerytCode::parse_lenient(code).map_err(|e| anyhow!("--unit: {e}"))?.as_str())
                            .ok_or_else(|| anyhow!("--unit {code}: no unit with data"))?;
                        let y = c.snapshot.years().saturating_sub(1);
                        app::peer_group(&store, &c, u, y, g, &app::NearestSpec::default())
                            .await
                            .map_err(|e| anyhow!("--group: {e}"))?
                            .members(&c.snapshot, y)
                    }
                    (None, Some(code)) => {
                        vec![
                            c.unit_index(TerytCode::parse_lenient(code).map_err(|e| anyhow!("--unit: {e}"))?.as_str())
                                .ok_or_else(|| anyhow!("--unit {code}: no unit with data"))?,
                        ]
                    }
                    _ => Vec::new(),
                };
                let q = app::query::DataQuery::parse(&c, &indicators, &units, &years, &extra).map_err(|e| anyhow!("--{e}"))?;
                Ok::<_, anyhow::Error>((c, q))
            }
            .await;
            store.close().await;
            let (c, q) = r?;
            export_query(&c, &q, format, columns.as_deref(), &lang, out.as_deref())
        }
        Command::Report { unit, year, group, format, lang, out } => {
            let store = open(&cli.db).await?;
            let r = async {
                let demo = app::is_demo(&store).await.unwrap_or(false);
                let c = std::sync::Arc::new(compute(&store).await?);
                let portal = compose::portal::Portal::new(1, c, &[]);
                let code = TerytCode::parse_lenient(&unit).map_err(|e| anyhow!("--unit: {e}"))?;
                let l = compose::i18n::L { en: lang == "en" };
                let year = year.map(|y| y.to_string());
                let plan = compose::report::public_plan(&store, &portal.c, &code).await.map_err(|e| anyhow!("{e}"))?;
                compose::report::build(&store, &portal, l, &code, year.as_deref(), Some(&group), demo, plan.as_ref())
                    .await
                    .map_err(|e| anyhow!("{e}"))
            }
            .await;
            store.close().await;
            let report = r?;
            let bytes = match format {
                ReportFormat::Html => compose::report::html(&report).into_bytes(),
                ReportFormat::Pdf => compose::report::pdf(&report),
            };
            write_atomically(&out, &bytes)?;
            eprintln!("raport / report: {} ({} B)", out.display(), bytes.len());
            Ok(())
        }
        Command::Bench(BenchCommand::Import { rows, dir }) => bench::import(rows, dir).await,
        Command::Bench(BenchCommand::Boundaries { file, terc, format }) => bench::boundaries(file, terc, format),
        Command::Import(ImportCommand::Boundaries(a)) => {
            let opts = app::BoundaryImportOptions {
                date: a.date.as_deref().map(|s| parse_date_arg(s, "--date")).transpose()?,
                skip_unmatched: a.skip_unmatched,
                tolerance_m: a.tolerance,
                min_shared_m: a.min_border,
                simplify_m: a.simplify,
            };
            let store = open_to_import(&cli.db).await?;
            let r = app::import_boundaries(&store, &a.file, &opts).await;
            store.close().await;
            output::print_boundary_report(&r?, a.format)
        }
        Command::Neighbours { unit, level, format } => {
            let store = open(&cli.db).await?;
            let r = app::neighbours(&store, unit.as_deref(), level.as_deref()).await;
            store.close().await;
            output::print_neighbours(&r?, format)
        }
        Command::Bench(BenchCommand::Compute { country: Country { units, indicators, years }, dump, format }) => {
            bench::compute(units, indicators, years, dump, format)
        }
        Command::Bench(BenchCommand::Query { country: Country { units, indicators, years }, pick, format }) => {
            bench::query(units, indicators, years, pick, format)
        }
        Command::Bench(BenchCommand::Pages { country: Country { units, indicators, years }, renders, format }) => {
            bench::pages(units, indicators, years, renders, format).await
        }
        Command::Bench(BenchCommand::Load { country: Country { units, indicators, years }, dir, postgres, only_postgres, runs, format }) => {
            bench_load::load(bench_load::LoadArgs { units, indicators, years, dir, postgres, only_postgres, runs, format }).await
        }
        Command::Bench(BenchCommand::Overlay { country: Country { units, indicators, years }, changed, samples, format }) => {
            bench_overlay::overlay(units, indicators, years, changed, samples, format)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_of_a_database_url_is_found_to_be_scrubbed() {
        assert_eq!(password_of("postgres://postgres:S3cretPW@127.0.0.1:1/x").as_deref(), Some("S3cretPW"));
        assert_eq!(password_of("postgres://h/db?user=u&password=S3cret&sslmode=disable").as_deref(), Some("S3cret"));
        assert_eq!(password_of("postgres://postgres@127.0.0.1/test"), None);
        assert_eq!(password_of("sqlite:miernik.db"), None);
    }

    #[test]
    fn the_demo_database_is_db_typed_then_its_own() {
        assert_eq!(demo_database("sqlite:a.db", true, None).expect("typed"), "sqlite:a.db");
        assert_eq!(demo_database("sqlite:polska.db", false, None).expect("own"), "sqlite:miernik-demo.db");
        assert_eq!(demo_database("sqlite:polska.db", false, Some("sqlite:d.db".into())).expect("old name"), "sqlite:d.db");
        assert_eq!(demo_database("sqlite:d.db", true, Some("sqlite:d.db".into())).expect("the same twice"), "sqlite:d.db");
        assert!(demo_database("sqlite:a.db", true, Some("sqlite:b.db".into())).is_err());
    }
}
