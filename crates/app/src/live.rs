//! The snapshot in service: readers take the current one (an `Arc` clone under a lock held
//! for nanoseconds), a refresh computes a new one from the store *outside* the lock and then
//! swaps it in, so reads never wait for a rebuild and a reader keeps the snapshot it took
//! for as long as it holds it. Refreshes do not overlap: a second one waits for the first.
//!
//! Every change of data is an entry of the import log, so the newest entry's id is the
//! data's version: [`LiveSnapshot::refresh_if_changed`] rebuilds only when it moved, which a
//! serving process polls (another process's import, on either backend, reaches it).
//!
//! Beside the public snapshot it keeps the *private* view ([`Private`], `overlay.rs`): the
//! public one with the approved but unpublished questionnaire values applied unit by unit
//! (`Snapshot::update_unit`, no rebuild), for those allowed to read them. It is rebuilt from
//! the store's pending values after every public rebuild and whenever the *pending version*
//! moves ([`LiveSnapshot::refresh_private_if_changed`], polled with the import log: the count
//! and id sum of the approved, unpublished submissions and their newest `updated_at`, one
//! aggregate query, so another node's approval arrives within a poll), and patched for one unit
//! right after an approval on this node ([`LiveSnapshot::apply_pending`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use store::{PendingVersion, Store};

use crate::overlay::{PendingCell, Private};
use crate::{AppError, Computed, compute_timed};

/// The current snapshot of a running service and its version.
#[derive(Debug, Default)]
pub struct LiveSnapshot {
    current: RwLock<Option<Arc<Computed>>>,
    version: AtomicU64,
    /// The newest import-log id the current snapshot has seen (under the refresh lock).
    refreshing: tokio::sync::Mutex<Option<i64>>,
    /// The private view over the public snapshot of its `public_version`.
    private: RwLock<Option<Arc<Private>>>,
    /// Serialises changes of the private view; the pending version it was built at.
    private_refresh: tokio::sync::Mutex<Option<PendingVersion>>,
    /// How the current snapshot was built (for `/metrics`).
    stats: RwLock<Option<BuildStats>>,
    /// Wakes the serving process's watcher after a write on this node ([`LiveSnapshot::wake`]).
    wake: tokio::sync::Notify,
}

/// How the snapshot in service was built: its version, when, and how long reading the store
/// and computing took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BuildStats {
    pub version: u64,
    /// When it was swapped in.
    pub built_at: std::time::SystemTime,
    /// Seconds spent reading the store (units, catalogue, observations).
    pub load_seconds: f64,
    /// Seconds spent computing (the engine).
    pub compute_seconds: f64,
}

impl LiveSnapshot {
    pub fn new() -> LiveSnapshot {
        LiveSnapshot::default()
    }

