//! Random durations in whole milliseconds, in integer arithmetic only, so
//! that a seed draws the same schedule on every platform (no `ln`/`exp`,
//! whose last bits may differ between libms).

use rand::Rng;

/// Uniform in `min..=max` (`min` if `max < min`).
pub fn between(rng: &mut impl Rng, min: u64, max: u64) -> u64 {
    if max <= min {
        min
    } else {
        rng.random_range(min..=max)
    }
}

/// A gap between two faults with mean `mean_ms`: uniform in
/// `1..=2*mean_ms - 1`, so gaps vary but never pile up at zero.
pub fn gap_ms(rng: &mut impl Rng, mean_ms: u64) -> u64 {
    between(rng, 1, mean_ms.saturating_mul(2).saturating_sub(1).max(1))
}

/// True with a chance of `pct` percent; draws nothing when `pct` is 0,
/// so a knob left at 0 keeps the schedules drawn before it existed.
pub fn chance(rng: &mut impl Rng, pct: u32) -> bool {
    pct > 0 && rng.random_range(0..100) < pct
}

/// `pct` is a percentage (0 to 100), or an error naming the knob.
pub fn check_pct(nemesis: &str, knob: &str, pct: u32) -> Result<(), String> {
    if pct > 100 {
        return Err(format!("{nemesis}: {knob} must be 0 to 100, got {pct}"));
    }
    Ok(())
}

/// A long-tailed duration: `min_ms · 2^k · u`, where `k` counts how many
/// times in a row a `tail_pct`% coin came up heads and `u` is uniform in
/// [1, 2); capped at `max_ms`. `P(d ≥ min·2^k) = (tail_pct/100)^k`, a
/// discrete Pareto: with 10 ms, 60% and 5 s, half the draws are under
/// 25 ms and about 2% reach 2.5 s (a stop-the-world GC's profile).
pub fn long_tail_ms(rng: &mut impl Rng, min_ms: u64, max_ms: u64, tail_pct: u32) -> u64 {
    let min_ms = min_ms.max(1);
    let p = f64::from(tail_pct.min(99)) / 100.0;
    let mut base = min_ms;
    while base < max_ms && rng.random_bool(p) {
        base = base.saturating_mul(2);
    }
    let ms = base + rng.random_range(0..base);
    ms.clamp(min_ms, max_ms.max(min_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn long_tail_is_mostly_short_with_a_few_long() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut draws: Vec<u64> = (0..10_000)
            .map(|_| long_tail_ms(&mut rng, 10, 5_000, 60))
            .collect();
        draws.sort();
        assert!(draws.iter().all(|&d| (10..=5_000).contains(&d)));
        let median = draws[draws.len() / 2];
        let long = draws.iter().filter(|&&d| d >= 1_000).count();
        assert!((15..=45).contains(&median), "median {median}");
        assert!((100..=800).contains(&long), "{long} of 10000 at least 1 s");
    }

    #[test]
    fn gaps_average_their_mean() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let total: u64 = (0..10_000).map(|_| gap_ms(&mut rng, 500)).sum();
        let mean = total / 10_000;
        assert!((480..=520).contains(&mean), "mean gap {mean}");
        assert_eq!(between(&mut rng, 7, 3), 7);
    }
}
