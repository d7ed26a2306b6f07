//! The demo's exchange groups and service-user surveys (issue 19), seeded after the demo's
//! people (`demo_people`) and closed cycle (`demo_cycle`) through the same app calls as the
//! web: a coordinator and a second gmina's approver to log in as, a running exchange group
//! of seven gminy with meetings, a document and two questions, a recruiting group with two
//! applications, and survey campaigns of the standard sets with synthetic answers.
//!
//! Everything drawn here comes from its own generator ([`SEED`]), so the letters, the answers
//! and the counts are the same on every run and nothing drawn earlier by the demo changes.
//! Only the survey campaigns' public links and letters are drawn by `app::surveys` itself
//! (they are secrets and must not be predictable).

use model::{Date, UnitKind};
use store::{Actor, Store, StoredUnit};

use crate::accounts::Role;
use crate::exchange::{self as ex, CycleFields, CycleState, MeetingFields};
use crate::rng::Rng;
use crate::surveys as sv;
use crate::{AppError, Computed};

/// The demo's exchange-group coordinator (Role::Coordinator).
pub const COORDINATOR_LOGIN: &str = "demo-koordynator";
/// The approver of the demo's second gmina, a fellow member of the demo gmina's group.
pub const NEIGHBOUR_LOGIN: &str = "demo-sasiad";
/// The running group's name.
pub const RUNNING_CYCLE: &str = "GWD Oświata (demo)";
/// The recruiting group's name.
pub const RECRUITING_CYCLE: &str = "GWD Pomoc społeczna (demo)";
/// How many gminy the running group has: the demo's four and three more.
pub const MEMBERS: usize = 7;
/// How many gminy survey the parents of a school (set `szkola`).
pub const SCHOOL_SURVEYS: usize = 10;
/// The seed of this module's own generator (apart from the generator of the data).
const SEED: u64 = 0x6777_645f_7361_7319;

/// The sets the demo surveys with.
const SCHOOL_SET: &str = "szkola";
const OPS_SET: &str = "ops";

/// Free-text remarks of the synthetic questionnaires (no names, nothing to moderate away).
const REMARKS: [&str; 6] = [
    "Dziękujemy nauczycielom za zaangażowanie.",
    "Brakuje zajęć pozalekcyjnych po południu.",
    "Świetlica jest za mała na tyle dzieci.",
    "Dobry kontakt z wychowawczynią.",
    "Autobus szkolny często się spóźnia.",
    "Stołówka mogłaby mieć zdrowsze posiłki.",
];

/// An actor of a demo person, as the web records a signed-in user.
fn person(login: &str, id: i64) -> Actor {
    Actor { name: format!("user:{login}"), user_id: Some(id), address: None }
}

/// The id of a user the demo made, by login.
async fn user_id(store: &Store, login: &str) -> Result<i64, AppError> {
    crate::accounts::list_users(store)
        .await?
        .into_iter()
        .find(|u| u.login == login)
        .map(|u| u.id)
        .ok_or_else(|| AppError::Invalid(format!("the demo has no user `{login}` (load the demo's people first)")))
}

/// The demo's data collection (form `oswiata`) and its gminy in `demo_people`'s order: the
/// demo gmina (the first gmina wiejska) first, then the others by TERYT code.
async fn demo_gminy(store: &Store) -> Result<(crate::campaigns::CampaignInfo, Vec<StoredUnit>), AppError> {
    let campaign = crate::campaigns::campaigns(store)
        .await?
        .into_iter()
        .find(|c| c.form_code == "oswiata")
        .ok_or_else(|| AppError::Invalid("the demo has no `oswiata` campaign (load the demo's people first)".into()))?;
    let ids = crate::campaigns::campaign_units(store, campaign.id).await?;
    let mut gminy: Vec<StoredUnit> =
        store.units().await?.into_iter().filter(|u| !u.historical && u.valid_to.is_none() && u.kind.is_gmina() && ids.contains(&u.id)).collect();
    gminy.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
    if let Some(i) = gminy.iter().position(|u| u.kind == UnitKind::GminaWiejska) {
        let g = gminy.remove(i);
        gminy.insert(0, g);
    }
    let need = SCHOOL_SURVEYS.max(MEMBERS + 2);
    if gminy.len() < need {
        return Err(AppError::Invalid(format!("the demo's campaign covers {} gminy; the exchange demo needs {need}", gminy.len())));
    }
    // The demo gmina is the approver's (`demo_people` grants it): check the order agrees.
    let own = crate::accounts::list_users(store)
        .await?
        .into_iter()
        .find(|u| u.login == "demo-zatwierdza")
        .and_then(|u| u.grants.into_iter().find_map(|g| g.unit_code));
    if own.as_deref() != Some(gminy[0].code.as_str()) {
        return Err(AppError::Invalid(format!("the demo gmina is {own:?}, not {} as the exchange demo expects", gminy[0].code.as_str())));
    }
    Ok((campaign, gminy))
}

