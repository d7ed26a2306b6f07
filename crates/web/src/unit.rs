//! The unit card (`/jst/{teryt}`): facts and context, the peer-group switch, the diagnosis
//! (strengths and weaknesses with trends), then areas → services → indicators, each with
//! its value, trend and position in the group.

use app::{Computed, GroupStats, NearestSpec, PeerGroup, Position, Store, Trend, UnitCard};
use maud::{Markup, PreEscaped, html};
use model::UnitKind;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::Ctx;
use crate::common::{GROUPS, group_canonical, group_param, indicator_name, measure_after, position_cell, q, typology_words, value_text};
use crate::error::WebError;
use crate::groups::BrowserGroup;
use crate::i18n::L;
use crate::layout::{display_name, heading_name};
use crate::portal::Portal;
use crate::{AppState, PageError};

#[derive(Debug, Default, serde::Deserialize)]
pub struct UnitQuery {
    pub grupa: Option<String>,
    pub rok: Option<String>,
    /// The one section shown in full on a long card (`kontekst`, an area code, `wszystkie`).
    pub obszar: Option<String>,
}

/// Up to this many applying indicators a card shows every section in full; beyond it (SMUP's
/// 750 make a 1.5 MB page) one section at a time, the others as a one-line summary with a link.
const CARD_ALL: usize = 150;

/// A section of the card: its code (`kontekst` or an area) and its services' (name, indicators).
type Section = (String, Vec<(String, Vec<usize>)>);

/// The page's title and body.
pub async fn render(
    store: &Store,
    portal: Option<&Portal>,
    l: L,
    card: &UnitCard,
    query: &UnitQuery,
    mine: &[BrowserGroup],
) -> Result<(String, Markup), PageError> {
    render_marked(store, portal, l, card, query, mine, None, None).await
}

/// The unit's approved but unpublished values in the private view (`app::Private`): which
/// of the card's cells to mark "niepublikowane / unpublished".
#[derive(Clone, Copy)]
pub(crate) struct Marks<'a> {
    pub private: &'a app::Private,
    pub unit: usize,
}

impl Marks<'_> {
    fn cell(self, i: usize, y: usize) -> bool {
        self.private.cell_marked(i, self.unit, y)
    }

    fn input(self, v: usize, y: usize) -> bool {
        self.private.input_marked(v, self.unit, y)
    }
}

/// For a reader allowed to read this unit's unpublished values (`Action::ReadUnpublished`:
/// any role on the unit, an analyst of it, an administrator): a card of their own,
/// `private, no-store`, never in the page cache — when the private view holds values of the
/// unit that differ from the public ones, the card of the private view, marked; and always
/// the improvement plan's section as their roles see it (an internal plan, the planners'
/// links: `plan::card_section`). `None` for everyone else: the public card.
pub(crate) async fn private_card(state: &AppState, ctx: &Ctx, code: &model::TerytCode, query: &UnitQuery, mine: &[BrowserGroup]) -> Option<Response> {
    let user = ctx.user.as_ref()?;
    let private = state.live.private();
    let marked = private.as_ref().and_then(|p| {
        let c = p.computed();
        let ui = c.unit_index(code.as_str())?;
        (p.is_marked(ui) && user.can(app::accounts::Action::ReadUnpublished, c.unit_ids[ui])).then_some(ui)
    });
    let portal = match (marked, &private) {
        (Some(_), Some(private)) => state.private_portal(private).await?,
        _ => {
            let portal = state.portal().await?;
            let ui = portal.c.unit_index(code.as_str())?;
            if !user.can(app::accounts::Action::ReadUnpublished, portal.c.unit_ids[ui]) {
                return None;
            }
            portal
        }
    };
    let card = match app::unit_card(&state.store, code, crate::today()).await {
        Ok(card) => card,
        Err(e) => return Some(ctx.error(WebError::from(e))),
    };
    let marks = marked.zip(private.as_deref()).map(|(ui, private)| Marks { private, unit: ui });
    Some(match render_marked(&state.store, Some(&portal), ctx.lang, &card, query, mine, marks, Some(user)).await {
        Ok((title, body)) => ctx.page(StatusCode::OK, &title, body),
        Err(e) => ctx.error(WebError::from(e)),
    })
}

impl AppState {
    /// The portal over the private view (no maps: the card draws none), built once per view
    /// and kept apart from the public one.
    async fn private_portal(&self, private: &Arc<app::Private>) -> Option<Arc<Portal>> {
        let mut slot = self.private_portal.lock().await;
        if let Some(p) = slot.as_ref().filter(|p| Arc::ptr_eq(&p.c, private.computed())) {
            return Some(p.clone());
        }
        let (c, version) = (private.computed().clone(), private.public_version());
        let built = Arc::new(tokio::task::spawn_blocking(move || Portal::new(version, c, &[])).await.ok()?);
        *slot = Some(built.clone());
        Some(built)
    }
}

/// The word a marked value carries: text, not colour alone.
fn unpublished(l: L) -> Markup {
    html! { " " span.tag.unpublished { (l.t("niepublikowane", "unpublished")) } }
}

