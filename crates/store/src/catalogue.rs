//! The indicator catalogue, custom comparison groups and unit adjacency. A catalogue import
//! is one transaction: variables are created or their descriptions updated, indicators
//! inserted, changed (the old definition kept in `indicator_history`) or retired (kept, but
//! marked, when the new file no longer has them).

use sqlx::Row;

use crate::units::{finish_import_log, insert_import_log};
use crate::{Actor, NewVariable, Result, Store, StoreError, Tx, dispatch, now_text};

/// An indicator to store: its code, area and kind for queries, the whole definition as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueIndicator {
    pub code: String,
    pub area: String,
    pub kind: String,
    pub definition: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatalogueCounts {
    pub variables_new: u64,
    pub variables_updated: u64,
    pub indicators_new: u64,
    pub indicators_changed: u64,
    pub indicators_unchanged: u64,
    pub indicators_retired: u64,
    pub import_id: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredIndicator {
    pub code: String,
    pub area: String,
    pub kind: String,
    pub definition: String,
    pub catalogue_version: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredGroup {
    pub id: i64,
    pub code: String,
    pub name_pl: String,
    pub name_en: Option<String>,
    pub members: Vec<i64>,
}

/// The reference systems a catalogue import owns (`variable_ref.system`): a re-import
/// replaces them. `bdl_series` is `P2137|ogółem|ogółem|osoba` (subject, dimension values,
/// BDL's measure unit), `population_date` `31_xii` or `30_vi`, `slowly_changing` `1`.
pub const CATALOGUE_REF_SYSTEMS: [&str; 5] = ["bdl_variable", "mf_position", "bdl_series", "population_date", "slowly_changing"];

/// [`CATALOGUE_REF_SYSTEMS`] as an SQL list.
const OWNED: &str = "'bdl_variable', 'mf_position', 'bdl_series', 'population_date', 'slowly_changing'";

/// A stored variable: id, name_pl, name_en, measure_unit, source.
type VariableRow = (i64, String, Option<String>, Option<String>, Option<String>);

impl Store {
    /// Imports a whole catalogue in one transaction.
    pub async fn import_catalogue(
        &self,
        file: &str,
        version: &str,
        variables: &[NewVariable],
        indicators: &[CatalogueIndicator],
    ) -> Result<CatalogueCounts> {
        let mut tx = self.begin_import().await?;
        let import_id = insert_import_log(&mut tx, &self.actor, "indicators", "catalogue", file, &now_text()).await?;
        let mut c = CatalogueCounts { import_id, ..Default::default() };
        dispatch!(&mut tx, t => {
            let mut written: Vec<(i64, Vec<(&str, &str)>)> = Vec::with_capacity(variables.len());
            for v in variables {
                let existing: Option<VariableRow> =
                    sqlx::query_as("SELECT id, name_pl, name_en, measure_unit, source FROM variable WHERE code = $1")
                        .bind(&v.code).fetch_optional(&mut **t).await?;
                let mut refs: Vec<(&str, &str)> = v.refs.iter().map(|(s, r)| (s.as_str(), r.as_str())).collect();
                refs.sort_unstable();
                refs.dedup();
                if let Some((system, _)) = refs.iter().find(|(s, _)| !CATALOGUE_REF_SYSTEMS.contains(s)) {
                    return Err(StoreError::Invalid(format!("variable `{}`: `{system}` is not a reference the catalogue keeps", v.code)));
                }
                let id = match existing {
                    None => {
                        c.variables_new += 1;
                        sqlx::query_scalar::<_, i64>("INSERT INTO variable (code, name_pl, name_en, measure_unit, source, import_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                            .bind(&v.code).bind(&v.name_pl).bind(&v.name_en).bind(&v.measure_unit).bind(&v.source).bind(import_id)
                            .fetch_one(&mut **t).await?
                    }
                    Some((id, pl, en, unit, source)) => {
                        let mut old: Vec<(String, String)> =
                            sqlx::query_as(&format!("SELECT system, ref FROM variable_ref WHERE variable_id = $1 AND system IN ({OWNED})"))
                                .bind(id).fetch_all(&mut **t).await?;
                        old.sort_unstable(); // in Rust: a PostgreSQL collation may order otherwise
                        let refs_same = old.iter().map(|(s, r)| (s.as_str(), r.as_str())).eq(refs.iter().copied());
                        if (pl.as_str(), &en, &unit, &source) != (v.name_pl.as_str(), &v.name_en, &v.measure_unit, &v.source) || !refs_same {
                            c.variables_updated += 1;
                            sqlx::query("UPDATE variable SET name_pl = $1, name_en = $2, measure_unit = $3, source = $4 WHERE id = $5")
                                .bind(&v.name_pl).bind(&v.name_en).bind(&v.measure_unit).bind(&v.source).bind(id)
                                .execute(&mut **t).await?;
                        }
                        id
                    }
                };
                written.push((id, refs));
            }
            // The catalogue is the whole truth of its reference systems: what the file no
            // longer says (a variable left out, a series moved to another variable) goes.
            sqlx::query(&format!("DELETE FROM variable_ref WHERE system IN ({OWNED})")).execute(&mut **t).await?;
            for (id, refs) in &written {
                for (system, r) in refs {
                    sqlx::query("INSERT INTO variable_ref (variable_id, system, ref) VALUES ($1, $2, $3)")
                        .bind(id).bind(system).bind(r).execute(&mut **t).await?;
                }
            }
            let mut seen = std::collections::HashSet::new();
            for (pos, ind) in indicators.iter().enumerate() {
                if !seen.insert(ind.code.as_str()) {
                    return Err(StoreError::Invalid(format!("indicator `{}` appears twice", ind.code)));
                }
                let existing: Option<(String, String, i64, i64)> =
                    sqlx::query_as("SELECT definition, catalogue_version, import_id, retired FROM indicator WHERE code = $1")
                        .bind(&ind.code).fetch_optional(&mut **t).await?;
                match existing {
                    None => {
                        c.indicators_new += 1;
                        sqlx::query("INSERT INTO indicator (code, area, kind, position, definition, catalogue_version, import_id) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                            .bind(&ind.code).bind(&ind.area).bind(&ind.kind).bind(pos as i64).bind(&ind.definition).bind(version).bind(import_id)
                            .execute(&mut **t).await?;
                    }
                    Some((definition, old_version, old_import, retired)) => {
                        let unchanged = definition == ind.definition && retired == 0;
                        if unchanged {
                            c.indicators_unchanged += 1;
                        } else {
                            c.indicators_changed += 1;
                            sqlx::query("INSERT INTO indicator_history (code, definition, catalogue_version, import_id, replaced_by) VALUES ($1, $2, $3, $4, $5)")
                                .bind(&ind.code).bind(&definition).bind(&old_version).bind(old_import).bind(import_id)
                                .execute(&mut **t).await?;
                        }
                        // The import that set the definition stays its author while it is unchanged.
                        let author = if unchanged { old_import } else { import_id };
                        sqlx::query("UPDATE indicator SET area = $1, kind = $2, position = $3, definition = $4, catalogue_version = $5, import_id = $6, retired = 0 WHERE code = $7")
                            .bind(&ind.area).bind(&ind.kind).bind(pos as i64).bind(&ind.definition).bind(version).bind(author).bind(&ind.code)
                            .execute(&mut **t).await?;
                    }
                }
            }
            let active: Vec<String> = sqlx::query_scalar("SELECT code FROM indicator WHERE retired = 0").fetch_all(&mut **t).await?;
            for code in active.iter().filter(|c| !seen.contains(c.as_str())) {
                c.indicators_retired += 1;
                sqlx::query("UPDATE indicator SET retired = 1 WHERE code = $1").bind(code).execute(&mut **t).await?;
            }
        });
        let read = (variables.len() + indicators.len()) as u64;
        finish_import_log(
            &mut tx,
            &self.actor,
            import_id,
            read,
            c.variables_new + c.indicators_new,
            c.variables_updated + c.indicators_changed + c.indicators_retired,
            read.saturating_sub(c.variables_new + c.indicators_new + c.variables_updated + c.indicators_changed),
            0,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Every reference of every variable: (variable id, system, ref), ordered by them.
    pub async fn variable_refs(&self) -> Result<Vec<(i64, String, String)>> {
        let sql = "SELECT variable_id, system, ref FROM variable_ref ORDER BY variable_id, system, ref";
        Ok(dispatch!(&self.backend, p => sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// The indicators in force, in catalogue order.
    pub async fn indicators(&self) -> Result<Vec<StoredIndicator>> {
        let sql = "SELECT code, area, kind, definition, catalogue_version FROM indicator WHERE retired = 0 ORDER BY position, code";
        let rows = dispatch!(&self.backend, p => {
            sqlx::query(sql).fetch_all(p).await?.into_iter().map(|r| Ok(StoredIndicator {
                code: r.try_get("code")?,
                area: r.try_get("area")?,
                kind: r.try_get("kind")?,
                definition: r.try_get("definition")?,
                catalogue_version: r.try_get("catalogue_version")?,
            })).collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Earlier definitions of an indicator, oldest first: (definition, catalogue version).
    pub async fn indicator_history(&self, code: &str) -> Result<Vec<(String, String)>> {
        let sql = "SELECT definition, catalogue_version FROM indicator_history WHERE code = $1 ORDER BY replaced_by";
        Ok(dispatch!(&self.backend, p => sqlx::query_as(sql).bind(code).fetch_all(p).await?))
    }

    /// Creates a custom group, or replaces the members (and names) of an existing one; logged
    /// as an import of kind `group`. Returns the group's id.
    pub async fn save_group(&self, code: &str, name_pl: &str, name_en: Option<&str>, members: &[i64], source: &str) -> Result<i64> {
        let mut tx = self.begin_import().await?;
        let now = now_text();
        let import_id = insert_import_log(&mut tx, &self.actor, "group", source, code, &now).await?;
        let id = dispatch!(&mut tx, t => {
            let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM unit_group WHERE code = $1").bind(code).fetch_optional(&mut **t).await?;
            let id = match existing {
                Some(id) => {
                    sqlx::query("UPDATE unit_group SET name_pl = $1, name_en = $2, import_id = $3 WHERE id = $4")
                        .bind(name_pl).bind(name_en).bind(import_id).bind(id).execute(&mut **t).await?;
                    sqlx::query("DELETE FROM unit_group_member WHERE group_id = $1").bind(id).execute(&mut **t).await?;
                    id
                }
                None => sqlx::query_scalar::<_, i64>("INSERT INTO unit_group (code, name_pl, name_en, created_at, import_id) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                    .bind(code).bind(name_pl).bind(name_en).bind(&now).bind(import_id).fetch_one(&mut **t).await?,
            };
            let mut sorted = members.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            for m in &sorted {
                sqlx::query("INSERT INTO unit_group_member (group_id, unit_id) VALUES ($1, $2)").bind(id).bind(m).execute(&mut **t).await?;
            }
            id
        });
        finish_import_log(&mut tx, &self.actor, import_id, members.len() as u64, members.len() as u64, 0, 0, 0).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every custom group with its members.
    pub async fn groups(&self) -> Result<Vec<StoredGroup>> {
        let rows: Vec<(i64, String, String, Option<String>)> = dispatch!(&self.backend, p =>
            sqlx::query_as("SELECT id, code, name_pl, name_en FROM unit_group ORDER BY code").fetch_all(p).await?);
        let members: Vec<(i64, i64)> = dispatch!(&self.backend, p =>
            sqlx::query_as("SELECT group_id, unit_id FROM unit_group_member ORDER BY group_id, unit_id").fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|(id, code, name_pl, name_en)| StoredGroup {
                id,
                code,
                name_pl,
                name_en,
                members: members.iter().filter(|m| m.0 == id).map(|m| m.1).collect(),
            })
            .collect())
    }

    /// Replaces the adjacency of units from one source (e.g. `demo`, `boundaries`); both
    /// directions are stored.
    pub async fn replace_adjacency(&self, source: &str, pairs: &[(i64, i64)]) -> Result<u64> {
        let mut tx = self.begin_import().await?;
        let n = write_adjacency(&mut tx, &self.actor, source, "", pairs).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Every adjacent pair (both directions).
    pub async fn adjacency(&self) -> Result<Vec<(i64, i64)>> {
        Ok(dispatch!(&self.backend, p =>
            sqlx::query_as("SELECT unit_id, neighbour_id FROM unit_adjacency ORDER BY unit_id, neighbour_id").fetch_all(p).await?))
    }
}

/// Replaces the adjacency of `source` inside an open transaction, logged as one import; both
/// directions are stored, self-pairs dropped. Rows go 300 to a statement.
pub(crate) async fn write_adjacency(tx: &mut Tx, actor: &Actor, source: &str, file: &str, pairs: &[(i64, i64)]) -> Result<u64> {
    let import_id = insert_import_log(tx, actor, "adjacency", source, file, &now_text()).await?;
    let mut all: Vec<(i64, i64)> = pairs.iter().flat_map(|&(a, b)| [(a, b), (b, a)]).filter(|(a, b)| a != b).collect();
    all.sort_unstable();
    all.dedup();
    dispatch!(&mut *tx, t => {
        sqlx::query("DELETE FROM unit_adjacency WHERE source = $1").bind(source).execute(&mut **t).await?;
        for chunk in all.chunks(300) {
            let values: Vec<String> = (0..chunk.len()).map(|i| format!("(${}, ${}, $1)", 2 * i + 2, 2 * i + 3)).collect();
            let sql = format!(
                "INSERT INTO unit_adjacency (unit_id, neighbour_id, source) VALUES {} ON CONFLICT DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(source);
            for (a, b) in chunk {
                q = q.bind(a).bind(b);
            }
            q.execute(&mut **t).await?;
        }
    });
    finish_import_log(tx, actor, import_id, pairs.len() as u64, all.len() as u64, 0, 0, 0).await?;
    Ok(all.len() as u64)
}
