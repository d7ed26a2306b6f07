//! Boundary geometry, pure: which units share a border (with a tolerance, through an R-tree of
//! border segments) and a topology-preserving simplification (every shared border arc is
//! simplified once, so both neighbours get the same line), and the GeoJSON text stored.

use std::collections::HashMap;

use geo::{Coord, LineString, MultiPolygon, Orient, Polygon, Simplify, orient::Direction};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Metres per degree of longitude and latitude at 52°N (Poland's middle): the borders are
/// compared in this local plane; the error over Poland (49–55°N) is within ±7 % of a tolerance.
const M_PER_DEG_X: f64 = 111_320.0 * 0.615_661_475_325_658; // cos 52°
const M_PER_DEG_Y: f64 = 110_574.0;

/// Rounds every coordinate to 1e-6 degree (about 0.1 m), so that a vertex two features share
/// is bit-for-bit one key, in the stored text too.
pub fn round(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let r = |c: Coord<f64>| Coord { x: (c.x * 1e6).round() / 1e6, y: (c.y * 1e6).round() / 1e6 };
    MultiPolygon::new(
        mp.0.iter()
            .map(|p| {
                Polygon::new(
                    LineString::new(p.exterior().0.iter().map(|&c| r(c)).collect()),
                    p.interiors().iter().map(|h| LineString::new(h.0.iter().map(|&c| r(c)).collect())).collect(),
                )
            })
            .collect(),
    )
}

struct Segment {
    feature: u32,
    a: [f64; 2],
    b: [f64; 2],
}

/// The pairs `(i, j)`, `i < j`, of shapes sharing a border: at least `min_shared_m` metres
/// of their outlines lie within `tolerance_m` of each other, nearly parallel. A corner point
/// in common is not a border. Each pair comes with the shared length in metres.
pub fn adjacency(shapes: &[MultiPolygon<f64>], tolerance_m: f64, min_shared_m: f64) -> Vec<(usize, usize, f64)> {
    let mut segments = Vec::new();
    for (f, mp) in shapes.iter().enumerate() {
        for p in &mp.0 {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for w in ring.0.windows(2) {
                    let a = [w[0].x * M_PER_DEG_X, w[0].y * M_PER_DEG_Y];
                    let b = [w[1].x * M_PER_DEG_X, w[1].y * M_PER_DEG_Y];
                    if a != b {
                        segments.push(Segment { feature: f as u32, a, b });
                    }
                }
            }
        }
    }
    let tree = RTree::bulk_load(
        segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let lo = [s.a[0].min(s.b[0]), s.a[1].min(s.b[1])];
                let hi = [s.a[0].max(s.b[0]), s.a[1].max(s.b[1])];
                GeomWithData::new(Rectangle::from_corners(lo, hi), i)
            })
            .collect(),
    );
    let mut shared: HashMap<(u32, u32), f64> = HashMap::new();
    for s in &segments {
        let lo = [s.a[0].min(s.b[0]) - tolerance_m, s.a[1].min(s.b[1]) - tolerance_m];
        let hi = [s.a[0].max(s.b[0]) + tolerance_m, s.a[1].max(s.b[1]) + tolerance_m];
        for cand in tree.locate_in_envelope_intersecting(&AABB::from_corners(lo, hi)) {
            let t = &segments[cand.data];
            // Measured along the lower-numbered feature's outline only: each pair once.
            if t.feature <= s.feature {
                continue;
            }
            let ov = overlap(s, t, tolerance_m);
            if ov > 0.0 {
                *shared.entry((s.feature, t.feature)).or_default() += ov;
            }
        }
    }
    let mut pairs: Vec<(usize, usize, f64)> =
        shared.into_iter().filter(|&(_, len)| len >= min_shared_m).map(|((a, b), len)| (a as usize, b as usize, len)).collect();
    pairs.sort_by_key(|p| (p.0, p.1));
    pairs
}

