//! The data coverage page `/pokrycie`: a table per area with a row per indicator in force
//! (caption, header cells with scope, phone-stacking labels), in Polish and English, linked
//! from every page's footer; and the home page no longer promises planning.

use axum::http::{StatusCode, header};

use super::{demo, get, router, send};

#[tokio::test]
async fn the_coverage_page_lists_every_indicator_in_both_languages() {
    let d = demo().await;
    let c = d.live.get().expect("snapshot");
    let codes: Vec<String> = c.definitions.iter().map(|d| d.code.clone()).collect();
    let areas: std::collections::BTreeSet<&str> = c.definitions.iter().map(|d| d.area.as_str()).collect();
    let r = web::router_with(d.store, true, d.live.clone());

    let (status, html) = get(&r, "/pokrycie").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<html lang=\"pl\""));
    assert!(html.contains("<h1>Pokrycie danych</h1>"), "{html}");
    // One table per area, each with a caption; one row per indicator, headed by its name.
    assert_eq!(html.matches("<table class=\"stack\">").count(), areas.len());
    assert_eq!(html.matches("<caption>Pokrycie danych: ").count(), areas.len());
    assert_eq!(html.matches("<tr id=\"w-").count(), codes.len());
    for code in &codes {
        assert!(html.contains(&format!("<tr id=\"w-{code}\"><th scope=\"row\"><a href=\"/wskaznik/{code}\">")), "{code}");
    }
    assert_eq!(html.matches("scope=\"col\"").count(), 5 * areas.len());
    assert!(html.contains("data-label=\"Brakujące dane wejściowe\""));
    // The demo's indicators all have values: the summary says how many of how many.
    let with = (0..c.snapshot.indicator_count()).filter(|&i| c.snapshot.latest_year_of(i, None).is_some()).count();
    assert!(html.contains(&format!("<b>{with} / {}</b>", codes.len())), "{with} of {}", codes.len());

    let (status, en) = get(&r, "/pokrycie?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(en.contains("<html lang=\"en\"") && en.contains("<h1>Data coverage</h1>"), "{en}");
    assert!(en.contains("<caption>Data coverage: "));
    assert!(en.contains(&format!("href=\"/wskaznik/{}?lang=en\"", codes[0])));

    // The footer of every page links to it; the home page promises no planning.
    let (_, home) = get(&r, "/").await;
    assert!(home.contains("href=\"/pokrycie\""));
    assert!(!home.contains("Planuj i sprawdzaj"), "plans do not exist yet");
    let (_, home_en) = get(&r, "/?lang=en").await;
    assert!(home_en.contains("href=\"/pokrycie?lang=en\"") && !home_en.contains("Plan and check"));
}

#[tokio::test]
async fn the_coverage_page_is_kept_for_its_snapshot() {
    let r = router().await;
    let (status, headers, _) = send(&r, "/pokrycie", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let etag = headers.get(header::ETAG).expect("an ETag").to_str().unwrap().to_owned();
    let (status, _, body) = send(&r, "/pokrycie", &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!((status, body.len()), (StatusCode::NOT_MODIFIED, 0));
}
