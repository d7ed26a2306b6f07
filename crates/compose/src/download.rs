//! The files of a data query (CSV, Excel CSV, XLSX, JSON, JSON-stat): the metadata of its
//! cells in a language, the layout a `columns` parameter asks for, and the cells walked in the
//! order a format needs, written by `export`. The portal streams them (`web::download`), the
//! CLI writes them to a file (`miernik export`).

use std::io::Write;

use app::query::{DataQuery, Dim};

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

/// Writes the whole query in `format` to `out` (the portal streams XLSX through
/// `export::write_xlsx`, whose writer may move between threads).
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
