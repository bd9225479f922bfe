//! The built-in system under test: a Raft-replicated key-value store over
//! turmoil TCP.
//!
//! - [`raft`] and [`leader`]: the sans-IO protocol core (elections with
//!   randomized timeouts, replication with batching and fast back-off, the
//!   commit rule, read-index reads, leader redirects);
//! - [`kv`]: the state machine (registers, with request de-duplication);
//! - [`storage`]: term, vote and log on the simulated disk, synced before
//!   anything that depends on them is sent;
//! - [`node`], [`transport`], [`proto`], [`wire`]: the IO shell, TCP links,
//!   messages, framing and their binary encoding;
//! - [`client`]: the client adapter; [`status`]: the observation board;
//! - [`bugs`]: the planted bugs, each off by default; [`mutants`]: the
//!   catalogue of classic mistakes nobody planted (test-only).
//!
//!
//! It reaches the harness only through its public API, as a user's system
//! would: [`Cluster`] is a [`harness::NamedSystem`] named `raft`, and its
//! configuration ([`RaftConfig`], with the planted bugs) is the scenario's
//! `system.config`.
//!
//! ```no_run
//! use harness::{runner, Scenario};
//! use raft_kv::Cluster;
//!
//! let cluster = Cluster::default();
//! let status = cluster.status();
//! // The seed's default swarm fault mix, as `harness run --seed 1` runs.
//! let outcome = runner::run(&Scenario::with_seed(1), cluster);
//! assert!(outcome.error.is_none());
//! println!("leader at the end: {:?}", status.leader());
//! ```

pub mod bugs;
pub mod client;
pub mod config;
pub mod disks;
pub mod kv;
pub mod leader;
pub mod ledger;
pub mod log;
pub mod mutants;
pub mod natural;
pub mod node;
pub mod proto;
pub mod raft;
pub mod status;
pub mod storage;
pub mod transport;
pub mod wire;

#[cfg(test)]
mod raft_tests;
#[cfg(test)]
mod sim_tests;
#[cfg(test)]
mod testnet;

pub use bugs::{Bug, Bugs};
pub use client::ClusterClient;
pub use config::RaftConfig;
pub use mutants::Mutant;
pub use status::{ClusterStatus, NodeStatus, Role};

use harness::sut::{BugInfo, CheckPoint, ClientCtx, NamedSystem, System};
use harness::{NodeCtx, Scenario};
use std::future::Future;
use workloads::{Workload, WorkloadConfig};

/// The built-in Raft KV cluster as a [`System`].
#[derive(Clone, Debug, Default)]
pub struct Cluster {
    /// Timing and batching.
    pub config: RaftConfig,
    status: ClusterStatus,
}

impl Cluster {
    /// A cluster with this configuration.
    pub fn new(config: RaftConfig) -> Self {
        Cluster {
            config,
            status: ClusterStatus::default(),
        }
    }

    /// The cluster a scenario describes (its `system.config`, or the
    /// defaults where that is empty).
    ///
    /// # Panics
    /// If `system.config` is not a valid [`RaftConfig`]: the CLI checks it
    /// first, through [`NamedSystem::build`].
    pub fn for_scenario(scenario: &Scenario) -> Self {
        let config = config_of(scenario).unwrap_or_else(|e| panic!("{e}"));
        Cluster::new(config)
    }

    /// The observation board every node of this cluster publishes to
    /// (shared: clone it before handing the cluster to the runner).
    pub fn status(&self) -> ClusterStatus {
        self.status.clone()
    }
}

impl System for Cluster {
    type Client = ClusterClient;

