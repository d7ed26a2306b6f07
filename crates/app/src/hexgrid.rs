//! Hex-grid boundaries for the synthetic demo country: a grid of hexagons over a rough
//! outline of Poland, split into województwa, powiaty and gminy that are each one contiguous
//! set of hexes; their outlines as GeoJSON and who borders whom. Pure and deterministic: no
//! I/O, the same layout from the same [`Rng`] on every machine.
//!
//! The geometry is exact. A hex is a pair of integer axial coordinates (pointy-top) and its
//! corners are points of an integer lattice, so two hexes that share an edge share it bit for
//! bit. An outline is the hex edges whose other side lies outside the set, chained into rings;
//! every lattice corner touches three hexes, so a boundary never pinches and each corner has
//! at most one outgoing boundary edge. Hexes are counter-clockwise, so the outer ring of a
//! set comes out counter-clockwise and its holes clockwise, as RFC 7946 wants. Only at the end
//! are lattice points turned into lon/lat, with the longitude scaled by cos 52° so that the
//! hexes look regular on a map of Poland.
//!
//! The split is region growing: each part starts from a seed cell (near a given point, deep
//! inside the parent for cities, or as far as possible from the seeds already placed) and the
//! part furthest below its target takes the free neighbouring cell nearest its seed (with a
//! little noise, so boundaries are not straight). Growth through neighbours keeps every part
//! contiguous; a part that ends up smaller than it must be takes cells from a neighbour that
//! can spare them without falling apart.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use model::Level;

use crate::rng::Rng;

/// cos 52°: one degree of longitude is this many degrees of latitude in the middle of Poland.
const COS_LAT: f64 = 0.615_661_475_325_658_3;
const LON0: f64 = 14.1;
const LAT0: f64 = 49.0;

/// A rough outline of Poland (lon, lat), clockwise from Świnoujście along the coast.
const POLAND: [(f64, f64); 52] = [
    (14.22, 53.93),
    (14.45, 53.95),
    (14.77, 54.03),
    (15.58, 54.18),
    (16.41, 54.44),
    (16.85, 54.59),
    (17.55, 54.76),
    (18.33, 54.83),
    (18.42, 54.79),
    (18.55, 54.52),
    (18.65, 54.40),
    (19.45, 54.38),
    (19.63, 54.45),
    (20.40, 54.40),
    (21.40, 54.33),
    (22.79, 54.36),
    (23.05, 54.25),
    (23.50, 53.95),
    (23.60, 53.60),
    (23.80, 53.25),
    (23.95, 52.75),
    (23.20, 52.30),
    (23.65, 52.05),
    (23.60, 51.50),
    (24.15, 50.86),
    (23.70, 50.40),
    (23.40, 50.35),
    (22.68, 49.80),
    (22.65, 49.50),
    (22.88, 49.10),
    (22.56, 49.00),
    (21.60, 49.43),
    (20.95, 49.30),
    (20.35, 49.40),
    (20.07, 49.18),
    (19.80, 49.20),
    (19.50, 49.60),
    (19.00, 49.40),
    (18.85, 49.52),
    (18.60, 49.90),
    (18.20, 50.00),
    (17.60, 50.27),
    (17.00, 50.42),
    (16.70, 50.10),
    (16.20, 50.43),
    (15.80, 50.75),
    (14.82, 50.87),
    (14.98, 51.10),
    (14.75, 51.55),
    (14.75, 52.05),
    (14.55, 52.60),
    (14.13, 52.85),
];
/// Where the outline closes: up the Odra estuary back to Świnoujście.
const POLAND_CLOSE: [(f64, f64); 2] = [(14.40, 53.25), (14.25, 53.75)];

/// A hexagon in axial coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Hex {
    pub q: i32,
    pub r: i32,
}

/// The neighbour across edge k (edge k runs from corner k to corner k + 1).
const DIRS: [(i32, i32); 6] = [(0, 1), (-1, 1), (-1, 0), (0, -1), (1, -1), (1, 0)];
/// The corners, counter-clockwise from 30°, in lattice units around the centre.
const CORNERS: [(i64, i64); 6] = [(1, 1), (0, 2), (-1, 1), (-1, -1), (0, -2), (1, -1)];

/// A point of the corner lattice: x in units of √3/2 · s, y in units of s/2.
type Pt = (i64, i64);

impl Hex {
    fn neighbour(self, k: usize) -> Hex {
        let (dq, dr) = DIRS[k % 6];
        Hex { q: self.q + dq, r: self.r + dr }
    }
    fn centre(self) -> Pt {
        (2 * i64::from(self.q) + i64::from(self.r), 3 * i64::from(self.r))
    }
    fn corner(self, k: usize) -> Pt {
        let (cx, cy) = self.centre();
        let (dx, dy) = CORNERS[k % 6];
        (cx + dx, cy + dy)
    }
}

/// A gmina to place: `weight` is its wanted number of hexes (at least one is given).
#[derive(Debug, Clone)]
pub(crate) struct GminaSpec<K> {
    pub key: K,
    pub weight: u32,
}

/// A powiat, or a city with powiat rights (`city`: its one gmina is the city itself, placed
/// deep inside the województwo).
#[derive(Debug, Clone)]
pub(crate) struct PowiatSpec<K> {
    pub key: K,
    pub city: bool,
    pub gminy: Vec<GminaSpec<K>>,
}

/// A województwo, grown from `anchor` (lon, lat).
#[derive(Debug, Clone)]
pub(crate) struct WojSpec<K> {
    pub key: K,
    pub anchor: (f64, f64),
    pub powiaty: Vec<PowiatSpec<K>>,
}

