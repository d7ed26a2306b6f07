//! The snapshot's tables of chunks — indicator values (a chunk per indicator-year, an item
//! per unit) and group statistics (a chunk per indicator-year, an item per group) — as one
//! block of memory written by the build, with the chunks an incremental change touched laid
//! over it.
//!
//! * **The block.** A build writes every chunk once, in place, into one zeroed allocation
//!   per table (no allocation per chunk, nothing written twice).
//! * **Overlays.** A change to a few items of a chunk does not copy the chunk: it records the
//!   changed items (places ascending) over the chunk it started from, copied on write. A
//!   reader of single items looks them up (a binary search over at most [`patch_limit`]
//!   places); a reader of the whole chunk gets it made once, on first read, and kept with the
//!   overlay. Once an overlay holds more than [`patch_limit`] items it is folded into a chunk
//!   of its own — one copy spread over that many changes. So a change to one unit costs a
//!   few dozen bytes per chunk it touches instead of the chunk (23 KB of values and 6.6 KB of
//!   statistics per indicator-year at Poland's scale), and the old snapshot, which shares the
//!   block and every untouched overlay, stays as it was.

use std::sync::{Arc, OnceLock};

use zerocopy::FromZeros;

/// `len` items of zero bytes, zeroed by the allocator (so a large block is faulted in page by
/// page as the build writes it, never written twice). Out of memory, it aborts as any other
/// allocation does.
pub(crate) fn zeroed<T: FromZeros>(len: usize) -> Vec<T> {
    T::new_vec_zeroed(len).unwrap_or_else(|_| std::alloc::handle_alloc_error(std::alloc::Layout::new::<T>()))
}

/// How many changed items an overlay holds before it is folded into a chunk of its own:
/// 1/32 of the chunk, at least 8.
fn patch_limit(width: usize) -> usize {
    (width / 32).max(8)
}

/// Changed items of one chunk over the chunk they were made from.
struct Overlay<T> {
    /// The chunk under the changes: its own copy, or (none) the block's.
    base: Option<Arc<[T]>>,
    /// Changed places, ascending, and their items.
    places: Vec<u32>,
    items: Vec<T>,
    /// Base and changes as one chunk, made on the first whole read.
    whole: OnceLock<Box<[T]>>,
}

/// A table of equal chunks over one block.
#[derive(Clone)]
pub(crate) struct Table<T> {
    width: usize,
    block: Arc<Vec<T>>,
    over: Vec<Option<Arc<Overlay<T>>>>,
}

impl<T> std::fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table").field("width", &self.width).field("chunks", &self.over.len()).finish_non_exhaustive()
    }
}

/// One chunk as its base and the changes over it (none for a chunk read as built).
#[derive(Clone, Copy)]
pub(crate) struct View<'a, T> {
    base: &'a [T],
    places: &'a [u32],
    items: &'a [T],
}

impl<'a, T: Copy> View<'a, T> {
    pub(crate) fn len(&self) -> usize {
        self.base.len()
    }

    /// The item at `place` (which must be below [`View::len`]).
    pub(crate) fn get(&self, place: usize) -> T {
        if self.places.is_empty() {
            return self.base[place];
        }
        match self.places.binary_search(&(place as u32)) {
            Ok(k) => self.items[k],
            Err(_) => self.base[place],
        }
    }

    /// The items at `places` (ascending, each below [`View::len`]), in that order, each with
    /// its place: one walk along the changes rather than a search per item.
    pub(crate) fn each_at(&self, places: &[u32], mut f: impl FnMut(u32, T)) {
        if self.places.is_empty() {
            for &p in places {
                f(p, self.base[p as usize]);
            }
            return;
        }
        let mut k = 0;
        for &p in places {
            while k < self.places.len() && self.places[k] < p {
                k += 1;
            }
            let x = if k < self.places.len() && self.places[k] == p { self.items[k] } else { self.base[p as usize] };
            f(p, x);
        }
    }

