//! The seam between the harness and a system under test.
//!
//! The built-in Raft cluster ([`crate::cluster`]) is one implementation; a
//! user can put their own system in its place by implementing [`System`]
//! and [`Client`], and drive it with [`crate::runner::run`].

use crate::node_ctx::NodeCtx;
use rand_chacha::ChaCha8Rng;
use std::future::Future;
use std::time::Duration;
use workloads::{Op, Outcome};

/// A replicated system the harness can start and talk to.
pub trait System: 'static {
    /// The client adapter of this system.
    type Client: Client + 'static;

    /// The software of one incarnation of node `ctx.id`: the future turmoil
    /// runs as that host. It is called again after every crash restart, so
    /// state that must survive lives on the simulated disk, not in `self`.
    fn node(&self, ctx: NodeCtx) -> impl Future<Output = turmoil::Result> + use<Self> + 'static;

    /// A client adapter for one client worker. Called once per worker; the
    /// adapter outlives the worker's processes (see [`Client::reset`]).
    fn client(&self, ctx: ClientCtx) -> Self::Client;

    /// The node that leads right now, if the system knows (the
    /// isolate-leader partition cuts it off; without a leader it isolates
    /// a node drawn in advance). `None` by default.
    fn leader(&self) -> Option<usize> {
        None
    }
}

/// What a client adapter is given.
#[derive(Clone, Debug)]
pub struct ClientCtx {
    /// The worker's number, `0..clients`; unique among concurrent clients.
    pub worker: usize,
    /// Host names of the nodes, by number.
    pub names: Vec<String>,
    /// The port the nodes listen on.
    pub port: u16,
    /// The worker's own random stream (backoff jitter, node choice).
    pub rng: ChaCha8Rng,
}

/// Turns operations into requests to the system, and replies into outcomes.
pub trait Client {
    /// Performs `op`. The runner cancels the call when `deadline` (time
    /// left) passes and records the op as indeterminate, so an adapter may
    /// simply keep retrying what is safe to retry until then.
    ///
    /// Return [`Outcome::Fail`] only when the op certainly did not happen,
    /// and [`Outcome::Info`] when it may have.
    fn call(&mut self, op: &Op, deadline: Duration) -> impl Future<Output = Outcome>;

    /// The op in flight was abandoned (deadline) or ended indeterminate:
    /// drop any connection that might deliver its late reply, so the next
    /// op cannot read it.
    fn reset(&mut self);
}
