//! CSV in two dialects: machine CSV (`,`, `\n`, keys, full precision) and the Polish
//! Excel dialect (BOM, `;`, `\r\n`, decimal comma, rounded values, words in the language).

use std::io::Write;

use model::Flag;

use crate::order::Sizes;
use crate::table::{self, Plan, RowSink, dim_len, member_header};
use crate::text::{Column, csv_safe, flag_word, push_full, push_rounded, shown_flag};
use crate::{ExportError, Layout, Meta};

/// Which CSV to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// [`crate::Format::Csv`].
    Machine,
    /// [`crate::Format::CsvPl`].
    Excel,
}

pub(crate) fn write<W: Write>(
    dialect: Dialect,
    layout: Layout,
    meta: &Meta,
    cells: impl Iterator<Item = crate::Cell>,
    mut out: W,
) -> Result<(), ExportError> {
    let sizes = Sizes::of(meta)?;
    let mut builder = csv::WriterBuilder::new();
    builder.buffer_capacity(1 << 16).has_headers(false);
    match dialect {
        Dialect::Machine => {
            builder.delimiter(b',').terminator(csv::Terminator::Any(b'\n'));
        }
        Dialect::Excel => {
            out.write_all("\u{feff}".as_bytes())?;
            builder.delimiter(b';').terminator(csv::Terminator::CRLF);
        }
    }
    let mut sink = CsvSink {
        wtr: builder.from_writer(out),
        meta,
        dialect,
        buf: String::with_capacity(32),
        years: meta.years.iter().map(|y| y.to_string()).collect(),
    };
    table::drive(layout, sizes, cells, &mut sink)?;
    sink.wtr.flush()?;
    Ok(())
}

struct CsvSink<'m, W: Write> {
    wtr: csv::Writer<W>,
    meta: &'m Meta,
    dialect: Dialect,
    buf: String,
    years: Vec<String>,
}

impl<W: Write> CsvSink<'_, W> {
    /// A text cell (a name, code, label or flag), through [`csv_safe`] in both dialects;
    /// numbers and years are written as they are.
    fn text(&mut self, text: &str) -> Result<(), ExportError> {
        self.wtr.write_field(csv_safe(text).as_ref())?;
        Ok(())
    }

    fn number(&mut self, i: usize, v: f64) -> Result<(), ExportError> {
        self.buf.clear();
        match self.dialect {
            Dialect::Machine => push_full(&mut self.buf, v),
            Dialect::Excel => {
                let decimals = self.meta.indicators.get(i).map_or(0, |m| m.decimals);
                push_rounded(&mut self.buf, v, decimals, ',');
            }
        }
        self.wtr.write_field(&self.buf)?;
        Ok(())
    }

    fn flag_text(&self, flag: Option<Flag>) -> &'static str {
        match (shown_flag(flag), self.dialect) {
            (None, _) => "",
            (Some(f), Dialect::Machine) => f.as_str(),
            (Some(f), Dialect::Excel) => flag_word(f, self.meta.lang),
        }
    }
}

impl<W: Write> RowSink for CsvSink<'_, W> {
    fn header(&mut self, plan: &Plan) -> Result<(), ExportError> {
        let human = self.dialect == Dialect::Excel;
        for column in plan.keys {
            let text = if human { column.label(self.meta.lang) } else { column.key() };
            self.wtr.write_field(text)?;
        }
        if let Some(dim) = plan.wide {
            let n = dim_len(self.meta, dim);
            for k in 0..n {
                let text = member_header(self.meta, dim, k, human);
                self.text(&text)?;
            }
        }
        self.wtr.write_record(None::<&[u8]>)?;
        Ok(())
    }

    fn key(&mut self, column: Column, i: usize, u: usize, y: usize) -> Result<(), ExportError> {
        let meta = self.meta;
        match (column, column.text(meta, i, u)) {
            (_, Some(text)) => self.text(text),
            (Column::Year, None) => {
                let year = self.years.get(y).map_or("", |s| s.as_str());
                self.wtr.write_field(year)?;
                Ok(())
            }
            (_, None) => self.text(""),
        }
    }

    fn value(&mut self, i: usize, value: Option<f64>, _flag: Option<Flag>) -> Result<(), ExportError> {
        match value {
            Some(v) => self.number(i, v),
            None => Ok(self.wtr.write_field("")?),
        }
    }

    fn flag(&mut self, flag: Option<Flag>) -> Result<(), ExportError> {
        let text = self.flag_text(flag);
        self.text(text)
    }

    fn wide(&mut self, i: usize, value: Option<f64>, flag: Option<Flag>) -> Result<(), ExportError> {
        match value {
            Some(v) => self.number(i, v),
            None => self.flag(flag),
        }
    }

    fn end_row(&mut self) -> Result<(), ExportError> {
        self.wtr.write_record(None::<&[u8]>)?;
        Ok(())
    }
}
