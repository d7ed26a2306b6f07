//! Downloads of a data query (CSV, Excel CSV, XLSX, JSON, JSON-stat) over HTTP: the cells
//! are written by `export` (composed by `compose::download`) on a blocking thread, chunk by
//! chunk into the response body, so even the largest query never sits whole in memory
//! (XLSX's rows go through rust_xlsxwriter's constant-memory temporary file, as the format's
//! zip needs).

use std::io::Write;
use std::sync::Arc;

use app::query::DataQuery;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

pub use compose::download::{cells, layout, meta, write_to};

use crate::portal::Portal;

const CHUNK: usize = 64 * 1024;

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