    /// How the snapshot in service was built; `None` before the first build.
    pub fn build_stats(&self) -> Option<BuildStats> {
        *self.stats.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Tells the watcher that this node has just written data (a publication, a revert):
    /// it looks at once instead of at its next poll or notice.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Returns when [`LiveSnapshot::wake`] was called (once per call; a call while nobody
    /// waits is kept for the next wait).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// The current snapshot, if one has been built.
    pub fn get(&self) -> Option<Arc<Computed>> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// How many snapshots have been swapped in (0: none yet); a cache key for pages.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The current snapshot with its version, read together (a swap cannot fall between).
    pub fn get_versioned(&self) -> Option<(Arc<Computed>, u64)> {
        let g = self.current.read().unwrap_or_else(|p| p.into_inner());
        g.clone().map(|c| (c, self.version.load(Ordering::Acquire)))
    }

    /// Swaps in `next` and returns the new version.
    pub fn install(&self, next: Computed) -> u64 {
        let next = Arc::new(next);
        // The version moves under the write lock, so `get_versioned` sees both or neither.
        let mut g = self.current.write().unwrap_or_else(|p| p.into_inner());
        *g = Some(next);
        self.version.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Rebuilds from the store and swaps the result in; readers go on with the old one
    /// meanwhile. On an error the old snapshot stays.
    pub async fn refresh(&self, store: &Store) -> Result<u64, AppError> {
        let mut seen = self.refreshing.lock().await;
        self.rebuild(store, &mut seen).await
    }

    /// Rebuilds when the import log has moved since the last build (or nothing is built
    /// yet); returns the new version, or `None` when nothing changed.
    pub async fn refresh_if_changed(&self, store: &Store) -> Result<Option<u64>, AppError> {
        let mut seen = self.refreshing.lock().await;
        if self.get().is_some() && *seen == latest_import(store).await? {
            return Ok(None);
        }
        self.rebuild(store, &mut seen).await.map(Some)
    }

    /// Builds and swaps in, under the refresh lock (`seen` is what it guards).
    async fn rebuild(&self, store: &Store, seen: &mut Option<i64>) -> Result<u64, AppError> {
        // Read the version before computing: a change landing meanwhile triggers the next one.
        let latest = latest_import(store).await?;
        let (next, timing) = compute_timed(store).await?;
        *seen = latest;
        let version = self.install(next);
        *self.stats.write().unwrap_or_else(|p| p.into_inner()) = Some(BuildStats {
            version,
            built_at: std::time::SystemTime::now(),
            load_seconds: timing.load_seconds,
            compute_seconds: timing.compute_seconds,
        });
        Ok(version)
    }
}

/// The private view: reading it, rebuilding it, patching one unit.
impl LiveSnapshot {
    /// The private view, over the public snapshot of its [`Private::public_version`]: after a
    /// public swap the previous view is served until the one over the new snapshot is built
    /// (a consistent view a moment old, rather than none). `None` before the first build.
    /// With nothing pending it is the public snapshot itself ([`Private::is_public`]).
    pub fn private(&self) -> Option<Arc<Private>> {
        self.private.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn install_private(&self, next: Private) -> Arc<Private> {
        let next = Arc::new(next);
        *self.private.write().unwrap_or_else(|p| p.into_inner()) = Some(next.clone());
        next
    }

    /// Brings the private view in line with every pending value, over the current public
    /// snapshot: built whole over a new public snapshot, else only the units whose pending
    /// values changed are updated (`None`: no public snapshot yet).
    pub async fn refresh_private(&self, store: &Store) -> Result<Option<Arc<Private>>, AppError> {
        let mut seen = self.private_refresh.lock().await;
        self.rebuild_private(store, &mut seen).await
    }

    /// Rebuilds the private view when the public snapshot moved since it was built, or the
    /// pending version did (an approval or publication here or on another node); `true` when
    /// it was rebuilt. The serving process polls this after [`LiveSnapshot::refresh_if_changed`].
    pub async fn refresh_private_if_changed(&self, store: &Store) -> Result<bool, AppError> {
        let mut seen = self.private_refresh.lock().await;
        if self.get().is_none() {
            return Ok(false);
        }
        let current = self.private.read().unwrap_or_else(|p| p.into_inner()).as_ref().map(|p| p.public_version());
        if current == Some(self.version()) && seen.as_ref() == Some(&store.pending_version().await?) {
            return Ok(false);
        }
        Ok(self.rebuild_private(store, &mut seen).await?.is_some())
    }

    async fn rebuild_private(&self, store: &Store, seen: &mut Option<PendingVersion>) -> Result<Option<Arc<Private>>, AppError> {
        let Some((public, version)) = self.get_versioned() else {
            return Ok(None);
        };
        // The version first: an approval landing meanwhile moves it and brings the next rebuild.
        let pending_version = store.pending_version().await?;
        let pending = pending_cells(store).await?;
        // Over the same public snapshot only the units whose pending set changed are updated.
        let current = self.private().filter(|p| p.public_version() == version);
        let next = tokio::task::spawn_blocking(move || match current {
            Some(c) => c.sync(&pending),
            None => Private::build(public, version, &pending),
        })
        .await
        .map_err(|e| AppError::Invalid(format!("the private view was not built: {e}")))?;
        *seen = Some(pending_version);
        Ok(Some(self.install_private(next)))
    }

    /// After an approval of `unit_id`'s answers on this node: reads that unit's pending
    /// values and applies them with one `update_unit` on the current private view (off the
    /// async workers), so that those allowed see them within a second, without a rebuild.
    /// A view over an older public snapshot is patched all the same (the poll rebuilds it over
    /// the new one); with no view yet it is built. `None`: no public snapshot yet.
    pub async fn apply_pending(&self, store: &Store, unit_id: i64) -> Result<Option<Arc<Private>>, AppError> {
        let mut seen = self.private_refresh.lock().await;
        let Some(base) = self.private() else {
            return self.rebuild_private(store, &mut seen).await;
        };
        let mine: Vec<PendingCell> = pending_cells(store).await?.into_iter().filter(|c| c.unit_id == unit_id).collect();
        let next = tokio::task::spawn_blocking(move || base.with_unit(unit_id, &mine))
            .await
            .map_err(|e| AppError::Invalid(format!("the private view was not updated: {e}")))?;
        // The pending version seen is left as it was: another unit's approval read in the
        // same version would otherwise be missed. The next poll syncs, finding this unit done.
        Ok(Some(self.install_private(next)))
    }
}

/// Every approved, unpublished value ([`crate::campaigns::pending_values`]).
async fn pending_cells(store: &Store) -> Result<Vec<PendingCell>, AppError> {
    Ok(crate::campaigns::pending_values(store)
        .await?
        .into_iter()
        .map(|p| PendingCell { unit_id: p.unit_id, variable_code: p.variable_code, year: p.year, value: Some(p.value), campaign_id: p.campaign_id })
        .collect())
}

async fn latest_import(store: &Store) -> Result<Option<i64>, AppError> {
    Ok(store.imports(1).await?.first().map(|i| i.id))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;

    #[tokio::test]
    async fn readers_keep_their_snapshot_and_a_refresh_follows_the_import_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&format!("sqlite:{}", dir.path().join("live.db").display())).await.expect("store");
        crate::load_demo(&store).await.expect("demo");
        let live = LiveSnapshot::new();
        assert!(live.get().is_none());
        assert_eq!(live.refresh_if_changed(&store).await.expect("first build"), Some(1));
        assert_eq!(live.refresh_if_changed(&store).await.expect("no change"), None, "nothing imported since");
        let old = live.get().expect("built");
        let s = &old.snapshot;
        let (i, y) = (s.indicator_index("DEM_01").expect("density"), s.years() - 1);
        let u = (0..s.units()).find(|&u| s.value(i, u, y).is_some()).expect("a unit with a density");
        let before = s.value(i, u, y);

        // Another import doubles that unit's population: the next refresh sees it, the
        // reader holding the old snapshot does not.
        let var = store.variables().await.expect("vars").into_iter().find(|v| v.code == "ludnosc").expect("ludnosc").id;
        let year = i64::from(s.first_year()) + y as i64;
        let pop = store.values(var, year).await.expect("values").into_iter().find(|r| r.0 == old.unit_ids[u]).and_then(|r| r.1).expect("pop");
        let mut import = store.begin_observation_import("test", "live").await.expect("begin");
        import.write(vec![store::ObsRow { variable_id: var, unit_id: old.unit_ids[u], year, value: Some(pop * 2.0), flag: 0 }]).await.expect("write");
        import.finish(1, 1, 0).await.expect("finish");
        assert_eq!(live.refresh_if_changed(&store).await.expect("rebuilt"), Some(2));
        assert_eq!(old.snapshot.value(i, u, y), before, "the old snapshot is untouched");
        let now = live.get().expect("new").snapshot.value(i, u, y).expect("density");
        assert!((now - 2.0 * before.expect("before")).abs() < 1e-6 * now.abs(), "{now} vs {before:?}");
        assert_eq!(live.version(), 2);
    }

    /// A unit (snapshot index), a variable it has a value of in year index `y` that feeds an
    /// indicator with a value there (not the population: that moves typology groups).
    fn input_of(c: &Computed) -> (usize, usize, usize, usize) {
        let s = &c.snapshot;
        let y = s.years() - 1;
        for u in 0..s.units() {
            for i in 0..s.indicator_count() {
                for &v in c.inputs.get(i).into_iter().flatten() {
                    let v = v as usize;
                    if c.variables[v].code != "ludnosc" && s.value(i, u, y).is_some() && s.variable(v, u, y).is_some() {
                        return (u, i, v, y);
                    }
                }
            }
        }
        panic!("no unit with an indicator input");
    }

    /// Submits and approves `value` for (`unit_id`, `variable`) in a campaign of `year`.
    async fn approve(store: &Store, unit_id: i64, variable: &str, year: i64, value: f64) -> i64 {
        let actor = store::Actor::named("test");
        let (form, _) = store.add_form(&format!("f{unit_id}"), "test", "[form]", &actor).await.expect("form");
        let row = store::NewCampaignRow {
            form_id: form,
            name: format!("c{unit_id}"),
            year,
            deadline: "2099-01-01".into(),
            publish_on: "2099-12-31".into(),
            unit_ids: vec![unit_id],
        };
        let campaign = store.add_campaign(&row, &actor).await.expect("campaign");
        let fv = store::FieldValue { field: variable.into(), value: Some(value), raw: None, comment: None };
        let saved = store.save_submission(campaign, unit_id, &[fv], true, &actor).await.expect("submit");
        store.approve_submission(saved.submission.id, &actor).await.expect("approve");
        campaign
    }

    #[tokio::test]
    async fn approvals_reach_the_private_view_only_here_and_from_another_node() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&format!("sqlite:{}", dir.path().join("private.db").display())).await.expect("store");
        crate::load_demo(&store).await.expect("demo");
        let live = LiveSnapshot::new();
        assert!(live.private().is_none());
        live.refresh(&store).await.expect("build");
        assert!(live.private().is_none(), "not built yet");
        assert!(live.refresh_private_if_changed(&store).await.expect("private"));
        let first = live.private().expect("private view");
        // The demo holds one approved, unpublished answer (its campaign is for its last year):
        // the view starts from it; with nothing pending it would be the public snapshot itself.
        let pending = crate::campaigns::pending_values(&store).await.expect("pending");
        assert!(!pending.is_empty(), "the demo has an approved answer");
        assert!(!first.is_public() && first.units().count() > 0, "the demo's pending answer is applied");
        assert!(!live.refresh_private_if_changed(&store).await.expect("unchanged"));

