//! Variable and subject metadata: the pure parser of `/variables/{id}` and of the results of
//! `/variables?subject-id=…` (`{"id":10,"subjectId":"P1313","n1":"ogółem","n2":"25-29",
//! "level":6,"measureUnitId":26,"measureUnitName":"osoba"}`, the shape of the real answers in
//! the pybdl 1.1.0 samples), and [`MetaSource`], which asks for them through the quota-keeping
//! [`Client`] and keeps every answer in the [`Cache`], so a second run asks for nothing.
//!
//! An id BDL does not know (`404`, or the `400`/`412` the API gives for an invalid id) is an
//! answer too, cached as such. Any other failure — a host name that does not resolve, no
//! answer after the retries, a quota that says wait, a server error — is a failure of the
//! service, not of one variable: the source stops asking, keeps the error (to be told once)
//! and answers from the cache only.

use serde_json::Value as Json;

use crate::page::{PageError, parse_envelope};
use crate::{BdlError, Cache, Client, PAGE_SIZE};

/// A BDL variable as `/variables/{id}` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableMeta {
    pub id: i64,
    /// The subject (subgroup) id, `P2137`.
    pub subject_id: String,
    /// `n1`, `n2`, … that are not empty, in order: the dimension values.
    pub dims: Vec<String>,
    /// The lowest territorial level BDL has the variable at: 0 Polska, 2 województwa,
    /// 5 powiaty, 6 gminy, 7 statistical localities. `None` when the answer leaves it out.
    pub level: Option<u8>,
    pub measure_unit_id: Option<i64>,
    pub measure_unit_name: String,
    /// The years BDL has (the single-variable answer only).
    pub years: Vec<i32>,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> PageError {
    PageError { path: path.into(), message: message.into() }
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s }
}

fn at(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") }
}

