//! JSON (metadata and a streamed `data` array of records) and JSON-stat 2.0 (a streamed
//! dense `value` array, then the sparse `status` of flagged cells).

use std::io::{BufWriter, Write};

use model::Flag;

use crate::order::{OrderCheck, Sizes};
use crate::text::{MAX_DECIMALS, Word, finite, flag_meaning, flag_word, jsonstat_status, shown_flag};
use crate::{CANONICAL, Cell, Dim, ExportError, Lang, Meta};

/// Writes a JSON string (escaped by serde_json).
fn string(w: &mut impl Write, s: &str) -> Result<(), ExportError> {
    serde_json::to_writer(w, s)?;
    Ok(())
}

/// Writes `"key":`.
fn key(w: &mut impl Write, k: &str) -> Result<(), ExportError> {
    string(w, k)?;
    w.write_all(b":")?;
    Ok(())
}

/// Writes `,"key":"value"`, or without the comma when `first`.
fn field(w: &mut impl Write, first: bool, k: &str, v: &str) -> Result<(), ExportError> {
    if !first {
        w.write_all(b",")?;
    }
    key(w, k)?;
    string(w, v)
}

/// Writes a number, or `null` for none or a non-finite one.
fn number(w: &mut impl Write, v: Option<f64>) -> Result<(), ExportError> {
    match finite(v) {
        Some(v) => serde_json::to_writer(w, &v)?,
        None => w.write_all(b"null")?,
    }
    Ok(())
}

/// Every code of a dimension, already JSON-encoded (the codes repeat in every record).
fn encoded<'a>(codes: impl Iterator<Item = &'a str>) -> Result<Vec<String>, ExportError> {
    codes.map(|c| serde_json::to_string(c).map_err(ExportError::from)).collect()
}

pub(crate) fn write_json<W: Write>(meta: &Meta, cells: impl Iterator<Item = Cell>, out: W) -> Result<(), ExportError> {
    let sizes = Sizes::of(meta)?;
    let mut w = BufWriter::with_capacity(1 << 16, out);
    w.write_all(b"{")?;
    field(&mut w, true, "title", &meta.title)?;
    field(&mut w, false, "lang", meta.lang.code())?;
    field(&mut w, false, "generated", &meta.generated)?;
    field(&mut w, false, "source", &meta.source_note)?;
    field(&mut w, false, "url", &meta.url)?;

    w.write_all(b",\"indicators\":[")?;
    for (k, i) in meta.indicators.iter().enumerate() {
        w.write_all(if k == 0 { b"\n{" } else { b",\n{" })?;
        field(&mut w, true, "code", &i.code)?;
        field(&mut w, false, "name", &i.name)?;
        field(&mut w, false, "measure_unit", &i.measure_unit)?;
        field(&mut w, false, "definition", &i.definition)?;
        field(&mut w, false, "source", &i.source)?;
        write!(w, ",\"decimals\":{}}}", i.decimals.min(MAX_DECIMALS))?;
    }
    w.write_all(b"],\n\"units\":[")?;
    for (k, u) in meta.units.iter().enumerate() {
        w.write_all(if k == 0 { b"\n{" } else { b",\n{" })?;
        field(&mut w, true, "code", &u.code)?;
        field(&mut w, false, "name", &u.name)?;
        field(&mut w, false, "kind", &u.kind)?;
        w.write_all(b"}")?;
    }
    w.write_all(b"],\n\"years\":[")?;
    for (k, y) in meta.years.iter().enumerate() {
        if k > 0 {
            w.write_all(b",")?;
        }
        write!(w, "{y}")?;
    }
    w.write_all(b"],\n\"data\":[")?;

    let units = encoded(meta.units.iter().map(|u| u.code.as_str()))?;
    let indicators = encoded(meta.indicators.iter().map(|i| i.code.as_str()))?;
    let mut check = OrderCheck::new(CANONICAL, sizes);
    let mut first = true;
    for cell in cells {
        check.accept(&cell)?;
        w.write_all(if first { b"\n{\"unit\":" } else { b",\n{\"unit\":" })?;
        first = false;
        let unit = units.get(cell.unit as usize).map_or("null", |s| s.as_str());
        let indicator = indicators.get(cell.indicator as usize).map_or("null", |s| s.as_str());
        let year = meta.years.get(usize::from(cell.year)).copied().unwrap_or(0);
        write!(w, "{unit},\"indicator\":{indicator},\"year\":{year},\"value\":")?;
        number(&mut w, cell.value)?;
        match shown_flag(cell.flag) {
            Some(f) => write!(w, ",\"flag\":\"{}\"}}", f.as_str())?,
            None => w.write_all(b",\"flag\":null}")?,
        }
    }
    // Only a complete table gets closed: a failed export does not parse.
    check.finish()?;
    w.write_all(b"\n]}\n")?;
    w.flush()?;
    Ok(())
}

/// The label of a JSON-stat dimension, in `lang`.
fn dim_label(dim: Dim, lang: Lang) -> &'static str {
    match dim {
        Dim::Indicator => crate::text::Column::IndicatorName.label(lang),
        Dim::Unit => Word::UnitsDim.get(lang),
        Dim::Year => crate::text::Column::Year.label(lang),
    }
}

