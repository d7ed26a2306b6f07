//! Service-user surveys' storage on SQLite and PostgreSQL: set versions, campaigns with
//! letters, one-time tokens, anonymous responses, paper uploads, moderation, and the audit
//! rows of every write but an answer.

#[macro_use]
mod support;

use model::{TerytCode, UnitKind};
use store::surveys::{AnswerRow, NewCampaign, ResponseOutcome, free_letters, letter_of};
use store::{Actor, AuditFilter, Link, NewUnit, Store, StoreError, TerritoryPlan};

fn code(s: &str) -> TerytCode {
    TerytCode::parse(s).expect("code")
}

fn unit(c: &str, name: &str, kind: UnitKind) -> NewUnit {
    NewUnit { code: code(c), name: name.into(), kind, valid_from: None, valid_to: None, historical: false, parent_id: None }
}

/// Two gminy; their ids.
async fn setup(store: &Store) -> (i64, i64) {
    let plan = TerritoryPlan {
        state_date: model::parse_date("2024-01-01").expect("date"),
        file: "test".into(),
        rows_read: 3,
        closures: vec![],
        code_changes: vec![],
        renames: vec![],
        new_units: vec![
            unit("PL", "Polska", UnitKind::Kraj),
            unit("1205011", "Gorlice", UnitKind::GminaMiejska),
            unit("1205022", "Biecz", UnitKind::GminaWiejska),
        ],
        links: vec![
            Link { code: code("1205011"), parent: Some(code("PL")), same_jst: None },
            Link { code: code("1205022"), parent: Some(code("PL")), same_jst: None },
        ],
    };
    store.apply_territory(&plan).await.expect("territory");
    let a = store.unit_id_for_code(&code("1205011")).await.expect("lookup").expect("unit");
    let b = store.unit_id_for_code(&code("1205022")).await.expect("lookup").expect("unit");
    (a, b)
}

fn who() -> Actor {
    Actor { name: "user:ola".into(), user_id: Some(7), address: Some("192.0.2.1".into()) }
}

async fn audit_count(store: &Store, action: &str) -> usize {
    store.audit(&AuditFilter { action: Some(action.into()), ..Default::default() }, 1000).await.expect("audit").len()
}

fn campaign(set_id: i64, unit_id: i64, slug: &str, mode: &str, hashes: &[&str]) -> NewCampaign {
    NewCampaign {
        set_id,
        set_code: "szkola".into(),
        unit_id,
        service: "SP nr 1".into(),
        year: 2024,
        mode: mode.into(),
        min_answers: 30,
        opens_on: "2024-09-01".into(),
        closes_on: "2024-10-31".into(),
        slug: slug.into(),
        named: false,
        token_hashes: hashes.iter().map(|h| (*h).to_owned()).collect(),
    }
}

fn answers(scores: &[Option<i64>]) -> Vec<AnswerRow> {
    scores.iter().enumerate().map(|(i, s)| AnswerRow { question: format!("q{i}"), score: *s, dont_know: s.is_none() }).collect()
}

#[test]
fn letters_run_a_to_z_then_aa_and_the_pool_grows_past_the_used() {
    assert_eq!(letter_of(0), "A");
    assert_eq!(letter_of(25), "Z");
    assert_eq!(letter_of(26), "AA");
    assert_eq!(free_letters(&[]).len(), 26);
    let used: Vec<String> = (0..26).map(letter_of).collect();
    assert_eq!(free_letters(&used), vec!["AA".to_owned()]);
}

