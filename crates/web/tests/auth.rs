//! Signing in and out through the router (tower `oneshot`): the session cookie's attributes,
//! logout ending the session in the database, CSRF on every form, `next` kept only when
//! local, throttling, the invitation link, and the administrator's users page (403 for
//! others, in Polish and English).
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

const TERC: &str = "WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA
02;;;;DOLNOŚLĄSKIE;województwo;2026-01-01
02;01;;;bolesławiecki;powiat;2026-01-01
02;01;01;1;Bolesławiec;gmina miejska;2026-01-01
02;01;03;2;Gromadka;gmina wiejska;2026-01-01
";

const PASSWORD: &str = "długie hasło testowe";

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The whole `Set-Cookie` line for `name`.
    fn cookie_line(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.cookie_line(name).and_then(|l| l.split(';').next().and_then(|kv| kv.split_once('=')).map(|(_, v)| v.to_owned()))
    }

    /// The first `csrf` field of the page.
    fn csrf(&self) -> String {
        self.body.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("").to_owned()
    }
}

struct World {
    _dir: tempfile::TempDir,
    store: app::Store,
    router: axum::Router,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = app::Store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.unwrap();
    let terc = dir.path().join("terc.csv");
    std::fs::write(&terc, TERC).unwrap();
    app::import_units(&store, &terc).await.unwrap();
    let cli = app::accounts::Actor::named("cli:test");
    for (login, role, units) in [("szef", app::accounts::Role::Admin, vec![]), ("jan", app::accounts::Role::DataEntry, vec!["0201011".to_owned()])] {
        app::accounts::add_user(&store, &cli, login, &format!("{login} Kowalski"), None).await.unwrap();
        app::accounts::grant(&store, &cli, login, role, &units).await.unwrap();
        app::accounts::set_password(&store, &cli, login, PASSWORD).await.unwrap();
    }
    let router = web::router_with(store.clone(), false, Arc::new(app::LiveSnapshot::new()));
    World { _dir: dir, store, router }
}

fn encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { char::from(b).to_string() } else { format!("%{b:02X}") }).collect()
}

async fn send(w: &World, method: &str, uri: &str, cookie: &str, form: &[(&str, &str)], from: &str) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if !cookie.is_empty() {
        req = req.header(header::COOKIE, cookie);
    }
    let body = if method == "POST" {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        form.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
    } else {
        String::new()
    };
    let mut req = req.body(Body::from(body)).unwrap();
    req.extensions_mut().insert(ConnectInfo(format!("{from}:50000").parse::<SocketAddr>().unwrap()));
    let res = w.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Answer { status, headers, body }
}

/// The login page's form token (double-submit cookie): (cookie header, token).
async fn form_token(w: &World) -> (String, String) {
    let page = send(w, "GET", "/logowanie", "", &[], "127.0.0.1").await;
    assert_eq!(page.status, StatusCode::OK);
    let token = page.cookie("miernik_csrf").expect("a form token cookie");
    assert_eq!(page.csrf(), token, "the form carries the cookie's token");
    (format!("miernik_csrf={token}"), token)
}

async fn login(w: &World, login: &str, password: &str, next: &str, from: &str) -> Answer {
    let (cookie, token) = form_token(w).await;
    send(w, "POST", "/logowanie", &cookie, &[("csrf", &token), ("login", login), ("haslo", password), ("next", next)], from).await
}

/// Signs in: (session cookie header, the session's form token from /konto).
async fn signed_in(w: &World, who: &str) -> (String, String) {
    let res = login(w, who, PASSWORD, "", "127.0.0.1").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let cookie = format!("miernik_sesja={}", res.cookie("miernik_sesja").unwrap());
    let konto = send(w, "GET", "/konto", &cookie, &[], "127.0.0.1").await;
    assert_eq!(konto.status, StatusCode::OK);
    (cookie, konto.csrf())
}

#[tokio::test]
async fn login_sets_a_safe_cookie_and_logout_ends_the_session_in_the_database() {
    let w = world().await;
    let res = login(&w, "Jan", PASSWORD, "", "127.0.0.1").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/konto");
    let line = res.cookie_line("miernik_sesja").unwrap();
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", &format!("Max-Age={}", app::accounts::SESSION_SECS)] {
        assert!(line.split("; ").any(|p| p == part), "{part} missing: {line}");
    }
    assert!(!line.contains("Secure"), "plain http: not Secure ({line})");
    let token = res.cookie("miernik_sesja").unwrap();
    assert_eq!(token.len(), 64);
    let cookie = format!("miernik_sesja={token}");

    let konto = send(&w, "GET", "/konto", &cookie, &[], "127.0.0.1").await;
    assert_eq!(konto.status, StatusCode::OK);
    assert_eq!(konto.headers.get(header::CACHE_CONTROL).unwrap(), "private, no-store");
    assert!(konto.body.contains("jan Kowalski") && konto.body.contains("Bolesławiec (0201011)"), "{}", konto.body);
    assert!(konto.body.contains("/ankiety") && !konto.body.contains("/admin/uzytkownicy"));
    let csrf = konto.csrf();
    assert_eq!(csrf.len(), 64);

    // Logout without the token: refused, the session lives.
    let res = send(&w, "POST", "/wyloguj", &cookie, &[], "127.0.0.1").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(app::accounts::session_user(&w.store, &token).await.unwrap().is_some());
    // With it: the cookie is cleared and the session row is gone.
    let res = send(&w, "POST", "/wyloguj", &cookie, &[("csrf", &csrf)], "127.0.0.1").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.cookie_line("miernik_sesja").unwrap().contains("Max-Age=0"));
    assert!(app::accounts::session_user(&w.store, &token).await.unwrap().is_none());
    let again = send(&w, "GET", "/konto", &cookie, &[], "127.0.0.1").await;
    assert_eq!((again.status, again.location()), (StatusCode::SEE_OTHER, "/logowanie?next=%2Fkonto"));
}

