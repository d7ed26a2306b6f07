//! The home page: find a unit by name or TERYT code (suggestions as you type, when
//! JavaScript runs), a map of Poland's województwa to click, the areas, the benchmarking
//! cycle in the four steps Miernik serves, and a link to the data coverage.

use app::UnitListing;
use maud::{Markup, PreEscaped, html};

use crate::i18n::L;
use crate::layout::heading_name;
use crate::portal::{Layer, Portal};

/// Where a unit is, in words that tell same-named units apart: its kind, then the units it
/// lies in from the nearest up ("gmina wiejska, powiat łukowski, woj. lubelskie").
pub fn place_words(l: L, kind: model::UnitKind, ancestors: &[app::Ancestor]) -> String {
    use model::UnitKind;
    let mut parts = vec![l.kind(kind).to_owned()];
    for a in ancestors.iter().rev() {
        parts.push(match a.kind {
            UnitKind::Wojewodztwo => l.t(&format!("woj. {}", a.name.to_lowercase()), &format!("{} voivodeship", a.name.to_lowercase())).to_owned(),
            UnitKind::Powiat => format!("{} {}", l.t("powiat", "county"), a.name),
            UnitKind::MiastoNaPrawachPowiatu => format!("{} {}", l.t("miasto na prawach powiatu", "city with powiat rights"), a.name),
            k => format!("{} {}", l.kind(k), a.name),
        });
    }
    parts.join(", ")
}

/// Two names and a code for the search box's example, taken from the data itself (the demo's
/// invented units or the real ones): a city and a gmina wiejska, and a name with a Polish
/// letter to show that "suprasl" finds "Supraśl".
fn examples(p: &Portal) -> (Vec<(String, String)>, Option<String>) {
    use model::UnitKind;
    let c = &p.c;
    let first = |k: UnitKind| (0..c.codes.len()).find(|&u| c.kinds[u] == k);
    let picked: Vec<usize> = [first(UnitKind::GminaMiejska), first(UnitKind::GminaWiejska)].into_iter().flatten().collect();
    let names = picked.iter().map(|&u| (c.names[u].clone(), c.codes[u].as_str().to_owned())).collect();
    let accented =
        (0..c.codes.len()).find(|&u| c.kinds[u].is_gmina() && model::fold(&c.names[u]) != c.names[u].to_lowercase()).map(|u| c.names[u].clone());
    (names, accented)
}