/// One unit's hexes and outline.
#[derive(Debug, Clone)]
pub(crate) struct Shape<K> {
    pub key: K,
    // The level and the hexes are what the tests check the geometry against.
    #[cfg_attr(not(test), allow(dead_code))]
    pub level: Level,
    /// Sorted.
    #[cfg_attr(not(test), allow(dead_code))]
    pub hexes: Vec<Hex>,
    /// A GeoJSON Polygon or MultiPolygon.
    pub geometry: String,
    /// West, south, east, north.
    pub bbox: [f64; 4],
}

#[derive(Debug, Clone)]
pub(crate) struct Layout<K> {
    /// The country, then per województwo: itself, then per powiat: itself and its gminy.
    pub shapes: Vec<Shape<K>>,
    /// Units of the same level whose hexes share an edge, each pair once (gmina–gmina,
    /// powiat–powiat with the cities with powiat rights, województwo–województwo).
    pub adjacency: Vec<(K, K)>,
    /// The hex size (centre to corner) in degrees of latitude.
    #[cfg_attr(not(test), allow(dead_code))]
    pub size: f64,
}

/// The lattice ↔ lon/lat mapping of one grid.
#[derive(Debug, Clone, Copy)]
struct Frame {
    size: f64,
}

impl Frame {
    fn lonlat(self, (x, y): Pt) -> (f64, f64) {
        (LON0 + x as f64 * 0.75f64.sqrt() * self.size / COS_LAT, LAT0 + y as f64 * self.size / 2.0)
    }
    /// A lon/lat point in (fractional) lattice units.
    fn lattice(self, (lon, lat): (f64, f64)) -> (f64, f64) {
        ((lon - LON0) * COS_LAT / (0.75f64.sqrt() * self.size), (lat - LAT0) / (self.size / 2.0))
    }
}

/// Squared distance between lattice points, in units of the hex size squared.
fn dist2(a: (f64, f64), b: (f64, f64)) -> f64 {
    0.75 * (a.0 - b.0).powi(2) + 0.25 * (a.1 - b.1).powi(2)
}

fn fpt(p: Pt) -> (f64, f64) {
    (p.0 as f64, p.1 as f64)
}

fn inside(poly: &[(f64, f64)], (x, y): (f64, f64)) -> bool {
    let mut odd = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (xi, yi) = poly[i];
        let (xj, yj) = poly[j];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            odd = !odd;
        }
        j = i;
    }
    odd
}

fn poland() -> Vec<(f64, f64)> {
    POLAND.iter().chain(POLAND_CLOSE.iter()).copied().collect()
}

/// The grid: cells, their index, and each cell's neighbours inside the grid.
struct Grid {
    cells: Vec<Hex>,
    nbr: Vec<[Option<u32>; 6]>,
}

impl Grid {
    /// The hexes whose centres fall inside Poland, the largest connected piece of them.
    fn poland(frame: Frame) -> Grid {
        let outline = poland();
        let (xmax, ymax) = frame.lattice((24.2, 54.9));
        let rmax = (ymax / 3.0).ceil() as i32 + 1;
        let mut cells = Vec::new();
        for r in -1..=rmax {
            let qmin = (-2 - r).div_euclid(2) - 1;
            let qmax = (xmax.ceil() as i32 + 2 - r).div_euclid(2) + 1;
            for q in qmin..=qmax {
                let h = Hex { q, r };
                if inside(&outline, frame.lonlat(h.centre())) {
                    cells.push(h);
                }
            }
        }
        let grid = Grid::new(cells);
        let all: Vec<u32> = (0..grid.cells.len() as u32).collect();
        let biggest = grid.components(&all).into_iter().max_by_key(|c| c.len()).unwrap_or_default();
        Grid::new(biggest.iter().map(|&c| grid.cells[c as usize]).collect())
    }

    fn new(mut cells: Vec<Hex>) -> Grid {
        cells.sort_unstable();
        let index: HashMap<Hex, u32> = cells.iter().enumerate().map(|(i, h)| (*h, i as u32)).collect();
        let nbr = cells.iter().map(|h| std::array::from_fn(|k| index.get(&h.neighbour(k)).copied())).collect();
        Grid { cells, nbr }
    }

    /// The edge-connected pieces of a set of cells, each sorted, in order of their first cell.
    fn components(&self, set: &[u32]) -> Vec<Vec<u32>> {
        let member: HashSet<u32> = set.iter().copied().collect();
        let mut seen = HashSet::new();
        let mut sorted = set.to_vec();
        sorted.sort_unstable();
        let mut out = Vec::new();
        for &start in &sorted {
            if !seen.insert(start) {
                continue;
            }
            let mut comp = vec![start];
            let mut queue = VecDeque::from([start]);
            while let Some(c) = queue.pop_front() {
                for n in self.nbr[c as usize].iter().flatten() {
                    if member.contains(n) && seen.insert(*n) {
                        comp.push(*n);
                        queue.push_back(*n);
                    }
                }
            }
            comp.sort_unstable();
            out.push(comp);
        }
        out
    }