/// The length of `s` along which `t` runs within `tol` of it (0 unless nearly parallel).
fn overlap(s: &Segment, t: &Segment, tol: f64) -> f64 {
    let (dx, dy) = (s.b[0] - s.a[0], s.b[1] - s.a[1]);
    let len = dx.hypot(dy);
    let (ux, uy) = (dx / len, dy / len);
    let along = |p: [f64; 2]| (p[0] - s.a[0]) * ux + (p[1] - s.a[1]) * uy;
    let across = |p: [f64; 2]| (p[1] - s.a[1]) * ux - (p[0] - s.a[0]) * uy;
    let (pa, pb) = (along(t.a), along(t.b));
    let (da, db) = (across(t.a), across(t.b));
    if (pb - pa).abs() < 1e-9 {
        return 0.0;
    }
    let lo = pa.min(pb).max(0.0);
    let hi = pa.max(pb).min(len);
    if hi <= lo {
        return 0.0;
    }
    let offset = |p: f64| da + (db - da) * (p - pa) / (pb - pa);
    if offset(lo).abs() <= tol && offset(hi).abs() <= tol { hi - lo } else { 0.0 }
}

type Key = (u64, u64);

fn key(c: Coord<f64>) -> Key {
    (c.x.to_bits(), c.y.to_bits())
}

/// Simplifies every shape by Douglas–Peucker with `epsilon_deg`, keeping topology: outlines
/// are cut into arcs at junctions (vertices whose neighbouring vertices differ between the
/// rings that use them, as in TopoJSON), and each arc is simplified in one canonical
/// direction, so an arc two units share comes out identical in both; junctions are kept. A
/// ring that would fall below four positions keeps all of its own.
pub fn simplify_shared(shapes: &[MultiPolygon<f64>], epsilon_deg: f64) -> Vec<MultiPolygon<f64>> {
    // Distinct neighbours of each vertex over all rings (three are enough to call a junction).
    let mut around: HashMap<Key, Vec<Key>> = HashMap::new();
    let rings = || shapes.iter().flat_map(|mp| mp.0.iter()).flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
    for ring in rings() {
        let pts = open_ring(ring);
        let n = pts.len();
        for i in 0..n {
            let e = around.entry(key(pts[i])).or_default();
            for nb in [key(pts[(i + n - 1) % n]), key(pts[(i + 1) % n])] {
                if e.len() < 3 && !e.contains(&nb) {
                    e.push(nb);
                }
            }
        }
    }
    let junction = |c: Coord<f64>| around.get(&key(c)).is_some_and(|v| v.len() > 2);
    let simplify_ring = |ring: &LineString<f64>| -> LineString<f64> {
        let pts = open_ring(ring);
        let n = pts.len();
        if n < 3 {
            return ring.clone();
        }
        let junctions: Vec<usize> = (0..n).filter(|&i| junction(pts[i])).collect();
        let mut out: Vec<Coord<f64>> = Vec::with_capacity(n + 1);
        if junctions.is_empty() {
            // One closed arc: start at the smallest vertex, go towards its smaller neighbour.
            let s = (0..n).min_by_key(|&i| key(pts[i])).unwrap_or(0);
            let forward = key(pts[(s + 1) % n]) <= key(pts[(s + n - 1) % n]);
            let seq: Vec<Coord<f64>> = (0..=n).map(|k| if forward { pts[(s + k) % n] } else { pts[(s + n - k % n) % n] }).collect();
            let mut simple = LineString::new(seq).simplify(epsilon_deg).0;
            if !forward {
                simple.reverse();
            }
            out = simple;
        } else {
            for (j, &start) in junctions.iter().enumerate() {
                let end = junctions[(j + 1) % junctions.len()];
                let len = if end > start { end - start } else { end + n - start };
                let mut arc: Vec<Coord<f64>> = (0..=len).map(|k| pts[(start + k) % n]).collect();
                let reversed = (key(arc[0]), key(arc[1])) > (key(arc[len]), key(arc[len - 1]));
                if reversed {
                    arc.reverse();
                }
                let mut simple = LineString::new(arc).simplify(epsilon_deg).0;
                if reversed {
                    simple.reverse();
                }
                if !out.is_empty() {
                    simple.remove(0);
                }
                out.extend(simple);
            }
        }
        if out.len() < 4 { ring.clone() } else { LineString::new(out) }
    };
    shapes
        .iter()
        .map(|mp| {
            MultiPolygon::new(
                mp.0.iter().map(|p| Polygon::new(simplify_ring(p.exterior()), p.interiors().iter().map(simplify_ring).collect())).collect(),
            )
        })
        .collect()
}

