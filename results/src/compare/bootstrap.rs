//! A percentile bootstrap over seeds: how far the ratio B/A of two pooled
//! percentiles would move if each side had run other seeds.
//!
//! The unit of resampling is the seed, not the op: ops of one seed share
//! its fault mix, its leader changes and its schedule, so they are not
//! independent, and resampling ops would give intervals far too narrow (a
//! cluster bootstrap). One replicate draws each side's seeds with
//! replacement (*unpaired*), or draws seed numbers once and takes both
//! sides' histograms of each (*paired*, when A and B ran the same seeds, so
//! that what a seed does to both cancels out), pools the drawn histograms
//! and takes the percentiles of the pool, exactly as `value_at_quantile`
//! of a merged histogram would. The interval is the central `confidence`
//! share of the replicates' ratios (Efron's percentile interval).
//!
//! Written here rather than taken from a crate: the bootstrap crates on
//! crates.io resample a flat slice of numbers (or indices into one) and
//! compute a statistic per replicate through a closure; ours pools sparse
//! histograms per replicate, which a generic closure would do by merging
//! whole `Histogram`s, ten times slower, and the few that take an index
//! closure bring rayon (thread order in the results) or their own rngs.
//! The rng here is `rand_chacha`'s ChaCha8, whose stream is fixed by its
//! documentation, seeded from a fixed constant (or `--bootstrap-seed`) and
//! the name of what is resampled, so the same inputs give the same
//! intervals, and adding a table moves no other table's interval.
//!
//! ```
//! use hdrhistogram::Histogram;
//! use results::compare::bootstrap::{bootstrap, Pairing};
//! use results::latency::seeds::Buckets;
//!
//! let seeds: Vec<Histogram<u64>> = (1..=20u64)
//!     .map(|s| {
//!         let mut h = Histogram::new(3).unwrap();
//!         for v in 1..=100 { h.record(v * 1000 + s * 37).unwrap(); }
//!         h
//!     })
//!     .collect();
//! let sparse: Vec<Buckets> = seeds.iter().map(Buckets::of).collect();
//! let side: Vec<Option<&Buckets>> = sparse.iter().map(Some).collect();
//! let d = bootstrap(&side, &side, Pairing::Unpaired, &[0.5, 0.99], 1000, 7, "read ok");
//! let (low, high) = d[1].interval(0.95).unwrap();
//! assert!(low <= 1.0 && 1.0 <= high);
//! ```

use crate::latency::seeds::Buckets;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The seed of the resampling rng when none is given (`--bootstrap-seed`).
pub const DEFAULT_SEED: u64 = 0x5eed_b007;
/// Replicates per bootstrap when none is given (`--resamples`).
pub const DEFAULT_RESAMPLES: usize = 2000;

/// How the two sides' seeds are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairing {
    /// A and B ran the same seeds, in the same order: one draw of seed
    /// positions serves both sides.
    Paired,
    /// Each side's seeds are drawn on their own.
    Unpaired,
}

/// The bootstrap distribution of B/A at one quantile.
#[derive(Clone, Debug, PartialEq)]
pub struct RatioDistribution {
    /// The quantile (0.99 for p99).
    pub quantile: f64,
    /// B/A of the pooled percentiles of all seeds, each once.
    pub estimate: f64,
    /// The replicates' ratios, sorted (NaN-free: a replicate in which a
    /// side drew no op is left out, and counted in `dropped`).
    pub replicates: Vec<f64>,
    /// Replicates left out because a side drew only seeds without ops.
    pub dropped: usize,
}

impl RatioDistribution {
    /// The central `confidence` share of the replicates, `(low, high)`;
    /// `None` when more than 1% of the replicates were left out (the
    /// interval would be conditional on drawing ops).
    pub fn interval(&self, confidence: f64) -> Option<(f64, f64)> {
        let n = self.replicates.len();
        if n == 0 || self.dropped * 100 > n + self.dropped {
            return None;
        }
        let tail = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0;
        let low = ((tail * n as f64).floor() as usize).min(n - 1);
        let high = (((1.0 - tail) * n as f64).ceil() as usize).clamp(1, n) - 1;
        Some((self.replicates[low], self.replicates[high]))
    }
}

/// One side's histograms as sparse counts on an axis shared by both.
struct Side {
    seeds: Vec<Vec<(u32, u64)>>,
}

