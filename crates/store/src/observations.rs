//! Observations: streaming imports in one transaction, revisions, history of a value, and
//! what changed since a date.

use std::collections::HashMap;

use sqlx::Row;

use crate::units::{NewUnit, finish_import_log, insert_import_log, insert_unit};
use crate::{Result, Store, StoreError, Tx, dispatch, now_text};

/// One observation ready to store: ids resolved, flag as its storage number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObsRow {
    pub variable_id: i64,
    pub unit_id: i64,
    pub year: i64,
    pub value: Option<f64>,
    pub flag: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewVariable {
    pub code: String,
    pub name_pl: String,
    pub name_en: Option<String>,
    pub measure_unit: Option<String>,
    pub source: Option<String>,
    /// External ids: (system, id), e.g. (`bdl_subgroup`, `P2137`).
    pub refs: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredVariable {
    pub id: i64,
    pub code: String,
    pub name_pl: String,
    pub name_en: Option<String>,
    pub measure_unit: Option<String>,
    pub source: Option<String>,
}

/// The summary of an import: rows read, inserted, changed, unchanged, rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportCounts {
    pub import_id: i64,
    pub read: u64,
    pub inserted: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

/// One revision of a value: the current one has `superseded_by == None`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub year: i64,
    pub value: Option<f64>,
    pub flag: i64,
    pub import_id: i64,
    pub recorded_at: String,
    pub source: String,
    pub file: Option<String>,
    pub superseded_by: Option<i64>,
    pub superseded_at: Option<String>,
}

/// A value that is new or different since a date, with what it was then.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub unit_code: String,
    pub variable_code: String,
    pub year: i64,
    pub old_value: Option<f64>,
    pub old_flag: Option<i64>,
    pub new_value: Option<f64>,
    pub new_flag: i64,
    pub import_id: i64,
    pub changed_at: String,
}

/// An entry of the import log.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportInfo {
    pub id: i64,
    pub kind: String,
    pub source: String,
    pub file: Option<String>,
    pub started_at: String,
    pub finished_at: String,
    pub counts: ImportCounts,
}

/// Rows per INSERT statement: 5 parameters each stays far below SQLite's 32 766 and
/// PostgreSQL's 65 535 parameters per statement.
const ROWS_PER_STATEMENT: usize = 1000;

/// An import of observations in progress: one open transaction. Dropping it without
/// [`ObservationImport::finish`] rolls everything back.
///
/// Writes are pipelined: [`ObservationImport::write`] hands its batch to a task that binds
/// and executes it while the caller prepares the next batch; the next call (or any other)
/// first takes the transaction back and reports that batch's error, if any.
pub struct ObservationImport {
    tx: Option<Tx>,
    inflight: Option<tokio::task::JoinHandle<(Tx, Result<u64>)>>,
    id: i64,
    affected: u64,
    statements: HashMap<usize, std::sync::Arc<str>>,
    variables: std::collections::BTreeSet<i64>,
}

impl Store {
    /// Starts an import: opens the transaction and writes the import log entry (which
    /// becomes visible only if the import commits).
    pub async fn begin_observation_import(&self, source: &str, file: &str) -> Result<ObservationImport> {
        let mut tx = self.begin().await?;
        let id = insert_import_log(&mut tx, "observations", source, file, &now_text()).await?;
        Ok(ObservationImport {
            tx: Some(tx),
            inflight: None,
            id,
            affected: 0,
            statements: HashMap::new(),
            variables: std::collections::BTreeSet::new(),
        })
    }