/// Seeds the exchange groups and the surveys over the demo (called by `load_demo` after
/// the closed cycle); does nothing when a cycle exists already.
pub async fn seed(store: &Store, c: &Computed) -> Result<(), AppError> {
    if !ex::cycles(store).await?.is_empty() {
        return Ok(());
    }
    let mut rng = Rng(SEED);
    let (campaign, gminy) = demo_gminy(store).await?;
    let year = i32::try_from(campaign.year).map_err(|_| AppError::Invalid(format!("the demo campaign's year {} is out of range", campaign.year)))?;
    seed_people(store, &gminy[1]).await?;
    seed_running_cycle(store, c, &mut rng, &gminy, campaign.id, year).await?;
    seed_recruiting_cycle(store, c, &gminy, year).await?;
    seed_surveys(store, &mut rng, &gminy, year).await?;
    Ok(())
}

/// The coordinator and the second gmina's approver, with their organisations.
async fn seed_people(store: &Store, second: &StoredUnit) -> Result<(), AppError> {
    use crate::accounts::{add_organisation, add_user, grant, set_password};
    let system = Actor::named("demo");
    let office = "Biuro grup wymiany doświadczeń (demo)";
    let org = format!("Gmina {} (demo)", second.name);
    add_organisation(store, &system, "office", office, None).await?;
    add_organisation(store, &system, "jst", &org, Some(second.code.as_str())).await?;
    let people: [(&str, &str, &str, Role, Vec<String>); 2] = [
        (COORDINATOR_LOGIN, "Katarzyna Koordynatorka (demo)", office, Role::Coordinator, vec![]),
        (NEIGHBOUR_LOGIN, "Tomasz Sąsiad (demo)", &org, Role::Approver, vec![second.code.as_str().to_owned()]),
    ];
    for (login, name, org, role, on) in &people {
        add_user(store, &system, login, name, Some(org)).await?;
        grant(store, &system, login, *role, on).await?;
        let password = crate::demo_people::DEMO_CREDENTIALS
            .iter()
            .find(|c| c.0 == *login)
            .map(|c| c.1)
            .ok_or_else(|| AppError::Invalid(format!("DEMO_CREDENTIALS has no password for `{login}`")))?;
        set_password(store, &system, login, password).await?;
    }
    Ok(())
}

/// The value of indicator `code` for unit `unit` in `year`, or the nearest earlier one.
fn value_at_or_before(c: &Computed, code: &str, unit: &str, year: i32) -> Option<f64> {
    let (i, u) = (c.snapshot.indicator_index(code)?, c.unit_index(unit)?);
    let s = &c.snapshot;
    let last = (year - s.first_year()).min(s.years() as i32 - 1);
    (0..=last).rev().find_map(|y| s.value(i, u, y as usize))
}

