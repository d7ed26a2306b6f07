//! The use-cases that the web portal and the CLI share: importing TERC states and
//! observation files, listing units, the history of a value, what changed, demo data.
//! Everything here is async over the [`store::Store`]; parsing runs on a blocking thread.

pub mod accounts;
pub mod audit;
mod boundaries;
pub mod campaigns;
mod checks;
mod compare;
pub mod coverage;
mod demo;
pub mod demo_cycle;
pub mod demo_exchange;
pub mod demo_people;
mod error;
pub mod evaluate;
pub mod exchange;
pub mod form_check;
pub mod form_xlsx;
pub mod functional_areas;
pub mod geometry;
pub mod groups;
mod hexgrid;
mod history;
mod import_cke;
mod import_formats;
mod import_obs;
mod indicators;
mod live;
pub mod nearest;
mod obs_units;
pub mod overlay;
pub mod plans;
pub mod practices;
pub mod query;
pub mod reorganisations;
pub mod revert;
mod rng;
mod slowly_changing;
pub mod surveys;
pub mod synth;
pub mod synth_store;
mod territory;
pub mod territory_changes;
mod units;

pub use boundaries::{BoundaryImportOptions, BoundaryImportReport, FeatureNote, NeighbourPair, import_boundaries, neighbours};
pub use checks::{AdditivityCheck, HistoryOutlier, PeerOutlier, SumMismatch, check_additivity, check_history_outliers, check_peer_outliers};
pub use compare::{
    Comparison, Finding, GROUP_HELP, PeerGroup, PeerRow, Peers, SavedGroup, UnitDiagnosis, compare, custom_groups, diagnose, diagnose_compared,
    locate, peer_group, save_custom_group, trend_words, year_index,
};
pub use coverage::{Coverage, Gap, ImportWay, IndicatorCoverage, InputCoverage, coverage};
pub use demo::{DEMO_MARKER_SOURCE, is_demo, load_demo};
pub use error::{AppError, Rejected};
pub use history::{ChangeRow, HistoryRow, changes_since, history};
pub use import_cke::{CkeImportOptions, CkeImportReport, import_cke};
pub use import_formats::{AreaImportOptions, AreaImportReport, BudgetImportReport, import_areas, import_budget};
pub use import_obs::{ObsImportOptions, ObsImportReport, OpenSource, import_observations, import_records};
pub use indicators::{Computed, IndicatorDef, Timing, UnitForms, VariableInfo, compute, compute_timed, import_indicators};
pub use ingest::BudgetOptions;
pub use live::{BuildStats, LiveSnapshot};
pub use obs_units::{JstConflict, RecordRef};
pub use overlay::{PendingCell, Private, UnitOverlay};
pub use store::backup;
pub use store::notify::ChangeListener;
pub use territory::{KnownChanges, UnitsImportReport, import_units, plan_territory};
pub use units::{Ancestor, UnitCard, UnitFilter, UnitListing, list_units, unit_card};

/// The engine's reading types, for the pages that show them.
pub use engine::diagnosis::Trend;
pub use engine::snapshot::{RankIndex, Snapshot};
pub use engine::stats::{Band, GroupStats, Position, Verdict, band, verdict};
pub use nearest::NearestSpec;
pub use store::{ImportCounts, ImportInfo, OpenOptions, PoolStats, Store, StoreError, redact_url};
