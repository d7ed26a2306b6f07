//! The API's quotas over all four windows and a limiter that keeps to them. Documented
//! limits (api.stat.gov.pl, "Limity"): without a key 5 requests a second, 100 in 15 minutes,
//! 1,000 in 12 hours, 10,000 in 7 days; with an X-ClientId key 10 / 500 / 5,000 / 50,000.
//! The limiter keeps the times of past requests (persisted in the cache's `requests.log`, so
//! a second run counts the first's) and says how long to wait before the next one; the same
//! arithmetic estimates how long a load takes.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Request limits: (window length in ms, requests allowed in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub windows: Vec<(u64, usize)>,
}

const SECOND: u64 = 1000;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;

impl Quota {
    /// The quota without a key.
    pub fn anonymous() -> Quota {
        Quota { windows: vec![(SECOND, 5), (15 * MINUTE, 100), (12 * HOUR, 1_000), (168 * HOUR, 10_000)] }
    }
    /// The quota with an X-ClientId key.
    pub fn with_key() -> Quota {
        Quota { windows: vec![(SECOND, 10), (15 * MINUTE, 500), (12 * HOUR, 5_000), (168 * HOUR, 50_000)] }
    }
    pub fn for_key(key: bool) -> Quota {
        if key { Quota::with_key() } else { Quota::anonymous() }
    }
    fn longest(&self) -> u64 {
        self.windows.iter().map(|w| w.0).max().unwrap_or(0)
    }
}

/// Past request times (ms since the Unix epoch, ascending) under a quota.
#[derive(Debug, Clone)]
pub struct Limiter {
    quota: Quota,
    times: VecDeque<u64>,
    log: Option<PathBuf>,
    tag: char,
}

impl Limiter {
    pub fn new(quota: Quota) -> Limiter {
        Limiter { quota, times: VecDeque::new(), log: None, tag: 'a' }
    }

    /// A limiter that reads and appends `path` (lines `MILLIS TAG`; `k` with a key, `a`
    /// without; only lines of the same tag count). A missing or damaged log counts as empty.
    pub fn persisted(quota: Quota, key: bool, path: &Path, now: u64) -> Limiter {
        let tag = if key { 'k' } else { 'a' };
        let horizon = now.saturating_sub(quota.longest());
        let mut times: Vec<u64> = std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (t, g) = l.split_once(' ')?;
                (g.trim().starts_with(tag)).then_some(())?;
                t.parse::<u64>().ok()
            })
            .filter(|t| *t >= horizon && *t <= now)
            .collect();
        times.sort_unstable();
        Limiter { quota, times: times.into(), log: Some(path.to_owned()), tag }
    }

    /// How long to wait at `now` before the next request keeps every window.
    pub fn wait(&self, now: u64) -> u64 {
        let mut wait = 0;
        for &(len, limit) in &self.quota.windows {
            if limit == 0 {
                continue;
            }
            let start = now.saturating_sub(len);
            let first = self.times.partition_point(|t| *t <= start);
            let in_window = self.times.len() - first;
            if in_window >= limit {
                // The request that must leave the window before one more fits.
                let t = self.times[first + in_window - limit];
                wait = wait.max((t + len + 1).saturating_sub(now));
            }
        }
        wait
    }

    /// Notes a request sent at `now` (and appends it to the log).
    pub fn record(&mut self, now: u64) {
        let horizon = now.saturating_sub(self.quota.longest());
        while self.times.front().is_some_and(|t| *t < horizon) {
            self.times.pop_front();
        }
        let at = self.times.partition_point(|t| *t <= now);
        self.times.insert(at, now);
        if let Some(p) = &self.log
            && let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(p)
        {
            let _ = writeln!(f, "{now} {}", self.tag);
        }
    }

    /// How long `n` more requests take from `now` at full speed under the quota, counting
    /// the requests already made.
    pub fn estimate(&self, n: usize, now: u64) -> Duration {
        let mut sim = Limiter { quota: self.quota.clone(), times: self.times.clone(), log: None, tag: self.tag };
        let mut t = now;
        for _ in 0..n {
            t += sim.wait(t);
            sim.record(t);
        }
        Duration::from_millis(t - now)
    }
}

/// "3 h 20 min", "12 min", "40 s".
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s.div_ceil(60)),
        _ if s < 48 * 3600 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86400, (s % 86400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_window_is_kept() {
        let mut l = Limiter::new(Quota::anonymous());
        let t0 = 1_000_000_000;
        for i in 0..5 {
            assert_eq!(l.wait(t0 + i), 0);
            l.record(t0 + i);
        }
        assert!(l.wait(t0 + 5) > 0, "a sixth request in the same second waits");
        assert_eq!(l.wait(t0 + 1001), 0);
        // 100 requests spread over 14 minutes: the 101st waits for the 15-minute window.
        let mut l = Limiter::new(Quota::anonymous());
        for i in 0..100 {
            l.record(t0 + i * 8 * SECOND);
        }
        let now = t0 + 100 * 8 * SECOND;
        let w = l.wait(now);
        assert_eq!(w, t0 + 15 * MINUTE + 1 - now, "until the first leaves the window");
    }

    #[test]
    fn estimates_follow_the_fifteen_minute_window() {
        let now = 1_000_000_000;
        let anon = Limiter::new(Quota::anonymous()).estimate(300, now);
        let keyed = Limiter::new(Quota::with_key()).estimate(300, now);
        // 300 requests without a key: 100 at once, then two more 15-minute windows.
        assert!(anon >= Duration::from_secs(30 * 60) && anon < Duration::from_secs(31 * 60), "{anon:?}");
        assert!(keyed < Duration::from_secs(60), "{keyed:?}");
        let big = Limiter::new(Quota::anonymous()).estimate(2500, now);
        assert!(big > Duration::from_secs(24 * 3600), "the 12-hour window bites past 1,000: {big:?}");
    }

    #[test]
    fn the_log_carries_over_between_runs() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("requests.log");
        let now = 1_000_000_000;
        let mut l = Limiter::persisted(Quota::anonymous(), false, &p, now);
        for i in 0..100 {
            l.record(now + i);
        }
        let again = Limiter::persisted(Quota::anonymous(), false, &p, now + 200);
        assert!(again.wait(now + 200) > 10 * MINUTE, "the second run waits for the first run's window");
        let keyed = Limiter::persisted(Quota::with_key(), true, &p, now + 200);
        assert_eq!(keyed.wait(now + 200), 0, "requests without a key do not count against a key");
        assert_eq!(human(Duration::from_secs(3 * 3600 + 20 * 60)), "3 h 20 min");
    }
}
