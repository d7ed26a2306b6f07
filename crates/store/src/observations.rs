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
    /// The import's `finished_at`.
    pub changed_at: String,
    pub variable_id: i64,
    pub unit_id: i64,
}

impl Change {
    /// This row's place in the feed: a page that starts after it begins with the next row.
    pub fn cursor(&self) -> ChangeCursor {
        ChangeCursor {
            finished_at: self.changed_at.clone(),
            import_id: self.import_id,
            variable_id: self.variable_id,
            unit_id: self.unit_id,
            year: self.year,
        }
    }
}

/// A place in the feed of [`Store::changes_since`], which is in the order of this key:
/// the import as it finished (`finished_at`, then its id), then variable, unit and year.
/// The key is unique (an observation is current in one import), so the order is total and
/// a page that starts after the last row of the one before neither repeats nor skips a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeCursor {
    /// The `finished_at` of import `import_id`, as the import log has it.
    pub finished_at: String,
    pub import_id: i64,
    pub variable_id: i64,
    pub unit_id: i64,
    pub year: i64,
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
    /// Who ran it (`cli:ola`, `user:jan`…); `None` for imports before the audit log.
    pub actor: Option<String>,
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
    actor: std::sync::Arc<crate::Actor>,
    affected: u64,
    statements: HashMap<usize, std::sync::Arc<str>>,
    variables: std::collections::BTreeSet<i64>,
}

impl Store {
    /// Starts an import: opens the transaction and writes the import log entry (which
    /// becomes visible only if the import commits).
    pub async fn begin_observation_import(&self, source: &str, file: &str) -> Result<ObservationImport> {
        let mut tx = self.begin_import().await?;
        let id = insert_import_log(&mut tx, &self.actor, "observations", source, file, &now_text()).await?;
        Ok(ObservationImport {
            tx: Some(tx),
            inflight: None,
            id,
            actor: self.actor.clone(),
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
    /// (none if it is new): at most `limit`, from the first row after `after` (from the
    /// start when `None`), in the order of [`ChangeCursor`]. Fewer than `limit` only at
    /// the end of the feed.
    ///
    /// Keyset paging: each statement reads the rest of one import and the start of the next
    /// through the index `observation_by_import` (import, variable, unit, year), from the
    /// cursor on, so a page costs its own rows however deep it is, never an OFFSET's skip.
    pub async fn changes_since(&self, since: &str, after: Option<&ChangeCursor>, limit: i64) -> Result<Vec<Change>> {
        // $1 since; $2..$6 the cursor; $7 the rows still wanted. `a`: the cursor's import
        // after the cursor — a range of the index from (import, variable, unit, year) up to
        // the import's end, written so that neither SQLite nor PostgreSQL can take the
        // primary key (variable, unit, year) and skip other imports' rows instead; `b`: the
        // next import (finished since `since`) that has current rows, from its start. A page
        // that needs more than that runs it again from its last row.
        let sql = "SELECT x.finished_at, x.import_id, x.variable_id, x.unit_id, x.year, x.value AS new_value, \
                          x.flag AS new_flag, u.code AS unit_code, v.code AS variable_code, h.value AS old_value, \
                          h.flag AS old_flag \
                   FROM (SELECT * FROM (SELECT 0 AS part, il.finished_at, o.import_id, o.variable_id, o.unit_id, o.year, \
                                               o.value, o.flag \
                                        FROM import_log il CROSS JOIN observation o \
                                        WHERE il.id = $3 AND il.finished_at >= $1 \
                                          AND (o.import_id, o.variable_id, o.unit_id, o.year) > ($3, $4, $5, $6) \
                                          AND o.import_id <= $3 \
                                        ORDER BY o.import_id, o.variable_id, o.unit_id, o.year LIMIT $7) a \
                         UNION ALL \
                         SELECT * FROM (SELECT 1 AS part, il.finished_at, o.import_id, o.variable_id, o.unit_id, o.year, \
                                               o.value, o.flag \
                                        FROM import_log il CROSS JOIN observation o \
                                        WHERE il.id = (SELECT n.id FROM import_log n \
                                                       WHERE n.finished_at >= $1 AND (n.finished_at, n.id) > ($2, $3) \
                                                         AND EXISTS (SELECT 1 FROM observation e WHERE e.import_id = n.id) \
                                                       ORDER BY n.finished_at, n.id LIMIT 1) \
                                          AND o.import_id = il.id \
                                        ORDER BY o.variable_id, o.unit_id, o.year LIMIT $7) b) x \
                   CROSS JOIN variable v \
                   CROSS JOIN unit u \
                   LEFT JOIN observation_history h ON h.variable_id = x.variable_id AND h.unit_id = x.unit_id \
                        AND h.year = x.year \
                        AND h.import_id IN (SELECT id FROM import_log WHERE finished_at < $1) \
                        AND h.superseded_by IN (SELECT id FROM import_log WHERE finished_at >= $1) \
                   WHERE v.id = x.variable_id AND u.id = x.unit_id \
                   ORDER BY x.part, x.variable_id, x.unit_id, x.year \
                   LIMIT $7";
        let mut out: Vec<Change> = Vec::new();
        let mut at = after.cloned();
        while (out.len() as i64) < limit {
            let want = limit - out.len() as i64;
            // Before the first import: ('', 0, …) sorts before every key.
            let c = at.clone().unwrap_or(ChangeCursor { finished_at: String::new(), import_id: 0, variable_id: 0, unit_id: 0, year: 0 });
            let rows = dispatch!(&self.backend, p => {
                sqlx::query(sql)
                    .bind(since).bind(&c.finished_at).bind(c.import_id).bind(c.variable_id).bind(c.unit_id).bind(c.year).bind(want)
                    .fetch_all(p).await?
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
                        changed_at: r.try_get("finished_at")?,
                        variable_id: r.try_get("variable_id")?,
                        unit_id: r.try_get("unit_id")?,
                    }))
                    .collect::<Result<Vec<_>, sqlx::Error>>()?
            });
            // Rows of the next import mean the feed went on past the cursor's import: when
            // they fell short of `want`, that import is done and another may follow.
            let moved_on = rows.iter().any(|r| r.import_id != c.import_id);
            let short = (rows.len() as i64) < want;
            out.extend(rows);
            if !(moved_on && short) {
                break;
            }
            at = out.last().map(Change::cursor);
        }
        Ok(out)
    }

