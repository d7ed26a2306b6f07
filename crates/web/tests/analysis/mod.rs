//! The table builder `/analiza` on the demo data.

use std::collections::HashMap;

use axum::http::{StatusCode, header};
use serde_json::Value;

use super::{a_gmina, get, router, send};

/// One body row of the rendered table: the codes in its row headers and its cells' text.
#[derive(Debug)]
struct Row {
    codes: Vec<String>,
    headers: Vec<String>,
    cells: Vec<String>,
}

/// The rendered table: column headers (text and codes) and rows.
#[derive(Debug)]
struct Table {
    columns: Vec<(String, Option<String>)>,
    rows: Vec<Row>,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
    Some(tag[at..].split('"').next()?.to_owned())
}

/// The text of an HTML piece: tags dropped, a `<br>` a line break, entities of the demo decoded.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let gt = rest[lt..].find('>').map(|g| lt + g + 1).unwrap_or(rest.len());
        if rest[lt..gt].starts_with("<br") {
            out.push('\n');
        }
        rest = &rest[gt..];
    }
    out.push_str(rest);
    out.replace("&amp;", "&").replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">")
}

/// Every `data-code` in a piece of HTML.
fn codes_in(html: &str) -> Vec<String> {
    html.match_indices("data-code=\"").map(|(at, m)| html[at + m.len()..].split('"').next().unwrap_or("").to_owned()).collect()
}

/// The pieces between `open` tags up to their `close`.
fn pieces<'a>(html: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    html.split(open).skip(1).map(|p| p.split(close).next().unwrap_or(p)).collect()
}

fn table(html: &str) -> Table {
    let start = html.find("<table id=\"tabela\"").expect("a result table");
    let t = &html[start..start + html[start..].find("</table>").expect("table ends")];
    let head = &t[t.find("<thead>").expect("thead") + 7..t.find("</thead>").expect("thead ends")];
    let columns = pieces(head, "<th", "</th>")
        .into_iter()
        .map(|th| {
            let inner = &th[th.find('>').map(|g| g + 1).unwrap_or(0)..];
            (text_of(inner), codes_in(inner).into_iter().next())
        })
        .collect();
    let body = &t[t.find("<tbody>").expect("tbody")..];
    // A row group's header (rowspan) belongs to every row of its group.
    let mut group: Option<(Vec<String>, Vec<String>)> = None;
    let rows = pieces(body, "<tr>", "</tr>")
        .into_iter()
        .map(|tr| {
            let mut codes = Vec::new();
            let mut headers = Vec::new();
            for th in pieces(tr, "<th ", "</th>") {
                let inner = &th[th.find('>').map(|g| g + 1).unwrap_or(0)..];
                if th.starts_with("scope=\"rowgroup\"") {
                    group = Some((codes_in(inner), vec![text_of(inner)]));
                } else {
                    codes.extend(codes_in(inner));
                    headers.push(text_of(inner));
                }
            }
            if let Some((gc, gh)) = &group {
                codes.splice(0..0, gc.iter().cloned());
                headers.splice(0..0, gh.iter().cloned());
            }
            Row { codes, headers, cells: pieces(tr, "<td class=\"num\">", "</td>").into_iter().map(text_of).collect() }
        })
        .collect();
    Table { columns, rows }
}

/// A rendered number back to a number and the decimals it shows; none for words.
fn number(cell: &str) -> Option<(f64, i32)> {
    let first = cell.lines().next().unwrap_or("").trim();
    let plain: String = first.chars().filter(|c| *c != '\u{a0}' && *c != ' ').map(|c| if c == '\u{2212}' { '-' } else { c }).collect();
    let (plain, decimals) = match plain.split_once(',') {
        Some((a, b)) => (format!("{a}.{b}"), b.len() as i32),
        None => (plain.replace(',', ""), 0),
    };
    plain.parse::<f64>().ok().map(|v| (v, decimals))
}

fn number_en(cell: &str) -> Option<(f64, i32)> {
    let first = cell.lines().next().unwrap_or("").trim().replace(',', "").replace('\u{2212}', "-");
    let decimals = first.split_once('.').map_or(0, |(_, b)| b.len() as i32);
    first.parse::<f64>().ok().map(|v| (v, decimals))
}

