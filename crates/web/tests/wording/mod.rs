//! What the pages say must match the numbers beside it: position words describe where the
//! value lies (by the group's quartiles, whatever the polarity), the judgement comes from
//! polarity alone and never for context indicators, measure units take the plural form of
//! the number before them, and pages made for one reader are never shared.

use axum::http::header;

use super::{a_gmina, demo, get, send};

/// Where a value lies among the group's values, worked out here from the quartiles the
/// page itself draws (independently of the code under test).
fn expected_band(v: f64, q1: f64, median: f64, q3: f64) -> &'static str {
    if v == median {
        "równo z medianą"
    } else if v > median {
        if v >= q3 { "ćwiartka najwyższych wartości" } else { "powyżej mediany" }
    } else if v <= q1 {
        "ćwiartka najniższych wartości"
    } else {
        "poniżej mediany"
    }
}

/// The judgement a band gets: only the extreme bands of judged indicators, by polarity.
fn expected_verdict(band: &str, polarity: model::Polarity, context: bool) -> Option<&'static str> {
    use model::Polarity::*;
    if context {
        return None;
    }
    match (band, polarity) {
        ("ćwiartka najwyższych wartości", HigherBetter) | ("ćwiartka najniższych wartości", LowerBetter) => Some("najlepsza ćwiartka grupy"),
        ("ćwiartka najwyższych wartości", LowerBetter) | ("ćwiartka najniższych wartości", HigherBetter) => Some("najsłabsza ćwiartka grupy"),
        _ => None,
    }
}

/// The part of `html` that is one table row naming `needle` (a link to an indicator or its
/// name), without the rest of the page.
fn row_of<'a>(html: &'a str, needle: &str) -> Option<&'a str> {
    html.split("<tr").skip(1).map(|seg| seg.split("</tr>").next().unwrap_or(seg)).find(|row| row.contains(needle))
}

/// Gminy of the demo spread over the country (every 7th of the snapshot's gminy), enough for
/// every polarity × band to occur.
fn some_gminy(c: &app::Computed, want: usize) -> Vec<String> {
    (0..c.codes.len())
        .filter(|&u| matches!(c.kinds[u], model::UnitKind::GminaMiejska | model::UnitKind::GminaWiejska | model::UnitKind::GminaMiejskoWiejska))
        .step_by(7)
        .take(want)
        .map(|u| c.codes[u].as_str().to_owned())
        .collect()
}

