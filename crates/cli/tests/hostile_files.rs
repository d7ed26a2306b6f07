//! Hostile and mistaken files given to `miernik import …`, run under `ulimit -v` of 1 GiB:
//! every one is refused with a short message that names the limit (or the subcommand that
//! reads the file) — never an abort, never the input echoed back. The files are made here,
//! at test time: an XLSX with a cell at XFD1048576, a ZIP bomb, a CSV header of 50 M
//! columns, a 100 MB value, and real files of one kind given to the subcommand of another.

mod common;

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::data;

/// The address space the binary gets: 1 GiB.
const ULIMIT_KIB: u64 = 1 << 20;

/// Runs `miernik --db sqlite:DIR/x.db ARGS…` under `ulimit -v`.
fn miernik_limited(dir: &Path, args: &[&str]) -> Output {
    let db = format!("sqlite:{}", dir.join("x.db").display());
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {ULIMIT_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_miernik"))
        .arg("--db")
        .arg(&db)
        .args(args)
        .output()
        .expect("sh runs")
}

fn short(s: &str) -> String {
    if s.len() <= 2000 { s.to_owned() } else { format!("{}… ({} bytes)", &s[..s.char_indices().nth(2000).map_or(s.len(), |(i, _)| i)], s.len()) }
}

/// Requires a refusal: an exit status (not a signal such as SIGABRT), failure, stderr under
/// 4 KiB holding every fragment. Returns stderr.
#[track_caller]
fn refused(out: &Output, fragments: &[&str]) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.code().is_some(), "killed by a signal, not refused: {:?}; stderr: {}", out.status, short(&err));
    assert!(!out.status.success(), "should be refused; stdout: {}", short(&String::from_utf8_lossy(&out.stdout)));
    assert!(err.len() < 4096, "stderr is {} bytes: {}", err.len(), short(&err));
    for f in fragments {
        assert!(err.contains(f), "`{f}` not in stderr: {err}");
    }
    err
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

// ---------------------------------------------------------------------------------------------
// XLSX

/// An XLSX with the long layout's header in row 1 and one more cell at `(row, col)` (0-based).
fn xlsx_with_far_cell(path: &Path, row: u32, col: u16) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["unit", "variable", "year", "value"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    sheet.write_string(row, col, "x").expect("far cell");
    book.save(path).expect("save");
}

/// The parts of a ZIP, unpacked: (name, bytes).
fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(File::open(path).expect("open")).expect("zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).expect("part");
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut bytes).expect("read part");
            (String::from_utf8_lossy(f.name_raw()).into_owned(), bytes)
        })
        .collect()
}

fn rezip(path: &Path, parts: &[(String, Vec<u8>)]) {
    let mut w = zip::ZipWriter::new(File::create(path).expect("create"));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        w.start_file(name.as_str(), opts).expect("start");
        w.write_all(bytes).expect("write");
    }
    w.finish().expect("finish");
}

#[test]
fn an_xlsx_with_a_cell_at_xfd1048576_is_refused_by_its_size_not_an_abort() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("far.xlsx");
    xlsx_with_far_cell(&p, 1_048_575, 16_383);
    assert!(std::fs::metadata(&p).expect("meta").len() < 8 * 1024, "a tiny file");
    let sheet = unzip(&p).into_iter().find(|(n, _)| n == "xl/worksheets/sheet1.xml").expect("sheet").1;
    assert!(String::from_utf8_lossy(&sheet).contains("<dimension ref=\"A1:XFD1048576\"/>"));
    for sub in ["observations", "areas"] {
        let out = miernik_limited(dir.path(), &["import", sub, path_str(&p)]);
        refused(&out, &["A1:XFD1048576", "16,384 columns", "limit of 1,000"]);
    }
    // A cell at XFD3000: a smaller grid (49 M cells, 3.1 GB dense), the same refusal.
    let p3000 = dir.path().join("far3000.xlsx");
    xlsx_with_far_cell(&p3000, 2_999, 16_383);
    refused(&miernik_limited(dir.path(), &["import", "observations", path_str(&p3000)]), &["A1:XFD3000", "limit of 1,000"]);
}