/// [`render`], and with `marks` the card of the private view (the portal over it) with every
/// value that differs from the public one marked and a note at the top saying so. Such a
/// card is for the reader allowed to see it only: never the shared page cache. `viewer`: the
/// user a private card is for (the improvement plan's section depends on their roles).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn render_marked(
    store: &Store,
    portal: Option<&Portal>,
    l: L,
    card: &UnitCard,
    query: &UnitQuery,
    mine: &[BrowserGroup],
    marks: Option<Marks<'_>>,
    viewer: Option<&app::accounts::CurrentUser>,
) -> Result<(String, Markup), PageError> {
    let u = &card.unit;
    let title = heading_name(l, &u.name, u.kind);
    let unit = portal.and_then(|p| p.c.unit_index(u.code.as_str()).map(|i| (p, i)));
    let identity = identity(l, card);
    let Some((p, ui)) = unit else {
        let note = match portal {
            None => {
                html! { p { (l.t("Wskaźniki nie są jeszcze policzone: zaimportuj katalog wskaźników i dane.", "Indicators are not computed yet: import the indicator catalogue and data.")) } }
            }
            Some(_) => {
                html! { p { (l.t("Ta jednostka nie jest porównywana (nie jest obecną JST gminą, powiatem ani województwem).", "This unit is not compared (it is not a current gmina, powiat or voivodeship).")) } }
            }
        };
        return Ok((title.clone(), html! { h1 { (title) } (identity) (note) (children(l, card)) }));
    };
    let c = &*p.c;
    let s = &c.snapshot;
    let years = s.years();
    let y = match query.rok.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => {
            let year: i32 = r.parse().map_err(|_| PageError::BadRequest(format!("rok={r}")))?;
            s.year_index(year).ok_or(PageError::BadRequest(format!("rok={r}")))?
        }
        None => p.latest_year(ui),
    };
    // Without `rok` a row whose indicator has no value that year shows its newest one.
    let year_given = query.rok.as_deref().is_some_and(|r| !r.is_empty());
    let year = s.first_year() + y as i32;
    let asked = match query.grupa.as_deref().filter(|g| !g.is_empty()) {
        Some(g) => group_canonical(g).ok_or_else(|| PageError::BadRequest(format!("grupa={g}")))?,
        None => "typology".to_owned(),
    };
    let spec = NearestSpec::default();
    // The group asked for, else the typology; a unit in neither (Poland, a unit without
    // population) is compared with nothing, and the card says why.
    let (group, group_note, no_group) = match app::peer_group(store, c, ui, y, &asked, &spec).await {
        Ok(g) => (g, None, None),
        Err(e @ (app::AppError::NotFound(_) | app::AppError::Invalid(_) | app::AppError::NoCustomGroup { .. })) => {
            let why = no_group_words(l, c, ui, y, &asked).unwrap_or_else(|| match e {
                app::AppError::NotFound(why) | app::AppError::Invalid(why) => why,
                e => l.describe(&e),
            });
            match app::peer_group(store, c, ui, y, "typology", &spec).await {
                Ok(g) => (g, Some(why), None),
                Err(app::AppError::NotFound(_)) | Err(app::AppError::Invalid(_)) => {
                    let alone = PeerGroup {
                        name: asked.clone(),
                        label: String::new(),
                        peers: app::Peers::Listed { members: vec![ui as u32] },
                        rows: Vec::new(),
                    };
                    (alone, None, Some(why))
                }
                Err(e) => return Err(PageError::from(e)),
            }
        }
        Err(e) => return Err(PageError::from(e)),
    };
    let shown = query.obszar.as_deref().filter(|o| !o.is_empty()).map(str::to_owned);
    if let Some(o) = shown.as_deref().filter(|o| !matches!(*o, "wszystkie" | "kontekst") && p.area(o).is_none()) {
        return Err(PageError::BadRequest(format!("obszar={o}")));
    }
    let customs = app::custom_groups(store).await.map_err(PageError::from)?;
    // Every applying indicator compared with the group once: for the tables and the diagnosis.
    let index = match &group.peers {
        app::Peers::Fixed { partition, .. } => Some(p.rank_index(*partition, y)),
        app::Peers::Listed { .. } => None,
    };
    let compared = match no_group {
        None => group.compare_all(s, ui, y, index.as_deref()),
        Some(_) => {
            (0..s.indicator_count()).filter(|&i| s.indicator(i).applies[ui]).map(|i| (i, GroupStats::default(), Position::default())).collect()
        }
    };
    let mut by_indicator: Vec<Option<(GroupStats, Position)>> = vec![None; s.indicator_count()];
    for (i, st, pos) in &compared {
        by_indicator[*i] = Some((*st, *pos));
    }
    // Rows shown for an earlier year: each indicator without a value in `y` takes its own
    // newest year, compared with the group of that year (one comparison per distinct year).
    let mut row_year = vec![y; s.indicator_count()];
    if !year_given {
        let mut earlier: Vec<(usize, usize)> =
            compared.iter().filter_map(|(i, _, _)| s.unit_latest_year(*i, ui).filter(|&yy| yy < y).map(|yy| (yy, *i))).collect();
        earlier.sort_unstable();
        for run in earlier.chunk_by(|a, b| a.0 == b.0) {
            let yy = run[0].0;
            let then = match no_group {
                None => app::peer_group(store, c, ui, yy, &group.name, &spec).await.ok(),
                Some(_) => None,
            };
            // A few rows of an older year: each rank is one pass over the group, cheaper than
            // building that year's whole rank index (tens of ms) for them.
            for &(_, i) in run {
                row_year[i] = yy;
                by_indicator[i] = Some(then.as_ref().map(|g| g.compare_indexed(s, i, ui, yy, None)).unwrap_or_default());
            }
        }
    }
    let diagnosis = no_group.is_none().then(|| app::diagnose_compared(c, ui, y, group.clone(), &compared, 5));
    // Under each weakness: units of the group that improved there, with their verified practices.
    let improved = match &diagnosis {
        Some(d) => crate::practice::improved_here(store, c, d, &group, y).await,
        None => Vec::new(),
    };
    // The improvement plan (issue 18), after the diagnosis it starts from.
    let plan_section = crate::plan::card_section(store, c, ui, l, viewer).await;
    let gp = group_param(&group.name);
    // An indicator's page for this unit in the year its row shows (the card's, or the
    // indicator's own newest for a row of an older year).
    let link = |i: usize| {
        let yr = s.first_year() + row_year.get(i).copied().unwrap_or(y) as i32;
        l.href(&format!("/wskaznik/{}?jst={}&grupa={}&rok={yr}", c.definitions[i].code, u.code, q(&gp)))
    };
    let code = u.code.as_str();
    let body = html! {
        h1 { (title) }
        @if let Some(m) = marks { (unpublished_note(l, c, m)) }
        (identity)
        (facts(l, p, ui, y, marks))
        form.controls method="get" action={ "/jst/" (code) } aria-label=(l.t("Wybór grupy porównawczej i roku", "Choose the peer group and year")) {
            @if l.en { input type="hidden" name="lang" value="en"; }
            label for="grupa" { (l.t("Porównaj z", "Compare with"))
                select id="grupa" name="grupa" {
                    @for (param, canonical) in GROUPS {
                        option value=(param) selected[group.name == canonical] { (l.group(canonical)) }
                    }
                    @for g in &customs {
                        @let value = format!("custom:{}", g.code);
                        option value=(value) selected[group.name == value] { (l.t("grupa własna: ", "custom group: ")) (g.name_pl) }
                    }
                    @for g in mine {
                        @let value = g.param();
                        option value=(value) selected[group.name == value] { (l.t("moja grupa: ", "my group: ")) (g.name) }
                    }
                    @if group.name.starts_with("lista:") && !mine.iter().any(|g| g.param() == group.name) {
                        option value=(group.name) selected { (l.t("lista z adresu", "list from the address")) " (" (group.name.matches(',').count() + 1) ")" }
                    }
                }
            }
            label for="rok" { (l.t("Rok", "Year"))
                select id="rok" name="rok" {
                    @for yy in (0..years).rev() {
                        @let cal = s.first_year() + yy as i32;
                        option value=(cal) selected[yy == y] { (cal) }
                    }
                }
            }
            button type="submit" { (l.t("Pokaż", "Show")) }
        }
        p.actions {
            a href=(l.href(&format!("/raport/{code}?rok={year}&grupa={}", q(&gp)))) { (l.t("Raport do druku", "Printable report")) }
            " · "
            a href=(l.href(&format!("/raport/{code}?rok={year}&grupa={}&format=pdf", q(&gp)))) { (l.t("Raport PDF", "PDF report")) }
            " · "
            a href=(l.href(&format!("/analiza?jst={code}&grupa={}&wskazniki=all&lata=last", q(&gp)))) { (l.t("Tabela z grupą w analizie", "A table with the group in the analysis")) }
        }
        (crate::common::downloads(l, l.t("Pobierz wszystkie wskaźniki tej jednostki, rok po roku", "Download every indicator of this unit, year by year"), &format!("indicators=all&units={code}&years=all&columns=year")))
        @if let Some(why) = &group_note {
            p.box role="status" { (l.t("Tej grupy nie da się utworzyć: ", "This group cannot be formed: ")) (why) ". " (l.t("Pokazano porównanie z podobnymi jednostkami (typologia).", "Showing the comparison with similar units (typology) instead.")) }
        }
        @match &no_group {
            Some(why) => { p.box role="status" { strong { (l.t("Bez porównania", "No comparison")) } ": " (why) "." } }
            None => { (group_summary(l, p, ui, y, &group)) }
        }
        @if !year_given && row_year.iter().any(|&ry| ry != y) {
            p.small.muted { (l.t("Wskaźniki bez danych za ", "Indicators without data for ")) (year) (l.t(" pokazują ostatni rok, za który są dane (rok podany przy wartości).", " show the latest year with data (the year is given by the value).")) }
        }
        @if let Some(d) = &diagnosis { (diagnosis_box(l, c, d, &link, marks, &improved)) }
        (plan_section)
        @let context: Vec<usize> = p.areas.iter().flat_map(|a| a.indicators()).filter(|&i| c.definitions[i].kind == "context" && s.indicator(i).applies[ui]).collect();
        @let sections: Vec<Section> = std::iter::once(("kontekst".to_owned(), vec![(l.t("Wskaźniki kontekstowe", "Context indicators").to_owned(), context)]))
            .chain(p.areas.iter().map(|a| (a.code.clone(), a.services.iter().map(|sv| (l.t(&sv.pl, &sv.en).to_owned(), sv.indicators.iter().copied().filter(|&i| c.definitions[i].kind != "context" && s.indicator(i).applies[ui]).collect::<Vec<_>>())).filter(|(_, v)| !v.is_empty()).collect())))
            .filter(|(_, services): &Section| services.iter().any(|(_, v)| !v.is_empty()))
            .collect();
        @let everything = compared.len() <= CARD_ALL || shown.as_deref() == Some("wszystkie");
        @let open_one = shown.clone().filter(|o| o != "wszystkie").or_else(|| sections.first().map(|(code, _)| code.clone()));
        @if !everything {
            p.small { (l.t("Wskaźników jest wiele: pokazano jeden obszar, pozostałe w skrócie. ", "There are many indicators: one area is shown, the others in short. "))
                a href=(l.href(&format!("/jst/{code}?grupa={}&rok={year}&obszar=wszystkie", q(&gp)))) { (l.t("Pokaż wszystkie obszary", "Show every area")) } }
        }
        @if !sections.is_empty() { (bar_legend(l)) }
        @for (si, (section, services)) in sections.iter().enumerate() {
            @let title = if section == "kontekst" { l.t("Kontekst", "Context").to_owned() } else { l.area(section) };
            h2 id={ "obszar-" (section) } {
                (title)
                @if section != "kontekst" { " " a.small href=(l.href(&format!("/obszar/{section}?jst={code}"))) { (l.t("o obszarze", "about the area")) } }
            }
            @if section == "kontekst" {
                p.small.muted { (l.t("Wskaźniki kontekstowe opisują warunki, w jakich jednostka świadczy usługi; nie ocenia się ich jako lepszych lub gorszych.", "Context indicators describe the conditions in which the unit provides services; they are not judged better or worse.")) }
            }
            @if everything || open_one.as_deref() == Some(section.as_str()) {
                @for (k, (service, list)) in services.iter().enumerate() {
                    (indicator_table(l, c, ui, y, &row_year, &by_indicator, &link, &format!("s{si}-{k}"), list, service, marks))
                }
            } @else {
                @let all: Vec<usize> = services.iter().flat_map(|(_, v)| v.iter().copied()).collect();
                @let verdicts: Vec<app::Verdict> = if section == "kontekst" { Vec::new() } else {
                    all.iter().filter_map(|&i| by_indicator[i].and_then(|(st, pos)| crate::common::placement(l, s.indicator(i).polarity, &st, &pos, s.value(i, ui, y)).verdict)).collect()
                };
                @let best = verdicts.iter().filter(|v| **v == app::Verdict::Better).count();
                @let worst = verdicts.iter().filter(|v| **v == app::Verdict::Worse).count();
                p {
                    (l.count(all.len(), ["wskaźnik", "wskaźniki", "wskaźników"], ["indicator", "indicators"]))
                    @if section != "kontekst" { " · " span.good { "▲ " (best) " " (l.t("w najlepszej ćwiartce", "in the best quarter")) } " · " span.bad { "▼ " (worst) " " (l.t("w najsłabszej", "in the weakest")) } }
                    " · " a href={ (l.href(&format!("/jst/{code}?grupa={}&rok={year}&obszar={section}", q(&gp)))) "#obszar-" (section) } { (l.t("Pokaż", "Show")) " " (title) }
                }
            }
        }
        (children(l, card))
    };
    Ok((title, body))
}

