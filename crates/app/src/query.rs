//! Data queries: any indicators × any units × any years over the snapshot, parsed from the
//! short texts the API, the table builder and `miernik export` share (`a,b` / `area:X` /
//! `all`; codes, kinds, `in:12`; `2015-2020`, `last`), walked cell by cell in a chosen order
//! with each cell's flag — without materialising the cells.

use model::{Flag, TerytCode, UnitKind};

use crate::Computed;

/// The most cells one query may span (indicators × units × years).
pub const MAX_CELLS: usize = 5_000_000;

/// Why a query's parameter was refused: the parameter's name and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub parameter: &'static str,
    pub message: String,
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.parameter, self.message)
    }
}

impl std::error::Error for QueryError {}

fn err(parameter: &'static str, message: impl Into<String>) -> QueryError {
    QueryError { parameter, message: message.into() }
}

/// A dimension of a query's cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Indicator,
    Unit,
    Year,
}

/// One cell of a query: indices into the query's own lists (not the snapshot's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryCell {
    pub indicator: u32,
    pub unit: u32,
    pub year: u16,
    pub value: Option<f64>,
    /// `None` for a plain final value; otherwise why the value is as it is (or absent).
    pub flag: Option<Flag>,
}

/// A resolved query: snapshot indices of its indicators, units and year indices, each list
/// without repeats, in the order asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataQuery {
    pub indicators: Vec<usize>,
    pub units: Vec<usize>,
    pub years: Vec<usize>,
}

fn push_unique(list: &mut Vec<usize>, v: usize) {
    if !list.contains(&v) {
        list.push(v);
    }
}

/// Indicators: `all`, codes, `area:CODE` (every indicator of an area; `obszar:` too),
/// separated by commas.
pub fn parse_indicators(c: &Computed, text: &str) -> Result<Vec<usize>, QueryError> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if token == "all" || token == "wszystkie" {
            out = (0..c.definitions.len()).collect();
            seen = out.iter().copied().collect();
        } else if let Some(area) = token.strip_prefix("area:").or_else(|| token.strip_prefix("obszar:")) {
            let before = out.len();
            for (i, d) in c.definitions.iter().enumerate() {
                if d.area == area && seen.insert(i) {
                    out.push(i);
                }
            }
            if before == out.len() && !c.definitions.iter().any(|d| d.area == area) {
                return Err(err("indicators", format!("no area `{area}`")));
            }
        } else {
            let i = c.definitions.iter().position(|d| d.code == token).ok_or_else(|| err("indicators", format!("no indicator `{}`", clip(token))))?;
            if seen.insert(i) {
                out.push(i);
            }
        }
    }
    if out.is_empty() {
        return Err(err("indicators", "name at least one indicator (codes, area:CODE or all)"));
    }
    Ok(out)
}