/// The bootstrap of B/A at each of `quantiles` (ascending), from each
/// seed's histogram of one op kind and outcome on each side, kept sparse
/// ([`Buckets::of`] a histogram, or
/// [`SeedLatencies::row`](crate::latency::seeds::SeedLatencies::row);
/// `None`: that seed had no such op; it still counts as a seed). With
/// [`Pairing::Paired`], `a[i]` and `b[i]` are the same seed. `name` (say
/// `read ok p99`) picks the rng stream. Every output is empty when a side
/// has no seed.
pub fn bootstrap(
    a: &[Option<&Buckets>],
    b: &[Option<&Buckets>],
    pairing: Pairing,
    quantiles: &[f64],
    resamples: usize,
    seed: u64,
    name: &str,
) -> Vec<RatioDistribution> {
    let pairs = bootstrap_values(a, b, pairing, quantiles, resamples, seed, name);
    let Some((estimate, replicates)) = pairs else {
        return Vec::new();
    };
    quantiles
        .iter()
        .enumerate()
        .map(|(qi, &quantile)| {
            let mut ratios: Vec<f64> = replicates
                .iter()
                .filter_map(|r| r.as_ref().map(|(va, vb)| ratio(va[qi], vb[qi])))
                .collect();
            ratios.sort_by(f64::total_cmp);
            RatioDistribution {
                quantile,
                estimate: ratio(estimate.0[qi], estimate.1[qi]),
                dropped: replicates.len() - ratios.len(),
                replicates: ratios,
            }
        })
        .collect()
}

/// Per-quantile values of A and of B.
type Values = (Vec<u64>, Vec<u64>);

/// The pooled values at `quantiles` of all seeds (the estimate) and of each
/// replicate (`None` where a side drew no op); `None` when a side has no
/// seed.
pub(crate) fn bootstrap_values(
    a: &[Option<&Buckets>],
    b: &[Option<&Buckets>],
    pairing: Pairing,
    quantiles: &[f64],
    resamples: usize,
    seed: u64,
    name: &str,
) -> Option<(Values, Vec<Option<Values>>)> {
    if a.is_empty() || b.is_empty() || (pairing == Pairing::Paired && a.len() != b.len()) {
        return None;
    }
    let axis = shared_axis(a.iter().chain(b).flatten().copied());
    let (side_a, side_b) = (Side::new(a, &axis), Side::new(b, &axis));
    let mut counts = vec![0u64; axis.len()];
    let all_a: Vec<usize> = (0..a.len()).collect();
    let all_b: Vec<usize> = (0..b.len()).collect();
    let estimate = (
        side_a.pooled(&all_a, &axis, quantiles, &mut counts)?,
        side_b.pooled(&all_b, &axis, quantiles, &mut counts)?,
    );
    let mut rng = rng_for(seed, name);
    let (mut draw_a, mut draw_b) = (vec![0; a.len()], vec![0; b.len()]);
    let replicates = (0..resamples)
        .map(|_| {
            draw_a
                .iter_mut()
                .for_each(|i| *i = rng.random_range(0..a.len()));
            match pairing {
                Pairing::Paired => draw_b.copy_from_slice(&draw_a),
                Pairing::Unpaired => draw_b
                    .iter_mut()
                    .for_each(|i| *i = rng.random_range(0..b.len())),
            }
            let va = side_a.pooled(&draw_a, &axis, quantiles, &mut counts)?;
            let vb = side_b.pooled(&draw_b, &axis, quantiles, &mut counts)?;
            Some((va, vb))
        })
        .collect();
    Some((estimate, replicates))
}

/// ChaCha8 seeded from `seed`, on a stream named by `name` (FNV-1a), so
/// each table's replicates are its own.
fn rng_for(seed: u64, name: &str) -> ChaCha8Rng {
    let stream = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// B/A; 1 when both are 0, infinite when only A is.
fn ratio(a: u64, b: u64) -> f64 {
    match (a, b) {
        (0, 0) => 1.0,
        (a, b) => b as f64 / a as f64,
    }
}

/// Every value (a bucket's highest equivalent, as `value_at_quantile`
/// gives) recorded in any histogram, ascending.
fn shared_axis<'a>(hists: impl Iterator<Item = &'a Buckets>) -> Vec<u64> {
    let mut axis: Vec<u64> = hists.flat_map(|h| h.iter().map(|(v, _)| v)).collect();
    axis.sort_unstable();
    axis.dedup();
    axis
}

impl Side {
    fn new(hists: &[Option<&Buckets>], axis: &[u64]) -> Side {
        let index = |v: u64| axis.binary_search(&v).expect("the axis holds every value") as u32;
        let seeds = hists
            .iter()
            .map(|h| h.map_or_else(Vec::new, |h| h.iter().map(|(v, n)| (index(v), n)).collect()))
            .collect();
        Side { seeds }
    }

