//! Sorting by order-preserving integer keys of floats ([`sort_key`]), in about linear time
//! for the data the engine sees: a distribution (bucket) sort, then each small bucket by
//! insertion. The first level spreads the values linearly between two quantiles of a
//! sample (the values below and above go to the end buckets), which fills buckets evenly for
//! indicators of either sign and with zeros, whose keys leave most of the 64-bit range empty;
//! a bucket that still holds many is split again on its keys' own range, and past
//! [`MAX_DEPTH`] the standard library's pattern-defeating quicksort takes over, so the worst
//! case is what `sort_unstable` costs anyway.
//!
//! The order of equal keys is unspecified, as with `sort_unstable`.
//!
//! The build's yearly sort of every unit's value goes through [`sort_packed`] instead: a radix
//! sort of the key's top 32 bits with the unit packed below them, which takes no data-dependent
//! branch (the bucket sort's insertion steps mispredict); measured 11 % faster for the whole
//! build (`crates/engine/examples/build_bench.rs`, 2026-12-06).

/// An order-preserving integer key of a finite f64 (so sorting is a plain integer sort).
pub fn sort_key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// The inverse of [`sort_key`].
pub fn from_sort_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Reusable buffers of [`sort_by_key_bits`].
#[derive(Debug, Default)]
pub struct KeySortBuf<T> {
    tmp: Vec<T>,
    starts: Vec<u32>,
    bucket_of: Vec<u16>,
}

/// Below this many items the standard sort is as fast.
const SMALL: usize = 48;

/// A bucket this small is sorted by insertion.
const INSERTION: usize = 24;

/// How deep buckets are split again before the standard sort takes over.
const MAX_DEPTH: u32 = 4;

/// Sorts `v` ascending by `key`.
pub fn sort_by_key_bits<T: Copy>(v: &mut [T], buf: &mut KeySortBuf<T>, key: impl Fn(&T) -> u64 + Copy) {
    if v.len() < SMALL {
        v.sort_unstable_by_key(key);
        return;
    }
    // `tmp` only has to be as long as `v`: every level copies `v` into it before reading it.
    if buf.tmp.len() < v.len() {
        buf.tmp.clear();
        buf.tmp.extend_from_slice(v);
    }
    let n = v.len();
    linear_level(v, &mut buf.tmp[..n], &mut buf.starts, &mut buf.bucket_of, key);
}

/// How many high bits of a value's sort key [`sort_packed`] sorts on (sign, exponent and
/// 20 bits of the mantissa: values closer than about 1e-6 of each other tie on them).
pub const PACKED_KEY_BITS: u32 = 32;

/// The low bits of a packed item, which hold the unit (and are dropped from the key).
pub const PACKED_UNIT_MASK: u64 = (1 << (64 - PACKED_KEY_BITS)) - 1;

/// A value's item for [`sort_packed`]: the top [`PACKED_KEY_BITS`] of its sort key over
/// the unit's index.
pub fn packed_item(v: f64, unit: u32) -> u64 {
    (sort_key(v) & !PACKED_UNIT_MASK) | u64::from(unit)
}

/// Bits of one radix digit of [`sort_packed`] (three digits cover the key's 32 bits).
const DIGIT: u32 = 11;