/// The running group: seven gminy admitted by the coordinator (letters drawn by this
/// module's generator), the demo's data collection linked, three meetings hosted in
/// rotation (two held, with notes, one to come), a document and two questions.
async fn seed_running_cycle(store: &Store, c: &Computed, rng: &mut Rng, gminy: &[StoredUnit], campaign_id: i64, year: i32) -> Result<(), AppError> {
    let coordinator_id = user_id(store, COORDINATOR_LOGIN).await?;
    let coordinator = person(COORDINATOR_LOGIN, coordinator_id);
    let fields = CycleFields {
        name: RUNNING_CYCLE.into(),
        sector: "edukacja".into(),
        year,
        description: Some(format!(
            "Grupa wymiany doświadczeń gmin jednego województwa: porównanie kosztów i organizacji szkół podstawowych za rok {year}, \
             przyczyny różnic omawiane na spotkaniach u kolejnych gospodarzy. Dane demonstracyjne. \
             / An exchange group of one voivodeship's gminy: primary schools' costs and organisation in {year} compared, the reasons \
             for the differences discussed at meetings hosted in turn. Demo data."
        )),
    };
    let cycle_id = ex::open_cycle(store, c, &fields, coordinator_id, &coordinator).await?;
    let mut letters = Vec::with_capacity(MEMBERS);
    for g in &gminy[..MEMBERS] {
        letters.push(store.exchange_admit(cycle_id, g.id, rng.next(), ex::MAX_MEMBERS, &coordinator).await?);
    }
    ex::link_campaign(store, cycle_id, campaign_id, &coordinator).await?;
    ex::set_state(store, cycle_id, CycleState::Running, &coordinator).await?;
    let letter_of = |unit_id: i64| gminy.iter().position(|g| g.id == unit_id).and_then(|i| letters.get(i)).cloned().unwrap_or_default();

    // Three meetings, each hosted by the member who hosted least (ties by letter).
    let today = crate::campaigns::today();
    let days = |d: i64| today + time::Duration::days(d);
    let plans: [(Date, &str, Option<&str>); 3] = [
        (
            days(-70),
            "1. Przedstawienie się gmin, zakres porównania, harmonogram. 2. Jak liczymy koszt ucznia. \
             / 1. Introductions, the scope of the comparison, the schedule. 2. How we count the cost per pupil.",
            Some("notes-1"),
        ),
        (
            days(-21),
            "1. Arkusz porównawczy: koszt ucznia i wielkość oddziałów. 2. Pytania do wartości. \
             / 1. The comparison sheet: cost per pupil and class size. 2. Questions on values.",
            Some("notes-2"),
        ),
        (
            days(25),
            "1. Dowożenie uczniów: dobre praktyki. 2. Plany poprawy — pierwsze szkice. \
             / 1. School transport: good practices. 2. Improvement plans — first drafts.",
            None,
        ),
    ];
    let mut first_meeting = None;
    for (held_on, agenda, notes) in plans {
        let view = ex::cycle(store, cycle_id).await?.ok_or_else(|| AppError::NotFound(format!("exchange cycle {cycle_id}")))?;
        let held = ex::meetings(store, cycle_id).await?;
        let host = ex::host_rotation(&view.members, &held);
        let f = MeetingFields {
            held_on,
            host_unit_id: host,
            place: Some("Sala konferencyjna urzędu gospodarza / The host office's conference room".into()),
            agenda: Some(agenda.into()),
        };
        let id = ex::add_meeting(store, cycle_id, &f, &coordinator).await?;
        first_meeting.get_or_insert(id);
        if let Some(which) = notes {
            let host_letter = host.map(letter_of).unwrap_or_default();
            let text = match which {
                "notes-1" => format!(
                    "Obecni przedstawiciele wszystkich {MEMBERS} gmin. Gospodarz (uczestnik {host_letter}) przedstawił organizację sieci szkół. \
                     Uzgodniono, że koszt ucznia liczymy z wydatków bieżących działu 801 bez inwestycji. \
                     / Representatives of all {MEMBERS} gminy present. The host (participant {host_letter}) presented its school network. \
                     Agreed to count the cost per pupil from current expenditure of section 801 without investment."
                ),
                _ => format!(
                    "Omówiono arkusz za rok {year}. Największe różnice: wielkość oddziałów i koszt dowożenia. \
                     Uczestnicy zadali dwa pytania do wartości (zob. zakładkę pytań). Gospodarz: uczestnik {host_letter}. \
                     / The {year} sheet discussed. The largest differences: class size and transport cost. \
                     Participants asked two questions on values (see the questions tab). Host: participant {host_letter}."
                ),
            };
            ex::update_meeting(store, id, &f, Some(&text), &coordinator).await?;
        }
    }
    let note = format!(
        "Notatka ze spotkania 1 grupy „{RUNNING_CYCLE}” (dane demonstracyjne)\n\n\
         Uzgodnienia:\n- koszt ucznia: wydatki bieżące działu 801 bez inwestycji,\n- liczba uczniów według SIO na 30 września,\n\
         - kolejne spotkanie u następnego gospodarza.\n\n\
         Minutes of meeting 1 of the group “{RUNNING_CYCLE}” (demo data)\n\n\
         Agreed:\n- cost per pupil: current expenditure of section 801 without investment,\n- pupils as recorded in SIO on 30 September,\n\
         - the next meeting at the next host's.\n"
    );
    ex::add_document(
        store,
        cycle_id,
        first_meeting,
        "Notatka ze spotkania 1 / Minutes of meeting 1",
        "notatka-spotkanie-1.txt",
        note.as_bytes(),
        &coordinator,
    )
    .await?;

    // Two questions: the second gmina asks about the demo gmina's pupils per teacher, which
    // the demo gmina answers; the demo gmina asks about the second gmina's class size (open).
    let (own, second) = (&gminy[0], &gminy[1]);
    let approver_id = user_id(store, "demo-zatwierdza").await?;
    let approver = person("demo-zatwierdza", approver_id);
    let neighbour_id = user_id(store, NEIGHBOUR_LOGIN).await?;
    let neighbour = person(NEIGHBOUR_LOGIN, neighbour_id);
    let q1 = ex::ask(
        store,
        cycle_id,
        own.id,
        "EDU_05",
        year,
        value_at_or_before(c, "EDU_05", own.code.as_str(), year),
        "Liczba uczniów na etat nauczyciela wyraźnie odbiega od reszty grupy. Czy etaty obejmują nauczycieli przedszkoli? \
         / Pupils per teacher FTE differ clearly from the rest of the group. Do the FTEs include pre-school teachers?",
        Some(second.id),
        neighbour_id,
        &neighbour,
    )
    .await?;
    ex::reply(
        store,
        q1,
        "Nie — to tylko etaty w szkołach podstawowych. Różnica wynika z dwóch małych szkół filialnych z klasami łączonymi. \
         / No — only primary-school FTEs. The difference comes from two small branch schools with combined classes.",
        Some(own.id),
        approver_id,
        true,
        &approver,
    )
    .await?;
    ex::ask(
        store,
        cycle_id,
        second.id,
        "EDU_04",
        year,
        value_at_or_before(c, "EDU_04", second.code.as_str(), year),
        "Przeciętna liczba uczniów w oddziale wygląda na zawyżoną. Czy liczba oddziałów w ankiecie jest pełna? \
         / The average class size looks too high. Is the number of classes in the questionnaire complete?",
        Some(own.id),
        approver_id,
        &approver,
    )
    .await?;
    Ok(())
}