/// Where the unit lies (województwo › powiat › gmina, as links), kind, code, history of
/// codes and names.
fn identity(l: L, card: &UnitCard) -> Markup {
    let u = &card.unit;
    let date = |d: Option<model::Date>| d.map(model::format_date).unwrap_or_else(|| "—".to_owned());
    html! {
        @if !card.ancestors.is_empty() {
            nav.crumbs aria-label=(l.t("Położenie w podziale terytorialnym", "Place in the territorial division")) {
                p.small {
                    @for a in &card.ancestors {
                        a href=(l.href(&format!("/jst/{}", a.code))) { (heading_name(l, &a.name, a.kind)) } " › "
                    }
                    span aria-current="page" { (heading_name(l, &u.name, u.kind)) }
                }
            }
        }
        p {
            (l.kind(u.kind)) ", TERYT " (u.code)
            @if card.ancestors.is_empty() {
                @if let (Some(parent), Some(name)) = (&u.parent, &card.parent_name) {
                    " · " (l.t("w jednostce", "in")) " " a href=(l.href(&format!("/jst/{parent}"))) { (display_name(l, name, card.parent_kind.unwrap_or(UnitKind::Kraj))) }
                }
            }
            @if !card.is_jst { " · " (l.t("jednostka statystyczna, nie JST", "statistical unit, not a local government")) }
        }
        @if let Some(s) = &card.same_jst {
            p { (l.t("Ta sama JST jako ", "The same local government as a ")) (l.kind(s.kind)) ": " a href=(l.href(&format!("/jst/{}", s.code))) { (s.name) " (" (s.code) ")" } }
        }
        @if let Some(to) = u.valid_to {
            p { strong { (l.t("Jednostka zniesiona lub zmieniona: ", "Unit closed or changed: ")) } (model::format_date(to)) }
        }
        @if card.codes.len() > 1 || card.names.len() > 1 {
            details {
                summary { (l.t("Historia kodów i nazw", "History of codes and names")) }
                ul {
                    @for (c, from, to) in &card.codes { li { (l.t("Kod ", "Code ")) (c) ": " (date(*from)) " – " (date(*to)) } }
                    @for (n, from, to) in &card.names { li { (l.t("Nazwa ", "Name ")) (n) ": " (date(*from)) " – " (date(*to)) } }
                }
            }
        }
    }
}

