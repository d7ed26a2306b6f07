//! Maps: outlines projected and simplified once ([`MapGeometry`]), then drawn many times as a
//! choropleth (areas filled by class, "no data" hatched, each area a link with its name and
//! value, a legend below) or as a plain map of links.

use std::collections::HashMap;
use std::fmt::Write;

use crate::{Esc, INK, N, clean_id, palette, write_tenths};

/// One unit's outline: polygons → rings → (lon, lat) in WGS84; ring 0 of a polygon is its
/// outer ring, the rest are holes (GeoJSON MultiPolygon order; the winding does not matter,
/// areas are filled even-odd).
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub key: String,
    pub polygons: Vec<Vec<Vec<(f64, f64)>>>,
}

/// Outlines prepared for drawing, once, then shared by every render: projected
/// (equirectangular, longitudes scaled by the cosine of the bounding box's middle latitude —
/// true to within a percent at Poland's size — y downwards), fitted into `width` px with a
/// 4 px margin (the height follows the aspect, at most twice the width), simplified with
/// Douglas–Peucker to half a pixel, rounded to 0.1 px, rings under 1 px² dropped (but a shape
/// always keeps something: its largest ring, or a 2 px triangle where it lies), written as
/// compact SVG path data.
#[derive(Debug, Clone, Default)]
pub struct MapGeometry {
    width: f64,
    height: f64,
    keys: Vec<String>,
    by_key: HashMap<String, usize>,
    paths: Vec<String>,
}

/// One area to draw.
#[derive(Debug, Clone)]
pub struct MapArea<'a> {
    /// Its index in the geometry (the order of the shapes given to [`MapGeometry::new`]).
    pub shape: usize,
    /// Its class (an index into the legend's classes), or none for no data (drawn hatched).
    pub fill_class: Option<usize>,
    pub href: &'a str,
    /// What hovering (the `<title>` tooltip), keyboard focus and screen readers (the link's
    /// `aria-label`) say, e.g. "Kraków: 12,3 %".
    pub label: &'a str,
    /// Drawn with a thick black outline on a white halo, on top of the others.
    pub selected: bool,
}

/// The legend: a title, one caller-formatted text per class ("12,3 – 15,0"), lowest class
/// first, and the words for "no data".
#[derive(Debug, Clone)]
pub struct Legend<'a> {
    pub title: &'a str,
    pub classes: &'a [String],
    pub no_data: &'a str,
}

/// The margin around the outlines, so that outlines at the edge are not clipped.
const PAD: f64 = 4.0;