    /// Labels each cell of `set` with the seed nearest to it through `set` (the earlier seed
    /// on a tie).
    fn voronoi(&self, set: &HashSet<u32>, seeds: &[u32]) -> HashMap<u32, usize> {
        let mut label = HashMap::new();
        let mut queue = VecDeque::new();
        for (i, &s) in seeds.iter().enumerate() {
            if label.insert(s, i).is_none() {
                queue.push_back(s);
            }
        }
        while let Some(c) = queue.pop_front() {
            let l = label.get(&c).copied().unwrap_or(0);
            for n in self.nbr[c as usize].iter().flatten() {
                if set.contains(n) && !label.contains_key(n) {
                    label.insert(*n, l);
                    queue.push_back(*n);
                }
            }
        }
        label
    }

    /// Breadth-first distance inside `set` from `sources` (cells not reached: `u32::MAX`).
    fn distances(&self, set: &HashSet<u32>, sources: impl IntoIterator<Item = u32>) -> HashMap<u32, u32> {
        let mut dist = HashMap::new();
        let mut queue = VecDeque::new();
        for s in sources {
            if dist.insert(s, 0).is_none() {
                queue.push_back(s);
            }
        }
        while let Some(c) = queue.pop_front() {
            let d = dist.get(&c).copied().unwrap_or(0);
            for n in self.nbr[c as usize].iter().flatten() {
                if set.contains(n) && !dist.contains_key(n) {
                    dist.insert(*n, d + 1);
                    queue.push_back(*n);
                }
            }
        }
        dist
    }
}

/// Where a part starts.
#[derive(Debug, Clone, Copy)]
enum Seed {
    /// The free cell nearest to this lattice point.
    Near((f64, f64)),
    /// Deep inside the parent (every neighbour in it, if the parent is big enough),
    /// nearest the point if one is given, else far from the seeds already placed.
    Interior(Option<(f64, f64)>),
    /// As far as possible from the seeds already placed.
    Spread,
}

#[derive(Debug, Clone, Copy)]
struct Part {
    seed: Seed,
    /// Relative size.
    weight: f64,
    /// At least this many cells.
    min: usize,
    /// Grows beyond its target only when no other part can take a cell.
    fixed: bool,
}