/// Sorts [`packed_item`]s ascending by value: a least-significant-digit radix sort on the
/// top [`PACKED_KEY_BITS`] of the key in three 11-bit digits (a digit every item shares is
/// skipped), then, where neighbours tie on those bits (equal values, or values within about
/// 1e-6 of each other), insertion by `full_key(unit)`. A load and a store per item and
/// digit, no comparisons and so no mispredicted branches, where the comparison-based
/// [`sort_by_key_bits`] spends about 100 instructions an item.
pub fn sort_packed(items: &mut [u64], tmp: &mut Vec<u64>, hist: &mut Vec<u32>, full_key: impl Fn(u32) -> u64) {
    const SHIFT: u32 = 64 - PACKED_KEY_BITS;
    const BUCKETS: usize = 1 << DIGIT;
    let n = items.len();
    if n < 2 {
        return;
    }
    let mask = (BUCKETS - 1) as u64;
    hist.clear();
    hist.resize(3 * BUCKETS, 0);
    for &x in items.iter() {
        let k = x >> SHIFT;
        hist[(k & mask) as usize] += 1;
        hist[BUCKETS + ((k >> DIGIT) & mask) as usize] += 1;
        hist[2 * BUCKETS + ((k >> (2 * DIGIT)) & mask) as usize] += 1;
    }
    tmp.clear();
    tmp.resize(n, 0);
    let (mut src, mut dst): (&mut [u64], &mut [u64]) = (items, &mut tmp[..]);
    let mut swapped = false;
    for (d, h) in hist.chunks_exact_mut(BUCKETS).enumerate() {
        if h.iter().any(|&c| c as usize == n) {
            continue;
        }
        let mut at = 0u32;
        for c in h.iter_mut() {
            (*c, at) = (at, at + *c);
        }
        let shift = SHIFT + DIGIT * d as u32;
        for &x in src.iter() {
            let slot = &mut h[((x >> shift) & mask) as usize];
            if let Some(out) = dst.get_mut(*slot as usize) {
                *out = x;
            }
            *slot += 1;
        }
        std::mem::swap(&mut src, &mut dst);
        swapped = !swapped;
    }
    // `src` holds the result: when that is `tmp`, copy it back.
    if swapped {
        dst.copy_from_slice(src);
    }
    let items = if swapped { dst } else { src };
    let unit = |x: u64| (x & PACKED_UNIT_MASK) as u32;
    for k in 1..n {
        let x = items[k];
        if x >> SHIFT != items[k - 1] >> SHIFT {
            continue;
        }
        let fx = full_key(unit(x));
        let mut j = k;
        while j > 0 && items[j - 1] >> SHIFT == x >> SHIFT && full_key(unit(items[j - 1])) > fx {
            items[j] = items[j - 1];
            j -= 1;
        }
        items[j] = x;
    }
}

/// The first level: buckets linear in the value between the 2nd and 98th percentile of a
/// sample of 64 (below and above: the end buckets). `floor((x − lo)·scale)` never decreases
/// as x grows, so the buckets are in key order; each is then sorted on its own.
fn linear_level<T: Copy>(v: &mut [T], tmp: &mut [T], starts: &mut Vec<u32>, of: &mut Vec<u16>, key: impl Fn(&T) -> u64 + Copy) {
    let n = v.len();
    let mut sample: [u64; 64] = [0; 64];
    for (j, s) in sample.iter_mut().enumerate() {
        *s = key(&v[j * n / 64]);
    }
    sample.sort_unstable();
    let (lo, hi) = (from_sort_key(sample[1]), from_sort_key(sample[62]));
    let buckets = (n / 2).clamp(32, 4096);
    let scale = (buckets - 1) as f64 / (hi - lo);
    if !(scale.is_finite() && scale > 0.0) {
        bucket_sort(v, tmp, starts, key, 0);
        return;
    }
    let last = (buckets - 1) as f64;
    // Each item's bucket, worked out once (`tmp` is free until the scatter).
    starts.clear();
    starts.resize(buckets + 1, 0);
    of.clear();
    let mut nan = false;
    for x in v.iter() {
        let f = from_sort_key(key(x));
        nan |= f.is_nan();
        let b = ((f - lo) * scale).clamp(0.0, last) as u16;
        of.push(b);
        starts[b as usize + 1] += 1;
    }
    if nan {
        // Keys that are not of a number (NaN bit patterns) have no place on a line.
        bucket_sort(v, tmp, starts, key, 0);
        return;
    }
    for b in 1..=buckets {
        starts[b] += starts[b - 1];
    }
    tmp.copy_from_slice(v);
    for (x, &b) in tmp.iter().zip(of.iter()) {
        let at = starts[b as usize] as usize;
        v[at] = *x;
        starts[b as usize] += 1;
    }
    sort_buckets(v, tmp, starts, buckets, key, 1);
}