impl MapGeometry {
    /// Projects and simplifies `shapes` for a map `width` px wide (640 when `width` is not a
    /// finite number above 1). Non-finite coordinates are skipped, rings of fewer than three
    /// points too; a shape without any usable point gets an empty path and is not drawn.
    pub fn new(shapes: Vec<Shape>, width: f64) -> MapGeometry {
        let width = if width.is_finite() && width > 1.0 { width.min(100_000.0) } else { 640.0 };
        let mut keys = Vec::with_capacity(shapes.len());
        let mut by_key = HashMap::with_capacity(shapes.len());
        for (i, s) in shapes.iter().enumerate() {
            by_key.entry(s.key.clone()).or_insert(i);
        }
        let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
        let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for &(x, y) in shapes.iter().flat_map(|s| s.polygons.iter().flatten().flatten()).filter(finite) {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            keys.extend(shapes.into_iter().map(|s| s.key));
            let paths = vec![String::new(); keys.len()];
            return MapGeometry { width, height: 0.0, keys, by_key, paths };
        }
        let k = (y0 / 2.0 + y1 / 2.0).to_radians().cos().abs().max(0.01);
        let (span_x, span_y) = ((x1 - x0) * k, y1 - y0);
        let inner = (width - 2.0 * PAD).max(1.0);
        let fit = span_x.max(span_y / 2.0);
        let scale = if fit.is_finite() && fit > 0.0 { inner / fit } else { 1.0 };
        let off_x = PAD + ((inner - span_x * scale) / 2.0).max(0.0);
        let height = if span_y.is_finite() { span_y * scale + 2.0 * PAD } else { width };
        let project = |&(x, y): &(f64, f64)| ((x - x0) * k * scale + off_x, (y1 - y) * scale + PAD);
        let mut paths = Vec::with_capacity(shapes.len());
        for s in shapes {
            paths.push(outline(&s, project));
            keys.push(s.key);
        }
        MapGeometry { width, height: height.max(1.0), keys, by_key, paths }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The index of the shape with `key` (the first, if keys repeat).
    pub fn index(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// The key of shape `i`.
    pub fn key(&self, i: usize) -> Option<&str> {
        self.keys.get(i).map(String::as_str)
    }

    pub fn width(&self) -> f64 {
        self.width
    }

    /// The height of the outlines in px (0 when there are none); the legend comes below.
    pub fn height(&self) -> f64 {
        self.height
    }

    /// The path data of shape `i` (empty when it has no usable point).
    pub fn path(&self, i: usize) -> &str {
        self.paths.get(i).map_or("", String::as_str)
    }
}

/// A shape's path data: its rings projected, simplified, rounded to tenths of a pixel.
fn outline(s: &Shape, project: impl Fn(&(f64, f64)) -> (f64, f64)) -> String {
    let mut rings: Vec<Vec<(i64, i64)>> = Vec::new();
    let mut largest: Option<(f64, Vec<(i64, i64)>)> = None;
    let (mut sx, mut sy, mut count) = (0.0, 0.0, 0.0);
    for ring in s.polygons.iter().flatten() {
        let p: Vec<(f64, f64)> = ring.iter().filter(|p| p.0.is_finite() && p.1.is_finite()).map(&project).collect();
        for q in &p {
            sx += q.0;
            sy += q.1;
            count += 1.0;
        }
        if p.len() < 3 {
            continue;
        }
        let r = round_ring(&simplify(&p, 0.5));
        let area = ring_area_tenths(&r).abs() / 100.0;
        if r.len() >= 3 && area >= 1.0 {
            rings.push(r);
        } else if r.len() >= 3 && area > 0.0 {
            let full = ring_area(&p).abs();
            if largest.as_ref().is_none_or(|(a, _)| full > *a) {
                largest = Some((full, r));
            }
        }
    }
    if rings.is_empty() {
        if let Some((_, r)) = largest {
            rings.push(r);
        } else if count > 0.0 {
            // Nothing with an area left: a small triangle where the shape lies, so it can be seen.
            let (cx, cy) = (crate::tenths(sx / count), crate::tenths(sy / count));
            rings.push(vec![(cx, cy - 10), (cx + 10, cy + 8), (cx - 10, cy + 8)]);
        }
    }
    let mut d = String::with_capacity(rings.iter().map(|r| r.len() * 8 + 12).sum());
    for r in &rings {
        push_ring(&mut d, r);
    }
    d
}

/// A ring in tenths of a pixel without repeated points (nor the closing one).
fn round_ring(p: &[(f64, f64)]) -> Vec<(i64, i64)> {
    let mut r: Vec<(i64, i64)> = Vec::with_capacity(p.len());
    for &(x, y) in p {
        let q = (crate::tenths(x), crate::tenths(y));
        if r.last() != Some(&q) {
            r.push(q);
        }
    }
    while r.len() > 1 && r.first() == r.last() {
        r.pop();
    }
    r
}

/// Appends a closed ring: an absolute move, then relative lines ("M12.3 4l.5-1 2 0z").
fn push_ring(d: &mut String, r: &[(i64, i64)]) {
    let num = |d: &mut String, t: i64, first: bool| {
        if !first && t >= 0 {
            d.push(' ');
        }
        let _ = write_tenths(d, t, true);
    };
    let Some(&(x, y)) = r.first() else { return };
    d.push('M');
    num(d, x, true);
    num(d, y, false);
    d.push('l');
    let mut prev = (x, y);
    for (i, &(x, y)) in r.iter().enumerate().skip(1) {
        num(d, x - prev.0, i == 1);
        num(d, y - prev.1, false);
        prev = (x, y);
    }
    d.push('z');
}

/// Douglas–Peucker on a closed ring (the closing repeat of the first point may be there or
/// not); returns the ring open, its first point kept.
fn simplify(ring: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = ring.to_vec();
    while pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 4 {
        return pts;
    }
    // Split the ring at its farthest point from the first, simplify both halves.
    let far = (1..pts.len()).max_by(|&a, &b| dist2(pts[0], pts[a]).total_cmp(&dist2(pts[0], pts[b]))).unwrap_or(1);
    let mut keep = vec![false; pts.len() + 1];
    keep[0] = true;
    keep[far] = true;
    let at = |i: usize| pts[i % pts.len()];
    let mut stack = vec![(0usize, far), (far, pts.len())];
    let t2 = tolerance * tolerance;
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (mut worst, mut at_i) = (0.0, a);
        for i in a + 1..b {
            let d = seg_dist2(at(i), at(a), at(b));
            if d > worst {
                worst = d;
                at_i = i;
            }
        }
        if worst > t2 {
            keep[at_i] = true;
            stack.push((a, at_i));
            stack.push((at_i, b));
        }
    }
    pts.iter().zip(&keep).filter(|(_, k)| **k).map(|(p, _)| *p).collect()
}

fn dist2(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)
}

