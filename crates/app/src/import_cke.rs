//! Importing CKE's school-level results of the egzamin ósmoklasisty ([`ingest::cke`]),
//! aggregated to gminy, through the observation pipeline ([`import_records`]): one
//! transaction, all or nothing, revisions and the same report as any observation file.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use ingest::{CkeOptions, CkeSummary, GminaIndex, RecordSource};
use model::{UnitKind, Year};
use store::Store;

use crate::{AppError, ObsImportOptions, ObsImportReport, OpenSource, import_records};

#[derive(Debug, Clone, Default)]
pub struct CkeImportOptions {
    /// The exam year (default: the year in the file name).
    pub year: Option<Year>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CkeImportReport {
    pub obs: ObsImportReport,
    /// What the file held: schools read and skipped, takers per subject, gminy written.
    pub summary: CkeSummary,
}

/// Imports a CKE results file (CSV): per gmina and subject, the takers and the sum of their
/// schools' means weighted by takers (`cke8_S_zdajacy`, `cke8_S_suma`). A school of a town
/// or rural part (RODZ 4, 5) counts for its gmina, which must be in the register.
pub async fn import_cke(
    store: &Store,
    path: &Path,
    opts: &CkeImportOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<CkeImportReport, AppError> {
    let seen: Arc<Mutex<Option<CkeSummary>>> = Arc::new(Mutex::new(None));
    let read_opts = CkeOptions { year: opts.year, gminy: Some(gmina_index(store).await?) };
    let owned = path.to_owned();
    let note = seen.clone();
    let open: OpenSource = Arc::new(move || {
        let r = ingest::open_cke(&owned, &read_opts)?;
        if let Ok(mut n) = note.lock() {
            *n = Some(r.summary.clone());
        }
        let r: Box<dyn RecordSource> = Box::new(r);
        Ok(r)
    });
    let obs_opts = ObsImportOptions { source: Some("cke".to_owned()), ..ObsImportOptions::default() };
    let obs = import_records(store, &path.display().to_string(), open, &obs_opts, progress).await?;
    let summary = seen.lock().ok().and_then(|s| s.clone()).ok_or_else(|| AppError::Invalid(format!("{}: the reader stopped", path.display())))?;
    Ok(CkeImportReport { obs, summary })
}

/// The register's gminy for looking a school's gmina up: every code of a gmina → its current
/// code, and the first six digits of each current gmina → its code (a base shared by two
/// current gminy is left out); and each city with powiat rights' gmina → its city-powiat.
async fn gmina_index(store: &Store) -> Result<GminaIndex, AppError> {
    let units = store.units().await?;
    let gminy: HashMap<i64, &store::StoredUnit> = units.iter().filter(|u| u.kind.is_gmina()).map(|u| (u.id, u)).collect();
    let mut ix = GminaIndex::default();
    for c in store.unit_codes().await? {
        if let Some(u) = gminy.get(&c.unit_id) {
            ix.codes.insert(c.code.as_str().to_owned(), u.code.as_str().to_owned());
        }
    }
    let mut bases: HashMap<&str, Vec<&str>> = HashMap::new();
    for u in gminy.values().filter(|u| !u.historical && u.valid_to.is_none()) {
        if let Some(b) = u.code.gmina_base() {
            bases.entry(b).or_default().push(u.code.as_str());
        }
    }
    ix.by_base = bases.into_iter().filter(|(_, c)| c.len() == 1).map(|(b, c)| (b.to_owned(), c[0].to_owned())).collect();
    for u in units.iter().filter(|u| u.kind == UnitKind::MiastoNaPrawachPowiatu && !u.historical && u.valid_to.is_none()) {
        if let Some(g) = u.same_jst_id.and_then(|id| gminy.get(&id)) {
            ix.city_powiats.insert(g.code.as_str().to_owned(), u.code.as_str().to_owned());
        }
    }
    Ok(ix)
}