        let public = live.get().expect("public");
        let (u, i, v, y) = input_of(&public);
        let year = i64::from(public.snapshot.first_year()) + y as i64;
        let code = public.variables[v].code.clone();
        approve(&store, public.unit_ids[u], &code, year, 987_654.321).await;
        // This node approved: the unit is applied at once.
        let p = live.apply_pending(&store, public.unit_ids[u]).await.expect("apply").expect("a view");
        assert_eq!(p.computed().snapshot.variable(v, u, y), Some(987_654.321));
        assert!(p.cell_marked(i, u, y) && p.input_marked(v, u, y), "marked");
        assert_ne!(p.computed().snapshot.value(i, u, y), public.snapshot.value(i, u, y));
        assert_eq!(live.get().expect("public").snapshot.variable(v, u, y), public.snapshot.variable(v, u, y), "the public snapshot is untouched");
        assert_eq!(live.version(), 1, "no rebuild");
        // The poll sees the pending version moved, and finds nothing left to update.
        assert!(live.refresh_private_if_changed(&store).await.expect("sync"));
        assert!(Arc::ptr_eq(live.private().expect("view").computed(), p.computed()), "the unit was not updated again");
        assert!(!live.refresh_private_if_changed(&store).await.expect("seen"));

        // Another node approves another unit: the poll brings it, the first one stays.
        let w = (0..public.snapshot.units()).find(|&w| w != u && public.snapshot.variable(v, w, y).is_some()).expect("another unit");
        approve(&store, public.unit_ids[w], &code, year, 123_456.0).await;
        assert!(live.refresh_private_if_changed(&store).await.expect("other node"));
        let q = live.private().expect("view");
        assert_eq!(q.computed().snapshot.variable(v, w, y), Some(123_456.0));
        assert_eq!(q.computed().snapshot.variable(v, u, y), Some(987_654.321));
        assert!(q.is_marked(u) && q.is_marked(w));