/// The squared distance of `p` from the segment `a`–`b`.
fn seg_dist2(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let l2 = dist2(a, b);
    if l2 == 0.0 {
        return dist2(p, a);
    }
    let t = (((p.0 - a.0) * (b.0 - a.0) + (p.1 - a.1) * (b.1 - a.1)) / l2).clamp(0.0, 1.0);
    dist2(p, (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)))
}

/// Signed area (shoelace) of an open or closed ring.
fn ring_area(r: &[(f64, f64)]) -> f64 {
    let mut s = 0.0;
    for i in 0..r.len() {
        let (a, b) = (r[i], r[(i + 1) % r.len()]);
        s += a.0 * b.1 - b.0 * a.1;
    }
    s / 2.0
}

/// Signed area of a ring in tenths, in tenths² (exact up to 2⁵³).
fn ring_area_tenths(r: &[(i64, i64)]) -> f64 {
    let mut s: i128 = 0;
    for i in 0..r.len() {
        let (a, b) = (r[i], r[(i + 1) % r.len()]);
        s += i128::from(a.0) * i128::from(b.1) - i128::from(b.0) * i128::from(a.1);
    }
    s as f64 / 2.0
}

/// The rules every map shares, scoped to the map's id: an inline `<style>` applies to the
/// whole HTML page.
fn map_style(out: &mut String, id: &str) {
    let _ = write!(
        out,
        "#{id} a path{{stroke:#fff;stroke-width:.5;stroke-linejoin:round;fill-rule:evenodd;vector-effect:non-scaling-stroke}}\
         #{id} a:hover path,#{id} a:focus path{{stroke:#000;stroke-width:2}}\
         #{id} .vselh,#{id} .vsel{{fill:none;fill-rule:evenodd;stroke-linejoin:round;vector-effect:non-scaling-stroke;pointer-events:none}}\
         #{id} .vselh{{stroke:#fff;stroke-width:5}}#{id} .vsel{{stroke:#000;stroke-width:2.5}}\
         #{id} text{{font-size:14px;fill:{INK}}}"
    );
}

/// Opens a map's root element. Not `role="img"`: its children would be hidden from assistive
/// technology, and they are links.
fn open_map(out: &mut String, id: &str, title: &str, desc: Option<&str>, w: f64, h: f64) {
    let d = if desc.is_some() { format!(" {id}-d") } else { String::new() };
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" role="group" aria-labelledby="{id}-t{d}" viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMidYMid meet"><title id="{id}-t">{}</title>"#,
        N(w),
        N(h),
        Esc(title)
    );
    if let Some(desc) = desc {
        let _ = write!(out, r#"<desc id="{id}-d">{}</desc>"#, Esc(desc));
    }
}

