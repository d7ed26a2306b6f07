//! The order contract: checking that cells come in the needed order, and generating it.

use std::collections::HashSet;

use crate::{Cell, Dim, ExportError, Meta};

/// The sizes of the three dimensions of `meta`, checked to fit a [`Cell`]'s indices,
/// and the codes checked to be unique.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub indicators: u32,
    pub units: u32,
    pub years: u32,
}

impl Sizes {
    pub(crate) fn of(meta: &Meta) -> Result<Sizes, ExportError> {
        let indicators = fit(Dim::Indicator, meta.indicators.len(), u32::MAX)?;
        let units = fit(Dim::Unit, meta.units.len(), u32::MAX)?;
        let years = fit(Dim::Year, meta.years.len(), u32::from(u16::MAX) + 1)?;
        unique(Dim::Indicator, meta.indicators.iter().map(|i| i.code.as_str()))?;
        unique(Dim::Unit, meta.units.iter().map(|u| u.code.as_str()))?;
        let mut seen = HashSet::with_capacity(meta.years.len());
        for y in &meta.years {
            if !seen.insert(*y) {
                return Err(ExportError::DuplicateCode { dim: Dim::Year, code: y.to_string() });
            }
        }
        Ok(Sizes { indicators, units, years })
    }

    pub(crate) fn of_dim(self, dim: Dim) -> u32 {
        match dim {
            Dim::Indicator => self.indicators,
            Dim::Unit => self.units,
            Dim::Year => self.years,
        }
    }

    /// The number of cells; at most 2^32 · 2^32 · 2^16, which can overflow, hence the
    /// saturation (such a table could never be streamed anyway).
    pub(crate) fn total(self) -> u64 {
        u64::from(self.indicators).saturating_mul(u64::from(self.units)).saturating_mul(u64::from(self.years))
    }
}

/// A dimension's size, if it has at most `max` members.
fn fit(dim: Dim, len: usize, max: u32) -> Result<u32, ExportError> {
    match u32::try_from(len) {
        Ok(n) if n <= max => Ok(n),
        _ => Err(ExportError::TooManyMembers { dim, len, max: u64::from(max) }),
    }
}

fn unique<'a>(dim: Dim, codes: impl ExactSizeIterator<Item = &'a str>) -> Result<(), ExportError> {
    let mut seen = HashSet::with_capacity(codes.len());
    for code in codes {
        if !seen.insert(code) {
            return Err(ExportError::DuplicateCode { dim, code: code.to_owned() });
        }
    }
    Ok(())
}

/// Checks a stream of cells against the order contract, one cell at a time.
#[derive(Debug)]
pub(crate) struct OrderCheck {
    order: [Dim; 3],
    /// The sizes in `order`'s order.
    sizes: [u32; 3],
    /// The next expected position, in `order`'s order.
    pos: [u32; 3],
    sizes_by_dim: Sizes,
    seen: u64,
    total: u64,
}

/// Where a checked cell sits in its row of a wide table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placed {
    /// The cell is the first of its innermost run (the first column of a wide row).
    pub first: bool,
    /// The cell is the last of its innermost run.
    pub last: bool,
}

impl OrderCheck {
    pub(crate) fn new(order: [Dim; 3], sizes: Sizes) -> OrderCheck {
        OrderCheck { order, sizes: order.map(|d| sizes.of_dim(d)), pos: [0; 3], sizes_by_dim: sizes, seen: 0, total: sizes.total() }
    }

    /// Accepts the next cell if it is in range and the one expected.
    pub(crate) fn accept(&mut self, cell: &Cell) -> Result<Placed, ExportError> {
        let s = self.sizes_by_dim;
        if cell.indicator >= s.indicators || cell.unit >= s.units || u32::from(cell.year) >= s.years {
            return Err(ExportError::OutOfRange {
                position: self.seen,
                indicator: cell.indicator,
                unit: cell.unit,
                year: cell.year,
                indicators: s.indicators as usize,
                units: s.units as usize,
                years: s.years as usize,
            });
        }
        if self.seen >= self.total {
            return Err(ExportError::TooManyCells { expected: self.total });
        }
        let got = self.order.map(|d| index_of(cell, d));
        if got != self.pos {
            let expected = |dim: Dim| self.order.iter().position(|d| *d == dim).map_or(0, |k| self.pos[k]);
            return Err(ExportError::OutOfOrder {
                position: self.seen,
                order: self.order.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", "),
                expected_indicator: expected(Dim::Indicator),
                expected_unit: expected(Dim::Unit),
                // Below the year count, itself at most 65,536.
                expected_year: u16::try_from(expected(Dim::Year)).unwrap_or(u16::MAX),
                indicator: cell.indicator,
                unit: cell.unit,
                year: cell.year,
            });
        }
        let placed = Placed { first: self.pos[2] == 0, last: self.pos[2] + 1 == self.sizes[2] };
        self.seen += 1;
        // Advance the odometer, innermost first.
        for k in (0..3).rev() {
            self.pos[k] += 1;
            if self.pos[k] < self.sizes[k] || k == 0 {
                break;
            }
            self.pos[k] = 0;
        }
        Ok(placed)
    }

    /// Checks that every cell came.
    pub(crate) fn finish(&self) -> Result<(), ExportError> {
        if self.seen == self.total { Ok(()) } else { Err(ExportError::MissingCells { expected: self.total, got: self.seen }) }
    }
}

