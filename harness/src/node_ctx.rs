//! What a node of the system under test is given: its identity, a
//! skewable wall clock, a pause gate, its own rng, where its disk is, and
//! a way to tell the harness what it does (events, fault points).

use crate::clock::SkewClock;
use crate::events::EventSink;
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
    /// Where [`NodeCtx::event`] and [`NodeCtx::buggify`] report.
    pub(crate) sink: EventSink,
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
    /// than [`crate::runner::TCP_CAPACITY`] pending connects abort the simulation.
    pub fn spawn_ungated<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        tokio::task::spawn_local(future)
    }

    /// Reports that `name` happened on this node (`became-leader`,
    /// `stepped-down`, `election-started`, `granted-vote`, `persisted`,
    /// `replied`, or a name of the system's own), with `detail` (a JSON
    /// object such as `{"term": 3}`, or null). The event is recorded in
    /// the history, and event-triggered nemeses may fire on it (crash the
    /// node right after it persisted, pause the new leader, …).
    pub fn event(&self, name: &str, detail: serde_json::Value) {
        self.sink.emit(self.id, name, detail);
    }

    /// A seeded fault point (FoundationDB's BUGGIFY): true when the code
    /// should misbehave here, in a way that is legal but rare (a slow
    /// sync, an early timeout, a dropped connection), to widen rare
    /// windows. Always false unless the run's swarm enabled buggify
    /// (`nemesis.buggify`); then each named point is active in some runs
    /// and fires in a share of its passes. Drawn from the seed and
    /// recorded in the history, so a replay does the same.
    pub fn buggify(&self, name: &str) -> bool {
        self.sink.buggify(self.id, name)
    }

    /// Awaits the node's next safepoint: returns at once unless paused.
    pub async fn safepoint(&self) {
        self.gate.safepoint().await
    }
}
