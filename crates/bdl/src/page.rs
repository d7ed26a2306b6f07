//! The pure parser of a BDL page: the envelope every paged endpoint answers with
//! (`{"totalRecords":…, "page":…, "pageSize":…, "links":{…}, "results":[…]}`) and, for
//! `/data/by-variable`, its results (`{"id":"000000000000","name":"POLSKA","values":
//! [{"year":"1995","val":168,"attrId":1},…]}`). Never panics; every error says the JSON path
//! (`results[3].values[1].year`) and what was expected there. `year` is a string in the API
//! (a number is accepted too); unit ids must be strings — a number would have lost its
//! leading zeros.

use serde_json::Value as Json;

/// Where in a page the problem is and what it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if path.is_empty() { String::new() } else { format!("at {path}: ") })]
pub struct PageError {
    /// JSON path, e.g. `results[3].values[1].year`; empty for the document as a whole.
    pub path: String,
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> PageError {
    PageError { path: path.into(), message: message.into() }
}

/// A page's envelope, its results kept as JSON for the endpoint's own reader.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub total_records: u64,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
    pub results: Vec<Json>,
}

/// One value of a unit's series.
#[derive(Debug, Clone, PartialEq)]
pub struct DataValue {
    pub year: i16,
    /// `None` when the API gives `null` or leaves `val` out.
    pub val: Option<f64>,
    pub attr_id: i64,
}

/// One unit's series in a `/data/by-variable` page.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitSeries {
    pub id: String,
    pub name: String,
    pub values: Vec<DataValue>,
}

/// Parses the envelope of any paged answer.
pub fn parse_envelope(text: &str) -> Result<Envelope, PageError> {
    let json: Json = serde_json::from_str(text).map_err(|e| err("", format!("invalid JSON at line {} column {}: {e}", e.line(), e.column())))?;
    let Json::Object(obj) = &json else {
        return Err(err("", "expected an object with totalRecords and results"));
    };
    if let Some(e) = obj.get("errorResult").or_else(|| obj.get("error")) {
        return Err(err("", format!("the API reports an error: {}", short(&e.to_string()))));
    }
    let total_records = match obj.get("totalRecords") {
        Some(v) => v.as_u64().ok_or_else(|| err("totalRecords", format!("expected a count, found {}", short(&v.to_string()))))?,
        None => return Err(err("totalRecords", "missing")),
    };
    let opt_count = |key: &str| -> Result<Option<u64>, PageError> {
        match obj.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| err(key, format!("expected a count, found {}", short(&v.to_string())))),
        }
    };
    let page = opt_count("page")?;
    let page_size = opt_count("pageSize")?;
    let results = match obj.get("results") {
        Some(Json::Array(a)) => a.clone(),
        Some(v) => return Err(err("results", format!("expected a list, found {}", short(&v.to_string())))),
        None => return Err(err("results", "missing")),
    };
    Ok(Envelope { total_records, page, page_size, results })
}

/// Parses a `/data/by-variable` page: its envelope and every unit's values.
pub fn parse_data_page(text: &str) -> Result<(Envelope, Vec<UnitSeries>), PageError> {
    let env = parse_envelope(text)?;
    let mut series = Vec::with_capacity(env.results.len());
    for (i, r) in env.results.iter().enumerate() {
        series.push(unit_series(r, &format!("results[{i}]"))?);
    }
    Ok((env, series))
}

