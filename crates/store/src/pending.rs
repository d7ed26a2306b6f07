//! The version of the approved but unpublished questionnaire answers: one cheap aggregate
//! over `submission` that a serving process polls, so that an approval made by another node
//! (or the CLI) reaches this node's private overlay (`app::LiveSnapshot::refresh_private_if_changed`)
//! without reading any value.

use crate::{Result, Store, dispatch};

/// What moves whenever the set of approved, unpublished submissions changes: how many there
/// are, the newest `updated_at` among them and the sum of their ids. An approval adds one (and
/// moves the newest time); a publication sets `import_id`, which takes one out (and moves the
/// import log as well); the id sum tells apart one approval and one publication falling in
/// the same second between two polls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingVersion {
    pub approved: i64,
    pub newest: Option<String>,
    pub id_sum: i64,
}

impl Store {
    /// The [`PendingVersion`] now: one aggregate over the approved submissions without an
    /// import (the unpublished ones).
    pub async fn pending_version(&self) -> Result<PendingVersion> {
        let sql = "SELECT COUNT(*), MAX(updated_at), CAST(COALESCE(SUM(id), 0) AS BIGINT) FROM submission \
                   WHERE state = 'approved' AND import_id IS NULL";
        let (approved, newest, id_sum) = dispatch!(&self.backend, p => {
            sqlx::query_as::<_, (i64, Option<String>, i64)>(sql).fetch_one(p).await?
        });
        Ok(PendingVersion { approved, newest, id_sum })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{Actor, FieldValue, NewCampaignRow};

    macro_rules! on_both {
        ($story:ident) => {{
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite:{}", dir.path().join("t.db").display());
            $story(Store::open(&url).await.unwrap()).await;
            if let Ok(pg) = std::env::var("MIERNIK_TEST_POSTGRES") {
                let schema = format!("t_pend_{}_{}", stringify!($story), std::process::id());
                let store = Store::open_postgres_schema(&pg, &schema).await.unwrap();
                $story(store.clone()).await;
                store.close().await;
                Store::drop_postgres_schema(&pg, &schema).await.unwrap();
            } else {
                eprintln!("MIERNIK_TEST_POSTGRES not set: {} ran on SQLite only", stringify!($story));
            }
        }};
    }

    async fn approved(store: &Store, campaign: i64, unit: i64, actor: &Actor) -> i64 {
        let value = FieldValue { field: "x".into(), value: Some(1.0), raw: None, comment: None };
        let saved = store.save_submission(campaign, unit, &[value], true, actor).await.unwrap();
        store.approve_submission(saved.submission.id, actor).await.unwrap();
        saved.submission.id
    }

    async fn moves_with_approvals_and_publication(store: Store) {
        let actor = Actor::named("cli:test");
        let mut imp = store.begin_observation_import("test", "t").await.unwrap();
        let mut units = Vec::new();
        for code in ["0201011", "0201022"] {
            let u = crate::NewUnit {
                code: model::TerytCode::parse(code).unwrap(),
                name: "Gmina".into(),
                kind: model::UnitKind::GminaMiejska,
                valid_from: None,
                valid_to: None,
                historical: false,
                parent_id: None,
            };
            units.push(imp.create_unit(&u).await.unwrap());
        }
        let x = crate::NewVariable { code: "x".into(), name_pl: "x".into(), name_en: None, measure_unit: None, source: None, refs: Vec::new() };
        imp.create_variable(&x).await.unwrap();
        imp.finish(0, 0, 0).await.unwrap();
        let (form, _) = store.add_form("f", "f", "[form]", &actor).await.unwrap();
        let row = NewCampaignRow {
            form_id: form,
            name: "c".into(),
            year: 2024,
            deadline: "2099-01-01".into(),
            publish_on: "2099-12-31".into(),
            unit_ids: units.clone(),
        };
        let campaign = store.add_campaign(&row, &actor).await.unwrap();
        let none = store.pending_version().await.unwrap();
        assert_eq!(none, PendingVersion { approved: 0, newest: None, id_sum: 0 });
        // A draft moves nothing; an approval does.
        let draft = FieldValue { field: "x".into(), value: Some(2.0), raw: None, comment: None };
        store.save_submission(campaign, units[1], &[draft], false, &actor).await.unwrap();
        assert_eq!(store.pending_version().await.unwrap(), none);
        let first = approved(&store, campaign, units[0], &actor).await;
        let one = store.pending_version().await.unwrap();
        assert_eq!((one.approved, one.id_sum), (1, first));
        assert!(one.newest.is_some());
        // Publishing takes it out.
        store.publish_submissions(campaign, &[first], &actor).await.unwrap();
        assert_eq!(store.pending_version().await.unwrap().approved, 0);
    }

    #[tokio::test]
    async fn the_pending_version_moves_with_approvals_and_publication() {
        on_both!(moves_with_approvals_and_publication);
    }
}
