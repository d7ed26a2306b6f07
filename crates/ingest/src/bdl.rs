//! BDL conventions: attribute symbols and ids → flags, unit names that carry the kind digit
//! and validity (`Wałbrzych od 2003 do 2012 (1)`), and the export file name
//! (`<DZIEDZINA>_<subgroup>_<CREL|CTAB>_<timestamp>.csv`).

use model::Flag;

/// The flag of a BDL attribute symbol as the web export writes it (column `Atrybut`).
/// `None` for a symbol BDL does not define.
pub fn flag_from_attribute(symbol: &str) -> Option<Flag> {
    Some(match symbol.trim() {
        "" => Flag::Final,
        "s" => Flag::Preliminary,
        "x" | "X" => Flag::Confidential,
        "n" | "-" => Flag::Missing,
        "k" | "K" | "M" | "v" | "p" | "a" | "A" | "z" | "Z" => Flag::Final,
        _ => return None,
    })
}

/// The flag of a BDL API attribute id (`attrId`). `None` for an id BDL does not define.
pub fn flag_from_attr_id(id: i64) -> Option<Flag> {
    Some(match id {
        0 | 15 | 50 => Flag::Missing,
        1 | 3 | 7 | 11 | 13 | 17 | 20 | 21 | 94 | 97 | 98 => Flag::Final,
        9 => Flag::Preliminary,
        4 | 14 | 91 => Flag::Confidential,
        _ => return None,
    })
}

/// A unit name as BDL writes it, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BdlUnitName {
    /// The name without the kind digit and the validity, e.g. `Wałbrzych`.
    pub name: String,
    /// The TERYT kind digit in parentheses, e.g. `1` of `Bolesławiec (1)`.
    pub rodz: Option<char>,
    /// `od 2003` — valid from 1 January of that year.
    pub from_year: Option<i32>,
    /// `do 2012` — valid through that year.
    pub to_year: Option<i32>,
}

/// Takes apart `Bolesławiec (2)`, `Wałbrzych od 2003 do 2012 (1)`, `M.st.Warszawa od 2002 (1)`,
/// `POLSKA`.
pub fn parse_unit_name(s: &str) -> BdlUnitName {
    let mut rest = s.trim();
    let mut rodz = None;
    if let Some(open) = rest.rfind(" (") {
        let tail = &rest[open + 2..];
        let mut chars = tail.chars();
        if let (Some(c), Some(')'), None) = (chars.next(), chars.next(), chars.next())
            && c.is_ascii_digit()
        {
            rodz = Some(c);
            rest = rest[..open].trim_end();
        }
    }
    let mut to_year = None;
    if let Some((head, year)) = split_year(rest, " do ") {
        to_year = Some(year);
        rest = head;
    }
    let mut from_year = None;
    if let Some((head, year)) = split_year(rest, " od ") {
        from_year = Some(year);
        rest = head;
    }
    BdlUnitName { name: rest.to_owned(), rodz, from_year, to_year }
}

/// `"X od 2003"` with marker `" od "` → `("X", 2003)` when the text ends in a 4-digit year.
fn split_year<'a>(s: &'a str, marker: &str) -> Option<(&'a str, i32)> {
    let at = s.rfind(marker)?;
    let year = &s[at + marker.len()..];
    if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) { Some((s[..at].trim_end(), year.parse().ok()?)) } else { None }
}

/// When BDL wrote an export, from its file name: `LUDN_2137_CREL_20220407210714.csv` →
/// `20220407210714` (YYYYMMDDhhmmss, so two stamps compare as text).
pub fn export_stamp_from_file_name(name: &str) -> Option<String> {
    subgroup_from_file_name(name)?;
    let stem = name.strip_suffix(".csv").or_else(|| name.strip_suffix(".CSV"))?;
    let stamp = stem.rsplit('_').next()?;
    (stamp.len() == 14).then(|| stamp.to_owned())
}