/// At most 40 characters of a token, for an error message.
fn clip(s: &str) -> String {
    let mut t: String = s.chars().take(40).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

/// Units: TERYT codes, `all`, a level (`gminy`, `powiaty`, `wojewodztwa`), a kind
/// (`gmina_wiejska`…), `in:CODE` (every unit inside a województwo or powiat, of the
/// level below it and further down), separated by commas.
pub fn parse_units(c: &Computed, text: &str) -> Result<Vec<usize>, QueryError> {
    let mut out = Vec::new();
    let add_all = |out: &mut Vec<usize>, keep: &dyn Fn(usize) -> bool| {
        let seen: std::collections::HashSet<usize> = out.iter().copied().collect();
        out.extend((0..c.codes.len()).filter(|&u| keep(u) && !seen.contains(&u)));
    };
    for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match token {
            "all" | "wszystkie" => add_all(&mut out, &|_| true),
            "gminy" | "gmina" => add_all(&mut out, &|u| c.kinds[u].is_gmina()),
            "powiaty" | "powiat" => add_all(&mut out, &|u| matches!(c.kinds[u], UnitKind::Powiat | UnitKind::MiastoNaPrawachPowiatu)),
            "wojewodztwa" | "wojewodztwo" => add_all(&mut out, &|u| c.kinds[u] == UnitKind::Wojewodztwo),
            _ => {
                if let Some(parent) = token.strip_prefix("in:") {
                    let p = TerytCode::parse_lenient(parent).map_err(|e| err("units", format!("in:{}: {e}", clip(parent))))?;
                    let prefix = p.as_str().to_owned();
                    if p.as_str().len() > 4 || prefix == "PL" {
                        return Err(err("units", format!("in:{prefix}: give a województwo (2 digits) or a powiat (4 digits)")));
                    }
                    add_all(&mut out, &|u| {
                        let code = c.codes[u].as_str();
                        code.len() > prefix.len() && code.starts_with(&prefix)
                    });
                } else if let Ok(kind) = UnitKind::parse(token) {
                    add_all(&mut out, &|u| c.kinds[u] == kind);
                } else {
                    let code = TerytCode::parse_lenient(token).map_err(|e| err("units", format!("`{}`: {e}", clip(token))))?;
                    let u = c.unit_index(code.as_str()).ok_or_else(|| err("units", format!("no unit {} with data", code.as_str())))?;
                    push_unique(&mut out, u);
                }
            }
        }
    }
    Ok(out)
}

/// Years: `all`, `last`, `2020`, `2015-2020`, `2015-last`, separated by commas; each must
/// be a year of the snapshot. Here `last` is the snapshot's last year: a query's `last` is
/// per indicator (see [`parse_years_for`]).
pub fn parse_years(c: &Computed, text: &str) -> Result<Vec<usize>, QueryError> {
    parse_years_with(c, text, &[c.snapshot.years().saturating_sub(1)])
}

/// The newest year index in which each of `indicators` has a value for any of `units`
/// (an indicator without any value counts the snapshot's last year), without repeats,
/// oldest first.
pub fn latest_years(c: &Computed, indicators: &[usize], units: &[usize]) -> Vec<usize> {
    let s = &c.snapshot;
    let mut out: Vec<usize> = indicators.iter().map(|&i| s.latest_year_of(i, Some(units)).unwrap_or(s.years().saturating_sub(1))).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// As [`parse_years`], with `last` meaning each of `indicators`' newest year with a value
/// for any of `units`: one indicator's `last` is its own newest year; for indicators whose
/// newest years differ `last` names each of those years (so a table of them, long or with
/// a column per year, has every indicator's newest value, and a cell of an indicator in a
/// year past its own newest is empty), and `2015-last` runs to the newest of them.
pub fn parse_years_for(c: &Computed, text: &str, indicators: &[usize], units: &[usize]) -> Result<Vec<usize>, QueryError> {
    let needs_last = text.split([',', '-']).any(|t| matches!(t.trim(), "last" | "ostatni"));
    if !needs_last {
        return parse_years_with(c, text, &[]);
    }
    parse_years_with(c, text, &latest_years(c, indicators, units))
}

/// The years of `text`, `last` standing for `lasts` (year indices, oldest first).
fn parse_years_with(c: &Computed, text: &str, lasts: &[usize]) -> Result<Vec<usize>, QueryError> {
    let s = &c.snapshot;
    let first = s.first_year();
    let n = s.years();
    if n == 0 {
        return Err(err("years", "the snapshot has no years"));
    }
    let last = first + n as i32 - 1;
    let newest = lasts.last().copied().unwrap_or(n - 1);
    let range = || format!("years with data: {first}–{last}");
    let year = |t: &str| -> Result<usize, QueryError> {
        if matches!(t.trim(), "last" | "ostatni") {
            return Ok(newest);
        }
        let y: i32 = t.trim().parse().map_err(|_| err("years", format!("`{}` is not a year ({})", clip(t), range())))?;
        s.year_index(y).ok_or_else(|| err("years", format!("no data for {y} ({})", range())))
    };
    let mut out = Vec::new();
    for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match token {
            "all" | "wszystkie" => (0..n).for_each(|y| push_unique(&mut out, y)),
            "last" | "ostatni" => lasts.iter().for_each(|&y| push_unique(&mut out, y)),
            _ => match token.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (year(a)?, year(b)?);
                    if a > b {
                        return Err(err("years", format!("`{token}`: the first year comes first")));
                    }
                    (a..=b).for_each(|y| push_unique(&mut out, y));
                }
                None => push_unique(&mut out, year(token)?),
            },
        }
    }
    if out.is_empty() {
        return Err(err("years", format!("name at least one year ({})", range())));
    }
    Ok(out)
}

