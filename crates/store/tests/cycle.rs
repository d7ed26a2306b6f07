//! The closed cycle's storage on SQLite and PostgreSQL: priorities, plans, actions and targets,
//! functional areas, institutions, reorganisations and good practices — each write with its
//! audit rows, removals that keep the row, and the rules the store itself holds.

#[macro_use]
mod support;

use model::{TerytCode, UnitKind};
use store::{
    ActionFields, Actor, AuditFilter, AuditRow, Link, NewUnit, Owner, PlanFields, PracticeFields, PracticeFilter, ReorganisationFields, Store,
    StoreError, TargetFields, TerritoryPlan,
};

fn code(s: &str) -> TerytCode {
    TerytCode::parse(s).expect("code")
}

fn unit(c: &str, name: &str, kind: UnitKind) -> NewUnit {
    NewUnit { code: code(c), name: name.into(), kind, valid_from: None, valid_to: None, historical: false, parent_id: None }
}

/// Units of the stories: a powiat and three of its gminy.
struct Units {
    powiat: i64,
    city: i64,
    rural: i64,
    other: i64,
}

async fn setup(store: &Store) -> Units {
    let plan = TerritoryPlan {
        state_date: model::parse_date("2024-01-01").expect("date"),
        file: "test".into(),
        rows_read: 6,
        closures: vec![],
        code_changes: vec![],
        renames: vec![],
        new_units: vec![
            unit("PL", "Polska", UnitKind::Kraj),
            unit("12", "MAŁOPOLSKIE", UnitKind::Wojewodztwo),
            unit("1205", "gorlicki", UnitKind::Powiat),
            unit("1205011", "Gorlice", UnitKind::GminaMiejska),
            unit("1205022", "Biecz", UnitKind::GminaWiejska),
            unit("1205032", "Bobowa", UnitKind::GminaWiejska),
        ],
        links: vec![
            Link { code: code("12"), parent: Some(code("PL")), same_jst: None },
            Link { code: code("1205"), parent: Some(code("12")), same_jst: None },
            Link { code: code("1205011"), parent: Some(code("1205")), same_jst: None },
            Link { code: code("1205022"), parent: Some(code("1205")), same_jst: None },
            Link { code: code("1205032"), parent: Some(code("1205")), same_jst: None },
        ],
    };
    store.apply_territory(&plan).await.expect("territory");
    let id = |c: &str| {
        let c = code(c);
        async move { store.unit_id_for_code(&c).await.expect("lookup").expect("unit") }
    };
    Units { powiat: id("1205").await, city: id("1205011").await, rural: id("1205022").await, other: id("1205032").await }
}

fn who(name: &str) -> Actor {
    Actor { name: name.into(), user_id: Some(7), address: Some("192.0.2.1".into()) }
}

async fn audit_of(store: &Store, action: &str) -> Vec<AuditRow> {
    store.audit(&AuditFilter { action: Some(action.into()), ..Default::default() }, 1000).await.expect("audit")
}

/// The one audit row of `action` (newest first, so the last one written when several).
async fn last_audit(store: &Store, action: &str) -> AuditRow {
    audit_of(store, action).await.into_iter().next().unwrap_or_else(|| panic!("no `{action}` audit row"))
}

fn conflict(r: Result<impl std::fmt::Debug, StoreError>, what: &str) -> String {
    match r {
        Err(StoreError::Conflict(m)) => m,
        other => panic!("{what}: expected a conflict, got {other:?}"),
    }
}

fn action(title: &str, start: i64, priority_id: Option<i64>) -> ActionFields {
    ActionFields {
        priority_id,
        title: title.into(),
        description: Some("Opis".into()),
        owner: Some("Wydział Oświaty".into()),
        budget: Some(125_000.5),
        start_year: start,
        end_year: start + 2,
        status: "planned".into(),
    }
}

fn target(indicator: &str, value: f64, method: &str) -> TargetFields {
    TargetFields {
        indicator_code: indicator.into(),
        baseline_year: 2023,
        baseline_value: 12.5,
        target_year: 2027,
        target_value: value,
        method: method.into(),
        group_name: "typology".into(),
    }
}

