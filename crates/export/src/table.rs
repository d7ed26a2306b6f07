//! The tabular layouts (long and wide) shared by CSV, CSV-PL and XLSX: which columns
//! a table has, and the loop that turns checked cells into rows for a [`RowSink`].

use std::borrow::Cow;

use model::Flag;

use crate::order::{OrderCheck, Sizes};
use crate::text::{Column, finite};
use crate::{Cell, Dim, ExportError, Layout, Meta};

/// The columns of the long layout.
const LONG: [Column; 8] = [
    Column::UnitCode,
    Column::UnitName,
    Column::IndicatorCode,
    Column::IndicatorName,
    Column::Year,
    Column::Value,
    Column::MeasureUnit,
    Column::Flag,
];
/// The key columns of the wide layouts, by the dimension over the columns.
const WIDE_YEAR: [Column; 5] = [Column::UnitCode, Column::UnitName, Column::IndicatorCode, Column::IndicatorName, Column::MeasureUnit];
const WIDE_UNIT: [Column; 4] = [Column::IndicatorCode, Column::IndicatorName, Column::MeasureUnit, Column::Year];
const WIDE_INDICATOR: [Column; 3] = [Column::UnitCode, Column::UnitName, Column::Year];

/// The columns of a table in a layout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// The fixed columns: all of them in the long layout, the keys in a wide one.
    pub keys: &'static [Column],
    /// The dimension spread over the columns after the keys, in a wide layout.
    pub wide: Option<Dim>,
}

impl Plan {
    pub(crate) fn new(layout: Layout) -> Plan {
        match layout {
            Layout::Long => Plan { keys: &LONG, wide: None },
            Layout::Wide { columns } => Plan {
                keys: match columns {
                    Dim::Year => &WIDE_YEAR,
                    Dim::Unit => &WIDE_UNIT,
                    Dim::Indicator => &WIDE_INDICATOR,
                },
                wide: Some(columns),
            },
        }
    }

    /// How many columns the table has.
    pub(crate) fn columns(&self, sizes: Sizes) -> u64 {
        self.keys.len() as u64 + self.wide.map_or(0, |d| u64::from(sizes.of_dim(d)))
    }

    /// How many data rows (without the header) the table has.
    pub(crate) fn rows(&self, sizes: Sizes) -> u64 {
        match self.wide {
            None => sizes.total(),
            Some(d) => sizes.total() / u64::from(sizes.of_dim(d)).max(1),
        }
    }
}

/// How many members `dim` has in `meta`.
pub(crate) fn dim_len(meta: &Meta, dim: Dim) -> usize {
    match dim {
        Dim::Indicator => meta.indicators.len(),
        Dim::Unit => meta.units.len(),
        Dim::Year => meta.years.len(),
    }
}

/// The header of the `k`-th column of a wide table over `dim`: for machines the code
/// (or year), for people a label that is also unique.
pub(crate) fn member_header(meta: &Meta, dim: Dim, k: usize, human: bool) -> Cow<'_, str> {
    match dim {
        Dim::Year => Cow::Owned(meta.years.get(k).map_or_else(String::new, |y| y.to_string())),
        Dim::Unit => match meta.units.get(k) {
            None => Cow::Borrowed(""),
            Some(u) if human => Cow::Owned(format!("{} ({})", u.name, u.code)),
            Some(u) => Cow::Borrowed(&u.code),
        },
        Dim::Indicator => match meta.indicators.get(k) {
            None => Cow::Borrowed(""),
            Some(i) if human && i.measure_unit.is_empty() => Cow::Borrowed(&i.name),
            Some(i) if human => Cow::Owned(format!("{} [{}]", i.name, i.measure_unit)),
            Some(i) => Cow::Borrowed(&i.code),
        },
    }
}

/// A writer of rows, one field at a time: the tabular formats.
pub(crate) trait RowSink {
    /// Writes the header row.
    fn header(&mut self, plan: &Plan) -> Result<(), ExportError>;
    /// Writes a key field (any column but `Value` and `Flag`) of the cell at (i, u, y).
    fn key(&mut self, column: Column, i: usize, u: usize, y: usize) -> Result<(), ExportError>;
    /// Writes the value field of a long row.
    fn value(&mut self, i: usize, value: Option<f64>, flag: Option<Flag>) -> Result<(), ExportError>;
    /// Writes the flag field of a long row.
    fn flag(&mut self, flag: Option<Flag>) -> Result<(), ExportError>;
    /// Writes a member field of a wide row: the value, or the flag's word if none.
    fn wide(&mut self, i: usize, value: Option<f64>, flag: Option<Flag>) -> Result<(), ExportError>;
    /// Ends the row.
    fn end_row(&mut self) -> Result<(), ExportError>;
}

/// Writes the header and then every cell as the layout wants it, checking the order.
pub(crate) fn drive(layout: Layout, sizes: Sizes, cells: impl Iterator<Item = Cell>, sink: &mut impl RowSink) -> Result<(), ExportError> {
    let plan = Plan::new(layout);
    sink.header(&plan)?;
    let mut check = OrderCheck::new(crate::order(layout), sizes);
    for cell in cells {
        let placed = check.accept(&cell)?;
        let (i, u, y) = (cell.indicator as usize, cell.unit as usize, usize::from(cell.year));
        let value = finite(cell.value);
        match plan.wide {
            None => {
                for column in plan.keys {
                    match column {
                        Column::Value => sink.value(i, value, cell.flag)?,
                        Column::Flag => sink.flag(cell.flag)?,
                        c => sink.key(*c, i, u, y)?,
                    }
                }
                sink.end_row()?;
            }
            Some(_) => {
                if placed.first {
                    for column in plan.keys {
                        sink.key(*column, i, u, y)?;
                    }
                }
                sink.wide(i, value, cell.flag)?;
                if placed.last {
                    sink.end_row()?;
                }
            }
        }
    }
    check.finish()
}
