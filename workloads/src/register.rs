//! The register workload: reads, writes and compare-and-sets over a few
//! integer keys, drawn from each client's own rng.

use crate::{HistoryChecker, Op, RegisterOp, Workload, WorkloadConfig};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use results::ModelKind;
use std::sync::Arc;

/// Reads, writes and cas over `keys` keys named `k0`, `k1`, … with values in
/// `0..values`; checked as a kv of cas-registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterWorkload {
    /// How many keys (at least 1).
    pub keys: usize,
    /// Values are drawn from `0..values` (at least 1).
    pub values: i64,
    /// Percent of ops that are reads (0 to 100); the rest are half writes,
    /// half cas.
    pub reads_pct: u32,
}

impl Default for RegisterWorkload {
    fn default() -> Self {
        RegisterWorkload::from_config(&WorkloadConfig::default())
    }
}

impl RegisterWorkload {
    /// The register workload with a config's knobs.
    pub fn from_config(config: &WorkloadConfig) -> Self {
        RegisterWorkload {
            keys: config.keys,
            values: config.values,
            reads_pct: config.reads_pct,
        }
    }

    /// Draws the next op: `reads_pct`% reads (by default half), the rest
    /// writes and cas in equal parts.
    pub fn draw(&self, rng: &mut impl Rng) -> RegisterOp {
        let key = WorkloadConfig::key_name(rng.random_range(0..self.keys.max(1)));
        let values = self.values.max(1);
        if rng.random_range(0..100) < self.reads_pct {
            return RegisterOp::Read { key };
        }
        if rng.random_bool(0.5) {
            RegisterOp::Write {
                key,
                value: rng.random_range(0..values),
            }
        } else {
            RegisterOp::Cas {
                key,
                expected: rng.random_range(0..values),
                new: rng.random_range(0..values),
            }
        }
    }
}

impl Workload for RegisterWorkload {
    fn next_op(&mut self, rng: &mut ChaCha8Rng) -> Op {
        self.draw(rng).into()
    }

    fn final_reads(&self) -> Vec<Op> {
        (0..self.keys)
            .map(|i| Op::read(WorkloadConfig::key_name(i)))
            .collect()
    }

    fn checker(&self) -> Arc<dyn HistoryChecker> {
        Arc::new(ModelKind::Kv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::BTreeMap;

    #[test]
    fn draws_every_kind_over_every_key() {
        let mut w = RegisterWorkload::default();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut seen = BTreeMap::new();
        for _ in 0..1000 {
            let op = w.next_op(&mut rng);
            *seen.entry((op.f, op.key)).or_insert(0) += 1;
        }
        assert_eq!(seen.len(), 9, "{seen:?}");
    }

    #[test]
    fn reads_pct_sets_the_share_of_reads() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for pct in [0, 50, 80, 100] {
            let w = RegisterWorkload {
                reads_pct: pct,
                ..RegisterWorkload::default()
            };
            let reads = (0..10_000)
                .filter(|_| matches!(w.draw(&mut rng), RegisterOp::Read { .. }))
                .count();
            let share = reads as f64 / 100.0;
            assert!((share - pct as f64).abs() < 2.0, "{pct}%: {share}%");
        }
        let bad = WorkloadConfig {
            reads_pct: 101,
            ..WorkloadConfig::default()
        };
        assert!(bad.validate().unwrap_err().contains("reads_pct"));
        let old: WorkloadConfig = serde_json::from_str(r#"{"keys":3,"values":5}"#).unwrap();
        assert_eq!(old, WorkloadConfig::default(), "older configs still load");
        let huge = WorkloadConfig {
            keys: usize::MAX,
            ..WorkloadConfig::default()
        };
        assert!(huge.validate().unwrap_err().contains("keys"));
    }

    #[test]
    fn same_seed_same_ops() {
        let w = RegisterWorkload::default();
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..50).map(|_| w.draw(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }
}
