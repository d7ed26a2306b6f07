//! What several test binaries share: the demo database, generated once per binary.

/// One demo database for the whole binary (generating it takes a while), its write-ahead
/// log folded into the file; each test opens its own store on it or works on its own copy.
pub fn demo_file() -> &'static std::path::Path {
    static FILE: std::sync::OnceLock<(tempfile::TempDir, std::path::PathBuf)> = std::sync::OnceLock::new();
    &FILE
        .get_or_init(|| {
            std::thread::spawn(|| {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("demo.db");
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async {
                    let store = app::Store::open(&format!("sqlite:{}", path.display())).await.expect("store");
                    assert!(app::load_demo(&store).await.expect("demo loads"));
                    // Every committed change into the file itself: the tests copy the file, and a
                    // copy without the write-ahead log is a malformed or older database.
                    store.checkpoint().await.expect("checkpoint");
                    store.close().await;
                });
                // The last connection's close folds the write-ahead log into the file; the copies
                // are taken after it has (a copy of the file alone would miss the demo's people).
                let wal = dir.path().join("demo.db-wal");
                let since = std::time::Instant::now();
                while wal.exists() && since.elapsed() < std::time::Duration::from_secs(30) {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                (dir, path)
            })
            .join()
            .expect("demo generated")
        })
        .1
}
