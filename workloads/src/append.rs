//! The append workload: `get` and `append` over string keys, checked by the
//! append-kv model. Every appended token is unique (`[worker.seq]`), so a
//! read tells exactly which appends it saw, and in which order.

use crate::{HistoryChecker, Op, Workload, WorkloadConfig};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use results::ModelKind;
use serde_json::Value;
use std::sync::Arc;

/// Gets (`reads_pct`%) and appends of unique tokens over `keys` keys.
#[derive(Clone, Debug)]
pub struct AppendWorkload {
    keys: usize,
    reads_pct: u32,
    worker: usize,
    seq: u64,
}

impl AppendWorkload {
    /// The workload of client `worker` (its tokens carry the number).
    pub fn new(config: &WorkloadConfig, worker: usize) -> Self {
        AppendWorkload {
            keys: config.keys.max(1),
            reads_pct: config.reads_pct,
            worker,
            seq: 0,
        }
    }
}

impl Workload for AppendWorkload {
    fn next_op(&mut self, rng: &mut ChaCha8Rng) -> Op {
        let key = WorkloadConfig::key_name(rng.random_range(0..self.keys));
        if rng.random_range(0..100) < self.reads_pct {
            return Op::new("get", key, Value::Null);
        }
        self.seq += 1;
        let token = format!("[{}.{}]", self.worker, self.seq);
        Op::new("append", key, Value::String(token))
    }

    fn final_reads(&self) -> Vec<Op> {
        (0..self.keys)
            .map(|i| Op::new("get", WorkloadConfig::key_name(i), Value::Null))
            .collect()
    }

    fn checker(&self) -> Arc<dyn HistoryChecker> {
        Arc::new(ModelKind::AppendKv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::BTreeSet;

    #[test]
    fn tokens_are_unique_and_reads_take_their_share() {
        let config = WorkloadConfig {
            kind: "append".into(),
            reads_pct: 30,
            ..WorkloadConfig::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (mut a, mut b) = (
            AppendWorkload::new(&config, 0),
            AppendWorkload::new(&config, 1),
        );
        let ops: Vec<Op> = (0..2000)
            .flat_map(|_| [a.next_op(&mut rng), b.next_op(&mut rng)])
            .collect();
        let tokens: Vec<&Value> = ops
            .iter()
            .filter(|o| o.f == "append")
            .map(|o| &o.value)
            .collect();
        let unique: BTreeSet<String> = tokens.iter().map(|t| t.to_string()).collect();
        assert_eq!(unique.len(), tokens.len());
        let reads = ops.len() - tokens.len();
        assert!((1000..1400).contains(&reads), "{reads} gets of 4000");
    }
}