/// The note at the top of a card with unpublished values: what they are, who sees them, and
/// the inputs themselves.
fn unpublished_note(l: L, c: &Computed, m: Marks<'_>) -> Markup {
    let s = &c.snapshot;
    let overlay = m.private.unit(m.unit);
    let inputs: Vec<(usize, usize)> = overlay.map(|o| o.inputs.iter().copied().collect()).unwrap_or_default();
    let cells = overlay.map_or(0, |o| o.cells.len());
    html! {
        section.box.unpublished-note role="note" aria-labelledby="niepublikowane" {
            h2 id="niepublikowane" { (l.t("Wartości niepublikowane", "Unpublished values")) }
            p {
                (l.t("Ta karta pokazuje zatwierdzone, ale jeszcze nieopublikowane dane z ankiety; każda wartość, którą zmieniają, jest oznaczona słowem „niepublikowane”. Widzisz je, bo masz uprawnienia do tej jednostki — publiczna karta, API i eksporty ich nie zawierają aż do dnia publikacji. Pozycje i statystyki grupy na tej karcie je uwzględniają.",
                     "This card shows approved but not yet published questionnaire data; every value they change is marked “unpublished”. You see them because you have rights to this unit — the public card, the API and the exports do not contain them until the publication date. Positions and group statistics on this card include them."))
                " " (l.t("Zmienione wartości wskaźników: ", "Indicator values changed: ")) (cells) "."
            }
            @if !inputs.is_empty() {
                ul.small {
                    @for (v, y) in inputs {
                        @if let (Some(info), Some(x)) = (c.variables.get(v), s.variable(v, m.unit, y)) {
                            li { (l.t(&info.name_pl, &info.name_en)) " " (s.first_year() + y as i32) ": " strong { (as_entered(l, x)) } " " (info.measure_unit) (unpublished(l)) }
                        }
                    }
                }
            }
        }
    }
}

