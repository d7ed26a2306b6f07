//! The XLSX template of a questionnaire, pre-filled for one unit, and the reader of a filled
//! one uploaded back (through ingest's bounded XLSX reader; the answers then go through the
//! same validation as the web form).
//!
//! Layout of sheet `ankieta`: row 1 a title, row 2 what to do, row 3 the header, then one row
//! per field: A the key (`FORM|VARIABLE`, hidden and locked), B the variable code, C the label,
//! D the measure unit, E last year's value, F the peer median, G the value, H the comment.
//! The sheet is protected (no password) with only G and H unlocked.

use ingest::form::FormDef;
use ingest::sheet::{Cell, SheetRow};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

use crate::AppError;
use crate::campaigns::{CampaignError, EntryView};
use crate::form_check::Entry;

/// The sheet's name.
pub const SHEET: &str = "ankieta";
/// Rows before the fields (title, instructions, header).
const HEAD_ROWS: u32 = 3;
const COL_KEY: usize = 0;
const COL_CODE: usize = 1;
const COL_VALUE: usize = 6;
const COL_COMMENT: usize = 7;
/// The largest upload read: a template is a few kilobytes.
pub const MAX_UPLOAD_BYTES: usize = 8 << 20;

fn key(form: &FormDef, variable: &str) -> String {
    format!("{}|{variable}", form.code)
}

fn xlsx_err(e: XlsxError) -> AppError {
    AppError::Invalid(format!("cannot write the XLSX template: {e}"))
}

/// The template of `view`'s form for its unit, with the saved answers filled in.
pub fn template(view: &EntryView) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(SHEET).map_err(xlsx_err)?;
    let bold = Format::new().set_bold();
    let head = Format::new().set_bold().set_text_wrap().set_align(FormatAlign::Top);
    let open = Format::new().set_unlocked();
    let open_text = Format::new().set_unlocked().set_text_wrap();
    let year = view.campaign.year;
    let title = format!(
        "{} — {} {} — rok / year {year} ({} v{})",
        view.campaign.name, view.unit_code, view.unit_name, view.form.code, view.campaign.form_version
    );
    sheet.write_string_with_format(0, 1, &title, &bold).map_err(xlsx_err)?;
    sheet
        .write_string(
            1,
            1,
            "Wpisz wartości w kolumnie G, a wyjaśnienia w kolumnie H; pozostałych kolumn nie zmieniaj. / \
             Enter the values in column G and explanations in column H; leave the other columns as they are.",
        )
        .map_err(xlsx_err)?;
    let headers = [
        "klucz / key".to_owned(),
        "kod / code".to_owned(),
        "pole / field".to_owned(),
        "jednostka / unit".to_owned(),
        format!("{} (rok / year {})", "wartość z poprzedniego roku / last year", year - 1),
        format!("mediana grupy / peer median ({})", view.peer_group.label_pl),
        format!("wartość / value {year}"),
        "komentarz / comment".to_owned(),
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(HEAD_ROWS - 1, c as u16, h, &head).map_err(xlsx_err)?;
    }
    for (i, f) in view.form.fields.iter().enumerate() {
        let row = HEAD_ROWS + i as u32;
        sheet.write_string(row, COL_KEY as u16, key(&view.form, &f.variable)).map_err(xlsx_err)?;
        sheet.write_string(row, COL_CODE as u16, &f.variable).map_err(xlsx_err)?;
        sheet.write_string(row, 2, format!("{} / {}", f.label_pl, f.label_en)).map_err(xlsx_err)?;
        sheet.write_string(row, 3, f.measure_unit.as_deref().unwrap_or("")).map_err(xlsx_err)?;
        if let Some(v) = view.last_year.get(&f.variable) {
            sheet.write_number(row, 4, *v).map_err(xlsx_err)?;
        }
        if let Some(v) = view.peer_median.get(&f.variable) {
            sheet.write_number(row, 5, *v).map_err(xlsx_err)?;
        }
        let entry = view.entries.iter().find(|e| e.variable == f.variable);
        match entry {
            Some(Entry { value: Some(v), .. }) => sheet.write_number_with_format(row, COL_VALUE as u16, *v, &open),
            Some(Entry { raw: Some(r), .. }) => sheet.write_string_with_format(row, COL_VALUE as u16, r, &open),
            _ => sheet.write_blank(row, COL_VALUE as u16, &open),
        }
        .map_err(xlsx_err)?;
        match entry.and_then(|e| e.comment.as_deref()) {
            Some(c) => sheet.write_string_with_format(row, COL_COMMENT as u16, c, &open_text),
            None => sheet.write_blank(row, COL_COMMENT as u16, &open_text),
        }
        .map_err(xlsx_err)?;
    }
    for (c, w) in [(1u16, 18.0), (2, 48.0), (3, 12.0), (4, 16.0), (5, 16.0), (6, 16.0), (7, 40.0)] {
        sheet.set_column_width(c, w).map_err(xlsx_err)?;
    }
    sheet.set_column_hidden(COL_KEY as u16).map_err(xlsx_err)?;
    sheet.protect();
    book.save_to_buffer().map_err(xlsx_err)
}