#[tokio::test]
async fn behind_https_the_session_cookie_is_secure() {
    let w = world().await;
    let state = web::AppState::with_options(
        w.store.clone(),
        false,
        Arc::new(app::LiveSnapshot::new()),
        web::ServeOptions { public_url: Some("https://miernik.example.pl".into()), trust_proxy: false, ..Default::default() },
    );
    let w = World { router: web::router_for(state), ..w };
    let res = login(&w, "jan", PASSWORD, "", "127.0.0.1").await;
    let line = res.cookie_line("miernik_sesja").unwrap();
    assert!(line.split("; ").any(|p| p == "Secure"), "{line}");
}

#[tokio::test]
async fn forms_without_their_token_are_refused() {
    let w = world().await;
    let (cookie, _) = form_token(&w).await;
    for token in ["", "0123456789abcdef0123456789abcdef"] {
        let res = send(&w, "POST", "/logowanie", &cookie, &[("csrf", token), ("login", "jan"), ("haslo", PASSWORD)], "127.0.0.1").await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "token {token:?}");
        assert!(res.cookie("miernik_sesja").is_none());
        assert!(res.body.contains("Formularz wygasł"));
    }
    // No cookie at all: a token in the form alone proves nothing.
    let res = send(
        &w,
        "POST",
        "/logowanie?lang=en",
        "",
        &[("csrf", "0123456789abcdef0123456789abcdef"), ("login", "jan"), ("haslo", PASSWORD)],
        "127.0.0.1",
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body.contains("The form has expired"));

    let (admin, _) = signed_in(&w, "szef").await;
    let users_before = app::accounts::list_users(&w.store).await.unwrap().len();
    let res = send(&w, "POST", "/admin/uzytkownicy", &admin, &[("akcja", "dodaj"), ("login", "nowy"), ("nazwa", "Nowy")], "127.0.0.1").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app::accounts::list_users(&w.store).await.unwrap().len(), users_before, "nothing written");
}

#[tokio::test]
async fn next_is_followed_only_when_it_is_a_local_path() {
    let w = world().await;
    for (next, to) in [
        ("//evil.example/x", "/konto"),
        ("https://evil.example", "/konto"),
        ("/\\evil.example", "/konto"),
        ("/admin/uzytkownicy", "/admin/uzytkownicy"),
    ] {
        let res = login(&w, "szef", PASSWORD, next, "127.0.0.1").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location(), to, "next={next}");
    }
    // The login page does not even carry a foreign `next` in its form.
    let page = send(&w, "GET", "/logowanie?next=%2F%2Fevil.example", "", &[], "127.0.0.1").await;
    assert!(!page.body.contains("evil.example"));
    let page = send(&w, "GET", "/logowanie?next=%2Fkonto", "", &[], "127.0.0.1").await;
    assert!(page.body.contains("name=\"next\" value=\"/konto\""));
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_throttled() {
    let w = world().await;
    let res = login(&w, "jan", "not the password", "", "192.0.2.1").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("Nieprawidłowy login lub hasło"));
    let res = login(&w, "nobody", "not the password", "", "192.0.2.1").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "an unknown login gets the same answer");
    for _ in 1..app::accounts::ACCOUNT_FAILURES {
        login(&w, "jan", "not the password", "", "192.0.2.2").await;
    }
    let res = login(&w, "jan", PASSWORD, "", "192.0.2.3").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers.get(header::RETRY_AFTER).unwrap().to_str().unwrap().parse().unwrap();
    assert!(wait > 0 && wait <= 900, "{wait}");
    assert!(res.cookie("miernik_sesja").is_none());
    // Another account is not locked.
    assert_eq!(login(&w, "szef", PASSWORD, "", "192.0.2.3").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_users_page_is_for_administrators_only() {
    let w = world().await;
    let anon = send(&w, "GET", "/admin/uzytkownicy?lang=en", "", &[], "127.0.0.1").await;
    assert_eq!((anon.status, anon.location()), (StatusCode::SEE_OTHER, "/logowanie?next=%2Fadmin%2Fuzytkownicy&lang=en"));
    let (jan, jan_csrf) = signed_in(&w, "jan").await;
    let pl = send(&w, "GET", "/admin/uzytkownicy", &jan, &[], "127.0.0.1").await;
    assert_eq!(pl.status, StatusCode::FORBIDDEN);
    assert!(pl.body.contains("Brak uprawnień") && pl.body.contains("lang=\"pl\""));
    let en = send(&w, "GET", "/admin/uzytkownicy?lang=en", &jan, &[], "127.0.0.1").await;
    assert_eq!(en.status, StatusCode::FORBIDDEN);
    assert!(en.body.contains("Not allowed") && en.body.contains("lang=\"en\"") && !en.body.contains("Brak uprawnień"));
    let post =
        send(&w, "POST", "/admin/uzytkownicy", &jan, &[("csrf", &jan_csrf), ("akcja", "nadaj"), ("login", "jan"), ("rola", "admin")], "127.0.0.1")
            .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN, "no admin by one's own form");
    let jan_grants = app::accounts::list_users(&w.store).await.unwrap().into_iter().find(|u| u.login == "jan").unwrap().grants;
    assert!(jan_grants.iter().all(|g| g.role != app::accounts::Role::Admin));
}

