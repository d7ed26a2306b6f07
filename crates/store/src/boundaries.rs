//! Unit boundaries: one GeoJSON geometry per unit with its bounding box. An import replaces
//! the boundaries of its source in one transaction and is logged like any other import; a
//! boundary that did not change keeps the import that wrote it.

use std::collections::HashSet;

use crate::units::{finish_import_log, insert_import_log};
use crate::{Result, Store, StoreError, Tx, dispatch, now_text};

/// A boundary to store. `geometry` is a GeoJSON geometry object (Polygon or MultiPolygon,
/// lon/lat WGS84); `bbox` is `[west, south, east, north]`, as GeoJSON's `bbox` member.
/// The store keeps the text as given: checking the geometry is the importer's job.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBoundary {
    pub unit_id: i64,
    pub geometry: String,
    pub bbox: [f64; 4],
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredBoundary {
    pub unit_id: i64,
    pub source: String,
    pub geometry: String,
    pub bbox: [f64; 4],
    pub import_id: i64,
}

/// What a boundary import did. `removed`: boundaries of the same source that the new set no
/// longer has (logged among the changed ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BoundaryCounts {
    pub inserted: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub removed: u64,
    pub import_id: i64,
}

type BoundaryRow = (i64, String, String, f64, f64, f64, f64, i64);

fn stored((unit_id, source, geometry, min_x, min_y, max_x, max_y, import_id): BoundaryRow) -> StoredBoundary {
    StoredBoundary { unit_id, source, geometry, bbox: [min_x, min_y, max_x, max_y], import_id }
}

const SELECT: &str = "SELECT unit_id, source, geometry, min_x, min_y, max_x, max_y, import_id FROM unit_boundary";

impl Store {
    /// Replaces the boundaries from `source` (e.g. `demo`, `prg`) with `boundaries`, in one
    /// transaction: new units get one, changed ones are replaced (also when another source
    /// had given it), the source's boundaries missing from the new set are removed.
    pub async fn replace_boundaries(&self, source: &str, file: &str, boundaries: &[NewBoundary]) -> Result<BoundaryCounts> {
        check_boundaries(boundaries)?;
        let mut tx = self.begin_import().await?;
        let c = write_boundaries(&mut tx, &self.actor, source, file, boundaries).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Replaces the boundaries from `source` and the adjacency of the same source, both in ONE
    /// transaction: a boundary import leaves either its boundaries and their neighbours or
    /// nothing at all. Returns the boundary counts and the number of adjacency rows stored
    /// (both directions).
    pub async fn replace_boundaries_and_adjacency(
        &self,
        source: &str,
        file: &str,
        boundaries: &[NewBoundary],
        pairs: &[(i64, i64)],
    ) -> Result<(BoundaryCounts, u64)> {
        check_boundaries(boundaries)?;
        let mut tx = self.begin_import().await?;
        let c = write_boundaries(&mut tx, &self.actor, source, file, boundaries).await?;
        let n = crate::catalogue::write_adjacency(&mut tx, &self.actor, source, file, pairs).await?;
        tx.commit().await?;
        Ok((c, n))
    }

    /// Every stored boundary, by unit id.
    pub async fn boundaries(&self) -> Result<Vec<StoredBoundary>> {
        let sql = format!("{SELECT} ORDER BY unit_id");
        let rows: Vec<BoundaryRow> = dispatch!(&self.backend, p => sqlx::query_as(&sql).fetch_all(p).await?);
        Ok(rows.into_iter().map(stored).collect())
    }

    /// The boundary of one unit, if it has one.
    pub async fn boundary(&self, unit_id: i64) -> Result<Option<StoredBoundary>> {
        let sql = format!("{SELECT} WHERE unit_id = $1");
        let row: Option<BoundaryRow> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(unit_id).fetch_optional(p).await?);
        Ok(row.map(stored))
    }
}

fn check_boundaries(boundaries: &[NewBoundary]) -> Result<()> {
    let mut ids = HashSet::with_capacity(boundaries.len());
    for b in boundaries {
        if !ids.insert(b.unit_id) {
            return Err(StoreError::Invalid(format!("unit {} is given two boundaries", b.unit_id)));
        }
        let [w, s, e, n] = b.bbox;
        if !b.bbox.iter().all(|v| v.is_finite()) || w > e || s > n {
            return Err(StoreError::Invalid(format!("unit {}: bounding box {:?} is not west, south, east, north", b.unit_id, b.bbox)));
        }
        if b.geometry.trim().is_empty() {
            return Err(StoreError::Invalid(format!("unit {}: the geometry is empty", b.unit_id)));
        }
    }
    Ok(())
}

/// Writes the boundaries of `source` inside an open transaction, logged as one import.
async fn write_boundaries(tx: &mut Tx, actor: &crate::Actor, source: &str, file: &str, boundaries: &[NewBoundary]) -> Result<BoundaryCounts> {
    let ids: HashSet<i64> = boundaries.iter().map(|b| b.unit_id).collect();
    let import_id = insert_import_log(tx, actor, "boundaries", source, file, &now_text()).await?;
    let mut c = BoundaryCounts { import_id, ..Default::default() };
    let upsert = "INSERT INTO unit_boundary (unit_id, source, geometry, min_x, min_y, max_x, max_y, import_id) \
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                  ON CONFLICT (unit_id) DO UPDATE SET source = excluded.source, geometry = excluded.geometry, \
                  min_x = excluded.min_x, min_y = excluded.min_y, max_x = excluded.max_x, max_y = excluded.max_y, \
                  import_id = excluded.import_id \
                  WHERE unit_boundary.source IS DISTINCT FROM excluded.source \
                  OR unit_boundary.geometry IS DISTINCT FROM excluded.geometry \
                  OR unit_boundary.min_x IS DISTINCT FROM excluded.min_x OR unit_boundary.min_y IS DISTINCT FROM excluded.min_y \
                  OR unit_boundary.max_x IS DISTINCT FROM excluded.max_x OR unit_boundary.max_y IS DISTINCT FROM excluded.max_y";
    dispatch!(&mut *tx, t => {
        // Ids only: real boundaries are large, and the upsert itself tells changed from unchanged.
        let existing: Vec<(i64, String)> = sqlx::query_as("SELECT unit_id, source FROM unit_boundary")
            .fetch_all(&mut **t).await?;
        let had: HashSet<i64> = existing.iter().map(|e| e.0).collect();
        for b in boundaries {
            let [w, s, e, n] = b.bbox;
            let written = sqlx::query(upsert)
                .bind(b.unit_id).bind(source).bind(&b.geometry).bind(w).bind(s).bind(e).bind(n).bind(import_id)
                .execute(&mut **t).await?.rows_affected();
            match (had.contains(&b.unit_id), written > 0) {
                (false, _) => c.inserted += 1,
                (true, true) => c.changed += 1,
                (true, false) => c.unchanged += 1,
            }
        }
        for (unit_id, _) in existing.iter().filter(|(id, s)| s == source && !ids.contains(id)) {
            sqlx::query("DELETE FROM unit_boundary WHERE unit_id = $1").bind(unit_id).execute(&mut **t).await?;
            c.removed += 1;
        }
    });
    finish_import_log(tx, actor, import_id, boundaries.len() as u64, c.inserted, c.changed + c.removed, c.unchanged, 0).await?;
    Ok(c)
}
