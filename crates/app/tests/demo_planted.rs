//! The planted-effect proof on the demo (issue 18): the demo plants effects of known size
//! (`app::demo_cycle::PLANTED`) and none elsewhere; the re-evaluation against peers
//! (`app::evaluate`: difference in differences with a placebo interval, the unit's typology
//! group) finds each planted effect inside its interval with the unit standing out, and over
//! many unplanted (unit, indicator) pairs flags about as many as its nominal 5 %. The figures
//! are printed (eprintln, `--nocapture`) for the note. Besides: the planted units follow the
//! rules `demo_cycle` states, the seeded cycle is there, and seeding again adds nothing.

use app::demo_cycle::{Cause, PLANTED};
use app::evaluate::{EvalRequest, LEVEL, evaluate};
use app::{Computed, Store};
use model::UnitKind;

/// The indicators over the institutions' variables (the catalogue's institutions block).
const INSTITUTION_INDICATORS: [&str; 6] = ["SPO_17", "SPO_18", "SPO_19", "SPO_20", "SPO_21", "SPO_22"];

async fn demo() -> (tempfile::TempDir, Store, Computed) {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&format!("sqlite:{}", dir.path().join("demo.db").display())).await.expect("open");
    assert!(app::load_demo(&store).await.expect("demo loads"));
    let c = app::compute(&store).await.expect("compute");
    (dir, store, c)
}

/// The first unit of województwo 12 (by code) that `keep` takes.
fn first_of(c: &Computed, keep: impl Fn(&str, UnitKind) -> bool) -> Option<String> {
    let mut codes: Vec<(&str, UnitKind)> = c.codes.iter().zip(&c.kinds).map(|(code, k)| (code.as_str(), *k)).collect();
    codes.sort();
    codes.into_iter().find(|(code, k)| code.starts_with("12") && keep(code, *k)).map(|(code, _)| code.to_owned())
}

