//! Which seeds a sweep runs: a range of seeds, and one shard of it.
//!
//! Shard `K/N` (1-based, like a CI matrix index) takes every `N`th seed of
//! the range starting at its `K`th: seed `start + i` belongs to shard
//! `i mod N + 1`. So the `N` shards of a range are a partition of it (every
//! seed in exactly one), each shard's seeds are spread over the whole range
//! (slow seeds do not pile up on one machine), and the split depends on
//! nothing but the range and `N`.

use std::fmt;
use std::str::FromStr;

/// A half-open range of seeds `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    /// First seed.
    pub start: u64,
    /// One past the last seed.
    pub end: u64,
}

impl SeedRange {
    /// `count` seeds from `base`; an error if they would pass `u64::MAX`.
    pub fn from_count(base: u64, count: u64) -> Result<Self, String> {
        let end = base
            .checked_add(count)
            .ok_or_else(|| format!("--seed {base} with --count {count} passes the largest seed"))?;
        Ok(SeedRange { start: base, end })
    }

    /// How many seeds the range holds.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// True when the range holds no seed.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl FromStr for SeedRange {
    type Err = String;

    /// `A..B` (B excluded, as in Rust) or `A..=B` (B included).
    fn from_str(s: &str) -> Result<Self, String> {
        let expected = || format!("expected a seed range A..B or A..=B (e.g. 0..1000), got {s:?}");
        let (a, b) = s.split_once("..").ok_or_else(expected)?;
        let (b, inclusive) = match b.strip_prefix('=') {
            Some(b) => (b, true),
            None => (b, false),
        };
        let start: u64 = a.trim().parse().map_err(|_| expected())?;
        let last: u64 = b.trim().parse().map_err(|_| expected())?;
        let end = if inclusive {
            last.checked_add(1).ok_or_else(expected)?
        } else {
            last
        };
        if end <= start {
            return Err(format!("the seed range {s:?} is empty"));
        }
        Ok(SeedRange { start, end })
    }
}

/// Shard `index` of `count` (1-based): which part of a range one machine
/// of a CI matrix runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// The whole range: shard 1 of 1.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Shard `index` of `count`; an error unless `1 <= index <= count`.
    pub fn new(index: u64, count: u64) -> Result<Self, String> {
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "a shard is K/N with 1 <= K <= N (e.g. 1/4), got {index}/{count}"
            ));
        }
        Ok(Shard { index, count })
    }

    /// The 1-based shard number `K`.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The number of shards `N`.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// True if `seed` of `range` belongs to this shard.
    pub fn contains(&self, range: SeedRange, seed: u64) -> bool {
        (range.start..range.end).contains(&seed)
            && (seed - range.start) % self.count == self.index - 1
    }

    /// This shard's seeds of `range`, in increasing order.
    pub fn seeds(&self, range: SeedRange) -> impl Iterator<Item = u64> {
        let step = usize::try_from(self.count).unwrap_or(usize::MAX);
        let skip = usize::try_from(self.index - 1).unwrap_or(usize::MAX);
        (range.start..range.end).skip(skip).step_by(step)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N`, e.g. `2/4`.
    fn from_str(s: &str) -> Result<Self, String> {
        let expected = || format!("expected a shard K/N (e.g. 1/4), got {s:?}");
        let (k, n) = s.split_once('/').ok_or_else(expected)?;
        let k = k.trim().parse().map_err(|_| expected())?;
        let n = n.trim().parse().map_err(|_| expected())?;
        Shard::new(k, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_half_open_or_inclusive() {
        let r = |s: &str| s.parse::<SeedRange>();
        assert_eq!(r("0..10"), Ok(SeedRange { start: 0, end: 10 }));
        assert_eq!(r("5..=5"), Ok(SeedRange { start: 5, end: 6 }));
        assert!(r("5..5").unwrap_err().contains("empty"));
        assert!(r("7").unwrap_err().contains("A..B"));
        assert!(r("a..3").unwrap_err().contains("A..B"));
        assert!(r("0..=18446744073709551615").is_err());
    }

    #[test]
    fn shards_parse_one_based() {
        assert_eq!("2/4".parse::<Shard>(), Shard::new(2, 4));
        assert_eq!("2/4".parse::<Shard>().unwrap().to_string(), "2/4");
        for bad in ["0/4", "5/4", "1/0", "1", "x/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn seeds_and_contains_agree() {
        let range = SeedRange { start: 10, end: 20 };
        let shard = Shard::new(2, 3).unwrap();
        let seeds: Vec<u64> = shard.seeds(range).collect();
        assert_eq!(seeds, [11, 14, 17]);
        for seed in 0..30 {
            assert_eq!(shard.contains(range, seed), seeds.contains(&seed), "{seed}");
        }
    }
}
