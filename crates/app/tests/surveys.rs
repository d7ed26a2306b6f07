//! Service-user surveys end to end on a small territory: standard sets, campaigns, one-time
//! links, the answer rules, paper uploads, results only from the minimum, and comparisons
//! that name a unit only to its own people, to an admin, or when it consented.

use app::accounts::{CurrentUser, Grant, Role};
use app::surveys::{self, Answer, CampaignFields, Label, Mode, SurveyError, Viewer};
use app::{AppError, Store};
use model::{Date, TerytCode, UnitKind};
use store::{Link, NewUnit, TerritoryPlan};

fn code(s: &str) -> TerytCode {
    TerytCode::parse(s).expect("code")
}

fn unit(c: &str, name: &str, kind: UnitKind) -> NewUnit {
    NewUnit { code: code(c), name: name.into(), kind, valid_from: None, valid_to: None, historical: false, parent_id: None }
}

fn date(s: &str) -> Date {
    model::parse_date(s).expect("date")
}

fn actor() -> store::Actor {
    store::Actor::named("test")
}

/// A store with three gminy and the standard sets; their ids.
async fn setup() -> (tempfile::TempDir, Store, [i64; 3]) {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.expect("open");
    let codes = ["1205011", "1205022", "1205032"];
    let plan = TerritoryPlan {
        state_date: date("2024-01-01"),
        file: "test".into(),
        rows_read: 4,
        closures: vec![],
        code_changes: vec![],
        renames: vec![],
        new_units: vec![
            unit("PL", "Polska", UnitKind::Kraj),
            unit(codes[0], "Gorlice", UnitKind::GminaMiejska),
            unit(codes[1], "Biecz", UnitKind::GminaWiejska),
            unit(codes[2], "Bobowa", UnitKind::GminaWiejska),
        ],
        links: codes.iter().map(|c| Link { code: code(c), parent: Some(code("PL")), same_jst: None }).collect(),
    };
    store.apply_territory(&plan).await.expect("territory");
    let mut ids = [0; 3];
    for (i, c) in codes.iter().enumerate() {
        ids[i] = store.unit_id_for_code(&code(c)).await.expect("lookup").expect("unit");
    }
    let added = surveys::load_standard_sets(&store, &actor()).await.expect("sets");
    assert_eq!(added, vec!["szkola".to_owned(), "ops".to_owned()]);
    (dir, store, ids)
}

fn fields(unit_id: i64, mode: Mode, tokens: u32) -> CampaignFields {
    CampaignFields {
        set_code: "szkola".into(),
        unit_id,
        service: "Szkoła Podstawowa nr 1".into(),
        year: 2024,
        mode,
        tokens,
        min_answers: surveys::DEFAULT_MIN_ANSWERS,
        opens_on: date("2024-09-01"),
        closes_on: date("2024-10-31"),
        named: false,
    }
}

/// Answers to every question of `szkola` with `score`.
fn all(score: u8) -> Vec<(String, Answer)> {
    ["bezpieczenstwo", "nauczanie", "kontakt", "informacja", "zajecia_dodatkowe", "warunki", "zywienie", "przemoc", "ogolnie"]
        .iter()
        .map(|q| ((*q).to_owned(), Answer::Score(score)))
        .collect()
}

/// A paper CSV of `n` rows, every question answered `score(i)`.
fn paper(n: usize, score: impl Fn(usize) -> &'static str) -> String {
    let mut s = String::from("bezpieczenstwo;nauczanie;kontakt;informacja;zajecia_dodatkowe;warunki;zywienie;przemoc;ogolnie;uwagi\n");
    for i in 0..n {
        let v = score(i);
        s.push_str(&format!("{v};{v};{v};{v};{v};{v};{v};{v};{v};\n"));
    }
    s
}

fn user(grants: &[(Role, Option<i64>)]) -> CurrentUser {
    CurrentUser {
        id: 1,
        login: "ola".into(),
        display_name: "Ola".into(),
        grants: grants.iter().map(|(role, unit_id)| Grant { role: *role, unit_id: *unit_id }).collect(),
    }
}