    /// The `finished_at` of an import, if there is one with this id: what a
    /// [`ChangeCursor`] needs besides the ids.
    pub async fn import_finished_at(&self, import_id: i64) -> Result<Option<String>> {
        let sql = "SELECT finished_at FROM import_log WHERE id = $1";
        let t = dispatch!(&self.backend, p => sqlx::query_scalar(sql).bind(import_id).fetch_optional(p).await?);
        Ok(t)
    }

    /// The imports that wrote a variable: (import id, file, variable code), oldest first.
    pub async fn imports_of_variable(&self, code: &str) -> Result<Vec<(i64, Option<String>, String)>> {
        let sql = "SELECT l.id, l.file, v.code FROM import_variable iv JOIN import_log l ON l.id = iv.import_id \
                   JOIN variable v ON v.id = iv.variable_id WHERE v.code = $1 ORDER BY l.id";
        let rows = dispatch!(&self.backend, p => {
            sqlx::query_as::<_, (i64, Option<String>, String)>(sql).bind(code).fetch_all(p).await?
        });
        Ok(rows)
    }

    /// The import log, newest first.
    pub async fn imports(&self, limit: i64) -> Result<Vec<ImportInfo>> {
        let sql = "SELECT id, kind, source, file, started_at, finished_at, rows_read, inserted, changed, \
                   unchanged, rejected, actor FROM import_log ORDER BY id DESC LIMIT $1";
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
                        actor: r.try_get("actor")?,
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
    pub(crate) async fn tx(&mut self) -> Result<&mut Tx> {
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
        finish_import_log(&mut tx, &self.actor, self.id, read, inserted, changed, unchanged, rejected).await?;
        for v in &self.variables {
            dispatch!(&mut tx, t => {
                sqlx::query("INSERT INTO import_variable (import_id, variable_id) VALUES ($1, $2)")
                    .bind(id).bind(v).execute(&mut **t).await?;
            });
        }
        // The columnar records of the variables written, current with the rows at commit.
        crate::columns::refresh_columns(&mut tx, self.variables.iter().copied()).await?;
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
pub(crate) fn upsert_sql(rows: usize, import_id: i64, numbered: bool) -> String {
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