        // After a public rebuild the old view is served until the one over the new snapshot
        // is built.
        live.refresh(&store).await.expect("rebuild");
        assert_eq!(live.private().map(|p| p.public_version()), Some(1));
        assert!(live.refresh_private_if_changed(&store).await.expect("over the new one"));
        let r = live.private().expect("view");
        assert_eq!(r.public_version(), 2);
        assert!(r.is_marked(u) && r.is_marked(w));
    }

    #[test]
    fn reads_go_on_while_snapshots_are_swapped() {
        let live = Arc::new(LiveSnapshot::new());
        let make = |units: usize| {
            let s = engine::snapshot::Snapshot::build(engine::snapshot::Inputs {
                units,
                first_year: 2024,
                years: 1,
                variables: Vec::new(),
                indicators: Vec::new(),
                partitions: Vec::new(),
            });
            Computed::for_tests(s, units, model::UnitKind::GminaWiejska)
        };
        live.install(make(1));
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (live, stop) = (live.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut last = 0;
                let mut reads = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let c = live.get().expect("always a snapshot");
                    // Versions only grow and every snapshot is whole.
                    assert!(c.snapshot.units() >= last);
                    assert_eq!(c.codes.len(), c.snapshot.units());
                    last = c.snapshot.units();
                    reads += 1;
                }
                reads
            })
        };
        for n in 2..=99 {
            live.install(make(n));
        }
        stop.store(true, Ordering::Relaxed);
        assert!(reader.join().expect("reader") > 0);
        assert_eq!(live.version(), 99);
        assert_eq!(live.get().expect("last").snapshot.units(), 99);
    }
}
