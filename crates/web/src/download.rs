//! Downloads of a data query (CSV, Excel CSV, XLSX, JSON, JSON-stat): the cells are written
//! by `export` on a blocking thread, chunk by chunk into the response body, so even the
//! largest query never sits whole in memory (XLSX's rows go through rust_xlsxwriter's
//! constant-memory temporary file, as the format's zip needs).

use std::io::Write;
use std::sync::Arc;

use app::query::{DataQuery, Dim};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use crate::portal::Portal;

const CHUNK: usize = 64 * 1024;

/// The metadata of a query's cells in a language.
pub fn meta(c: &app::Computed, q: &DataQuery, en: bool, url: &str) -> export::Meta {
    let pick = |pl: &str, e: &str| if en && !e.is_empty() { e.to_owned() } else { pl.to_owned() };
    export::Meta {
        title: if en { "Miernik: indicators of local governments".into() } else { "Miernik: wskaźniki jednostek samorządu terytorialnego".into() },
        lang: if en { export::Lang::En } else { export::Lang::Pl },
        indicators: q
            .indicators
            .iter()
            .map(|&i| {
                let d = &c.definitions[i];
                export::IndicatorMeta {
                    code: d.code.clone(),
                    name: pick(&d.name_pl, &d.name_en),
                    measure_unit: pick(&d.unit_pl, &d.unit_en),
                    definition: pick(&d.definition_pl, &d.definition_en),
                    source: d.source.clone(),
                    decimals: d.decimals,
                }
            })
            .collect(),
        units: q
            .units
            .iter()
            .map(|&u| export::UnitMeta {
                code: c.codes[u].as_str().to_owned(),
                name: c.names[u].clone(),
                kind: if en { c.kinds[u].name_en().to_owned() } else { c.kinds[u].name_pl().to_owned() },
            })
            .collect(),
        years: q.calendar_years(c),
        generated: time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        source_note: if en {
            "Computed by Miernik from the data in its database; flags say why a value is missing or not final".into()
        } else {
            "Obliczone przez Miernik z danych w jego bazie; flagi mówią, dlaczego wartości brak albo nie jest ostateczna".into()
        },
        url: url.to_owned(),
    }
}

/// The layout a `columns` parameter asks for: none = long, else one column per year,
/// unit or indicator.
pub fn layout(columns: Option<&str>) -> Result<export::Layout, String> {
    Ok(match columns {
        None | Some("") | Some("none") => export::Layout::Long,
        Some("year" | "lata") => export::Layout::Wide { columns: export::Dim::Year },
        Some("unit" | "jednostki") => export::Layout::Wide { columns: export::Dim::Unit },
        Some("indicator" | "wskazniki") => export::Layout::Wide { columns: export::Dim::Indicator },
        Some(other) => return Err(format!("`{}`: year, unit or indicator", other.chars().take(40).collect::<String>())),
    })
}

fn order_of(format: export::Format, layout: export::Layout) -> [Dim; 3] {
    export::order_for(format, layout).map(|d| match d {
        export::Dim::Indicator => Dim::Indicator,
        export::Dim::Unit => Dim::Unit,
        export::Dim::Year => Dim::Year,
    })
}

/// The cells of `q` as `export` takes them, in the order `format` and `layout` need.
pub fn cells<'a>(c: &'a app::Computed, q: &'a DataQuery, format: export::Format, layout: export::Layout) -> impl Iterator<Item = export::Cell> + 'a {
    q.walk(c, order_of(format, layout), 0).map(|x| export::Cell { indicator: x.indicator, unit: x.unit, year: x.year, value: x.value, flag: x.flag })
}

/// Writes the whole query in `format` to `out` (XLSX needs [`write_xlsx_file`]).
pub fn write_to(
    c: &app::Computed,
    q: &DataQuery,
    format: export::Format,
    layout: export::Layout,
    meta: &export::Meta,
    out: impl Write,
) -> Result<(), export::ExportError> {
    let order = cells(c, q, format, layout);
    export::write(format, layout, meta, order, out)
}

/// A writer that hands full chunks to the response body; a gone client stops the writing.
struct ChannelWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush_chunk()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ChannelWriter {
    fn flush_chunk(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 4096));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

fn body_from(rx: mpsc::Receiver<Result<Vec<u8>, std::io::Error>>) -> Body {
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }))
}

/// The file name of a download.
fn file_name(format: export::Format) -> String {
    format!("miernik-dane-{}.{}", model::format_date(crate::today()), format.extension())
}

/// Answers a download of `q`: headers now, the body as it is written.
pub async fn respond(
    p: Arc<Portal>,
    q: DataQuery,
    format: &str,
    en: bool,
    columns: Option<&str>,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, String> {
    let format = export::Format::from_param(format).ok_or_else(|| format!("unknown format {format}"))?;
    let layout = layout(columns)?;
    let etag = format!("W/\"v{}-{:016x}\"", p.version, {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        uri.to_string().hash(&mut h);
        h.finish()
    });
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, HeaderValue::from_str(&etag).map_err(|e| e.to_string())?)]).into_response());
    }
    let url = uri.to_string();
    let (tx, rx) = mpsc::channel(8);
    tokio::task::spawn_blocking(move || {
        let c = &p.c;
        let meta = meta(c, &q, en, &url);
        let mut w = ChannelWriter { buf: Vec::with_capacity(CHUNK + 4096), tx: tx.clone() };
        let result = if matches!(format, export::Format::Xlsx) {
            export::write_xlsx(layout, &meta, cells(c, &q, format, layout), &mut w)
        } else {
            write_to(c, &q, format, layout, &meta, &mut w)
        }
        .map_err(|e| e.to_string());
        let result = result.and_then(|()| w.flush_chunk().map_err(|e| e.to_string()));
        if let Err(e) = result {
            // The status line is gone already: the body ends short, which a client sees.
            tracing::warn!("download stopped: {e}");
            let _ = tx.blocking_send(Err(std::io::Error::other(e)));
        }
    });
    let disposition = format!("attachment; filename=\"{}\"", file_name(format));
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(format.content_type())),
            (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(|e| e.to_string())?),
            (header::ETAG, HeaderValue::from_str(&etag).map_err(|e| e.to_string())?),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60")),
        ],
        body_from(rx),
    )
        .into_response())
}