/// Sorts `v` (`tmp` is scratch of the same length): buckets over the keys' range, each
/// bucket that is still large split again over its own, narrower range. Float keys of
/// both signs or with zeros span most of the 64 bits, so one level gives a bucket per binary
/// exponent; the next level spreads within it.
fn bucket_sort<T: Copy>(v: &mut [T], tmp: &mut [T], starts: &mut Vec<u32>, key: impl Fn(&T) -> u64 + Copy, depth: u32) {
    let n = v.len();
    if n <= INSERTION {
        insertion_sort(v, key);
        return;
    }
    if depth == MAX_DEPTH || n < SMALL {
        v.sort_unstable_by_key(key);
        return;
    }
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    for x in v.iter() {
        let k = key(x);
        lo = lo.min(k);
        hi = hi.max(k);
    }
    let range = hi - lo;
    if range == 0 {
        return;
    }
    // About one bucket per item (a power of two from 64 to 4096), over the key range.
    let bucket_bits = (usize::BITS - n.leading_zeros()).saturating_sub(2).clamp(6, 12);
    let range_bits = u64::BITS - range.leading_zeros();
    let shift = range_bits.saturating_sub(bucket_bits);
    let buckets = (range >> shift) as usize + 1;
    let bucket = |x: &T| ((key(x) - lo) >> shift) as usize;

    starts.clear();
    starts.resize(buckets + 1, 0);
    for x in v.iter() {
        starts[bucket(x) + 1] += 1;
    }
    for b in 1..=buckets {
        starts[b] += starts[b - 1];
    }
    tmp.copy_from_slice(v);
    // Scatter from `tmp` back into `v`, each bucket's fill pointer kept in `starts[b]`, so
    // that afterwards `starts[b]` is where bucket b ends.
    for x in tmp.iter() {
        let b = bucket(x);
        let at = starts[b] as usize;
        v[at] = *x;
        starts[b] += 1;
    }
    sort_buckets(v, tmp, starts, buckets, key, depth + 1);
}

/// After a scatter (`starts[b]` = where bucket b ends): each small bucket by insertion, each
/// large one split again at `depth` (`starts` is reused, so the large ones are listed first).
fn sort_buckets<T: Copy>(v: &mut [T], tmp: &mut [T], starts: &mut Vec<u32>, buckets: usize, key: impl Fn(&T) -> u64 + Copy, depth: u32) {
    let mut large = Vec::new();
    let mut begin = 0usize;
    for &end in &starts[..buckets] {
        let end = end as usize;
        if end - begin > INSERTION {
            large.push((begin, end));
        } else if end - begin > 1 {
            insertion_sort(&mut v[begin..end], key);
        }
        begin = end;
    }
    for (b, e) in large {
        bucket_sort(&mut v[b..e], &mut tmp[b..e], starts, key, depth);
    }
}

