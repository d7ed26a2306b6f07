//! HTTP caching of rendered pages: a page is rendered once per snapshot version and kept
//! with its gzip form, a strong ETag (a hash of the bytes) and a Last-Modified (when the
//! snapshot was installed); conditional requests get 304. The cache is emptied whenever
//! the snapshot version moves, and is bounded in bytes (emptied when full: pages are cheap
//! to render again, and a crawl of odd query strings cannot grow it without limit).

use std::collections::HashMap;
use std::hash::Hasher;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One rendered page, ready to send.
#[derive(Debug)]
pub struct CachedPage {
    pub body: Bytes,
    pub gzip: Option<Bytes>,
    pub etag: HeaderValue,
    pub last_modified: HeaderValue,
    pub content_type: &'static str,
}

impl CachedPage {
    pub fn new(body: String, content_type: &'static str, modified: SystemTime) -> CachedPage {
        let body = Bytes::from(body);
        // SipHash of the bytes and their length: a strong validator for exactly these bytes.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        h.write(&body);
        let etag = format!("\"{:016x}-{:x}\"", h.finish(), body.len());
        let gzip = (body.len() > 1024).then(|| gzip(&body)).flatten();
        CachedPage {
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
            last_modified: HeaderValue::from_str(&http_date(modified)).unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT")),
            body,
            gzip,
            content_type,
        }
    }

    /// The response to a request with `headers`: 304 when its validators match, else the
    /// page, gzipped when the client takes gzip. A page the same for every reader.
    pub fn respond(&self, headers: &HeaderMap) -> Response {
        self.respond_as(headers, Sharing::Public)
    }

    /// As [`CachedPage::respond`], saying who may keep the page (see [`Sharing`]). The ETag
    /// is a hash of the bytes, so it covers whatever the page was made from, the reader's
    /// groups included.
    pub fn respond_as(&self, headers: &HeaderMap, sharing: Sharing) -> Response {
        let (cache_control, vary) = match sharing {
            Sharing::Public => ("public, max-age=60", "Accept-Encoding"),
            Sharing::PublicPerCookie => ("public, max-age=60", "Accept-Encoding, Cookie"),
            Sharing::Private => ("private, no-cache", "Accept-Encoding, Cookie"),
        };
        let common = [
            (header::ETAG, self.etag.clone()),
            (header::LAST_MODIFIED, self.last_modified.clone()),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache_control)),
            (header::VARY, HeaderValue::from_static(vary)),
        ];
        if not_modified(headers, &self.etag, &self.last_modified) {
            return (StatusCode::NOT_MODIFIED, common).into_response();
        }
        let ct = (header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        match &self.gzip {
            Some(gz) if accepts_gzip(headers) => {
                (common, [ct, (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))], gz.clone()).into_response()
            }
            _ => (common, [ct], self.body.clone()).into_response(),
        }
    }
}

/// Who may keep a page, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// The same for every reader: any cache may keep it for a minute.
    Public,
    /// A page that would differ for a reader with groups of their own (the card, the
    /// indicator page, the table builder), sent to a reader without them: shared caches may
    /// keep it, but only for requests with the same cookies.
    PublicPerCookie,
    /// Made for this reader (it lists their groups): only their browser may keep it, and it
    /// asks again (ETag, 304) before every reuse, so a group just made shows at once.
    Private,
}

/// A page made for one request and kept nowhere (`no-store`: the report, which reads the
/// store), gzipped when the client takes gzip and the page is worth it.
pub fn respond_uncached(body: String, content_type: &'static str, headers: &HeaderMap) -> Response {
    let common = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::VARY, HeaderValue::from_static("Accept-Encoding")),
    ];
    let zipped = (body.len() > 1024 && accepts_gzip(headers)).then(|| gzip(body.as_bytes())).flatten();
    match zipped {
        Some(gz) => (common, [(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))], gz).into_response(),
        None => (common, body).into_response(),
    }
}

/// Whether the request's `If-None-Match` (or, without one, `If-Modified-Since`) says the
/// client has this page.
fn not_modified(headers: &HeaderMap, etag: &HeaderValue, last_modified: &HeaderValue) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        let ours = etag.to_str().unwrap_or("");
        return inm.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == "*" || t == ours);
    }
    match (headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()), last_modified.to_str().ok()) {
        (Some(since), Some(ours)) => match (parse_http_date(since), parse_http_date(ours)) {
            (Some(since), Some(ours)) => ours <= since,
            _ => false,
        },
        _ => false,
    }
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|enc| {
        let mut parts = enc.split(';');
        let name = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| matches!(p.trim().strip_prefix("q=").map(str::trim), Some("0" | "0.0" | "0.00" | "0.000")));
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

fn gzip(data: &[u8]) -> Option<Bytes> {
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 4), flate2::Compression::new(6));
    enc.write_all(data).ok()?;
    enc.finish().ok().map(Bytes::from)
}