impl DataQuery {
    /// A query from its three texts; `extra_units` (a resolved peer group, say) are added
    /// after the listed ones.
    pub fn parse(c: &Computed, indicators: &str, units: &str, years: &str, extra_units: &[usize]) -> Result<DataQuery, QueryError> {
        DataQuery::parse_limited(c, indicators, units, years, extra_units, MAX_CELLS)
    }

    /// As [`DataQuery::parse`], refusing a query of more than `max_cells` cells.
    pub fn parse_limited(
        c: &Computed,
        indicators: &str,
        units: &str,
        years: &str,
        extra_units: &[usize],
        max_cells: usize,
    ) -> Result<DataQuery, QueryError> {
        let indicators = parse_indicators(c, indicators)?;
        let mut units = parse_units(c, units)?;
        for &u in extra_units {
            push_unique(&mut units, u);
        }
        if units.is_empty() {
            return Err(err("units", "name at least one unit (TERYT codes, gminy, powiaty, wojewodztwa, in:CODE, all, or a group)"));
        }
        let years = parse_years_for(c, years, &indicators, &units)?;
        let q = DataQuery { indicators, units, years };
        if q.cells() > max_cells {
            return Err(err(
                "units",
                format!(
                    "{} indicators × {} units × {} years = {} cells, over the limit of {max_cells}: ask for fewer",
                    q.indicators.len(),
                    q.units.len(),
                    q.years.len(),
                    q.cells()
                ),
            ));
        }
        Ok(q)
    }

    /// How many cells the query spans.
    pub fn cells(&self) -> usize {
        self.indicators.len().saturating_mul(self.units.len()).saturating_mul(self.years.len())
    }

    fn len(&self, d: Dim) -> usize {
        match d {
            Dim::Indicator => self.indicators.len(),
            Dim::Unit => self.units.len(),
            Dim::Year => self.years.len(),
        }
    }

    /// The `n`-th cell in `order` (outermost dimension first), or none past the end.
    pub fn cell_at(&self, c: &Computed, order: [Dim; 3], n: usize) -> Option<QueryCell> {
        if n >= self.cells() {
            return None;
        }
        let (l1, l2) = (self.len(order[1]), self.len(order[2]));
        let (a, b, d) = (n / (l1 * l2), (n / l2) % l1, n % l2);
        let mut ix = [0usize; 3];
        for (dim, k) in order.iter().zip([a, b, d]) {
            ix[*dim as usize] = k;
        }
        Some(self.make(c, ix[0], ix[1], ix[2]))
    }

    fn make(&self, c: &Computed, qi: usize, qu: usize, qy: usize) -> QueryCell {
        let (i, u, y) = (self.indicators[qi], self.units[qu], self.years[qy]);
        let value = c.snapshot.value(i, u, y);
        let flag = if c.flags.is_empty() {
            value.is_none().then_some(Flag::Missing)
        } else {
            match c.flag(i, u, y) {
                Flag::Final => None,
                f => Some(f),
            }
        };
        QueryCell { indicator: qi as u32, unit: qu as u32, year: qy as u16, value, flag }
    }

