//! The data coverage page (`/pokrycie`, English with `?lang=en`): per area, each indicator's
//! units with a value in its newest year against the units it applies to, and the input
//! variables it lacks, with their source and the command that imports them. Counted from the
//! snapshot (off the async workers, in [`app::coverage`]) and the catalogue in the store;
//! the rendered page is kept in the page cache for the snapshot's version.

use app::{Coverage, Gap, IndicatorCoverage};
use maud::{Markup, html};

use crate::PageError;
use crate::i18n::L;
use crate::portal::Portal;

/// The page's address, for links to it (an indicator's row: `#w-CODE`).
pub const PATH: &str = "/pokrycie";

/// The anchor of an indicator's row.
pub fn anchor(code: &str) -> String {
    format!("w-{code}")
}

pub async fn render(store: &app::Store, portal: Option<&Portal>, l: L) -> Result<(String, Markup), PageError> {
    let title = l.t("Pokrycie danych", "Data coverage").to_owned();
    let cov = match app::coverage(store, portal.map(|p| p.c.clone())).await {
        Ok(c) => c,
        Err(e @ (app::AppError::NotFound(_) | app::AppError::NoCatalogue)) => {
            let body = html! {
                h1 { (title) }
                p.box role="status" { (l.describe(&app::AppError::NoCatalogue)) }
            };
            tracing::debug!("coverage: {e}");
            return Ok((title, body));
        }
        Err(e) => return Err(PageError::from(e)),
    };
    Ok((title.clone(), page(l, portal.is_some(), &title, &cov)))
}

fn page(l: L, linked: bool, title: &str, cov: &Coverage) -> Markup {
    // Areas in catalogue order.
    let mut areas: Vec<&str> = Vec::new();
    for i in &cov.indicators {
        if !areas.contains(&i.area.as_str()) {
            areas.push(&i.area);
        }
    }
    let with = cov.with_values();
    let total = cov.indicators.len();
    let lacking = cov.indicators.iter().filter(|i| i.missing().next().is_some()).count();
    html! {
        h1 { (title) }
        p { (l.t("Dla każdego wskaźnika: ile jednostek, których dotyczy, ma wartość w najnowszym roku z danymi, oraz których danych wejściowych brakuje — ze źródłem i poleceniem, które je importuje.",
                 "For every indicator: how many of the units it applies to have a value in its newest year with data, and which input data are missing, with their source and the command that imports them.")) }
        ul.facts {
            li { b { (with) " / " (total) } (l.t("wskaźników ma wartości", "indicators have values")) }
            li { b { (lacking) } (l.t("wskaźników ma braki danych wejściowych", "indicators lack input data")) }
            li {
                b { @match (cov.years.first(), cov.years.last()) { (Some(a), Some(b)) if a != b => { (a) "–" (b) } (Some(a), _) => { (a) } _ => { "—" } } }
                (l.t("lata w danych", "years in the data"))
            }
        }
        @if cov.years.is_empty() {
            p.box role="status" { (l.t("Nie policzono żadnego wskaźnika: w bazie nie ma obserwacji zmiennych katalogu dla bieżących jednostek. Zaimportuj dane poleceniami podanymi niżej.",
                                       "No indicator could be computed: the database holds no observation of the catalogue's variables for current units. Import the data with the commands given below.")) }
        }
        p.small.muted { (l.t("Brak danych wejściowych: zmienna nie ma żadnej obserwacji dla jednostek, których dotyczy wskaźnik, albo nie ma jej w roku, w którym wskaźnik nie ma wartości, choć inne wejście ma. Liczone są bieżące jednostki. Plik w układzie długim ma kolumny unit,variable,year,value.",
                             "Missing input: the variable has no observation for the units the indicator applies to, or none in a year in which the indicator has no value while another input has some. Current units are counted. A file in the long layout has the columns unit,variable,year,value.")) }
        @for area in &areas {
            @let rows: Vec<&IndicatorCoverage> = cov.indicators.iter().filter(|i| i.area == *area).collect();
            section aria-labelledby={ "obszar-" (area) } {
                h2 id={ "obszar-" (area) } { (l.area(area)) }
                // On a phone each row becomes a block, its cells labelled (`data-label`).
                table.stack {
                    caption { (l.t("Pokrycie danych: ", "Data coverage: ")) (l.area(area)) }
                    thead { tr {
                        th scope="col" { (l.t("Wskaźnik", "Indicator")) }
                        th scope="col" { (l.t("Dotyczy", "Applies to")) }
                        // Number headers may wrap: the missing inputs need the room.
                        th.num scope="col" style="white-space:normal" { (l.t("Ostatni rok z wartościami", "Latest year with values")) }
                        th.num scope="col" style="white-space:normal" { (l.t("Jednostki z wartością / wszystkie", "Units with a value / all")) }
                        th scope="col" style="width:40%" { (l.t("Brakujące dane wejściowe", "Missing input data")) }
                    } }
                    tbody {
                        @for i in rows { (row(l, linked, i)) }
                    }
                }
            }
        }
    }
}

fn row(l: L, linked: bool, i: &IndicatorCoverage) -> Markup {
    let kinds: Vec<&str> = i.applies_to.iter().map(|k| model::UnitKind::parse(k).map_or(k.as_str(), |k| l.kind(k))).collect();
    let name = l.t(&i.name_pl, &i.name_en);
    let missing: Vec<&app::InputCoverage> = i.missing().collect();
    html! {
        tr id=(anchor(&i.code)) {
            th scope="row" {
                @if linked { a href=(l.href(&format!("/wskaznik/{}", i.code))) { (name) } } @else { (name) }
                br; span.small.muted { (i.code) }
            }
            td data-label=(l.t("Dotyczy", "Applies to")) { (kinds.join(", ")) }
            td.num data-label=(l.t("Ostatni rok z wartościami", "Latest year with values")) {
                @match i.latest_year { Some(y) => { (y) } None => { (l.t("brak wartości", "no values")) } }
            }
            td.num data-label=(l.t("Jednostki z wartością / wszystkie", "Units with a value / all")) {
                (l.num(i.units_latest as f64, 0)) " / " (l.num(i.units as f64, 0))
            }
            td data-label=(l.t("Brakujące dane wejściowe", "Missing input data")) {
                @if missing.is_empty() {
                    @if i.values == 0 && !i.inputs.is_empty() {
                        (l.t("dane wejściowe są, ale nie dają wartości (inne jednostki lub lata, zerowy mianownik)", "the inputs are there but give no value (other units or years, a zero denominator)"))
                    } @else {
                        (l.t("nic nie brakuje", "nothing missing"))
                    }
                } @else {
                    ul.small {
                        @for v in missing {
                            li {
                                strong { (v.variable) } " (" (l.t(&v.name_pl, &v.name_en)) "): "
                                @match &v.gap {
                                    Gap::Years(ys) => { (l.t("brak za ", "none for ")) (app::coverage::year_runs(ys)) }
                                    _ => { (l.t("brak danych", "no data")) }
                                }
                                @for w in &v.imports {
                                    br;
                                    (l.t(&w.source_pl, &w.source_en)) ": "
                                    // The file in a command is a placeholder, in the page's language.
                                    code style="overflow-wrap:break-word" { (w.command.replace("PLIK.", l.t("PLIK.", "FILE."))) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