fn is_city_gmina(code: &str) -> bool {
    code.get(2..4).and_then(|p| p.parse::<u8>().ok()).is_some_and(|p| p >= 61)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_evaluation_recovers_the_planted_effects_and_flags_about_five_percent_elsewhere() {
    let (_dir, store, c) = demo().await;
    let s = &c.snapshot;

    // The planted units follow the rules demo_cycle states.
    let rule = |cause: Cause, indicator: &str| -> Option<String> {
        match (cause, indicator) {
            (Cause::Cuw, _) => first_of(&c, |_, k| k == UnitKind::MiastoNaPrawachPowiatu),
            (Cause::SocialAssistance, _) => first_of(&c, |_, k| k == UnitKind::GminaWiejska),
            (Cause::PlanAction, "SPO_19") => first_of(&c, |code, k| k == UnitKind::GminaMiejska && !is_city_gmina(code)),
            (Cause::PlanAction, _) => first_of(&c, |_, k| k == UnitKind::GminaMiejskoWiejska),
        }
    };
    for p in PLANTED {
        assert_eq!(rule(p.cause, p.indicator).as_deref(), Some(p.unit), "{} {}", p.unit, p.indicator);
    }

    // Each planted effect: inside the placebo interval, and the unit stands out.
    eprintln!("planted effects (typology group, 3 years before and 3 from the start, level {LEVEL}):");
    for p in PLANTED {
        let e = evaluate(&store, &c, &EvalRequest::new(p.unit, p.indicator, p.start_year)).await.expect("evaluation");
        let est = &e.estimate;
        eprintln!(
            "  {} {} from {}: planted {:+.2}, estimate {:+.2}, interval [{:+.2}, {:+.2}], p = {:.3}, {} peers, stands out: {}",
            p.unit, p.indicator, p.start_year, p.effect, est.estimate, est.interval.0, est.interval.1, est.p_value, est.n_peers, est.stands_out
        );
        assert!(est.interval.0 <= p.effect && p.effect <= est.interval.1, "{} {}: {:+} outside {:?}", p.unit, p.indicator, p.effect, est.interval);
        assert!(est.stands_out, "{} {} does not stand out: {est:?}", p.unit, p.indicator);
        assert!(est.n_peers >= 20, "{} {}: {} peers", p.unit, p.indicator, est.n_peers);
        assert_eq!(e.verdict, app::evaluate::Verdict::Better, "{} {}", p.unit, p.indicator);
    }

    // Unplanted pairs: every fourth gmina or city (by code) outside the planted units, each
    // indicator of the institutions block, start years spread over 2013–2022.
    let planted_units: Vec<String> = PLANTED.iter().flat_map(|p| [p.unit.to_owned(), app::demo_cycle::generated_as(p.unit)]).collect();
    let mut units: Vec<usize> = (0..c.codes.len())
        .filter(|&u| c.kinds[u].is_gmina() || c.kinds[u] == UnitKind::MiastoNaPrawachPowiatu)
        .filter(|&u| !planted_units.iter().any(|p| p == c.codes[u].as_str()))
        .collect();
    units.sort_by(|a, b| c.codes[*a].as_str().cmp(c.codes[*b].as_str()));
    let (mut pairs, mut flagged, mut skipped) = (0usize, 0usize, 0usize);
    let mut flagged_by_indicator = [0usize; 6];
    for (n, &u) in units.iter().enumerate().filter(|(n, _)| n % 4 == 0) {
        for (k, code) in INSTITUTION_INDICATORS.iter().enumerate() {
            let i = s.indicator_index(code).expect("indicator");
            if !s.indicator(i).applies[u] {
                continue;
            }
            let start = 2013 + ((n / 4 + k) % 10) as i32;
            match evaluate(&store, &c, &EvalRequest::new(c.codes[u].as_str(), code, start)).await {
                Ok(e) => {
                    pairs += 1;
                    if e.estimate.stands_out {
                        flagged += 1;
                        flagged_by_indicator[k] += 1;
                    }
                }
                // A unit whose group is too small (or without values) is not a pair.
                Err(_) => skipped += 1,
            }
        }
    }
    let share = flagged as f64 / pairs.max(1) as f64;
    let nominal = 1.0 - LEVEL;
    // The binomial standard error of the share; the pairs share units and groups, so the band
    // is wide: three standard errors and a point.
    let se = (nominal * (1.0 - nominal) / pairs.max(1) as f64).sqrt();
    eprintln!(
        "unplanted pairs: {pairs} evaluated ({skipped} without a group of 5), {flagged} flagged = {:.1} % (nominal {:.0} %, ±{:.1} pp at 3 s.e.); by indicator {:?} of {:?}",
        share * 100.0,
        nominal * 100.0,
        (3.0 * se + 0.01) * 100.0,
        flagged_by_indicator,
        INSTITUTION_INDICATORS
    );
    assert!(pairs >= 100, "only {pairs} pairs");
    assert!((share - nominal).abs() <= 3.0 * se + 0.01, "{:.1} % flagged, nominal {:.0} %", share * 100.0, nominal * 100.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seeds_the_cycle_once() {
    let (_dir, store, c) = demo().await;
    type Counts = (usize, usize, usize, usize, usize, usize, usize);
    async fn counts(store: &Store) -> Counts {
        let plans = store.plans().await.expect("plans");
        let mut actions = 0;
        let mut targets = 0;
        for p in &plans {
            actions += store.actions(p.id).await.expect("actions").len();
            targets += store.targets_of_plan(p.id).await.expect("targets").len();
        }
        let practices = store.practices(&Default::default()).await.expect("practices").len();
        let reorganisations = store.reorganisations().await.expect("reorganisations").len();
        let institutions = store.institutions(None).await.expect("institutions").len();
        let areas = store.functional_areas().await.expect("areas").len();
        (plans.len(), actions, targets, practices, reorganisations, institutions, areas)
    }
    let first = counts(&store).await;

    // The demo gmina's public plan with 2–3 actions, each with a target proposed from peers.
    let own = app::accounts::list_users(&store)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.login == "demo-zatwierdza")
        .and_then(|u| u.grants.into_iter().find_map(|g| g.unit_code))
        .expect("the demo approver's gmina");
    let owner = app::plans::PlanOwner::unit(&c, &own).expect("owner");
    let view = app::plans::plan_view(&store, &c, &owner).await.expect("plan view");
    let plan = view.plan.as_ref().expect("the demo gmina has a plan");
    assert_eq!(plan.fields.title, "Plan poprawy usług 2025–2028");
    assert!(plan.fields.public);
    assert!((2..=3).contains(&view.actions.len()), "{} actions", view.actions.len());
    assert_eq!(view.priorities.len(), view.actions.len());
    for a in &view.actions {
        assert!(a.row.fields.priority_id.is_some());
        assert_eq!(a.targets.len(), 1, "{}", a.row.fields.title);
        let t = &a.targets[0].row.fields;
        assert_eq!(t.method, "gap:0.5");
        assert_eq!(t.target_year, 2028);
        // The target is the proposal the helper makes for it.
        let p = app::plans::target_proposals(&store, &c, &owner, &t.indicator_code, &t.group_name, 2028).await.expect("proposals");
        let proposed = p.proposals.iter().find(|p| p.code == "gap:0.5").expect("gap:0.5");
        assert!((proposed.value - t.target_value).abs() < 1e-9, "{} vs {}", proposed.value, t.target_value);
    }

    // Good practices: two verified, one proposed, of planted units.
    let practices = store.practices(&Default::default()).await.expect("practices");
    let status = |s: &str| practices.iter().filter(|p| p.status == s).count();
    assert_eq!((status("verified"), status("proposed")), (2, 1));
    let units = store.units().await.expect("units");
    let code_of = |id: i64| units.iter().find(|u| u.id == id).map(|u| u.code.as_str().to_owned()).unwrap_or_default();
    assert!(practices.iter().all(|p| PLANTED.iter().any(|x| x.unit == code_of(p.fields.unit_id))));

    // The CUW and the GOPS reorganisation, with milestones, institutions and the planted indicators.
    let reorganisations = store.reorganisations().await.expect("reorganisations");
    for (kind, cause) in [("cuw", Cause::Cuw), ("pomoc_spoleczna", Cause::SocialAssistance)] {
        let r = reorganisations.iter().find(|r| r.fields.kind == kind).expect(kind);
        let planted: Vec<&str> = PLANTED.iter().filter(|p| p.cause == cause).map(|p| p.indicator).collect();
        assert_eq!(r.fields.indicators, planted, "{kind}");
        assert!(PLANTED.iter().any(|p| p.cause == cause && p.unit == code_of(r.fields.unit_id)), "{kind}");
        let (_, milestones, institutions) = store.reorganisation(r.id).await.expect("detail").expect("there");
        assert!(milestones.len() >= 3 && !institutions.is_empty(), "{kind}");
        assert!(institutions.iter().any(|i| i.kind == if kind == "cuw" { "cuw" } else { "ops" }), "{kind}");
        let start: i32 = r.fields.start_date[..4].parse().expect("year");
        assert!(PLANTED.iter().any(|p| p.cause == cause && p.start_year == start), "{kind}");
    }

    // One functional area: a powiat with its gminy, led by the powiat.
    let areas = store.functional_areas().await.expect("areas");
    assert_eq!(areas.len(), 1);
    let lead = code_of(areas[0].lead_unit_id);
    assert_eq!(lead.len(), 4);
    let members: Vec<String> = areas[0].member_ids.iter().map(|id| code_of(*id)).collect();
    assert!(members.len() >= 4 && members.iter().all(|m| m.starts_with(&lead)), "{members:?}");
    assert!(members.contains(&own), "{members:?}");

    // Every write of the seed is audited as the demo's actor.
    for action in [
        "priority.add",
        "plan.save",
        "action.add",
        "target.set",
        "practice.add",
        "practice.verify",
        "reorganisation.add",
        "milestone.add",
        "institution.add",
        "area.declare",
    ] {
        let filter = store::AuditFilter { action: Some(action.into()), ..Default::default() };
        let rows = store.audit(&filter, 100).await.expect("audit");
        assert!(!rows.is_empty() && rows.iter().all(|a| a.actor == "demo"), "{action}: {rows:?}");
    }

    // Seeding again adds nothing.
    app::demo_cycle::seed(&store, &c).await.expect("seed again");
    assert_eq!(counts(&store).await, first);
    eprintln!("seeded (plans, actions, targets, practices, reorganisations, institutions, areas): {first:?}");
}
