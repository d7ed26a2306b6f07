//! HTTP to the BDL API: a blocking `ureq` agent (run it on a blocking thread), the optional
//! `X-ClientId` key, the quota limiter before every request, and retries — `429` waits for
//! `Retry-After` (or backs off), `5xx`, timeouts and broken connections back off
//! exponentially with jitter. After the last retry the error names the URL and the status.
//! Other statuses (`400`, `404`) are not retried: the request itself is wrong, and neither is
//! a host name that does not resolve (no network, or a mistyped address: waiting will not
//! help). Each retry is told, as it happens, to the hook set by [`Client::on_retry`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{BdlError, Limiter, Quota};

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// e.g. `https://bdl.stat.gov.pl/api/v1` or a mirror; no trailing slash needed.
    pub base_url: String,
    pub client_id: Option<String>,
    /// For the whole of one request, body included.
    pub timeout: Duration,
    /// Retries after the first attempt (429, 5xx, timeouts).
    pub retries: u32,
    /// The first backoff; doubled on every retry, capped at `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// The longest wait the quota (or a `Retry-After`) may impose before giving up.
    pub max_wait: Duration,
    /// Quota override (tests, a mirror without limits); default from the key.
    pub quota: Option<Quota>,
}

impl ClientOptions {
    pub fn new(base_url: &str, client_id: Option<String>) -> ClientOptions {
        ClientOptions {
            base_url: base_url.trim_end_matches('/').to_owned(),
            client_id: client_id.filter(|k| !k.trim().is_empty()),
            timeout: Duration::from_secs(60),
            retries: 6,
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
            max_wait: Duration::from_secs(8 * 24 * 3600),
            quota: None,
        }
    }
}

/// A retry about to happen: told to the [`Client::on_retry`] hook before the wait.
#[derive(Debug, Clone, Copy)]
pub struct Retry<'a> {
    pub url: &'a str,
    /// The attempt that failed, from 1.
    pub attempt: u32,
    /// All attempts allowed (retries + 1).
    pub attempts: u32,
    /// Why it failed: `HTTP 503`, `timeout`, the connection error.
    pub reason: &'a str,
    /// How long until the next attempt.
    pub wait: Duration,
}

type RetryHook = Box<dyn FnMut(&Retry<'_>) + Send>;

/// A BDL client: one agent, one limiter.
pub struct Client {
    agent: ureq::Agent,
    opts: ClientOptions,
    limiter: Limiter,
    /// Requests actually sent (attempts included).
    pub sent: u64,
    on_retry: Option<RetryHook>,
}

/// The host name of a URL (`bdl.stat.gov.pl`).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.starts_with('[') { host.split_once(']').map_or(host, |(h, _)| &h[1..]) } else { host.split(':').next().unwrap_or(host) }
}