/// Writes `"index":{code:0,…},"label":{code:label,…}` of a category.
fn category<'a>(w: &mut impl Write, members: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Result<(), ExportError> {
    w.write_all(b"\"index\":{")?;
    for (k, (code, _)) in members.clone().enumerate() {
        if k > 0 {
            w.write_all(b",")?;
        }
        key(w, code)?;
        write!(w, "{k}")?;
    }
    w.write_all(b"},\"label\":{")?;
    for (k, (code, label)) in members.enumerate() {
        if k > 0 {
            w.write_all(b",")?;
        }
        key(w, code)?;
        string(w, label)?;
    }
    w.write_all(b"}")?;
    Ok(())
}

pub(crate) fn write_jsonstat<W: Write>(meta: &Meta, cells: impl Iterator<Item = Cell>, out: W) -> Result<(), ExportError> {
    let sizes = Sizes::of(meta)?;
    let lang = meta.lang;
    let mut w = BufWriter::with_capacity(1 << 16, out);
    w.write_all(b"{\"version\":\"2.0\",\"class\":\"dataset\"")?;
    field(&mut w, false, "label", &meta.title)?;
    field(&mut w, false, "source", &meta.source_note)?;
    field(&mut w, false, "updated", &meta.generated)?;
    field(&mut w, false, "href", &meta.url)?;
    write!(w, ",\n\"id\":[\"indicator\",\"unit\",\"year\"],\"size\":[{},{},{}]", sizes.indicators, sizes.units, sizes.years)?;
    w.write_all(b",\n\"role\":{\"metric\":[\"indicator\"],\"geo\":[\"unit\"],\"time\":[\"year\"]}")?;

    w.write_all(b",\n\"dimension\":{\n\"indicator\":{")?;
    field(&mut w, true, "label", dim_label(Dim::Indicator, lang))?;
    w.write_all(b",\"category\":{")?;
    category(&mut w, meta.indicators.iter().map(|i| (i.code.as_str(), i.name.as_str())))?;
    w.write_all(b",\"unit\":{")?;
    for (k, i) in meta.indicators.iter().enumerate() {
        if k > 0 {
            w.write_all(b",")?;
        }
        key(&mut w, &i.code)?;
        w.write_all(b"{")?;
        field(&mut w, true, "label", &i.measure_unit)?;
        write!(w, ",\"decimals\":{}}}", i.decimals.min(MAX_DECIMALS))?;
    }
    w.write_all(b"}}},\n\"unit\":{")?;
    field(&mut w, true, "label", dim_label(Dim::Unit, lang))?;
    w.write_all(b",\"category\":{")?;
    category(&mut w, meta.units.iter().map(|u| (u.code.as_str(), u.name.as_str())))?;
    w.write_all(b"},\"extension\":{\"kind\":{")?;
    for (k, u) in meta.units.iter().enumerate() {
        if k > 0 {
            w.write_all(b",")?;
        }
        key(&mut w, &u.code)?;
        string(&mut w, &u.kind)?;
    }
    w.write_all(b"}}},\n\"year\":{")?;
    field(&mut w, true, "label", dim_label(Dim::Year, lang))?;
    w.write_all(b",\"category\":{")?;
    let years: Vec<String> = meta.years.iter().map(|y| y.to_string()).collect();
    category(&mut w, years.iter().map(|y| (y.as_str(), y.as_str())))?;
    w.write_all(b"}}},\n\"value\":[")?;

    // The only part kept in memory: the flagged cells, by linear index.
    let mut status: Vec<(u64, &'static str)> = Vec::new();
    let mut check = OrderCheck::new(CANONICAL, sizes);
    for (index, cell) in (0_u64..).zip(cells) {
        check.accept(&cell)?;
        if index > 0 {
            w.write_all(b",")?;
        }
        number(&mut w, cell.value)?;
        if let Some(symbol) = cell.flag.and_then(jsonstat_status) {
            status.push((index, symbol));
        }
    }
    check.finish()?;
    w.write_all(b"]")?;
    if !status.is_empty() {
        w.write_all(b",\n\"status\":{")?;
        for (k, (index, symbol)) in status.iter().enumerate() {
            if k > 0 {
                w.write_all(b",")?;
            }
            write!(w, "\"{index}\":\"{symbol}\"")?;
        }
        w.write_all(b"}")?;
    }
    w.write_all(b",\n\"extension\":{")?;
    field(&mut w, true, "lang", lang.code())?;
    w.write_all(b",\"flags\":{")?;
    let flagged = Flag::ALL.into_iter().filter_map(|f| jsonstat_status(f).map(|s| (f, s)));
    for (k, (flag, symbol)) in flagged.enumerate() {
        if k > 0 {
            w.write_all(b",")?;
        }
        key(&mut w, symbol)?;
        w.write_all(b"{")?;
        field(&mut w, true, "flag", flag.as_str())?;
        field(&mut w, false, "label", flag_word(flag, lang))?;
        field(&mut w, false, "meaning", flag_meaning(flag, lang))?;
        w.write_all(b"}")?;
    }
    w.write_all(b"}}}\n")?;
    w.flush()?;
    Ok(())
}
