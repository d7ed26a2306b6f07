//! Improvement plans and good practices on the demo country: target proposals are the peer
//! group's quantiles on the right side of the indicator's polarity, trajectories are straight,
//! progress is judged from the snapshot's values, refused input names its field and writes
//! nothing, improvers are ranked by their polarity-turned change, leaders by value.

use app::plans::{self, ActionFields, PlanFields, PlanOwner, TargetFields};
use app::practices::{self, PracticeFields, PracticeFilter, Within};
use app::{AppError, Computed, Store};
use engine::targets::Progress;
use model::Polarity;

async fn demo() -> (tempfile::TempDir, Store, Computed) {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.expect("open");
    assert!(app::load_demo(&store).await.expect("the demo loads"));
    let c = app::compute(&store).await.expect("compute");
    (dir, store, c)
}

fn actor() -> store::Actor {
    store::Actor::named("test")
}

/// The R-7 quantile, written out here so the test does not lean on the code it checks.
fn quantile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The message of an `Invalid` error (panics on anything else).
fn invalid<T: std::fmt::Debug>(r: Result<T, AppError>) -> String {
    match r {
        Err(AppError::Invalid(m)) => m,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// A case of a monitoring indicator of `polarity`: (indicator, unit, baseline year index, the
/// unit's typology group's members that year with a value). The unit is a gmina with no plan
/// and no priority, and the strictly worst of a group of at least 8 values (so that no
/// proposal keeps its own value); `best` asks for the strictly best instead.
async fn case(store: &Store, c: &Computed, polarity: Polarity, best: bool) -> (usize, usize, usize, Vec<usize>) {
    let s = &c.snapshot;
    let p = s.partition_index("typology").expect("typology");
    for i in 0..s.indicator_count() {
        if s.indicator(i).polarity != polarity || c.definitions[i].kind == "context" {
            continue;
        }
        for u in 0..s.units() {
            if !c.kinds[u].is_gmina() || !s.indicator(i).applies[u] {
                continue;
            }
            let Some(y) = s.unit_latest_year(i, u) else { continue };
            let Some(g) = s.group_of(p, u, y) else { continue };
            let members: Vec<usize> = s.members(p, g, y).iter().map(|&m| m as usize).filter(|&m| s.value(i, m, y).is_some()).collect();
            if members.len() < 8 {
                continue;
            }
            let v = s.value(i, u, y).expect("value");
            let higher_is_worse = (polarity == Polarity::LowerBetter) != best;
            let extreme = members.iter().filter(|&&m| m != u).all(|&m| {
                let w = s.value(i, m, y).expect("value");
                if higher_is_worse { w < v } else { w > v }
            });
            let owner = PlanOwner::unit(c, c.codes[u].as_str()).expect("owner");
            if extreme && store.plan(owner.key()).await.expect("plan").is_none() && store.priorities(owner.key()).await.expect("p").is_empty() {
                return (i, u, y, members);
            }
        }
    }
    panic!("the demo has no case for {polarity:?}");
}

#[tokio::test]
async fn proposals_are_the_groups_quantiles_on_the_good_side_with_straight_trajectories() {
    let (_dir, store, c) = demo().await;
    let s = &c.snapshot;
    for polarity in [Polarity::LowerBetter, Polarity::HigherBetter] {
        let (i, u, y, members) = case(&store, &c, polarity, false).await;
        let code = c.codes[u].as_str();
        let owner = PlanOwner::unit(&c, code).expect("owner");
        let baseline_year = s.first_year() + y as i32;
        let target_year = baseline_year + 4;
        let p = plans::target_proposals(&store, &c, &owner, &c.definitions[i].code, "typologia", target_year).await.expect("proposals");
        let values: Vec<f64> = members.iter().map(|&m| s.value(i, m, y).expect("v")).collect();
        let baseline = s.value(i, u, y).expect("baseline");
        assert_eq!((p.baseline_year, p.baseline, p.target_year, p.n), (baseline_year, baseline, target_year, values.len()));
        assert_eq!(p.group, "typology");
        assert_eq!(p.polarity, polarity);
        // The group's own statistics agree with the test's quantiles.
        let pt = s.partition_index("typology").expect("p");
        let st = s.group_stats(i, pt, s.group_of(pt, u, y).expect("g"), y).to_stats();
        assert!(close(st.q1.expect("q1"), quantile(&values, 0.25)) && close(st.q3.expect("q3"), quantile(&values, 0.75)));
        let (good_quartile, best_decile) = match polarity {
            Polarity::LowerBetter => (quantile(&values, 0.25), quantile(&values, 0.10)),
            _ => (quantile(&values, 0.75), quantile(&values, 0.90)),
        };
        let want = [
            ("median", quantile(&values, 0.5)),
            ("q3", good_quartile),
            ("best_decile", best_decile),
            ("gap:0.25", baseline + 0.25 * (good_quartile - baseline)),
            ("gap:0.5", baseline + 0.5 * (good_quartile - baseline)),
            ("gap:0.75", baseline + 0.75 * (good_quartile - baseline)),
        ];
        assert_eq!(p.proposals.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(), want.iter().map(|w| w.0).collect::<Vec<_>>());
        for (got, (code, value)) in p.proposals.iter().zip(want) {
            assert!(close(got.value, value), "{polarity:?} {code}: {} != {value}", got.value);
            assert!(!got.keeps_current, "{code}: the worst unit is asked to improve");
            // Better than the baseline in the indicator's direction.
            match polarity {
                Polarity::LowerBetter => assert!(got.value < baseline, "{code}"),
                _ => assert!(got.value > baseline, "{code}"),
            }
            // One point a year, from the baseline to the target, equal steps.
            let t = &got.trajectory;
            assert_eq!(t.len(), 5);
            assert_eq!(t.first(), Some(&(baseline_year, baseline)));
            assert_eq!(t.last(), Some(&(target_year, got.value)));
            let step = (got.value - baseline) / 4.0;
            for (k, (yr, v)) in t.iter().enumerate() {
                assert_eq!(*yr, baseline_year + k as i32);
                assert!(close(*v, baseline + step * k as f64), "{code} {yr}");
            }
        }
        // The best unit of a group keeps its own value for the group's marks.
        let (i, u, y, _) = case(&store, &c, polarity, true).await;
        let owner = PlanOwner::unit(&c, c.codes[u].as_str()).expect("owner");
        let p = plans::target_proposals(&store, &c, &owner, &c.definitions[i].code, "typology", 2030).await.expect("proposals");
        let own = s.value(i, u, y).expect("own");
        for x in &p.proposals {
            assert!(x.keeps_current && x.value == own, "{polarity:?} {}: {} vs own {own}", x.code, x.value);
        }
    }
}

#[tokio::test]
async fn a_plan_shows_each_targets_progress_from_the_snapshot_and_exports_it() {
    let (_dir, store, c) = demo().await;
    let s = &c.snapshot;
    // A higher-better indicator and a gmina with values in five consecutive years ending in
    // its newest one, and a change over them.
    let (i, u, y, _) = case(&store, &c, Polarity::HigherBetter, false).await;
    assert!(y >= 4, "five years of data");
    let v = |yy: usize| s.value(i, u, yy);
    let (Some(v0), Some(v4)) = (v(y - 4), v(y)) else { panic!("values at both ends") };
    let b = s.first_year() + y as i32 - 4;
    let code = c.codes[u].as_str();
    let ind = c.definitions[i].code.clone();
    let owner = PlanOwner::unit(&c, code).expect("owner");
    let who = actor();

    let plan_id = plans::save_plan(
        &store,
        &owner,
        &PlanFields { title: "  Plan testowy ".into(), summary: Some("".into()), public: false, group_name: "typologia".into() },
        &who,
    )
    .await
    .expect("plan");
    let priority = plans::add_priority(&store, &c, &owner, &ind, b + 4, "typology", Some("słabość"), &who).await.expect("priority");
    let action = |title: &str| ActionFields {
        priority_id: Some(priority),
        title: title.into(),
        description: None,
        owner: None,
        budget: Some(1000.0),
        start_year: i64::from(b + 1),
        end_year: i64::from(b + 4),
        status: "in_progress".into(),
    };
    let target = |baseline_year: i32, baseline_value: f64, target_year: i32, target_value: f64| TargetFields {
        indicator_code: ind.clone(),
        baseline_year: i64::from(baseline_year),
        baseline_value,
        target_year: i64::from(target_year),
        target_value,
        method: "manual".into(),
        group_name: "typology".into(),
    };
    // Reached exactly: on track in its last year.
    let a1 = plans::add_action(&store, &owner, &action("Osiągnięty"), &who).await.expect("a1");
    plans::set_target(&store, &c, &owner, a1, &target(b, v0, b + 4, v0 + 1.0), &who).await.expect("t1 first");
    let t1 = plans::set_target(&store, &c, &owner, a1, &target(b, v0, b + 4, v4), &who).await.expect("t1 replaced");
    // Ten times further than the unit went: off track.
    let big = 10.0 * ((v4 - v0).abs() + v0.abs() + 1.0);
    let a2 = plans::add_action(&store, &owner, &action("Za daleko"), &who).await.expect("a2");
    plans::set_target(&store, &c, &owner, a2, &target(b, v0, b + 4, v0 + big), &who).await.expect("t2");
    // From the newest year on: no data yet.
    let a3 = plans::add_action(&store, &owner, &action("Na przyszłość"), &who).await.expect("a3");
    plans::set_target(&store, &c, &owner, a3, &target(b + 4, v4, b + 7, v4 * 1.1 + 1.0), &who).await.expect("t3");

    let view = plans::plan_view(&store, &c, &owner).await.expect("view");
    let plan = view.plan.as_ref().expect("the plan");
    assert_eq!(
        (plan.id, plan.fields.title.as_str(), plan.fields.summary.as_deref(), plan.fields.group_name.as_str()),
        (plan_id, "Plan testowy", None, "typology")
    );
    assert_eq!(view.owner.auth_unit_id, c.unit_ids[u]);
    assert_eq!(view.owner.name_pl, c.names[u]);
    // The priority: its indicator's names, the newest value, the z-score in the typology group.
    let pr = &view.priorities[0];
    assert_eq!((pr.row.id, pr.name_pl.as_str(), pr.current, pr.current_year), (priority, c.definitions[i].name_pl.as_str(), Some(v4), Some(b + 4)));
    let pt = s.partition_index("typology").expect("p");
    let st = s.group_stats(i, pt, s.group_of(pt, u, y).expect("g"), y).to_stats();
    let z = (v4 - st.mean.expect("mean")) / st.sd.expect("sd");
    assert!(close(pr.score.expect("score"), z), "{:?} vs {z}", pr.score);
    assert!(z < 0.0, "the worst of its group has a negative score");

    assert_eq!(view.actions.len(), 3);
    let by_id = |id: i64| view.actions.iter().find(|a| a.row.id == id).expect("action");
    assert_eq!(by_id(a1).targets.len(), 1, "a second target of one indicator replaces the first");
    let first = &by_id(a1).targets[0];
    assert_eq!(first.row.id, t1);
    assert_eq!(first.row.fields.target_value, v4);
    assert_eq!(first.years.iter().map(|t| t.year).collect::<Vec<_>>(), ((b + 1)..=(b + 4)).collect::<Vec<_>>());
    for (k, ty) in first.years.iter().enumerate() {
        let planned = v0 + (v4 - v0) * (k as f64 + 1.0) / 4.0;
        assert!(close(ty.planned, planned), "{}: {} vs {planned}", ty.year, ty.planned);
        assert_eq!(ty.actual, v(y - 3 + k), "{}", ty.year);
        assert_eq!(ty.progress, engine::targets::progress(Polarity::HigherBetter, v0, ty.planned, ty.actual));
    }
    assert_eq!((first.latest, first.latest_year), (Progress::OnTrack, Some(b + 4)));
    assert_eq!(first.polarity, Polarity::HigherBetter);
    assert_eq!(first.trajectory.first(), Some(&(b, v0)));

    let far = &by_id(a2).targets[0];
    assert_eq!((far.latest, far.latest_year), (Progress::OffTrack, Some(b + 4)));

    let future = &by_id(a3).targets[0];
    let beyond: Vec<Option<f64>> = ((b + 5)..=(b + 7)).map(|yr| s.year_index(yr).and_then(&v)).collect();
    assert!(beyond.iter().all(Option::is_none), "the unit's newest year is {}", b + 4);
    assert_eq!((future.latest, future.latest_year), (Progress::NoData, None));
    assert!(future.years.iter().all(|t| t.actual.is_none() && t.progress == Progress::NoData));

    // CSV: one row per target, stable keys, the years' columns.
    let csv_text = plans::plan_csv(&view);
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = r.headers().expect("header").iter().map(str::to_owned).collect();
    for key in [
        "action_id",
        "indicator_code",
        "baseline_value",
        "target_value",
        "latest_progress",
        &format!("planned_{}", b + 1),
        &format!("progress_{}", b + 7),
    ] {
        assert!(header.iter().any(|h| h == key), "{key} in {header:?}");
    }
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 3);
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let row1 = rows.iter().find(|r| r[col("action_id")] == a1.to_string()).expect("row of a1");
    assert_eq!((&row1[col("latest_progress")], &row1[col("indicator_code")]), ("on_track", ind.as_str()));
    assert_eq!(row1[col(&format!("actual_{}", b + 4))].parse::<f64>().expect("number"), v4);
    assert_eq!(&row1[col(&format!("planned_{}", b + 7))], "", "outside the target's years");
    let row2 = rows.iter().find(|r| r[col("action_id")] == a2.to_string()).expect("row of a2");
    assert_eq!(&row2[col("latest_progress")], "off_track");
    // JSON: the same content.
    let json = plans::plan_json(&view);
    assert_eq!(json["owner"]["code"], code);
    assert_eq!(json["plan"]["public"], false);
    let actions = json["actions"].as_array().expect("actions");
    assert_eq!(actions.len(), 3);
    let j1 = actions.iter().find(|a| a["id"] == a1).expect("a1");
    assert_eq!(j1["targets"][0]["latest_progress"], "on_track");
    assert_eq!(j1["targets"][0]["years"].as_array().expect("years").len(), 4);

    // Removing: the target, then an action, then the priority.
    plans::remove_target(&store, &owner, t1, &who).await.expect("remove target");
    plans::remove_action(&store, &owner, a2, &who).await.expect("remove action");
    plans::remove_priority(&store, &owner, priority, &who).await.expect("remove priority");
    let view = plans::plan_view(&store, &c, &owner).await.expect("view");
    assert_eq!(view.actions.len(), 2);
    assert!(view.actions.iter().find(|a| a.row.id == a1).expect("a1").targets.is_empty());
    assert!(view.priorities.is_empty());
}

#[tokio::test]
async fn refused_writes_name_their_field_and_leave_nothing() {
    let (_dir, store, c) = demo().await;
    let s = &c.snapshot;
    let (i, u, _, _) = case(&store, &c, Polarity::LowerBetter, false).await;
    let ind = c.definitions[i].code.clone();
    let owner = PlanOwner::unit(&c, c.codes[u].as_str()).expect("owner");
    let who = actor();
    let plan = |title: &str, group: &str| PlanFields { title: title.into(), summary: None, public: true, group_name: group.into() };

    // Plan settings.
    assert!(invalid(plans::save_plan(&store, &owner, &plan("   ", "typology"), &who).await).starts_with("title:"));
    assert!(invalid(plans::save_plan(&store, &owner, &plan(&"x".repeat(201), "typology"), &who).await).starts_with("title:"));
    assert!(invalid(plans::save_plan(&store, &owner, &plan("Plan", "nowhere"), &who).await).starts_with("group_name:"));
    let long_summary = PlanFields { summary: Some("ż".repeat(4001)), ..plan("Plan", "typology") };
    assert!(invalid(plans::save_plan(&store, &owner, &long_summary, &who).await).starts_with("summary:"));
    assert!(store.plan(owner.key()).await.expect("plan").is_none(), "nothing was saved");
    // A title of exactly 200 characters (not bytes) is taken.
    plans::save_plan(&store, &owner, &plan(&"ł".repeat(200), "typology"), &who).await.expect("200 characters");

    // Actions.
    let good = ActionFields {
        priority_id: None,
        title: "Działanie".into(),
        description: None,
        owner: None,
        budget: None,
        start_year: 2025,
        end_year: 2027,
        status: "planned".into(),
    };
    let bad = [
        ("title:", ActionFields { title: "".into(), ..good.clone() }),
        ("description:", ActionFields { description: Some("a".repeat(4001)), ..good.clone() }),
        ("budget:", ActionFields { budget: Some(-1.0), ..good.clone() }),
        ("budget:", ActionFields { budget: Some(f64::NAN), ..good.clone() }),
        ("start_year:", ActionFields { start_year: 1999, ..good.clone() }),
        ("end_year:", ActionFields { end_year: 2024, ..good.clone() }),
        ("end_year:", ActionFields { end_year: 2101, ..good.clone() }),
        ("status:", ActionFields { status: "finished".into(), ..good.clone() }),
        ("priority_id:", ActionFields { priority_id: Some(987_654), ..good.clone() }),
    ];
    for (field, f) in &bad {
        let m = invalid(plans::add_action(&store, &owner, f, &who).await);
        assert!(m.starts_with(field), "{field}: {m}");
    }
    let action = plans::add_action(&store, &owner, &good, &who).await.expect("action");
    let plan_id = store.plan(owner.key()).await.expect("plan").expect("saved").id;
    assert_eq!(store.actions(plan_id).await.expect("actions").len(), 1, "only the good action");

    // Targets.
    let neutral =
        (0..s.indicator_count()).find(|&k| s.indicator(k).polarity == Polarity::Neutral && s.indicator(k).applies[u]).expect("a neutral indicator");
    let t = TargetFields {
        indicator_code: ind.clone(),
        baseline_year: 2020,
        baseline_value: 10.0,
        target_year: 2026,
        target_value: 8.0,
        method: "gap:0.5".into(),
        group_name: "typology".into(),
    };
    let bad = [
        ("indicator:", TargetFields { indicator_code: "NOPE_1".into(), ..t.clone() }),
        ("indicator_code:", TargetFields { indicator_code: c.definitions[neutral].code.clone(), ..t.clone() }),
        ("target_year:", TargetFields { target_year: 2020, ..t.clone() }),
        ("baseline_year:", TargetFields { baseline_year: 1990, ..t.clone() }),
        ("target_value:", TargetFields { target_value: f64::INFINITY, ..t.clone() }),
        ("baseline_value:", TargetFields { baseline_value: f64::NAN, ..t.clone() }),
        ("method:", TargetFields { method: "gap:2".into(), ..t.clone() }),
        ("method:", TargetFields { method: "mean".into(), ..t.clone() }),
        ("group_name:", TargetFields { group_name: "".into(), ..t.clone() }),
    ];
    for (field, f) in &bad {
        let m = invalid(plans::set_target(&store, &c, &owner, action, f, &who).await);
        assert!(m.starts_with(field), "{field}: {m}");
    }
    assert!(store.targets_of_plan(plan_id).await.expect("targets").is_empty(), "no target was written");
    plans::set_target(&store, &c, &owner, action, &t, &who).await.expect("a good target");

    // Priorities.
    assert!(invalid(plans::add_priority(&store, &c, &owner, "NOPE_1", 2024, "typology", None, &who).await).starts_with("indicator:"));
    assert!(invalid(plans::add_priority(&store, &c, &owner, &ind, 1980, "typology", None, &who).await).starts_with("year:"));
    assert!(invalid(plans::add_priority(&store, &c, &owner, &ind, 2024, "typology", Some(&"n".repeat(4001)), &who).await).starts_with("note:"));
    let pid = plans::add_priority(&store, &c, &owner, &ind, 2024, "typology", None, &who).await.expect("priority");
    assert!(invalid(plans::add_priority(&store, &c, &owner, &ind, 2024, "typology", None, &who).await).starts_with("indicator:"), "only once");

    // Another unit's rows are not found through this owner.
    let other_u = (0..s.units()).find(|&k| k != u && c.kinds[k].is_gmina()).expect("another gmina");
    let other = PlanOwner::unit(&c, c.codes[other_u].as_str()).expect("other");
    assert!(matches!(plans::remove_priority(&store, &other, pid, &who).await, Err(AppError::NotFound(_))));
    assert!(matches!(plans::remove_action(&store, &other, action, &who).await, Err(AppError::NotFound(_))));
    assert!(matches!(plans::update_action(&store, &other, action, &good, &who).await, Err(AppError::NotFound(_))));
    assert!(matches!(plans::set_target(&store, &c, &other, action, &t, &who).await, Err(AppError::NotFound(_))));
    let add_to_none = plans::add_action(&store, &other, &good, &who).await;
    assert!(invalid(add_to_none).starts_with("plan:"), "no plan yet");
    let other_priority = plans::add_priority(&store, &c, &other, &ind, 2024, "typology", None, &who).await.expect("other's priority");
    let with_other = ActionFields { priority_id: Some(other_priority), ..good.clone() };
    assert!(invalid(plans::update_action(&store, &owner, action, &with_other, &who).await).starts_with("priority_id:"));
    assert_eq!(store.priorities(owner.key()).await.expect("p").len(), 1);

    // Target proposals: neutral indicators and target years before the baseline are refused.
    assert!(invalid(plans::target_proposals(&store, &c, &owner, &c.definitions[neutral].code, "typology", 2030).await).starts_with("indicator:"));
    assert!(invalid(plans::target_proposals(&store, &c, &owner, &ind, "typology", 2001).await).starts_with("target_year:"));

    // Good practices.
    let unit_id = c.unit_ids[u];
    let good = PracticeFields {
        unit_id,
        title: "Praktyka".into(),
        description: "Opis".into(),
        contact: None,
        links: vec!["https://example.org/a".into(), "  ".into()],
        start_year: Some(2020),
        indicators: vec![ind.clone(), ind.clone()],
    };
    let bad = [
        ("title:", PracticeFields { title: "t".repeat(201), ..good.clone() }),
        ("description:", PracticeFields { description: "d".repeat(4001), ..good.clone() }),
        ("description:", PracticeFields { description: " ".into(), ..good.clone() }),
        ("links:", PracticeFields { links: vec!["ftp://example.org/x".into()], ..good.clone() }),
        ("links:", PracticeFields { links: vec!["javascript:alert(1)".into()], ..good.clone() }),
        ("links:", PracticeFields { links: vec!["https://".into()], ..good.clone() }),
        ("links:", PracticeFields { links: vec![format!("https://example.org/{}", "a".repeat(500))], ..good.clone() }),
        ("links:", PracticeFields { links: (0..11).map(|k| format!("https://example.org/{k}")).collect(), ..good.clone() }),
        ("indicators:", PracticeFields { indicators: vec!["NOPE_1".into()], ..good.clone() }),
        ("start_year:", PracticeFields { start_year: Some(1800), ..good.clone() }),
        ("unit:", PracticeFields { unit_id: -5, ..good.clone() }),
    ];
    for (field, f) in &bad {
        let m = invalid(practices::add_practice(&store, &c, f, &who).await);
        assert!(m.starts_with(field), "{field}: {m}");
    }
    let mine = PracticeFilter { unit_id: Some(unit_id), ..Default::default() };
    assert!(practices::practices(&store, &c, &mine).await.expect("list").is_empty(), "nothing was written");
    let id = practices::add_practice(&store, &c, &good, &who).await.expect("practice");
    let p = practices::practice(&store, &c, id).await.expect("read").expect("there");
    assert_eq!(p.row.fields.links, vec!["https://example.org/a".to_owned()], "empty links dropped");
    assert_eq!(p.row.fields.indicators, vec![ind.clone()], "each indicator once");
    assert_eq!((p.unit_code.as_str(), p.unit_name.as_str(), p.row.status.as_str()), (c.codes[u].as_str(), c.names[u].as_str(), "proposed"));
    assert_eq!(p.indicators[0].name_pl, c.definitions[i].name_pl);
    assert!(invalid(practices::verify_practice(&store, id, "approved", None, &who).await).starts_with("status:"));
    assert!(invalid(practices::verify_practice(&store, id, "rejected", Some("  "), &who).await).starts_with("note:"));
    let moved = PracticeFields { unit_id: c.unit_ids[other_u], ..good.clone() };
    assert!(invalid(practices::update_practice(&store, &c, id, &moved, &who).await).starts_with("unit:"));
    assert!(
        invalid(practices::practices(&store, &c, &PracticeFilter { status: Some("old".into()), ..Default::default() }).await).starts_with("status:")
    );
    assert!(matches!(practices::verify_practice(&store, 987_654, "verified", None, &who).await, Err(AppError::NotFound(_))));
    assert_eq!(practices::practice(&store, &c, id).await.expect("read").expect("there").row.status, "proposed");
}

/// An indicator of `polarity`, a gmina and a year index in which the gmina's typology group
/// has at least three units that improved over 3 years and over 5.
fn improving(c: &Computed, polarity: Polarity) -> (usize, usize, usize) {
    let s = &c.snapshot;
    let p = s.partition_index("typology").expect("typology");
    let sign = if polarity == Polarity::LowerBetter { -1.0 } else { 1.0 };
    for i in (0..s.indicator_count()).filter(|&i| s.indicator(i).polarity == polarity && c.definitions[i].kind != "context") {
        let Some(y) = s.latest_year_of(i, None) else { continue };
        if y < 5 {
            continue;
        }
        for u in (0..s.units()).filter(|&u| c.kinds[u].is_gmina() && s.indicator(i).applies[u]) {
            let Some(g) = s.group_of(p, u, y) else { continue };
            let better = |span: usize| {
                s.members(p, g, y)
                    .iter()
                    .filter(|&&m| matches!((s.value(i, m as usize, y), s.value(i, m as usize, y - span)), (Some(a), Some(b)) if sign * (a - b) > 0.0))
                    .count()
            };
            if better(3) >= 3 && better(5) >= 3 {
                return (i, u, y);
            }
        }
    }
    panic!("the demo has no improving group for {polarity:?}");
}

#[tokio::test]
async fn improvers_are_ranked_by_their_polarity_turned_change_with_their_verified_practices() {
    let (_dir, store, c) = demo().await;
    let s = &c.snapshot;
    let who = actor();
    for polarity in [Polarity::LowerBetter, Polarity::HigherBetter] {
        let (i, u, y) = improving(&c, polarity);
        let g = app::peer_group(&store, &c, u, y, "typology", &app::NearestSpec::default()).await.expect("group");
        let sign = if polarity == Polarity::LowerBetter { -1.0 } else { 1.0 };
        for span in [3, 5] {
            let all = practices::improvers(&store, &c, i, Within::Group(&g), y, span, 10_000).await.expect("improvers");
            // Computed here from the snapshot: every member with both values that got better.
            let members = g.members(s, y);
            let mut want: Vec<(String, f64)> = members
                .iter()
                .filter_map(|&m| Some((c.codes[m].as_str().to_owned(), sign * (s.value(i, m, y)? - s.value(i, m, y - span)?))))
                .filter(|(_, ch)| *ch > 0.0)
                .collect();
            want.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            assert!(want.len() >= 2, "{polarity:?} {span}: too few improvers to rank");
            assert_eq!(all.iter().map(|m| (m.code.clone(), m.change)).collect::<Vec<_>>(), want, "{polarity:?} over {span} years");
            for m in &all {
                assert!(close(m.change, sign * (m.to - m.from)));
                assert_eq!(Some(m.to), s.value(i, m.unit, y));
                assert_eq!(Some(m.from), s.value(i, m.unit, y - span));
            }
            let top = practices::improvers(&store, &c, i, Within::Group(&g), y, span, 2).await.expect("top");
            assert_eq!(top.iter().map(|m| m.unit).collect::<Vec<_>>(), all.iter().take(2).map(|m| m.unit).collect::<Vec<_>>());
        }

        // The best improver's verified practice for the indicator comes with it; a proposed one
        // and one for another indicator do not.
        let best = practices::improvers(&store, &c, i, Within::Group(&g), y, 3, 1).await.expect("best").remove(0);
        let ind = c.definitions[i].code.clone();
        let other = (0..s.indicator_count()).find(|&k| k != i).expect("other");
        let fields = |title: &str, indicators: Vec<String>| PracticeFields {
            unit_id: c.unit_ids[best.unit],
            title: title.into(),
            description: "Co zrobiliśmy".into(),
            contact: None,
            links: Vec::new(),
            start_year: None,
            indicators,
        };
        let verified = practices::add_practice(&store, &c, &fields("Sprawdzona", vec![ind.clone()]), &who).await.expect("p1");
        practices::verify_practice(&store, verified, "verified", None, &who).await.expect("verify");
        practices::add_practice(&store, &c, &fields("Zgłoszona", vec![ind.clone()]), &who).await.expect("p2");
        let elsewhere = practices::add_practice(&store, &c, &fields("Inna", vec![c.definitions[other].code.clone()]), &who).await.expect("p3");
        practices::verify_practice(&store, elsewhere, "verified", None, &who).await.expect("verify");
        let again = practices::improvers(&store, &c, i, Within::Group(&g), y, 3, 3).await.expect("again");
        assert_eq!(again[0].practices.iter().map(|p| p.row.id).collect::<Vec<_>>(), vec![verified]);
        assert!(again[1..].iter().all(|m| m.practices.iter().all(|p| p.row.fields.unit_id == c.unit_ids[m.unit])));
        // Searching by indicator finds both of the unit's practices for it, newest first.
        let found = practices::practices(
            &store,
            &c,
            &PracticeFilter { indicator: Some(ind.clone()), unit_id: Some(c.unit_ids[best.unit]), ..Default::default() },
        )
        .await
        .expect("search");
        assert_eq!(found.len(), 2);

        // Leaders: the best values by polarity, the same group.
        let leaders = practices::leaders(&c, i, Within::Group(&g), y, 5).expect("leaders");
        let mut values: Vec<f64> = g.members(s, y).iter().filter_map(|&m| s.value(i, m, y)).collect();
        values.sort_by(|a, b| (sign * b).total_cmp(&(sign * a)));
        assert_eq!(leaders.iter().map(|l| l.value).collect::<Vec<_>>(), values[..5].to_vec());
        assert_eq!(leaders[0].rank, 1);
        assert!(leaders.windows(2).all(|w| w[0].rank <= w[1].rank));
    }
    // The same through a partition group named by key, and a neutral indicator has none.
    let p = s.partition_index("typology").expect("p");
    let key = s.group_keys(p)[0].clone();
    let i = (0..s.indicator_count()).find(|&k| s.indicator(k).polarity == Polarity::HigherBetter).expect("i");
    let y = s.years() - 1;
    let via_key = practices::leaders(&c, i, Within::Partition { partition: "typology", key: &key }, y, 3).expect("by key");
    let members: Vec<usize> = s.members(p, 0, y).iter().map(|&m| m as usize).collect();
    assert_eq!(via_key, practices::leaders(&c, i, Within::Units(&members), y, 3).expect("by list"));
    assert!(invalid(practices::leaders(&c, i, Within::Partition { partition: "typology", key: "nope" }, y, 3)).starts_with("group:"));
    let neutral = (0..s.indicator_count()).find(|&k| s.indicator(k).polarity == Polarity::Neutral).expect("neutral");
    assert!(practices::improvers(&store, &c, neutral, Within::Units(&members), y, 3, 5).await.expect("neutral").is_empty());
    assert!(invalid(practices::improvers(&store, &c, i, Within::Units(&members), y, 0, 5).await).starts_with("span:"));
}

#[tokio::test]
async fn a_functional_areas_plan_reads_its_aggregate_and_its_comparison_set() {
    let (_dir, store, c) = demo().await;
    let s = &c.snapshot;
    // A powiat with its gminy, declared an area.
    let powiat = (0..s.units()).find(|&u| c.kinds[u] == model::UnitKind::Powiat).expect("a powiat");
    let prefix = c.codes[powiat].as_str().to_owned();
    let mut units: Vec<String> = (0..s.units())
        .filter(|&u| c.kinds[u].is_gmina() && c.codes[u].as_str().starts_with(&prefix))
        .map(|u| c.codes[u].as_str().to_owned())
        .collect();
    assert!(!units.is_empty());
    units.push(prefix.clone());
    app::save_custom_group(&store, "obszar_testowy", "Obszar testowy", None, &units).await.expect("group");
    let lead = c.unit_ids[powiat];
    store.declare_functional_area("obszar_testowy", lead, None, &actor()).await.expect("declare");
    let owner = PlanOwner::area(&store, "obszar_testowy").await.expect("area");
    let info = plans::owner_info(&store, &c, &owner).await.expect("info");
    assert_eq!((info.auth_unit_id, info.name_pl.as_str(), info.members.len()), (lead, "Obszar testowy", units.len()));
    assert!(matches!(PlanOwner::area(&store, "nie_ma").await, Err(AppError::NotFound(_))));

    // A higher-better indicator with an aggregate.
    let i = (0..s.indicator_count())
        .find(|&k| {
            s.indicator(k).polarity == Polarity::HigherBetter
                && c.definitions[k].kind != "context"
                && app::functional_areas::aggregate_series(&c, &info.members, k).iter().any(Option::is_some)
        })
        .expect("an indicator with an aggregate");
    let series = app::functional_areas::aggregate_series(&c, &info.members, i);
    let y = (0..series.len()).rev().find(|&k| series[k].is_some()).expect("newest");
    let baseline = series[y].expect("baseline");
    let year = s.first_year() + y as i32;
    let p = plans::target_proposals(&store, &c, &owner, &c.definitions[i].code, "powiaty", year + 3).await.expect("proposals");
    assert_eq!((p.baseline, p.baseline_year, p.group.as_str()), (baseline, year, "powiaty"));
    // The comparison set built here: every other powiat with its gminy.
    let mut values = vec![baseline];
    for q in (0..s.units()).filter(|&k| c.kinds[k] == model::UnitKind::Powiat && k != powiat) {
        let pre = c.codes[q].as_str();
        let mut m = vec![q];
        m.extend((0..s.units()).filter(|&k| c.kinds[k].is_gmina() && c.codes[k].as_str().starts_with(pre)));
        values.extend(app::functional_areas::aggregate_at(&c, &m, i, y));
    }
    assert_eq!(p.n, values.len());
    let median = p.proposals.iter().find(|x| x.code == "median").expect("median");
    assert!(close(median.value, quantile(&values, 0.5).max(baseline)), "{} vs {}", median.value, quantile(&values, 0.5));
    assert!(invalid(plans::target_proposals(&store, &c, &owner, &c.definitions[i].code, "typology", year + 3).await).starts_with("group:"));

    // Its plan: a target whose actuals are the aggregate.
    let who = actor();
    plans::save_plan(&store, &owner, &PlanFields { title: "Plan obszaru".into(), summary: None, public: true, group_name: "powiaty".into() }, &who)
        .await
        .expect("plan");
    let action = ActionFields {
        priority_id: None,
        title: "Wspólne działanie".into(),
        description: None,
        owner: None,
        budget: None,
        start_year: i64::from(year - 2),
        end_year: i64::from(year),
        status: "done".into(),
    };
    let a = plans::add_action(&store, &owner, &action, &who).await.expect("action");
    let t = TargetFields {
        indicator_code: c.definitions[i].code.clone(),
        baseline_year: i64::from(year - 2),
        baseline_value: series[y - 2].unwrap_or(baseline),
        target_year: i64::from(year),
        target_value: baseline,
        method: "manual".into(),
        group_name: "powiaty".into(),
    };
    plans::set_target(&store, &c, &owner, a, &t, &who).await.expect("target");
    let view = plans::plan_view(&store, &c, &owner).await.expect("view");
    let target = &view.actions[0].targets[0];
    assert_eq!(target.years.iter().map(|t| t.actual).collect::<Vec<_>>(), vec![series[y - 1], series[y]]);
    assert_eq!(target.latest, Progress::OnTrack, "the target is the aggregate reached");
    // An area's plan takes only its own groups.
    let bad = PlanFields { title: "Plan".into(), summary: None, public: true, group_name: "typology".into() };
    assert!(invalid(plans::save_plan(&store, &owner, &bad, &who).await).starts_with("group_name:"));
}
