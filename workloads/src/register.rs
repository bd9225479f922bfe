//! The register workload: reads, writes and compare-and-sets over a few
//! integer keys, drawn from each client's own rng.

use crate::Op;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Reads, writes and cas over `keys` keys named `k0`, `k1`, … with values in
/// `0..values`. A small value range makes cas succeed often enough to matter;
/// a wide one makes every written value tell which write it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterWorkload {
    /// How many keys (at least 1).
    pub keys: usize,
    /// Values are drawn from `0..values` (at least 1).
    pub values: i64,
    /// Percent of ops that are reads (0 to 100); the rest are half writes,
    /// half cas.
    #[serde(default = "default_reads_pct")]
    pub reads_pct: u32,
}

fn default_reads_pct() -> u32 {
    50
}

impl Default for RegisterWorkload {
    fn default() -> Self {
        RegisterWorkload {
            keys: 3,
            values: 5,
            reads_pct: default_reads_pct(),
        }
    }
}

impl RegisterWorkload {
    /// The name of key number `i`.
    pub fn key_name(i: usize) -> String {
        format!("k{i}")
    }

    /// Draws the next op: `reads_pct`% reads (by default half), the rest
    /// writes and cas in equal parts.
    pub fn next_op(&self, rng: &mut impl Rng) -> Op {
        let key = Self::key_name(rng.random_range(0..self.keys.max(1)));
        let values = self.values.max(1);
        if rng.random_range(0..100) < self.reads_pct {
            return Op::Read { key };
        }
        if rng.random_bool(0.5) {
            Op::Write {
                key,
                value: rng.random_range(0..values),
            }
        } else {
            Op::Cas {
                key,
                expected: rng.random_range(0..values),
                new: rng.random_range(0..values),
            }
        }
    }

    /// Checks the knobs; the message names the one that is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.keys == 0 || self.values < 1 {
            return Err(format!(
                "workload: need keys >= 1 and values >= 1, got {} and {}",
                self.keys, self.values
            ));
        }
        if self.reads_pct > 100 {
            return Err(format!(
                "workload: reads_pct must be 0 to 100, got {}",
                self.reads_pct
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use std::collections::BTreeMap;

    #[test]
    fn draws_every_kind_over_every_key() {
        let w = RegisterWorkload::default();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut seen = BTreeMap::new();
        for _ in 0..1000 {
            let op = w.next_op(&mut rng);
            *seen.entry((op.f(), op.key().to_string())).or_insert(0) += 1;
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
                .filter(|_| matches!(w.next_op(&mut rng), Op::Read { .. }))
                .count();
            let share = reads as f64 / 100.0;
            assert!((share - pct as f64).abs() < 2.0, "{pct}%: {share}%");
        }
        let bad = RegisterWorkload {
            reads_pct: 101,
            ..RegisterWorkload::default()
        };
        assert!(bad.validate().unwrap_err().contains("reads_pct"));
        let old: RegisterWorkload = serde_json::from_str(r#"{"keys":3,"values":5}"#).unwrap();
        assert_eq!(old, RegisterWorkload::default(), "older configs still load");
    }

    #[test]
    fn same_seed_same_ops() {
        let w = RegisterWorkload::default();
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..50).map(|_| w.next_op(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }
}