/// The recruiting group: social assistance, two gminy outside the running group applied.
async fn seed_recruiting_cycle(store: &Store, c: &Computed, gminy: &[StoredUnit], year: i32) -> Result<(), AppError> {
    let coordinator_id = user_id(store, COORDINATOR_LOGIN).await?;
    let coordinator = person(COORDINATOR_LOGIN, coordinator_id);
    let fields = CycleFields {
        name: RECRUITING_CYCLE.into(),
        sector: "polityka_spoleczna".into(),
        year,
        description: Some(
            "Nabór: grupa gmin porównująca organizację i koszty pomocy społecznej (OPS, usługi opiekuńcze). Dane demonstracyjne. \
             / Recruiting: a group of gminy comparing the organisation and costs of social assistance (OPS, care services). Demo data."
                .into(),
        ),
    };
    let cycle_id = ex::open_cycle(store, c, &fields, coordinator_id, &coordinator).await?;
    let notes = [
        "Udział: kierownik OPS i skarbnik. / Taking part: the head of the OPS and the treasurer.",
        "Udział: zastępca wójta i kierownik OPS. / Taking part: the deputy wójt and the head of the OPS.",
    ];
    for (g, note) in gminy[MEMBERS..MEMBERS + 2].iter().zip(notes) {
        ex::apply(store, cycle_id, g.id, Some(note), &Actor::named("demo")).await?;
    }
    Ok(())
}

/// One synthetic questionnaire's answers to `questions` (CSV cells) and a remark, around
/// the campaign's `quality` (a mean score).
fn questionnaire(rng: &mut Rng, quality: f64, effects: &[f64]) -> (Vec<String>, Option<&'static str>) {
    let personal = 0.6 * rng.normal();
    let cells = effects
        .iter()
        .map(|e| {
            let r = rng.unit();
            if r < 0.06 {
                "nie wiem".to_owned()
            } else if r < 0.08 {
                String::new()
            } else {
                let score = (quality + personal + e + 0.7 * rng.normal()).round().clamp(1.0, 5.0);
                format!("{score}")
            }
        })
        .collect();
    let remark = (rng.unit() < 0.1).then(|| REMARKS[rng.below(REMARKS.len())]);
    (cells, remark)
}

