//! The register workload: reads, writes and compare-and-sets over a few
//! integer keys, drawn from each client's own rng.

use crate::Op;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Reads, writes and cas over `keys` keys named `k0`, `k1`, … with values in
/// `0..values`. A small value range makes cas succeed often enough to matter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterWorkload {
    /// How many keys (at least 1).
    pub keys: usize,
    /// Values are drawn from `0..values` (at least 1).
    pub values: i64,
}

impl Default for RegisterWorkload {
    fn default() -> Self {
        RegisterWorkload { keys: 3, values: 5 }
    }
}

impl RegisterWorkload {
    /// The name of key number `i`.
    pub fn key_name(i: usize) -> String {
        format!("k{i}")
    }

    /// Draws the next op: half reads, a quarter writes, a quarter cas.
    pub fn next_op(&self, rng: &mut impl Rng) -> Op {
        let key = Self::key_name(rng.random_range(0..self.keys.max(1)));
        let values = self.values.max(1);
        match rng.random_range(0..4) {
            0 | 1 => Op::Read { key },
            2 => Op::Write {
                key,
                value: rng.random_range(0..values),
            },
            _ => Op::Cas {
                key,
                expected: rng.random_range(0..values),
                new: rng.random_range(0..values),
            },
        }
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
        let w = RegisterWorkload { keys: 3, values: 5 };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut seen = BTreeMap::new();
        for _ in 0..1000 {
            let op = w.next_op(&mut rng);
            *seen.entry((op.f(), op.key().to_string())).or_insert(0) += 1;
        }
        assert_eq!(seen.len(), 9, "{seen:?}");
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
