//! Maps: geometry projected and simplified once ([`MapGeometry`]), then drawn many times as a
//! choropleth (areas filled by class, "no data" hatched, each area a link with its name and
//! value) or as a plain map of links.

use std::fmt::Write;

use crate::{esc, n, palette};

/// One unit's outline: polygons → rings → (lon, lat) in WGS84; ring 0 of a polygon is its
/// outer ring, the rest holes (GeoJSON order).
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub key: String,
    pub polygons: Vec<Vec<Vec<(f64, f64)>>>,
}

/// Outlines prepared for drawing: projected (equirectangular scaled by the cosine of the
/// mean latitude — fine at Poland's size), y downwards, simplified to half a pixel, as SVG
/// path data.
#[derive(Debug, Clone, Default)]
pub struct MapGeometry {
    width: f64,
    height: f64,
    keys: Vec<String>,
    paths: Vec<String>,
}

/// One area to draw.
#[derive(Debug, Clone)]
pub struct MapArea<'a> {
    /// Its index in the geometry.
    pub shape: usize,
    /// Its class, or none for no data (drawn hatched).
    pub fill_class: Option<usize>,
    pub href: &'a str,
    /// What hovering, focus and screen readers say, e.g. "Kraków: 12,3 %".
    pub label: &'a str,
    pub selected: bool,
}

/// The legend: one caller-formatted text per class.
#[derive(Debug, Clone)]
pub struct Legend<'a> {
    pub title: &'a str,
    pub classes: &'a [String],
    pub no_data: &'a str,
}

impl MapGeometry {
    pub fn new(shapes: Vec<Shape>, width: f64) -> MapGeometry {
        let width = if width.is_finite() && width > 1.0 { width } else { 640.0 };
        let pts = || shapes.iter().flat_map(|s| s.polygons.iter().flatten().flatten()).filter(|(x, y)| x.is_finite() && y.is_finite());
        let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for &(x, y) in pts() {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            return MapGeometry { width, height: 0.0, keys: shapes.into_iter().map(|s| s.key).collect(), paths: Vec::new() };
        }
        let k = ((y0 + y1) / 2.0).to_radians().cos().abs().max(0.01);
        let span = ((x1 - x0) * k).max((y1 - y0) * 1e-6).max(1e-9);
        let scale = width / span;
        let height = ((y1 - y0) * scale).max(1.0);
        let project = |(x, y): (f64, f64)| ((x - x0) * k * scale, (y1 - y) * scale);
        let mut keys = Vec::with_capacity(shapes.len());
        let mut paths = Vec::with_capacity(shapes.len());
        for s in shapes {
            let mut rings: Vec<Vec<(f64, f64)>> = Vec::new();
            let mut largest: Option<(f64, Vec<(f64, f64)>)> = None;
            for ring in s.polygons.iter().flatten() {
                let p: Vec<(f64, f64)> = ring.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite()).map(project).collect();
                if p.len() < 3 {
                    continue;
                }
                let simple = simplify(&p, 0.5);
                let area = ring_area(&simple).abs();
                if largest.as_ref().is_none_or(|(a, _)| area > *a) {
                    largest = Some((area, if simple.len() >= 3 { simple.clone() } else { p[..3].to_vec() }));
                }
                if simple.len() >= 3 && area >= 1.0 {
                    rings.push(simple);
                }
            }
            if rings.is_empty() {
                rings.extend(largest.map(|(_, r)| r));
            }
            let mut d = String::with_capacity(rings.iter().map(|r| r.len() * 12).sum());
            for r in &rings {
                for (i, &(x, y)) in r.iter().enumerate() {
                    d.push(if i == 0 { 'M' } else { 'L' });
                    let _ = write!(d, "{} {}", n(x), n(y));
                }
                d.push('Z');
            }
            keys.push(s.key);
            paths.push(d);
        }
        MapGeometry { width, height, keys, paths }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn index(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|k| k == key)
    }

    pub fn width(&self) -> f64 {
        self.width
    }

    pub fn height(&self) -> f64 {
        self.height
    }

    /// The path data of shape `i` (empty when it has no usable ring).
    pub fn path(&self, i: usize) -> &str {
        self.paths.get(i).map_or("", String::as_str)
    }
}