#[tokio::test]
async fn position_words_describe_the_value_and_only_the_judgement_follows_polarity_on_the_card_indicator_page_and_report() {
    let d = demo().await;
    let c = d.live.get().expect("snapshot");
    let s = &c.snapshot;
    let r = web::router_with(d.store.clone(), true, d.live.clone());
    let gminy = some_gminy(&c, 15);
    assert!(gminy.len() >= 10, "{gminy:?}");
    let mut seen = std::collections::BTreeSet::new();
    let (mut checked, mut in_report) = (0, 0);
    for (k, code) in gminy.iter().enumerate() {
        let u = c.unit_index(code).expect("unit");
        // The year with the most values, given explicitly: every row is of that year.
        let y = (0..s.years()).max_by_key(|&y| (0..s.indicator_count()).filter(|&i| s.value(i, u, y).is_some()).count()).expect("years");
        let year = s.first_year() + y as i32;
        let g = app::peer_group(&d.store, &c, u, y, "typology", &app::NearestSpec::default()).await.expect("typology group");
        let (_, card) = get(&r, &format!("/jst/{code}?rok={year}")).await;
        // The report once in three units (it is long), its PDF text once.
        let report = if k % 3 == 0 { Some(get(&r, &format!("/raport/{code}?rok={year}")).await.1) } else { None };
        for (i, st, pos) in g.compare_all(s, u, y, None) {
            let def = &c.definitions[i];
            let (Some(v), Some(q1), Some(median), Some(q3)) = (s.value(i, u, y), st.q1, st.median, st.q3) else { continue };
            if st.n < 2 || pos.rank.is_none() {
                continue;
            }
            let context = def.kind == "context";
            let polarity = model::Polarity::parse(&def.polarity).expect("polarity");
            let band = expected_band(v, q1, median, q3);
            let verdict = expected_verdict(band, polarity, context);
            let link = format!("/wskaznik/{}?", def.code);
            let row = row_of(&card, &link).unwrap_or_else(|| panic!("{code}: no card row for {}", def.code));
            for (surface, text) in [("card", row)] {
                assert!(text.contains(band), "{surface} {code} {} value {v} (Q1 {q1}, median {median}, Q3 {q3}): want «{band}» in {text}", def.code);
                for other in
                    ["ćwiartka najwyższych wartości", "ćwiartka najniższych wartości", "powyżej mediany", "poniżej mediany", "równo z medianą"]
                {
                    assert!(other == band || !text.contains(other), "{surface} {code} {}: «{other}» beside «{band}»", def.code);
                }
                for judgement in ["najlepsza ćwiartka grupy", "najsłabsza ćwiartka grupy"] {
                    assert_eq!(
                        text.contains(judgement),
                        verdict == Some(judgement),
                        "{surface} {code} {} ({polarity:?}, context {context}): «{judgement}» in {text}",
                        def.code
                    );
                }
                // The old words, which mixed values and judgements, are gone.
                assert!(!text.contains("najlepsza ćwiartka<") && !text.contains("najsłabsza ćwiartka<"), "{text}");
            }
            if let Some(report) = &report
                && let Some(rrow) = row_of(report, &format!(">{}<br", def.name_pl))
            {
                assert!(rrow.contains(band), "report {code} {}: want «{band}» in {rrow}", def.code);
                in_report += 1;
                for judgement in ["najlepsza ćwiartka grupy", "najsłabsza ćwiartka grupy"] {
                    assert_eq!(rrow.contains(judgement), verdict == Some(judgement), "report {code} {}: «{judgement}» in {rrow}", def.code);
                }
            }
            seen.insert((if context { "context".to_owned() } else { format!("{polarity:?}") }, band));
            checked += 1;
        }
        // The indicator page's "this unit in its group" says the same for one indicator.
        if let Some((i, st, _)) = g
            .compare_all(s, u, y, None)
            .into_iter()
            .find(|(i, st, _)| st.n >= 2 && s.value(*i, u, y).is_some() && c.definitions[*i].kind != "context")
        {
            let def = &c.definitions[i];
            let v = s.value(i, u, y).expect("value");
            let band = expected_band(v, st.q1.expect("q1"), st.median.expect("median"), st.q3.expect("q3"));
            let (_, page) = get(&r, &format!("/wskaznik/{}?jst={code}&rok={year}", def.code)).await;
            assert!(page.contains(band), "indicator page {} for {code}: want «{band}»", def.code);
        }
    }
    assert!(checked > 500 && in_report > 100, "only {checked} card rows and {in_report} report rows checked");
    // Every polarity met every band somewhere, so each combination was really tested.
    for who in ["HigherBetter", "LowerBetter", "context"] {
        for band in ["ćwiartka najwyższych wartości", "powyżej mediany", "poniżej mediany", "ćwiartka najniższych wartości"] {
            assert!(seen.contains(&(who.to_owned(), band)), "never saw {who} × {band}: {seen:?}");
        }
    }
}

#[tokio::test]
async fn the_pdf_report_writes_the_same_position_words_as_the_html() {
    if std::process::Command::new("pdftotext").arg("-v").output().is_err() {
        assert!(std::env::var_os("MIERNIK_REQUIRE_POPPLER").is_none(), "pdftotext is required (MIERNIK_REQUIRE_POPPLER is set)");
        eprintln!("skipped: pdftotext is not installed");
        return;
    }
    let r = super::router().await;
    let code = a_gmina(&r).await;
    let (_, _, pdf) = send(&r, &format!("/raport/{code}?format=pdf"), &[]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, &pdf).expect("pdf written");
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext runs");
    let text = String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    let (_, html) = get(&r, &format!("/raport/{code}")).await;
    // Every band phrase the HTML report uses is in the PDF as often, and the judgements too.
    let mut any = 0;
    for phrase in [
        "ćwiartka najwyższych wartości",
        "ćwiartka najniższych wartości",
        "powyżej mediany",
        "poniżej mediany",
        "najlepsza ćwiartka grupy",
        "najsłabsza ćwiartka grupy",
    ] {
        let in_html = html.matches(phrase).count();
        let in_pdf = text.matches(phrase).count();
        assert_eq!(in_pdf, in_html, "«{phrase}»: {in_html} in the HTML report, {in_pdf} in the PDF");
        any += in_pdf;
    }
    assert!(any > 20, "the PDF has hardly any position words: {any}");
    for old in ["najlepsza ćwiartka ", "najsłabsza ćwiartka "] {
        let stray = text.matches(old).count() - text.matches(&format!("{old}grupy")).count();
        assert_eq!(stray, 0, "«{old}» without «grupy» in the PDF");
    }
}

