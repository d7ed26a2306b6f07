//! The unit report (HTML and PDF) and the reader's own groups kept in the browser.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::{a_gmina, get, router, send};

#[tokio::test]
async fn the_report_is_printable_html_and_a_pdf_with_every_area_and_the_definitions() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let (status, card) = get(&r, &format!("/jst/{gmina}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(card.contains(&format!("href=\"/raport/{gmina}?rok=")), "the unit card has the report button");
    let download = format!("/api/v1/data?indicators=all&amp;units={gmina}&amp;years=all&amp;columns=year&amp;format=xlsx");
    assert!(card.contains(&download), "and downloads of its data");
    let (status, _, xlsx) = send(&r, &download.replace("&amp;", "&"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"), "an XLSX (zip) file");
    let (_, indicator) = get(&r, "/wskaznik/EDU_01").await;
    assert!(
        indicator.contains("/api/v1/data?indicators=EDU_01&amp;units=gminy&amp;years=all&amp;columns=year&amp;format=csv-pl"),
        "the ranking's data too"
    );
    let (status, html) = get(&r, &format!("/raport/{gmina}?grupa=typologia")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"pl\">") && html.contains("@media print"), "a print stylesheet");
    for words in ["Mocne strony", "Słabe strony", "Definicje i źródła", "Edukacja", "Dane syntetyczne"] {
        assert!(html.contains(words), "{words}");
    }
    assert!(html.matches("role=\"img\"").count() > 20, "charts with text alternatives");
    let (_, en) = get(&r, &format!("/raport/{gmina}?lang=en")).await;
    assert!(en.contains("Strengths") && en.contains("<html lang=\"en\">"));

    let (status, headers, pdf) = send(&r, &format!("/raport/{gmina}?format=pdf"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    assert!(pdf.starts_with(b"%PDF-") && pdf.ends_with(b"%%EOF\n") || pdf.ends_with(b"%%EOF"), "a whole PDF");
    assert!(pdf.len() > 20_000 && pdf.len() < 2_000_000, "{} bytes", pdf.len());
    // When poppler is here (CI installs it), the PDF renders and its text reads back.
    if std::process::Command::new("pdftotext").arg("-v").output().is_ok() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.pdf");
        std::fs::write(&file, &pdf).unwrap();
        let out = std::process::Command::new("pdftotext").arg(&file).arg("-").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Mocne strony") && text.contains("Słabe strony") && text.contains("Definicje i źródła"), "{text}");
        let png = std::process::Command::new("pdftoppm")
            .args(["-r", "40", "-png", "-f", "1", "-l", "1"])
            .arg(&file)
            .arg(dir.path().join("p"))
            .status()
            .unwrap();
        assert!(png.success());
    } else {
        assert!(std::env::var("MIERNIK_REQUIRE_POPPLER").is_err(), "poppler-utils are required here");
    }

    let (status, _) = get(&r, &format!("/raport/{gmina}?rok=1800")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get(&r, &format!("/raport/{gmina}?format=doc")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get(&r, "/raport/3299999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The report's PDF is tagged for screen readers (checked with poppler and qpdf when they are
/// here; CI installs them): its structure tree covers every page, the document's language is
/// the report's, and every figure (quartile bars, trend lines) has a text alternative.
#[tokio::test]
async fn the_report_pdf_is_tagged_in_its_language_with_alt_text_on_every_figure() {
    use serde_json::Value;
    use std::process::Command;
    let have = ["pdfinfo", "qpdf"].iter().all(|t| Command::new(t).arg("--version").output().is_ok());
    if !have {
        assert!(std::env::var("MIERNIK_REQUIRE_POPPLER").as_deref() != Ok("1"), "poppler-utils and qpdf are required here");
        eprintln!("pdfinfo or qpdf missing: skipping the tagged-PDF check");
        return;
    }
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let dir = tempfile::tempdir().unwrap();
    for (lang, query, title, alt_start) in
        [("pl", "", "Raport: ", "Pozycja w grupie: mediana "), ("en", "&lang=en", "Report: ", "Position in the group: median ")]
    {
        let (status, _, pdf) = send(&r, &format!("/raport/{gmina}?format=pdf{query}"), &[]).await;
        assert_eq!(status, StatusCode::OK);
        let file = dir.path().join(format!("r-{lang}.pdf"));
        std::fs::write(&file, &pdf).unwrap();
        let info = String::from_utf8(Command::new("pdfinfo").arg(&file).output().unwrap().stdout).unwrap();
        assert!(info.lines().any(|l| l.starts_with("Tagged:") && l.ends_with("yes")), "{info}");
        assert!(info.lines().any(|l| l.starts_with("Title:") && l.contains(title)), "{info}");

        let json: Value = serde_json::from_slice(&Command::new("qpdf").arg("--json=2").arg(&file).output().unwrap().stdout).unwrap();
        let objs = json["qpdf"][1].as_object().unwrap();
        let get = |v: &Value| -> Value {
            match v.as_str().and_then(|r| objs.get(&format!("obj:{r}"))) {
                Some(o) => o.get("value").or_else(|| o.get("stream").map(|s| &s["dict"])).cloned().unwrap(),
                None => v.clone(),
            }
        };
        let cat = get(&objs["trailer"]["value"]["/Root"]);
        assert_eq!(cat["/Lang"], format!("u:{lang}"));
        assert_eq!(cat["/MarkInfo"]["/Marked"], true);
        let root = get(&cat["/StructTreeRoot"]);

        // Depth first through the tree: the (page, MCID) pairs it reaches, and the figures' alt texts.
        let mut reached = std::collections::BTreeSet::new();
        let mut alts: Vec<Option<String>> = Vec::new();
        let mut stack: Vec<(Value, Option<String>)> = vec![(root["/K"].clone(), None)];
        while let Some((k, pg)) = stack.pop() {
            match k {
                Value::Array(a) => stack.extend(a.into_iter().rev().map(|x| (x, pg.clone()))),
                Value::Number(n) => {
                    reached.insert((pg.clone().expect("/Pg"), n.as_i64().unwrap()));
                }
                Value::Object(m) => {
                    reached.insert((m.get("/Pg").and_then(Value::as_str).map(str::to_owned).or(pg).expect("/Pg"), m["/MCID"].as_i64().unwrap()));
                }
                Value::String(_) => {
                    let e = get(&k);
                    assert_eq!(e["/Type"], "/StructElem");
                    if e["/S"] == "/Figure" {
                        alts.push(e.get("/Alt").and_then(Value::as_str).map(str::to_owned));
                    }
                    let pg = e.get("/Pg").and_then(Value::as_str).map(str::to_owned).or(pg);
                    stack.push((e.get("/K").cloned().unwrap_or(Value::Null), pg));
                }
                _ => {}
            }
        }
        let nums = get(&root["/ParentTree"])["/Nums"].as_array().cloned().unwrap();
        let pages = json["pages"].as_array().unwrap();
        assert!(pages.len() >= 2, "a report of several pages");
        for (p, page) in pages.iter().enumerate() {
            let page_ref = page["object"].as_str().unwrap();
            let key = get(&page["object"])["/StructParents"].as_i64().unwrap_or_else(|| panic!("page {p}: no /StructParents"));
            let owners = nums.chunks(2).find(|kv| kv[0].as_i64() == Some(key)).map(|kv| get(&kv[1])).expect("a parent-tree entry");
            let n = owners.as_array().unwrap().len() as i64;
            assert!(n > 0, "page {p} has tagged content");
            for mcid in 0..n {
                assert!(reached.contains(&(page_ref.to_owned(), mcid)), "{lang} page {p}: MCID {mcid} is not in the structure tree");
            }
        }
        assert!(alts.len() > 20, "{lang}: the bars and trend lines are figures ({})", alts.len());
        for alt in &alts {
            let a = alt.as_deref().and_then(|a| a.strip_prefix("u:")).unwrap_or_else(|| panic!("{lang}: a figure without /Alt: {alt:?}"));
            assert!(a.starts_with(alt_start) || a.starts_with("Trend "), "{lang}: {a}");
        }
        assert!(
            alts.iter().flatten().any(|a| a.contains(alt_start)) && alts.iter().flatten().any(|a| a.starts_with("u:Trend 20")),
            "{lang}: both kinds of figure"
        );
    }
}

async fn post(r: &axum::Router, cookies: &str, form: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let req = Request::post("/grupy")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookies)
        .body(Body::from(form.to_owned()))
        .unwrap();
    let res = r.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (status, headers, body)
}

fn set_cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

#[tokio::test]
async fn a_group_is_made_renamed_used_and_deleted_in_the_browser_with_csrf_checked() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let (status, headers, page) = send(&r, "/grupy", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = set_cookie(&headers, "miernik_csrf").expect("a CSRF cookie");
    assert!(headers.get_all(header::SET_COOKIE).iter().any(|v| v.to_str().unwrap().contains("HttpOnly") && v.to_str().unwrap().contains("SameSite")));
    let token = csrf.split('=').nth(1).unwrap().to_owned();
    assert!(String::from_utf8(page).unwrap().contains(&format!("value=\"{token}\"")), "the form carries the token");

    // Without the token (a cross-site form): refused, nothing set.
    let (status, headers, _) = post(&r, &csrf, &format!("akcja=zapisz&nazwa=X&jednostki={gmina},02")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(set_cookie(&headers, "miernik_grupy").is_none());

    // Bad units: the form again with the reason, on the field.
    let (status, _, body) = post(&r, &csrf, &format!("csrf={token}&akcja=zapisz&nazwa=Moja&jednostki={gmina},3299999")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("3299999") && body.contains("aria-invalid=\"true\""), "says which unit and marks the field");

    // Made: by code and by exact name (the województwo's name is unique).
    let (status, headers, _) =
        post(&r, &csrf, &format!("csrf={token}&akcja=zapisz&nazwa=Gminy+GWD+%C5%81%C3%B3d%C5%BA&jednostki={gmina}%2C+DOLNO%C5%9AL%C4%84SKIE")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let groups = set_cookie(&headers, "miernik_grupy").expect("the group cookie");
    let cookies = format!("{csrf}; {groups}");
    let (_, _, list) = send(&r, "/grupy", &[(header::COOKIE, &cookies)]).await;
    let list = String::from_utf8(list).unwrap();
    assert!(list.contains("Gminy GWD Łódź") && list.contains(&format!("/jst/{gmina}")), "listed with its members");

    // Offered on the unit card, and used: the card compares with it.
    let (_, _, card) = send(&r, &format!("/jst/{gmina}"), &[(header::COOKIE, &cookies)]).await;
    let card = String::from_utf8(card).unwrap();
    let param = format!("lista:{gmina},02");
    assert!(card.contains(&format!("value=\"{param}\"")) && card.contains("moja grupa: Gminy GWD Łódź"), "offered in the group switch");
    let (status, used) = get(&r, &format!("/jst/{gmina}?grupa={}", param.replace(':', "%3A").replace(',', "%2C"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(used.contains("wybrane jednostki (2)"), "and works from the address alone, in any browser");

    // Renamed, then deleted.
    let (status, headers, _) = post(&r, &cookies, &format!("csrf={token}&akcja=zapisz&nr=0&nazwa=Nowa&jednostki={gmina},02,04")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let renamed = set_cookie(&headers, "miernik_grupy").unwrap();
    let cookies = format!("{csrf}; {renamed}");
    let (_, _, list) = send(&r, "/grupy", &[(header::COOKIE, &cookies)]).await;
    let list = String::from_utf8(list).unwrap();
    assert!(list.contains("Nowa") && !list.contains("Gminy GWD"));
    let (status, headers, _) = post(&r, &cookies, &format!("csrf={token}&akcja=usun&nr=0")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers.get_all(header::SET_COOKIE).iter().any(|v| v.to_str().unwrap().contains("Max-Age=0")), "the cookie is cleared");
}