fn upload_err(line: u64, col: usize, pl: &str, en: &str) -> AppError {
    let column = ingest::sheet::column_letters(col);
    CampaignError::Upload {
        pl: format!("arkusz {SHEET}, wiersz {line}, kolumna {column}: {pl}"),
        en: format!("sheet {SHEET}, row {line}, column {column}: {en}"),
    }
    .into()
}

fn text_of(c: &Cell) -> Option<String> {
    match c {
        Cell::Empty => None,
        Cell::Text(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Cell::Number(n) => Some(n.to_string()),
        Cell::Bool(b) => Some(b.to_string()),
        Cell::Other(s) => Some(s.clone()),
    }
}

/// Reads a filled-in template of `form`: the answers of the fields it has rows for, in the
/// file's order. Refused, naming the cell: a file that is not an XLSX workbook, a workbook
/// without sheet `ankieta` or past the reader's limits, a template of another form, a field
/// code not in the form, a field twice, a value that is a date, a truth value or an error
/// (`#DIV/0!`). A value typed as text is kept as typed (the validation says if it is not a
/// number).
pub fn read_upload(bytes: &[u8], form: &FormDef) -> Result<Vec<Entry>, AppError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(CampaignError::Upload {
            pl: format!("plik jest za duży ({} B); szablon ankiety ma kilka kilobajtów", bytes.len()),
            en: format!("the file is too large ({} B); a questionnaire template is a few kilobytes", bytes.len()),
        }
        .into());
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(CampaignError::Upload {
            pl: "to nie jest plik XLSX; pobierz szablon ankiety, wypełnij go i wyślij jako .xlsx".into(),
            en: "this is not an XLSX file; download the questionnaire template, fill it in and upload it as .xlsx".into(),
        }
        .into());
    }
    let rows: Vec<SheetRow> = ingest::sheet::read_xlsx_sheet(bytes, "ankieta.xlsx", SHEET, form.fields.len() + 100)
        .map_err(|e| CampaignError::Upload { pl: format!("nie można odczytać pliku: {e}"), en: format!("cannot read the file: {e}") })?;
    let prefix = format!("{}|", form.code);
    let mut out: Vec<Entry> = Vec::new();
    for r in rows.iter().filter(|r| r.line > u64::from(HEAD_ROWS)) {
        let key = text_of(r.cell(COL_KEY));
        let code = text_of(r.cell(COL_CODE));
        let variable = match (&key, &code) {
            (Some(k), _) if k.starts_with(&prefix) => k[prefix.len()..].to_owned(),
            (Some(k), _) if k.contains('|') => {
                return Err(upload_err(
                    r.line,
                    COL_KEY,
                    &format!("to szablon innego formularza ({}), nie „{}”", ingest::tame(k.split('|').next().unwrap_or("")), form.code),
                    &format!("this is the template of another form ({}), not `{}`", ingest::tame(k.split('|').next().unwrap_or("")), form.code),
                ));
            }
            // The hidden key column lost (pasted into another workbook): the visible code.
            (_, Some(c)) => c.clone(),
            (_, None) => {
                if text_of(r.cell(COL_VALUE)).is_some() {
                    return Err(upload_err(r.line, COL_CODE, "wartość bez kodu pola", "a value without a field code"));
                }
                continue;
            }
        };
        let col = if key.is_some() { COL_KEY } else { COL_CODE };
        if form.field(&variable).is_none() {
            return Err(upload_err(
                r.line,
                col,
                &format!("nieznany kod pola „{}”; ten formularz go nie ma", ingest::tame(&variable)),
                &format!("unknown field code `{}`; the form has no such field", ingest::tame(&variable)),
            ));
        }
        if out.iter().any(|e| e.variable == variable) {
            return Err(upload_err(r.line, col, &format!("pole „{variable}” po raz drugi"), &format!("field `{variable}` a second time")));
        }
        let (value, raw) = match r.cell(COL_VALUE) {
            Cell::Empty => (None, None),
            Cell::Number(n) if n.is_finite() => (Some(*n), None),
            Cell::Text(t) => {
                let e = crate::campaigns::entry_from_input(&variable, t, None);
                (e.value, e.raw)
            }
            Cell::Bool(_) | Cell::Number(_) => {
                return Err(upload_err(r.line, COL_VALUE, "to nie jest liczba", "not a number"));
            }
            Cell::Other(s) => {
                return Err(upload_err(
                    r.line,
                    COL_VALUE,
                    &format!("„{}” nie jest liczbą (data albo błąd formuły?)", ingest::tame(s)),
                    &format!("`{}` is not a number (a date or a formula error?)", ingest::tame(s)),
                ));
            }
        };
        out.push(Entry { variable, value, raw, comment: text_of(r.cell(COL_COMMENT)) });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaigns::tests::{fixture, new_campaign};
    use crate::campaigns::{Intent, entry_from_input, entry_view, save};

    fn upload_message(e: AppError) -> (String, String) {
        match e {
            AppError::Campaign(CampaignError::Upload { pl, en }) => (pl, en),
            e => panic!("an upload error expected, got {e}"),
        }
    }

    /// A workbook with sheet `ankieta` holding `rows` (key, code, value) from row 4 on.
    fn workbook(rows: &[(&str, &str, &str)]) -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name(SHEET).expect("name");
        sheet.write_string(2, 1, "kod / code").expect("write");
        for (i, (k, c, v)) in rows.iter().enumerate() {
            let r = HEAD_ROWS + i as u32;
            sheet.write_string(r, 0, *k).expect("write");
            sheet.write_string(r, 1, *c).expect("write");
            sheet.write_string(r, 6, *v).expect("write");
        }
        book.save_to_buffer().expect("save")
    }

    #[tokio::test]
    async fn template_round_trips_and_bad_uploads_are_refused() {
        let (_dir, store, ids) = fixture().await;
        let c = new_campaign(&store).await;
        let jan = store::Actor::named("user:jan");
        let typed = [entry_from_input("uczniowie_sp", "1 234", Some("nowa szkoła")), entry_from_input("oddzialy_sp", "kilka", None)];
        save(&store, &jan, c.id, ids[0], &typed, Intent::Draft).await.expect("draft");
        let view = entry_view(&store, c.id, ids[0]).await.expect("view");
        let bytes = template(&view).expect("template");
        let back = read_upload(&bytes, &view.form).expect("read back");
        assert_eq!(back, view.entries, "the template reads back as the saved answers");
        assert_eq!(back[0].value, Some(1234.0));
        assert_eq!(back[1].raw.as_deref(), Some("kilka"));

        // Typed as text in the sheet, a Polish number is read as a number.
        let filled = workbook(&[("test|uczniowie_sp", "uczniowie_sp", "1 500,5"), ("", "oddzialy_sp", "12")]);
        let got = read_upload(&filled, &view.form).expect("filled");
        assert_eq!(
            got.iter().map(|e| (e.variable.as_str(), e.value)).collect::<Vec<_>>(),
            [("uczniowie_sp", Some(1500.5)), ("oddzialy_sp", Some(12.0))]
        );

        let (pl, en) = upload_message(read_upload(&workbook(&[("test|nieznane", "nieznane", "1")]), &view.form).expect_err("unknown"));
        assert!(pl.starts_with("arkusz ankieta, wiersz 4, kolumna A: nieznany kod pola"), "{pl}");
        assert!(en.contains("unknown field code `nieznane`"), "{en}");
        let (pl, _) = upload_message(read_upload(&workbook(&[("", "nieznane", "1")]), &view.form).expect_err("unknown code"));
        assert!(pl.contains("wiersz 4, kolumna B"), "{pl}");
        let (_, en) = upload_message(read_upload(&workbook(&[("inny|uczniowie_sp", "uczniowie_sp", "1")]), &view.form).expect_err("other form"));
        assert!(en.contains("another form"), "{en}");
        let twice = workbook(&[("test|uczniowie_sp", "uczniowie_sp", "1"), ("test|uczniowie_sp", "uczniowie_sp", "2")]);
        let (pl, _) = upload_message(read_upload(&twice, &view.form).expect_err("twice"));
        assert!(pl.contains("wiersz 5"), "{pl}");
        let (pl, _) = upload_message(read_upload(b"teryt;wartosc\n0201012;5\n", &view.form).expect_err("csv"));
        assert!(pl.contains("nie jest plik XLSX"), "{pl}");
        // A workbook without the sheet.
        let mut book = Workbook::new();
        book.add_worksheet().write_string(0, 0, "x").expect("write");
        let (_, en) = upload_message(read_upload(&book.save_to_buffer().expect("save"), &view.form).expect_err("no sheet"));
        assert!(en.contains("no sheet `ankieta`"), "{en}");
    }
}