fn index_of(cell: &Cell, dim: Dim) -> u32 {
    match dim {
        Dim::Indicator => cell.indicator,
        Dim::Unit => cell.unit,
        Dim::Year => u32::from(cell.year),
    }
}

/// Every (indicator, unit, year) index triple of `meta`'s table in `order` (outermost
/// first): the sequence of positions a writer expects, e.g. to merge sparse
/// observations into the dense stream of [`Cell`]s. Dimensions too large for a
/// [`Cell`] are cut to what it can index.
pub fn positions(order: [Dim; 3], meta: &Meta) -> impl Iterator<Item = (u32, u32, u16)> + use<> {
    let size = |d: Dim| -> u32 {
        match d {
            Dim::Indicator => u32::try_from(meta.indicators.len()).unwrap_or(u32::MAX),
            Dim::Unit => u32::try_from(meta.units.len()).unwrap_or(u32::MAX),
            Dim::Year => u32::try_from(meta.years.len().min(usize::from(u16::MAX) + 1)).unwrap_or(u32::MAX),
        }
    };
    let sizes = order.map(size);
    let empty = sizes.contains(&0);
    let mut pos = [0u32; 3];
    let mut done = empty;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let current = pos;
        for k in (0..3).rev() {
            pos[k] += 1;
            if pos[k] < sizes[k] {
                break;
            }
            pos[k] = 0;
            if k == 0 {
                done = true;
            }
        }
        let at = |dim: Dim| order.iter().position(|d| *d == dim).map_or(0, |k| current[k]);
        Some((at(Dim::Indicator), at(Dim::Unit), u16::try_from(at(Dim::Year)).unwrap_or(u16::MAX)))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;
    use crate::{IndicatorMeta, Lang, UnitMeta};

    fn meta(ni: usize, nu: usize, ny: usize) -> Meta {
        Meta {
            title: String::new(),
            lang: Lang::En,
            indicators: (0..ni)
                .map(|i| IndicatorMeta {
                    code: format!("i{i}"),
                    name: String::new(),
                    measure_unit: String::new(),
                    definition: String::new(),
                    source: String::new(),
                    decimals: 0,
                })
                .collect(),
            units: (0..nu).map(|u| UnitMeta { code: format!("u{u}"), name: String::new(), kind: String::new() }).collect(),
            years: (0..ny).map(|y| 2000 + y as i32).collect(),
            generated: String::new(),
            source_note: String::new(),
            url: String::new(),
        }
    }

    fn cell((indicator, unit, year): (u32, u32, u16)) -> Cell {
        Cell { indicator, unit, year, value: None, flag: None }
    }

    #[test]
    fn positions_follow_each_order_and_pass_the_check() {
        let m = meta(2, 3, 4);
        for order in [crate::CANONICAL, [Dim::Indicator, Dim::Year, Dim::Unit], [Dim::Unit, Dim::Year, Dim::Indicator]] {
            let all: Vec<_> = positions(order, &m).collect();
            assert_eq!(all.len(), 24);
            let set: HashSet<_> = all.iter().copied().collect();
            assert_eq!(set.len(), 24);
            let mut check = OrderCheck::new(order, Sizes::of(&m).unwrap());
            for p in &all {
                check.accept(&cell(*p)).unwrap();
            }
            check.finish().unwrap();
            assert!(matches!(check.accept(&cell((0, 0, 0))), Err(ExportError::TooManyCells { expected: 24 })));
        }
        let first: Vec<_> = positions([Dim::Unit, Dim::Year, Dim::Indicator], &m).take(3).collect();
        assert_eq!(first, vec![(0, 0, 0), (1, 0, 0), (0, 0, 1)]);
    }

    #[test]
    fn wrong_order_missing_and_range_are_errors() {
        let m = meta(2, 2, 2);
        let mut check = OrderCheck::new(crate::CANONICAL, Sizes::of(&m).unwrap());
        check.accept(&cell((0, 0, 0))).unwrap();
        let err = check.accept(&cell((0, 1, 0))).unwrap_err();
        assert!(matches!(err, ExportError::OutOfOrder { position: 1, expected_year: 1, .. }));
        assert!(err.to_string().contains("indicator, unit, year"));
        assert!(matches!(check.accept(&cell((0, 0, 2))), Err(ExportError::OutOfRange { .. })));
        assert!(matches!(check.finish(), Err(ExportError::MissingCells { expected: 8, got: 1 })));
        assert_eq!(positions(crate::CANONICAL, &meta(0, 5, 5)).count(), 0);
    }

    #[test]
    fn duplicate_codes_are_errors() {
        let mut m = meta(1, 2, 2);
        m.units[1].code = "u0".into();
        assert!(matches!(Sizes::of(&m), Err(ExportError::DuplicateCode { dim: Dim::Unit, .. })));
        let mut m = meta(1, 1, 2);
        m.years[1] = m.years[0];
        assert!(matches!(Sizes::of(&m), Err(ExportError::DuplicateCode { dim: Dim::Year, .. })));
    }
}
