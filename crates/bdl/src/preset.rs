//! Presets: named sets of BDL variables. `catalogue`: every variable of the indicator
//! catalogue that has a `bdl_id`, stored under the catalogue's own code, so that the
//! indicators compute from what was loaded. Each variable is fetched at the BDL levels of
//! the unit kinds its indicators apply to: gminy → 6, powiaty and cities with powiat rights
//! (4-digit TERYT codes) → 5, województwa → 2, Poland → 0; a variable no indicator reads, at 6.

use std::path::Path;

use model::VariableCode;

/// A BDL variable and the code its values are stored under.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetVariable {
    pub bdl_id: i64,
    pub code: VariableCode,
    pub name: String,
    /// BDL unit levels, ascending.
    pub levels: Vec<u8>,
}

pub(crate) fn level_of_kind(kind: &str) -> Option<u8> {
    Some(match kind {
        "gmina_miejska" | "gmina_wiejska" | "gmina_miejsko_wiejska" | "miasto" | "obszar_wiejski" | "dzielnica" => 6,
        "miasto_na_prawach_powiatu" | "powiat" => 5,
        "wojewodztwo" => 2,
        "kraj" => 0,
        _ => return None,
    })
}

/// The identifiers a formula mentions (variable codes are identifiers).
pub(crate) fn identifiers(formula: &str) -> impl Iterator<Item = &str> {
    formula.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty())
}

/// The catalogue's BDL variables, in file order.
pub fn from_catalogue(path: &Path) -> Result<Vec<PresetVariable>, String> {
    let cat = ingest::catalogue::read_catalogue(path).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for v in &cat.variables {
        let Some(id) = v.bdl_id else { continue };
        let code = VariableCode::parse(v.code.get_ref()).map_err(|e| format!("{}: variable {}: {e}", path.display(), v.code.get_ref()))?;
        let mut levels: Vec<u8> = cat
            .indicators
            .iter()
            .filter(|i| {
                let den = i.denominator.as_ref().map_or("", |d| d.get_ref().as_str());
                identifiers(i.numerator.get_ref()).chain(identifiers(den)).any(|w| w == code.as_str())
            })
            .flat_map(|i| i.applies_to.iter().filter_map(|k| level_of_kind(k)))
            .collect();
        levels.sort_unstable();
        levels.dedup();
        if levels.is_empty() {
            levels.push(6);
        }
        out.push(PresetVariable { bdl_id: id, code, name: v.name_pl.clone(), levels });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shipped_catalogue_names_its_bdl_variables() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue/indicators.toml");
        let vars = super::from_catalogue(&path).expect("catalogue");
        let text = std::fs::read_to_string(&path).expect("read");
        let expected = text.lines().filter(|l| l.trim_start().starts_with("bdl_id =")).count();
        assert_eq!(vars.len(), expected);
        let pop = vars.iter().find(|v| v.bdl_id == 72305).expect("population");
        assert_eq!(pop.code.as_str(), "ludnosc", "population under its catalogue code");
        assert_eq!(pop.levels, vec![0, 2, 5, 6], "population is read by indicators of every level");
        assert!(vars.iter().all(|v| v.levels.contains(&6) || v.levels.contains(&5)), "every variable is fetched at a JST level");
        assert!(vars.iter().any(|v| v.levels == vec![5, 6]), "gmina indicators also apply to cities with powiat rights (level 5)");
    }
}
