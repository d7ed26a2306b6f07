//! The snapshot in service: readers take the current one (an `Arc` clone under a lock held
//! for nanoseconds), a refresh computes a new one from the store *outside* the lock and then
//! swaps it in, so reads never wait for a rebuild and a reader keeps the snapshot it took
//! for as long as it holds it. Refreshes do not overlap: a second one waits for the first.
//!
//! Every change of data is an entry of the import log, so the newest entry's id is the
//! data's version: [`LiveSnapshot::refresh_if_changed`] rebuilds only when it moved, which a
//! serving process polls (another process's import, on either backend, reaches it).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use store::Store;

use crate::{AppError, Computed, compute};

/// The current snapshot of a running service and its version.
#[derive(Debug, Default)]
pub struct LiveSnapshot {
    current: RwLock<Option<Arc<Computed>>>,
    version: AtomicU64,
    /// The newest import-log id the current snapshot has seen (under the refresh lock).
    refreshing: tokio::sync::Mutex<Option<i64>>,
}

impl LiveSnapshot {
    pub fn new() -> LiveSnapshot {
        LiveSnapshot::default()
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
        let next = compute(store).await?;
        *seen = latest;
        Ok(self.install(next))
    }
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