/// Douglas–Peucker on a closed ring (first point kept; the ring's closing point dropped).
fn simplify(ring: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = ring.to_vec();
    if pts.len() > 1 && pts.first() == pts.last() {
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
    let mut closed = pts.clone();
    closed.push(pts[0]);
    let mut stack = vec![(0usize, far), (far, pts.len())];
    let t2 = tolerance * tolerance;
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (mut worst, mut at) = (0.0, a);
        for i in a + 1..b {
            let d = seg_dist2(closed[i], closed[a], closed[b]);
            if d > worst {
                worst = d;
                at = i;
            }
        }
        if worst > t2 {
            keep[at] = true;
            stack.push((a, at));
            stack.push((at, b));
        }
    }
    pts.iter().enumerate().filter(|(i, _)| keep[*i]).map(|(_, p)| *p).collect()
}

fn dist2(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)
}

fn seg_dist2(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let l2 = dist2(a, b);
    if l2 == 0.0 {
        return dist2(p, a);
    }
    let t = (((p.0 - a.0) * (b.0 - a.0) + (p.1 - a.1) * (b.1 - a.1)) / l2).clamp(0.0, 1.0);
    dist2(p, (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)))
}

/// Signed area (shoelace).
fn ring_area(r: &[(f64, f64)]) -> f64 {
    let mut s = 0.0;
    for i in 0..r.len() {
        let (a, b) = (r[i], r[(i + 1) % r.len()]);
        s += a.0 * b.1 - b.0 * a.1;
    }
    s / 2.0
}

const MAP_STYLE: &str = "path{stroke:#fff;stroke-width:.6;vector-effect:non-scaling-stroke}a:hover path,a:focus path{stroke:#000;stroke-width:2.5}a:focus{outline:none}.sel{fill:none;stroke:#000;stroke-width:3;pointer-events:none}text{font:12px system-ui,sans-serif;fill:#1a1a1a}";

fn open_svg(out: &mut String, id: &str, title: &str, desc: &str, w: f64, h: f64) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" role="img" aria-labelledby="{id}-t {id}-d" viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMidYMid meet"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        n(w),
        n(h),
        esc(title),
        esc(desc)
    );
}

