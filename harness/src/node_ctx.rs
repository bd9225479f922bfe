//! What a node of the system under test is given: its identity, a
//! skewable wall clock, a pause gate, its own rng, and where its disk is.

use crate::clock::SkewClock;
use crate::pause::PauseGate;
use rand_chacha::ChaCha8Rng;
use std::future::Future;
use std::path::PathBuf;
use tokio::task::JoinHandle;

/// Everything one incarnation of a node gets from the harness.
///
/// Node code must spawn its tasks through [`NodeCtx::spawn`] (so a pause
/// nemesis can stop them), read wall time only through [`NodeCtx::clock`],
/// draw randomness only from [`NodeCtx::rng`], and keep what must survive a
/// crash on turmoil's simulated disk under [`NodeCtx::data_dir`], synced.
#[derive(Clone, Debug)]
pub struct NodeCtx {
    /// This node's number, `0..names.len()`.
    pub id: usize,
    /// Host names of all nodes, by number (`names[id]` is this node).
    pub names: Vec<String>,
    /// The port every node listens on.
    pub port: u16,
    /// How many times this node has started before (0 on first start).
    pub incarnation: u64,
    /// The node's wall clock; the clock nemesis skews it.
    pub clock: SkewClock,
    /// The node's safepoints; the pause nemesis closes it.
    pub gate: PauseGate,
    /// This incarnation's own random stream.
    pub rng: ChaCha8Rng,
    /// Directory on the node's simulated disk for durable state.
    pub data_dir: PathBuf,
}

impl NodeCtx {
    /// This node's host name.
    pub fn name(&self) -> &str {
        &self.names[self.id]
    }

    /// Spawns a task on this node that stops while the node is paused.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        tokio::task::spawn_local(self.gate.wrap(future))
    }

    /// Spawns a task that keeps running while the node is paused. Only for
    /// accept loops: a gated accept makes peers' connects hang, and more
    /// than `tcp_capacity` pending connects abort the simulation.
    pub fn spawn_ungated<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        tokio::task::spawn_local(future)
    }

    /// Awaits the node's next safepoint: returns at once unless paused.
    pub async fn safepoint(&self) {
        self.gate.safepoint().await
    }
}
