//! `/admin/uzytkownicy`: the administrator's page of users, organisations and roles, with
//! forms to add a user or an organisation, grant and revoke a role and make an invitation
//! link. Admin only (others get 403, a public reader the login page); every form carries the
//! session's CSRF token and every change is audited by the store.

use std::sync::Arc;

use app::accounts::{self, Action, Role, UserListing};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Ctx, role_words};
use crate::error::WebError;

pub const PATH: &str = "/admin/uzytkownicy";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route(PATH, get(users_page).post(users_form))
}

/// What one of the page's forms sends; `akcja` says which: `dodaj` (user), `organizacja`,
/// `nadaj` (grant), `odbierz` (revoke), `zaproszenie` (invitation link).
#[derive(Debug, Default, Deserialize)]
pub struct AdminForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    akcja: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    nazwa: String,
    #[serde(default)]
    organizacja: String,
    #[serde(default)]
    rodzaj: String,
    #[serde(default)]
    rola: String,
    #[serde(default)]
    jednostki: String,
    #[serde(default)]
    dni: String,
}

/// The outcome shown above the forms.
enum Note {
    Done(String),
    Failed(String),
}

async fn users_page(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    if let Err(e) = ctx.require_any(Action::Administer) {
        return ctx.error(e);
    }
    render(&state, &ctx, None, StatusCode::OK).await
}