#[tokio::test]
async fn standard_sets_load_once() {
    let (_d, store, _) = setup().await;
    assert!(surveys::load_standard_sets(&store, &actor()).await.expect("again").is_empty());
    let sets = surveys::sets(&store).await.expect("sets");
    assert_eq!(sets.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(), vec!["ops", "szkola"]);
    let bad = surveys::add_set(&store, "[set]\ncode = \"x\"\n", "x.toml", &actor()).await;
    assert!(matches!(bad, Err(AppError::Invalid(m)) if m.starts_with("x.toml")));
    let text = surveys::set(&store, "ops").await.expect("read").expect("ops").definition;
    let v2 = surveys::add_set(&store, &text.replace("satisfied_from = 4", "satisfied_from = 5"), "ops.toml", &actor()).await.expect("v2");
    assert_eq!((v2.version, v2.set.satisfied_from), (2, 5));
}

#[tokio::test]
async fn one_time_links_are_used_once_and_dates_hold() {
    let (_d, store, [a, ..]) = setup().await;
    let (id, tokens) = surveys::open_campaign(&store, &fields(a, Mode::Tokens, 3), &actor()).await.expect("open");
    assert_eq!(tokens.len(), 3);
    let c = surveys::campaign(&store, id).await.expect("read").expect("campaign");
    assert_eq!((c.unit_code.as_str(), c.tokens_total, c.slug.len()), ("1205011", 3, 22));
    let day = date("2024-09-15");
    let slug = c.slug.as_str();
    assert!(matches!(surveys::answer(&store, slug, None, &all(4), None, day).await, Err(SurveyError::TokenNeeded)));
    assert!(matches!(surveys::answer(&store, slug, Some("nonsense"), &all(4), None, day).await, Err(SurveyError::TokenUnknown)));
    assert!(matches!(surveys::answer(&store, slug, Some(&tokens[0]), &all(4), None, date("2024-08-31")).await, Err(SurveyError::NotOpenYet)));
    assert!(matches!(surveys::answer(&store, slug, Some(&tokens[0]), &all(4), None, date("2024-11-01")).await, Err(SurveyError::Closed)));
    surveys::answer(&store, slug, Some(&tokens[0]), &all(4), Some("Dziękuję"), day).await.expect("answer");
    assert!(matches!(surveys::answer(&store, slug, Some(&tokens[0]), &all(2), None, day).await, Err(SurveyError::TokenUsed)));
    let mut bad = all(4);
    bad[0].1 = Answer::Score(6);
    assert!(matches!(surveys::answer(&store, slug, Some(&tokens[1]), &bad, None, day).await, Err(SurveyError::Invalid(_))));
    let mut unknown = all(4);
    unknown.push(("cos".into(), Answer::Score(3)));
    assert!(matches!(surveys::answer(&store, slug, Some(&tokens[1]), &unknown, None, day).await, Err(SurveyError::Invalid(_))));
    let blank: Vec<(String, Answer)> = all(4).into_iter().map(|(q, _)| (q, Answer::Blank)).collect();
    assert!(matches!(surveys::answer(&store, slug, Some(&tokens[1]), &blank, None, day).await, Err(SurveyError::Invalid(_))));
    assert!(matches!(surveys::answer(&store, "no-such-slug", None, &all(4), None, day).await, Err(SurveyError::NotFound)));

    let c = surveys::campaign(&store, id).await.expect("read").expect("campaign");
    assert_eq!((c.responses, c.tokens_used, c.comments_pending), (1, 1, 1), "the refused tries left no trace and no token used");
    let more = surveys::new_tokens(&store, id, 2, &actor()).await.expect("more");
    surveys::answer(&store, slug, Some(&more[1]), &all(5), None, day).await.expect("a new token works");
    assert!(matches!(surveys::new_tokens(&store, id, 0, &actor()).await, Err(AppError::Invalid(_))));
    surveys::close(&store, id, &actor()).await.expect("close");
    assert!(matches!(surveys::answer(&store, slug, Some(&tokens[2]), &all(4), None, day).await, Err(SurveyError::Closed)));
}

