//! Presets: named sets of BDL variables. `catalogue`: every variable of the indicator
//! catalogue that has a `bdl_id`, stored under the catalogue's own code, so that the
//! indicators compute from what was loaded.

use std::path::Path;

use model::VariableCode;

/// A BDL variable and the code its values are stored under.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetVariable {
    pub bdl_id: i64,
    pub code: VariableCode,
    pub name: String,
}

/// The catalogue's BDL variables, in file order.
pub fn from_catalogue(path: &Path) -> Result<Vec<PresetVariable>, String> {
    let cat = ingest::catalogue::read_catalogue(path).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for v in &cat.variables {
        let Some(id) = v.bdl_id else { continue };
        let code = VariableCode::parse(v.code.get_ref()).map_err(|e| format!("{}: variable {}: {e}", path.display(), v.code.get_ref()))?;
        out.push(PresetVariable { bdl_id: id, code, name: v.name_pl.clone() });
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
        assert!(vars.iter().any(|v| v.bdl_id == 72305 && v.code.as_str() == "ludnosc"), "population under its catalogue code");
    }
}