#[tokio::test]
async fn an_administrator_adds_a_user_grants_a_role_and_the_invitation_sets_a_password() {
    let w = world().await;
    let (admin, csrf) = signed_in(&w, "szef").await;
    let page = send(&w, "GET", "/admin/uzytkownicy", &admin, &[], "127.0.0.1").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers.get(header::CACHE_CONTROL).unwrap(), "private, no-store");
    assert!(page.body.contains("jan Kowalski") && page.body.contains("Bolesławiec (0201011)"));
    let post = |form: Vec<(&'static str, String)>| {
        let (admin, csrf) = (admin.clone(), csrf.clone());
        let w = &w;
        async move {
            let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
            all.extend(form.iter().map(|(k, v)| (*k, v.as_str())));
            send(w, "POST", "/admin/uzytkownicy", &admin, &all, "127.0.0.1").await
        }
    };
    let res =
        post(vec![("akcja", "organizacja".into()), ("nazwa", "Gmina Gromadka".into()), ("rodzaj", "jst".into()), ("jednostki", "0201032".into())])
            .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res =
        post(vec![("akcja", "dodaj".into()), ("login", "Ewa".into()), ("nazwa", "Ewa Nowak".into()), ("organizacja", "Gmina Gromadka".into())]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("Dodano użytkownika ewa"), "{}", res.body);
    let res = post(vec![("akcja", "nadaj".into()), ("login", "ewa".into()), ("rola", "approver".into()), ("jednostki", "".into())]).await;
    assert_eq!(res.status, StatusCode::OK);
    let res = post(vec![("akcja", "nadaj".into()), ("login", "ewa".into()), ("rola", "verifier".into()), ("jednostki", "9999999".into())]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("9999999"));
    let ewa = app::accounts::list_users(&w.store).await.unwrap().into_iter().find(|u| u.login == "ewa").unwrap();
    assert_eq!(ewa.organisation.as_deref(), Some("Gmina Gromadka"));
    assert_eq!(
        ewa.grants.iter().map(|g| (g.role, g.unit_code.clone())).collect::<Vec<_>>(),
        [(app::accounts::Role::Approver, Some("0201032".to_owned()))]
    );

    let res = post(vec![("akcja", "zaproszenie".into()), ("login", "ewa".into()), ("dni", "3".into())]).await;
    assert_eq!(res.status, StatusCode::OK);
    let link = res.body.split("/zaproszenie/").nth(1).map(|s| s.chars().take_while(char::is_ascii_hexdigit).collect::<String>()).unwrap();
    assert_eq!(link.len(), 64);

    // The invitation page: its own form token, then the password (twice, by the rules).
    let inv = send(&w, "GET", &format!("/zaproszenie/{link}"), "", &[], "127.0.0.1").await;
    assert_eq!(inv.status, StatusCode::OK);
    assert!(inv.body.contains("ewa"));
    let tok = inv.cookie("miernik_csrf").unwrap();
    let c = format!("miernik_csrf={tok}");
    let short =
        send(&w, "POST", &format!("/zaproszenie/{link}"), &c, &[("csrf", &tok), ("haslo", "krótkie"), ("haslo2", "krótkie")], "127.0.0.1").await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.body.contains("co najmniej 12 znaków"));
    let ok = send(
        &w,
        "POST",
        &format!("/zaproszenie/{link}"),
        &c,
        &[("csrf", &tok), ("haslo", "hasło ewy na długo"), ("haslo2", "hasło ewy na długo")],
        "127.0.0.1",
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let used = send(&w, "GET", &format!("/zaproszenie/{link}?lang=en"), "", &[], "127.0.0.1").await;
    assert_eq!(used.status, StatusCode::GONE);
    assert!(used.body.contains("used already"));
    assert_eq!(login(&w, "ewa", "hasło ewy na długo", "", "127.0.0.1").await.status, StatusCode::SEE_OTHER);
}