/// Splits the connected set `cells` into contiguous parts, in the order of `parts`.
/// A split can go wrong when a part is shut in before it has its minimum and the repair
/// cannot reach cells to spare; another draw of seeds and noise then usually works.
fn split(grid: &Grid, cells: &[u32], parts: &[Part], rng: &mut Rng) -> Result<Vec<Vec<u32>>, String> {
    let n = cells.len();
    let need: usize = parts.iter().map(|p| p.min.max(1)).sum();
    if parts.is_empty() || n < need {
        return Err(format!("{n} hexes cannot hold {} parts needing {need}", parts.len()));
    }
    let mut last = String::new();
    for attempt in 0..16 {
        match split_once(grid, cells, parts, rng, attempt > 0) {
            Ok(members) => return Ok(members),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// One try of [`split`]; `random_seeds`: spread seeds start anywhere, not farthest apart.
fn split_once(grid: &Grid, cells: &[u32], parts: &[Part], rng: &mut Rng, random_seeds: bool) -> Result<Vec<Vec<u32>>, String> {
    let n = cells.len();
    let set: HashSet<u32> = cells.iter().copied().collect();
    let mut owner: HashMap<u32, usize> = HashMap::with_capacity(n);
    let noise: HashMap<u32, f64> = cells.iter().map(|&c| (c, rng.unit())).collect();
    // Depth: 1 for cells on the edge of the set, 2 for their inner neighbours, ...
    let edge = cells.iter().copied().filter(|&c| grid.nbr[c as usize].iter().any(|x| x.is_none_or(|x| !set.contains(&x))));
    let depth = grid.distances(&set, edge);
    let max_depth = depth.values().copied().max().unwrap_or(0);

    // Seeds: points and cities first, then the rest spread out, away from the edge (a seed
    // at the tip of a spur would be shut in by its neighbours).
    let deep = max_depth.min(2);
    let near = |p: (f64, f64)| {
        move |a: &u32, b: &u32| dist2(fpt(grid.cells[*a as usize].centre()), p).total_cmp(&dist2(fpt(grid.cells[*b as usize].centre()), p))
    };
    let mut seeds: Vec<Option<u32>> = vec![None; parts.len()];
    let order: Vec<usize> = (0..parts.len())
        .filter(|&i| !matches!(parts[i].seed, Seed::Spread))
        .chain((0..parts.len()).filter(|&i| matches!(parts[i].seed, Seed::Spread)))
        .collect();
    for &i in &order {
        let placed: Vec<u32> = seeds.iter().flatten().copied().collect();
        let from_placed = grid.distances(&set, placed.iter().copied());
        let far = |c: &u32| from_placed.get(c).copied().unwrap_or(u32::MAX);
        let free: Vec<u32> = cells.iter().copied().filter(|c| !placed.contains(c)).collect();
        let inner: Vec<u32> = free.iter().copied().filter(|c| depth.get(c).copied().unwrap_or(0) >= deep).collect();
        let inner = if inner.is_empty() { free.clone() } else { inner };
        let chosen = match parts[i].seed {
            Seed::Near(p) => free.into_iter().min_by(near(p)),
            Seed::Interior(Some(p)) => inner.into_iter().min_by(near(p)),
            Seed::Spread if random_seeds => inner.get(rng.below(inner.len())).copied(),
            Seed::Interior(None) | Seed::Spread => farthest(inner, far, rng),
        };
        let Some(c) = chosen else { return Err("no free hex for a seed".into()) };
        seeds[i] = Some(c);
    }
    let mut seeds: Vec<u32> = seeds.into_iter().flatten().collect();
    if seeds.len() != parts.len() {
        return Err("no free hex for a seed".into());
    }
    // Lloyd's relaxation of the spread seeds: each moves to the middle of the cells nearest to it.
    for _ in 0..3 {
        let label = grid.voronoi(&set, &seeds);
        for i in (0..parts.len()).filter(|&i| matches!(parts[i].seed, Seed::Spread)) {
            let mine: Vec<u32> = cells.iter().copied().filter(|c| label.get(c) == Some(&i)).collect();
            let k = mine.len().max(1) as f64;
            let mid = mine.iter().fold((0.0, 0.0), |m, &c| {
                let (x, y) = fpt(grid.cells[c as usize].centre());
                (m.0 + x / k, m.1 + y / k)
            });
            // Other seeds are labelled as their own, so `mine` holds none of them.
            if let Some(c) = mine.into_iter().min_by(near(mid)) {
                seeds[i] = c;
            }
        }
    }
    for (i, &c) in seeds.iter().enumerate() {
        owner.insert(c, i);
    }
    let centre = |c: u32| fpt(grid.cells[c as usize].centre());
    let score = |part: usize, c: u32| dist2(centre(c), centre(seeds[part])).sqrt() + 1.2 * noise.get(&c).copied().unwrap_or(0.0);

    // Growth.
    let total: f64 = parts.iter().map(|p| p.weight.max(1e-9)).sum();
    // A fixed part's weight is its number of cells; the others share the rest by weight.
    let target: Vec<f64> =
        parts.iter().map(|p| if p.fixed { p.weight } else { n as f64 * p.weight.max(1e-9) / total }.max(p.min as f64).max(1.0)).collect();
    let mut members: Vec<Vec<u32>> = seeds.iter().map(|&s| vec![s]).collect();
    let mut frontier: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); parts.len()];
    for (i, &s) in seeds.iter().enumerate() {
        for x in grid.nbr[s as usize].iter().flatten() {
            if set.contains(x) && !owner.contains_key(x) {
                frontier[i].insert(*x);
            }
        }
    }
    let mut free = n - seeds.len();
    while free > 0 {
        let pick = (0..parts.len()).filter(|&i| !frontier[i].is_empty()).min_by(|&a, &b| {
            let key = |i: usize| (parts[i].fixed && members[i].len() as f64 >= target[i], members[i].len() as f64 / target[i]);
            let (fa, ra) = key(a);
            let (fb, rb) = key(b);
            fa.cmp(&fb).then(ra.total_cmp(&rb))
        });
        let Some(i) = pick else { return Err("the hexes to split are not connected".into()) };
        let Some(c) = frontier[i].iter().copied().min_by(|&a, &b| score(i, a).total_cmp(&score(i, b))) else { break };
        owner.insert(c, i);
        members[i].push(c);
        free -= 1;
        for f in frontier.iter_mut() {
            f.remove(&c);
        }
        for x in grid.nbr[c as usize].iter().flatten() {
            if set.contains(x) && !owner.contains_key(x) {
                frontier[i].insert(*x);
            }
        }
    }

    // Repair: a part below its minimum takes a cell along the shortest chain of neighbours to a
    // part with cells to spare: each part of the chain hands one cell to the one before, so
    // only the ends change size. A part hands over only a cell it stays in one piece without.
    for _ in 0..4 * n {
        let Some(i) = (0..parts.len()).find(|&i| members[i].len() < parts[i].min) else { break };
        let removable: Vec<Vec<u32>> = (0..parts.len())
            .map(|j| {
                if members[j].len() <= 1 || (parts[j].fixed && members[j].len() <= parts[j].min) {
                    return Vec::new();
                }
                members[j]
                    .iter()
                    .copied()
                    .filter(|&c| {
                        c != seeds[j] && {
                            let rest: Vec<u32> = members[j].iter().copied().filter(|x| *x != c).collect();
                            grid.components(&rest).len() == 1
                        }
                    })
                    .collect()
            })
            .collect();
        // Whether `b` can hand a cell to `a`.
        let gives = |b: usize, a: usize| removable[b].iter().any(|&c| grid.nbr[c as usize].iter().flatten().any(|x| owner.get(x) == Some(&a)));
        let mut prev: Vec<Option<usize>> = vec![None; parts.len()];
        let mut queue = VecDeque::from([i]);
        let mut end = None;
        'search: while let Some(a) = queue.pop_front() {
            for b in 0..parts.len() {
                if b != i && prev[b].is_none() && gives(b, a) {
                    prev[b] = Some(a);
                    if members[b].len() > parts[b].min {
                        end = Some(b);
                        break 'search;
                    }
                    queue.push_back(b);
                }
            }
        }
        let Some(mut b) = end else {
            return Err(format!("a part of {} hexes needs {} and no neighbour can spare one (of {n} hexes)", members[i].len(), parts[i].min));
        };
        let mut chain = vec![b];
        while let Some(a) = prev[b] {
            chain.push(a);
            b = a;
        }
        // chain: the part with cells to spare … the part in need. Hand over from the needy end.
        for k in (1..chain.len()).rev() {
            let (taker, giver) = (chain[k], chain[k - 1]);
            let best = members[giver]
                .iter()
                .copied()
                .filter(|&c| {
                    c != seeds[giver]
                        && grid.nbr[c as usize].iter().flatten().any(|x| owner.get(x) == Some(&taker))
                        && grid.components(&members[giver].iter().copied().filter(|x| *x != c).collect::<Vec<_>>()).len() == 1
                })
                .min_by(|&x, &y| score(taker, x).total_cmp(&score(taker, y)));
            let Some(c) = best else { break };
            owner.insert(c, taker);
            members[giver].retain(|x| *x != c);
            members[taker].push(c);
        }
    }
    if let Some(i) = (0..parts.len()).find(|&i| members[i].len() < parts[i].min) {
        return Err(format!("a part of {} hexes needs {}: the hexes cannot be shared out", members[i].len(), parts[i].min));
    }
    for m in &mut members {
        m.sort_unstable();
    }
    Ok(members)
}

