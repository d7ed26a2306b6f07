//! A small table with Polish names, flags and missing cells, shared by the tests.

#![allow(dead_code)]

use export::{Cell, Dim, Flag, IndicatorMeta, Lang, Meta, UnitMeta};

pub fn meta(lang: Lang) -> Meta {
    Meta {
        title: "Dochody gmin — zażółć gęślą jaźń".into(),
        lang,
        indicators: vec![
            IndicatorMeta {
                code: "dochody_pc".into(),
                name: "Dochody ogółem na mieszkańca".into(),
                measure_unit: "zł".into(),
                definition: "Dochody budżetu gminy ogółem w przeliczeniu na 1 mieszkańca (stan na 31 XII).".into(),
                source: "GUS, Bank Danych Lokalnych".into(),
                decimals: 2,
            },
            IndicatorMeta {
                code: "zielen_udzial".into(),
                name: "Udział terenów zieleni".into(),
                measure_unit: "%".into(),
                definition: "Powierzchnia parków, zieleńców i terenów zieleni osiedlowej w powierzchni ogółem.".into(),
                source: "GUS; obliczenia własne".into(),
                decimals: 1,
            },
        ],
        units: vec![
            UnitMeta { code: "0201011".into(), name: "Bolesławiec".into(), kind: "gmina miejska".into() },
            UnitMeta { code: "1261011".into(), name: "Kraków".into(), kind: "gmina miejska".into() },
            UnitMeta { code: "2479011".into(), name: "Żory; \"miasto\", śląskie".into(), kind: "gmina miejska".into() },
        ],
        years: vec![2019, 2020, 2021],
        generated: "2025-01-31T12:00:00Z".into(),
        source_note: "Źródło: GUS BDL, obliczenia Miernika".into(),
        url: "https://miernik.example/eksport?wskazniki=dochody_pc,zielen_udzial&format=xlsx".into(),
    }
}

/// The value and flag of cell (i, u, y) of the small table.
pub fn datum(i: u32, u: u32, y: u16) -> (Option<f64>, Option<Flag>) {
    match (i, u, y) {
        (0, 1, 1) => (None, Some(Flag::Confidential)),
        (1, 2, 0) => (None, Some(Flag::NotOccurred)),
        (0, 2, 0) => (None, Some(Flag::Missing)),
        (1, 1, 2) => (None, None),
        (0, 0, 2) => (Some(4321.987), Some(Flag::Preliminary)),
        (1, 0, 1) => (Some(12.34), Some(Flag::Estimated)),
        (0, 0, 0) => (Some(0.1 + 0.2), Some(Flag::Final)),
        (0, u, y) => (Some(1000.0 * f64::from(u + 1) + 17.0 * f64::from(y) + 0.123), None),
        (_, u, y) => (Some(-(f64::from(u) * 3.3 + f64::from(y) * 0.061 + 0.01)), None),
    }
}

pub fn cell(i: u32, u: u32, y: u16) -> Cell {
    let (value, flag) = datum(i, u, y);
    Cell { indicator: i, unit: u, year: y, value, flag }
}

/// The cells of the small table in `order`.
pub fn cells(meta: &Meta, order: [Dim; 3]) -> Vec<Cell> {
    export::positions(order, meta).map(|(i, u, y)| cell(i, u, y)).collect()
}

/// A lazily generated big table: `ni` × `nu` × `ny` cells in `order`.
pub fn big_meta(ni: usize, nu: usize, ny: usize) -> Meta {
    Meta {
        title: "Duża tabela".into(),
        lang: Lang::Pl,
        indicators: (0..ni)
            .map(|i| IndicatorMeta {
                code: format!("wsk_{i}"),
                name: format!("Wskaźnik numer {i} — ćwiczebny"),
                measure_unit: "zł".into(),
                definition: "Definicja".into(),
                source: "GUS".into(),
                decimals: (i % 3) as u8,
            })
            .collect(),
        units: (0..nu)
            .map(|u| UnitMeta { code: format!("{:07}", 200_000 + u * 10 + 1), name: format!("Gmina Łąka {u}"), kind: "gmina wiejska".into() })
            .collect(),
        years: (0..ny).map(|y| 2010 + y as i32).collect(),
        generated: "2025-01-31T12:00:00Z".into(),
        source_note: "GUS".into(),
        url: "https://miernik.example/eksport".into(),
    }
}

pub fn big_cells(meta: &Meta, order: [Dim; 3]) -> impl Iterator<Item = Cell> + use<> {
    export::positions(order, meta).map(|(i, u, y)| {
        let k = u64::from(i) * 7919 + u64::from(u) * 31 + u64::from(y);
        let (value, flag) = match k % 97 {
            0 => (None, Some(Flag::Confidential)),
            1 => (None, None),
            2 => (Some(k as f64 / 8.0), Some(Flag::Preliminary)),
            _ => (Some(k as f64 / 8.0), None),
        };
        Cell { indicator: i, unit: u, year: y, value, flag }
    })
}

/// A sink that only counts bytes and lines.
#[derive(Default)]
pub struct Counter {
    pub bytes: u64,
    pub lines: u64,
}

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len() as u64;
        self.lines += buf.iter().filter(|b| **b == b'\n').count() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