fn area_links(out: &mut String, geom: &MapGeometry, areas: &[MapArea<'_>], fill: &dyn Fn(&MapArea<'_>) -> String) {
    for a in areas {
        let d = geom.path(a.shape);
        if d.is_empty() {
            continue;
        }
        let label = esc(a.label);
        let _ = write!(out, r#"<a href="{}" aria-label="{label}"><path d="{d}" fill="{}"><title>{label}</title></path></a>"#, esc(a.href), fill(a));
    }
    for a in areas.iter().filter(|a| a.selected) {
        let d = geom.path(a.shape);
        if !d.is_empty() {
            let _ = write!(out, r#"<path class="sel" d="{d}"/>"#);
        }
    }
}

/// A choropleth: areas filled by class from [`palette`] (`reverse` as there), no data
/// hatched, the selected area outlined in black, the legend below the map.
pub fn choropleth(id: &str, title: &str, desc: &str, geom: &MapGeometry, areas: &[MapArea<'_>], legend: &Legend<'_>, reverse: bool) -> String {
    let colours = palette(legend.classes.len().max(1), reverse);
    let rows = legend.classes.len() + 1;
    let legend_h = 24.0 + 20.0 * rows as f64;
    let (w, h) = (geom.width(), geom.height());
    let mut out = String::with_capacity(geom.paths.iter().map(String::len).sum::<usize>() + areas.len() * 160 + 2048);
    open_svg(&mut out, id, title, desc, w, h + legend_h);
    let _ = write!(
        out,
        r##"<style>{MAP_STYLE}</style><defs><pattern id="{id}-nd" patternUnits="userSpaceOnUse" width="6" height="6"><rect width="6" height="6" fill="#f2f2f2"/><path d="M0 6L6 0" stroke="#767676" stroke-width="1"/></pattern></defs>"##
    );
    let nd = format!("url(#{id}-nd)");
    area_links(&mut out, geom, areas, &|a| match a.fill_class {
        Some(c) => colours.get(c.min(colours.len().saturating_sub(1))).copied().unwrap_or("#41b6c4").to_owned(),
        None => nd.clone(),
    });
    let y = h + 16.0;
    let _ = write!(out, r#"<text x="4" y="{}" font-weight="700">{}</text>"#, n(y), esc(legend.title));
    for (i, text) in legend.classes.iter().enumerate() {
        let yy = y + 8.0 + 20.0 * i as f64;
        let _ = write!(
            out,
            r##"<rect x="4" y="{}" width="22" height="14" fill="{}" stroke="#595959"/><text x="32" y="{}">{}</text>"##,
            n(yy),
            colours.get(i).copied().unwrap_or("#41b6c4"),
            n(yy + 12.0),
            esc(text)
        );
    }
    let yy = y + 8.0 + 20.0 * legend.classes.len() as f64;
    let _ = write!(
        out,
        r##"<rect x="4" y="{}" width="22" height="14" fill="url(#{id}-nd)" stroke="#595959"/><text x="32" y="{}">{}</text></svg>"##,
        n(yy),
        n(yy + 12.0),
        esc(legend.no_data)
    );
    out
}

/// A map of links without values (e.g. the województwa on the home page).
pub fn link_map(id: &str, title: &str, geom: &MapGeometry, areas: &[MapArea<'_>]) -> String {
    let mut out = String::with_capacity(geom.paths.iter().map(String::len).sum::<usize>() + areas.len() * 160 + 512);
    open_svg(&mut out, id, title, title, geom.width(), geom.height());
    let _ = write!(out, "<style>{MAP_STYLE}a:hover path,a:focus path{{fill:#2c7fb8}}</style>");
    area_links(&mut out, geom, areas, &|_| "#a6cbe3".to_owned());
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(key: &str, x: f64, y: f64) -> Shape {
        Shape { key: key.into(), polygons: vec![vec![vec![(x, y), (x + 1.0, y), (x + 1.0, y + 1.0), (x, y + 1.0), (x, y)]]] }
    }

    #[test]
    fn the_projection_keeps_the_aspect_at_the_mean_latitude() {
        let g = MapGeometry::new(vec![square("a", 19.0, 51.5)], 100.0);
        let ratio = g.width() / g.height();
        assert!((ratio - 52.0f64.to_radians().cos()).abs() < 0.01, "{ratio}");
        assert_eq!(g.index("a"), Some(0));
        assert_eq!(g.index("b"), None);
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
    fn tiny_and_broken_shapes_are_kept_or_skipped_without_panic() {
        let tiny = Shape { key: "t".into(), polygons: vec![vec![vec![(19.0, 52.0), (19.000001, 52.0), (19.0, 52.000001)]]] };
        let broken = Shape { key: "b".into(), polygons: vec![vec![vec![(f64::NAN, 1.0), (2.0, 2.0)]]] };
        let g = MapGeometry::new(vec![square("a", 14.0, 49.0), tiny, broken], 640.0);
        assert!(!g.path(1).is_empty(), "a tiny unit is still drawn");
        assert!(g.path(2).is_empty());
        let empty = MapGeometry::new(Vec::new(), 640.0);
        assert!(empty.is_empty());
        let svg = choropleth("m", "t", "d", &empty, &[], &Legend { title: "x", classes: &[], no_data: "brak" }, false);
        assert!(svg.ends_with("</svg>") && !svg.contains("NaN"));
    }

    #[test]
    fn a_choropleth_links_every_area_and_marks_no_data_and_the_selection() {
        let g = MapGeometry::new(vec![square("a", 14.0, 49.0), square("b", 15.0, 49.0)], 200.0);
        let classes = vec!["1 – 2".to_owned(), "2 – 3".to_owned()];
        let areas = [
            MapArea { shape: 0, fill_class: Some(1), href: "/jst/02?a=1&b=2", label: "A <b>: 3", selected: true },
            MapArea { shape: 1, fill_class: None, href: "/jst/04", label: "B: brak", selected: false },
        ];
        let svg = choropleth("m", "Mapa", "Opis", &g, &areas, &Legend { title: "zł", classes: &classes, no_data: "brak danych" }, false);
        assert_eq!(svg.matches("<a href=").count(), 2);
        assert!(svg.contains("href=\"/jst/02?a=1&amp;b=2\""));
        assert!(svg.contains("A &lt;b&gt;: 3"), "labels escaped");
        assert!(svg.contains(&format!("fill=\"{}\"", palette(2, false)[1])));
        assert!(svg.contains("fill=\"url(#m-nd)\""), "no data hatched");
        assert!(svg.contains("class=\"sel\""));
        assert!(svg.contains("brak danych"));
        crate::tests::well_formed(&svg);
        let links = link_map("w", "Województwa", &g, &areas);
        assert_eq!(links.matches("<a href=").count(), 2);
        crate::tests::well_formed(&links);
    }
}
