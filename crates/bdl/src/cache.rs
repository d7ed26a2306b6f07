//! The on-disk cache of fetched pages: one file per request, named by the request, holding
//! the JSON exactly as received. Written atomically (a temporary file in the same directory,
//! synced, then renamed): a page is either fully there or absent, even after `kill -9`.
//! The directory also keeps `requests.log`, the times of past requests, so the quota
//! limiter counts requests of earlier runs.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::BdlError;

#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

fn io(path: &Path, source: std::io::Error) -> BdlError {
    BdlError::Io { path: path.display().to_string(), source }
}

impl Cache {
    /// Opens (creating) the cache directory; leftover temporary files of a killed run are removed.
    pub fn open(dir: &Path) -> Result<Cache, BdlError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        for e in std::fs::read_dir(dir).map_err(|e| io(dir, e))?.flatten() {
            if e.file_name().to_string_lossy().ends_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(Cache { dir: dir.to_owned() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of a request name (see [`crate::Series::page_name`]).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.path(name).is_file()
    }

    /// The cached text of a request, if there.
    pub fn get(&self, name: &str) -> Result<Option<String>, BdlError> {
        let p = self.path(name);
        match std::fs::read_to_string(&p) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&p, e)),
        }
    }

    /// Stores a request's text atomically.
    pub fn put(&self, name: &str, text: &str) -> Result<(), BdlError> {
        let dest = self.path(name);
        let tmp = self.dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &dest)?;
            if let Ok(d) = std::fs::File::open(&self.dir) {
                let _ = d.sync_all();
            }
            Ok(())
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(&dest, e)
        })
    }

    /// The request log's file.
    pub fn request_log(&self) -> PathBuf {
        self.dir.join("requests.log")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_stored_whole_and_leftovers_cleared() {
        let dir = tempfile::tempdir().expect("dir");
        let c = Cache::open(dir.path()).expect("open");
        assert_eq!(c.get("a.json").expect("get"), None);
        c.put("a.json", "{\"x\":1}").expect("put");
        assert_eq!(c.get("a.json").expect("get").as_deref(), Some("{\"x\":1}"));
        std::fs::write(dir.path().join(".b.json.1.tmp"), "{\"tot").expect("write");
        let c = Cache::open(dir.path()).expect("reopen");
        assert!(!dir.path().join(".b.json.1.tmp").exists(), "a half-written page of a killed run is removed");
        assert!(!c.contains("b.json"));
    }
}