async fn users_form(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    form: Result<axum::Form<AdminForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let user = match ctx.require_any(Action::Administer) {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let Ok(axum::Form(form)) = form else {
        return ctx.error(WebError::BadRequest("akcja, login, rola, jednostki".into()));
    };
    if let Err(e) = ctx.check_csrf(&form.csrf) {
        return ctx.error(e);
    }
    let l = ctx.lang;
    let actor = user.actor(ctx.address.clone());
    let store = &state.store;
    let units: Vec<String> = form.jednostki.split([',', ' ', ';']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let role = Role::parse(&form.rola);
    let outcome: Result<String, app::AppError> = match form.akcja.as_str() {
        "dodaj" => {
            let org = Some(form.organizacja.trim()).filter(|o| !o.is_empty());
            accounts::add_user(store, &actor, &form.login, &form.nazwa, org)
                .await
                .map(|_| format!("{} {}", l.t("Dodano użytkownika", "User added:"), accounts::normalise_login(&form.login)))
        }
        "organizacja" => {
            let unit = units.first().map(String::as_str);
            accounts::add_organisation(store, &actor, form.rodzaj.trim(), &form.nazwa, unit)
                .await
                .map(|_| format!("{} {}", l.t("Dodano organizację", "Organisation added:"), form.nazwa.trim()))
        }
        "nadaj" | "odbierz" => match role {
            None => Err(app::AppError::Invalid(format!("rola `{}`", form.rola))),
            Some(r) if form.akcja == "nadaj" => accounts::grant(store, &actor, &form.login, r, &units)
                .await
                .map(|n| format!("{} {} ({n})", l.t("Nadano rolę", "Role granted:"), role_words(l, r))),
            Some(r) => accounts::revoke(store, &actor, &form.login, r, &units)
                .await
                .map(|n| format!("{} {} ({n})", l.t("Odebrano rolę", "Role revoked:"), role_words(l, r))),
        },
        "zaproszenie" => {
            let days: i64 = form.dni.trim().parse().unwrap_or(7).clamp(1, 30);
            match accounts::invite(store, &actor, &form.login, days * 86_400).await {
                Ok(token) => {
                    let base = state.options.public_url.as_deref().unwrap_or("").trim_end_matches('/');
                    let link = format!("{base}/zaproszenie/{token}");
                    Ok(if l.en {
                        format!(
                            "Invitation link for {} (valid {days} days, shown once — send it to the person): {link}",
                            accounts::normalise_login(&form.login)
                        )
                    } else {
                        format!(
                            "Link zaproszenia dla {} (ważny {days} dni, pokazany tylko raz — wyślij go tej osobie): {link}",
                            accounts::normalise_login(&form.login)
                        )
                    })
                }
                Err(e) => Err(e),
            }
        }
        other => Err(app::AppError::Invalid(format!("akcja `{other}`"))),
    };
    match outcome {
        Ok(done) => render(&state, &ctx, Some(Note::Done(done)), StatusCode::OK).await,
        Err(app::AppError::Busy) => ctx.error(WebError::Busy),
        Err(e) => render(&state, &ctx, Some(Note::Failed(problem_words(l, &e))), StatusCode::BAD_REQUEST).await,
    }
}

/// An account error in the page's language (no CLI flags).
fn problem_words(l: crate::i18n::L, e: &app::AppError) -> String {
    use app::AppError as E;
    match e {
        E::UnknownUser { login } => format!("{} {login}", l.t("Nie ma użytkownika", "No user")),
        E::UnknownUnit { code } => format!("{} {code}", l.t("Nie ma jednostki o kodzie TERYT", "No unit with TERYT code")),
        E::UnknownOrganisation { name } => format!("{} {name}", l.t("Nie ma organizacji", "No organisation")),
        E::Invalid(why) => format!("{} {why}", l.t("Nie przyjęto:", "Not accepted:")),
        e => {
            tracing::error!("admin: {e}");
            l.t("Nie udało się, spróbuj ponownie.", "That failed, please try again.").to_owned()
        }
    }
}

async fn render(state: &AppState, ctx: &Ctx, note: Option<Note>, status: StatusCode) -> Response {
    let (users, orgs) = match (accounts::list_users(&state.store).await, state.store.organisations().await) {
        (Ok(u), Ok(o)) => (u, o),
        (Err(e), _) => return ctx.error(WebError::from(e)),
        (_, Err(e)) => return ctx.error(WebError::from(e)),
    };
    let l = ctx.lang;
    let body = html! {
        h1 { (l.t("Użytkownicy i role", "Users and roles")) }
        @match &note {
            Some(Note::Done(text)) => div.box role="status" { p { (text) } },
            Some(Note::Failed(text)) => div.box role="alert" { p { strong { (text) } } },
            None => {},
        }
        h2 { (l.t("Użytkownicy", "Users")) }
        (users_table(ctx, &users))
        h2 { (l.t("Organizacje", "Organisations")) }
        @if orgs.is_empty() { p { (l.t("Brak organizacji.", "No organisations.")) } } @else {
            div.scroll role="region" tabindex="0" aria-label=(l.t("Organizacje", "Organisations")) {
                table {
                    thead { tr { th scope="col" { (l.t("Nazwa", "Name")) } th scope="col" { (l.t("Rodzaj", "Kind")) } } }
                    tbody { @for o in &orgs { tr { td { (o.name) } td { (kind_words(l, &o.kind)) } } } }
                }
            }
        }
        (forms(ctx, &users, &orgs))
    };
    ctx.page(status, l.t("Użytkownicy i role", "Users and roles"), body)
}

fn kind_words(l: crate::i18n::L, kind: &str) -> &'static str {
    match kind {
        "jst" => l.t("jednostka samorządu (JST)", "local government (JST)"),
        "association" => l.t("związek / stowarzyszenie", "association"),
        "office" => l.t("urząd statystyczny", "statistics office"),
        _ => l.t("inny", "other"),
    }
}

fn users_table(ctx: &Ctx, users: &[UserListing]) -> Markup {
    let l = ctx.lang;
    html! {
        @if users.is_empty() { p { (l.t("Brak użytkowników.", "No users.")) } } @else {
            div.scroll role="region" tabindex="0" aria-label=(l.t("Użytkownicy", "Users")) {
                table {
                    thead { tr {
                        th scope="col" { (l.t("Login", "Login")) }
                        th scope="col" { (l.t("Imię i nazwisko", "Name")) }
                        th scope="col" { (l.t("Organizacja", "Organisation")) }
                        th scope="col" { (l.t("Stan", "State")) }
                        th scope="col" { (l.t("Role", "Roles")) }
                    } }
                    tbody { @for u in users { tr {
                        th scope="row" { (u.login) }
                        td { (u.display_name) }
                        td { (u.organisation.as_deref().unwrap_or("—")) }
                        td {
                            @if u.disabled { (l.t("wyłączony", "disabled")) }
                            @else if u.has_password { (l.t("aktywny", "active")) }
                            @else { (l.t("czeka na hasło (zaproszenie)", "awaiting a password (invitation)")) }
                        }
                        td {
                            @if u.grants.is_empty() { "—" } @else {
                            ul { @for g in &u.grants { li {
                                (role_words(l, g.role)) ": "
                                @match (&g.unit_code, &g.unit_name, g.unit_id) {
                                    (Some(code), Some(name), _) => { (name) " (" (code) ")" },
                                    (_, _, Some(id)) => { "#" (id) },
                                    _ => { (l.t("wszystkie jednostki", "every unit")) },
                                }
                            } } }
                            }
                        }
                    } } }
                }
            }
        }
    }
}

fn role_select(l: crate::i18n::L, id: &str) -> Markup {
    html! {
        select id=(id) name="rola" {
            @for r in Role::ALL { option value=(r.as_str()) { (role_words(l, r)) } }
        }
    }
}

fn login_select(users: &[UserListing], id: &str) -> Markup {
    html! {
        select id=(id) name="login" required {
            @for u in users { option value=(u.login) { (u.login) " — " (u.display_name) } }
        }
    }
}

fn forms(ctx: &Ctx, users: &[UserListing], orgs: &[accounts::StoredOrganisation]) -> Markup {
    let l = ctx.lang;
    let action = l.href(PATH);
    html! {
        h2 { (l.t("Dodaj użytkownika", "Add a user")) }
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(ctx.csrf);
            input type="hidden" name="akcja" value="dodaj";
            p { label for="nu-login" { (l.t("Login (małe litery, cyfry, . _ @ -)", "Login (small letters, digits, . _ @ -)")) } br; input #nu-login type="text" name="login" required autocapitalize="none" spellcheck="false"; }
            p { label for="nu-nazwa" { (l.t("Imię i nazwisko", "Name")) } br; input #nu-nazwa type="text" name="nazwa" required; }
            p { label for="nu-org" { (l.t("Organizacja", "Organisation")) } br;
                select #nu-org name="organizacja" {
                    option value="" { (l.t("(brak)", "(none)")) }
                    @for o in orgs { option value=(o.name) { (o.name) } }
                }
            }
            p { button type="submit" { (l.t("Dodaj", "Add")) } }
        }
        @if !users.is_empty() {
            h2 { (l.t("Nadaj lub odbierz rolę", "Grant or revoke a role")) }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(ctx.csrf);
                p { label for="r-login" { (l.t("Użytkownik", "User")) } br; (login_select(users, "r-login")) }
                p { label for="r-rola" { (l.t("Rola", "Role")) } br; (role_select(l, "r-rola")) }
                p { label for="r-jedn" { (l.t("Jednostki: kody TERYT po przecinku, * = wszystkie (weryfikacja, analityk); puste = JST organizacji użytkownika (nadanie) albo wszystkie wiersze roli (odebranie)",
                                             "Units: TERYT codes separated by commas, * = every unit (verifier, analyst); empty = the user's organisation's JST (grant) or every row of the role (revoke)")) }
                    br; input #r-jedn type="text" name="jednostki"; }
                p {
                    button type="submit" name="akcja" value="nadaj" { (l.t("Nadaj rolę", "Grant the role")) } " "
                    button type="submit" name="akcja" value="odbierz" { (l.t("Odbierz rolę", "Revoke the role")) }
                }
            }
            h2 { (l.t("Link zaproszenia", "Invitation link")) }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(ctx.csrf);
                input type="hidden" name="akcja" value="zaproszenie";
                p { label for="z-login" { (l.t("Użytkownik", "User")) } br; (login_select(users, "z-login")) }
                p { label for="z-dni" { (l.t("Ważny przez (dni)", "Valid for (days)")) } br; input #z-dni type="number" name="dni" min="1" max="30" value="7"; }
                p { button type="submit" { (l.t("Utwórz link", "Make the link")) } }
            }
        }
        h2 { (l.t("Dodaj organizację", "Add an organisation")) }
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(ctx.csrf);
            input type="hidden" name="akcja" value="organizacja";
            p { label for="o-nazwa" { (l.t("Nazwa", "Name")) } br; input #o-nazwa type="text" name="nazwa" required; }
            p { label for="o-rodzaj" { (l.t("Rodzaj", "Kind")) } br;
                select #o-rodzaj name="rodzaj" {
                    @for k in ["jst", "association", "office"] { option value=(k) { (kind_words(l, k)) } }
                }
            }
            p { label for="o-jedn" { (l.t("Kod TERYT (dla JST)", "TERYT code (for a JST)")) } br; input #o-jedn type="text" name="jednostki"; }
            p { button type="submit" { (l.t("Dodaj", "Add")) } }
        }
    }
}
