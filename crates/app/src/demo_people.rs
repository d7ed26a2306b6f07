//! The demo's people and data collection: organisations, users with fixed passwords (DEMO
//! ONLY — printed by `miernik demo`), the sample form `catalogue/forms/oswiata.toml` and a
//! campaign in progress over one województwo's gminy, with submissions in every state, so a
//! visitor can log in and see each page of the workflow.

use store::{Actor, Store};

use crate::AppError;
use crate::accounts::Role;
use crate::campaigns::{Decision, FormRef, Intent, NewCampaign};
use crate::form_check::Entry;

/// The sample form, built in.
pub const SAMPLE_FORM: &str = include_str!("../../../catalogue/forms/oswiata.toml");

/// Demo accounts: (login, password, role in Polish / English). Demo only: these passwords
/// are public.
pub const DEMO_CREDENTIALS: &[(&str, &str, &str)] = &[
    ("demo-admin", "demo-admin-haslo", "administrator / administrator"),
    ("demo-gmina", "demo-gmina-haslo", "wprowadzanie danych jednej gminy / data entry for one gmina"),
    ("demo-zatwierdza", "demo-zatwierdza-haslo", "zatwierdzanie w tej gminie / approver of that gmina"),
    ("demo-weryfikator", "demo-weryfikator-haslo", "weryfikacja gmin województwa / verifier of the voivodeship's gminas"),
    ("demo-analityk", "demo-analityk-haslo", "analityk (dane niepublikowane) / analyst (unpublished data)"),
    ("demo-koordynator", "demo-koordynator-haslo", "koordynator grup wymiany / exchange-group coordinator"),
    ("demo-sasiad", "demo-sasiad-haslo", "zatwierdzanie w drugiej gminie grupy wymiany / approver of the exchange group's second gmina"),
];

/// A demo user: login, name, organisation, role, units (TERYT codes).
type Person<'a> = (&'a str, &'a str, Option<&'a str>, Role, Vec<String>);

fn entry(variable: &str, value: f64) -> Entry {
    Entry { variable: variable.to_owned(), value: Some(value), raw: None, comment: None }
}

/// Plausible answers of a gmina, consistent with the form's rules: from last year's pupils
/// when known, else from the population.
fn answers(view: &crate::campaigns::EntryView, population: Option<f64>) -> Vec<Entry> {
    let pupils = view.last_year.get("uczniowie_sp").copied().unwrap_or_else(|| (population.unwrap_or(8000.0) * 0.085).round()).max(20.0);
    let grow = |v: f64| (v * 1.02).round();
    let pupils = grow(pupils);
    view.form
        .fields
        .iter()
        .filter_map(|f| {
            let v = match f.variable.as_str() {
                "uczniowie_sp" => pupils,
                "uczniowie_sp_gmina" => (pupils * 0.9).round(),
                "oddzialy_sp" => (pupils / 19.0).ceil(),
                "nauczyciele_sp_etaty" => (pupils / 11.0 * 10.0).round() / 10.0,
                "uczniowie_sp_orzeczenia" => (pupils * 0.03).round(),
                "dowozeni_sp" => (pupils * 0.25).round(),
                "miejsca_przedszkola" => (pupils * 0.35).round(),
                "wydatki_biezace_sp_gmina" => (pupils * 14_500.0).round(),
                _ => view.last_year.get(&f.variable).copied().map(grow)?,
            };
            Some(entry(&f.variable, v))
        })
        .collect()
}

/// Saves `entries` and submits them, explaining every change the checks ask about.
async fn submit(store: &Store, actor: &Actor, campaign_id: i64, unit_id: i64, mut entries: Vec<Entry>) -> Result<bool, AppError> {
    let out = crate::campaigns::save(store, actor, campaign_id, unit_id, &entries, Intent::Submit).await?;
    if out.submitted {
        return Ok(true);
    }
    for f in out.findings.iter().filter(|f| f.needs_comment && !f.resolved) {
        if let Some(e) = entries.iter_mut().find(|e| e.variable == f.field) {
            e.comment = Some("Dane demonstracyjne / demo data".to_owned());
        }
    }
    Ok(crate::campaigns::save(store, actor, campaign_id, unit_id, &entries, Intent::Submit).await?.submitted)
}