const HTTP_DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT");

/// An IMF-fixdate (RFC 9110), e.g. `Wed, 02 Dec 2026 11:20:00 GMT`.
pub fn http_date(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t).to_offset(time::UtcOffset::UTC);
    t.format(HTTP_DATE).unwrap_or_default()
}

fn parse_http_date(s: &str) -> Option<time::OffsetDateTime> {
    time::PrimitiveDateTime::parse(s.trim(), HTTP_DATE).ok().map(|t| t.assume_utc())
}

/// The cache of one serving process.
#[derive(Debug, Default)]
pub struct PageCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    version: u64,
    bytes: usize,
    pages: HashMap<String, Arc<CachedPage>>,
}

/// Beyond this the cache starts again empty.
const MAX_BYTES: usize = 256 << 20;

impl PageCache {
    /// The page kept for `key` at `version`, if any.
    pub fn get(&self, version: u64, key: &str) -> Option<Arc<CachedPage>> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if g.version != version {
            return None;
        }
        g.pages.get(key).cloned()
    }

    /// Forgets every page of the current version: after a write that pages show but that
    /// does not move the snapshot's version (an improvement plan on the unit card).
    pub fn clear(&self) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.pages.clear();
        g.bytes = 0;
    }

    /// Keeps `page` for `key` at `version` (a newer version empties the cache first).
    pub fn put(&self, version: u64, key: String, page: Arc<CachedPage>) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if g.version != version {
            if version < g.version {
                return;
            }
            g.pages.clear();
            g.bytes = 0;
            g.version = version;
        }
        let size = page.body.len() + page.gzip.as_ref().map_or(0, |z| z.len()) + key.len();
        if g.bytes + size > MAX_BYTES {
            g.pages.clear();
            g.bytes = 0;
        }
        g.bytes += size;
        if let Some(old) = g.pages.insert(key, page) {
            g.bytes -= old.body.len() + old.gzip.as_ref().map_or(0, |z| z.len());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn conditional_requests_get_304_only_when_they_match() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_764_000_000);
        let p = CachedPage::new("x".repeat(5000), "text/html; charset=utf-8", t);
        let etag = p.etag.to_str().unwrap().to_owned();
        assert_eq!(p.respond(&headers(&[(header::IF_NONE_MATCH, &etag)])).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(p.respond(&headers(&[(header::IF_NONE_MATCH, "\"other\"")])).status(), StatusCode::OK);
        let lm = http_date(t);
        assert_eq!(lm, "Mon, 24 Nov 2025 16:00:00 GMT");
        assert_eq!(p.respond(&headers(&[(header::IF_MODIFIED_SINCE, &lm)])).status(), StatusCode::NOT_MODIFIED);
        let earlier = http_date(t - std::time::Duration::from_secs(10));
        assert_eq!(p.respond(&headers(&[(header::IF_MODIFIED_SINCE, &earlier)])).status(), StatusCode::OK);
        assert_eq!(p.respond(&headers(&[(header::IF_MODIFIED_SINCE, "garbage")])).status(), StatusCode::OK);
        // If-None-Match wins over If-Modified-Since.
        assert_eq!(p.respond(&headers(&[(header::IF_NONE_MATCH, "\"other\""), (header::IF_MODIFIED_SINCE, &lm)])).status(), StatusCode::OK);
    }

    #[test]
    fn gzip_is_sent_only_to_clients_that_take_it() {
        let p = CachedPage::new("abc ".repeat(2000), "text/html; charset=utf-8", SystemTime::now());
        let gz = p.respond(&headers(&[(header::ACCEPT_ENCODING, "br, gzip;q=0.8")]));
        assert_eq!(gz.headers().get(header::CONTENT_ENCODING).unwrap(), "gzip");
        let plain = p.respond(&headers(&[(header::ACCEPT_ENCODING, "gzip;q=0")]));
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert!(p.respond(&HeaderMap::new()).headers().get(header::CONTENT_ENCODING).is_none());
        assert!(p.gzip.as_ref().unwrap().len() < p.body.len() / 10);
    }

    #[test]
    fn a_new_version_empties_the_cache_and_an_old_one_is_refused() {
        let c = PageCache::default();
        let page = |s: &str| Arc::new(CachedPage::new(s.to_owned(), "text/html", SystemTime::now()));
        c.put(1, "/a".into(), page("one"));
        assert!(c.get(1, "/a").is_some());
        assert!(c.get(2, "/a").is_none());
        c.put(2, "/b".into(), page("two"));
        assert!(c.get(2, "/a").is_none(), "version 2 starts empty");
        c.put(1, "/a".into(), page("late"));
        assert!(c.get(1, "/a").is_none() && c.get(2, "/a").is_none(), "a page of an older version is not kept");
        assert_eq!(&c.get(2, "/b").unwrap().body[..], b"two");
    }
}
