//! Readers of outside formats into model types: the GUS TERC register (CSV and XML),
//! observation files in the long layout (CSV, XLSX), BDL's web exports (CREL and CTAB), GUGiK's
//! list of areas (XLSX), the MF budget reports Rb-27S/Rb-28S (BeSTi@ XML), CKE's school results of the egzamin
//! ósmoklasisty (CSV) and boundary files
//! (GeoJSON, PRG shapefiles in EPSG:2180, converted by `projection`).
//!
//! Readers never panic on any input: every problem is an [`IngestError`] (the file cannot be
//! read at all) or a [`RowError`] (one row or cell is bad; the caller decides whether to
//! abort or skip). Both say where: file, line, column and field.
//!
//! Readers are bounded: every size that grows with the input — a record, a field, a sheet, an
//! unpacked workbook, a boundary file's positions — has a limit in [`limits`], checked before
//! the memory is spent, and error messages quote at most [`limits::QUOTE_CHARS`] characters
//! of input. A file of a known wrong kind (a GeoJSON given as observations) is refused naming
//! the subcommand that reads it ([`sniff`]).

pub mod areas;
pub mod bdl;
pub mod boundaries;
pub mod budget;
pub mod catalogue;
pub mod cke;
mod error;
pub mod form;
pub mod limits;
pub mod measure;
pub mod observations;
pub mod projection;
pub mod sheet;
pub mod sniff;
pub mod survey;
pub mod terc;
mod xlsx;

pub use areas::{AreaOptions, AreaReader, open_areas, read_areas};
pub use boundaries::{BoundaryFeature, BoundaryFile, Crs, ShapefileParts, parse_geojson, parse_shapefile, read_boundaries};
pub use budget::{BudgetOptions, BudgetReader, BudgetSummary, open_budget, read_budget};
pub use cke::{CkeOptions, CkeReader, CkeSummary, GminaIndex, SubjectSummary, open_cke, read_cke};
pub use error::{IngestError, RowError, tame};
pub use observations::{
    Layout, ObservationReader, ReadOptions, Record, RecordSource, SeriesMap, SeriesOutcome, SeriesTarget, VariableInfo, open_observations,
};
pub use terc::{TercFile, TercRow, read_terc};
