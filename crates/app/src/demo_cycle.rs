//! The demo's closed cycle (issue 18): effects of known size planted in the synthetic data
//! ([`PLANTED`], applied by the generator through `plant`) and what is seeded over them
//! ([`seed`]) through the same app calls as the web, as actor `demo`: the demo gmina's
//! priorities and its public plan with targets proposed from peers, plans of the units whose
//! planted actions worked, good practices, the CUW and the social-assistance reorganisation
//! with milestones and institutions, and one functional area.
//!
//! How the planted units are chosen (all in województwo 12, the demo's „małopolskie”; the
//! demo's territory is fixed, so the codes are constants; `crates/app/tests/demo_planted.rs`
//! checks them against these rules):
//! * the CUW: the first city with powiat rights of województwo 12 (`1261`; the generator plants
//!   on its gmina `1261011`, whose sums the city carries);
//! * the social-assistance (GOPS) reorganisation: the first gmina wiejska of województwo 12;
//! * plan actions: the first gmina miejska (not a city with powiat rights) and the first gmina
//!   miejsko-wiejska of województwo 12.
//!
//! An effect moves the indicator by exactly its size in every year from the start on: the
//! generator replaces the numerator's value by the one that gives the drawn ratio plus the
//! effect (for a share whose denominator holds the numerator, solved for it), then rounds it
//! as every value of the variable (counts to whole places: for the places per 1,000 that
//! leaves at most half a place of difference). No other unit or indicator is touched, but the
//! CUW's lower support costs also lower its support cost per FTE (SPO_18), as they would.

use std::collections::HashMap;

use store::{ActionFields, Actor, PlanFields, PracticeFields, PracticeFilter, Store, TargetFields};

use crate::plans::PlanOwner;
use crate::reorganisations::ReorganisationInput;
use crate::{AppError, Computed};

/// Why a unit's indicator moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A shared-services centre (reorganisation kind `cuw`).
    Cuw,
    /// A social-assistance reorganisation (kind `pomoc_spoleczna`).
    SocialAssistance,
    /// An action of the unit's improvement plan.
    PlanAction,
}

/// An effect of known size planted in the demo data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Planted {
    /// The JST's TERYT code.
    pub unit: &'static str,
    pub indicator: &'static str,
    /// The first year the indicator is moved.
    pub start_year: i32,
    /// How much it moves, in the indicator's units (percentage points for a share).
    pub effect: f64,
    pub cause: Cause,
}

/// The planted effects; nothing else in the demo is moved.
pub const PLANTED: &[Planted] = &[
    // The CUW: support costs fall from 2019, administrative posts move to services.
    Planted { unit: "1261", indicator: "SPO_17", start_year: 2019, effect: -4.0, cause: Cause::Cuw },
    Planted { unit: "1261", indicator: "SPO_22", start_year: 2019, effect: -3.0, cause: Cause::Cuw },
    // The reorganised GOPS: more of the staff's time on social work from 2020.
    Planted { unit: "1201022", indicator: "SPO_21", start_year: 2020, effect: 8.0, cause: Cause::SocialAssistance },
    // Plan actions: a new nursery (2021) and new care-home places (2020).
    Planted { unit: "1202011", indicator: "SPO_19", start_year: 2021, effect: 60.0, cause: Cause::PlanAction },
    Planted { unit: "1201013", indicator: "SPO_20", start_year: 2020, effect: 6.0, cause: Cause::PlanAction },
];

/// The institutions' variables: the generator draws them from a random stream of their own,
/// so that adding them changed no other value of the demo.
pub const OWN_STREAM: [&str; 8] = [
    "etaty_uslugi_jops",
    "etaty_administracja_jops",
    "koszty_uslug_jops",
    "koszty_obslugi_jops",
    "miejsca_zlobki",
    "miejsca_dps",
    "ops_czas_ogolem",
    "ops_czas_praca_socjalna",
];

/// How a planted indicator is moved: `factor · numerator / denominator`, the denominator being
/// the sum of `rest` (plus the numerator itself when `share`).
struct Recipe {
    indicator: &'static str,
    numerator: &'static str,
    rest: &'static [&'static str],
    share: bool,
    factor: f64,
}

