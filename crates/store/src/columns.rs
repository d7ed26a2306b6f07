//! Observations by variable as columnar records (`observation_column`, migration 0008).
//!
//! The snapshot build needs every current observation of a few hundred variables: at Poland's
//! scale 12.7 million rows, which sqlx hands over one row at a time (17 s). Here each variable's
//! rows are kept beside them as one record — four arrays, unit ids, years, flags and values —
//! so the build reads a few hundred records (a second or less).
//!
//! A record is derived data and is never trusted blindly: it is *fresh* when its `stamp`
//! equals the variable's `data_stamp`. Every write of observations moves the stamp of each
//! variable it wrote and rebuilds their records in its own transaction
//! ([`refresh_columns`]: an import's finish, a revert), so readers of a committed state see
//! either fresh records or stale ones, which the reader replaces by the rows themselves
//! ([`ObservationReader`], in the same consistent read). [`Store::rebuild_stale_columns`]
//! writes the missing records afterwards (a database from before migration 0008).

use sqlx::Row;

use crate::{Backend, Result, Store, StoreError, Tx, dispatch};

const MAGIC: &[u8; 4] = b"MC01";
/// Bytes per row: unit id (u32), year (i16), flag (i8), has-value (u8), value (f64).
const ROW_BYTES: usize = 4 + 2 + 1 + 1 + 8;

/// One stored row: (unit id, year, value, flag).
pub type ObsTuple = (i64, i64, Option<f64>, i64);

/// Encodes rows as a record; `None` when a field does not fit its array (a unit id above
/// u32, a year outside i16, a flag outside i8): such a variable is read as rows.
pub fn encode(rows: &[ObsTuple]) -> Option<Vec<u8>> {
    let n = u32::try_from(rows.len()).ok()?;
    let mut out = Vec::with_capacity(8 + rows.len() * ROW_BYTES);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&n.to_le_bytes());
    for r in rows {
        out.extend_from_slice(&u32::try_from(r.0).ok()?.to_le_bytes());
    }
    for r in rows {
        out.extend_from_slice(&i16::try_from(r.1).ok()?.to_le_bytes());
    }
    for r in rows {
        out.extend_from_slice(&i8::try_from(r.3).ok()?.to_le_bytes());
    }
    out.extend(rows.iter().map(|r| u8::from(r.2.is_some())));
    for r in rows {
        out.extend_from_slice(&r.2.unwrap_or(0.0).to_le_bytes());
    }
    Some(out)
}

/// A record read in place: row `i` without copying the arrays.
#[derive(Debug, Clone, Copy)]
pub struct ColumnView<'a> {
    n: usize,
    units: &'a [u8],
    years: &'a [u8],
    flags: &'a [u8],
    has: &'a [u8],
    values: &'a [u8],
}