/// Adds the demo's people, form and campaign (called by `load_demo` on a fresh database).
pub async fn load_demo_people(store: &Store) -> Result<(), AppError> {
    let system = Actor::named("demo");
    let units = store.units().await?;
    let current = |u: &&store::StoredUnit| !u.historical && u.valid_to.is_none();
    // The first województwo with gminy; its first gmina wiejska is the demo user's.
    let mut gminy: Vec<&store::StoredUnit> = Vec::new();
    for w in units.iter().filter(current).filter(|u| u.kind == model::UnitKind::Wojewodztwo) {
        gminy = units.iter().filter(current).filter(|u| u.kind.is_gmina() && u.code.wojewodztwo().as_ref() == Some(&w.code)).collect();
        if gminy.len() >= 4 {
            break;
        }
    }
    gminy.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
    if gminy.len() < 4 {
        return Err(AppError::Invalid("the demo has no województwo with four gminy".into()));
    }
    if let Some(i) = gminy.iter().position(|u| u.kind == model::UnitKind::GminaWiejska) {
        let g = gminy.remove(i);
        gminy.insert(0, g);
    }
    let own = gminy[0];
    let codes: Vec<String> = gminy.iter().map(|u| u.code.as_str().to_owned()).collect();
    // The województwo by its name ("dolnośląskie"), as people call it; its code if unnamed.
    let woj_code = own.code.wojewodztwo();
    let woj = units
        .iter()
        .find(|u| u.kind == model::UnitKind::Wojewodztwo && Some(&u.code) == woj_code.as_ref())
        .map(|u| u.name.to_lowercase())
        .or_else(|| woj_code.map(|c| c.as_str().to_owned()))
        .unwrap_or_default();

    use crate::accounts::{add_organisation, add_user, grant, set_password};
    let own_org = format!("Gmina {} (demo)", own.name);
    add_organisation(store, &system, "jst", &own_org, Some(own.code.as_str())).await?;
    add_organisation(store, &system, "office", "Urząd Statystyczny (demo)", None).await?;
    let people: [Person; 5] = [
        ("demo-admin", "Administrator (demo)", None, Role::Admin, vec![]),
        ("demo-gmina", "Anna Wprowadzająca (demo)", Some(&own_org), Role::DataEntry, vec![own.code.as_str().to_owned()]),
        ("demo-zatwierdza", "Jan Zatwierdzający (demo)", Some(&own_org), Role::Approver, vec![own.code.as_str().to_owned()]),
        ("demo-weryfikator", "Ewa Weryfikatorka (demo)", Some("Urząd Statystyczny (demo)"), Role::Verifier, codes.clone()),
        ("demo-analityk", "Piotr Analityk (demo)", Some("Urząd Statystyczny (demo)"), Role::Analyst, codes.clone()),
    ];
    for (login, name, org, role, on) in &people {
        add_user(store, &system, login, name, *org).await?;
        grant(store, &system, login, *role, on).await?;
        let password = DEMO_CREDENTIALS.iter().find(|c| c.0 == *login).map_or("demo-haslo-demo", |c| c.1);
        set_password(store, &system, login, password).await?;
    }

    // The form and a campaign for the demo's last year with data, as an exchange group collects
    // a year's data in the year after: approved answers then show (marked unpublished) on the
    // cards of that year, which the private view covers (a year the snapshot does not hold would
    // show nowhere until publication).
    let admin = Actor::named("user:demo-admin");
    let form = crate::campaigns::add_form(store, &admin, SAMPLE_FORM, "catalogue/forms/oswiata.toml").await?;
    let population = store.variables().await?.into_iter().find(|v| v.code == "ludnosc");
    let pop_values = match &population {
        Some(v) => store.variable_values(v.id).await?,
        None => Vec::new(),
    };
    let last_year = pop_values.iter().filter(|(_, _, v)| v.is_some()).map(|(_, y, _)| *y).max().unwrap_or(2024);
    let today = crate::campaigns::today();
    let campaign = crate::campaigns::add_campaign(
        store,
        &admin,
        NewCampaign {
            form: FormRef::Id(form.id),
            name: format!("Oświata {last_year} — województwo {woj} (demo)"),
            year: last_year,
            deadline: today + time::Duration::days(30),
            publish_on: today + time::Duration::days(60),
            units: codes,
        },
    )
    .await?;

    // Submissions in every state: the demo user's draft, then submitted, returned, approved.
    let verifier = Actor::named("user:demo-weryfikator");
    for (i, unit) in gminy.iter().take(4).enumerate() {
        let view = crate::campaigns::entry_view(store, campaign.id, unit.id).await?;
        let population = pop_values.iter().find(|(u, y, _)| *u == unit.id && *y == last_year).and_then(|(_, _, v)| *v);
        let entries = answers(&view, population);
        let who = if i == 0 { Actor::named("user:demo-gmina") } else { Actor::named(format!("user:demo-{}", unit.code.as_str())) };
        if i == 0 {
            let half = entries.len().div_ceil(2);
            crate::campaigns::save(store, &who, campaign.id, unit.id, &entries[..half], Intent::Draft).await?;
            continue;
        }
        if !submit(store, &who, campaign.id, unit.id, entries).await? {
            continue;
        }
        match i {
            2 => {
                let comment = "Proszę sprawdzić liczbę oddziałów / Please check the number of classes".to_owned();
                crate::campaigns::verify(store, &verifier, campaign.id, unit.id, Decision::Return(comment)).await?;
            }
            3 => {
                crate::campaigns::verify(store, &verifier, campaign.id, unit.id, Decision::Approve).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::SubmissionState;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_has_people_and_a_campaign_in_every_state() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&format!("sqlite:{}", dir.path().join("d.db").display())).await.expect("open");
        assert!(crate::load_demo(&store).await.expect("demo"));
        for (login, password, _) in DEMO_CREDENTIALS {
            let out = crate::accounts::login(&store, login, password, Some("127.0.0.1")).await.expect("login");
            assert!(matches!(out, crate::accounts::LoginOutcome::Ok { .. }), "{login} cannot log in");
        }
        let campaigns = crate::campaigns::campaigns(&store).await.expect("campaigns");
        assert_eq!(campaigns.len(), 1);
        let c = &campaigns[0];
        assert!(c.deadline > crate::campaigns::today() && c.publish_on > c.deadline);
        let rows = crate::campaigns::dashboard(&store, c.id, crate::campaigns::today()).await.expect("dashboard");
        for s in SubmissionState::ALL {
            assert!(rows.iter().any(|r| r.state == Some(s)), "no submission is {s}: {rows:?}");
        }
        assert!(rows.iter().any(|r| r.state.is_none()));
        assert!(!crate::campaigns::pending_values(&store).await.expect("pending").is_empty());
    }
}