const RECIPES: [Recipe; 5] = [
    Recipe { indicator: "SPO_17", numerator: "koszty_obslugi_jops", rest: &["koszty_uslug_jops"], share: true, factor: 100.0 },
    Recipe { indicator: "SPO_22", numerator: "etaty_administracja_jops", rest: &["etaty_uslugi_jops"], share: true, factor: 100.0 },
    Recipe { indicator: "SPO_21", numerator: "ops_czas_praca_socjalna", rest: &["ops_czas_ogolem"], share: false, factor: 100.0 },
    Recipe { indicator: "SPO_19", numerator: "miejsca_zlobki", rest: &["dzieci_0_2"], share: false, factor: 1000.0 },
    Recipe { indicator: "SPO_20", numerator: "miejsca_dps", rest: &["ludnosc_65_69", "ludnosc_70_plus"], share: false, factor: 1000.0 },
];

/// The gmina whose generated values carry a JST's: a city with powiat rights (`1261`) is
/// generated as its gmina (`1261011`); any other unit as itself.
pub fn generated_as(unit: &str) -> String {
    let city = unit.len() == 4 && unit.get(2..4).and_then(|p| p.parse::<u8>().ok()).is_some_and(|p| p >= 61);
    if city { format!("{unit}011") } else { unit.to_owned() }
}

/// The numerator that makes the ratio `effect` larger: from the numerator `n` and the sum
/// `rest` of the denominator's other inputs. None where the ratio has no value.
fn moved_numerator(r: &Recipe, n: f64, rest: f64, effect: f64) -> Option<f64> {
    let den = if r.share { n + rest } else { rest };
    if !(den > 0.0 && n.is_finite()) {
        return None;
    }
    let mut target = r.factor * n / den + effect;
    if r.factor == 100.0 {
        // A share stays a share.
        target = target.clamp(0.0, 99.0);
    }
    let moved = if r.share { target * rest / (r.factor - target) } else { target * rest / r.factor };
    (moved.is_finite() && moved >= 0.0).then_some(moved)
}

/// Plants the effects of [`PLANTED`] on variable `variable`'s series (years from
/// `first_year`) of the gmina coded `gmina`, given the gmina's series drawn before it (`own`)
/// and the variable's rounding. Called by the demo generator after each series is drawn.
pub(crate) fn plant(gmina: &str, variable: &str, first_year: i64, series: &mut [f64], own: &HashMap<&str, Vec<f64>>, round: &dyn Fn(f64) -> f64) {
    for p in PLANTED.iter().filter(|p| generated_as(p.unit) == gmina) {
        let Some(r) = RECIPES.iter().find(|r| r.indicator == p.indicator && r.numerator == variable) else { continue };
        for (t, x) in series.iter_mut().enumerate() {
            if first_year + (t as i64) < i64::from(p.start_year) {
                continue;
            }
            let rest: Option<f64> = r.rest.iter().map(|v| own.get(v).and_then(|s| s.get(t)).copied()).sum();
            if let Some(moved) = rest.and_then(|rest| moved_numerator(r, *x, rest, p.effect)) {
                *x = round(moved);
            }
        }
    }
}

/// The demo's actor.
fn demo_actor() -> Actor {
    Actor::named("demo")
}

/// A unit of the store by TERYT code: (id, name).
fn unit_by_code<'a>(units: &'a [store::StoredUnit], code: &str) -> Option<&'a store::StoredUnit> {
    units.iter().find(|u| !u.historical && u.valid_to.is_none() && u.code.as_str() == code)
}

/// The unit the demo's approver works for (granted by `demo_people`).
async fn demo_gmina(store: &Store) -> Result<String, AppError> {
    let users = crate::accounts::list_users(store).await?;
    users
        .iter()
        .find(|u| u.login == "demo-zatwierdza")
        .and_then(|u| u.grants.iter().find_map(|g| g.unit_code.clone()))
        .ok_or_else(|| AppError::Invalid("the demo has no approver with a gmina (load the demo's people first)".into()))
}