impl<'a> ColumnView<'a> {
    /// Reads a record's layout; `None` for bytes that are not one (wrong magic or length).
    pub fn new(data: &'a [u8]) -> Option<ColumnView<'a>> {
        let (magic, rest) = data.split_at_checked(4)?;
        if magic != MAGIC {
            return None;
        }
        let (n, rest) = rest.split_at_checked(4)?;
        let n = u32::from_le_bytes(n.try_into().ok()?) as usize;
        if rest.len() != n.checked_mul(ROW_BYTES)? {
            return None;
        }
        let (units, rest) = rest.split_at(n * 4);
        let (years, rest) = rest.split_at(n * 2);
        let (flags, rest) = rest.split_at(n);
        let (has, values) = rest.split_at(n);
        Some(ColumnView { n, units, years, flags, has, values })
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Row `i` (< `len()`): (unit id, year, value, flag).
    #[inline]
    pub fn get(&self, i: usize) -> (u32, i16, Option<f64>, i8) {
        let u = u32::from_le_bytes([self.units[4 * i], self.units[4 * i + 1], self.units[4 * i + 2], self.units[4 * i + 3]]);
        let y = i16::from_le_bytes([self.years[2 * i], self.years[2 * i + 1]]);
        let f = self.flags[i] as i8;
        let v = if self.has[i] != 0 {
            let b = &self.values[8 * i..8 * i + 8];
            Some(f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        } else {
            None
        };
        (u, y, v, f)
    }

    /// Every row, in stored order (unit, year).
    pub fn iter(&self) -> impl Iterator<Item = (u32, i16, Option<f64>, i8)> + '_ {
        (0..self.n).map(|i| self.get(i))
    }
}

/// The year range of the rows with a value.
fn year_range(rows: &[ObsTuple]) -> (Option<i64>, Option<i64>) {
    let years = rows.iter().filter(|r| r.2.is_some()).map(|r| r.1);
    (years.clone().min(), years.max())
}

async fn rows_of(tx: &mut Tx, variable_id: i64) -> Result<Vec<ObsTuple>> {
    let sql = "SELECT unit_id, year, value, flag FROM observation WHERE variable_id = $1 ORDER BY unit_id, year";
    Ok(dispatch!(tx, t => {
        sqlx::query(sql).bind(variable_id).fetch_all(&mut **t).await?
            .into_iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
    }))
}

/// Writes the record of `variable_id` at `stamp` from its rows as `tx` sees them (a record
/// that cannot be encoded is removed: the reader then takes the rows).
async fn write_column(tx: &mut Tx, variable_id: i64, stamp: i64) -> Result<()> {
    let rows = rows_of(tx, variable_id).await?;
    let (min_year, max_year) = year_range(&rows);
    match encode(&rows) {
        Some(data) => {
            let n = rows.len() as i64;
            drop(rows);
            dispatch!(tx, t => {
                sqlx::query(
                    "INSERT INTO observation_column (variable_id, stamp, n_rows, min_year, max_year, data) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (variable_id) DO UPDATE SET stamp = excluded.stamp, n_rows = excluded.n_rows, \
                     min_year = excluded.min_year, max_year = excluded.max_year, data = excluded.data",
                )
                .bind(variable_id).bind(stamp).bind(n).bind(min_year).bind(max_year).bind(data)
                .execute(&mut **t).await?;
            });
        }
        None => {
            dispatch!(tx, t => {
                sqlx::query("DELETE FROM observation_column WHERE variable_id = $1").bind(variable_id).execute(&mut **t).await?;
            });
        }
    }
    Ok(())
}

/// After a write of observations, inside its transaction: moves the stamp of each variable
/// written and rebuilds its record from the rows as they now are (the transaction sees its
/// own writes), so the commit makes rows and records current together.
pub(crate) async fn refresh_columns(tx: &mut Tx, variables: impl IntoIterator<Item = i64>) -> Result<()> {
    for v in variables {
        let stamp: i64 = dispatch!(tx, t => sqlx::query_scalar(
            "UPDATE variable SET data_stamp = data_stamp + 1 WHERE id = $1 RETURNING data_stamp")
            .bind(v).fetch_one(&mut **t).await?);
        write_column(tx, v, stamp).await?;
    }
    Ok(())
}

/// A variable's stamp and its record's: (id, data stamp, record stamp, min year, max year).
type PlanRow = (i64, i64, Option<i64>, Option<i64>, Option<i64>);

/// How a variable is read: from its fresh record, or from its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Record,
    Rows,
}

/// Reads the observations of some variables in one consistent read (a read transaction;
/// PostgreSQL: repeatable read), a variable at a time: fresh records as they are, the rest
/// from their rows, encoded the same way.
pub struct ObservationReader {
    tx: Option<Tx>,
    plan: Vec<(i64, Source)>,
    at: usize,
    year_range: Option<(i64, i64)>,
}

impl std::fmt::Debug for ObservationReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObservationReader").field("plan", &self.plan.len()).field("at", &self.at).finish()
    }
}

impl Store {
    /// Starts reading the observations of `variable_ids` (unknown ids are skipped).
    pub async fn read_observations(&self, variable_ids: &[i64]) -> Result<ObservationReader> {
        let mut tx = self.begin().await?;
        if let Backend::Postgres(t) = &mut tx {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut **t).await?;
        }
        let wanted: std::collections::HashSet<i64> = variable_ids.iter().copied().collect();
        let sql = "SELECT v.id, v.data_stamp, c.stamp, c.min_year, c.max_year FROM variable v \
                   LEFT JOIN observation_column c ON c.variable_id = v.id ORDER BY v.id";
        let rows: Vec<PlanRow> = dispatch!(&mut tx, t => {
            sqlx::query(sql).fetch_all(&mut **t).await?
                .into_iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        });
        let mut plan = Vec::new();
        let mut range: Option<(i64, i64)> = None;
        let mut widen = |lo: Option<i64>, hi: Option<i64>| {
            if let (Some(lo), Some(hi)) = (lo, hi) {
                range = Some(range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
            }
        };
        let mut stale = Vec::new();
        for (id, data_stamp, stamp, lo, hi) in rows {
            if !wanted.contains(&id) {
                continue;
            }
            if stamp == Some(data_stamp) {
                plan.push((id, Source::Record));
                widen(lo, hi);
            } else {
                plan.push((id, Source::Rows));
                stale.push(id);
            }
        }
        if !stale.is_empty() {
            let list = stale.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let sql = format!("SELECT MIN(year), MAX(year) FROM observation WHERE variable_id IN ({list}) AND value IS NOT NULL");
            let (lo, hi): (Option<i64>, Option<i64>) = dispatch!(&mut tx, t => {
                let r = sqlx::query(&sql).fetch_one(&mut **t).await?;
                (r.try_get(0)?, r.try_get(1)?)
            });
            widen(lo, hi);
        }
        Ok(ObservationReader { tx: Some(tx), plan, at: 0, year_range: range })
    }