    fn node(&self, ctx: NodeCtx) -> impl Future<Output = turmoil::Result> + use<> + 'static {
        node::run(ctx, self.config.clone(), self.status.clone())
    }

    fn client(&self, ctx: ClientCtx) -> ClusterClient {
        ClusterClient::new(ctx, &self.config)
    }

    fn leader(&self) -> Option<usize> {
        self.status.leader()
    }

    /// Raft's invariants: state machine safety (no index ever committed
    /// with two different entries, [`ledger`]), at most one leader per term and no
    /// acknowledgement of an entry or vote before it is durable (checked
    /// as they happen); after the final heal, every node up with the same
    /// commit index and applied state.
    fn invariants(&self, at: CheckPoint) -> Vec<String> {
        let mut violations = self.status.violations();
        if at == CheckPoint::AfterHeal {
            violations.extend(self.status.divergence());
        }
        violations
    }

    fn workload(
        &self,
        config: &WorkloadConfig,
        worker: usize,
    ) -> Result<Box<dyn Workload>, String> {
        match config.kind.as_str() {
            "register" => config.build(worker),
            other => Err(format!(
                "the raft system serves the register workload (read, write, cas), not {other:?}"
            )),
        }
    }
}

impl NamedSystem for Cluster {
    const NAME: &'static str = "raft";
    const ABOUT: &'static str =
        "the built-in Raft-replicated KV store (registers: read, write, cas)";
    type Config = RaftConfig;

    fn bugs() -> Vec<BugInfo> {
        Bug::ALL
            .iter()
            .chain(&Bug::SLOWDOWNS)
            .map(|bug| BugInfo {
                name: bug.name().to_string(),
                about: bug.about().to_string(),
            })
            .collect()
    }

    fn swarm_config(rng: &mut dyn rand::RngCore) -> RaftConfig {
        RaftConfig::swarm(rng)
    }

    fn build(_scenario: &Scenario, config: &RaftConfig) -> Result<Self, String> {
        config.validate()?;
        Ok(Cluster::new(config.clone()))
    }
}

/// The scenario's Raft configuration: `system.config`, defaults where it
/// is null ([`NamedSystem::config_of`]).
pub fn config_of(scenario: &Scenario) -> Result<RaftConfig, String> {
    Cluster::config_of(scenario)
}

/// A scenario for the Raft cluster with these planted bugs: `base` with
/// its system section set.
pub fn with_bugs(base: Scenario, bugs: impl IntoIterator<Item = Bug>) -> Scenario {
    let config = RaftConfig {
        bugs: bugs.into_iter().collect(),
        ..RaftConfig::default()
    };
    with_config(base, config)
}

/// A scenario for the Raft cluster with the catalogue mistake `mutant`
/// switched on (test-only; see [`mutants`]): `base` with its system
/// section set.
pub fn with_mutant(base: Scenario, mutant: Mutant) -> Scenario {
    let config = RaftConfig {
        mutant: Some(mutant),
        ..RaftConfig::default()
    };
    with_config(base, config)
}

/// What `harness run --seed SEED --bug BUG...` runs: the seed's swarm
/// scenario and its drawn [`RaftConfig::swarm`] knobs, with these bugs on.
pub fn default_run(seed: u64, bugs: impl IntoIterator<Item = Bug>) -> Scenario {
    default_run_where(seed, |config| config.bugs = bugs.into_iter().collect())
}

/// [`default_run`] of `seed` with the catalogue mistake `mutant` on.
pub fn default_run_with_mutant(seed: u64, mutant: Mutant) -> Scenario {
    default_run_where(seed, |config| config.mutant = Some(mutant))
}

/// The seed's swarm scenario with its drawn knobs, changed by `edit`.
fn default_run_where(seed: u64, edit: impl FnOnce(&mut RaftConfig)) -> Scenario {
    let mut config = harness::swarm::system_config::<Cluster>(seed);
    edit(&mut config);
    with_config(Scenario::with_seed(seed), config)
}

/// `base` running the Raft cluster configured by `config`.
pub fn with_config(base: Scenario, config: RaftConfig) -> Scenario {
    Scenario {
        system: harness::scenario::SystemSpec::of::<Cluster>(&config)
            .expect("a RaftConfig serialises"),
        ..base
    }
}
