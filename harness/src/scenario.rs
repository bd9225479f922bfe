//! A run's complete configuration: everything needed to replay it, saved as
//! `config.json`.

use crate::cluster::Bug;
use nemeses::NemesisConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use workloads::RegisterWorkload;

/// The harness version written into every `config.json`.
pub const HARNESS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One seeded run. The same scenario gives the same history, byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The one number all randomness flows from.
    pub seed: u64,
    /// Cluster size (3 or 5 is typical).
    pub nodes: usize,
    /// Concurrent client workers (logical processes on one client host).
    pub clients: usize,
    /// Client operations to run in total.
    pub ops: usize,
    /// What the clients do.
    pub workload: RegisterWorkload,
    /// Time a client waits for an op before recording it as `info`.
    pub deadline_ms: u64,
    /// Each client waits up to this long between two ops.
    pub think_ms_max: u64,
    /// Network latency of every message, lower bound.
    pub latency_ms_min: u64,
    /// Network latency of every message, upper bound.
    pub latency_ms_max: u64,
    /// The run fails if the clients have not finished by this simulated time.
    pub sim_ms_max: u64,
    /// The version of the harness that wrote this scenario.
    pub harness_version: String,
    /// The faults: which nemeses, how often, their knobs (default: none).
    #[serde(default)]
    pub nemesis: NemesisConfig,
    /// Planted bugs switched on in the built-in cluster (default: none).
    #[serde(default)]
    pub bugs: BTreeSet<Bug>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 0,
            nodes: 3,
            clients: 5,
            ops: 1_000,
            workload: RegisterWorkload::default(),
            deadline_ms: 1_000,
            think_ms_max: 5,
            latency_ms_min: 1,
            latency_ms_max: 5,
            sim_ms_max: 600_000,
            harness_version: HARNESS_VERSION.to_string(),
            nemesis: NemesisConfig::none(),
            bugs: BTreeSet::new(),
        }
    }
}

impl Scenario {
    /// The default scenario with this seed.
    pub fn with_seed(seed: u64) -> Self {
        Scenario {
            seed,
            ..Self::default()
        }
    }

    /// Checks the numbers make sense; the message says which does not.
    pub fn validate(&self) -> Result<(), String> {
        if self.nodes == 0 || self.nodes > 9 {
            return Err(format!("nodes must be 1 to 9, got {}", self.nodes));
        }
        if self.clients == 0 {
            return Err("clients must be at least 1".into());
        }
        self.workload.validate()?;
        if self.deadline_ms == 0 {
            return Err("deadline_ms must be at least 1".into());
        }
        if self.latency_ms_min > self.latency_ms_max {
            return Err(format!(
                "latency_ms_min ({}) exceeds latency_ms_max ({})",
                self.latency_ms_min, self.latency_ms_max
            ));
        }
        self.nemesis.validate(self.nodes)
    }

    /// The host names of the nodes: `n1`, `n2`, …
    pub fn node_names(&self) -> Vec<String> {
        (1..=self.nodes).map(|i| format!("n{i}")).collect()
    }
}