/// The candidate farthest from the placed seeds (ties broken at random); any candidate when
/// nothing is placed yet.
fn farthest(candidates: Vec<u32>, far: impl Fn(&u32) -> u32, rng: &mut Rng) -> Option<u32> {
    let best = candidates.iter().map(&far).max()?;
    let top: Vec<u32> = candidates.into_iter().filter(|c| far(c) == best).collect();
    top.get(rng.below(top.len())).copied()
}

/// Lays out the country: splits the grid into the województwa, each into its powiaty and
/// cities, each powiat into its gminy. Fails (never panics) when the specs cannot fit, which
/// only badly unbalanced specs cause.
pub(crate) fn layout<K: Clone>(country: K, wojewodztwa: &[WojSpec<K>], rng: &mut Rng) -> Result<Layout<K>, String> {
    let weight = |g: &GminaSpec<K>| g.weight.max(1) as usize;
    let powiat_weight = |p: &PowiatSpec<K>| p.gminy.iter().map(weight).sum::<usize>();
    let woj_weight = |w: &WojSpec<K>| w.powiaty.iter().map(powiat_weight).sum::<usize>();
    let total: usize = wojewodztwa.iter().map(woj_weight).sum();
    if total == 0 || wojewodztwa.iter().any(|w| w.powiaty.is_empty() || w.powiaty.iter().any(|p| p.gminy.is_empty())) {
        return Err("every województwo needs powiaty and every powiat gminy".into());
    }
    // The hex size that gives about one hex per unit of weight over Poland's area.
    let outline = poland();
    let area: f64 =
        outline.iter().zip(outline.iter().cycle().skip(1)).map(|(a, b)| (a.0 * COS_LAT) * b.1 - (b.0 * COS_LAT) * a.1).sum::<f64>().abs() / 2.0;
    let frame = Frame { size: (area / (total as f64 * 1.5 * 3f64.sqrt())).sqrt() };
    let grid = Grid::poland(frame);
    let all: Vec<u32> = (0..grid.cells.len() as u32).collect();

    let gminy_in = |w: &WojSpec<K>| w.powiaty.iter().map(|p| p.gminy.len()).sum::<usize>();
    let woj_parts: Vec<Part> = wojewodztwa
        .iter()
        .map(|w| Part { seed: Seed::Near(frame.lattice(w.anchor)), weight: woj_weight(w) as f64, min: gminy_in(w), fixed: false })
        .collect();
    let woj_cells = split(&grid, &all, &woj_parts, rng)?;

    let mut shapes = vec![shape(&grid, frame, country, Level::Kraj, &all)];
    // Owners per level, by cell: (gmina, powiat, województwo) numbered in layout order.
    let mut owners = vec![(0usize, 0usize, 0usize); grid.cells.len()];
    let mut keys: [Vec<K>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (wi, (w, cells)) in wojewodztwa.iter().zip(&woj_cells).enumerate() {
        shapes.push(shape(&grid, frame, w.key.clone(), Level::Wojewodztwo, cells));
        keys[2].push(w.key.clone());
        let mut first_city = true;
        let parts: Vec<Part> = w
            .powiaty
            .iter()
            .map(|p| {
                let seed = match (p.city, first_city) {
                    (true, true) => {
                        first_city = false;
                        Seed::Interior(Some(frame.lattice(w.anchor)))
                    }
                    (true, false) => Seed::Interior(None),
                    (false, _) => Seed::Spread,
                };
                Part { seed, weight: powiat_weight(p) as f64, min: p.gminy.len(), fixed: p.city }
            })
            .collect();
        let powiat_cells = split(&grid, cells, &parts, rng)?;
        for (p, pcells) in w.powiaty.iter().zip(&powiat_cells) {
            shapes.push(shape(&grid, frame, p.key.clone(), Level::Powiat, pcells));
            keys[1].push(p.key.clone());
            let parts: Vec<Part> = p
                .gminy
                .iter()
                .enumerate()
                .map(|(k, g)| Part { seed: if k == 0 { Seed::Interior(None) } else { Seed::Spread }, weight: weight(g) as f64, min: 1, fixed: false })
                .collect();
            let gmina_cells = split(&grid, pcells, &parts, rng)?;
            for (g, gcells) in p.gminy.iter().zip(&gmina_cells) {
                shapes.push(shape(&grid, frame, g.key.clone(), Level::Gmina, gcells));
                for &c in gcells {
                    owners[c as usize] = (keys[0].len(), keys[1].len() - 1, wi);
                }
                keys[0].push(g.key.clone());
            }
        }
    }

    let mut pairs: BTreeSet<(usize, usize, usize)> = BTreeSet::new();
    for (c, nbrs) in grid.nbr.iter().enumerate() {
        for &x in nbrs.iter().flatten() {
            let (a, b) = (owners[c], owners[x as usize]);
            for (level, u, v) in [(0, a.0, b.0), (1, a.1, b.1), (2, a.2, b.2)] {
                if u < v {
                    pairs.insert((level, u, v));
                }
            }
        }
    }
    let adjacency = pairs.into_iter().map(|(l, u, v)| (keys[l][u].clone(), keys[l][v].clone())).collect();
    Ok(Layout { shapes, adjacency, size: frame.size })
}

fn shape<K>(grid: &Grid, frame: Frame, key: K, level: Level, cells: &[u32]) -> Shape<K> {
    let mut hexes: Vec<Hex> = cells.iter().map(|&c| grid.cells[c as usize]).collect();
    hexes.sort_unstable();
    let polygons: Vec<Vec<Vec<Pt>>> = grid.components(cells).iter().map(|comp| outline(grid, comp)).collect();
    let (geometry, bbox) = geojson(frame, &polygons);
    Shape { key, level, hexes, geometry, bbox }
}

/// The rings of one connected set of cells: the outer ring (counter-clockwise) first, then the
/// holes (clockwise). Each ring is closed: its last point is its first.
fn outline(grid: &Grid, cells: &[u32]) -> Vec<Vec<Pt>> {
    let member: HashSet<u32> = cells.iter().copied().collect();
    let mut next: HashMap<Pt, Pt> = HashMap::new();
    for &c in cells {
        let h = grid.cells[c as usize];
        for k in 0..6 {
            if !grid.nbr[c as usize][k].is_some_and(|x| member.contains(&x)) {
                next.insert(h.corner(k), h.corner(k + 1));
            }
        }
    }
    let mut starts: Vec<Pt> = next.keys().copied().collect();
    starts.sort_unstable();
    let mut used = HashSet::new();
    let mut rings = Vec::new();
    for s in starts {
        if used.contains(&s) {
            continue;
        }
        let mut ring = vec![s];
        let mut p = s;
        while let Some(&q) = next.get(&p) {
            used.insert(p);
            ring.push(q);
            if q == s || used.contains(&q) {
                break;
            }
            p = q;
        }
        rings.push(ring);
    }
    // The outer ring is the one with positive area; the sort is stable, holes keep their order.
    rings.sort_by_key(|r| std::cmp::Reverse(ring_area2(r) > 0));
    rings
}

/// Twice the signed area of a closed lattice ring (positive: counter-clockwise).
fn ring_area2(ring: &[Pt]) -> i64 {
    ring.windows(2).map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1).sum()
}