/// The href of the link whose text is `text` (attribute entities decoded).
fn link(html: &str, text: &str) -> String {
    let end = html.find(&format!(">{text}</a>")).unwrap_or_else(|| panic!("a link „{text}”"));
    let start = html[..end].rfind("<a ").expect("link start");
    attr(&html[start..end], "href").expect("href").replace("&amp;", "&")
}

/// (indicator, unit, year) → value of the API's JSON for a query.
async fn api_cells(r: &axum::Router, uri: &str) -> HashMap<(String, String, i64), Option<f64>> {
    let (status, _, body) = send(r, uri, &[]).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).expect("JSON");
    assert!(v["next"].is_null(), "{uri}: one page holds the query");
    v["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|c| {
            ((c["indicator"].as_str().unwrap().to_owned(), c["unit"].as_str().unwrap().to_owned(), c["year"].as_i64().unwrap()), c["value"].as_f64())
        })
        .collect()
}

/// Every cell of `t` against the API: the same number (to the decimals shown) or words
/// where the API has no value. `key` gives a cell's (indicator, unit, year) from its row
/// and column.
fn same_cells(t: &Table, api: &HashMap<(String, String, i64), Option<f64>>, key: &dyn Fn(&Row, usize) -> (String, String, i64), en: bool) -> usize {
    let mut n = 0;
    for row in &t.rows {
        for (k, cell) in row.cells.iter().enumerate() {
            let key = key(row, k);
            let want = api.get(&key).unwrap_or_else(|| panic!("{key:?} is in the API's answer"));
            let got = if en { number_en(cell) } else { number(cell) };
            match (want, got) {
                (Some(v), Some((g, d))) => assert!((v - g).abs() <= 0.5 * 10f64.powi(-d) + 1e-9, "{key:?}: page {cell:?}, API {v}"),
                (None, None) => assert!(!cell.trim().is_empty(), "{key:?}: a missing value says why"),
                _ => panic!("{key:?}: page {cell:?}, API {want:?}"),
            }
            n += 1;
        }
    }
    n
}

/// A powiat of the demo (one with gminy inside).
async fn a_powiat(r: &axum::Router) -> String {
    a_gmina(r).await[..4].to_owned()
}

#[tokio::test]
async fn the_table_holds_the_values_the_api_gives_for_the_same_query() {
    let r = router().await;
    let powiat = a_powiat(&r).await;
    let (status, html) = get(&r, &format!("/analiza?wskazniki=area:edukacja&jst=in:{powiat}&lata=2019-2024")).await;
    assert_eq!(status, StatusCode::OK);
    let t = table(&html);
    assert_eq!(t.columns.len(), 2 + 6, "indicator, unit, then 2019–2024: {:?}", t.columns);
    assert_eq!(t.columns[2].0, "2019");
    // The shipped catalogue's education indicators, counted from the file itself.
    let catalogue = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalogue/indicators.toml")).expect("catalogue");
    let education = catalogue.matches("\narea = \"edukacja\"").count();
    assert!(education > 6, "{education}");
    assert!(t.rows.len() > education, "{education} education indicators × the powiat's gminy: {}", t.rows.len());
    // The JSON download of the page is the same query.
    let json = link(&html, "JSON");
    assert!(json.starts_with("/api/v1/data?indicators=area:edukacja&units=in:"), "{json}");
    let api = api_cells(&r, &json).await;
    let years: Vec<i64> = t.columns[2..].iter().map(|(y, _)| y.parse().unwrap()).collect();
    let n = same_cells(&t, &api, &|row, k| (row.codes[0].clone(), row.codes[1].clone(), years[k]), false);
    assert_eq!(n, api.len(), "every cell of the query is on the page");
    assert!(html.contains("<caption>"), "a caption");
    assert!(html.contains("<th scope=\"col\">Wskaźnik</th>") && html.contains("<th class=\"num\" scope=\"col\">2019</th>"));
    assert!(html.contains("<svg") && html.contains("Wykres pokazuje "), "lines of the rows, said in words");
    assert!(
        html.contains("id=\"analiza-wykres-0\"") && html.contains("id=\"analiza-wykres-5\"") && !html.contains("id=\"analiza-wykres-6\""),
        "a chart per indicator, up to six"
    );
    assert!(html.contains(&format!("Wykresy pokazują pierwsze 6 z {education} wskaźników")), "and the page says the table has the rest");
}