#[tokio::test]
async fn campaign_fields_are_checked() {
    let (_d, store, [a, ..]) = setup().await;
    let mut f = fields(a, Mode::Open, 0);
    f.min_answers = 5;
    assert!(matches!(surveys::open_campaign(&store, &f, &actor()).await, Err(AppError::Invalid(m)) if m.starts_with("min_answers")));
    let mut f = fields(a, Mode::Tokens, surveys::MAX_TOKENS + 1);
    assert!(matches!(surveys::open_campaign(&store, &f, &actor()).await, Err(AppError::Invalid(m)) if m.starts_with("tokens")));
    f.tokens = 1;
    f.closes_on = date("2024-08-01");
    assert!(matches!(surveys::open_campaign(&store, &f, &actor()).await, Err(AppError::Invalid(m)) if m.starts_with("closes_on")));
    let mut f = fields(a, Mode::Open, 0);
    f.set_code = "brak".into();
    assert!(matches!(surveys::open_campaign(&store, &f, &actor()).await, Err(AppError::NotFound(_))));
}

#[tokio::test]
async fn nothing_is_computed_below_the_minimum_and_paper_counts() {
    let (_d, store, [a, ..]) = setup().await;
    let (id, _) = surveys::open_campaign(&store, &fields(a, Mode::Open, 0), &actor()).await.expect("open");
    let slug = surveys::campaign(&store, id).await.expect("read").expect("c").slug;
    for _ in 0..29 {
        surveys::answer(&store, &slug, None, &all(5), None, date("2024-09-02")).await.expect("answer");
    }
    let r = surveys::results(&store, id).await.expect("results");
    assert_eq!((r.n_responses, r.shown), (29, false));
    assert!(r.overall.mean.is_none() && r.overall.satisfied_share.is_none() && r.overall.sat_lo.is_none());
    assert!(r.questions.iter().all(|q| q.mean.is_none() && q.satisfied_share.is_none() && q.mean_lo.is_none()));

    // A bad file is refused whole, naming line and column.
    let bad = paper(3, |i| if i == 2 { "7" } else { "4" });
    let e = surveys::import_paper(&store, id, bad.as_bytes(), "ankiety.csv", &actor()).await;
    assert!(matches!(&e, Err(AppError::Invalid(m)) if m.contains("ankiety.csv, line 4, column 1 (bezpieczenstwo): `7`")), "{e:?}");
    assert_eq!(surveys::results(&store, id).await.expect("results").n_responses, 29);

    // Eleven more on paper: 40 in all, 29 fives, 6 twos, 5 nie wiem on every question.
    let csv = paper(11, |i| if i < 6 { "2" } else { "nw" });
    assert_eq!(surveys::import_paper(&store, id, csv.as_bytes(), "ankiety.csv", &actor()).await.expect("paper"), 11);
    let r = surveys::results(&store, id).await.expect("results");
    assert!(r.shown);
    let q = &r.questions[0];
    assert_eq!((q.n, q.dont_know), (35, 5));
    let mean = (29.0 * 5.0 + 6.0 * 2.0) / 35.0;
    assert!((q.mean.expect("mean") - mean).abs() < 1e-9);
    assert!((q.satisfied_share.expect("share") - 100.0 * 29.0 / 35.0).abs() < 1e-9);
    let (lo, hi) = engine::proportion::wilson(29, 35, engine::proportion::Z95).expect("wilson");
    assert!((q.sat_lo.expect("lo") - 100.0 * lo).abs() < 1e-9 && (q.sat_hi.expect("hi") - 100.0 * hi).abs() < 1e-9);
    assert!(q.mean_lo.expect("lo") < mean && q.mean_hi.expect("hi") > mean);
    assert_eq!((r.overall.n, r.overall.dont_know), (35, 5), "respondents with a score; with only nie wiem");
}