    /// Every item in place order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = T> + 'a {
        let View { base, places, items } = *self;
        let mut k = 0;
        base.iter().enumerate().map(move |(p, &x)| {
            if k < places.len() && places[k] as usize == p {
                k += 1;
                items[k - 1]
            } else {
                x
            }
        })
    }
}

/// `base` with `items` at `places`, as a chunk of its own.
fn applied<T: Copy>(base: &[T], places: &[u32], items: &[T]) -> Box<[T]> {
    let mut out: Box<[T]> = base.into();
    for (&p, &x) in places.iter().zip(items) {
        out[p as usize] = x;
    }
    out
}

impl<T: Copy> Table<T> {
    /// `block` as `chunks` chunks of `width` items (chunks of no items when `width` is 0); a
    /// block of another length is cut to fit, or padded with `fill`.
    pub(crate) fn new(chunks: usize, width: usize, mut block: Vec<T>, fill: T) -> Table<T> {
        block.resize(chunks * width, fill);
        Table { width, block: Arc::new(block), over: (0..chunks).map(|_| None).collect() }
    }

    #[cfg(test)]
    pub(crate) fn chunks(&self) -> usize {
        self.over.len()
    }

    fn block_chunk(&self, k: usize) -> &[T] {
        &self.block[k * self.width..(k + 1) * self.width]
    }

    /// The chunk under overlay `o` of chunk `k`.
    fn base<'a>(&'a self, k: usize, o: &'a Overlay<T>) -> &'a [T] {
        o.base.as_deref().unwrap_or_else(|| self.block_chunk(k))
    }