#[tokio::test]
async fn the_columns_switch_puts_units_or_indicators_across() {
    let r = router().await;
    let powiat = a_powiat(&r).await;
    let base = format!("wskazniki=EDU_01,EDU_02&jst=in:{powiat}&lata=2022-2024");
    let (_, html) = get(&r, &format!("/analiza?{base}&kolumny=unit")).await;
    let t = table(&html);
    let units: Vec<String> = t.columns[2..].iter().map(|(_, c)| c.clone().expect("a unit's code in its column header")).collect();
    assert!(units.len() > 1 && units.iter().all(|u| u.len() == 7 && u.starts_with(&powiat)), "{units:?}");
    assert_eq!(t.rows.len(), 2 * 3, "indicator × year rows");
    assert_eq!(t.rows[1].headers[1], "2023", "years inside an indicator");
    let api = api_cells(&r, &link(&html, "JSON")).await;
    let n = same_cells(&t, &api, &|row, k| (row.codes[0].clone(), units[k].clone(), row.headers[1].parse().unwrap()), false);
    assert_eq!(n, api.len());
    assert!(link(&html, "CSV").contains("&format=csv&columns=unit"), "the download's pivot is the page's");
    assert!(html.contains("<option value=\"unit\" selected>"));
    assert!(html.contains("Słupki pokazują pierwszą kolumnę"), "bars of the first column, said in words");

    let (_, html) = get(&r, &format!("/analiza?{base}&kolumny=indicator")).await;
    let t = table(&html);
    let inds: Vec<String> = t.columns[2..].iter().map(|(_, c)| c.clone().unwrap()).collect();
    assert_eq!(inds, ["EDU_01", "EDU_02"]);
    assert!(t.columns[2].0.contains('\n'), "the measure unit under the indicator's name: {:?}", t.columns[2]);
    let api = api_cells(&r, &link(&html, "JSON")).await;
    same_cells(&t, &api, &|row, k| (inds[k].clone(), row.codes[0].clone(), row.headers[1].parse().unwrap()), false);

    let (status, _) = get(&r, &format!("/analiza?{base}&kolumny=wiersze")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown layout is a bad address");
}

#[tokio::test]
async fn the_state_round_trips_through_the_form_the_downloads_and_the_share_link() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let uri = format!("/analiza?wskazniki=EDU_01,area:finanse&jst={gmina},wojewodztwa&lata=2018-2020&kolumny=indicator");
    let (status, html) = get(&r, &uri).await;
    assert_eq!(status, StatusCode::OK);
    // The form carries the query.
    assert!(html.contains("name=\"wskaznik\" value=\"EDU_01\" checked"), "the indicator is ticked");
    assert!(html.contains("name=\"wskaznik\" value=\"area:finanse\" checked"), "the area is ticked");
    assert!(html.contains(&format!("name=\"jst\" type=\"text\" size=\"60\" value=\"{gmina},wojewodztwa\"")), "units in their field");
    assert!(html.contains("value=\"2018-2020\""), "years in their field");
    assert!(html.contains("<option value=\"indicator\" selected>"));
    // The downloads carry it.
    let api = format!("indicators=EDU_01%2Carea:finanse&units={gmina}%2Cwojewodztwa&years=2018-2020");
    for (name, format) in [("CSV", "csv&columns=indicator"), ("XLSX", "xlsx&columns=indicator"), ("JSON-stat 2.0", "jsonstat")] {
        assert_eq!(link(&html, name), format!("/api/v1/data?{api}&format={format}"), "{name}");
    }
    assert_eq!(link(&html, "CSV dla Excela"), format!("/api/v1/data?{api}&format=csv-pl&columns=indicator"));
    let (status, headers, body) = send(&r, &link(&html, "CSV"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    assert!(String::from_utf8_lossy(&body).contains("EDU_01"));
    // The share link is the short canonical address, and it shows the same table.
    let share = link(&html, "Link do tej analizy");
    assert_eq!(share, format!("/analiza?wskazniki=EDU_01%2Carea:finanse&jst={gmina}%2Cwojewodztwa&lata=2018-2020&kolumny=indicator"));
    let (_, again) = get(&r, &share).await;
    assert_eq!(table(&again).rows.len(), table(&html).rows.len());
    // What the form sends (ticked boxes repeated, empty fields) is the same analysis.
    let sent = format!(
        "/analiza?szukaj=&wskaznik=EDU_01&wskaznik=area%3Afinanse&wskazniki=&jst={gmina}%2Cwojewodztwa&szukaj_jst=&grupa=&wzgledem=&lata=2018-2020&kolumny=indicator"
    );
    let (status, form) = get(&r, &sent).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(link(&form, "Link do tej analizy"), share);
    assert_eq!(table(&form).rows.len(), table(&html).rows.len());
    // Indicators covered by a chosen area are shown ticked (and not sent twice).
    assert!(form.contains("checked disabled"), "an area's indicators are ticked through it");
}

#[tokio::test]
async fn the_nearest_neighbours_of_a_unit_are_added() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let (status, html) = get(&r, &format!("/analiza?wskazniki=EDU_01&jst={gmina}&grupa=najblizsi&lata=last")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<option value=\"najblizsi\" selected>"), "the group stays chosen");
    let (_, _, body) = send(&r, &format!("/api/v1/units/{gmina}/peers?group=nearest"), &[]).await;
    let peers: Value = serde_json::from_slice(&body).unwrap();
    let members: Vec<String> = peers["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()).collect();
    assert!(members.len() > 2, "{peers}");
    let t = table(&html);
    let rows: Vec<String> = t.rows.iter().map(|r| r.codes[0].clone()).collect();
    assert_eq!(rows[0], gmina, "the unit first");
    for m in &members {
        assert!(rows.contains(m), "{m} of the nearest neighbours is a row: {rows:?}");
    }
    assert_eq!(rows.len(), members.len());
    let json = link(&html, "JSON");
    assert!(json.contains(&format!("&group=nearest&unit={gmina}&")), "{json}");
    assert_eq!(api_cells(&r, &json).await.len(), members.len());
    assert!(link(&html, "Link do tej analizy").contains(&format!("&grupa=najblizsi&wzgledem={gmina}")));
    // Without a unit there is nothing to be near to.
    let (status, html) = get(&r, "/analiza?wskazniki=EDU_01&grupa=najblizsi").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("role=\"alert\"") && html.contains("Grupa potrzebuje jednostki"));
}