/// The subgroup id of a BDL export file name: `LUDN_2137_CREL_20220407210714.csv` → `2137`.
pub fn subgroup_from_file_name(name: &str) -> Option<String> {
    let stem = name.strip_suffix(".csv").or_else(|| name.strip_suffix(".CSV"))?;
    let parts: Vec<&str> = stem.split('_').collect();
    match parts.as_slice() {
        [domain, id, layout, stamp]
            if !domain.is_empty()
                && domain.bytes().all(|b| b.is_ascii_uppercase())
                && !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && matches!(*layout, "CREL" | "CTAB")
                && stamp.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some((*id).to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, name: &str, rodz: Option<char>, from: Option<i32>, to: Option<i32>) {
        assert_eq!(parse_unit_name(input), BdlUnitName { name: name.to_owned(), rodz, from_year: from, to_year: to }, "{input}");
    }

    #[test]
    fn an_export_says_when_bdl_wrote_it() {
        assert_eq!(export_stamp_from_file_name("LUDN_2137_CREL_20220407210714.csv").as_deref(), Some("20220407210714"));
        assert_eq!(export_stamp_from_file_name("LUDN_1336_CTAB_20260608161213.csv").as_deref(), Some("20260608161213"));
        assert_eq!(export_stamp_from_file_name("LUDN_2137_CREL_2022.csv"), None, "not a full stamp");
        assert_eq!(export_stamp_from_file_name("dane_20220407210714.csv"), None, "not an export's name");
    }

    #[test]
    fn unit_names_give_up_their_kind_digit_and_validity() {
        check("Bolesławiec (2)", "Bolesławiec", Some('2'), None, None);
        check("Wałbrzych od 2003 do 2012 (1)", "Wałbrzych", Some('1'), Some(2003), Some(2012));
        check("M.st.Warszawa od 2002 (1)", "M.st.Warszawa", Some('1'), Some(2002), None);
        check("Nowogrodziec - obszar wiejski (5)", "Nowogrodziec - obszar wiejski", Some('5'), None, None);
        check("POLSKA", "POLSKA", None, None, None);
        check("Gmina (do)", "Gmina (do)", None, None, None);
        check("", "", None, None, None);
    }

    #[test]
    fn attributes_map_to_flags_honestly() {
        assert_eq!(flag_from_attribute(""), Some(Flag::Final));
        assert_eq!(flag_from_attribute(" "), Some(Flag::Final));
        assert_eq!(flag_from_attribute("x"), Some(Flag::Confidential));
        assert_eq!(flag_from_attribute("s"), Some(Flag::Preliminary));
        assert_eq!(flag_from_attribute("n"), Some(Flag::Missing));
        assert_eq!(flag_from_attribute("?"), None);
        assert_eq!(flag_from_attr_id(0), Some(Flag::Missing), "Warsaw districts' `val: 0, attrId: 0` is no data");
        assert_eq!(flag_from_attr_id(91), Some(Flag::Confidential));
        assert_eq!(flag_from_attr_id(2), None);
    }

    #[test]
    fn every_attribute_id_in_the_real_api_sample_is_known() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/bdl/api_samples/pybdl-1.1.0/samples_raw_attributes.json");
        let text = std::fs::read_to_string(path).expect("sample");
        let mut ids = Vec::new();
        for part in text.split("\"id\": ").skip(1) {
            let n: String = part.chars().take_while(char::is_ascii_digit).collect();
            ids.push(n.parse::<i64>().expect("id"));
        }
        assert!(ids.len() >= 19, "{ids:?}");
        for id in ids {
            assert!(flag_from_attr_id(id).is_some(), "attrId {id}");
        }
    }

    #[test]
    fn export_file_names_give_the_subgroup() {
        assert_eq!(subgroup_from_file_name("LUDN_2137_CREL_20220407210714.csv").as_deref(), Some("2137"));
        assert_eq!(subgroup_from_file_name("RYNE_1944_CTAB_20250616184618.csv").as_deref(), Some("1944"));
        assert_eq!(subgroup_from_file_name("ludnosc.csv"), None);
        assert_eq!(subgroup_from_file_name("LUDN_2137_XYZ_1.csv"), None);
    }
}