/// A value as entered in a questionnaire: every decimal it has (up to six), none added.
fn as_entered(l: L, x: f64) -> String {
    let s = l.num(x, 6);
    let point = if l.en { '.' } else { ',' };
    if s.contains(point) { s.trim_end_matches('0').trim_end_matches(point).to_owned() } else { s }
}

/// Population, area, density and the typology group, as tiles.
fn facts(l: L, p: &Portal, u: usize, y: usize, marks: Option<Marks<'_>>) -> Markup {
    let s = &p.c.snapshot;
    // The newest value up to the year, its year, and whether it is an estimate (an area carried
    // from another year's list is).
    let latest = |v: usize| {
        (0..=y).rev().find_map(|yy| {
            s.variable(v, u, yy)
                .map(|x| (x, s.first_year() + yy as i32, p.c.flags.get(&(v as u32, u as u32, yy as u16)) == Some(&model::Flag::Estimated), yy))
        })
    };
    let marked = |v: Option<usize>, yy: usize| v.zip(marks).is_some_and(|(v, m)| m.input(v, yy));
    let pop = p.population.and_then(latest);
    let area = p.area_km2.and_then(latest);
    let pop_marked = pop.is_some_and(|(.., yy)| marked(p.population, yy));
    let area_marked = area.is_some_and(|(.., yy)| marked(p.area_km2, yy));
    let (pop, area) = (pop.map(|(x, yr, e, _)| (x, yr, e)), area.map(|(x, yr, e, _)| (x, yr, e)));
    let estimate = |e: bool| if e { l.t(", szacunek", ", estimate") } else { "" };
    let typology = typology_of(l, s, u, y);
    html! {
        ul.facts aria-label=(l.t("Podstawowe dane", "Basic facts")) {
            @if let Some((v, yr, e)) = pop { li { (l.t("Ludność", "Population")) b { (l.num(v, 0)) } span.small.muted { (yr) (estimate(e)) } @if pop_marked { (unpublished(l)) } } }
            @if let Some((v, yr, e)) = area { li { (l.t("Powierzchnia", "Area")) b { (l.num(v, 1)) " km²" } span.small.muted { (yr) (estimate(e)) } @if area_marked { (unpublished(l)) } } }
            @if let (Some((pv, py, pe)), Some((av, ay, ae))) = (pop, area) {
                @if av > 0.0 && py == ay { li { (l.t("Gęstość zaludnienia", "Population density")) b { (l.num(pv / av, 0)) " " (l.t("os./km²", "per km²")) } span.small.muted { (py) (estimate(pe || ae)) } @if pop_marked || area_marked { (unpublished(l)) } } }
            }
            @if let Some(t) = typology { li { (l.t("Grupa typologiczna", "Typology group")) b.small { (t) } } }
            @else if let Some(app::groups::NoGroup::NoPopulation { year }) = s.partition_index("typology").and_then(|t| app::groups::why_no_group(s, p.c.kinds[u], u, t, y)) {
                li { (l.t("Grupa typologiczna", "Typology group")) b.small { (l.t("brak", "none")) } span.small.muted { (l.t("brak danych o ludności za ", "no population data for ")) (year) } }
            }
        }
    }
}