#[tokio::test]
async fn the_readers_own_groups_from_the_cookie_are_offered() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let other = "02";
    // As groups.rs writes it: percent-encoded "name\tcode,code".
    let cookie = format!("miernik_grupy=Moje%20por%C3%B3wnanie%09{gmina}%2C{other}");
    let uri = format!("/analiza?wskazniki=EDU_01&jst={gmina}&lata=last");
    let (status, _, body) = send(&r, &uri, &[(header::COOKIE, &cookie)]).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains(&format!("<option value=\"lista:{gmina},{other}\">moja grupa „Moje porównanie”</option>")), "the group is an option");
    let (_, _, body) = send(&r, &format!("{uri}&grupa=lista:{gmina},{other}"), &[(header::COOKIE, &cookie)]).await;
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains(&format!("<option value=\"lista:{gmina},{other}\" selected>")));
    let rows: Vec<String> = table(&html).rows.iter().map(|r| r.codes[0].clone()).collect();
    assert_eq!(rows, [gmina.clone(), other.to_owned()]);
    // Without the cookie the address still works (the group is named by its members).
    let (_, html) = get(&r, &format!("{uri}&grupa=lista:{gmina},{other}")).await;
    assert_eq!(table(&html).rows.len(), 2);
    assert!(html.contains(&format!("<option value=\"lista:{gmina},{other}\" selected>lista (2 jednostki)")));
}