    /// Every cell from the `skip`-th on, in `order` (outermost first); lazy, allocation-free.
    pub fn walk<'a>(&'a self, c: &'a Computed, order: [Dim; 3], skip: usize) -> impl Iterator<Item = QueryCell> + 'a {
        let lens = [self.len(order[0]), self.len(order[1]), self.len(order[2])];
        (skip..self.cells()).map(move |n| {
            let (a, b, d) = (n / (lens[1] * lens[2]), (n / lens[2]) % lens[1], n % lens[2]);
            let mut ix = [0usize; 3];
            ix[order[0] as usize] = a;
            ix[order[1] as usize] = b;
            ix[order[2] as usize] = d;
            self.make(c, ix[0], ix[1], ix[2])
        })
    }

    /// The query's years as calendar years.
    pub fn calendar_years(&self, c: &Computed) -> Vec<i32> {
        self.years.iter().map(|&y| c.snapshot.first_year() + y as i32).collect()
    }
}

/// The cell order indicator → unit → year (JSON-stat's, and the API's).
pub const STANDARD_ORDER: [Dim; 3] = [Dim::Indicator, Dim::Unit, Dim::Year];

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    fn computed() -> Computed {
        crate::synth::bench_computed(30, 6, 5)
    }

    #[test]
    fn every_cell_of_a_walk_matches_the_snapshot_and_random_access() {
        let c = computed();
        let q = DataQuery::parse(&c, "all", "all", "all", &[]).unwrap();
        assert_eq!(q.cells(), c.definitions.len() * c.codes.len() * c.snapshot.years());
        let mut n = 0;
        for (k, cell) in q.walk(&c, STANDARD_ORDER, 0).enumerate() {
            let (i, u, y) = (q.indicators[cell.indicator as usize], q.units[cell.unit as usize], q.years[cell.year as usize]);
            assert_eq!(cell.value, c.snapshot.value(i, u, y));
            assert_eq!(Some(cell), q.cell_at(&c, STANDARD_ORDER, k));
            n += 1;
        }
        assert_eq!(n, q.cells());
        assert_eq!(q.cell_at(&c, STANDARD_ORDER, n), None);
    }

    #[test]
    fn a_walk_in_another_order_visits_the_same_cells() {
        let c = computed();
        let q = DataQuery::parse(&c, "all", "all", "all", &[]).unwrap();
        let order = [Dim::Year, Dim::Indicator, Dim::Unit];
        let first: Vec<QueryCell> = q.walk(&c, order, 0).take(3).collect();
        assert_eq!((first[0].year, first[0].indicator, first[0].unit), (0, 0, 0));
        assert_eq!((first[1].year, first[1].indicator, first[1].unit), (0, 0, 1));
        let mut a: Vec<(u32, u32, u16)> = q.walk(&c, order, 0).map(|x| (x.indicator, x.unit, x.year)).collect();
        let b: Vec<(u32, u32, u16)> = q.walk(&c, STANDARD_ORDER, 0).map(|x| (x.indicator, x.unit, x.year)).collect();
        a.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn skipping_starts_the_walk_at_that_cell() {
        let c = computed();
        let q = DataQuery::parse(&c, "all", "all", "all", &[]).unwrap();
        let tail: Vec<QueryCell> = q.walk(&c, STANDARD_ORDER, 7).collect();
        assert_eq!(tail.len(), q.cells() - 7);
        assert_eq!(Some(tail[0]), q.cell_at(&c, STANDARD_ORDER, 7));
    }

    #[test]
    fn lists_keep_the_order_asked_for_without_repeats() {
        let c = computed();
        let a = c.codes[3].as_str().to_owned();
        let b = c.codes[1].as_str().to_owned();
        let units = parse_units(&c, &format!("{a},{b},{a}")).unwrap();
        assert_eq!(units, vec![3, 1]);
        let first = c.snapshot.first_year();
        assert_eq!(parse_years(&c, &format!("{},{}-{}", first + 2, first, first + 2)).unwrap(), vec![2, 0, 1]);
        assert_eq!(parse_years(&c, "last").unwrap(), vec![c.snapshot.years() - 1]);
        let n = c.snapshot.years();
        assert_eq!(parse_years(&c, &format!("{}-last", first + 1)).unwrap(), (1..n).collect::<Vec<_>>());
        let code = c.definitions[2].code.clone();
        assert_eq!(parse_indicators(&c, &format!("{code},{code}")).unwrap(), vec![2]);
    }

    #[test]
    fn last_is_each_indicators_newest_year_with_data_not_the_snapshots() {
        let mut c = computed();
        let n = c.snapshot.years();
        // A variable that one indicator reads and another does not loses its last year in
        // every unit.
        let vars_of = |i: usize| -> Vec<usize> {
            let spec = c.snapshot.indicator(i);
            spec.numerator
                .variables()
                .iter()
                .chain(spec.denominator.iter().flat_map(|d| d.variables()))
                .filter_map(|v| c.snapshot.variable_index(v))
                .collect()
        };
        let count = c.snapshot.indicator_count();
        let (first, var, other) = (0..count)
            .flat_map(|i| vars_of(i).into_iter().map(move |v| (i, v)))
            .find_map(|(i, v)| (0..count).find(|&j| !vars_of(j).contains(&v)).map(|j| (i, v, j)))
            .expect("two indicators that do not share every input");
        for u in 0..c.codes.len() {
            c.snapshot = c.snapshot.update_unit(u, &[(var, n - 1, None)]);
        }
        let s = &c.snapshot;
        assert_eq!(s.latest_year_of(first, None), Some(n - 2), "the test needs the indicator to end a year early");
        assert_eq!(s.latest_year_of(other, None), Some(n - 1));
        let (a, b) = (c.definitions[first].code.clone(), c.definitions[other].code.clone());
        let q = DataQuery::parse(&c, &a, "all", "last", &[]).unwrap();
        assert_eq!(q.years, vec![n - 2], "one indicator's last is its own newest year");
        assert!(q.walk(&c, STANDARD_ORDER, 0).any(|x| x.value.is_some()), "its cells have values");
        let both = DataQuery::parse(&c, &format!("{a},{b}"), "all", "last", &[]).unwrap();
        assert_eq!(both.years, vec![n - 2, n - 1], "two indicators' last: each one's newest year");
        let range = DataQuery::parse(&c, &a, "all", &format!("{}-last", s.first_year()), &[]).unwrap();
        assert_eq!(range.years, (0..n - 1).collect::<Vec<_>>());
        assert_eq!(parse_years(&c, "last").unwrap(), vec![n - 1], "checking a token alone knows no indicator");
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let c = computed();
        let cases = [
            (("nope", "all", "all"), "indicators", "no indicator `nope`"),
            (("", "all", "all"), "indicators", "at least one"),
            (("all", "3299999", "all"), "units", "no unit"),
            (("all", "9999999", "all"), "units", "odd województwo"),
            (("all", "xyz", "all"), "units", "`xyz`"),
            (("all", "in:1261011", "all"), "units", "województwo"),
            (("all", "all", "1900"), "years", "no data for 1900"),
            (("all", "all", "abc"), "years", "not a year"),
            (("all", "all", "2013-2011"), "years", "first year"),
            (("all", "", "all"), "units", "at least one unit"),
        ];
        for ((i, u, y), parameter, needle) in cases {
            let e = DataQuery::parse(&c, i, u, y, &[]).unwrap_err();
            assert_eq!(e.parameter, parameter, "{i} {u} {y}: {e}");
            assert!(e.message.contains(needle), "{i} {u} {y}: {e}");
        }
    }

    #[test]
    fn units_inside_a_parent_are_those_whose_code_extends_it() {
        let c = computed();
        let woj = c.codes.iter().find(|k| k.as_str().len() == 7).unwrap().as_str()[..2].to_owned();
        let inside = parse_units(&c, &format!("in:{woj}")).unwrap();
        assert!(!inside.is_empty());
        for u in &inside {
            assert!(c.codes[*u].as_str().starts_with(&woj) && c.codes[*u].as_str() != woj);
        }
        let expected = c.codes.iter().filter(|k| k.as_str().len() > 2 && k.as_str().starts_with(&woj)).count();
        assert_eq!(inside.len(), expected);
    }
}