pub fn render(l: L, portal: Option<&Portal>, query: &str, results: Option<&[UnitListing]>) -> (String, Markup) {
    let title = if query.trim().is_empty() { String::new() } else { format!("{}: {query}", l.t("Wyniki wyszukiwania", "Search results")) };
    let (names, accented) = portal.map(examples).unwrap_or_default();
    let placeholder = match names.as_slice() {
        [] => l.t("np. nazwa gminy albo kod TERYT", "e.g. a gmina's name or a TERYT code").to_owned(),
        list => format!("{} {}, {}", l.t("np.", "e.g."), list.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "), list[0].1),
    };
    let body = html! {
        h1 { (l.t("Jak radzi sobie Twoja gmina, powiat, województwo?", "How is your gmina, county or voivodeship doing?")) }
        p { (l.t("Miernik pokazuje wskaźniki usług publicznych każdej jednostki samorządu terytorialnego na tle podobnych jednostek, sąsiadów i całego kraju — z mapami, rankingami i diagnozą mocnych i słabych stron.",
                 "Miernik shows the public-service indicators of every Polish local government against similar units, neighbours and the whole country — with maps, rankings and a diagnosis of strengths and weaknesses.")) }
        form.search method="get" action="/" role="search" {
            @if l.en { input type="hidden" name="lang" value="en"; }
            label.sr for="q" { (l.t("Nazwa jednostki lub kod TERYT", "Unit name or TERYT code")) }
            input id="q" name="q" type="search" value=(query) list="podpowiedzi" autocomplete="off"
                placeholder=(placeholder);
            datalist id="podpowiedzi" {}
            button type="submit" { (l.t("Szukaj", "Search")) }
        }
        p.small.muted {
            (l.t("Wielkość liter i polskie znaki nie mają znaczenia", "Case and Polish letters do not matter"))
            @if let Some(n) = &accented { ": " (l.t("„", "“")) (model::fold(n)) (l.t("” znajdzie ", "” finds ")) (n) }
            "."
        }
        // Suggestions as you type (progressive enhancement: the form works without it).
        script src=(crate::layout::script_src("suggest.js")) defer {}
        @if let Some(units) = results {
            h2 id="wyniki" { (l.t("Wyniki", "Results")) " (" (units.len()) ")" }
            @if units.is_empty() {
                p { (l.t("Nic nie znaleziono. Sprawdź pisownię albo wpisz początek kodu TERYT.", "Nothing found. Check the spelling or type the start of a TERYT code.")) }
            } @else {
                ul {
                    @for u in units.iter().take(100) {
                        li { a href=(l.href(&format!("/jst/{}", u.code))) { (heading_name(l, &u.name, u.kind)) } " — " (place_words(l, u.kind, &u.ancestors)) " " span.small.muted { "(" (u.code) ")" } }
                    }
                }
                @if units.len() > 100 { p { (l.t("Pokazano pierwsze 100 wyników: zawęź wyszukiwanie.", "The first 100 results are shown: narrow the search.")) } }
            }
        }
        @if let Some(p) = portal {
            div.cols {
                section aria-labelledby="mapa-h" {
                    h2 id="mapa-h" { (l.t("Wybierz województwo na mapie", "Choose a voivodeship on the map")) }
                    @if let Some(m) = p.map(Layer::Wojewodztwa) {
                        @let hrefs: Vec<String> = m.units.iter().map(|&u| l.href(&format!("/jst/{}", p.c.codes[u]))).collect();
                        @let labels: Vec<String> = m.units.iter().map(|&u| heading_name(l, &p.c.names[u], p.c.kinds[u])).collect();
                        @let areas: Vec<viz::MapArea<'_>> = (0..m.units.len()).map(|k| viz::MapArea { shape: k, fill_class: None, href: &hrefs[k], label: &labels[k], selected: false }).collect();
                        div.map { (PreEscaped(viz::link_map("mapa-woj", l.t("Mapa województw Polski", "Map of Poland's voivodeships"), &m.geometry, &areas))) }
                    }
                    h3 { (l.t("Województwa", "Voivodeships")) }
                    ul.small {
                        @for u in (0..p.c.codes.len()).filter(|&u| p.c.kinds[u] == model::UnitKind::Wojewodztwo) {
                            li { a href=(l.href(&format!("/jst/{}", p.c.codes[u]))) { (heading_name(l, &p.c.names[u], p.c.kinds[u])) } }
                        }
                    }
                }
                section aria-labelledby="obszary-h" {
                    h2 id="obszary-h" { (l.t("Obszary usług", "Service areas")) }
                    (crate::area::area_list(p, l))
                }
            }
        } @else {
            p.box { (l.t("Wskaźniki nie są jeszcze policzone: zaimportuj katalog wskaźników i dane (albo uruchom miernik demo).", "Indicators are not computed yet: import the indicator catalogue and data (or run miernik demo).")) }
        }
        section aria-labelledby="cykl" {
            h2 id="cykl" { (l.t("Cykl benchmarkingu", "The benchmarking cycle")) }
            ol {
                li { strong { (l.t("Zmierz", "Measure")) } " — " (l.t("wskaźniki ilości, jakości, dostępności i kosztu usług.", "indicators of the quantity, quality, availability and cost of services.")) }
                li { strong { (l.t("Porównaj", "Compare")) } " — " (l.t("z podobnymi jednostkami, sąsiadami, statystycznie najbliższymi albo własną grupą.", "with similar units, neighbours, statistical nearest neighbours or your own group.")) }
                li { strong { (l.t("Ucz się od najlepszych", "Learn from the best")) } " — " (l.t("liderzy grupy na stronie każdego wskaźnika.", "the group's leaders on every indicator's page.")) }
                li { strong { (l.t("Zdiagnozuj", "Diagnose")) } " — " (l.t("mocne i słabe strony z trendem na karcie jednostki i w raporcie do druku.", "strengths and weaknesses, with trends, on the unit card and in the printable report.")) }
            }
            p.small {
                (l.t("Planowania działań i sprawdzania ich skutków Miernik jeszcze nie ma. Które wskaźniki mają już dane, a których danych brakuje, pokazuje strona ", "Miernik does not plan actions or check their effects yet. Which indicators have data, and which data are missing, is shown on the page "))
                a href=(l.href(crate::coverage::PATH)) { (l.t("Pokrycie danych", "Data coverage")) } "."
            }
        }
    };
    (title, body)
}