#[test]
fn a_far_cell_behind_a_lying_dimension_is_refused_as_it_is_read() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("far.xlsx");
    xlsx_with_far_cell(&p, 1_048_575, 16_383);
    let mut parts = unzip(&p);
    for (name, bytes) in &mut parts {
        if name == "xl/worksheets/sheet1.xml" {
            let text = String::from_utf8(bytes.clone()).expect("xml");
            *bytes = text.replace("<dimension ref=\"A1:XFD1048576\"/>", "<dimension ref=\"A1:D1\"/>").into_bytes();
        }
    }
    let lying = dir.path().join("lying.xlsx");
    rezip(&lying, &parts);
    let out = miernik_limited(dir.path(), &["import", "observations", path_str(&lying)]);
    refused(&out, &["cell XFD1048576", "column 16,384", "limit of 1,000 columns"]);
}

/// CRC-32 (IEEE, as ZIP uses it).
fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    for (i, slot) in t.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
        *slot = c;
    }
    t
}

fn crc_update(crc: u32, bytes: &[u8]) -> u32 {
    let t = crc_table();
    let mut r = !crc;
    for &b in bytes {
        r = t[((r ^ u32::from(b)) & 0xff) as usize] ^ (r >> 8);
    }
    !r
}

/// An affine map x ↦ M·x ⊕ k over GF(2)³², M by its columns.
#[derive(Clone, Copy)]
struct Affine([u32; 32], u32);

impl Affine {
    fn apply(&self, x: u32) -> u32 {
        (0..32).filter(|i| x >> i & 1 == 1).fold(self.1, |acc, i| acc ^ self.0[i])
    }
    fn linear(&self, x: u32) -> u32 {
        (0..32).filter(|i| x >> i & 1 == 1).fold(0, |acc, i| acc ^ self.0[i])
    }
    /// `self` after `first`.
    fn after(&self, first: &Affine) -> Affine {
        Affine(std::array::from_fn(|i| self.linear(first.0[i])), self.apply(first.1))
    }
}

/// The CRC-32 after `n` more bytes `b`, without reading them: one register step is affine,
/// so `n` steps are its `n`-th power, by squaring.
fn crc_run(crc: u32, b: u8, mut n: u64) -> u32 {
    let t = crc_table();
    let step = Affine(
        std::array::from_fn(|i| {
            let r = 1u32 << i;
            t[(r & 0xff) as usize] ^ (r >> 8)
        }),
        t[usize::from(b)],
    );
    let mut acc = Affine(std::array::from_fn(|i| 1u32 << i), 0);
    let mut pow = step;
    while n > 0 {
        if n & 1 == 1 {
            acc = pow.after(&acc);
        }
        pow = pow.after(&pow);
        n >>= 1;
    }
    !acc.apply(!crc)
}

#[test]
fn the_crc_of_a_run_matches_the_crc_of_its_bytes() {
    for (n, b) in [(0u64, b'0'), (1, b'0'), (1000, b'0'), (4097, 0u8), (77, 0xff)] {
        let bytes = vec![b; n as usize];
        assert_eq!(crc_run(crc_update(0, b"head"), b, n), crc_update(0, &[b"head".as_slice(), &bytes].concat()), "{n} × {b}");
    }
}

/// Raw deflate with the fixed Huffman codes, written by hand: literals, then `repeats`
/// copies of the last byte 258 at a time (13 bits for 258 bytes), then literals.
struct Deflate<W: Write> {
    out: W,
    acc: u64,
    bits: u32,
    written: u64,
}