async fn priorities_plans_actions_targets(store: Store, raw: support::Raw) {
    let u = setup(&store).await;
    let jan = who("user:jan");
    let owner = Owner::Unit(u.city);

    // Priorities: each write audited about the unit, removal keeps the row but hides it.
    let p1 = store.add_priority(owner, "wydatki_admin", 2023, "typology", Some("za drogo"), &jan).await.expect("priority");
    let p2 = store.add_priority(owner, "uczniowie_na_etat", 2023, "typology", None, &jan).await.expect("priority 2");
    let a = last_audit(&store, "priority.add").await;
    assert_eq!((a.unit_id, a.actor.as_str(), a.variable_code.as_deref(), a.year), (Some(u.city), "user:jan", Some("uczniowie_na_etat"), Some(2023)));
    assert_eq!(a.user_id, Some(7));
    assert_eq!(a.address.as_deref(), Some("192.0.2.1"));
    let again = store.add_priority(owner, "wydatki_admin", 2024, "typology", None, &jan).await;
    assert!(conflict(again, "the same indicator twice").contains("wydatki_admin"));
    assert_eq!(audit_of(&store, "priority.add").await.len(), 2, "a refused write leaves no audit row");
    let listed = store.priorities(owner).await.expect("list");
    assert_eq!(listed.iter().map(|p| p.id).collect::<Vec<_>>(), vec![p1, p2]);
    assert_eq!(listed[0].note.as_deref(), Some("za drogo"));
    assert_eq!((listed[0].owner, listed[0].created_by.as_str()), (owner, "user:jan"));
    assert!(store.priorities(Owner::Unit(u.rural)).await.expect("other").is_empty());

    store.remove_priority(p2, &who("user:ola")).await.expect("remove");
    let r = last_audit(&store, "priority.remove").await;
    assert_eq!((r.unit_id, r.actor.as_str(), r.variable_code.as_deref()), (Some(u.city), "user:ola", Some("uczniowie_na_etat")));
    assert_eq!(store.priorities(owner).await.expect("list").iter().map(|p| p.id).collect::<Vec<_>>(), vec![p1]);
    assert!(store.priority(p2).await.expect("read").is_none(), "a removed priority is not read");
    assert!(conflict(store.remove_priority(p2, &jan).await, "second remove").contains("not found"));
    assert!(conflict(store.remove_priority(9999, &jan).await, "unknown").contains("not found"));
    assert_eq!(audit_of(&store, "priority.remove").await.len(), 1);
    // The removed one may be chosen again.
    let p3 = store.add_priority(owner, "uczniowie_na_etat", 2024, "typology", None, &jan).await.expect("again after removal");
    assert!(p3 > p2);

    // The plan: created, then its settings saved again (one row, audited with what changed).
    assert!(store.plan(owner).await.expect("none yet").is_none());
    let mut fields = PlanFields { title: "Plan poprawy".into(), summary: None, public: false, group_name: "typology".into() };
    let plan_id = store.save_plan(owner, &fields, &jan).await.expect("plan");
    fields.public = true;
    fields.summary = Some("Krótko".into());
    assert_eq!(store.save_plan(owner, &fields, &who("user:ola")).await.expect("plan again"), plan_id);
    assert_eq!(store.save_plan(owner, &fields, &who("user:ola")).await.expect("unchanged"), plan_id);
    let saves = audit_of(&store, "plan.save").await;
    assert_eq!(saves.len(), 2, "saving unchanged settings writes nothing");
    assert!(saves.iter().all(|s| s.unit_id == Some(u.city)));
    let detail = saves[0].detail.as_deref().expect("detail");
    assert!(detail.contains("summary") && detail.contains("public") && !detail.contains("title"), "{detail}");
    let plan = store.plan(owner).await.expect("read").expect("there");
    assert_eq!((plan.id, &plan.fields, plan.created_by.as_str(), plan.updated_by.as_str()), (plan_id, &fields, "user:jan", "user:ola"));
    assert_eq!(store.plan_by_id(plan_id).await.expect("by id"), Some(plan.clone()));
    assert_eq!(store.plans().await.expect("all"), vec![plan]);
    let missing = store.save_plan(Owner::Area(42), &fields, &jan).await;
    assert!(conflict(missing, "plan of an unknown area").contains("not found"));

    // Actions: by start year, a priority of another owner refused, updates name the fields.
    let late = store.add_action(plan_id, &action("Później", 2026, None), &jan).await.expect("action");
    let early = store.add_action(plan_id, &action("Wspólna obsługa", 2025, Some(p1)), &jan).await.expect("action 2");
    let add = last_audit(&store, "action.add").await;
    assert_eq!(add.unit_id, Some(u.city));
    assert_eq!(add.detail.as_deref().map(|d| d.starts_with(&format!("plan {plan_id}: action {early} \"Wspólna obsługa\""))), Some(true));
    assert_eq!(store.actions(plan_id).await.expect("list").iter().map(|a| a.id).collect::<Vec<_>>(), vec![early, late]);
    let foreign = store.add_priority(Owner::Unit(u.rural), "wydatki_admin", 2023, "typology", None, &jan).await.expect("foreign");
    let bad = store.add_action(plan_id, &action("Cudze", 2025, Some(foreign)), &jan).await;
    assert!(conflict(bad, "another unit's priority").contains(&format!("priority {foreign}")));
    assert!(conflict(store.add_action(9999, &action("X", 2025, None), &jan).await, "no plan").contains("plan 9999 not found"));

    let mut changed = action("Wspólna obsługa", 2025, Some(p1));
    changed.status = "in_progress".into();
    changed.budget = None;
    store.update_action(early, &changed, &who("user:ola")).await.expect("update");
    let up = last_audit(&store, "action.update").await;
    let d = up.detail.clone().expect("detail");
    assert!(d.contains("budget") && d.contains("status") && d.contains("planned -> in_progress") && !d.contains("title"), "{d}");
    assert_eq!((up.unit_id, up.actor.as_str()), (Some(u.city), "user:ola"));
    let read = store.action(early).await.expect("read").expect("there");
    assert_eq!((&read.fields, read.updated_by.as_str(), read.plan_id), (&changed, "user:ola", plan_id));
    store.update_action(early, &changed, &jan).await.expect("unchanged");
    assert_eq!(audit_of(&store, "action.update").await.len(), 1, "an unchanged action writes nothing");

    // Targets: a second one of the same indicator replaces the first, audited old -> new.
    let t1 = store.set_target(early, &target("wydatki_admin", 10.0, "median"), &jan).await.expect("target");
    let set = last_audit(&store, "target.set").await;
    assert_eq!((set.variable_code.as_deref(), set.year, set.old_value, set.new_value), (Some("wydatki_admin"), Some(2027), None, Some(10.0)));
    let t2 = store.set_target(early, &target("wydatki_admin", 8.5, "gap:0.5"), &who("user:ola")).await.expect("replace");
    let set = last_audit(&store, "target.set").await;
    assert_eq!((set.old_value, set.new_value, set.unit_id, set.actor.as_str()), (Some(10.0), Some(8.5), Some(u.city), "user:ola"));
    assert!(set.detail.as_deref().is_some_and(|d| d.contains(&format!("replaces target {t1}"))));
    assert!(store.target(t1).await.expect("read").is_none(), "the replaced target is no longer live");
    let t3 = store.set_target(early, &target("uczniowie_na_etat", 14.0, "q3"), &jan).await.expect("second indicator");
    let t4 = store.set_target(late, &target("wydatki_admin", 9.0, "manual"), &jan).await.expect("other action");
    let live = store.targets_of_plan(plan_id).await.expect("targets");
    assert_eq!(live.iter().map(|t| t.id).collect::<Vec<_>>(), vec![t3, t2, t4], "by action (start year), then indicator");
    let read = store.target(t2).await.expect("read").expect("live");
    assert_eq!((read.action_id, read.fields.clone(), read.created_by.as_str()), (early, target("wydatki_admin", 8.5, "gap:0.5"), "user:ola"));
    // The database itself keeps one live target per indicator of an action.
    let dup = raw
        .exec(&format!(
            "INSERT INTO action_target (action_id, indicator_code, baseline_year, baseline_value, target_year, target_value, method, \
             group_name, created_at, created_by) VALUES ({early}, 'wydatki_admin', 2023, 1, 2027, 2, 'manual', 'typology', 'x', 'x')"
        ))
        .await;
    assert!(dup.is_err(), "a second live target of one indicator is refused by the schema");

    store.remove_target(t3, &jan).await.expect("remove target");
    let rm = last_audit(&store, "target.remove").await;
    assert_eq!((rm.variable_code.as_deref(), rm.old_value, rm.unit_id), (Some("uczniowie_na_etat"), Some(14.0), Some(u.city)));
    assert!(conflict(store.remove_target(t3, &jan).await, "second target remove").contains("not found"));
    assert!(conflict(store.remove_target(t1, &jan).await, "a replaced target").contains("not found"));

    // Removing an action hides it and its targets; the row stays.
    store.remove_action(late, &jan).await.expect("remove action");
    assert_eq!(last_audit(&store, "action.remove").await.unit_id, Some(u.city));
    assert!(store.action(late).await.expect("read").is_none());
    assert_eq!(store.actions(plan_id).await.expect("list").iter().map(|a| a.id).collect::<Vec<_>>(), vec![early]);
    assert_eq!(store.targets_of_plan(plan_id).await.expect("targets").iter().map(|t| t.id).collect::<Vec<_>>(), vec![t2]);
    assert!(conflict(store.remove_action(late, &jan).await, "second action remove").contains("not found"));
    assert!(conflict(store.update_action(late, &changed, &jan).await, "update removed").contains("not found"));
    assert!(conflict(store.set_target(late, &target("x", 1.0, "manual"), &jan).await, "target on removed").contains("not found"));
    assert_eq!(audit_of(&store, "action.remove").await.len(), 1);

    // Exactly one owner, in the schema too.
    let city = u.city.to_string();
    for (u_id, a_id) in [("NULL", "NULL"), (city.as_str(), "1")] {
        let r = raw
            .exec(&format!(
                "INSERT INTO priority (unit_id, area_id, indicator_code, year, group_name, created_at, created_by) \
                 VALUES ({u_id}, {a_id}, 'x', 2023, 'g', 'x', 'x')"
            ))
            .await;
        assert!(r.is_err(), "a priority with unit {u_id} and area {a_id} is refused");
        let r = raw
            .exec(&format!(
                "INSERT INTO improvement_plan (unit_id, area_id, title, group_name, created_at, created_by, updated_at, updated_by) \
                 VALUES ({u_id}, {a_id}, 't', 'g', 'x', 'x', 'x', 'x')"
            ))
            .await;
        assert!(r.is_err(), "a plan with unit {u_id} and area {a_id} is refused");
    }
    raw.exec(&format!(
        "INSERT INTO priority (unit_id, area_id, indicator_code, year, group_name, created_at, created_by) \
         VALUES ({}, NULL, 'raw_ok', 2023, 'g', 'x', 'x')",
        u.other
    ))
    .await
    .expect("one owner is accepted");
}