async fn sets_and_campaigns(store: Store, _raw: support::Raw) {
    let (a, b) = setup(&store).await;
    let v1 = store.add_survey_set("szkola", "edukacja", "Szkoła", "[set]\n# v1", &who()).await.expect("v1");
    let v2 = store.add_survey_set("szkola", "edukacja", "Szkoła", "[set]\n# v2", &who()).await.expect("v2");
    assert_eq!((v1.version, v2.version), (1, 2));
    store.add_survey_set("ops", "polityka_spoleczna", "OPS", "[set]", &who()).await.expect("ops");
    let latest = store.survey_sets().await.expect("sets");
    assert_eq!(latest.iter().map(|s| (s.code.as_str(), s.version)).collect::<Vec<_>>(), vec![("ops", 1), ("szkola", 2)]);
    assert_eq!(store.survey_set_by_id(v1.id).await.expect("by id").expect("v1").definition, "[set]\n# v1");
    assert_eq!(audit_count(&store, "survey.set").await, 3);

    let (c1, l1) = store.open_survey_campaign(&campaign(v2.id, a, "slug-a", "tokens", &["h1", "h2"]), 5, &who()).await.expect("c1");
    let (c2, l2) = store.open_survey_campaign(&campaign(v2.id, b, "slug-b", "open", &[]), 5, &who()).await.expect("c2");
    assert_ne!(l1, l2, "letters differ within a set and year");
    assert_eq!(l1, letter_of(5));
    let row = store.survey_campaign(c1).await.expect("read").expect("c1");
    assert_eq!((row.tokens_total, row.tokens_used, row.responses, row.state.as_str()), (2, 0, 0, "open"));
    assert_eq!(store.survey_campaign_by_slug("slug-b").await.expect("slug").map(|c| c.id), Some(c2));
    assert_eq!(store.survey_campaigns_of_unit(a).await.expect("unit").len(), 1);
    assert_eq!(store.survey_campaigns_of_set("szkola", 2024).await.expect("set").len(), 2);
    assert_eq!(store.survey_comparisons().await.expect("comparisons"), vec![("szkola".to_owned(), 2024, 2)]);
    let audit = store.audit(&AuditFilter { action: Some("survey.campaign".into()), ..Default::default() }, 10).await.expect("audit");
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|r| !r.detail.as_deref().unwrap_or("").contains(&format!(" {l1}"))), "no letter in the audit detail");
    let dup = store.open_survey_campaign(&campaign(v2.id, a, "slug-a", "open", &[]), 0, &who()).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "a slug twice is a conflict: {dup:?}");
    let nobody = store.open_survey_campaign(&campaign(v2.id, 999_999, "slug-z", "open", &[]), 0, &who()).await;
    assert!(matches!(nobody, Err(StoreError::Conflict(m)) if m.contains("not found")));

    store.add_survey_tokens(c1, &["h3".to_owned()], &who()).await.expect("tokens");
    assert_eq!(store.survey_campaign(c1).await.expect("read").expect("c1").tokens_total, 3);
    assert_eq!(audit_count(&store, "survey.tokens").await, 1);

    store.set_survey_named(c2, true, &who()).await.expect("named");
    store.set_survey_named(c2, true, &who()).await.expect("named again: nothing");
    assert_eq!(audit_count(&store, "survey.named").await, 1);
    assert!(store.survey_campaign(c2).await.expect("read").expect("c2").named);

    store.close_survey_campaign(c2, &who()).await.expect("close");
    assert!(matches!(store.close_survey_campaign(c2, &who()).await, Err(StoreError::Conflict(_))));
    assert!(matches!(store.add_survey_tokens(c2, &["h9".to_owned()], &who()).await, Err(StoreError::Conflict(_))));
    let closed = store.record_survey_response(c2, None, &answers(&[Some(4)]), None, "2024-09-10").await.expect("answer");
    assert_eq!(closed, ResponseOutcome::Closed);
    assert_eq!(audit_count(&store, "survey.close").await, 1);
}

#[tokio::test]
async fn sets_versions_and_campaigns_with_letters() {
    on_both!("t_surveys_", sets_and_campaigns);
}