impl<W: Write> Deflate<W> {
    fn new(out: W) -> Self {
        let mut d = Deflate { out, acc: 0, bits: 0, written: 0 };
        d.put(1, 1); // BFINAL
        d.put(1, 2); // BTYPE 01: fixed Huffman codes
        d
    }
    fn put(&mut self, value: u32, len: u32) {
        self.acc |= u64::from(value) << self.bits;
        self.bits += len;
        while self.bits >= 8 {
            self.out.write_all(&[self.acc as u8]).expect("write");
            self.written += 1;
            self.acc >>= 8;
            self.bits -= 8;
        }
    }
    /// A Huffman code goes most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        self.put(code.reverse_bits() >> (32 - len), len);
    }
    fn literals(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b < 144 { self.code(0x30 + u32::from(b), 8) } else { self.code(0x190 + u32::from(b) - 144, 9) }
        }
    }
    fn repeat_258(&mut self, times: u64) {
        for _ in 0..times {
            self.code(0xC5, 8); // length 258 (code 285)
            self.code(0, 5); // distance 1
        }
    }
    fn finish(mut self) -> u64 {
        self.code(0, 7); // end of block
        if self.bits > 0 {
            self.put(0, 8 - self.bits);
        }
        self.out.flush().expect("flush");
        self.written
    }
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// A ZIP written by hand (the zip crate compresses what it writes; a bomb must be written
/// already compressed): (name, method, crc, packed size, unpacked size, offset) per part.
struct HandZip {
    file: BufWriter<File>,
    at: u64,
    central: Vec<u8>,
    count: u16,
}

impl HandZip {
    fn new(path: &Path) -> Self {
        HandZip { file: BufWriter::new(File::create(path).expect("create")), at: 0, central: Vec::new(), count: 0 }
    }
    fn header(name: &str, method: u16, crc: u32, packed: u32, size: u32) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend(0x0403_4b50u32.to_le_bytes());
        h.extend(20u16.to_le_bytes()); // version needed
        h.extend(0u16.to_le_bytes()); // flags
        h.extend(method.to_le_bytes());
        h.extend(0u16.to_le_bytes()); // time
        h.extend(0x21u16.to_le_bytes()); // date: 1980-01-01
        h.extend(crc.to_le_bytes());
        h.extend(packed.to_le_bytes());
        h.extend(size.to_le_bytes());
        h.extend((name.len() as u16).to_le_bytes());
        h.extend(0u16.to_le_bytes()); // extra
        h.extend(name.as_bytes());
        h
    }
    fn central_entry(&mut self, name: &str, method: u16, crc: u32, packed: u32, size: u32, offset: u64) {
        let c = &mut self.central;
        c.extend(0x0201_4b50u32.to_le_bytes());
        c.extend(20u16.to_le_bytes()); // made by
        c.extend(20u16.to_le_bytes()); // needed
        c.extend(0u16.to_le_bytes());
        c.extend(method.to_le_bytes());
        c.extend(0u16.to_le_bytes());
        c.extend(0x21u16.to_le_bytes());
        c.extend(crc.to_le_bytes());
        c.extend(packed.to_le_bytes());
        c.extend(size.to_le_bytes());
        c.extend((name.len() as u16).to_le_bytes());
        c.extend([0u8; 12]); // extra, comment, disk, internal and external attributes
        c.extend(u32::try_from(offset).expect("offset").to_le_bytes());
        c.extend(name.as_bytes());
        self.count += 1;
    }
    fn stored(&mut self, name: &str, bytes: &[u8]) {
        let (crc, len) = (crc_update(0, bytes), bytes.len() as u32);
        let h = Self::header(name, 0, crc, len, len);
        self.file.write_all(&h).expect("write");
        self.file.write_all(bytes).expect("write");
        self.central_entry(name, 0, crc, len, len, self.at);
        self.at += (h.len() + bytes.len()) as u64;
    }
    /// A deflated part of `prefix`, `run` × `byte`, `suffix`, where `prefix` ends in `byte`
    /// and `run` is a multiple of 258.
    fn bomb(mut self, name: &str, prefix: &[u8], byte: u8, run: u64, suffix: &[u8]) -> (u64, u64) {
        assert_eq!(prefix.last(), Some(&byte));
        assert_eq!(run % 258, 0);
        let size = prefix.len() as u64 + run + suffix.len() as u64;
        let crc = crc_update(crc_run(crc_update(0, prefix), byte, run), suffix);
        let offset = self.at;
        let h = Self::header(name, 8, crc, 0, u32::try_from(size).expect("under 4 GiB"));
        self.file.write_all(&h).expect("write");
        let mut d = Deflate::new(&mut self.file);
        d.literals(prefix);
        d.repeat_258(run / 258);
        d.literals(suffix);
        let packed = d.finish();
        let packed32 = u32::try_from(packed).expect("packed");
        self.central_entry(name, 8, crc, packed32, size as u32, offset);
        self.at += h.len() as u64 + packed;
        // The local header's packed size, now known.
        let mut f = self.file.into_inner().expect("flush");
        f.seek(SeekFrom::Start(offset + 18)).expect("seek");
        f.write_all(&packed32.to_le_bytes()).expect("patch");
        f.seek(SeekFrom::End(0)).expect("seek");
        let mut end = Vec::new();
        end.extend(0x0605_4b50u32.to_le_bytes());
        end.extend([0u8; 4]); // disk numbers
        end.extend(self.count.to_le_bytes());
        end.extend(self.count.to_le_bytes());
        end.extend((self.central.len() as u32).to_le_bytes());
        end.extend(u32::try_from(self.at).expect("cd offset").to_le_bytes());
        end.extend(0u16.to_le_bytes());
        f.write_all(&self.central).expect("central directory");
        f.write_all(&end).expect("end");
        (packed, size)
    }
}

