//! BDL's 12-character unit ids and TERYT codes. An id is never a number: it is a string of
//! 12 digits with leading zeros (`011212001011`), read position by position:
//!
//! ```text
//! 0 1 | 1 2 | 1 2 0 | 0 1 | 0 1 | 1
//! MM  | WW  | RSS   | PP  | GG  | T
//! ```
//!
//! `MM` macroregion, `WW` województwo (TERYT's), `R` region and `SS` subregion (NUTS levels
//! TERYT does not have), `PP` powiat, `GG` gmina and `T` the TERYT kind digit (RODZ) — so
//! `071412865011` is TERYT `1465011` (Warszawa) and `011212001022` is `1201022` (gmina
//! Bochnia). Verified against every unit in the pybdl sample of `/units` (levels 0–6).
//! `000000000000` is Poland. Level 6 holds gminy and also the town and rural parts of
//! urban-rural gminy (T = 4, 5) and Warsaw's dzielnice (8): they map to their TERYT codes
//! like any gmina. Macroregions, regions and subregions have no TERYT code.

use model::{CodeError, TerytCode};

/// Why an id is not a BDL unit id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitIdError {
    #[error("BDL unit id `{0}` must be 12 digits")]
    Shape(String),
    #[error("BDL unit id `{id}` gives TERYT code `{teryt}`: {error}")]
    Teryt { id: String, teryt: String, error: CodeError },
}

/// The TERYT code of a BDL unit id: `Ok(None)` for the units TERYT does not have
/// (macroregions, regions, subregions).
pub fn teryt_of(id: &str) -> Result<Option<TerytCode>, UnitIdError> {
    if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UnitIdError::Shape(id.chars().take(40).collect()));
    }
    if id == "000000000000" {
        return Ok(Some(TerytCode::country()));
    }
    let (woj, nuts, powiat, gmina, kind) = (&id[2..4], &id[4..7], &id[7..9], &id[9..11], &id[11..12]);
    let code = if woj == "00" {
        return Ok(None); // a macroregion
    } else if powiat == "00" && gmina == "00" && kind == "0" {
        if nuts != "000" {
            return Ok(None); // a region or subregion
        }
        woj.to_owned()
    } else if gmina == "00" && kind == "0" {
        format!("{woj}{powiat}")
    } else {
        format!("{woj}{powiat}{gmina}{kind}")
    };
    TerytCode::parse(&code).map(Some).map_err(|error| UnitIdError::Teryt { id: id.to_owned(), teryt: code, error })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str) -> Option<String> {
        teryt_of(id).expect("valid id").map(|c| c.as_str().to_owned())
    }

    #[test]
    fn ids_map_position_by_position() {
        assert_eq!(t("071412865011").as_deref(), Some("1465011"), "Warszawa");
        assert_eq!(t("000000000000").as_deref(), Some("PL"));
        assert_eq!(t("011200000000").as_deref(), Some("12"));
        assert_eq!(t("011212001000").as_deref(), Some("1201"));
        assert_eq!(t("011212001022").as_deref(), Some("1201022"));
        assert_eq!(t("010000000000"), None, "macroregion");
        assert_eq!(t("011210000000"), None, "region");
        assert_eq!(t("011212000000"), None, "subregion");
        assert_eq!(t("030210101045").as_deref(), Some("0201045"), "rural part (5)");
        assert_eq!(t("071412865078").as_deref(), Some("1465078"), "a Warsaw dzielnica (8)");
    }

    #[test]
    fn broken_ids_are_refused_never_read_as_numbers() {
        assert!(matches!(teryt_of("11200000000"), Err(UnitIdError::Shape(_))), "11 digits: a leading zero lost");
        assert!(matches!(teryt_of("0112000000000"), Err(UnitIdError::Shape(_))));
        assert!(matches!(teryt_of("01120000000x"), Err(UnitIdError::Shape(_))));
        assert!(matches!(teryt_of(""), Err(UnitIdError::Shape(_))));
        assert!(matches!(teryt_of("011212001017"), Err(UnitIdError::Teryt { .. })), "RODZ 7 does not exist");
        assert!(matches!(teryt_of("011300000000"), Err(UnitIdError::Teryt { .. })), "odd województwo");
    }

    #[test]
    fn every_unit_of_the_real_sample_maps_to_its_level() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/bdl/api_samples/pybdl-1.1.0/samples_raw_units.json");
        let text = std::fs::read_to_string(path).expect("sample");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        let mut units: Vec<&serde_json::Value> = json["list_units"].as_array().expect("list").iter().collect();
        units.extend(json["search_units"].as_array().expect("search"));
        units.push(&json["get_unit"]);
        let mut seen = [0usize; 7];
        for u in units {
            let id = u["id"].as_str().expect("ids are strings");
            let level = u["level"].as_u64().expect("level") as usize;
            let code = teryt_of(id).unwrap_or_else(|e| panic!("{e}"));
            seen[level] += 1;
            match level {
                0 => assert_eq!(code.as_ref().map(TerytCode::as_str), Some("PL")),
                1 | 3 | 4 => assert_eq!(code, None, "{id}"),
                2 => assert_eq!(code.expect("woj").as_str().len(), 2, "{id}"),
                5 => assert_eq!(code.expect("powiat").as_str().len(), 4, "{id}"),
                6 => {
                    let code = code.expect("gmina");
                    assert_eq!(code.as_str().len(), 7, "{id}");
                    let kind = u["kind"].as_str().expect("kind");
                    assert_eq!(code.rodz().map(String::from).as_deref(), Some(kind), "{id}");
                    let parent = teryt_of(u["parentId"].as_str().expect("parent")).expect("parent id").expect("powiat");
                    assert_eq!(code.powiat(), Some(parent), "{id}: the gmina lies in its parent powiat");
                }
                _ => panic!("level {level}"),
            }
        }
        assert!(seen.iter().all(|n| *n > 0), "every level 0–6 is in the sample: {seen:?}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".{0,20}") {
            let _ = teryt_of(&s);
        }
        #[test]
        fn never_panics_on_digits(s in "[0-9]{12}") {
            let _ = teryt_of(&s);
        }
    }
}
