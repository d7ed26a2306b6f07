//! What to fetch and the fetch loop. A [`Series`] is one BDL variable at one unit level over
//! some years: `/data/by-variable/{id}?unit-level=L&year=…&page-size=100&page=k`, pages
//! counted from 0. Page 0 says how many records there are (`totalRecords`), hence how many
//! pages. Every page is checked to be a data page of the documented shape, then stored in
//! the cache as received; pages already cached are never requested again.

use std::time::Duration;

use model::VariableCode;

use crate::page::{parse_data_page, parse_envelope};
use crate::{BdlError, Cache, Client, Limiter, PAGE_SIZE, Quota};

/// One variable at one level.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// BDL variable id (`/variables/{id}`).
    pub variable: i64,
    /// BDL unit level: 0 Poland, 2 województwa, 5 powiaty, 6 gminy and their parts.
    pub level: u8,
    /// The years asked for; empty: every year BDL has.
    pub years: Vec<i16>,
    /// The variable the values are stored under (a catalogue code, or `bdl_<id>`).
    pub code: VariableCode,
    /// Its name, for a variable not yet in the database.
    pub name: String,
}

impl Series {
    fn years_key(&self) -> String {
        match (self.years.first(), self.years.last()) {
            (None, _) | (_, None) => "all".to_owned(),
            (Some(a), Some(b)) if i32::from(*b) - i32::from(*a) + 1 == self.years.len() as i32 => format!("{a}-{b}"),
            _ => self.years.iter().map(i16::to_string).collect::<Vec<_>>().join("."),
        }
    }

    /// The cache file of page `k`: named by the request.
    pub fn page_name(&self, k: u64) -> String {
        format!("data-v{}-l{}-y{}-p{k:05}.json", self.variable, self.level, self.years_key())
    }

    /// The request of page `k` (path and query).
    pub fn query(&self, k: u64) -> String {
        let mut q = format!("data/by-variable/{}?format=json&unit-level={}&page-size={PAGE_SIZE}&page={k}", self.variable, self.level);
        for y in &self.years {
            q.push_str(&format!("&year={y}"));
        }
        q
    }

    /// Pages a series is expected to have before its first page says: BDL level 6 holds
    /// ~3,900 units (gminy and their parts), level 5 ~380 powiaty, the others fit one page.
    pub fn expected_pages(&self) -> u64 {
        match self.level {
            6 => 40,
            5 => 4,
            _ => 1,
        }
    }
}

/// Pages of a series once its first page is known.
pub fn pages_of(total_records: u64) -> u64 {
    total_records.div_ceil(u64::from(PAGE_SIZE)).max(1)
}

/// Everything one import asks for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub series: Vec<Series>,
}

/// The plan in numbers, before fetching.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Requests in all (page counts of series not yet started are estimated).
    pub requests: u64,
    /// Of them, already in the cache.
    pub cached: u64,
    /// Whether every page count is known (every series' first page cached).
    pub exact: bool,
    pub without_key: Duration,
    pub with_key: Duration,
}

fn known_pages(cache: &Cache, s: &Series) -> Option<u64> {
    let text = cache.get(&s.page_name(0)).ok()??;
    parse_envelope(&text).ok().map(|e| pages_of(e.total_records))
}

/// Counts requests and cached pages and estimates the time under both quotas, counting the
/// requests of earlier runs from the cache's request log.
pub fn estimate(plan: &Plan, cache: &Cache) -> Estimate {
    let (mut requests, mut cached, mut exact) = (0, 0, true);
    for s in &plan.series {
        let pages = known_pages(cache, s).unwrap_or_else(|| {
            exact = false;
            s.expected_pages()
        });
        requests += pages;
        cached += (0..pages).filter(|k| cache.contains(&s.page_name(*k))).count() as u64;
    }
    let now = crate::client::now_ms();
    let todo = usize::try_from(requests - cached).unwrap_or(usize::MAX);
    let log = cache.request_log();
    Estimate {
        requests,
        cached,
        exact,
        without_key: Limiter::persisted(Quota::anonymous(), false, &log, now).estimate(todo, now),
        with_key: Limiter::persisted(Quota::with_key(), true, &log, now).estimate(todo, now),
    }
}

/// What a fetch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FetchReport {
    pub pages: u64,
    pub fetched: u64,
    pub cached: u64,
}

fn page_text(client: &mut Client, cache: &Cache, s: &Series, k: u64, report: &mut FetchReport) -> Result<String, BdlError> {
    let name = s.page_name(k);
    if let Some(t) = cache.get(&name)? {
        report.cached += 1;
        return Ok(t);
    }
    let text = client.get(&s.query(k))?;
    let url = client.url(&s.query(k));
    let (env, _) = parse_data_page(&text).map_err(|error| BdlError::BadAnswer { url: url.clone(), error })?;
    if let Some(p) = env.page
        && p != k
    {
        return Err(BdlError::BadAnswer {
            url,
            error: crate::page::PageError { path: "page".into(), message: format!("asked for page {k}, the answer is page {p}") },
        });
    }
    if let Some(ps) = env.page_size
        && ps != u64::from(PAGE_SIZE)
    {
        // Pages of another size would leave gaps between the pages we count.
        return Err(BdlError::BadAnswer {
            url,
            error: crate::page::PageError {
                path: "pageSize".into(),
                message: format!("asked for {PAGE_SIZE} records a page, the answer has pages of {ps}"),
            },
        });
    }
    cache.put(&name, &text)?;
    report.fetched += 1;
    Ok(text)
}

/// Fetches every page of the plan not yet cached. `progress(done, total)` after each page
/// (the total grows as series reveal their page counts).
pub fn fetch(client: &mut Client, cache: &Cache, plan: &Plan, progress: &mut dyn FnMut(u64, u64)) -> Result<FetchReport, BdlError> {
    let mut report = FetchReport::default();
    let mut totals: Vec<u64> = plan.series.iter().map(|s| known_pages(cache, s).unwrap_or_else(|| s.expected_pages())).collect();
    let mut done = 0;
    for (i, s) in plan.series.iter().enumerate() {
        let first = page_text(client, cache, s, 0, &mut report)?;
        let env = parse_envelope(&first).map_err(|error| BdlError::BadCache { file: cache.path(&s.page_name(0)).display().to_string(), error })?;
        totals[i] = pages_of(env.total_records);
        done += 1;
        progress(done, totals.iter().sum());
        for k in 1..totals[i] {
            page_text(client, cache, s, k, &mut report)?;
            done += 1;
            progress(done, totals.iter().sum());
        }
        report.pages += totals[i];
    }
    Ok(report)
}

/// Every result of a paged metadata endpoint (`variables/search?name=…`, `units?level=2`),
/// page after page; not cached.
pub fn list_all(client: &mut Client, path_and_query: &str) -> Result<Vec<serde_json::Value>, BdlError> {
    let sep = if path_and_query.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    for k in 0..10_000u64 {
        let q = format!("{path_and_query}{sep}format=json&page-size={PAGE_SIZE}&page={k}");
        let text = client.get(&q)?;
        let env = parse_envelope(&text).map_err(|error| BdlError::BadAnswer { url: client.url(&q), error })?;
        let n = env.results.len();
        out.extend(env.results);
        if n == 0 || out.len() as u64 >= env.total_records {
            break;
        }
    }
    Ok(out)
}