/// A workbook whose one sheet is a ZIP bomb: a cell whose text is ~2 GB of `0`.
fn zip_bomb(path: &Path) -> (u64, u64) {
    let mut z = HandZip::new(path);
    z.stored("[Content_Types].xml", CONTENT_TYPES.as_bytes());
    z.stored("_rels/.rels", RELS.as_bytes());
    z.stored("xl/workbook.xml", WORKBOOK.as_bytes());
    z.stored("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes());
    let prefix = br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>0"#;
    z.bomb("xl/worksheets/sheet1.xml", prefix, b'0', 258 * 8_000_000, b"</t></is></c></row></sheetData></worksheet>")
}

#[test]
fn a_zip_bomb_is_refused_unread_by_its_declared_size() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("bomb.xlsx");
    let (packed, size) = zip_bomb(&p);
    assert!(size > 2_000_000_000 && packed < 16_000_000, "{packed} → {size}");
    // The bomb is a valid ZIP (its CRC is computed, not read: see `crc_run`), sizes as declared.
    let mut zip = zip::ZipArchive::new(File::open(&p).expect("open")).expect("a valid zip");
    assert_eq!(zip.by_name("xl/worksheets/sheet1.xml").expect("sheet").size(), size);
    for sub in ["observations", "areas"] {
        let out = miernik_limited(dir.path(), &["import", sub, path_str(&p)]);
        refused(&out, &["unpacks to more than 256 MiB", "ZIP bomb"]);
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Writes `head`, then `n` × `unit`, then `tail`, a megabyte at a time.
fn write_repeated(path: &Path, head: &[u8], unit: &[u8], n: usize, tail: &[u8]) {
    let mut f = BufWriter::new(File::create(path).expect("create"));
    f.write_all(head).expect("write");
    let chunk = unit.repeat((1 << 20) / unit.len());
    let per_chunk = (1 << 20) / unit.len();
    let mut left = n;
    while left > 0 {
        let k = left.min(per_chunk);
        f.write_all(&chunk[..k * unit.len()]).expect("write");
        left -= k;
    }
    f.write_all(tail).expect("write");
    f.flush().expect("flush");
}

#[test]
fn a_csv_header_of_50_million_columns_is_refused_at_the_record_limit() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("wide.csv");
    write_repeated(&p, b"", b"a,", 50_000_000, b"a\n0201011,x,2020,1\n");
    let out = miernik_limited(dir.path(), &["import", "observations", path_str(&p)]);
    refused(&out, &["line 1", "longer than 1 MiB", "limit"]);
}

#[test]
fn a_100_mb_value_is_refused_without_being_echoed() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("value.csv");
    write_repeated(&p, b"unit,variable,year,value\n0201011,x,2020,", b"9x", 50_000_000, b"\n");
    let out = miernik_limited(dir.path(), &["import", "observations", path_str(&p)]);
    let err = refused(&out, &["line 2", "longer than 1 MiB"]);
    assert!(!err.contains("9x9x9x9x9x"), "{err}");

    // Within the record limit, past the field limit: one bad row, named, not echoed.
    let p = dir.path().join("field.csv");
    write_repeated(&p, b"unit,variable,year,value\n0201011,x,2020,", b"9x", 50_000, b"\n");
    let err =
        refused(&miernik_limited(dir.path(), &["import", "observations", path_str(&p)]), &["line 2", "column 4 (value)", "100,000 bytes", "64 KiB"]);
    assert!(!err.contains("9x9x9x9x9x"), "{err}");

    // Within both: the bad value is quoted, cut to 200 characters.
    let p = dir.path().join("quoted.csv");
    write_repeated(&p, b"unit,variable,year,value\n0201011,x,2020,", b"9x", 5_000, b"\n");
    let err = refused(&miernik_limited(dir.path(), &["import", "observations", path_str(&p)]), &["line 2", "is not a number", "9x9x9x…`"]);
    assert!(!err.contains(&"9x".repeat(101)), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Boundaries

#[test]
fn a_boundary_file_past_the_size_limit_is_refused_unread() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("huge.geojson");
    let mut f = File::create(&p).expect("create");
    f.write_all(br#"{"type":"FeatureCollection","features":["#).expect("write");
    f.set_len(600 << 20).expect("sparse 600 MiB");
    drop(f);
    let out = miernik_limited(dir.path(), &["import", "boundaries", path_str(&p)]);
    refused(&out, &["600 MiB", "limit of 512 MiB"]);
}

// ---------------------------------------------------------------------------------------------
// The wrong file

fn wrong(sub: &str, file: PathBuf, fragments: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let out = miernik_limited(dir.path(), &["import", sub, path_str(&file)]);
    let err = refused(&out, fragments);
    // The refused first import leaves no empty database behind.
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "import {sub} left {left:?}");
    err
}

#[test]
fn a_geojson_given_as_observations_names_import_boundaries_in_one_short_line() {
    let err = wrong(
        "observations",
        data("boundaries/kreperu_powiaty.geojson"),
        &["to jest plik granic (GeoJSON): użyj `miernik import boundaries`", "use `miernik import boundaries`"],
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    wrong("units", data("boundaries/kreperu_gminy.geojson"), &["`miernik import boundaries`"]);
    wrong("areas", data("boundaries/waszkiewiczja_polska.json"), &["`miernik import boundaries`"]);
}

#[test]
fn each_common_wrong_file_names_the_subcommand_that_reads_it() {
    wrong("observations", data("teryt/TERC_Urzedowy_2026-01-08.csv"), &["rejestr TERC", "`miernik import units`"]);
    wrong("observations", data("teryt/TERC_Urzedowy_2026-01-08.xml"), &["`miernik import units`"]);
    wrong("observations", data("budget/bestia_xml_kutno_schools/Sprawozdania_2022_IVKwartal_Dochody.xml"), &["BeSTi@", "`miernik import budget`"]);
    wrong("units", data("bdl/bdl_web_exports/LUDN_2137_CREL_20220407210714.csv"), &["eksport BDL", "`miernik import observations`"]);
    wrong("boundaries", data("teryt/TERC_Urzedowy_2025-11-18.csv"), &["`miernik import units`"]);
    wrong("budget", data("teryt/TERC_Urzedowy_2026-01-08.xml"), &["`miernik import units`"]);
    wrong("areas", data("teryt/TERC_Urzedowy_2026-01-08.csv"), &["`miernik import units`"]);
    wrong("observations", data("area/Wykaz_powierzchni_wg_stanu_na_01012025_ha_km2.xlsx"), &["wykaz powierzchni GUGiK", "`miernik import areas`"]);
}

#[test]
fn an_xlsx_given_as_units_is_not_told_to_convert_from_windows_1250() {
    let err = wrong(
        "units",
        data("area/Wykaz_powierzchni_wg_stanu_na_01012025_ha_km2.xlsx"),
        &["skoroszyt XLSX", "XLSX workbook", "eteryt.stat.gov.pl", "`miernik import observations`", "`miernik import areas`"],
    );
    assert!(!err.contains("iconv") && !err.contains("1250"), "{err}");
}