    /// The values at `quantiles` of the pool of the seeds at `draw`
    /// (positions, repeats allowed); `None` when they hold no op.
    fn pooled(
        &self,
        draw: &[usize],
        axis: &[u64],
        quantiles: &[f64],
        counts: &mut [u64],
    ) -> Option<Vec<u64>> {
        counts.iter_mut().for_each(|c| *c = 0);
        let mut total = 0u64;
        for &i in draw {
            for &(at, n) in &self.seeds[i] {
                counts[at as usize] += n;
                total += n;
            }
        }
        if total == 0 {
            return None;
        }
        // As `Histogram::value_at_quantile`: the first value whose running
        // count reaches ceil(q * total), at least 1.
        let mut out = Vec::with_capacity(quantiles.len());
        let (mut at, mut running) = (0usize, counts[0]);
        for &q in quantiles {
            let rank = ((q.min(1.0) * total as f64).ceil() as u64).max(1);
            while running < rank && at + 1 < counts.len() {
                at += 1;
                running += counts[at];
            }
            out.push(axis[at]);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;

    fn seed_histograms(n: u64, scale: u64) -> Vec<Histogram<u64>> {
        (0..n)
            .map(|s| {
                let mut h = Histogram::new(3).unwrap();
                for v in 1..=200u64 {
                    // Seeds differ: a per-seed offset and a long tail.
                    h.record(scale * (1_000_000 + v * v * 50 + s * 20_000))
                        .unwrap();
                }
                h
            })
            .collect()
    }

    fn sparse(h: &[Histogram<u64>]) -> Vec<Buckets> {
        h.iter().map(Buckets::of).collect()
    }

    fn side(h: &[Buckets]) -> Vec<Option<&Buckets>> {
        h.iter().map(Some).collect()
    }

    #[test]
    fn the_pooled_estimate_is_the_merged_histograms_percentile() {
        let hs = seed_histograms(12, 1);
        let mut merged = Histogram::<u64>::new(3).unwrap();
        hs.iter().for_each(|h| merged.add(h).unwrap());
        let qs = [0.0, 0.5, 0.9, 0.99, 0.999, 1.0];
        let sp = sparse(&hs);
        let (est, _) =
            bootstrap_values(&side(&sp), &side(&sp), Pairing::Paired, &qs, 0, 1, "x").unwrap();
        let want: Vec<u64> = qs.iter().map(|&q| merged.value_at_quantile(q)).collect();
        // q = 0 is the lowest equivalent in hdrhistogram; ours is the
        // highest, as for every other quantile.
        assert_eq!(est.0[1..], want[1..]);
        assert_eq!(merged.highest_equivalent(want[0]), est.0[0]);
    }

    #[test]
    fn the_same_inputs_give_the_same_intervals() {
        let (a, b) = (
            sparse(&seed_histograms(30, 1)),
            sparse(&seed_histograms(30, 2)),
        );
        let run = |seed| {
            bootstrap(
                &side(&a),
                &side(&b),
                Pairing::Unpaired,
                &[0.5, 0.99],
                500,
                seed,
                "read ok",
            )
        };
        assert_eq!(run(DEFAULT_SEED), run(DEFAULT_SEED));
        assert_ne!(run(DEFAULT_SEED)[1].replicates, run(1)[1].replicates);
    }

    #[test]
    fn identical_samples_give_an_interval_that_holds_one() {
        let a = sparse(&seed_histograms(30, 1));
        for pairing in [Pairing::Paired, Pairing::Unpaired] {
            let intervals = bootstrap(
                &side(&a),
                &side(&a),
                pairing,
                &[0.5, 0.9, 0.99],
                1000,
                3,
                "x",
            );
            assert_eq!(intervals.len(), 3, "one interval per quantile");
            for d in intervals {
                let (low, high) = d.interval(0.95).unwrap();
                assert!(
                    low <= 1.0 && 1.0 <= high,
                    "{pairing:?} q {}: [{low}, {high}]",
                    d.quantile
                );
                assert_eq!(d.estimate, 1.0);
            }
        }
        // Paired, every replicate pools the same seeds on both sides.
        let d = bootstrap(&side(&a), &side(&a), Pairing::Paired, &[0.99], 200, 3, "x");
        assert_eq!(d[0].replicates.len(), 200);
        assert!(d[0].replicates.iter().all(|&r| r == 1.0));
    }

    #[test]
    fn a_doubling_is_found_and_bounded() {
        let (a, b) = (
            sparse(&seed_histograms(30, 1)),
            sparse(&seed_histograms(30, 2)),
        );
        let d = bootstrap(
            &side(&a),
            &side(&b),
            Pairing::Unpaired,
            &[0.99],
            1000,
            3,
            "x",
        );
        let (low, high) = d[0].interval(0.95).unwrap();
        assert!(
            (1.5..=2.0).contains(&low) && (2.0..2.7).contains(&high),
            "[{low}, {high}]"
        );
    }

    #[test]
    fn seeds_without_ops_count_and_empty_draws_are_dropped() {
        let a = sparse(&seed_histograms(2, 1));
        let four: Vec<Option<&Buckets>> = vec![Some(&a[0]), None, None, None];
        let d = bootstrap(&four, &four, Pairing::Unpaired, &[0.5], 400, 3, "x");
        assert!(d[0].dropped > 0, "a draw of only empty seeds happens");
        assert_eq!(d[0].interval(0.95), None, "too many draws without ops");
        assert!(bootstrap(&[], &four, Pairing::Unpaired, &[0.5], 10, 3, "x").is_empty());
    }
}