/// Who the unit is compared with: the group in words and, for listed groups, its members
/// (for nearest neighbours with the distance and what makes them similar).
fn group_summary(l: L, p: &Portal, u: usize, y: usize, g: &PeerGroup) -> Markup {
    let c = &*p.c;
    let s = &c.snapshot;
    let size = match &g.peers {
        app::Peers::Fixed { partition, group } => s.members(*partition, *group, y).len(),
        app::Peers::Listed { members } => members.len(),
    };
    let label = match g.name.as_str() {
        "typology" => typology_of(l, s, u, y).unwrap_or_default(),
        "wojewodztwo" => c.codes[u]
            .as_str()
            .get(..2)
            .and_then(|w| c.unit_index(w))
            .map(|w| display_name(l, &c.names[w], UnitKind::Wojewodztwo))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let context_name = |item: &str| -> String {
        let code = item.trim_start_matches("log:").split('*').next().unwrap_or(item);
        if let Some(i) = s.indicator_index(code) {
            return indicator_name(l, c, i).to_owned();
        }
        c.variables
            .iter()
            .find(|v| v.code == code)
            .map(|v| if l.en { v.name_en.clone() } else { v.name_pl.clone() })
            .unwrap_or_else(|| code.to_owned())
    };
    html! {
        p {
            strong { (l.t("Grupa porównawcza: ", "Peer group: ")) } (l.group(&g.name))
            @if !label.is_empty() { " — " (label) }
            " (" (l.count(size, ["jednostka", "jednostki", "jednostek"], ["unit", "units"])) ")."
        }
        @if !g.rows.is_empty() {
            details open[g.name == "nearest"] {
                summary { (l.t("Kto jest w grupie", "Who is in the group")) " (" (g.rows.len()) ")" }
                @if g.name == "nearest" {
                    p.small { (l.t("Najbliżsi statystycznie: jednostki najbardziej podobne pod względem standaryzowanych zmiennych kontekstowych (metoda CIPFA). Im mniejsza odległość, tym bardziej podobna jednostka; udział mówi, która zmienna najbardziej je różni.",
                                  "Statistical nearest neighbours: the units most similar on standardised context variables (the CIPFA method). The smaller the distance, the more similar; the share says which variable sets them apart most.")) }
                }
                div.scroll {
                    table {
                        caption { (l.t("Członkowie grupy", "Group members")) }
                        thead { tr {
                            th scope="col" { (l.t("Jednostka", "Unit")) }
                            @if g.name == "nearest" { th scope="col" class="num" { (l.t("Odległość", "Distance")) } th scope="col" { (l.t("Największe różnice", "Largest differences")) } }
                        } }
                        tbody {
                            @for r in &g.rows {
                                tr {
                                    th scope="row" { a href=(l.href(&format!("/jst/{}", r.code))) { (r.name) } " " span.small.muted { (r.code) } }
                                    @if g.name == "nearest" {
                                        td.num { (r.distance.map(|d| l.num(d, 2)).unwrap_or_default()) }
                                        td.small {
                                            @for (k, (item, share)) in largest(&r.contributions).into_iter().enumerate() {
                                                @if k > 0 { ", " }
                                                (context_name(item)) " " (l.num(share * 100.0, 0)) " %"
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn trend_text(l: L, t: Trend) -> Markup {
    let (pl, en) = app::trend_words(t);
    html! {
        @match t {
            Trend::Improving => span.good { "↑ " (l.t(pl, en)) },
            Trend::Worsening => span.bad { "↓ " (l.t(pl, en)) },
            _ => span { (l.t(pl, en)) },
        }
    }
}

/// Strengths and weaknesses: where to start an improvement plan.
fn diagnosis_box(
    l: L,
    c: &Computed,
    d: &app::UnitDiagnosis,
    link: &dyn Fn(usize) -> String,
    marks: Option<Marks<'_>>,
    improved: &[crate::practice::ImprovedHere],
) -> Markup {
    // An empty list says why: no data to judge, a group that cannot judge, or nothing stands out.
    let s = &c.snapshot;
    let dy = s.year_index(d.year);
    let marked = |i: usize| marks.zip(dy).is_some_and(|(m, y)| m.cell(i, y));
    let judgeable_values = match (c.unit_index(&d.unit_code), s.year_index(d.year)) {
        (Some(u), Some(y)) => (0..s.indicator_count())
            .filter(|&i| s.indicator(i).applies[u] && s.indicator(i).polarity != model::Polarity::Neutral && s.value(i, u, y).is_some())
            .count(),
        _ => 0,
    };
    let empty = |strong: bool| -> Markup {
        if judgeable_values == 0 {
            html! {
                p { strong { (l.t("Brak danych", "No data")) } ": " (l.t("jednostka nie ma w tym roku wartości wskaźników, które się ocenia. ", "the unit has no values this year of the indicators that are judged. "))
                    a href=(l.href(crate::coverage::PATH)) { (l.t("Pokrycie danych", "Data coverage")) } }
            }
        } else if d.judged == 0 {
            html! { p { (l.t("Nie da się ocenić: grupa jest za mała albo jej wartości się nie różnią.", "Cannot be judged: the group is too small or its values do not differ.")) } }
        } else if strong {
            html! { p { (l.t("Żaden wskaźnik nie wyróżnia się na plus.", "No indicator stands out for the better.")) } }
        } else {
            html! { p { (l.t("Żaden wskaźnik nie wyróżnia się na minus.", "No indicator stands out for the worse.")) } }
        }
    };
    let list = |findings: &[app::Finding], strong: bool| {
        html! {
            @if findings.is_empty() { (empty(strong)) }
            @else {
                ul {
                    @for f in findings {
                        @let i = c.snapshot.indicator_index(&f.indicator).unwrap_or(0);
                        li {
                            a href=(link(i)) { (if l.en { &f.name_en } else { &f.name_pl }) }
                            @let shown = l.num(f.value, f.decimals);
                            ": " strong { (shown) } " " (measure_after(l, c, i, &shown))
                            @if marked(i) { (unpublished(l)) }
                            @if let Some(m) = f.group_median { span.small { " (" (l.t("mediana grupy", "group median")) " " (l.num(m, f.decimals)) ")" } }
                            br;
                            span.small {
                                @if strong { span.good.tag { (l.t("mocna strona", "strength")) } } @else { span.bad.tag { (l.t("słaba strona", "weakness")) } }
                                " " (l.t("3 lata: ", "3 years: ")) (trend_text(l, f.trend_3y)) "; " (l.t("5 lat: ", "5 years: ")) (trend_text(l, f.trend_5y))
                            }
                            @if !strong && let Some(item) = improved.iter().find(|m| m.indicator == f.indicator) {
                                (crate::practice::improved_here_list(l, c, item))
                            }
                        }
                    }
                }
            }
        }
    };
    html! {
        section.box aria-labelledby="diagnoza" {
            h2 id="diagnoza" { (l.t("Diagnoza", "Diagnosis")) " " (d.year) }
            p.small { (l.t("Wskaźniki, na których jednostka najbardziej odbiega od swojej grupy (wg z-score, z uwzględnieniem kierunku: co jest lepsze). Ocenionych wskaźników: ", "The indicators on which the unit stands out most from its group (by z-score, turned so that better is positive). Indicators judged: ")) (d.judged) "." }
            div.cols {
                div { h3 { (l.t("Mocne strony", "Strengths")) } (list(&d.strengths, true)) }
                div { h3 { (l.t("Słabe strony — od czego zacząć", "Weaknesses — where to start")) } (list(&d.weaknesses, false)) }
            }
        }
    }
}

/// One table of indicators for the unit: value, trend since the first year, position.
#[allow(clippy::too_many_arguments)]
fn indicator_table(
    l: L,
    c: &Computed,
    u: usize,
    y: usize,
    row_year: &[usize],
    compared: &[Option<(GroupStats, Position)>],
    link: &dyn Fn(usize) -> String,
    id: &str,
    list: &[usize],
    caption: &str,
    marks: Option<Marks<'_>>,
) -> Markup {
    let s = &c.snapshot;
    let years = s.years();
    let first = s.first_year();
    if list.is_empty() {
        return html! {};
    }
    html! {
        div.scroll {
            // On a phone each row becomes a block (the cells' labels from `data-label`).
            table.stack {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (l.t("Wskaźnik", "Indicator")) }
                    th scope="col" class="num" { (l.t("Wartość", "Value")) }
                    th scope="col" class="hide-phone" { (l.t("Trend", "Trend")) " " (first) "–" (first + y as i32) }
                    th scope="col" { (l.t("Pozycja w grupie", "Position in the group")) }
                    th scope="col" class="num" { (l.t("Mediana grupy", "Group median")) }
                } }
                tbody {
                    @for &i in list {
                        @let d = &c.definitions[i];
                        @let spec = s.indicator(i);
                        @let (st, pos) = compared[i].unwrap_or_default();
                        // Context indicators are not judged, whatever their catalogue polarity.
                        @let polarity = if d.kind == "context" { model::Polarity::Neutral } else { spec.polarity };
                        // The row's own year: `y`, or the indicator's newest year with a value.
                        @let ry = row_year.get(i).copied().unwrap_or(y);
                        @let (text, _flag) = value_text(l, c, i, u, ry);
                        @let value = s.value(i, u, ry);
                        @let fmt = |v: f64| l.num(v, d.decimals);
                        @let series: Vec<Option<f64>> = (0..years.min(y + 1)).map(|yy| s.value(i, u, yy)).collect();
                        tr {
                            th scope="row" { a href=(link(i)) { (indicator_name(l, c, i)) } }
                            td.num data-label=(l.t("Wartość", "Value")) { (text) @if ry != y { " " span.small.year { "(" (l.t("dane za", "data for")) " " (first + ry as i32) ")" } } @if value.is_some() { " " span.small.muted { (measure_after(l, c, i, &text)) } } @if marks.is_some_and(|m| m.cell(i, ry)) { (unpublished(l)) } }
                            td.hide-phone data-label=(l.t("Trend", "Trend")) {
                                (PreEscaped(viz::sparkline(&format!("sp-{id}-{i}"), &sparkline_title(l, &series, first, &fmt), &series)))
                                @if marks.is_some_and(|m| (0..series.len()).any(|yy| yy != ry && m.cell(i, yy))) { br; span.small { (l.t("trend z wartościami niepublikowanymi", "trend with unpublished values")) } }
                            }
                            td data-label=(l.t("Pozycja w grupie", "Position in the group")) { (position_cell(l, &format!("qb-{id}-{i}"), polarity, &st, &pos, value, &fmt)) }
                            td.num data-label=(l.t("Mediana grupy", "Group median")) { (st.median.map(fmt).unwrap_or_else(|| "—".into())) }
                        }
                    }
                }
            }
        }
    }
}

/// How to read the position bar ([`viz::quartile_bar`]), said once near the first bar of a
/// page (the PDF report says it under each table).
pub(crate) fn bar_legend(l: L) -> Markup {
    html! {
        p.small.legend-bar {
            strong { (l.t("Jak czytać pasek pozycji: ", "How to read the position bar: ")) }
            (l.t("pasek sięga od najniższej do najwyższej wartości w grupie i jest podzielony na ćwiartki jednostek — od jasnopomarańczowej (najsłabsza) do granatowej (najlepsza), „+” przy lepszym końcu; dla wskaźników kontekstowych ćwiartki są szare, środkowe ciemniejsze. Kreska — mediana grupy, czarny romb — ta jednostka.",
                 "the bar runs from the group's lowest to its highest value, split into quarters of the units — from light orange (the weakest) to dark blue (the best), “+” at the better end; for context indicators the quarters are grey, the middle ones darker. The tick is the group's median, the black diamond this unit."))
        }
    }
}

/// "Trend 2010–2024: z 12,3 do 15,0" — the sparkline's text alternative.
fn sparkline_title(l: L, series: &[Option<f64>], first: i32, fmt: &dyn Fn(f64) -> String) -> String {
    let known: Vec<(usize, f64)> = series.iter().enumerate().filter_map(|(k, v)| v.map(|v| (k, v))).collect();
    match (known.first(), known.last()) {
        (Some(&(a, va)), Some(&(b, vb))) if a != b => {
            format!(
                "{} {}–{}: {} {} {} {}",
                l.t("Trend", "Trend"),
                first + a as i32,
                first + b as i32,
                l.t("z", "from"),
                fmt(va),
                l.t("do", "to"),
                fmt(vb)
            )
        }
        (Some(&(a, va)), _) => format!("{} {}: {}", l.t("Tylko rok", "Only year"), first + a as i32, fmt(va)),
        _ => l.t("Brak danych o trendzie", "No trend data").to_owned(),
    }
}

fn children(l: L, card: &UnitCard) -> Markup {
    html! {
        @if !card.children.is_empty() {
            h2 { (l.t("Jednostki podrzędne", "Sub-units")) " (" (card.children.len()) ")" }
            ul.cols.small {
                @for ch in &card.children { li { a href=(l.href(&format!("/jst/{}", ch.code))) { (display_name(l, &ch.name, ch.kind)) } " — " (l.kind(ch.kind)) } }
            }
        }
    }
}

/// The three largest contributions to a distance, largest first.
fn largest(contributions: &[(String, f64)]) -> Vec<&(String, f64)> {
    let mut top: Vec<&(String, f64)> = contributions.iter().collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    top.truncate(3);
    top
}

/// Why unit `u` is in no group `canonical` of a fixed partition in year index `y`, in the
/// page's language; none when it is in one (or the group is not a fixed partition's).
pub(crate) fn no_group_words(l: L, c: &Computed, u: usize, y: usize, canonical: &str) -> Option<String> {
    let s = &c.snapshot;
    let p = s.partition_index(canonical)?;
    app::groups::why_no_group(s, c.kinds[u], u, p, y).map(|w| {
        let (pl, en) = w.words();
        if l.en { en } else { pl }
    })
}

/// The unit's typology group in year index `y`, in words.
fn typology_of(l: L, s: &app::Snapshot, u: usize, y: usize) -> Option<String> {
    let t = s.partition_index("typology")?;
    s.group_of(t, u, y).map(|g| typology_words(l, &s.group_keys(t)[g]))
}
