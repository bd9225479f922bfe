//! The seam between the harness and a system under test.
//!
//! A system implements [`System`] (start a node, make a client adapter) and
//! [`Client`] (turn an op into requests), and drives it with
//! [`crate::runner::run`]. Implementing [`NamedSystem`] as well gives it a
//! name, a configuration recorded in `config.json` and planted bugs, so the
//! CLI ([`crate::cli::App`]) and the test API ([`crate::testing`]) can run,
//! sweep and replay it. The built-in systems use exactly this seam.

use crate::node_ctx::NodeCtx;
use crate::scenario::Scenario;
use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::time::Duration;
use workloads::{Op, Outcome, Workload, WorkloadConfig};

/// A replicated system the harness can start and talk to.
pub trait System: 'static {
    /// The client adapter of this system.
    type Client: Client + 'static;

    /// The software of one incarnation of node `ctx.id`: the future turmoil
    /// runs as that host. It is called again after every crash restart, so
    /// state that must survive lives on the simulated disk, not in `self`.
    fn node(&self, ctx: NodeCtx) -> impl Future<Output = turmoil::Result> + use<Self> + 'static;

    /// A client adapter for one client worker. Called once per worker (and
    /// once more for the final reads); the adapter outlives the worker's
    /// processes (see [`Client::reset`]).
    fn client(&self, ctx: ClientCtx) -> Self::Client;

    /// The node that leads right now, if the system knows (the
    /// isolate-leader partition and leader-aimed pauses and crashes use
    /// it). `None` by default.
    fn leader(&self) -> Option<usize> {
        None
    }

    /// The system's own invariants, checked by the harness: `During` every
    /// 100 ms of simulated time and when the clients are done (facts that
    /// must never be broken, such as two leaders in one term, or an
    /// acknowledgement of an entry not yet durable), and `AfterHeal` once
    /// every fault is healed and the final reads are answered, polled
    /// until it holds or [`SETTLE_MS`] pass (the state the system must
    /// converge to: every node's applied state and committed prefix
    /// equal). Each string is one violation; a run with any gets the
    /// verdict `invariant` (exit code 5). None by default.
    fn invariants(&self, at: CheckPoint) -> Vec<String> {
        let _ = at;
        Vec::new()
    }

    /// The workload client `worker` runs. By default the built-in workload
    /// `config.kind` names; a system that serves other operations returns
    /// its own, and one that cannot serve a kind says so.
    fn workload(
        &self,
        config: &WorkloadConfig,
        worker: usize,
    ) -> Result<Box<dyn Workload>, String> {
        config.build(worker)
    }
}

/// When the harness checks a system's invariants ([`System::invariants`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckPoint {
    /// While the run goes on (and once more when the clients are done).
    During,
    /// After the final heal and reads: the converged state.
    AfterHeal,
}

/// How long, in simulated ms, the system has after the final reads to
/// satisfy its `AfterHeal` invariants.
pub const SETTLE_MS: u64 = 3_000;

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

impl ClientCtx {
    /// The address of node `i`: `name:port`.
    pub fn addr(&self, i: usize) -> String {
        format!("{}:{}", self.names[i], self.port)
    }

    /// The node to try after `current` refused or failed: the hinted one
    /// (say, the leader a follower named) if it is another node, else a
    /// random other node, drawn from the worker's stream.
    pub fn next_node(&mut self, current: usize, hint: Option<usize>) -> usize {
        let n = self.names.len();
        match hint {
            Some(h) if h < n && h != current => h,
            _ if n > 1 => (current + self.rng.random_range(1..n)) % n,
            _ => current,
        }
    }

    /// How long to wait before retry `attempt` (counted from 0): 0–2 ms
    /// for the first three retries that follow a hint (the node named is
    /// likely right), else jittered exponential backoff, 5–10 ms doubling
    /// up to 40–80 ms, drawn from the worker's stream.
    pub fn retry_delay(&mut self, attempt: u32, hinted: bool) -> Duration {
        let ms = if hinted && attempt < 3 {
            self.rng.random_range(0..=2)
        } else {
            let cap = 10u64 << attempt.min(3);
            self.rng.random_range(cap / 2..=cap)
        };
        Duration::from_millis(ms)
    }
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