/// The value of indicator `i` for unit `u` in `year`, or the nearest earlier one: (year, value).
fn value_at_or_before(c: &Computed, i: usize, u: usize, year: i32) -> Option<(i32, f64)> {
    let s = &c.snapshot;
    let last = (year - s.first_year()).min(s.years() as i32 - 1);
    (0..=last).rev().find_map(|y| s.value(i, u, y as usize).map(|v| (s.first_year() + y, v)))
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Seeds the cycle over the demo data (after `load_demo` stored it and `demo_people` its
/// people): does nothing a second time (every part looks for what it would add first).
pub async fn seed(store: &Store, c: &Computed) -> Result<(), AppError> {
    let actor = demo_actor();
    let units = store.units().await?;
    let own = demo_gmina(store).await?;
    seed_demo_plan(store, c, &own, &actor).await?;
    for p in PLANTED.iter().filter(|p| p.cause == Cause::PlanAction) {
        seed_action_plan(store, c, p, &actor).await?;
    }
    seed_practices(store, c, &units, &actor).await?;
    seed_reorganisations(store, c, &units, &actor).await?;
    seed_functional_area(store, &units, &own, &actor).await?;
    Ok(())
}

/// The demo gmina: its three biggest weaknesses as priorities, and the public plan
/// „Plan poprawy usług 2025–2028” with an action and a target from peers for each of them.
async fn seed_demo_plan(store: &Store, c: &Computed, code: &str, actor: &Actor) -> Result<(), AppError> {
    let owner = PlanOwner::unit(c, code)?;
    if store.plan(owner.key()).await?.is_some() || !store.priorities(owner.key()).await?.is_empty() {
        return Ok(());
    }
    let u = c.unit_index(code).ok_or_else(|| AppError::NotFound(format!("unit {code} has no data")))?;
    let s = &c.snapshot;
    let Some(y) = s.card_year(u) else { return Ok(()) };
    let year = s.first_year() + y as i32;
    let group = "typology";
    let diagnosis = crate::compare::diagnose(store, c, code, year, group, &crate::NearestSpec::default(), 3).await?;
    let mut priorities = Vec::new();
    for f in &diagnosis.weaknesses {
        let note = format!(
            "Słabość z diagnozy {year} w grupie porównawczej; do poprawy w planie 2025–2028 / A weakness of the {year} diagnosis against the peer group; to improve in the 2025–2028 plan"
        );
        let id = crate::plans::add_priority(store, c, &owner, &f.indicator, year, group, Some(&note), actor).await?;
        priorities.push((id, f));
    }
    let plan = PlanFields {
        title: "Plan poprawy usług 2025–2028".into(),
        summary: Some(
            "Trzy priorytety z diagnozy gminy, dla każdego działanie i cel wyznaczony z grupy porównawczej: zamknięcie połowy luki do dobrego kwartyla do 2028 roku. \
             / Three priorities from the gmina's diagnosis, each with an action and a target set from the peer group: closing half the gap to the good quartile by 2028."
                .into(),
        ),
        public: true,
        group_name: group.into(),
    };
    crate::plans::save_plan(store, &owner, &plan, actor).await?;
    let owners = ["Wydział Edukacji i Spraw Społecznych", "Wydział Finansów", "Wydział Rozwoju i Inwestycji"];
    for (n, (priority_id, f)) in priorities.iter().enumerate() {
        let proposals = crate::plans::target_proposals(store, c, &owner, &f.indicator, group, 2028).await?;
        let Some(p) = proposals.proposals.iter().find(|p| p.code == "gap:0.5").or_else(|| proposals.proposals.first()) else { continue };
        let action = ActionFields {
            priority_id: Some(*priority_id),
            title: clip(&format!("Poprawa: {}", f.name_pl), 200),
            description: Some(format!(
                "Działanie demonstracyjne wobec słabości „{}”. Cel: połowa luki do dobrego kwartyla grupy porównawczej do 2028 roku. \
                 / A demo action on the weakness “{}”. Target: half the gap to the peer group's good quartile by 2028.",
                f.name_pl, f.name_en
            )),
            owner: Some(format!("{} (demo)", owners[n % owners.len()])),
            budget: Some(150_000.0 * (n as f64 + 1.0)),
            start_year: 2025,
            end_year: 2028,
            status: if n == 0 { "in_progress" } else { "planned" }.into(),
        };
        let action_id = crate::plans::add_action(store, &owner, &action, actor).await?;
        let target = TargetFields {
            indicator_code: f.indicator.clone(),
            baseline_year: i64::from(proposals.baseline_year),
            baseline_value: proposals.baseline,
            target_year: 2028,
            target_value: p.value,
            method: p.code.clone(),
            group_name: proposals.group.clone(),
        };
        crate::plans::set_target(store, c, &owner, action_id, &target, actor).await?;
    }
    Ok(())
}

/// A unit whose planted effect came from a plan action: its (public) plan with that action,
/// done, the indicator a priority, and the target it reached.
async fn seed_action_plan(store: &Store, c: &Computed, p: &Planted, actor: &Actor) -> Result<(), AppError> {
    let owner = PlanOwner::unit(c, p.unit)?;
    if store.plan(owner.key()).await?.is_some() {
        return Ok(());
    }
    let (Some(u), Some(i)) = (c.unit_index(p.unit), c.snapshot.indicator_index(p.indicator)) else { return Ok(()) };
    let Some((baseline_year, baseline)) = value_at_or_before(c, i, u, p.start_year - 1) else { return Ok(()) };
    let group = "typology";
    let (title, description, budget) = match p.indicator {
        "SPO_19" => (
            "Nowy żłobek samorządowy",
            "Budowa i otwarcie żłobka samorządowego ze środków programu „Maluch+” i budżetu gminy. / A new municipal nursery built and opened with the “Maluch+” programme and the gmina's budget.",
            2_400_000.0,
        ),
        "SPO_20" => (
            "Nowe miejsca w domu pomocy społecznej",
            "Rozbudowa domu pomocy społecznej prowadzonego na zlecenie gminy. / An extension of the social-care home run on the gmina's behalf.",
            3_100_000.0,
        ),
        _ => ("Działanie naprawcze", "Działanie demonstracyjne. / A demo action.", 500_000.0),
    };
    let note = "Słabość z diagnozy przed działaniem / A weakness of the diagnosis before the action";
    let priority_id = crate::plans::add_priority(store, c, &owner, p.indicator, baseline_year, group, Some(note), actor).await?;
    let plan = PlanFields {
        title: format!("Plan poprawy usług {}–{}", p.start_year - 1, p.start_year + 2),
        summary: Some("Plan demonstracyjny: działanie zakończone, jego skutek widać w ocenie wobec grupy. / A demo plan: the action is done and its effect shows in the re-evaluation against peers.".into()),
        public: true,
        group_name: group.into(),
    };
    crate::plans::save_plan(store, &owner, &plan, actor).await?;
    let action = ActionFields {
        priority_id: Some(priority_id),
        title: title.into(),
        description: Some(description.into()),
        owner: Some("Wydział Spraw Społecznych (demo)".into()),
        budget: Some(budget),
        start_year: i64::from(p.start_year),
        end_year: i64::from(p.start_year),
        status: "done".into(),
    };
    let action_id = crate::plans::add_action(store, &owner, &action, actor).await?;
    let target = TargetFields {
        indicator_code: p.indicator.into(),
        baseline_year: i64::from(baseline_year),
        baseline_value: baseline,
        target_year: i64::from(p.start_year + 2),
        target_value: baseline + p.effect,
        method: "manual".into(),
        group_name: group.into(),
    };
    crate::plans::set_target(store, c, &owner, action_id, &target, actor).await?;
    Ok(())
}

/// Good practices of units that improved: the CUW and the GOPS (verified) and the new
/// nursery (proposed, waiting for a verifier).
async fn seed_practices(store: &Store, c: &Computed, units: &[store::StoredUnit], actor: &Actor) -> Result<(), AppError> {
    struct Practice {
        unit: &'static str,
        title: &'static str,
        description: &'static str,
        indicators: &'static [&'static str],
        start_year: i64,
        verified: bool,
    }
    let practices = [
        Practice {
            unit: "1261",
            title: "Centrum usług wspólnych dla szkół i instytucji polityki społecznej",
            description: "Miasto przeniosło księgowość, kadry, płace i zamówienia szkół, przedszkoli, żłobków, MOPS i DPS do jednego centrum usług wspólnych. \
                Ujednolicone procedury i jeden system finansowo-księgowy zmniejszyły koszty obsługi; pracownicy administracji przeszli do CUW albo na wolne etaty w usługach. \
                / The city moved the accounting, HR, payroll and procurement of its schools, pre-schools, nurseries, social-assistance centre and care homes to one shared-services centre. \
                Standard procedures and one finance system cut support costs; administrative staff moved to the centre or to vacant service posts.",
            indicators: &["SPO_17", "SPO_22", "SPO_18"],
            start_year: 2019,
            verified: true,
        },
        Practice {
            unit: "1201022",
            title: "Oddzielenie pracy socjalnej od administracji w GOPS",
            description: "Projekt współfinansowany z EFS: punkt pierwszego kontaktu, zespół świadczeń przyznawanych decyzją administracyjną i zespół pracy socjalnej i usług. \
                Pracownicy uczestniczyli w każdym etapie; pracownicy socjalni mają więcej czasu na pracę z rodzinami. \
                / An ESF co-funded project: a first-contact desk, a team for benefits granted by administrative decision and a team for social work and services. \
                Staff took part in every stage; social workers have more time for work with families.",
            indicators: &["SPO_21"],
            start_year: 2020,
            verified: true,
        },
        Practice {
            unit: "1202011",
            title: "Nowy żłobek samorządowy z programu „Maluch+”",
            description: "Gmina zbudowała żłobek z dotacji programu „Maluch+” i środków własnych; rekrutacja elektroniczna, dłuższe godziny otwarcia. \
                / The gmina built a nursery with a “Maluch+” grant and its own funds; online enrolment, longer opening hours.",
            indicators: &["SPO_19"],
            start_year: 2021,
            verified: false,
        },
    ];
    for p in practices {
        let Some(unit) = unit_by_code(units, p.unit) else { continue };
        let filter = PracticeFilter { unit_id: Some(unit.id), ..PracticeFilter::default() };
        if store.practices(&filter).await?.iter().any(|r| r.fields.title == p.title) {
            continue;
        }
        let fields = PracticeFields {
            unit_id: unit.id,
            title: p.title.into(),
            description: p.description.into(),
            contact: Some(format!("Urząd: {} (demo), dobre-praktyki@example.org", unit.name)),
            links: vec![format!("https://example.org/demo/dobre-praktyki/{}", p.unit)],
            start_year: Some(p.start_year),
            indicators: p.indicators.iter().map(|s| (*s).to_owned()).collect(),
        };
        let id = crate::practices::add_practice(store, c, &fields, actor).await?;
        if p.verified {
            let note = "Sprawdzono z danymi i z JST (demo) / Checked against the data and with the JST (demo)";
            crate::practices::verify_practice(store, id, "verified", Some(note), actor).await?;
        }
    }
    Ok(())
}

/// The CUW and the GOPS reorganisation, each with its milestones and institutions.
async fn seed_reorganisations(store: &Store, c: &Computed, units: &[store::StoredUnit], actor: &Actor) -> Result<(), AppError> {
    let existing = store.reorganisations().await?;
    for cause in [Cause::Cuw, Cause::SocialAssistance] {
        let planted: Vec<&Planted> = PLANTED.iter().filter(|p| p.cause == cause).collect();
        let Some(first) = planted.first() else { continue };
        let Some(unit) = unit_by_code(units, first.unit) else { continue };
        let name = &unit.name;
        let (kind, title, description, start, end, value, share, source) = match cause {
            Cause::Cuw => (
                "cuw",
                format!("Centrum Usług Wspólnych w {name}"),
                "Obsługa finansowo-księgowa, kadrowa i płacowa szkół, przedszkoli, żłobków, MOPS i DPS przeniesiona do jednego centrum; administracja ujednolicona. \
                 / The finance, accounting, HR and payroll of schools, pre-schools, nurseries, the social-assistance centre and care homes moved to one centre; administration standardised.",
                format!("{}-01-01", first.start_year),
                format!("{}-12-31", first.start_year + 1),
                "1 200 000",
                "",
                "budżet miasta / the city's budget",
            ),
            _ => (
                "pomoc_spoleczna",
                format!("Reorganizacja Gminnego Ośrodka Pomocy Społecznej w {name}"),
                "Oddzielenie pracy administracyjnej od socjalnej: punkt pierwszego kontaktu, zespół świadczeń przyznawanych decyzją administracyjną, zespół pracy socjalnej i usług; pracownicy uczestniczą w każdym etapie. \
                 / Administrative work separated from social work: a first-contact desk, a team for benefits granted by administrative decision, a team for social work and services; staff take part in every stage.",
                format!("{}-01-01", first.start_year),
                format!("{}-12-31", first.start_year + 2),
                "850 000",
                "85",
                "Europejski Fundusz Społeczny / European Social Fund",
            ),
        };
        if existing.iter().any(|r| r.fields.unit_id == unit.id && r.fields.kind == kind) {
            continue;
        }
        let input = ReorganisationInput {
            kind: kind.into(),
            title: clip(&title, 200),
            description: description.into(),
            start_date: start.clone(),
            end_date: end.clone(),
            project_value: value.into(),
            funding_share: share.into(),
            funding_source: source.into(),
            indicators: planted.iter().map(|p| p.indicator.to_owned()).collect(),
        };
        let id = crate::reorganisations::save(store, c, None, first.unit, &input, actor).await?;
        let y = first.start_year;
        let milestones: Vec<(String, &str, bool)> = match cause {
            Cause::Cuw => vec![
                (format!("{}-06-30", y - 1), "Uchwała rady miasta o utworzeniu CUW / The city council's resolution setting up the CUW", true),
                (format!("{y}-01-01"), "CUW obsługuje szkoły i przedszkola / The CUW serves schools and pre-schools", true),
                (
                    format!("{y}-09-01"),
                    "CUW przejmuje obsługę MOPS, żłobków i DPS / The CUW takes over the social-assistance centre, nurseries and care homes",
                    true,
                ),
                (format!("{}-12-31", y + 1), "Jeden system finansowo-księgowy / One finance and accounting system", true),
            ],
            _ => vec![
                (format!("{}-10-01", y - 1), "Diagnoza i plan zmian z udziałem pracowników / Diagnosis and plan of changes with the staff", true),
                (format!("{y}-01-01"), "Punkt pierwszego kontaktu / First-contact desk", true),
                (format!("{y}-03-01"), "Zespół świadczeń i zespół pracy socjalnej / Benefits team and social-work team", true),
                (format!("{}-12-31", y + 2), "Zakończenie i rozliczenie projektu / The project closed and accounted for", true),
            ],
        };
        for (on, title, done) in &milestones {
            crate::reorganisations::add_milestone(store, id, on, title, *done, actor).await?;
        }
        let institutions: Vec<(&str, String)> = match cause {
            Cause::Cuw => vec![
                ("cuw", format!("Centrum Usług Wspólnych w {name}")),
                ("szkola", format!("Szkoła Podstawowa nr 1 w {name}")),
                ("szkola", format!("Szkoła Podstawowa nr 2 w {name}")),
                ("przedszkole", format!("Przedszkole Miejskie nr 3 w {name}")),
                ("zlobek", format!("Żłobek Miejski nr 1 w {name}")),
                ("ops", format!("Miejski Ośrodek Pomocy Społecznej w {name}")),
                ("dps", format!("Dom Pomocy Społecznej w {name}")),
            ],
            _ => vec![("ops", format!("Gminny Ośrodek Pomocy Społecznej w {name}"))],
        };
        let known = crate::reorganisations::institutions(store, unit.id).await?;
        for (kind, name) in institutions {
            let inst = match known.iter().find(|i| i.kind == kind && i.name == name) {
                Some(i) => i.id,
                None => crate::reorganisations::add_institution(store, unit.id, kind, &name, actor).await?,
            };
            crate::reorganisations::link_institution(store, id, inst, actor).await?;
        }
    }
    Ok(())
}

/// One functional area: the demo gmina's powiat with its gminy, saved as a custom group and
/// declared, led by the powiat.
async fn seed_functional_area(store: &Store, units: &[store::StoredUnit], own: &str, actor: &Actor) -> Result<(), AppError> {
    let Some(powiat) = own.get(..4) else { return Ok(()) };
    let code = format!("obszar-{powiat}");
    if store.functional_area_by_code(&code).await?.is_some() {
        return Ok(());
    }
    let Some(p) = unit_by_code(units, powiat) else { return Ok(()) };
    if !store.groups().await?.iter().any(|g| g.code == code) {
        let mut members: Vec<String> = units
            .iter()
            .filter(|u| !u.historical && u.valid_to.is_none() && u.kind.is_gmina() && u.code.as_str().starts_with(powiat))
            .map(|u| u.code.as_str().to_owned())
            .collect();
        members.sort();
        members.insert(0, powiat.to_owned());
        let name_pl = format!("Obszar funkcjonalny: powiat {} z gminami (demo)", p.name);
        let name_en = format!("Functional area: {} powiat with its gminas (demo)", p.name);
        crate::compare::save_custom_group(store, &code, &name_pl, Some(&name_en), &members).await?;
    }
    let description = "Powiat i jego gminy planują razem transport, oświatę i ochronę zdrowia (model obszaru funkcjonalnego ZPP). \
        / The powiat and its gminas plan transport, education and health together (the ZPP functional-area model).";
    crate::functional_areas::declare(store, &code, powiat, Some(description), actor).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe(code: &str) -> &'static Recipe {
        RECIPES.iter().find(|r| r.indicator == code).expect("recipe")
    }

    #[test]
    fn each_recipe_is_its_indicators_formula_in_the_catalogue() {
        let cat = ingest::catalogue::parse_catalogue(crate::demo::STARTER_CATALOGUE, "indicators.toml").expect("catalogue");
        for r in &RECIPES {
            let ind = cat.indicators.iter().find(|i| i.code.get_ref() == r.indicator).expect("indicator in the catalogue");
            assert_eq!(ind.numerator.get_ref(), r.numerator, "{}", r.indicator);
            let mut parts: Vec<&str> = r.rest.to_vec();
            if r.share {
                parts.insert(0, r.numerator);
            }
            assert_eq!(ind.denominator.as_ref().map(|d| d.get_ref().as_str()), Some(parts.join(" + ").as_str()), "{}", r.indicator);
            assert_eq!(ind.factor, r.factor, "{}", r.indicator);
            assert!(OWN_STREAM.contains(&r.numerator), "{}", r.numerator);
        }
        for p in PLANTED {
            assert!(RECIPES.iter().any(|r| r.indicator == p.indicator), "{} has no recipe", p.indicator);
            assert!(p.effect != 0.0 && p.effect.is_finite());
        }
        // The institutions' variables are those of the catalogue's institutions block.
        for v in OWN_STREAM {
            let var = cat.variables.iter().find(|x| x.code.get_ref() == v).expect("variable in the catalogue");
            assert_eq!(var.source.as_deref(), Some("ankieta"), "{v}");
            assert!(var.synthetic.is_some(), "{v}");
        }
    }

    #[test]
    fn a_moved_numerator_moves_the_ratio_by_the_effect() {
        let ratio = |r: &Recipe, n: f64, rest: f64| r.factor * n / if r.share { n + rest } else { rest };
        for (code, n, rest, effect) in [
            ("SPO_17", 1_500_000.0, 9_000_000.0, -4.0),
            ("SPO_22", 40.0, 210.0, -3.0),
            ("SPO_21", 9_000.0, 25_000.0, 8.0),
            ("SPO_19", 40.0, 500.0, 60.0),
            ("SPO_20", 25.0, 2_100.0, 6.0),
        ] {
            let r = recipe(code);
            let moved = moved_numerator(r, n, rest, effect).expect("moved");
            let shift = ratio(r, moved, rest) - ratio(r, n, rest);
            assert!((shift - effect).abs() < 1e-9, "{code}: {shift} for {effect}");
        }
        // No ratio, no move.
        assert_eq!(moved_numerator(recipe("SPO_19"), 4.0, 0.0, 60.0), None);
    }

    #[test]
    fn planting_moves_the_planted_unit_from_its_start_year_only() {
        let rest: Vec<f64> = vec![500.0; 15];
        let own: HashMap<&str, Vec<f64>> = HashMap::from([("dzieci_0_2", rest)]);
        let drawn: Vec<f64> = (0..15).map(|t| 40.0 + t as f64).collect();
        let round = |x: f64| x.round();
        let mut series = drawn.clone();
        plant("1202011", "miejsca_zlobki", 2010, &mut series, &own, &round);
        for (t, (a, b)) in drawn.iter().zip(&series).enumerate() {
            let year = 2010 + t as i32;
            let shift = 1000.0 * (b - a) / 500.0;
            if year < 2021 {
                assert_eq!(a, b, "{year}");
            } else {
                assert!((shift - 60.0).abs() <= 1000.0 * 0.5 / 500.0, "{year}: {shift}");
            }
        }
        // Another unit, or another variable of the unit, is left alone.
        for (unit, var) in [("1202022", "miejsca_zlobki"), ("1202011", "miejsca_dps")] {
            let mut series = drawn.clone();
            plant(unit, var, 2010, &mut series, &own, &round);
            assert_eq!(series, drawn, "{unit} {var}");
        }
        // A city with powiat rights is generated as its gmina.
        assert_eq!(generated_as("1261"), "1261011");
        assert_eq!(generated_as("1201022"), "1201022");
        assert_eq!(generated_as("1201"), "1201");
    }
}