/// Whether a transport error is a failed name lookup; its words if so. std reports a failed
/// `getaddrinfo` as an `io::Error` "failed to lookup address information: …"; ureq says
/// `HostNotFound` when the lookup found no address, `Timeout(Resolve)` when it took too long.
fn lookup_failure(e: &ureq::Error) -> Option<String> {
    match e {
        ureq::Error::HostNotFound => Some("no address found".to_owned()),
        ureq::Error::Timeout(ureq::Timeout::Resolve) => Some("the name lookup timed out".to_owned()),
        ureq::Error::Io(io) if io.to_string().contains("failed to lookup address") => Some(io.to_string()),
        _ => None,
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn jitter(max: u64, salt: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    // splitmix64 over the clock: enough spread for backoff, no RNG dependency.
    let mut z = now_ms().wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_add(u64::from(std::process::id()));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % max
}

impl Client {
    /// A client whose limiter persists in `request_log` (the cache's) when given.
    pub fn new(opts: ClientOptions, request_log: Option<&std::path::Path>) -> Client {
        let key = opts.client_id.is_some();
        let quota = opts.quota.clone().unwrap_or_else(|| Quota::for_key(key));
        let limiter = match request_log {
            Some(p) => Limiter::persisted(quota, key, p, now_ms()),
            None => Limiter::new(quota),
        };
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(opts.timeout))
            .timeout_resolve(Some(opts.timeout.min(Duration::from_secs(15))))
            .http_status_as_error(false)
            .user_agent(concat!("miernik/", env!("CARGO_PKG_VERSION")))
            .build();
        Client { agent: ureq::Agent::new_with_config(config), opts, limiter, sent: 0, on_retry: None }
    }

    /// Tells `f` of every retry before its wait (so a user sees why nothing arrives).
    pub fn on_retry(&mut self, f: impl FnMut(&Retry<'_>) + Send + 'static) {
        self.on_retry = Some(Box::new(f));
    }

    pub fn has_key(&self) -> bool {
        self.opts.client_id.is_some()
    }

    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// The full URL of a path and query (`data/by-variable/3643?unit-level=6`).
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}/{}", self.opts.base_url, path_and_query.trim_start_matches('/'))
    }

    fn wait_for_quota(&mut self) -> Result<(), BdlError> {
        loop {
            let w = self.limiter.wait(now_ms());
            if w == 0 {
                return Ok(());
            }
            if Duration::from_millis(w) > self.opts.max_wait {
                return Err(BdlError::Quota(format!(
                    "the BDL quota allows the next request in {}; run again later (the cache keeps what was fetched)",
                    crate::quota::human(Duration::from_millis(w))
                )));
            }
            std::thread::sleep(Duration::from_millis(w));
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = u64::try_from(self.opts.backoff.as_millis()).unwrap_or(u64::MAX);
        let cap = u64::try_from(self.opts.max_backoff.as_millis()).unwrap_or(u64::MAX);
        let d = base.saturating_mul(1u64 << attempt.min(20)).min(cap);
        Duration::from_millis(d / 2 + jitter(d / 2 + 1, u64::from(attempt)))
    }

    /// GET with quota, key and retries; the body as text on 200.
    pub fn get(&mut self, path_and_query: &str) -> Result<String, BdlError> {
        let url = self.url(path_and_query);
        let attempts = self.opts.retries + 1;
        let mut last: BdlError = BdlError::Invalid(format!("{url}: not requested"));
        for attempt in 0..attempts {
            self.wait_for_quota()?;
            self.limiter.record(now_ms());
            self.sent += 1;
            let mut req = self.agent.get(&url).header("Accept", "application/json");
            if let Some(k) = &self.opts.client_id {
                req = req.header("X-ClientId", k);
            }
            let wait = match req.call() {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
                    let body = resp.body_mut().read_to_string();
                    match (status, body) {
                        (200, Ok(text)) => return Ok(text),
                        (200, Err(e)) => {
                            last = BdlError::Transport { url: url.clone(), attempts: attempt + 1, message: format!("reading the answer: {e}") };
                            self.backoff(attempt)
                        }
                        (429, body) => {
                            last = BdlError::Http { url: url.clone(), status, attempts: attempt + 1, message: snippet(body.ok()) };
                            match retry_after {
                                Some(s) if Duration::from_secs(s) > self.opts.max_wait => {
                                    return Err(BdlError::Quota(format!(
                                        "{url}: HTTP 429, the API asks to wait {} (Retry-After); run again later (the cache keeps what was fetched)",
                                        crate::quota::human(Duration::from_secs(s))
                                    )));
                                }
                                Some(s) => Duration::from_secs(s),
                                None => self.backoff(attempt),
                            }
                        }
                        (500..=599, body) => {
                            last = BdlError::Http { url: url.clone(), status, attempts: attempt + 1, message: snippet(body.ok()) };
                            self.backoff(attempt)
                        }
                        (_, body) => {
                            return Err(BdlError::Http { url, status, attempts: attempt + 1, message: snippet(body.ok()) });
                        }
                    }
                }
                Err(e) => {
                    if let Some(message) = lookup_failure(&e) {
                        return Err(BdlError::HostNotFound { host: host_of(&url).to_owned(), url, message });
                    }
                    last = BdlError::Transport { url: url.clone(), attempts: attempt + 1, message: e.to_string() };
                    self.backoff(attempt)
                }
            };
            if attempt + 1 < attempts {
                if let Some(f) = &mut self.on_retry {
                    let reason = match &last {
                        BdlError::Http { status, message, .. } if message.is_empty() => format!("HTTP {status}"),
                        BdlError::Http { status, message, .. } => format!("HTTP {status}: {message}"),
                        BdlError::Transport { message, .. } => message.clone(),
                        other => other.to_string(),
                    };
                    f(&Retry { url: &url, attempt: attempt + 1, attempts, reason: &reason, wait });
                }
                std::thread::sleep(wait);
            }
        }
        Err(last)
    }
}

fn snippet(body: Option<String>) -> String {
    let b = body.unwrap_or_default();
    let t = b.trim();
    if t.chars().count() > 200 { format!("{}…", t.chars().take(200).collect::<String>()) } else { t.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn the_host_is_read_out_of_the_url() {
        for (url, host) in [
            ("https://bdl.stat.gov.pl/api/v1/data?x=1", "bdl.stat.gov.pl"),
            ("http://127.0.0.1:8080/api/v1", "127.0.0.1"),
            ("http://user:pw@mirror.example:81/a", "mirror.example"),
            ("http://[::1]:8080/a", "::1"),
            ("nonexistent.invalid", "nonexistent.invalid"),
        ] {
            assert_eq!(host_of(url), host, "{url}");
        }
    }
}