async fn responses_are_anonymous(store: Store, raw: support::Raw) {
    let (a, _) = setup(&store).await;
    let set = store.add_survey_set("szkola", "edukacja", "Szkoła", "[set]", &who()).await.expect("set");
    let (c, _) = store.open_survey_campaign(&campaign(set.id, a, "s1", "tokens", &["h1", "h2"]), 0, &who()).await.expect("campaign");
    let audit_before = store.audit(&AuditFilter::default(), 10_000).await.expect("audit").len();

    let ok = store.record_survey_response(c, Some("h1"), &answers(&[Some(5), None]), Some("  Dobra szkoła "), "2024-09-10").await;
    assert_eq!(ok.expect("answer"), ResponseOutcome::Recorded);
    let again = store.record_survey_response(c, Some("h1"), &answers(&[Some(1), Some(1)]), None, "2024-09-10").await;
    assert_eq!(again.expect("answer"), ResponseOutcome::TokenUsed, "a used token is refused");
    let unknown = store.record_survey_response(c, Some("nope"), &answers(&[Some(1), Some(1)]), None, "2024-09-10").await;
    assert_eq!(unknown.expect("answer"), ResponseOutcome::TokenUnknown);

    let row = store.survey_campaign(c).await.expect("read").expect("campaign");
    assert_eq!((row.responses, row.tokens_used, row.comments_pending), (1, 1, 1), "the refused answers left nothing");
    let responses = store.survey_responses(c).await.expect("responses");
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].answers, answers(&[Some(5), None]));
    assert_eq!(store.audit(&AuditFilter::default(), 10_000).await.expect("audit").len(), audit_before, "answers are not audited");

    // The schema keeps nothing that could lead back to a respondent.
    for column in ["address", "token_hash", "user_id", "created_at", "at"] {
        let r = raw.exec(&format!("SELECT {column} FROM survey_response")).await;
        assert!(r.is_err(), "survey_response must have no `{column}` column");
    }
    assert!(raw.exec("SELECT received_on FROM survey_response").await.is_ok(), "the check itself reads a real column");
    assert!(raw.exec("SELECT response_id FROM survey_token").await.is_err(), "a token is not tied to its answer");

    let comments = store.survey_comments(c, Some("pending")).await.expect("comments");
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].body, "Dobra szkoła");
    store.moderate_survey_comment(comments[0].id, true, &who()).await.expect("publish");
    assert!(matches!(store.moderate_survey_comment(comments[0].id, true, &who()).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.survey_comments(c, Some("published")).await.expect("published").len(), 1);
    assert_eq!(store.survey_comment(comments[0].id).await.expect("one").map(|c| c.state), Some("published".into()));
    assert_eq!(audit_count(&store, "survey.moderate").await, 1);
}

#[tokio::test]
async fn responses_keep_no_identifier_and_a_used_token_is_refused() {
    on_both!("t_surveys_", responses_are_anonymous);
}

async fn paper(store: Store, _raw: support::Raw) {
    let (a, b) = setup(&store).await;
    let set = store.add_survey_set("szkola", "edukacja", "Szkoła", "[set]", &who()).await.expect("set");
    let (c, _) = store.open_survey_campaign(&campaign(set.id, a, "p1", "open", &[]), 0, &who()).await.expect("campaign");
    let (other, _) = store.open_survey_campaign(&campaign(set.id, b, "p2", "open", &[]), 1, &who()).await.expect("campaign");
    let rows: Vec<store::surveys::PaperResponse> =
        (0..40).map(|i| (answers(&[Some(1 + i % 5), Some(3)]), (i == 0).then(|| "Uwaga".to_owned()))).collect();
    store.import_survey_paper(c, "papier.csv", "2024-09-20", &rows, &who()).await.expect("paper");
    store.import_survey_paper(other, "b.csv", "2024-09-20", &rows[..3], &who()).await.expect("paper");
    assert_eq!(store.survey_campaign(c).await.expect("read").expect("c").responses, 40);
    assert_eq!(store.survey_comments(c, None).await.expect("comments").len(), 1);
    let audit = store.audit(&AuditFilter { action: Some("survey.paper".into()), ..Default::default() }, 10).await.expect("audit");
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[1].unit_id, Some(a));
    let of_set = store.survey_responses_of_set("szkola", 2024).await.expect("set responses");
    assert_eq!(of_set.len(), 43);
    assert_eq!(of_set.iter().filter(|r| r.campaign_id == other).count(), 3);
    // A response answering one question twice is refused whole: nothing of the file stays.
    let twice = vec![(vec![AnswerRow { question: "q0".into(), score: Some(1), dont_know: false }; 2], None)];
    assert!(store.import_survey_paper(c, "zly.csv", "2024-09-20", &twice, &who()).await.is_err());
    assert_eq!(store.survey_campaign(c).await.expect("read").expect("c").responses, 40);
    assert!(matches!(store.import_survey_paper(999_999, "x.csv", "2024-09-20", &rows, &who()).await, Err(StoreError::Conflict(_))));
}

#[tokio::test]
async fn paper_uploads_are_all_or_nothing() {
    on_both!("t_surveys_", paper);
}