fn geojson(frame: Frame, polygons: &[Vec<Vec<Pt>>]) -> (String, [f64; 4]) {
    let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    let mut coords = String::new();
    for (pi, rings) in polygons.iter().enumerate() {
        if pi > 0 {
            coords.push(',');
        }
        coords.push('[');
        for (ri, ring) in rings.iter().enumerate() {
            if ri > 0 {
                coords.push(',');
            }
            coords.push('[');
            for (k, &p) in ring.iter().enumerate() {
                let (lon, lat) = frame.lonlat(p);
                bbox = [bbox[0].min(lon), bbox[1].min(lat), bbox[2].max(lon), bbox[3].max(lat)];
                let sep = if k > 0 { "," } else { "" };
                let _ = write!(coords, "{sep}[{lon:.5},{lat:.5}]");
            }
            coords.push(']');
        }
        coords.push(']');
    }
    let geometry = if polygons.len() == 1 {
        format!(r#"{{"type":"Polygon","coordinates":{coords}}}"#)
    } else {
        format!(r#"{{"type":"MultiPolygon","coordinates":[{coords}]}}"#)
    };
    // The box of the rounded coordinates, so that it holds every written point.
    let round = |v: f64| (v * 1e5).round() / 1e5;
    (geometry, bbox.map(round))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hex's area in lattice units (one lattice unit is √3/2 · s by s/2).
    const HEX_AREA_LATTICE: i64 = 6;

    /// A country like the demo's: `n` województwa with powiaty of 3–9 gminy and 1–3 cities.
    fn spec(rng: &mut Rng) -> Vec<WojSpec<String>> {
        const ANCHORS: [(f64, f64); 16] = [
            (16.4, 51.1),
            (18.5, 53.05),
            (22.9, 51.2),
            (15.3, 52.2),
            (19.4, 51.6),
            (20.2, 49.85),
            (21.1, 52.5),
            (17.9, 50.6),
            (22.2, 49.9),
            (22.9, 53.3),
            (17.9, 54.2),
            (19.0, 50.5),
            (20.75, 50.75),
            (20.8, 53.85),
            (17.2, 52.3),
            (15.5, 53.6),
        ];
        ANCHORS
            .iter()
            .enumerate()
            .map(|(w, &anchor)| {
                let mut powiaty: Vec<PowiatSpec<String>> = (0..4 + rng.below(5))
                    .map(|p| PowiatSpec {
                        key: format!("{w}/{p}"),
                        city: false,
                        gminy: (0..3 + rng.below(7)).map(|g| GminaSpec { key: format!("{w}/{p}/{g}"), weight: 1 + rng.below(3) as u32 }).collect(),
                    })
                    .collect();
                for c in 0..1 + rng.below(3) {
                    powiaty.push(PowiatSpec {
                        key: format!("{w}/c{c}"),
                        city: true,
                        gminy: vec![GminaSpec { key: format!("{w}/c{c}/g"), weight: 1 }],
                    });
                }
                WojSpec { key: format!("{w}"), anchor, powiaty }
            })
            .collect()
    }

    fn demo_like() -> (Vec<WojSpec<String>>, Layout<String>) {
        let mut rng = Rng(0x5EED);
        let s = spec(&mut rng);
        let l = layout("PL".to_owned(), &s, &mut rng).expect("the layout fits");
        (s, l)
    }

    fn shapes_at(l: &Layout<String>, level: Level) -> Vec<&Shape<String>> {
        l.shapes.iter().filter(|s| s.level == level).collect()
    }

    /// The polygons of a geometry as lon/lat rings, checked to be valid GeoJSON shapes.
    fn polygons(geometry: &str) -> Vec<Vec<Vec<(f64, f64)>>> {
        let v: serde_json::Value = serde_json::from_str(geometry).expect("json");
        let ring = |r: &serde_json::Value| -> Vec<(f64, f64)> {
            r.as_array().expect("ring").iter().map(|p| (p[0].as_f64().expect("lon"), p[1].as_f64().expect("lat"))).collect()
        };
        let polygon = |p: &serde_json::Value| -> Vec<Vec<(f64, f64)>> { p.as_array().expect("polygon").iter().map(ring).collect() };
        match v["type"].as_str() {
            Some("Polygon") => vec![polygon(&v["coordinates"])],
            Some("MultiPolygon") => v["coordinates"].as_array().expect("polygons").iter().map(polygon).collect(),
            other => panic!("not a polygon: {other:?}"),
        }
    }

    /// Signed area in the map plane (longitude scaled by cos 52°).
    fn signed_area(ring: &[(f64, f64)]) -> f64 {
        ring.windows(2).map(|w| (w[0].0 * COS_LAT) * w[1].1 - (w[1].0 * COS_LAT) * w[0].1).sum::<f64>() / 2.0
    }

    fn contiguous(hexes: &[Hex]) -> bool {
        let grid = Grid::new(hexes.to_vec());
        let all: Vec<u32> = (0..hexes.len() as u32).collect();
        grid.components(&all).len() == 1
    }

    #[test]
    fn rings_are_closed_and_outer_rings_run_counter_clockwise_holes_clockwise() {
        let (_, l) = demo_like();
        for s in &l.shapes {
            for poly in polygons(&s.geometry) {
                for (k, ring) in poly.iter().enumerate() {
                    assert!(ring.len() >= 7, "{}: a ring has at least a hexagon's corners", s.key);
                    assert_eq!(ring.first(), ring.last(), "{}: ring closed", s.key);
                    let a = signed_area(ring);
                    assert_eq!(a > 0.0, k == 0, "{}: ring {k} has area {a}", s.key);
                }
            }
        }
    }

    #[test]
    fn every_gmina_has_its_own_hexes_and_together_they_tile_the_country() {
        let (spec, l) = demo_like();
        let gminy = shapes_at(&l, Level::Gmina);
        assert_eq!(gminy.len(), spec.iter().flat_map(|w| &w.powiaty).map(|p| p.gminy.len()).sum::<usize>());
        let mut seen = HashSet::new();
        for g in &gminy {
            assert!(!g.hexes.is_empty(), "{}", g.key);
            assert!(contiguous(&g.hexes), "{} is one piece", g.key);
            for h in &g.hexes {
                assert!(seen.insert(*h), "{h:?} belongs to two gminy");
            }
        }
        let country = &l.shapes[0];
        assert_eq!(country.level, Level::Kraj);
        assert_eq!(seen, country.hexes.iter().copied().collect::<HashSet<_>>(), "the gminy tile the country");
        // Each powiat and województwo is exactly the union of its children.
        for w in &spec {
            let ws = l.shapes.iter().find(|s| s.key == w.key).expect("województwo");
            let mut union: Vec<Hex> = Vec::new();
            for p in &w.powiaty {
                let ps = l.shapes.iter().find(|s| s.key == p.key).expect("powiat");
                let mut pu: Vec<Hex> = p.gminy.iter().flat_map(|g| l.shapes.iter().find(|s| s.key == g.key).expect("gmina").hexes.clone()).collect();
                pu.sort_unstable();
                assert_eq!(ps.hexes, pu, "{}", p.key);
                union.extend(pu);
            }
            union.sort_unstable();
            assert_eq!(ws.hexes, union, "{}", w.key);
        }
    }

    #[test]
    fn outlines_enclose_exactly_the_area_of_their_hexes() {
        let (_, l) = demo_like();
        let hex = HEX_AREA_LATTICE as f64 * 0.75f64.sqrt() * l.size * l.size / 2.0;
        for s in &l.shapes {
            let area: f64 = polygons(&s.geometry).iter().flatten().map(|r| signed_area(r)).sum();
            let want = s.hexes.len() as f64 * hex;
            assert!((area - want).abs() < 1e-3 * want, "{}: outline {area} vs {} hexes {want}", s.key, s.hexes.len());
        }
        // Exact in lattice units, holes included.
        let grid = Grid::new(l.shapes[0].hexes.clone());
        for s in &l.shapes {
            let cells: Vec<u32> = s.hexes.iter().filter_map(|h| grid.cells.binary_search(h).ok().map(|i| i as u32)).collect();
            let area2: i64 = grid.components(&cells).iter().flat_map(|c| outline(&grid, c)).map(|r| ring_area2(&r)).sum();
            assert_eq!(area2, 2 * HEX_AREA_LATTICE * s.hexes.len() as i64, "{}", s.key);
            let [w, so, e, n] = s.bbox;
            let pts = polygons(&s.geometry).into_iter().flatten().flatten();
            for (lon, lat) in pts {
                assert!(w <= lon && lon <= e && so <= lat && lat <= n, "{}: ({lon}, {lat}) outside {:?}", s.key, s.bbox);
            }
        }
    }

    #[test]
    fn the_country_lies_in_polands_box_and_has_one_outline() {
        let (_, l) = demo_like();
        let country = &l.shapes[0];
        let [w, s, e, n] = country.bbox;
        assert!(w > 13.8 && e < 24.4 && s > 48.8 && n < 55.0, "{:?}", country.bbox);
        assert!(country.geometry.starts_with(r#"{"type":"Polygon""#));
    }

    #[test]
    fn every_powiat_and_wojewodztwo_is_one_piece() {
        let (_, l) = demo_like();
        for s in l.shapes.iter().filter(|s| matches!(s.level, Level::Powiat | Level::Wojewodztwo | Level::Kraj)) {
            assert!(contiguous(&s.hexes), "{} is one piece", s.key);
            assert!(s.geometry.starts_with(r#"{"type":"Polygon""#), "{}: one polygon", s.key);
        }
    }

    #[test]
    fn cities_with_powiat_rights_lie_inside_their_wojewodztwo() {
        let (spec, l) = demo_like();
        for w in &spec {
            let ws: HashSet<Hex> = l.shapes.iter().find(|s| s.key == w.key).expect("województwo").hexes.iter().copied().collect();
            for p in w.powiaty.iter().filter(|p| p.city) {
                let city = l.shapes.iter().find(|s| s.key == p.key).expect("city");
                for h in &city.hexes {
                    assert!((0..6).all(|k| ws.contains(&h.neighbour(k))), "{}: {h:?} touches the edge of its województwo", p.key);
                }
            }
        }
    }

    /// Two units border each other when their outlines share a segment: worked out from the
    /// outlines alone, apart from the layout's own neighbour search.
    #[test]
    fn adjacency_is_symmetric_and_equals_shared_outline_edges() {
        let (_, l) = demo_like();
        let listed: HashSet<(&str, &str)> = l.adjacency.iter().flat_map(|(a, b)| [(a.as_str(), b.as_str()), (b.as_str(), a.as_str())]).collect();
        for (a, b) in &l.adjacency {
            assert_ne!(a, b);
            assert!(listed.contains(&(b.as_str(), a.as_str())));
        }
        let key = |v: f64| (v * 1e5).round() as i64;
        let level_of: HashMap<&str, Level> = l.shapes.iter().map(|s| (s.key.as_str(), s.level)).collect();
        for level in [Level::Gmina, Level::Powiat, Level::Wojewodztwo] {
            let units = shapes_at(&l, level);
            let segments: Vec<HashSet<(Pt, Pt)>> = units
                .iter()
                .map(|s| {
                    polygons(&s.geometry)
                        .into_iter()
                        .flatten()
                        .flat_map(|r| {
                            r.windows(2)
                                .map(|w| {
                                    let (a, b) = ((key(w[0].0), key(w[0].1)), (key(w[1].0), key(w[1].1)));
                                    (a.min(b), a.max(b))
                                })
                                .collect::<Vec<_>>()
                        })
                        .collect()
                })
                .collect();
            for i in 0..units.len() {
                for j in 0..units.len() {
                    let share = i != j && !segments[i].is_disjoint(&segments[j]);
                    assert_eq!(share, listed.contains(&(units[i].key.as_str(), units[j].key.as_str())), "{} / {}", units[i].key, units[j].key);
                }
            }
        }
        assert!(l.adjacency.iter().all(|(a, b)| level_of[a.as_str()] == level_of[b.as_str()]), "only within a level");
    }

    #[test]
    fn countries_of_many_seeds_fit_with_every_unit_in_one_piece() {
        for seed in 1..=40u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let s = spec(&mut rng);
            let l = layout("PL".to_owned(), &s, &mut rng).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            for shape in &l.shapes {
                assert!(contiguous(&shape.hexes), "seed {seed}: {} is one piece", shape.key);
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_layout() {
        let (_, a) = demo_like();
        let (_, b) = demo_like();
        assert_eq!(a.shapes.iter().map(|s| &s.geometry).collect::<Vec<_>>(), b.shapes.iter().map(|s| &s.geometry).collect::<Vec<_>>());
        assert_eq!(a.adjacency, b.adjacency);
    }

    #[test]
    fn a_ring_around_a_hole_runs_clockwise() {
        // Six hexes around a missing centre: one polygon with a hole.
        let centre = Hex { q: 5, r: 5 };
        let ring: Vec<Hex> = (0..6).map(|k| centre.neighbour(k)).collect();
        let grid = Grid::new(ring);
        let all: Vec<u32> = (0..6).collect();
        assert_eq!(grid.components(&all).len(), 1);
        let rings = outline(&grid, &all);
        assert_eq!(rings.len(), 2);
        assert!(ring_area2(&rings[0]) > 0 && ring_area2(&rings[1]) < 0);
        assert_eq!(ring_area2(&rings[0]) + ring_area2(&rings[1]), 2 * 6 * HEX_AREA_LATTICE);
        let (geometry, _) = geojson(Frame { size: 0.1 }, &[rings]);
        let polys = polygons(&geometry);
        assert_eq!(polys[0].len(), 2);
        assert!(signed_area(&polys[0][1]) < 0.0);
    }

    #[test]
    fn specs_that_cannot_fit_are_refused_not_panicked_on() {
        let mut rng = Rng(1);
        let empty: Vec<WojSpec<u32>> = vec![WojSpec { key: 1, anchor: (19.0, 52.0), powiaty: vec![] }];
        assert!(layout(0, &empty, &mut rng).is_err());
        assert!(layout::<u32>(0, &[], &mut rng).is_err());
    }
}