    /// Writes the records of variables whose record is missing or stale (after an upgrade, or
    /// a write that could not encode one), each in its own short transaction; returns how
    /// many were written. The build works without them, only slower.
    pub async fn rebuild_stale_columns(&self) -> Result<usize> {
        let sql = "SELECT v.id FROM variable v LEFT JOIN observation_column c ON c.variable_id = v.id \
                   WHERE (c.stamp IS NULL OR c.stamp <> v.data_stamp) \
                   AND EXISTS (SELECT 1 FROM observation o WHERE o.variable_id = v.id)";
        let ids: Vec<i64> = dispatch!(&self.backend, p => sqlx::query_scalar(sql).fetch_all(p).await?);
        let mut written = 0;
        for id in ids {
            let mut tx = self.begin().await?;
            // A write first: it takes SQLite's write lock (and the row's lock on PostgreSQL)
            // before the rows are read, so no import can slip between the read and the write.
            let stamp: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
                "UPDATE variable SET data_stamp = data_stamp WHERE id = $1 RETURNING data_stamp")
                .bind(id).fetch_one(&mut **t).await?);
            write_column(&mut tx, id, stamp).await?;
            tx.commit().await?;
            written += 1;
        }
        Ok(written)
    }
}

impl ObservationReader {
    /// The years with a value among the variables read (`None`: no value at all); it may be
    /// wider than the years of the units a caller keeps.
    pub fn year_range(&self) -> Option<(i64, i64)> {
        self.year_range
    }

    /// How many variables come from their rows rather than a fresh record.
    pub fn from_rows(&self) -> usize {
        self.plan.iter().filter(|p| p.1 == Source::Rows).count()
    }

    /// The next variable: its id and its record's bytes (read them with [`ColumnView::new`]);
    /// `None` when all are read (the read transaction then ends).
    pub async fn next(&mut self) -> Result<Option<(i64, Vec<u8>)>> {
        let Some(&(id, source)) = self.plan.get(self.at) else {
            if let Some(tx) = self.tx.take() {
                tx.rollback().await?;
            }
            return Ok(None);
        };
        self.at += 1;
        let tx = self.tx.as_mut().ok_or_else(|| StoreError::Invalid("the observation read has ended".to_owned()))?;
        let data = match source {
            Source::Record => {
                dispatch!(tx, t => sqlx::query_scalar::<_, Vec<u8>>("SELECT data FROM observation_column WHERE variable_id = $1")
                    .bind(id).fetch_one(&mut **t).await?)
            }
            Source::Rows => {
                let rows = rows_of(tx, id).await?;
                match encode(&rows) {
                    Some(d) => d,
                    None => {
                        return Err(StoreError::Invalid(format!("variable {id}: a unit id, year or flag is out of the columnar record's range")));
                    }
                }
            }
        };
        if ColumnView::new(&data).is_none() {
            return Err(StoreError::Invalid(format!("variable {id}: its columnar record is damaged")));
        }
        Ok(Some((id, data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_gives_back_its_rows() {
        let rows: Vec<ObsTuple> = vec![(1, 2010, Some(1.5), 0), (1, 2011, None, 3), (70_000, 2024, Some(-0.0), 1), (9, 1999, Some(f64::MAX), -2)];
        let data = encode(&rows).expect("fits");
        let view = ColumnView::new(&data).expect("a record");
        let back: Vec<ObsTuple> = view.iter().map(|(u, y, v, f)| (i64::from(u), i64::from(y), v, i64::from(f))).collect();
        assert_eq!(back.len(), rows.len());
        for (a, b) in back.iter().zip(&rows) {
            assert_eq!((a.0, a.1, a.3), (b.0, b.1, b.3));
            assert_eq!(a.2.map(f64::to_bits), b.2.map(f64::to_bits));
        }
        assert_eq!(year_range(&rows), (Some(1999), Some(2024)));
    }

    #[test]
    fn rows_that_do_not_fit_are_not_encoded_and_damaged_bytes_are_refused() {
        assert!(encode(&[(i64::from(u32::MAX) + 1, 2010, Some(1.0), 0)]).is_none());
        assert!(encode(&[(1, 40_000, Some(1.0), 0)]).is_none());
        assert!(encode(&[(1, 2010, Some(1.0), 300)]).is_none());
        let data = encode(&[(1, 2010, Some(1.0), 0)]).expect("fits");
        assert!(ColumnView::new(&data[..data.len() - 1]).is_none());
        assert!(ColumnView::new(b"XX01\0\0\0\0").is_none());
        assert!(ColumnView::new(&[]).is_none());
        assert!(ColumnView::new(&data).is_some());
    }
}