fn unit_series(r: &Json, at: &str) -> Result<UnitSeries, PageError> {
    let Json::Object(o) = r else { return Err(err(at, "expected an object with id, name and values")) };
    let id = match o.get("id") {
        Some(Json::String(s)) => s.clone(),
        Some(v) => return Err(err(format!("{at}.id"), format!("expected a 12-character string, found {}", short(&v.to_string())))),
        None => return Err(err(format!("{at}.id"), "missing")),
    };
    let name = match o.get("name") {
        Some(Json::String(s)) => s.clone(),
        None | Some(Json::Null) => String::new(),
        Some(v) => return Err(err(format!("{at}.name"), format!("expected text, found {}", short(&v.to_string())))),
    };
    let values = match o.get("values") {
        Some(Json::Array(a)) => a,
        Some(v) => return Err(err(format!("{at}.values"), format!("expected a list, found {}", short(&v.to_string())))),
        None => return Err(err(format!("{at}.values"), "missing")),
    };
    let mut out = Vec::with_capacity(values.len());
    for (j, v) in values.iter().enumerate() {
        let at = format!("{at}.values[{j}]");
        let Json::Object(v) = v else { return Err(err(at, "expected an object with year, val and attrId")) };
        let year = match v.get("year") {
            Some(Json::String(s)) => s.trim().parse::<i16>().ok(),
            Some(Json::Number(n)) => n.as_i64().and_then(|n| i16::try_from(n).ok()),
            _ => None,
        };
        let year = year
            .filter(|y| (1900..=2100).contains(y))
            .ok_or_else(|| err(format!("{at}.year"), format!("expected a year such as \"2024\", found {}", found(v.get("year")))))?;
        let val = match v.get("val") {
            None | Some(Json::Null) => None,
            Some(Json::Number(n)) => Some(n.as_f64().filter(|x| x.is_finite()).ok_or_else(|| err(format!("{at}.val"), "not a finite number"))?),
            Some(x) => return Err(err(format!("{at}.val"), format!("expected a number, found {}", short(&x.to_string())))),
        };
        let attr_id = match v.get("attrId") {
            Some(Json::Number(n)) => n.as_i64().ok_or_else(|| err(format!("{at}.attrId"), "expected an integer"))?,
            x => return Err(err(format!("{at}.attrId"), format!("expected an attribute id, found {}", found(x)))),
        };
        out.push(DataValue { year, val, attr_id });
    }
    Ok(UnitSeries { id, name, values: out })
}

fn found(v: Option<&Json>) -> String {
    v.map_or_else(|| "nothing".to_owned(), |v| short(&v.to_string()))
}

fn short(s: &str) -> String {
    if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Json {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/bdl/api_samples/pybdl-1.1.0").join(name);
        serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("json")
    }

    #[test]
    fn the_real_sample_in_an_envelope_parses_with_string_years() {
        let results = sample("samples_raw_data.json")["get_data_by_variable"].clone();
        let n = results.as_array().expect("list").len();
        let text = serde_json::json!({"totalRecords": n, "page": 0, "pageSize": 100, "links": {}, "results": results}).to_string();
        let (env, series) = parse_data_page(&text).expect("parses");
        assert_eq!(env.total_records as usize, n);
        assert_eq!(series.len(), n);
        assert_eq!(series[0].id, "000000000000");
        assert_eq!(series[0].name, "POLSKA");
        assert_eq!(series[0].values[0], DataValue { year: 1995, val: Some(168.0), attr_id: 1 });
    }

    #[test]
    fn errors_name_the_json_path() {
        let bad = r#"{"totalRecords":1,"results":[{"id":"000000000000","name":"P","values":[{"year":"1995","val":1,"attrId":1},{"year":"x","val":1,"attrId":1}]}]}"#;
        let e = parse_data_page(bad).expect_err("bad year");
        assert_eq!(e.path, "results[0].values[1].year");
        let numeric_id = r#"{"totalRecords":1,"results":[{"id":11200000000,"values":[]}]}"#;
        assert_eq!(parse_data_page(numeric_id).expect_err("number id").path, "results[0].id");
        let e = parse_data_page(r#"{"totalRecords":1,"results":[{"id":"#).expect_err("truncated");
        assert!(e.message.starts_with("invalid JSON at line 1"), "{e}");
        assert_eq!(parse_data_page(r#"{"results":[]}"#).expect_err("no total").path, "totalRecords");
        let e = parse_data_page(r#"{"errorResult":"Too many requests"}"#).expect_err("api error");
        assert!(e.message.contains("Too many requests"), "{e}");
        let e = parse_data_page(r#"{"totalRecords":1,"results":[{"id":"000000000000","values":[{"year":"2000","val":"1","attrId":1}]}]}"#)
            .expect_err("string val");
        assert_eq!(e.path, "results[0].values[0].val");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_data_page(&String::from_utf8_lossy(&bytes));
        }
        #[test]
        fn never_panics_on_near_json(s in r#"\{"totalRecords":[0-9]{1,3},"results":\[\{"id":"[0-9]{12}","values":\[\{"year":("[0-9]{4}"|[0-9]{1,6}|null),"val":(-?[0-9]{1,5}|null|"a"),"attrId":(-?[0-9]{1,3}|true)\}\]\}\]\}"#) {
            let _ = parse_data_page(&s);
        }
    }
}
