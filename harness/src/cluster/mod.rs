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
//! - [`bugs`]: the planted bugs, each off by default.
//!
//! ```no_run
//! use harness::cluster::Cluster;
//! use harness::{runner, Scenario};
//!
//! let cluster = Cluster::default();
//! let status = cluster.status();
//! let outcome = runner::run(&Scenario::with_seed(1), cluster);
//! assert!(outcome.error.is_none());
//! println!("leader at the end: {:?}", status.leader());
//! ```

pub mod bugs;
pub mod client;
pub mod config;
pub mod kv;
pub mod leader;
pub mod log;
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
pub use status::{ClusterStatus, NodeStatus, Role};

use crate::node_ctx::NodeCtx;
use crate::sut::{ClientCtx, System};
use std::future::Future;

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

    /// The cluster a scenario describes: default timing, with the
    /// scenario's planted bugs switched on.
    pub fn for_scenario(scenario: &crate::Scenario) -> Self {
        Cluster::new(RaftConfig {
            bugs: scenario.bugs.iter().copied().collect(),
            ..RaftConfig::default()
        })
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
}