#[tokio::test]
async fn comparisons_name_only_the_own_unit_the_consenting_and_to_admins() {
    let (_d, store, [a, b, c]) = setup().await;
    let mut ids = Vec::new();
    for (u, named) in [(a, false), (b, false), (c, true)] {
        let mut f = fields(u, Mode::Open, 0);
        f.named = named;
        let (id, _) = surveys::open_campaign(&store, &f, &actor()).await.expect("open");
        ids.push(id);
    }
    // Campaign a: 30 answers (shown); b: 10 (too few).
    let csv = paper(30, |_| "4");
    surveys::import_paper(&store, ids[0], csv.as_bytes(), "a.csv", &actor()).await.expect("paper");
    surveys::import_paper(&store, ids[1], paper(10, |_| "3").as_bytes(), "b.csv", &actor()).await.expect("paper");

    let public = surveys::comparison(&store, "szkola", 2024, &Viewer::of(None)).await.expect("comparison");
    assert_eq!(public.rows.len(), 3);
    let letters: Vec<&str> = public.rows.iter().map(|r| r.letter.as_str()).collect();
    let mut sorted = letters.clone();
    sorted.sort();
    assert_eq!(letters, sorted, "rows by letter");
    for row in &public.rows {
        match &row.label {
            Label::Named { unit_id, .. } => assert_eq!(*unit_id, c, "only the consenting unit is named to the public"),
            Label::Letter(_) => {}
        }
    }
    let row_b = public.rows.iter().find(|r| r.n == 10).expect("b");
    assert!(!row_b.shown && row_b.overall.mean.is_none());
    let row_a = public.rows.iter().find(|r| r.n == 30).expect("a");
    assert!(row_a.shown && (row_a.overall.mean.expect("mean") - 4.0).abs() < 1e-9);
    let csv = surveys::comparison_csv(&public, true);
    assert!(!csv.contains("Gorlice") && !csv.contains("1205011") && !csv.contains("Biecz"), "{csv}");
    assert!(csv.contains("Bobowa"), "the consenting unit is named");
    assert_eq!(csv.lines().count(), 1 + 3 * 10, "a header, then overall and 9 questions per campaign");

    let own = Viewer::of(Some(&user(&[(Role::Approver, Some(a))])));
    assert_eq!(own, Viewer { admin: false, own_units: vec![a] });
    let mine = surveys::comparison(&store, "szkola", 2024, &own).await.expect("comparison");
    let named: Vec<i64> = mine
        .rows
        .iter()
        .filter_map(|r| match &r.label {
            Label::Named { unit_id, .. } => Some(*unit_id),
            Label::Letter(_) => None,
        })
        .collect();
    assert_eq!(named.len(), 2);
    assert!(named.contains(&a) && named.contains(&c) && !named.contains(&b));

    let coordinator = Viewer::of(Some(&user(&[(Role::Coordinator, None)])));
    assert_eq!(coordinator, Viewer::default(), "a coordinator reads nothing unpublished: letters only");
    let admin = Viewer::of(Some(&user(&[(Role::Admin, None)])));
    let all = surveys::comparison(&store, "szkola", 2024, &admin).await.expect("comparison");
    assert!(all.rows.iter().all(|r| matches!(r.label, Label::Named { .. })));

    surveys::set_named(&store, ids[0], true, &actor()).await.expect("consent");
    let public = surveys::comparison(&store, "szkola", 2024, &Viewer::of(None)).await.expect("comparison");
    assert_eq!(public.rows.iter().filter(|r| matches!(r.label, Label::Named { .. })).count(), 2);
    let list = surveys::comparisons(&store).await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].set_code.as_str(), list[0].year, list[0].campaigns), ("szkola", 2024, 3));
}

#[tokio::test]
async fn remarks_wait_for_moderation() {
    let (_d, store, [a, ..]) = setup().await;
    let (id, _) = surveys::open_campaign(&store, &fields(a, Mode::Open, 0), &actor()).await.expect("open");
    let slug = surveys::campaign(&store, id).await.expect("read").expect("c").slug;
    surveys::answer(&store, &slug, None, &all(3), Some("Za mało zajęć"), date("2024-09-03")).await.expect("answer");
    assert!(surveys::comments(&store, id, Some("published")).await.expect("published").is_empty());
    let pending = surveys::comments(&store, id, Some("pending")).await.expect("pending");
    assert_eq!(pending.len(), 1);
    surveys::moderate(&store, pending[0].id, true, &actor()).await.expect("publish");
    assert_eq!(surveys::comments(&store, id, Some("published")).await.expect("published")[0].body, "Za mało zajęć");
    assert!(matches!(surveys::moderate(&store, 999_999, true, &actor()).await, Err(AppError::NotFound(_))));
}