/// A ring's positions without the closing repeat.
fn open_ring(ring: &LineString<f64>) -> &[Coord<f64>] {
    let c = &ring.0;
    if c.len() > 1 && c.first() == c.last() { &c[..c.len() - 1] } else { c }
}

/// GeoJSON geometry text (MultiPolygon, RFC 7946 ring order: outer counter-clockwise) and the
/// bounding box `[west, south, east, north]`.
pub fn to_geojson(mp: &MultiPolygon<f64>) -> (String, [f64; 4]) {
    let mp = mp.orient(Direction::Default);
    let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    let mut s = String::from(r#"{"type":"MultiPolygon","coordinates":["#);
    for (i, p) in mp.0.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('[');
        for (j, ring) in std::iter::once(p.exterior()).chain(p.interiors()).enumerate() {
            if j > 0 {
                s.push(',');
            }
            s.push('[');
            for (k, c) in ring.0.iter().enumerate() {
                if k > 0 {
                    s.push(',');
                }
                s.push_str(&format!("[{},{}]", c.x, c.y));
                bbox = [bbox[0].min(c.x), bbox[1].min(c.y), bbox[2].max(c.x), bbox[3].max(c.y)];
            }
            s.push(']');
        }
        s.push(']');
    }
    s.push_str("]}");
    (s, bbox)
}

/// Number of positions in a shape.
pub fn vertices(mp: &MultiPolygon<f64>) -> usize {
    mp.0.iter().map(|p| p.exterior().0.len() + p.interiors().iter().map(|h| h.0.len()).sum::<usize>()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, size: f64) -> MultiPolygon<f64> {
        let c = |x: f64, y: f64| Coord { x, y };
        MultiPolygon::new(vec![Polygon::new(LineString::new(vec![c(x, y), c(x + size, y), c(x + size, y + size), c(x, y + size), c(x, y)]), vec![])])
    }

    #[test]
    fn squares_sharing_an_edge_are_neighbours_and_a_corner_is_not() {
        // 0 and 1 share an edge; 2 touches 0 only at a corner; 3 is 1 m off 1's edge.
        let shapes = [square(19.0, 50.0, 0.01), square(19.01, 50.0, 0.01), square(19.01, 50.01, 0.01), square(19.02001, 50.0, 0.01)];
        let pairs: Vec<(usize, usize)> = adjacency(&shapes, 5.0, 20.0).into_iter().map(|(a, b, _)| (a, b)).collect();
        assert_eq!(pairs, vec![(0, 1), (1, 2), (1, 3)]);
        let far: Vec<(usize, usize)> = adjacency(&shapes, 0.5, 20.0).into_iter().map(|(a, b, _)| (a, b)).collect();
        assert_eq!(far, vec![(0, 1), (1, 2)], "1 m apart is no border at a 0.5 m tolerance");
    }

    #[test]
    fn a_shared_wiggly_border_is_simplified_identically_on_both_sides() {
        let c = |x: f64, y: f64| Coord { x, y };
        // A border from (0,0) to (0,10) with small wiggles, shared by a left and a right shape.
        let border: Vec<Coord<f64>> = (0..=10).map(|i| c(if i % 2 == 1 { 0.001 } else { 0.0 }, i as f64)).collect();
        let mut left = vec![c(-5.0, 0.0)];
        left.extend(border.iter().copied());
        left.extend([c(-5.0, 10.0), c(-5.0, 0.0)]);
        let mut right: Vec<Coord<f64>> = border.iter().rev().copied().collect();
        right.extend([c(5.0, 0.0), c(5.0, 10.0)]);
        right.push(right[0]);
        let shapes = [
            MultiPolygon::new(vec![Polygon::new(LineString::new(left), vec![])]),
            MultiPolygon::new(vec![Polygon::new(LineString::new(right), vec![])]),
        ];
        let out = simplify_shared(&shapes, 0.01);
        let on_border = |mp: &MultiPolygon<f64>| -> Vec<Key> {
            let mut v: Vec<Key> = mp.0[0].exterior().0.iter().filter(|p| p.x.abs() < 0.01).map(|&p| key(p)).collect();
            v.sort();
            v.dedup();
            v
        };
        assert_eq!(on_border(&out[0]), on_border(&out[1]));
        assert_eq!(on_border(&out[0]).len(), 2, "the wiggles are gone, the two junctions stay");
    }
}
