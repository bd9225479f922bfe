//! The scenario's workload section: which workload, and its knobs.

use crate::{AppendWorkload, RegisterWorkload, Workload};
use serde::{Deserialize, Serialize};

/// Upper bound on `keys`: more keys than this is a configuration mistake,
/// not a test (and would allocate without bound).
pub const KEYS_MAX: usize = 100_000;

/// Which workload the clients run, and its knobs. Older `config.json`
/// files, which had no `kind`, load as the register workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadConfig {
    /// `register` (read, write, cas), `append` (get, append), or the name
    /// of a system's own workload.
    #[serde(default = "default_kind")]
    pub kind: String,
    /// How many keys (at least 1), named `k0`, `k1`, …
    pub keys: usize,
    /// Register values are drawn from `0..values` (at least 1): few make
    /// cas succeed often, many make each written value tell which write it
    /// came from.
    pub values: i64,
    /// Percent of ops that are reads (0 to 100).
    #[serde(default = "default_reads_pct")]
    pub reads_pct: u32,
}

fn default_kind() -> String {
    "register".into()
}

fn default_reads_pct() -> u32 {
    50
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            kind: default_kind(),
            keys: 3,
            values: 5,
            reads_pct: default_reads_pct(),
        }
    }
}

impl WorkloadConfig {
    /// The built-in workload names.
    pub const BUILT_IN: [&'static str; 2] = ["register", "append"];

    /// The name of key number `i`.
    pub fn key_name(i: usize) -> String {
        format!("k{i}")
    }

    /// Every key name, `k0` to `k{keys-1}`.
    pub fn key_names(&self) -> Vec<String> {
        (0..self.keys).map(Self::key_name).collect()
    }

    /// Checks the knobs; the message names the one that is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.keys == 0 || self.keys > KEYS_MAX || self.values < 1 {
            return Err(format!(
                "workload: need keys from 1 to {KEYS_MAX} and values >= 1, got {} and {}",
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

    /// The built-in workload this config names, for client `worker`; an
    /// error names the kinds there are.
    pub fn build(&self, worker: usize) -> Result<Box<dyn Workload>, String> {
        match self.kind.as_str() {
            "register" => Ok(Box::new(RegisterWorkload::from_config(self))),
            "append" => Ok(Box::new(AppendWorkload::new(self, worker))),
            other => Err(format!(
                "unknown workload {other:?}: the built-in ones are register and append"
            )),
        }
    }
}
