//! Sorting by order-preserving integer keys of floats, in linear time for the data the
//! engine sees: a distribution (bucket) sort on the keys' leading bits, then each small
//! bucket by insertion. The key of an f64 ([`crate::snapshot`]'s `sort_key`) is close to
//! logarithmic in the value, so the buckets of the skewed, many-orders-of-magnitude values of
//! indicators fill evenly; a bucket that still holds many (ties, a narrow cluster beside a far
//! outlier) falls back to the standard library's pattern-defeating quicksort, so the worst
//! case is what `sort_unstable` costs anyway.
//!
//! The order of equal keys is unspecified, as with `sort_unstable`.

/// Reusable buffers of [`sort_by_key_bits`].
#[derive(Debug, Default)]
pub struct KeySortBuf<T> {
    tmp: Vec<T>,
    starts: Vec<u32>,
}

/// Below this many items the standard sort is as fast.
const SMALL: usize = 48;

/// A bucket this small is sorted by insertion.
const INSERTION: usize = 24;

/// How deep buckets are split again before the standard sort takes over.
const MAX_DEPTH: u32 = 4;

/// Sorts `v` ascending by `key`.
pub fn sort_by_key_bits<T: Copy>(v: &mut Vec<T>, buf: &mut KeySortBuf<T>, key: impl Fn(&T) -> u64 + Copy) {
    if v.len() < SMALL {
        v.sort_unstable_by_key(key);
        return;
    }
    buf.tmp.clear();
    buf.tmp.extend_from_slice(v);
    bucket_sort(v, &mut buf.tmp, &mut buf.starts, key, 0);
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
    let bucket_bits = (usize::BITS - n.leading_zeros()).clamp(6, 12);
    let range_bits = u64::BITS - range.leading_zeros();
    let shift = range_bits.saturating_sub(bucket_bits);
    let buckets = (range >> shift) as usize + 1;
    let bucket = |x: &T| ((key(x) - lo) >> shift) as usize;

    starts.clear();
    starts.resize(buckets + 1, 0);
    for x in v.iter() {
        starts[bucket(x) + 1] += 1;
    }
    for b in 0..buckets {
        starts[b + 1] += starts[b];
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
    let mut large = Vec::new();
    let mut begin = 0usize;
    for b in 0..buckets {
        let end = starts[b] as usize;
        let len = end - begin;
        if len > INSERTION {
            large.push((begin, end));
        } else if len > 1 {
            insertion_sort(&mut v[begin..end], key);
        }
        begin = end;
    }
    for (b, e) in large {
        bucket_sort(&mut v[b..e], &mut tmp[b..e], starts, key, depth + 1);
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
            check((0..n).rev().map(|i| i as u64 * 3).collect());
            check(vec![42; n]);
        }
    }
}