async fn functional_areas_and_their_plans(store: Store, _raw: support::Raw) {
    let u = setup(&store).await;
    let admin = who("user:admin");
    store.save_group("gorlicki_of", "Obszar funkcjonalny gorlicki", Some("Gorlice area"), &[u.powiat, u.city, u.rural], "cli").await.expect("group");
    store.save_group("inna", "Inna", None, &[u.other], "cli").await.expect("group 2");

    let e = store.declare_functional_area("gorlicki_of", u.other, None, &admin).await;
    assert!(conflict(e, "lead outside the group").contains("not a member"));
    assert!(conflict(store.declare_functional_area("brak", u.city, None, &admin).await, "unknown group").contains("not found"));
    assert!(audit_of(&store, "area.declare").await.is_empty());

    let area = store.declare_functional_area("gorlicki_of", u.powiat, Some("Powiat z gminami"), &admin).await.expect("declare");
    let a = last_audit(&store, "area.declare").await;
    assert_eq!((a.unit_id, a.actor.as_str()), (Some(u.powiat), "user:admin"));
    assert!(a.detail.as_deref().is_some_and(|d| d.contains("gorlicki_of") && d.contains("3 members")));
    assert!(conflict(store.declare_functional_area("gorlicki_of", u.city, None, &admin).await, "twice").contains("already"));

    let row = store.functional_area(area).await.expect("read").expect("there");
    let mut members = vec![u.powiat, u.city, u.rural];
    members.sort();
    assert_eq!(
        (row.group_code.as_str(), row.name_pl.as_str(), row.name_en.as_deref(), row.lead_unit_id, row.member_ids.clone()),
        ("gorlicki_of", "Obszar funkcjonalny gorlicki", Some("Gorlice area"), u.powiat, members)
    );
    assert_eq!(row.description.as_deref(), Some("Powiat z gminami"));
    assert_eq!(store.functional_area_by_code("gorlicki_of").await.expect("by code"), Some(row.clone()));
    assert_eq!(store.functional_areas().await.expect("all"), vec![row]);
    assert!(store.functional_area_by_code("inna").await.expect("not an area").is_none());
    assert!(store.functional_area(area + 100).await.expect("none").is_none());

    // An area's priorities and plan are its own, audited about its lead unit.
    let owner = Owner::Area(area);
    let p = store.add_priority(owner, "wydatki_admin", 2023, "powiaty", None, &admin).await.expect("area priority");
    assert_eq!(last_audit(&store, "priority.add").await.unit_id, Some(u.powiat));
    assert!(store.priorities(Owner::Unit(u.powiat)).await.expect("unit's").is_empty());
    assert_eq!(store.priorities(owner).await.expect("area's").iter().map(|x| x.id).collect::<Vec<_>>(), vec![p]);
    store.add_priority(Owner::Unit(u.powiat), "wydatki_admin", 2023, "powiaty", None, &admin).await.expect("the unit may have the same one");
    let fields = PlanFields { title: "Plan obszaru".into(), summary: None, public: true, group_name: "powiaty".into() };
    let plan_id = store.save_plan(owner, &fields, &admin).await.expect("area plan");
    assert_eq!(store.plan(owner).await.expect("read").map(|p| (p.id, p.owner)), Some((plan_id, owner)));
    assert!(store.plan(Owner::Unit(u.powiat)).await.expect("unit's").is_none());
    let act = store.add_action(plan_id, &action("Wspólne zakupy", 2025, Some(p)), &admin).await.expect("area action");
    store.set_target(act, &target("wydatki_admin", 7.0, "q3"), &admin).await.expect("area target");
    for name in ["plan.save", "action.add", "target.set"] {
        assert_eq!(last_audit(&store, name).await.unit_id, Some(u.powiat), "{name}");
    }
}