fn insertion_sort<T: Copy>(v: &mut [T], key: impl Fn(&T) -> u64) {
    for i in 1..v.len() {
        let x = v[i];
        let k = key(&x);
        let mut j = i;
        while j > 0 && key(&v[j - 1]) > k {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_the_order_of_the_numbers() {
        let xs = [f64::NEG_INFINITY, -1e300, -2.5, -1e-300, 0.0, 1e-300, 3.0, 1e300, f64::INFINITY];
        for w in xs.windows(2) {
            assert!(sort_key(w[0]) < sort_key(w[1]), "{} < {}", w[0], w[1]);
            assert_eq!(from_sort_key(sort_key(w[0])), w[0]);
        }
    }

    fn check(mut keys: Vec<u64>) {
        let mut want = keys.clone();
        want.sort_unstable();
        let mut pairs: Vec<(u64, u32)> = keys.iter().enumerate().map(|(i, &k)| (k, i as u32)).collect();
        let mut buf = KeySortBuf::default();
        sort_by_key_bits(&mut pairs, &mut buf, |p| p.0);
        assert_eq!(pairs.iter().map(|p| p.0).collect::<Vec<_>>(), want);
        let mut seen: Vec<u32> = pairs.iter().map(|p| p.1).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..keys.len() as u32).collect::<Vec<_>>(), "every item once");
        let mut kb = KeySortBuf::default();
        sort_by_key_bits(&mut keys, &mut kb, |&k| k);
        assert_eq!(keys, want);
    }

    /// [`sort_packed`] on `values` (unit = index) against the standard sort of the values.
    fn check_packed(values: &[f64]) {
        let mut items: Vec<u64> = values.iter().enumerate().map(|(u, &v)| packed_item(v, u as u32)).collect();
        let (mut tmp, mut hist) = (Vec::new(), Vec::new());
        sort_packed(&mut items, &mut tmp, &mut hist, |u| sort_key(values[u as usize]));
        let got: Vec<f64> = items.iter().map(|&x| values[(x & PACKED_UNIT_MASK) as usize]).collect();
        let mut want = values.to_vec();
        want.sort_by(f64::total_cmp);
        assert_eq!(got, want);
        let mut units: Vec<u32> = items.iter().map(|&x| (x & PACKED_UNIT_MASK) as u32).collect();
        units.sort_unstable();
        assert_eq!(units, (0..values.len() as u32).collect::<Vec<_>>(), "every unit once");
    }

    #[test]
    fn packed_items_sort_by_value_whatever_the_spread() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        for n in [0, 1, 2, 3, 100, 2900] {
            let mut cases: Vec<Vec<f64>> = vec![
                (0..n).map(|_| (next() * 20.0 - 10.0).exp()).collect(),
                (0..n).map(|_| next() - 0.4).collect(),
                (0..n).map(|_| (next() * 7.0).floor()).collect(),
                // Neighbours closer than the packed half can tell apart.
                (0..n).map(|_| 1.0 + next() * 1e-9).collect(),
                (0..n).map(|_| -1e6 * (1.0 + next() * 1e-12)).collect(),
                vec![0.0; n],
            ];
            cases.push((0..n).map(|i| i as f64).rev().collect());
            for c in &cases {
                check_packed(c);
            }
        }
    }

    #[test]
    fn sorts_like_the_standard_sort_whatever_the_spread() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in [0, 1, 2, 47, 48, 49, 100, 1000, 2900, 10_000] {
            check((0..n).map(|_| next()).collect());
            check((0..n).map(|_| next() % 7).collect()); // many ties
            check((0..n).map(|_| 1_000_000 + next() % 1000).collect()); // a narrow cluster
            let mut outlier: Vec<u64> = (0..n).map(|_| next() % 100).collect();
            outlier.push(u64::MAX);
            outlier.push(0);
            check(outlier);
            check((0..n).map(|i| i as u64).collect());
            // Keys of numbers as the engine has them: both signs, zeros, many magnitudes.
            let mut floats = |spread: f64| -> Vec<u64> {
                (0..n)
                    .map(|_| {
                        let r = next();
                        let x = ((r >> 11) as f64 / (1u64 << 53) as f64 - 0.3) * spread;
                        let x = if r % 97 == 0 {
                            0.0
                        } else if r % 101 == 0 {
                            x * 1e9
                        } else {
                            x
                        };
                        sort_key(x + 0.0)
                    })
                    .collect()
            };
            check(floats(1.0));
            check(floats(1e-6));
            check(floats(1e12).into_iter().map(|k| k | 1).collect());
            // Of one sign, skewed over many magnitudes (log-normal, as ratios of counts are).
            let mut skewed = |sign: f64| -> Vec<u64> {
                (0..n).map(|_| sort_key(sign * ((next() >> 11) as f64 / (1u64 << 53) as f64 * 20.0 - 10.0).exp())).collect()
            };
            check(skewed(1.0));
            check(skewed(-1.0));
            check((0..n).rev().map(|i| i as u64 * 3).collect());
            check(vec![42; n]);
        }
    }
}