#[tokio::test]
async fn context_indicators_are_never_strengths_or_weaknesses_on_the_card_or_in_the_report() {
    let d = demo().await;
    let c = d.live.get().expect("snapshot");
    let context: std::collections::HashSet<&str> = c.definitions.iter().filter(|def| def.kind == "context").map(|def| def.code.as_str()).collect();
    assert!(context.len() >= 10, "the demo catalogue has context indicators");
    let r = web::router_with(d.store.clone(), true, d.live.clone());
    let mut findings = 0;
    for (k, code) in some_gminy(&c, 20).iter().enumerate() {
        let (_, card) = get(&r, &format!("/jst/{code}")).await;
        let start = card.find("aria-labelledby=\"diagnoza\"").expect("a diagnosis");
        let section = &card[start..start + card[start..].find("</section>").expect("its end")];
        let mut rest = section;
        while let Some(at) = rest.find("/wskaznik/") {
            let ind: String = rest[at + 10..].chars().take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '_').collect();
            assert!(!context.contains(ind.as_str()), "{code}: context indicator {ind} judged in the diagnosis");
            findings += 1;
            rest = &rest[at + 10..];
        }
        if k % 5 == 0 {
            let (_, report) = get(&r, &format!("/raport/{code}")).await;
            let names: Vec<&str> = c.definitions.iter().filter(|def| def.kind == "context").map(|def| def.name_pl.as_str()).collect();
            let strengths = report.find("Mocne strony").expect("strengths in the report");
            let end = report[strengths..].find("<h2").map_or(report.len(), |e| strengths + e);
            for n in names {
                assert!(
                    !report[strengths..end].contains(&format!(">{n}<")),
                    "{code}: context indicator «{n}» among the report's strengths or weaknesses"
                );
            }
        }
    }
    assert!(findings >= 100, "hardly any strengths or weaknesses to check: {findings}");
}

/// The Polish plural category of a number as written (CLDR: one, few, many; fractions other).
fn polish_form(shown: &str) -> usize {
    let plain: String = shown.chars().filter(|c| c.is_ascii_digit() || *c == ',').collect();
    if plain.contains(',') {
        return 3;
    }
    let n: u64 = plain.parse().unwrap_or(0);
    match (n, n % 10, n % 100) {
        (1, _, _) => 0,
        (_, 2..=4, p) if !(12..=14).contains(&p) => 1,
        _ => 2,
    }
}

#[tokio::test]
async fn measure_units_take_the_form_of_the_number_before_them() {
    let d = demo().await;
    let c = d.live.get().expect("snapshot");
    let r = web::router_with(d.store.clone(), true, d.live.clone());
    // EDU_06 "uczniowie na szkołę": whole numbers; its forms from the shipped catalogue.
    let forms = ["uczeń na szkołę", "uczniowie na szkołę", "uczniów na szkołę", "ucznia na szkołę"];
    let mut checked = 0;
    let mut seen = std::collections::BTreeSet::new();
    for code in some_gminy(&c, 80) {
        let (_, card) = get(&r, &format!("/jst/{code}")).await;
        let Some(row) = row_of(&card, "/wskaznik/EDU_06?") else { continue };
        // The value cell: the number, then the unit in a small span.
        let Some(at) = forms.iter().filter_map(|f| row.find(&format!("{f}<"))).min() else { continue };
        let before = &row[..at];
        let number_end = before.rfind("<span").expect("the unit's span");
        let number_start = before[..number_end].rfind('>').expect("the value cell") + 1;
        let shown = before[number_start..number_end].trim();
        let form = polish_form(shown);
        assert!(row[at..].starts_with(&format!("{}<", forms[form])), "{code}: «{shown}» needs «{}»: {row}", forms[form]);
        seen.insert(form);
        checked += 1;
        if checked >= 40 {
            break;
        }
    }
    assert!(checked >= 10 && seen.len() >= 2, "checked {checked} cards, forms {seen:?}");
    // Counts in the text: the group's size says "jednostki" or "jednostek" as Polish does.
    let code = a_gmina(&r).await;
    let (_, card) = get(&r, &format!("/jst/{code}")).await;
    let at = card.find("Grupa porównawcza").expect("the group line");
    let line = &card[at..at + card[at..].find("</p>").expect("its end")];
    let n: usize =
        line.rsplit('(').next().and_then(|t| t.split_whitespace().next()).and_then(|t| t.replace('\u{a0}', "").parse().ok()).expect("a size");
    let noun = ["jednostka", "jednostki", "jednostek"][polish_form(&n.to_string()).min(2)];
    assert!(line.contains(&format!("{n} {noun})")), "{line}");
}