/// Reads one variable object; errors name the JSON path under `prefix` (`results[3]`).
pub fn parse_variable(v: &Json, prefix: &str) -> Result<VariableMeta, PageError> {
    let Json::Object(o) = v else { return Err(err(prefix, format!("expected a variable object, found {}", short(v)))) };
    if let Some(e) = o.get("errorResult").or_else(|| o.get("error")).or_else(|| o.get("errors")) {
        return Err(err(prefix, format!("the API reports an error: {}", short(e))));
    }
    let id = match o.get("id") {
        Some(Json::Number(n)) => n.as_i64(),
        Some(Json::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
    .ok_or_else(|| {
        err(at(prefix, "id"), format!("expected a variable id (a positive number), found {}", o.get("id").map_or("nothing".into(), short)))
    })?;
    let subject_id = match o.get("subjectId") {
        Some(Json::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        x => {
            return Err(err(
                at(prefix, "subjectId"),
                format!("expected a subject id such as \"P2137\", found {}", x.map_or("nothing".into(), short)),
            ));
        }
    };
    let mut dims = Vec::new();
    for i in 1..=9 {
        let key = format!("n{i}");
        match o.get(&key) {
            None | Some(Json::Null) => {}
            Some(Json::String(s)) => {
                if !s.trim().is_empty() {
                    dims.push(s.clone());
                }
            }
            Some(x) => return Err(err(at(prefix, &key), format!("expected a dimension value (text), found {}", short(x)))),
        }
    }
    let level = match o.get("level") {
        None | Some(Json::Null) => None,
        Some(x) => Some(
            x.as_u64()
                .and_then(|l| u8::try_from(l).ok())
                .filter(|l| *l <= 9)
                .ok_or_else(|| err(at(prefix, "level"), format!("expected a unit level from 0 to 7, found {}", short(x))))?,
        ),
    };
    let measure_unit_id = match o.get("measureUnitId") {
        None | Some(Json::Null) => None,
        Some(x) => Some(x.as_i64().ok_or_else(|| err(at(prefix, "measureUnitId"), format!("expected a number, found {}", short(x))))?),
    };
    let measure_unit_name = match o.get("measureUnitName") {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.trim().to_owned(),
        Some(x) => return Err(err(at(prefix, "measureUnitName"), format!("expected text, found {}", short(x)))),
    };
    let years = match o.get("years") {
        Some(Json::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, y)| {
                y.as_i64()
                    .or_else(|| y.as_str().and_then(|s| s.trim().parse().ok()))
                    .and_then(|y| i32::try_from(y).ok())
                    .ok_or_else(|| err(format!("{}[{i}]", at(prefix, "years")), format!("expected a year, found {}", short(y))))
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    Ok(VariableMeta { id, subject_id, dims, level, measure_unit_id, measure_unit_name, years })
}

/// Parses the answer of `/variables/{id}`.
pub fn parse_variable_text(text: &str) -> Result<VariableMeta, PageError> {
    let json: Json = serde_json::from_str(text).map_err(|e| err("", format!("invalid JSON at line {} column {}: {e}", e.line(), e.column())))?;
    parse_variable(&json, "")
}

/// Parses a page of `/variables?subject-id=…`: its envelope and every variable.
pub fn parse_variables_page(text: &str) -> Result<(u64, Vec<VariableMeta>), PageError> {
    let env = parse_envelope(text)?;
    let vars = env.results.iter().enumerate().map(|(i, v)| parse_variable(v, &format!("results[{i}]"))).collect::<Result<Vec<_>, _>>()?;
    Ok((env.total_records, vars))
}

/// The name of a subject from `/subjects/{id}` (`{"id":"P2137","name":"Ludność wg grup wieku i płci",…}`).
pub fn parse_subject_name(text: &str) -> Result<String, PageError> {
    let json: Json = serde_json::from_str(text).map_err(|e| err("", format!("invalid JSON at line {} column {}: {e}", e.line(), e.column())))?;
    match json.get("name") {
        Some(Json::String(s)) => Ok(s.trim().to_owned()),
        x => Err(err("name", format!("expected the subject's name, found {}", x.map_or("nothing".into(), short)))),
    }
}

/// Statuses the API answers a request for an id it does not know with.
fn is_not_found(status: u16) -> bool {
    matches!(status, 400 | 404 | 410 | 412)
}

/// An answer: the text, or BDL's word that there is no such thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    Found(T),
    /// `HTTP 404: …`
    NotFound(String),
}

/// Metadata through the cache. See the module's notes for what stops it.
pub struct MetaSource<'a> {
    client: &'a mut Client,
    cache: &'a Cache,
    refresh: bool,
    /// The failure that stopped the asking; later answers come from the cache only.
    pub stopped: Option<BdlError>,
    /// Requests answered by the API in this run.
    pub fetched: u64,
    /// Answers read from the cache.
    pub cached: u64,
}

/// A file-name-safe form of a subject id.
fn safe(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

impl<'a> MetaSource<'a> {
    /// `refresh`: ask the API again for what the cache holds (the cache is still the fallback
    /// when the API cannot be reached).
    pub fn new(client: &'a mut Client, cache: &'a Cache, refresh: bool) -> MetaSource<'a> {
        MetaSource { client, cache, refresh, stopped: None, fetched: 0, cached: 0 }
    }

    /// The cached answer of a request (text, or a `.missing` note).
    fn cached_answer(&mut self, name: &str) -> Result<Option<Answer<String>>, BdlError> {
        if let Some(t) = self.cache.get(name)? {
            self.cached += 1;
            return Ok(Some(Answer::Found(t)));
        }
        if let Some(t) = self.cache.get(&format!("{name}.missing"))? {
            self.cached += 1;
            return Ok(Some(Answer::NotFound(t.trim().to_owned())));
        }
        Ok(None)
    }

    /// The answer of `query`, cached under `name` once `check` accepts it. `Ok(None)`: the
    /// service failed (now or earlier in the run) and the cache does not have it.
    fn get(&mut self, name: &str, query: &str, check: impl Fn(&str) -> Result<(), PageError>) -> Result<Option<Answer<String>>, BdlError> {
        if (!self.refresh || self.stopped.is_some())
            && let Some(a) = self.cached_answer(name)?
        {
            return Ok(Some(a));
        }
        if self.stopped.is_some() {
            return Ok(None);
        }
        match self.client.get(query) {
            Ok(text) => {
                check(&text).map_err(|error| BdlError::BadAnswer { url: self.client.url(query), error })?;
                self.cache.put(name, &text)?;
                let _ = std::fs::remove_file(self.cache.path(&format!("{name}.missing")));
                self.fetched += 1;
                Ok(Some(Answer::Found(text)))
            }
            Err(BdlError::Http { status, message, .. }) if is_not_found(status) => {
                let note = if message.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {message}") };
                self.cache.put(&format!("{name}.missing"), &note)?;
                let _ = std::fs::remove_file(self.cache.path(name));
                self.fetched += 1;
                Ok(Some(Answer::NotFound(note)))
            }
            Err(e) => {
                self.stopped = Some(e);
                // Asked again despite the cache (refresh): the cached answer still serves.
                self.cached_answer(name)
            }
        }
    }

    /// `/variables/{id}`.
    pub fn variable(&mut self, id: i64) -> Result<Option<Answer<VariableMeta>>, BdlError> {
        let name = format!("meta-variable-{id}-pl.json");
        let query = format!("variables/{id}?format=json&lang=pl");
        let Some(a) = self.get(&name, &query, |t| parse_variable_text(t).map(|_| ()))? else { return Ok(None) };
        Ok(Some(match a {
            Answer::Found(t) => {
                let meta =
                    parse_variable_text(&t).map_err(|error| BdlError::BadCache { file: self.cache.path(&name).display().to_string(), error })?;
                if meta.id != id {
                    return Err(BdlError::BadAnswer {
                        url: self.client.url(&query),
                        error: err("id", format!("asked for variable {id}, the answer describes {}", meta.id)),
                    });
                }
                Answer::Found(meta)
            }
            Answer::NotFound(n) => Answer::NotFound(n),
        }))
    }

    /// The name of subject `id` (`P2137`).
    pub fn subject_name(&mut self, id: &str) -> Result<Option<Answer<String>>, BdlError> {
        let name = format!("meta-subject-{}-pl.json", safe(id));
        let query = format!("subjects/{}?format=json&lang=pl", safe(id));
        let Some(a) = self.get(&name, &query, |t| parse_subject_name(t).map(|_| ()))? else { return Ok(None) };
        Ok(Some(match a {
            Answer::Found(t) => Answer::Found(
                parse_subject_name(&t).map_err(|error| BdlError::BadCache { file: self.cache.path(&name).display().to_string(), error })?,
            ),
            Answer::NotFound(n) => Answer::NotFound(n),
        }))
    }

    /// Every variable of subject `id`, page after page (each page cached).
    pub fn subject_variables(&mut self, id: &str) -> Result<Option<Answer<Vec<VariableMeta>>>, BdlError> {
        let mut out = Vec::new();
        for k in 0..1_000u64 {
            let name = format!("meta-variables-{}-pl-p{k:05}.json", safe(id));
            let query = format!("variables?subject-id={}&format=json&lang=pl&page-size={PAGE_SIZE}&page={k}", safe(id));
            let Some(a) = self.get(&name, &query, |t| parse_variables_page(t).map(|_| ()))? else { return Ok(None) };
            let text = match a {
                Answer::Found(t) => t,
                Answer::NotFound(n) => return Ok(Some(Answer::NotFound(n))),
            };
            let (total, vars) =
                parse_variables_page(&text).map_err(|error| BdlError::BadCache { file: self.cache.path(&name).display().to_string(), error })?;
            let n = vars.len();
            out.extend(vars);
            if n == 0 || out.len() as u64 >= total {
                break;
            }
        }
        Ok(Some(Answer::Found(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Json {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/bdl/api_samples/pybdl-1.1.0/samples_raw_variables.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("json")
    }

    #[test]
    fn the_real_variable_answers_parse() {
        let s = sample();
        let text = s["get_variable"].to_string();
        let v = parse_variable_text(&text).expect("get_variable parses");
        // The sample's own fields, read here independently of the parser.
        assert_eq!(v.id, s["get_variable"]["id"].as_i64().expect("id"));
        assert_eq!(v.subject_id, s["get_variable"]["subjectId"].as_str().expect("subject"));
        assert_eq!(v.dims, vec![s["get_variable"]["n1"].as_str().expect("n1"), s["get_variable"]["n2"].as_str().expect("n2")]);
        assert_eq!(v.level, Some(6));
        assert_eq!(v.measure_unit_name, "osoba");
        assert_eq!(v.measure_unit_id, Some(26));
        assert_eq!(v.years.len(), s["get_variable"]["years"].as_array().expect("years").len());
        for key in ["list_variables", "search_variables"] {
            let list = s[key].as_array().expect("list");
            let page = serde_json::json!({"totalRecords": list.len(), "page": 0, "pageSize": 100, "links": {}, "results": list}).to_string();
            let (total, vars) = parse_variables_page(&page).expect("a list page parses");
            assert_eq!(total as usize, list.len());
            for (v, raw) in vars.iter().zip(list) {
                let n = raw.as_object().expect("object").keys().filter(|k| k.len() == 2 && k.starts_with('n')).count();
                assert_eq!(v.dims.len(), n, "{raw}");
                assert!(v.level.is_some() && !v.measure_unit_name.is_empty(), "{raw}");
            }
        }
    }

    #[test]
    fn bad_metadata_names_the_field() {
        let e = parse_variable_text(r#"{"id":5,"subjectId":"P1","n1":3,"level":6}"#).expect_err("n1 a number");
        assert_eq!(e.path, "n1");
        let e = parse_variable_text(r#"{"id":5,"subjectId":"P1","level":"szóstka"}"#).expect_err("level text");
        assert_eq!(e.path, "level");
        let e = parse_variable_text(r#"{"subjectId":"P1"}"#).expect_err("no id");
        assert_eq!(e.path, "id");
        let e = parse_variables_page(r#"{"totalRecords":1,"results":[{"id":1}]}"#).expect_err("no subject");
        assert_eq!(e.path, "results[0].subjectId");
        assert!(parse_variable_text("<html>").is_err());
        assert_eq!(parse_subject_name(r#"{"id":"P2137","name":" Ludność "}"#).expect("name"), "Ludność");
    }
}