    /// Chunk `k` as its base and changes (cheap: nothing is copied).
    pub(crate) fn view(&self, k: usize) -> View<'_, T> {
        match &self.over[k] {
            None => View { base: self.block_chunk(k), places: &[], items: &[] },
            Some(o) => match o.whole.get() {
                Some(w) => View { base: w, places: &[], items: &[] },
                None => View { base: self.base(k, o), places: &o.places, items: &o.items },
            },
        }
    }

    /// Item `place` of chunk `k`; none outside the table.
    pub(crate) fn get(&self, k: usize, place: usize) -> Option<T> {
        (k < self.over.len() && place < self.width).then(|| self.view(k).get(place))
    }

    /// Chunk `k` whole: as built, or with its changes applied (made once, on first read).
    pub(crate) fn chunk(&self, k: usize) -> &[T] {
        match &self.over[k] {
            None => self.block_chunk(k),
            Some(o) if o.places.is_empty() => self.base(k, o),
            Some(o) => o.whole.get_or_init(|| applied(self.base(k, o), &o.places, &o.items)),
        }
    }

    /// Chunk `k` with `changes` (place, item) laid over it; of two changes to one place the
    /// later wins. Other holders of this table's clones are not affected.
    pub(crate) fn set(&mut self, k: usize, changes: &[(u32, T)]) {
        let (mut places, mut items) = match &self.over[k] {
            None => (Vec::new(), Vec::new()),
            Some(o) => (o.places.clone(), o.items.clone()),
        };
        for &(p, x) in changes.iter().filter(|(p, _)| (*p as usize) < self.width) {
            match places.binary_search(&p) {
                Ok(j) => items[j] = x,
                Err(j) => {
                    places.insert(j, p);
                    items.insert(j, x);
                }
            }
        }
        let base = self.over[k].as_ref().and_then(|o| o.base.clone());
        let overlay = if places.len() > patch_limit(self.width) {
            let own = applied(base.as_deref().unwrap_or_else(|| self.block_chunk(k)), &places, &items);
            Overlay { base: Some(Arc::from(own)), places: Vec::new(), items: Vec::new(), whole: OnceLock::new() }
        } else {
            Overlay { base, places, items, whole: OnceLock::new() }
        };
        self.over[k] = Some(Arc::new(overlay));
    }

    /// Bytes this table holds: the block, and each overlay's own chunk, changes and whole
    /// chunk if made (an overlay shared with other snapshots is counted in each).
    pub(crate) fn bytes(&self) -> usize {
        let item = size_of::<T>();
        let over: usize = self
            .over
            .iter()
            .flatten()
            .map(|o| o.base.as_ref().map_or(0, |b| b.len() * item) + o.places.len() * (4 + item) + o.whole.get().map_or(0, |w| w.len() * item))
            .sum();
        self.block.len() * item + over
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(chunks: usize, width: usize) -> Table<f64> {
        Table::new(chunks, width, (0..chunks * width).map(|i| i as f64).collect(), f64::NAN)
    }

    /// What the table should hold: its chunks as plain vectors, changed by plain writes.
    fn plain(t: &Table<f64>) -> Vec<Vec<f64>> {
        (0..t.chunks()).map(|k| t.chunk(k).to_vec()).collect()
    }

    #[test]
    fn a_block_is_zeroed() {
        assert_eq!(zeroed::<f64>(100), vec![0.0; 100]);
        assert!(zeroed::<crate::snapshot::StatRow>(10).iter().all(|r| r.n == 0 && r.missing == 0 && r.mean == 0.0));
    }

    #[test]
    fn changes_read_the_same_through_every_accessor_and_leave_clones_alone() {
        let width = 300; // patch limit 9
        let mut t = table(4, width);
        let before = plain(&t);
        let mut want = before.clone();
        let mut state = 0x2545_F491_u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for round in 0..60 {
            let k = next(4) as usize;
            let changes: Vec<(u32, f64)> = (0..1 + next(3)).map(|_| (next(width as u64) as u32, -(round as f64) - 1.0)).collect();
            let old = t.clone();
            let old_plain = plain(&old);
            t.set(k, &changes);
            for &(p, x) in &changes {
                want[k][p as usize] = x;
            }
            assert_eq!(plain(&old), old_plain, "the old table is not changed");
            for (k, w) in want.iter().enumerate() {
                let v = t.view(k);
                assert_eq!(v.iter().collect::<Vec<_>>(), *w);
                assert!((0..width).all(|p| v.get(p) == w[p] && t.get(k, p) == Some(w[p])));
                let at: Vec<u32> = (0..width as u32).filter(|p| p % 3 == round % 3).collect();
                let mut seen = Vec::new();
                v.each_at(&at, |p, x| seen.push((p, x)));
                assert_eq!(seen, at.iter().map(|&p| (p, w[p as usize])).collect::<Vec<_>>());
            }
            // A whole read in between (the overlay's whole chunk made) changes nothing.
            if round % 7 == 0 {
                assert_eq!(t.chunk(k), &want[k][..]);
            }
        }
        assert_ne!(want, before);
        assert_eq!(t.get(4, 0), None);
        assert_eq!(t.get(0, width), None);
    }

    #[test]
    fn an_overlay_is_folded_into_its_own_chunk_past_the_limit() {
        let width = 64; // patch limit 8
        let mut t = table(2, width);
        let block = t.block.len() * 8;
        for p in 0..8 {
            t.set(1, &[(p, 1.0)]);
        }
        assert_eq!(t.bytes(), block + 8 * 12, "eight changes are held as changes");
        t.set(1, &[(8, 1.0)]);
        assert_eq!(t.bytes(), block + width * 8, "the ninth folds them into a chunk");
        assert_eq!(&t.chunk(1)[..10], &[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 73.0]);
        t.set(1, &[(20, 5.0)]);
        assert_eq!(t.chunk(1)[20], 5.0);
        assert_eq!(t.chunk(1)[8], 1.0);
        assert_eq!(t.chunk(0), &(0..64).map(f64::from).collect::<Vec<_>>()[..]);
    }
}