/// The areas as links (`class` gives each path its fill), then the selected ones' outlines.
/// With `one_stop` the map is one stop of the Tab key (a roving tabindex): the first selected
/// area, else the first drawn, has `tabindex="0"`, every other `tabindex="-1"` — a page
/// script may move between them with the arrow keys, and the page should offer the same
/// links in a table.
fn area_links(
    out: &mut String,
    geom: &MapGeometry,
    areas: &[MapArea<'_>],
    class: &dyn Fn(&MapArea<'_>) -> &'static str,
    index: &dyn Fn(&MapArea<'_>) -> Option<usize>,
    one_stop: bool,
) {
    let drawn = |a: &&MapArea<'_>| !geom.path(a.shape).is_empty();
    let stop = areas.iter().filter(drawn).find(|a| a.selected).or_else(|| areas.iter().find(drawn)).map(|a| a.shape);
    for a in areas {
        let d = geom.path(a.shape);
        if d.is_empty() {
            continue;
        }
        let label = Esc(a.label);
        let tabindex = match (one_stop, Some(a.shape) == stop) {
            (false, _) => "",
            (true, true) => r#" tabindex="0""#,
            (true, false) => r#" tabindex="-1""#,
        };
        let _ = write!(out, r#"<a href="{}" aria-label="{label}"{tabindex}><path class="{}"#, Esc(a.href), class(a));
        if let Some(i) = index(a) {
            let _ = write!(out, "{i}");
        }
        let _ = write!(out, r#"" d="{d}"><title>{label}</title></path></a>"#);
    }
    for a in areas.iter().filter(|a| a.selected) {
        let d = geom.path(a.shape);
        if !d.is_empty() {
            let _ = write!(out, r#"<path class="vselh" d="{d}"/><path class="vsel" d="{d}"/>"#);
        }
    }
}

/// The bytes a render of `areas` will take, roughly, so the output is allocated once.
fn capacity(geom: &MapGeometry, areas: &[MapArea<'_>]) -> usize {
    areas.iter().map(|a| geom.path(a.shape).len() * (1 + 2 * usize::from(a.selected)) + 2 * a.label.len() + a.href.len() + 80).sum::<usize>() + 2048
}

/// A choropleth: each area a link (`<a href>` with `aria-label`, a `<title>` tooltip) whose
/// path is filled by its class from [`palette`]`(legend.classes.len(), reverse)` — pass
/// `reverse = true` for a lower-is-better indicator, so that the best is darkest — and
/// hatched grey for no data. Classes past the palette's last colour take the last colour.
/// Hover and keyboard focus outline an area in black; selected areas are outlined thick
/// black on a white halo on top. The legend sits below the map, inside the SVG: the title,
/// a swatch and text per class in a grid, and the hatched "no data" swatch when an area has
/// no data. `desc` should say in words what the map shows; the page should also offer the
/// values as a table.
pub fn choropleth(id: &str, title: &str, desc: &str, geom: &MapGeometry, areas: &[MapArea<'_>], legend: &Legend<'_>, reverse: bool) -> String {
    draw_choropleth(id, title, desc, geom, areas, legend, reverse, true)
}

/// The same map without the legend in the SVG, for a page that writes the legend as text
/// beside it (SVG text shrinks with the map on a phone): see [`legend_swatches`]. The map
/// is one stop of the Tab key (the first selected area, else the first, has
/// `tabindex="0"`, the others `tabindex="-1"`): the page moves between areas with the arrow
/// keys or offers the same links in a table.
pub fn choropleth_map(id: &str, title: &str, desc: &str, geom: &MapGeometry, areas: &[MapArea<'_>], legend: &Legend<'_>, reverse: bool) -> String {
    draw_choropleth(id, title, desc, geom, areas, legend, reverse, false)
}

/// The legend of a [`choropleth`] as (fill colour, text) items, lowest class first, then
/// (none, `no_data`) when an area has no data — to be drawn hatched.
pub fn legend_swatches<'a>(legend: &Legend<'a>, areas: &[MapArea<'_>], reverse: bool) -> Vec<(Option<&'static str>, &'a str)> {
    let colours = palette(legend.classes.len().max(1), reverse);
    let last = colours.len().saturating_sub(1);
    let mut items: Vec<(Option<&'static str>, &'a str)> =
        legend.classes.iter().enumerate().map(|(i, t)| (colours.get(i.min(last)).copied(), t.as_str())).collect();
    if areas.iter().any(|a| a.fill_class.is_none()) && !legend.no_data.is_empty() {
        items.push((None, legend.no_data));
    }
    items
}

#[allow(clippy::too_many_arguments)]
fn draw_choropleth(
    id: &str,
    title: &str,
    desc: &str,
    geom: &MapGeometry,
    areas: &[MapArea<'_>],
    legend: &Legend<'_>,
    reverse: bool,
    with_legend: bool,
) -> String {
    let id = clean_id(id);
    let colours = palette(legend.classes.len().max(1), reverse);
    let last = colours.len().saturating_sub(1);
    let (w, h) = (geom.width(), geom.height());
    // The legend's items: (class or none for no data, text) in a grid of equal columns.
    let mut items: Vec<(Option<usize>, &str)> = legend.classes.iter().enumerate().map(|(i, t)| (Some(i.min(last)), t.as_str())).collect();
    if areas.iter().any(|a| a.fill_class.is_none()) && !legend.no_data.is_empty() {
        items.push((None, legend.no_data));
    }
    if !with_legend {
        items.clear();
    }
    let fs = 14.0;
    let col = items.iter().map(|(_, t)| crate::text_width(t, fs)).fold(0.0, f64::max) + 44.0;
    let cols = (((w - 8.0) / col).floor() as usize).clamp(1, items.len().max(1));
    let rows = items.len().div_ceil(cols);
    let top = if h > 0.0 { h + 8.0 } else { 0.0 };
    let legend_h = if with_legend { 26.0 + 22.0 * rows as f64 } else { 0.0 };
    let mut out = String::with_capacity(capacity(geom, areas) + items.len() * 160);
    open_map(&mut out, &id, title, Some(desc), w, if with_legend { top + legend_h } else { h.max(1.0) });
    out.push_str("<style>");
    map_style(&mut out, &id);
    for (i, c) in colours.iter().enumerate() {
        let _ = write!(out, "#{id} .vc{i}{{fill:{c}}}");
    }
    let _ = write!(
        out,
        r##"#{id} .vnd{{fill:url(#{id}-nd)}}</style><defs><pattern id="{id}-nd" patternUnits="userSpaceOnUse" width="6" height="6"><rect width="6" height="6" fill="#f0f0f0"/><path d="M0 6L6 0M-1 1L1-1M5 7L7 5" stroke="#767676"/></pattern></defs>"##
    );
    area_links(&mut out, geom, areas, &|a| if a.fill_class.is_some() { "vc" } else { "vnd" }, &|a| a.fill_class.map(|c| c.min(last)), !with_legend);
    if !with_legend {
        out.push_str("</svg>");
        return out;
    }
    let _ = write!(out, r#"<g><text x="4" y="{}" font-weight="700">{}</text>"#, N(top + 16.0), Esc(legend.title));
    for (k, (class, text)) in items.iter().enumerate() {
        let (lx, ly) = (4.0 + (k % cols) as f64 * col, top + 26.0 + (k / cols) as f64 * 22.0);
        let _ = match class {
            Some(c) => write!(out, r#"<rect class="vc{c}" x="{}" y="{}" width="24" height="16" stroke="{INK}" stroke-width=".75"/>"#, N(lx), N(ly)),
            None => write!(out, r#"<rect class="vnd" x="{}" y="{}" width="24" height="16" stroke="{INK}" stroke-width=".75"/>"#, N(lx), N(ly)),
        };
        let _ = write!(out, r#"<text x="{}" y="{}">{}</text>"#, N(lx + 32.0), N(ly + 13.0), Esc(text));
    }
    out.push_str("</g></svg>");
    out
}

/// A map of links without values (the województwa on the home page): one light blue fill
/// (darker on hover and focus, with the black outline), each area a link with its label;
/// `fill_class` is ignored, `selected` outlines as in [`choropleth`].
pub fn link_map(id: &str, title: &str, geom: &MapGeometry, areas: &[MapArea<'_>]) -> String {
    let id = clean_id(id);
    let mut out = String::with_capacity(capacity(geom, areas));
    open_map(&mut out, &id, title, None, geom.width(), geom.height().max(1.0));
    out.push_str("<style>");
    map_style(&mut out, &id);
    let _ = write!(out, "#{id} .vf{{fill:#a6cbe3}}#{id} a:hover .vf,#{id} a:focus .vf{{fill:#2c7fb8}}</style>");
    area_links(&mut out, geom, areas, &|_| "vf", &|_| None, false);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(key: &str, x: f64, y: f64) -> Shape {
        Shape { key: key.into(), polygons: vec![vec![vec![(x, y), (x + 1.0, y), (x + 1.0, y + 1.0), (x, y + 1.0), (x, y)]]] }
    }

    /// The rings of path data written by [`push_ring`], back in absolute pixels.
    fn parse(d: &str) -> Vec<Vec<(f64, f64)>> {
        let mut rings = Vec::new();
        for part in d.split('z').filter(|p| !p.is_empty()) {
            let part = part.strip_prefix('M').expect("a ring starts with M");
            let (head, tail) = part.split_once('l').expect("then relative lines");
            let nums = |s: &str| -> Vec<f64> { s.replace('-', " -").split_whitespace().map(|t| t.parse::<f64>().expect("a number")).collect() };
            let tenth = |x: f64| (x * 10.0).round() / 10.0;
            let h = nums(head);
            let mut p = (h[0], h[1]);
            let mut ring = vec![p];
            for xy in nums(tail).chunks(2) {
                p = (tenth(p.0 + xy[0]), tenth(p.1 + xy[1]));
                ring.push(p);
            }
            rings.push(ring);
        }
        rings
    }

    #[test]
    fn the_projection_keeps_the_aspect_at_the_mean_latitude() {
        let g = MapGeometry::new(vec![square("a", 19.0, 51.5)], 100.0 + 2.0 * PAD);
        let ratio = (g.width() - 2.0 * PAD) / (g.height() - 2.0 * PAD);
        assert!((ratio - 52.0f64.to_radians().cos()).abs() < 0.005, "{ratio}");
        let ring = &parse(g.path(0))[0];
        let xs = ring.iter().map(|p| p.0).fold(0.0, f64::max) - ring.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let ys = ring.iter().map(|p| p.1).fold(0.0, f64::max) - ring.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        assert!((xs / ys - 52.0f64.to_radians().cos()).abs() < 0.01, "the drawn square: {xs} × {ys}");
        assert_eq!(g.index("a"), Some(0));
        assert_eq!(g.index("b"), None);
        assert_eq!(g.key(0), Some("a"));
    }

    #[test]
    fn north_is_up() {
        let g = MapGeometry::new(vec![square("s", 19.0, 49.0), square("n", 19.0, 54.0)], 200.0);
        let (s, n) = (parse(g.path(0))[0][0], parse(g.path(1))[0][0]);
        assert!(n.1 < s.1, "the northern square is higher: {n:?} {s:?}");
        assert!(g.height() > g.width(), "6° of latitude by 1° of longitude is tall");
    }

    #[test]
    fn simplification_keeps_the_shape_with_far_fewer_points() {
        let circle: Vec<(f64, f64)> =
            (0..=10_000).map(|i| f64::from(i) / 10_000.0 * std::f64::consts::TAU).map(|t| (100.0 + 90.0 * t.cos(), 100.0 + 90.0 * t.sin())).collect();
        let s = simplify(&circle, 0.5);
        assert!(s.len() < 200, "{} points", s.len());
        let (a, b) = (ring_area(&circle).abs(), ring_area(&s).abs());
        assert!((a - b).abs() / a < 0.02, "{a} vs {b}");
    }

    #[test]
    fn a_circle_of_ten_thousand_points_is_drawn_with_far_fewer_and_the_same_area() {
        let (lat, r) = (52.0f64, 1.0);
        let k = lat.to_radians().cos();
        let ring: Vec<(f64, f64)> =
            (0..=10_000).map(|i| f64::from(i) / 10_000.0 * std::f64::consts::TAU).map(|t| (19.0 + r * t.cos() / k, lat + r * t.sin())).collect();
        let g = MapGeometry::new(vec![Shape { key: "c".into(), polygons: vec![vec![ring]] }], 640.0);
        let drawn = parse(g.path(0));
        assert_eq!(drawn.len(), 1);
        assert!(drawn[0].len() < 300, "{} points", drawn[0].len());
        let radius = (g.width() - 2.0 * PAD) / 2.0;
        let (want, got) = (std::f64::consts::PI * radius * radius, ring_area(&drawn[0]).abs());
        assert!((want - got).abs() / want < 0.02, "{want} vs {got}");
        assert!(g.path(0).len() < 3000, "{} bytes", g.path(0).len());
    }

    #[test]
    fn holes_are_kept_and_tiny_rings_dropped() {
        let outer = vec![(14.0, 49.0), (24.0, 49.0), (24.0, 55.0), (14.0, 55.0), (14.0, 49.0)];
        let hole = vec![(18.0, 51.0), (19.0, 51.0), (19.0, 52.0), (18.0, 52.0), (18.0, 51.0)];
        let speck = vec![(20.0, 50.0), (20.000_01, 50.0), (20.0, 50.000_01), (20.0, 50.0)];
        let g = MapGeometry::new(vec![Shape { key: "a".into(), polygons: vec![vec![outer, hole], vec![speck]] }], 640.0);
        assert_eq!(parse(g.path(0)).len(), 2, "outer ring and hole, without the speck: {}", g.path(0));
    }

    #[test]
    fn tiny_and_broken_shapes_are_kept_or_skipped_without_panic() {
        let tiny = Shape { key: "t".into(), polygons: vec![vec![vec![(19.0, 52.0), (19.000_001, 52.0), (19.0, 52.000_001)]]] };
        let two = Shape { key: "2".into(), polygons: vec![vec![vec![(20.0, 52.0), (20.1, 52.0)]]] };
        let broken = Shape { key: "b".into(), polygons: vec![vec![vec![(f64::NAN, 1.0), (f64::INFINITY, 2.0)]]] };
        let none = Shape { key: "n".into(), polygons: vec![] };
        let g = MapGeometry::new(vec![square("a", 14.0, 49.0), tiny, two, broken, none], 640.0);
        assert_eq!(g.len(), 5);
        let t = parse(g.path(1));
        assert_eq!(t.len(), 1, "a tiny unit is still drawn");
        assert_eq!(t[0].len(), 3, "as a small triangle");
        assert!(!g.path(2).is_empty(), "a unit of two points too");
        assert!(g.path(3).is_empty() && g.path(4).is_empty() && g.path(99).is_empty());
        let empty = MapGeometry::new(Vec::new(), 640.0);
        assert!(empty.is_empty() && empty.height() == 0.0);
        let point = MapGeometry::new(vec![square("p", 19.0, 52.0), Shape { key: "q".into(), polygons: vec![vec![vec![(19.0, 52.0); 4]]] }], f64::NAN);
        assert_eq!(point.width(), 640.0);
    }

    #[test]
    fn paths_are_compact_relative_and_closed() {
        let mut d = String::new();
        push_ring(&mut d, &[(123, 456), (128, 456), (128, 400), (100, 405)]);
        assert_eq!(d, "M12.3 45.6l.5 0 0-5.6-2.8 .5z");
        assert_eq!(parse(&d), vec![vec![(12.3, 45.6), (12.8, 45.6), (12.8, 40.0), (10.0, 40.5)]]);
    }
}
