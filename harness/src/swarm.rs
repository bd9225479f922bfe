//! The default exploration (swarm testing): every dimension of a run that
//! changes what a system meets is drawn from its seed, once, into the
//! [`Scenario`] that `config.json` records and `harness run` prints.
//!
//! - the workload's shape: share of reads, number of values (few make cas
//!   succeed often; many make a stale read tell which write it saw), keys
//!   (at most [`OPS_PER_KEY_MAX`] ops a key, so histories stay checkable);
//! - client count, client deadline and think time (with the op count, the
//!   run's length in simulated time: about 2 to 10 s);
//! - the faults ([`NemesisConfig::swarm`]): which nemeses, how often, how
//!   long, aimed at whom, and which event-triggered compositions;
//! - whether the system's own fault points (buggify) are on;
//! - the system's own knobs ([`system_config`], drawn by the system's
//!   [`NamedSystem::swarm_config`]).
//!
//! Each part has its own stream (`("swarm", i)`), so changing how one is
//! drawn shifts no other.

use crate::scenario::Scenario;
use crate::seeds::Seeds;
use crate::sut::NamedSystem;
use nemeses::NemesisConfig;
use rand::Rng;
use workloads::WorkloadConfig;

/// Most ops per key the swarm draws.
pub const OPS_PER_KEY_MAX: usize = 500;

/// The scenario `harness run --seed SEED` runs: the defaults of
/// [`Scenario::default`] with every swarm dimension drawn from `seed`.
pub fn draw(seed: u64) -> Scenario {
    let seeds = Seeds::new(seed);
    let base = Scenario::default();
    let mut shape = seeds.stream("swarm", 1);
    let pick = |rng: &mut rand_chacha::ChaCha8Rng, options: &[u64]| {
        options[rng.random_range(0..options.len())]
    };
    let ops: usize = shape.random_range(10..=25) * 100;
    // At most 500 ops a key: a key's history is checked as one search,
    // whose cost grows steeply with its indeterminate writes.
    let keys_min = ops.div_ceil(OPS_PER_KEY_MAX);
    let workload = WorkloadConfig {
        keys: shape.random_range(keys_min..=keys_min + 3),
        values: pick(&mut shape, &[5, 30, 100, 300]) as i64,
        reads_pct: shape.random_range(4..=9) * 10,
        ..base.workload.clone()
    };
    let clients = shape.random_range(3..=8);
    let deadline_ms = pick(&mut shape, &[300, 500, 1_000, 2_000]);
    let think_ms_max = pick(&mut shape, &[0, 2, 5, 10]);
    Scenario {
        seed,
        clients,
        ops,
        workload,
        deadline_ms,
        think_ms_max,
        nemesis: NemesisConfig::swarm(&mut seeds.stream("swarm", 0)),
        ..base
    }
}

/// The configuration of system `S` that seed `seed` runs by default:
/// `S::swarm_config` on the seed's `("swarm", 2)` stream.
pub fn system_config<S: NamedSystem>(seed: u64) -> S::Config {
    S::swarm_config(&mut Seeds::new(seed).stream("swarm", 2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_dimension_varies_by_seed_and_repeats_by_seed() {
        assert_eq!(draw(3), draw(3));
        let runs: Vec<Scenario> = (0..60).map(draw).collect();
        assert!(runs.iter().all(|s| s.validate().is_ok()));
        let distinct = |f: &dyn Fn(&Scenario) -> u64| -> usize {
            runs.iter().map(f).collect::<BTreeSet<u64>>().len()
        };
        assert!(distinct(&|s| s.workload.keys as u64) >= 4);
        assert!(distinct(&|s| s.workload.values as u64) >= 4);
        assert!(distinct(&|s| s.workload.reads_pct as u64) >= 5);
        assert!(distinct(&|s| s.deadline_ms) >= 4);
        assert!(distinct(&|s| s.ops as u64) >= 10);
        assert!(distinct(&|s| s.clients as u64) >= 5);
        assert!(runs.iter().all(|s| s.nemesis.is_active()));
        let with_triggers = runs
            .iter()
            .filter(|s| !s.nemesis.triggers.is_empty())
            .count();
        let with_buggify = runs.iter().filter(|s| s.nemesis.buggify.is_on()).count();
        assert!(with_triggers >= 55, "{with_triggers} of 60 have triggers");
        assert!(
            (15..=45).contains(&with_buggify),
            "buggify on in {with_buggify} of 60"
        );
    }
}