    pub async fn variables(&self) -> Result<Vec<StoredVariable>> {
        let sql = "SELECT id, code, name_pl, name_en, measure_unit, source FROM variable ORDER BY code";
        let rows = dispatch!(&self.backend, p => {
            sqlx::query(sql).fetch_all(p).await?
                .into_iter()
                .map(|r| Ok(StoredVariable {
                    id: r.try_get("id")?,
                    code: r.try_get("code")?,
                    name_pl: r.try_get("name_pl")?,
                    name_en: r.try_get("name_en")?,
                    measure_unit: r.try_get("measure_unit")?,
                    source: r.try_get("source")?,
                }))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Every revision of the values of one variable for one unit, by year, oldest first.
    pub async fn history(&self, unit_id: i64, variable_id: i64) -> Result<Vec<HistoryEntry>> {
        let sql = "SELECT x.year, x.value, x.flag, x.import_id, il.finished_at AS recorded_at, il.source, il.file, \
                          x.superseded_by, sl.finished_at AS superseded_at \
                   FROM (SELECT year, value, flag, import_id, NULL AS superseded_by FROM observation \
                           WHERE unit_id = $1 AND variable_id = $2 \
                         UNION ALL \
                         SELECT year, value, flag, import_id, superseded_by FROM observation_history \
                           WHERE unit_id = $1 AND variable_id = $2) x \
                   JOIN import_log il ON il.id = x.import_id \
                   LEFT JOIN import_log sl ON sl.id = x.superseded_by \
                   ORDER BY x.year, il.finished_at, x.import_id";
        let rows = dispatch!(&self.backend, p => {
            sqlx::query(sql).bind(unit_id).bind(variable_id).fetch_all(p).await?
                .into_iter()
                .map(|r| Ok(HistoryEntry {
                    year: r.try_get("year")?,
                    value: r.try_get("value")?,
                    flag: r.try_get("flag")?,
                    import_id: r.try_get("import_id")?,
                    recorded_at: r.try_get("recorded_at")?,
                    source: r.try_get("source")?,
                    file: r.try_get("file")?,
                    superseded_by: r.try_get("superseded_by")?,
                    superseded_at: r.try_get("superseded_at")?,
                }))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Values new or changed by imports finished on or after `since` (an ISO date
    /// `YYYY-MM-DD` or a timestamp as in the import log), with the value each had at `since`
    /// (none if it is new), in the order they were imported.
    pub async fn changes_since(&self, since: &str, limit: i64, offset: i64) -> Result<Vec<Change>> {
        // Only the variables of the imports finished since then are probed, each through the
        // primary key (variable_id, …): the cost follows what changed, not the table's size.
        let sql = "SELECT u.code AS unit_code, v.code AS variable_code, o.year, h.value AS old_value, \
                          h.flag AS old_flag, o.value AS new_value, o.flag AS new_flag, o.import_id, \
                          il.finished_at AS changed_at \
                   FROM import_log il \
                   CROSS JOIN import_variable iv \
                   CROSS JOIN observation o \
                   JOIN variable v ON v.id = o.variable_id \
                   JOIN unit u ON u.id = o.unit_id \
                   LEFT JOIN observation_history h ON h.variable_id = o.variable_id AND h.unit_id = o.unit_id \
                        AND h.year = o.year \
                        AND h.import_id IN (SELECT id FROM import_log WHERE finished_at < $1) \
                        AND h.superseded_by IN (SELECT id FROM import_log WHERE finished_at >= $1) \
                   WHERE il.finished_at >= $1 AND iv.import_id = il.id \
                     AND o.variable_id = iv.variable_id AND o.import_id = il.id \
                   ORDER BY il.finished_at, u.code, v.code, o.year \
                   LIMIT $2 OFFSET $3";
        let d = since;
        let rows = dispatch!(&self.backend, p => {
            sqlx::query(sql).bind(d).bind(limit).bind(offset).fetch_all(p).await?
                .into_iter()
                .map(|r| Ok(Change {
                    unit_code: r.try_get("unit_code")?,
                    variable_code: r.try_get("variable_code")?,
                    year: r.try_get("year")?,
                    old_value: r.try_get("old_value")?,
                    old_flag: r.try_get("old_flag")?,
                    new_value: r.try_get("new_value")?,
                    new_flag: r.try_get("new_flag")?,
                    import_id: r.try_get("import_id")?,
                    changed_at: r.try_get("changed_at")?,
                }))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// The import log, newest first.
    pub async fn imports(&self, limit: i64) -> Result<Vec<ImportInfo>> {
        let sql = "SELECT id, kind, source, file, started_at, finished_at, rows_read, inserted, changed, \
                   unchanged, rejected FROM import_log ORDER BY id DESC LIMIT $1";
        let rows = dispatch!(&self.backend, p => {
            sqlx::query(sql).bind(limit).fetch_all(p).await?
                .into_iter()
                .map(|r| {
                    let n = |c: &str| r.try_get::<i64, _>(c).map(|v| u64::try_from(v).unwrap_or(0));
                    Ok(ImportInfo {
                        id: r.try_get("id")?,
                        kind: r.try_get("kind")?,
                        source: r.try_get("source")?,
                        file: r.try_get("file")?,
                        started_at: r.try_get("started_at")?,
                        finished_at: r.try_get("finished_at")?,
                        counts: ImportCounts {
                            import_id: r.try_get("id")?,
                            read: n("rows_read")?,
                            inserted: n("inserted")?,
                            changed: n("changed")?,
                            unchanged: n("unchanged")?,
                            rejected: n("rejected")?,
                        },
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Every current value for one unit: (variable code, name, measure unit, year, value, flag).
    pub async fn unit_observations(&self, unit_id: i64) -> Result<Vec<(String, String, Option<String>, i64, Option<f64>, i64)>> {
        // One primary-key probe (variable_id, unit_id) per variable: no index by unit is kept,
        // so that bulk imports maintain one B-tree fewer.
        let sql = "SELECT v.code, v.name_pl, v.measure_unit, o.year, o.value, o.flag FROM variable v \
                   CROSS JOIN observation o WHERE o.variable_id = v.id AND o.unit_id = $1 ORDER BY v.code, o.year";
        let rows = dispatch!(&self.backend, p => {
            sqlx::query(sql).bind(unit_id).fetch_all(p).await?
                .into_iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// The current values of one variable in one year: (unit id, value); a value is `None`
    /// where the flag says there is none (confidential, missing…).
    pub async fn values(&self, variable_id: i64, year: i64) -> Result<Vec<(i64, Option<f64>)>> {
        let sql = "SELECT unit_id, value FROM observation WHERE variable_id = $1 AND year = $2";
        let rows = dispatch!(&self.backend, p => {
            sqlx::query(sql).bind(variable_id).bind(year).fetch_all(p).await?
                .into_iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Every current value of one variable: (unit id, year, value), by unit and year.
    pub async fn variable_values(&self, variable_id: i64) -> Result<Vec<(i64, i64, Option<f64>)>> {
        Ok(self.variable_values_flagged(variable_id).await?.into_iter().map(|(u, y, v, _)| (u, y, v)).collect())
    }

    /// Every current value of one variable with its flag: (unit id, year, value, flag), by
    /// unit and year.
    pub async fn variable_values_flagged(&self, variable_id: i64) -> Result<Vec<(i64, i64, Option<f64>, i64)>> {
        let sql = "SELECT unit_id, year, value, flag FROM observation WHERE variable_id = $1 ORDER BY unit_id, year";
        let rows = dispatch!(&self.backend, p => {
            sqlx::query(sql).bind(variable_id).fetch_all(p).await?
                .into_iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// The current value of one observation, if any: (value, flag).
    pub async fn observation(&self, variable_id: i64, unit_id: i64, year: i64) -> Result<Option<(Option<f64>, i64)>> {
        let sql = "SELECT value, flag FROM observation WHERE variable_id = $1 AND unit_id = $2 AND year = $3";
        let row = dispatch!(&self.backend, p => {
            match sqlx::query(sql).bind(variable_id).bind(unit_id).bind(year).fetch_optional(p).await? {
                Some(r) => Some((r.try_get("value")?, r.try_get("flag")?)),
                None => None,
            }
        });
        Ok(row)
    }
}

impl ObservationImport {
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The transaction, once the batch in flight (if any) is done; its error, if it failed.
    async fn tx(&mut self) -> Result<&mut Tx> {
        if let Some(handle) = self.inflight.take() {
            let (tx, result) = handle.await.map_err(|e| StoreError::Invalid(format!("the import's writer task failed: {e}")))?;
            self.tx = Some(tx);
            self.affected += result?;
        }
        self.tx.as_mut().ok_or_else(|| StoreError::Invalid("the import's transaction is gone after an error".to_owned()))
    }

    /// Creates a variable inside the import; returns its id.
    pub async fn create_variable(&mut self, v: &NewVariable) -> Result<i64> {
        let sql = "INSERT INTO variable (code, name_pl, name_en, measure_unit, source, import_id) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        let import_id = self.id;
        let tx = self.tx().await?;
        let id: i64 = dispatch!(tx, t => {
            let id: i64 = sqlx::query_scalar(sql)
                .bind(&v.code).bind(&v.name_pl).bind(&v.name_en).bind(&v.measure_unit).bind(&v.source).bind(import_id)
                .fetch_one(&mut **t).await?;
            for (system, r) in &v.refs {
                sqlx::query("INSERT INTO variable_ref (variable_id, system, ref) VALUES ($1, $2, $3)")
                    .bind(id).bind(system).bind(r).execute(&mut **t).await?;
            }
            id
        });
        Ok(id)
    }

    /// Creates a (historical) unit inside the import; returns its id.
    pub async fn create_unit(&mut self, u: &NewUnit) -> Result<i64> {
        let id = self.id;
        insert_unit(self.tx().await?, u, id).await
    }

    /// Writes rows: a new key is inserted, a changed value makes a new revision (the old
    /// one goes to history), an equal value changes nothing. Two rows of one import with
    /// the same key and different values fail with [`StoreError::ConflictingDuplicate`]
    /// (reported by this call or the next one, as writes are pipelined); the caller must
    /// then drop the import.
    pub async fn write(&mut self, rows: Vec<ObsRow>) -> Result<()> {
        self.tx().await?;
        let Some(mut tx) = self.tx.take() else {
            return Err(StoreError::Invalid("the import's transaction is gone".to_owned()));
        };
        let id = self.id;
        self.variables.extend(rows.iter().map(|r| r.variable_id));
        let numbered = matches!(tx, Tx::Postgres(_));
        let full = ROWS_PER_STATEMENT.min(rows.len());
        let mut sql_for =
            |n: usize| -> std::sync::Arc<str> { self.statements.entry(n).or_insert_with(|| upsert_sql(n, id, numbered).into()).clone() };
        let full_sql = sql_for(full);
        let tail = rows.len() % ROWS_PER_STATEMENT;
        let tail_sql = (tail > 0 && rows.len() > ROWS_PER_STATEMENT).then(|| sql_for(tail));
        self.inflight = Some(tokio::spawn(async move {
            let mut affected = 0;
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let sql = if chunk.len() == full { &full_sql } else { tail_sql.as_ref().unwrap_or(&full_sql) };
                let result: Result<u64> = async {
                    Ok(dispatch!(&mut tx, t => {
                        let mut q = sqlx::query(sql);
                        for r in chunk {
                            q = q.bind(r.variable_id).bind(r.unit_id).bind(r.year).bind(r.value).bind(r.flag);
                        }
                        q.execute(&mut **t).await?.rows_affected()
                    }))
                }
                .await;
                match result {
                    Ok(n) => affected += n,
                    Err(e) => return (tx, Err(e)),
                }
            }
            (tx, Ok(affected))
        }));
        Ok(())
    }

    /// Commits the import. `valid` is the number of rows written (including repeated
    /// identical rows), `read` and `rejected` as the reader counted them.
    pub async fn finish(mut self, read: u64, valid: u64, rejected: u64) -> Result<ImportCounts> {
        let id = self.id;
        let tx = self.tx().await?;
        let changed: i64 = dispatch!(tx, t => sqlx::query_scalar(
            "SELECT COUNT(*) FROM observation_history WHERE superseded_by = $1")
            .bind(id).fetch_one(&mut **t).await?);
        let changed = u64::try_from(changed).unwrap_or(0);
        let inserted = self
            .affected
            .checked_sub(changed)
            .ok_or_else(|| StoreError::Invalid(format!("internal count mismatch: {} rows affected but {changed} revisions", self.affected)))?;
        let unchanged = valid.saturating_sub(inserted + changed);
        let Some(mut tx) = self.tx.take() else {
            return Err(StoreError::Invalid("the import's transaction is gone".to_owned()));
        };
        finish_import_log(&mut tx, self.id, read, inserted, changed, unchanged, rejected).await?;
        for v in &self.variables {
            dispatch!(&mut tx, t => {
                sqlx::query("INSERT INTO import_variable (import_id, variable_id) VALUES ($1, $2)")
                    .bind(id).bind(v).execute(&mut **t).await?;
            });
        }
        tx.commit().await?;
        Ok(ImportCounts { import_id: self.id, read, inserted, changed, unchanged, rejected })
    }

    /// Rolls the import back: the database is as before it began.
    pub async fn abandon(mut self) -> Result<()> {
        // The batch in flight may have failed: that is why we are here; roll back anyway.
        let _ = self.tx().await;
        match self.tx.take() {
            Some(tx) => tx.rollback().await,
            None => Ok(()),
        }
    }
}

/// The multi-row upsert. PostgreSQL needs numbered `$N` placeholders; SQLite gets anonymous
/// `?` ones, because sqlx resolves each named SQLite parameter through
/// `sqlite3_bind_parameter_name`, a linear walk — quadratic over 5000 parameters, and 90 %
/// of the import's time when measured.
fn upsert_sql(rows: usize, import_id: i64, numbered: bool) -> String {
    let mut sql = String::with_capacity(120 + rows * 32 + 300);
    sql.push_str("INSERT INTO observation (variable_id, unit_id, year, value, flag, import_id) VALUES ");
    for i in 0..rows {
        let b = i * 5;
        if i > 0 {
            sql.push(',');
        }
        if numbered {
            sql.push_str(&format!("(${},${},${},${},${},{import_id})", b + 1, b + 2, b + 3, b + 4, b + 5));
        } else {
            sql.push_str(&format!("(?,?,?,?,?,{import_id})"));
        }
    }
    sql.push_str(
        " ON CONFLICT (variable_id, unit_id, year) DO UPDATE \
          SET value = excluded.value, flag = excluded.flag, import_id = excluded.import_id \
          WHERE observation.value IS DISTINCT FROM excluded.value \
             OR observation.flag IS DISTINCT FROM excluded.flag",
    );
    sql
}