async fn reorganisations_and_institutions(store: Store, _raw: support::Raw) {
    let u = setup(&store).await;
    let ola = who("user:ola");
    let szkola = store.add_institution(u.city, "szkola", "SP nr 1", &ola).await.expect("school");
    let cuw = store.add_institution(u.city, "cuw", "Centrum Usług Wspólnych", &ola).await.expect("cuw");
    let ops = store.add_institution(u.rural, "ops", "GOPS Biecz", &ola).await.expect("ops");
    let i = last_audit(&store, "institution.add").await;
    assert_eq!((i.unit_id, i.actor.as_str()), (Some(u.rural), "user:ola"));
    assert!(conflict(store.add_institution(9999, "dps", "DPS", &ola).await, "unknown unit").contains("unit 9999 not found"));
    let of_city = store.institutions(Some(u.city)).await.expect("city's");
    assert_eq!(of_city.iter().map(|i| (i.id, i.kind.as_str())).collect::<Vec<_>>(), vec![(cuw, "cuw"), (szkola, "szkola")]);
    assert_eq!(store.institutions(None).await.expect("all").len(), 3);

    let mut f = ReorganisationFields {
        unit_id: u.city,
        kind: "cuw".into(),
        title: "CUW dla szkół".into(),
        description: None,
        start_date: "2019-09-01".into(),
        end_date: None,
        project_value: Some(1_500_000.0),
        funding_share: Some(0.85),
        funding_source: Some("RPO".into()),
        indicators: vec!["udzial_kosztow_obslugi".into(), "koszt_na_ucznia".into()],
    };
    let id = store.save_reorganisation(None, &f, &ola).await.expect("add");
    assert_eq!(last_audit(&store, "reorganisation.add").await.unit_id, Some(u.city));
    f.end_date = Some("2020-12-31".into());
    f.indicators.push("koszt_na_ucznia".into());
    assert_eq!(store.save_reorganisation(Some(id), &f, &ola).await.expect("update"), id);
    let up = last_audit(&store, "reorganisation.update").await;
    let d = up.detail.clone().expect("detail");
    assert!(d.contains("end_date") && !d.contains("indicators"), "a repeated code is not a change: {d}");
    assert!(conflict(store.save_reorganisation(Some(9999), &f, &ola).await, "unknown").contains("not found"));
    let mut moved = f.clone();
    moved.unit_id = u.rural;
    assert!(matches!(store.save_reorganisation(Some(id), &moved, &ola).await, Err(StoreError::Invalid(m)) if m.starts_with("unit_id")));

    let m1 = store.add_milestone(id, "2020-01-15", "Uchwała rady", true, &ola).await.expect("milestone");
    let m0 = store.add_milestone(id, "2019-06-30", "Analiza", false, &ola).await.expect("earlier milestone");
    assert_eq!(last_audit(&store, "milestone.add").await.unit_id, Some(u.city));
    assert!(conflict(store.add_milestone(9999, "2020-01-01", "x", false, &ola).await, "no reorganisation").contains("not found"));
    store.set_milestone_done(m0, true, &ola).await.expect("done");
    store.set_milestone_done(m0, true, &ola).await.expect("done again");
    assert_eq!(audit_of(&store, "milestone.update").await.len(), 1, "marking it done again writes nothing");
    assert!(conflict(store.set_milestone_done(9999, true, &ola).await, "no milestone").contains("not found"));

    store.link_institution(id, cuw, &ola).await.expect("link");
    store.link_institution(id, szkola, &ola).await.expect("link school");
    store.link_institution(id, cuw, &ola).await.expect("link again");
    assert_eq!(audit_of(&store, "institution.link").await.len(), 2);
    assert_eq!(last_audit(&store, "institution.link").await.unit_id, Some(u.city));
    let e = store.link_institution(id, ops, &ola).await;
    assert!(conflict(e, "another unit's institution").contains("belongs to unit"));
    assert!(conflict(store.link_institution(id, 9999, &ola).await, "unknown institution").contains("not found"));

    let (row, milestones, institutions) = store.reorganisation(id).await.expect("read").expect("there");
    let mut expected = f.clone();
    expected.indicators.pop();
    assert_eq!(row.fields, expected);
    assert_eq!(milestones.iter().map(|m| (m.id, m.done)).collect::<Vec<_>>(), vec![(m0, true), (m1, true)]);
    assert_eq!(institutions.iter().map(|i| i.id).collect::<Vec<_>>(), vec![cuw, szkola]);
    assert_eq!(store.reorganisations().await.expect("all").len(), 1);
    assert!(store.reorganisation(9999).await.expect("none").is_none());
}