/// A paper-results CSV of `n` synthetic questionnaires of a set.
fn paper_csv(rng: &mut Rng, codes: &[String], n: usize, quality: f64, effects: &[f64]) -> String {
    let mut out = codes.join(";");
    out.push_str(";uwagi\n");
    for _ in 0..n {
        let (cells, remark) = questionnaire(rng, quality, effects);
        out.push_str(&cells.join(";"));
        out.push(';');
        out.push_str(remark.unwrap_or(""));
        out.push('\n');
    }
    out
}

/// The question codes of a stored set.
async fn set_codes(store: &Store, code: &str) -> Result<Vec<String>, AppError> {
    let set = sv::set(store, code).await?.ok_or_else(|| AppError::Invalid(format!("the standard survey set `{code}` is not loaded")))?;
    Ok(set.set.questions.iter().map(|q| q.code.clone()).collect())
}

/// The standard sets; parents' surveys of a primary school in ten gminy (the demo gmina's
/// by an open link, the others by one-time links; eight with enough answers, one below the
/// minimum, one consenting to be named) and one survey of the demo gmina's OPS, all filled
/// with synthetic paper questionnaires.
async fn seed_surveys(store: &Store, rng: &mut Rng, gminy: &[StoredUnit], year: i32) -> Result<(), AppError> {
    let system = Actor::named("demo");
    sv::load_standard_sets(store, &system).await?;
    let approver = person("demo-zatwierdza", user_id(store, "demo-zatwierdza").await?);
    let today = crate::campaigns::today();
    let school = set_codes(store, SCHOOL_SET).await?;
    let school_effects: Vec<f64> = school.iter().map(|_| rng.range(-0.4, 0.3)).collect();
    let below = SCHOOL_SURVEYS - 2;
    let named = 2;
    let mut own_campaign = None;
    for (i, g) in gminy[..SCHOOL_SURVEYS].iter().enumerate() {
        let actor = if i == 0 { approver.clone() } else { system.clone() };
        let fields = sv::CampaignFields {
            set_code: SCHOOL_SET.into(),
            unit_id: g.id,
            service: format!("Szkoła Podstawowa nr 1 (gmina {})", g.name),
            year,
            mode: if i == 0 { sv::Mode::Open } else { sv::Mode::Tokens },
            tokens: if i == 0 { 0 } else { 60 },
            min_answers: sv::DEFAULT_MIN_ANSWERS,
            opens_on: today - time::Duration::days(40),
            closes_on: today + time::Duration::days(30),
            named: i == named,
        };
        let (id, _tokens) = sv::open_campaign(store, &fields, &actor).await?;
        let n = if i == below { 12 + rng.below(10) } else { 32 + rng.below(24) };
        let quality = rng.range(3.6, 4.5);
        let csv = paper_csv(rng, &school, n, quality, &school_effects);
        sv::import_paper(store, id, csv.as_bytes(), "ankiety-papierowe.csv", &actor).await?;
        if i == 0 {
            own_campaign = Some(id);
        }
    }
    // One remark of the demo gmina's survey published, the rest left for moderation.
    if let Some(id) = own_campaign
        && let Some(first) = sv::comments(store, id, Some("pending")).await?.first()
    {
        sv::moderate(store, first.id, true, &approver).await?;
    }
    let ops = set_codes(store, OPS_SET).await?;
    let ops_effects: Vec<f64> = ops.iter().map(|_| rng.range(-0.5, 0.2)).collect();
    let own = &gminy[0];
    let fields = sv::CampaignFields {
        set_code: OPS_SET.into(),
        unit_id: own.id,
        service: format!("Ośrodek Pomocy Społecznej (gmina {})", own.name),
        year,
        mode: sv::Mode::Tokens,
        tokens: 50,
        min_answers: sv::DEFAULT_MIN_ANSWERS,
        opens_on: today - time::Duration::days(40),
        closes_on: today + time::Duration::days(30),
        named: false,
    };
    let (id, _tokens) = sv::open_campaign(store, &fields, &approver).await?;
    let (n, quality) = (30 + rng.below(12), rng.range(3.7, 4.4));
    let csv = paper_csv(rng, &ops, n, quality, &ops_effects);
    sv::import_paper(store, id, csv.as_bytes(), "ankiety-ops.csv", &approver).await?;
    Ok(())
}