#[tokio::test]
async fn pages_that_list_the_readers_own_groups_are_private_and_the_rest_vary_by_cookie() {
    let d = demo().await;
    let c = d.live.get().expect("snapshot");
    let r = web::router_with(d.store.clone(), true, d.live.clone());
    let two = some_gminy(&c, 2);
    let (code, other) = (two[0].clone(), two[1].clone());
    let cookie = format!("miernik_grupy=Moje%20por%C3%B3wnanie%09{code}%2C{other}");
    for path in [format!("/jst/{code}"), "/wskaznik/EDU_07".to_owned(), format!("/analiza?wskazniki=EDU_07&jst={code}")] {
        let (status, public, plain) = send(&r, &path, &[]).await;
        assert_eq!(status, 200, "{path}");
        let cc = public.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).unwrap_or("");
        let vary = public.get(header::VARY).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(cc.starts_with("public"), "{path}: {cc}");
        assert!(vary.contains("Cookie"), "{path}: a shared cache must key this page on the cookie: Vary {vary}");
        let (status, mine, personal) = send(&r, &path, &[(header::COOKIE, &cookie)]).await;
        assert_eq!(status, 200, "{path}");
        let cc = mine.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(cc.contains("private") && cc.contains("no-cache"), "{path}: a page with the reader's groups: {cc}");
        assert!(String::from_utf8_lossy(&personal).contains("Moje porównanie"), "{path}: the reader's group is offered");
        assert_ne!(public.get(header::ETAG), mine.get(header::ETAG), "{path}: the ETag covers the groups");
        assert_ne!(plain, personal);
        // A second reader without the cookie still gets the shared page, not the first's.
        let (_, _, again) = send(&r, &path, &[]).await;
        assert!(!String::from_utf8_lossy(&again).contains("Moje porównanie"), "{path}: one reader's group served to another");
    }
    // Pages that never list groups are the same for everyone.
    let (_, h, _) = send(&r, "/obszar", &[]).await;
    assert_eq!(h.get(header::VARY).and_then(|v| v.to_str().ok()), Some("Accept-Encoding"));
}

#[tokio::test]
async fn the_api_gives_the_band_and_the_verdict_apart() {
    let d = demo().await;
    let c = d.live.get().expect("snapshot");
    let r = web::router_with(d.store.clone(), true, d.live.clone());
    let gmina = a_gmina(&r).await;
    let mut seen = std::collections::BTreeSet::new();
    for def in c.definitions.iter().filter(|def| def.applies_to.iter().any(|k| k.starts_with("gmina"))) {
        let (status, body) = get(&r, &format!("/api/v1/compare?unit={gmina}&indicator={}", def.code)).await;
        if status != 200 {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        let (Some(value), Some(q1), Some(median), Some(q3)) =
            (v["value"].as_f64(), v["stats"]["q1"].as_f64(), v["stats"]["median"].as_f64(), v["stats"]["q3"].as_f64())
        else {
            continue;
        };
        if v["stats"]["n"].as_u64() < Some(2) {
            continue;
        }
        let band = match expected_band(value, q1, median, q3) {
            "ćwiartka najwyższych wartości" => "highest",
            "powyżej mediany" => "above_median",
            "równo z medianą" => "at_median",
            "poniżej mediany" => "below_median",
            _ => "lowest",
        };
        assert_eq!(v["position"]["band"], band, "{}: {v}", def.code);
        let polarity = model::Polarity::parse(&def.polarity).expect("polarity");
        let words = ["ćwiartka najwyższych wartości", "ćwiartka najniższych wartości"][usize::from(band == "lowest")];
        let verdict = if matches!(band, "highest" | "lowest") { expected_verdict(words, polarity, def.kind == "context") } else { None };
        let want = match verdict {
            Some("najlepsza ćwiartka grupy") => serde_json::json!("better"),
            Some(_) => serde_json::json!("worse"),
            None => serde_json::Value::Null,
        };
        assert_eq!(v["position"]["verdict"], want, "{}: {v}", def.code);
        seen.insert(band);
    }
    assert!(seen.len() >= 3, "{seen:?}");
}
