//! [openraft](https://github.com/databendlabs/openraft) 0.9, a Raft library
//! written by others, as a system under test: a register KV store (read,
//! write, cas) on openraft, run deterministically inside the simulation
//! through harness's public seam only.
//!
//! - [`runtime`]: openraft's `AsyncRuntime`, whose `spawn` goes through the
//!   node's pause gate and whose `thread_rng` (the election timeouts) draws
//!   from the node's seeded stream.
//! - [`log_store`]: log and vote on turmoil's simulated disk, synced before
//!   openraft is told they are durable.
//! - [`state_machine`]: the KV state machine.
//! - [`network`] and [`node`]: RPCs over turmoil TCP with timeouts and
//!   reconnects; one node's server.
//! - [`client`]: the client adapter (leader redirects, reads through
//!   `ensure_linearizable`).
//! - [`board`]: `leader()` from openraft's metrics.
//!
//! Two planted adapter bugs, one `--bug` flag each: [`STALE_READ`] and
//! [`FLUSH_BEFORE_SYNC`].

pub mod board;
pub mod client;
pub mod log_store;
pub mod network;
pub mod node;
pub mod proto;
pub mod runtime;
pub mod state_machine;
pub mod types;
pub mod wire;

use board::Board;
use client::OpenraftClient;
use harness::sut::{BugInfo, ClientCtx, NamedSystem, System};
use harness::{NodeCtx, Scenario};
use serde::{Deserialize, Serialize};
use std::future::Future;
use workloads::{Workload, WorkloadConfig};

/// Planted bug: a node that believes it leads answers a read from its
/// state machine without `ensure_linearizable`.
pub const STALE_READ: &str = "stale-read";
/// Planted bug: the log store fires openraft's flush callback before the
/// appended entries are synced (a group commit syncs them later).
pub const FLUSH_BEFORE_SYNC: &str = "flush-before-sync";

/// The system's configuration (`system.config` in `config.json`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Planted bugs switched on, by name.
    pub bugs: Vec<String>,
}

impl Config {
    /// True if planted bug `name` is on.
    pub fn has(&self, name: &str) -> bool {
        self.bugs.iter().any(|b| b == name)
    }
}

/// openraft as a system under test.
#[derive(Clone, Debug, Default)]
pub struct OpenraftKv {
    config: Config,
    board: Board,
}

impl OpenraftKv {
    /// The system with this configuration.
    pub fn new(config: Config) -> Self {
        OpenraftKv {
            config,
            board: Board::default(),
        }
    }
}

impl System for OpenraftKv {
    type Client = OpenraftClient;

    fn node(&self, ctx: NodeCtx) -> impl Future<Output = turmoil::Result> + use<> + 'static {
        node::run(ctx, self.config.clone(), self.board.clone())
    }

    fn client(&self, ctx: ClientCtx) -> OpenraftClient {
        OpenraftClient::new(ctx)
    }

    fn leader(&self) -> Option<usize> {
        self.board.leader()
    }

    fn workload(
        &self,
        config: &WorkloadConfig,
        worker: usize,
    ) -> Result<Box<dyn Workload>, String> {
        match config.kind.as_str() {
            "register" => config.build(worker),
            other => Err(format!(
                "the openraft system serves the register workload (read, write, cas), not {other:?}"
            )),
        }
    }
}

impl NamedSystem for OpenraftKv {
    const NAME: &'static str = "openraft";
    const ABOUT: &'static str = "a register KV store on openraft 0.9, a third-party Raft library";
    type Config = Config;

    fn bugs() -> Vec<BugInfo> {
        vec![
            BugInfo {
                name: STALE_READ.into(),
                about: "a node that believes it leads serves reads without ensure_linearizable"
                    .into(),
            },
            BugInfo {
                name: FLUSH_BEFORE_SYNC.into(),
                about: "the log store acks openraft's flush before the sync (group commit later)"
                    .into(),
            },
        ]
    }

    fn build(_scenario: &Scenario, config: &Config) -> Result<Self, String> {
        Ok(OpenraftKv::new(config.clone()))
    }
}