async fn good_practices(store: Store, _raw: support::Raw) {
    let u = setup(&store).await;
    let ola = who("user:ola");
    let practice = |unit_id, title: &str, description: &str, indicators: &[&str]| PracticeFields {
        unit_id,
        title: title.into(),
        description: description.into(),
        contact: Some("sekretariat@example.pl".into()),
        links: vec!["https://example.pl/a".into(), "  ".into(), "https://example.pl/b".into()],
        start_year: Some(2019),
        indicators: indicators.iter().map(|s| (*s).to_owned()).collect(),
    };
    let a = store
        .add_practice(&practice(u.city, "Centrum usług wspólnych", "Wspólna księgowość szkół", &["udzial_kosztow_obslugi"]), &ola)
        .await
        .expect("a");
    let b = store
        .add_practice(
            &practice(u.rural, "Żłobek gminny", "Nowe miejsca w żłobku", &["miejsca_zlobki", "udzial_kosztow_obslugi", "miejsca_zlobki"]),
            &ola,
        )
        .await
        .expect("b");
    let c = store
        .add_practice(&practice(u.rural, "Praca socjalna", "Oddzielenie pracy socjalnej od administracji", &["czas_pracy_socjalnej"]), &ola)
        .await
        .expect("c");
    let added = last_audit(&store, "practice.add").await;
    assert_eq!((added.unit_id, added.actor.as_str()), (Some(u.rural), "user:ola"));
    assert!(conflict(store.add_practice(&practice(9999, "x", "y", &[]), &ola).await, "unknown unit").contains("not found"));

    let read = store.practice(b).await.expect("read").expect("there");
    assert_eq!(read.status, "proposed");
    assert_eq!(read.fields.links, vec!["https://example.pl/a".to_owned(), "https://example.pl/b".to_owned()]);
    assert_eq!(read.fields.indicators, vec!["miejsca_zlobki".to_owned(), "udzial_kosztow_obslugi".to_owned()]);
    assert!(read.verified_at.is_none());

    let ids = |v: Vec<store::PracticeRow>| v.into_iter().map(|p| p.id).collect::<Vec<_>>();
    let all = store.practices(&PracticeFilter::default()).await.expect("all");
    assert_eq!(ids(all), vec![c, b, a], "newest first");
    let by_indicator = PracticeFilter { indicator: Some("udzial_kosztow_obslugi".into()), ..Default::default() };
    let found = store.practices(&by_indicator).await.expect("by indicator");
    assert_eq!(found.iter().map(|p| p.fields.indicators.len()).collect::<Vec<_>>(), vec![2, 1], "each with all its indicators");
    assert_eq!(ids(found), vec![b, a]);
    let by_unit = PracticeFilter { unit_id: Some(u.rural), ..Default::default() };
    assert_eq!(ids(store.practices(&by_unit).await.expect("by unit")), vec![c, b]);
    let text = |t: &str| PracticeFilter { text: Some(t.into()), ..Default::default() };
    assert_eq!(ids(store.practices(&text("ZLOBKU")).await.expect("folded")), vec![b], "case and diacritics ignored");
    assert_eq!(ids(store.practices(&text("pracy socjalnej")).await.expect("words")), vec![c]);
    assert_eq!(ids(store.practices(&text("księgowość")).await.expect("description")), vec![a]);
    assert!(store.practices(&text("szpital")).await.expect("nothing").is_empty());

    // Verification: who and when; then an edit sends it back to proposed.
    let verifier = who("user:wera");
    store.set_practice_status(b, "verified", Some("sprawdzone w sprawozdaniu"), &verifier).await.expect("verify");
    let v = last_audit(&store, "practice.verify").await;
    assert_eq!((v.unit_id, v.actor.as_str(), v.comment.as_deref()), (Some(u.rural), "user:wera", Some("sprawdzone w sprawozdaniu")));
    assert!(v.detail.as_deref().is_some_and(|d| d.contains("proposed -> verified")));
    let read = store.practice(b).await.expect("read").expect("there");
    assert_eq!((read.status.as_str(), read.verified_by.as_deref()), ("verified", Some("user:wera")));
    assert!(read.verified_at.is_some());
    assert!(matches!(store.set_practice_status(b, "great", None, &verifier).await, Err(StoreError::Invalid(m)) if m.starts_with("status")));
    assert!(conflict(store.set_practice_status(9999, "verified", None, &verifier).await, "unknown").contains("not found"));
    let verified = PracticeFilter { status: Some("verified".into()), ..Default::default() };
    assert_eq!(ids(store.practices(&verified).await.expect("verified")), vec![b]);
    let both = PracticeFilter { status: Some("verified".into()), indicator: Some("czas_pracy_socjalnej".into()), ..Default::default() };
    assert!(store.practices(&both).await.expect("and").is_empty(), "filters combine");

    let mut edit = practice(u.rural, "Żłobek gminny", "Nowe miejsca w żłobku", &["miejsca_zlobki"]);
    store.update_practice(b, &edit, &ola).await.expect("update");
    let up = last_audit(&store, "practice.update").await;
    assert!(up.detail.as_deref().is_some_and(|d| d.contains("indicators") && d.contains("verified -> proposed") && !d.contains("title")));
    let read = store.practice(b).await.expect("read").expect("there");
    assert_eq!(
        (read.status.as_str(), read.verified_at.as_deref(), read.fields.indicators.clone()),
        ("proposed", None, vec!["miejsca_zlobki".to_owned()])
    );
    assert!(store.practices(&by_indicator).await.expect("after").iter().all(|p| p.id != b), "the indicator link went with the edit");
    store.update_practice(b, &edit, &ola).await.expect("unchanged");
    assert_eq!(audit_of(&store, "practice.update").await.len(), 1, "an unchanged practice writes nothing");
    edit.unit_id = u.city;
    assert!(matches!(store.update_practice(b, &edit, &ola).await, Err(StoreError::Invalid(m)) if m.starts_with("unit_id")));
    assert!(conflict(store.update_practice(9999, &edit, &ola).await, "unknown").contains("not found"));
}

#[tokio::test]
async fn priorities_plans_actions_and_targets_are_audited_and_never_deleted() {
    on_both!("t_cycle_", priorities_plans_actions_targets);
}

#[tokio::test]
async fn a_functional_area_is_a_saved_group_led_by_a_member_with_its_own_plan() {
    on_both!("t_cycle_", functional_areas_and_their_plans);
}

#[tokio::test]
async fn reorganisations_keep_milestones_and_institutions_of_their_own_unit() {
    on_both!("t_cycle_", reorganisations_and_institutions);
}

#[tokio::test]
async fn good_practices_are_searched_verified_and_sent_back_when_edited() {
    on_both!("t_cycle_", good_practices);
}