#[tokio::test]
async fn bad_parameters_are_named_and_the_form_is_kept_never_a_500() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let cases = [
        (format!("/analiza?wskazniki=NIE_MA,EDU_01&jst={gmina}"), "Wskaźniki", "„NIE_MA”"),
        (format!("/analiza?wskazniki=area:nie_ma&jst={gmina}"), "Wskaźniki", "„area:nie_ma”"),
        ("/analiza?wskazniki=EDU_01&jst=0299999".to_owned(), "Jednostki", "„0299999”: nie ma jednostki z danymi"),
        ("/analiza?wskazniki=EDU_01&jst=abc".to_owned(), "Jednostki", "„abc”: to nie kod TERYT"),
        ("/analiza?wskazniki=EDU_01&jst=in:0".to_owned(), "Jednostki", "„in:0”"),
        (format!("/analiza?wskazniki=EDU_01&jst={gmina}&lata=1900"), "Lata", "„1900”"),
        (format!("/analiza?wskazniki=EDU_01&jst={gmina}&lata=2020-2015"), "Lata", "„2020-2015”"),
        (format!("/analiza?wskazniki=EDU_01&jst={gmina}&grupa=najblizsi&wzgledem=xyz"), "Względem jednostki", "„xyz”"),
    ];
    for (uri, field, needle) in &cases {
        let (status, html) = get(&r, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        let alert = &html[html.find("role=\"alert\"").unwrap_or_else(|| panic!("{uri}: an alert"))..];
        let alert = &alert[..alert.find("</div>").unwrap()];
        assert!(alert.contains(&format!("<strong>{field}</strong>")), "{uri}: names the field: {alert}");
        assert!(alert.contains(needle), "{uri}: says what is wrong ({needle}): {alert}");
        assert!(html.contains("<form method=\"get\" action=\"/analiza\""), "{uri}: the form is kept");
        assert!(!html.contains("id=\"tabela\""), "{uri}: no table from a bad query");
    }
    // The bad token stays where it was typed, to be corrected.
    let (_, html) = get(&r, &cases[0].0).await;
    assert!(html.contains("name=\"wskazniki\" type=\"text\" size=\"40\" value=\"NIE_MA\""), "{html}");
    assert!(html.contains("name=\"wskaznik\" value=\"EDU_01\" checked"));
    // Malformed addresses are a 400 page naming the parameter; nothing is a 500.
    for (uri, named) in [("/analiza?kolumny=x", "kolumny=x"), ("/analiza?grupa=zla", "grupa=zla"), ("/analiza?jst=a&jst=b", "")] {
        let (status, html) = get(&r, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(html.contains(named), "{uri}");
    }
    for uri in [
        "/analiza?wskaznik=%FF%FE&jst=%00",
        "/analiza?wskazniki=,,,&jst=,&lata=,",
        "/analiza?wskaznik&wskaznik=&wskaznik=%",
        "/analiza?szukaj=%C5%81&szukaj_jst=a",
        "/analiza?szukaj_jst=%E2%82",
        "/analiza?wskazniki=all&jst=in:PL",
        "/analiza?wskazniki=EDU_01&grupa=lista:02",
        "/analiza?wskazniki=EDU_01&jst=02&grupa=sasiedzi",
        "/analiza?wskazniki=EDU_01&jst=02&grupa=custom:nie_ma",
        "/analiza?lata=last&kolumny=unit&wskazniki=EDU_01&jst=gminy",
    ] {
        let (status, _) = get(&r, uri).await;
        assert!(status == StatusCode::OK || status == StatusCode::BAD_REQUEST, "{uri}: {status}");
    }
}

#[tokio::test]
async fn english_works_throughout() {
    let r = router().await;
    let powiat = a_powiat(&r).await;
    let (status, html) = get(&r, &format!("/analiza?wskazniki=EDU_01&jst=in:{powiat}&lata=2023-2024&lang=en")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Analysis: indicator table") && html.contains("Download everything") && html.contains("Link to this analysis"));
    for pl in ["Pobierz", "Wskaźniki", "Jednostki", "Wynik:", "Pokaż tabelę"] {
        assert!(!html.contains(pl), "no Polish text „{pl}” in English");
    }
    assert!(html.contains("<input type=\"hidden\" name=\"lang\" value=\"en\">"), "the form keeps the language");
    let json = link(&html, "JSON");
    assert!(json.ends_with("&lang=en&format=json&limit=10000"), "{json}");
    assert!(link(&html, "Link to this analysis").ends_with("&lang=en"));
    let t = table(&html);
    let api = api_cells(&r, &json).await;
    let years: Vec<i64> = t.columns.iter().filter_map(|(y, _)| y.parse().ok()).collect();
    // One indicator: it goes to the caption and the rows are units.
    same_cells(&t, &api, &|row, k| ("EDU_01".to_owned(), row.codes[0].clone(), years[k]), true);
    let (_, html) = get(&r, "/analiza?wskazniki=NOPE&jst=02&lang=en").await;
    assert!(html.contains("There are no such indicators or areas"));
}

#[tokio::test]
async fn a_big_query_is_rendered_in_part_and_says_so() {
    let r = router().await;
    let (status, html) = get(&r, "/analiza?wskazniki=all&jst=gminy&lata=all").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Tabela jest za duża, by pokazać ją całą."), "the cap is said");
    assert!(html.contains("href=\"#pobierz\""), "and points to the downloads");
    let t = table(&html);
    let cells: usize = t.rows.iter().map(|r| r.cells.len()).sum();
    assert!(cells <= 5000 && t.rows.len() <= 500, "{cells} cells in {} rows", t.rows.len());
    assert_eq!(t.columns.len(), 2 + 15, "all the years are columns");
    // Far too many units as columns: the columns are capped too.
    let (status, html) = get(&r, "/analiza?wskazniki=EDU_01&jst=gminy&lata=last&kolumny=unit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(" i 200 z ") && html.contains(" kolumn "), "the column cap is said");
    assert_eq!(table(&html).columns.len(), 1 + 200, "one row header (the indicator; the one year is in the caption), 200 units");
}

#[tokio::test]
async fn the_empty_page_explains_and_its_examples_work_and_the_searches_add_to_the_query() {
    let r = router().await;
    let (status, html) = get(&r, "/analiza").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Jak zacząć") && html.contains("Przykłady:"));
    assert!(!html.contains("role=\"alert\""), "no errors before anything is asked");
    assert!(html.contains("<a href=\"/analiza\">Analiza</a>") && html.contains("<a href=\"/grupy\">Moje grupy</a>"), "in the site's menu");
    let examples = &html[html.find("Przykłady:").unwrap()..];
    let example = examples.split("<a href=\"/analiza?").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    let (status, ex) = get(&r, &format!("/analiza?{example}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!table(&ex).rows.is_empty(), "the example gives a table: {example}");
    // Every label names a control (for=) that exists.
    for f in html.match_indices("<label for=\"").map(|(at, m)| html[at + m.len()..].split('"').next().unwrap()) {
        assert!(html.contains(&format!("id=\"{f}\"")), "label for {f}");
    }
    // The unit search lists matches whose links add the code to jst.
    let gmina = a_gmina(&r).await;
    let (_, _, body) = send(&r, &format!("/api/v1/units/{gmina}"), &[]).await;
    let name = serde_json::from_slice::<Value>(&body).unwrap()["name"].as_str().unwrap().to_owned();
    let (_, html) = get(&r, &format!("/analiza?wskazniki=EDU_01&jst=02&szukaj_jst={}", name.to_lowercase().replace(' ', "+"))).await;
    let add = html
        .match_indices("href=\"/analiza?")
        .map(|(at, _)| html[at + 6..].split('"').next().unwrap().replace("&amp;", "&"))
        .find(|h| h.contains(&format!("jst=02%2C{gmina}")))
        .unwrap_or_else(|| panic!("a link adding {gmina} ({name})"));
    let (_, html) = get(&r, &add).await;
    let rows: Vec<String> = table(&html).rows.iter().map(|r| r.codes[0].clone()).collect();
    assert_eq!(rows, ["02".to_owned(), gmina.clone()]);
    assert!(html.contains("już dodana"), "the search stays, the added unit marked");
    // The indicator search filters the list server-side and keeps what is ticked.
    let (_, html) = get(&r, "/analiza?wskazniki=EDU_01&szukaj=FIN_0").await;
    assert!(html.contains("value=\"FIN_01\"") && html.contains("value=\"EDU_01\" checked"));
    assert!(!html.contains("value=\"DEM_01\""), "non-matching indicators are left out");
}