    /// The node (by number) whose reply ended the last [`Client::call`], if
    /// the adapter can tell; the runner writes its host name into the
    /// completion event (`node`). An adapter should forget it when a call
    /// starts, so a call that got no reply reports `None`. `None` by
    /// default.
    fn served_by(&self) -> Option<usize> {
        None
    }
}

/// A planted bug a system offers: switched on by name (`--bug NAME`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BugInfo {
    /// The name, as `--bug` takes it.
    pub name: String,
    /// What the mistake is, in one line.
    pub about: String,
}

/// A [`System`] the CLI and the test API can build by name from a
/// scenario: what `harness run --system NAME` runs.
pub trait NamedSystem: System + Sized {
    /// The name, as `--system` and `config.json` give it.
    const NAME: &'static str;
    /// One line for `--help`.
    const ABOUT: &'static str;
    /// The system's own configuration, recorded in `config.json`
    /// (`system.config`). Its default is the system without planted bugs.
    type Config: Serialize + DeserializeOwned + Default + Clone + 'static;

    /// The planted bugs, for `--help` and for checking `--bug` names.
    fn bugs() -> Vec<BugInfo> {
        Vec::new()
    }

    /// The configuration the default exploration runs for one seed, drawn
    /// from `rng` (the seed's `("swarm", 2)` stream; swarm testing). By
    /// default the system's default configuration. A system whose timing
    /// or batching knobs change which interleavings it can reach draws
    /// them here, so that every seed of a sweep also tries a different
    /// build of the system; `config.json` records what was drawn.
    fn swarm_config(_rng: &mut dyn RngCore) -> Self::Config {
        Self::Config::default()
    }

    /// `base` with these planted bugs switched on. By default the bug
    /// names go into the config's `bugs` field.
    fn config_with_bugs(base: Self::Config, bugs: &[String]) -> Result<Self::Config, String> {
        let known = Self::bugs();
        if let Some(bad) = bugs.iter().find(|b| !known.iter().any(|k| &k.name == *b)) {
            let names: Vec<String> = known.iter().map(|k| k.name.clone()).collect();
            return Err(match names.len() {
                0 => format!(
                    "system {} has no planted bugs (got --bug {bad})",
                    Self::NAME
                ),
                _ => format!(
                    "system {} has no bug {bad:?}; its bugs: {}",
                    Self::NAME,
                    names.join(", ")
                ),
            });
        }
        if bugs.is_empty() {
            return Ok(base);
        }
        let mut value = serde_json::to_value(base).map_err(|e| e.to_string())?;
        if let serde_json::Value::Object(map) = &mut value {
            map.insert("bugs".into(), serde_json::json!(bugs));
        }
        serde_json::from_value(value).map_err(|e| format!("system {}: {e}", Self::NAME))
    }

    /// The system for `scenario`, configured by `config`.
    fn build(scenario: &Scenario, config: &Self::Config) -> Result<Self, String>;

    /// The configuration `scenario` records for this system
    /// (`system.config`; the default where it is null).
    fn config_of(scenario: &Scenario) -> Result<Self::Config, String> {
        if scenario.system.config.is_null() {
            return Ok(Self::Config::default());
        }
        serde_json::from_value(scenario.system.config.clone())
            .map_err(|e| format!("system.config is not a {} configuration: {e}", Self::NAME))
    }

    /// Builds the system with `config` and runs `scenario` against it; a
    /// system that cannot be built gives a run that failed to start.
    fn run_with_config(scenario: &Scenario, config: &Self::Config) -> crate::runner::RunOutcome {
        match Self::build(scenario, config) {
            Ok(system) => crate::runner::run(scenario, system),
            Err(e) => crate::runner::RunOutcome::failed(e),
        }
    }
}
