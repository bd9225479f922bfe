//! Workloads: what clients ask of the system under test.
//!
//! A [`Workload`] draws [`Op`]s from a client's own rng and names the
//! operations of the final reads and the checker that judges its
//! histories; the harness sends each op to the system through a client
//! adapter and gets an [`Outcome`] back; [`Op`] turns both into history
//! events, so every system is recorded the same way.
//!
//! Two workloads are built in, chosen by [`WorkloadConfig::kind`]:
//! [`RegisterWorkload`] (read, write, cas over integer registers; checked
//! as a kv of cas-registers) and [`AppendWorkload`] (get and append over
//! strings; checked by the append-kv model). A system can bring its own by
//! implementing [`Workload`].
//!
//! ```
//! use rand::SeedableRng;
//! use workloads::{Op, Outcome, Workload, WorkloadConfig};
//!
//! let config = WorkloadConfig { keys: 3, values: 5, reads_pct: 50, ..WorkloadConfig::default() };
//! let mut workload = config.build(0).unwrap();
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
//! let op = workload.next_op(&mut rng);
//! let invoke = op.invoke_event(results::Process::Client(0));
//! assert_eq!(invoke.f, op.f);
//! let done = op.completion_event(results::Process::Client(0), &Outcome::Info("timeout".into()));
//! assert_eq!(done.kind, results::EventType::Info);
//! assert_eq!(workload.final_reads().len(), 3);
//! ```

pub mod append;
pub mod checker;
pub mod config;
pub mod op;
pub mod register;

pub use append::AppendWorkload;
pub use checker::{HistoryChecker, ModelChecker};
pub use config::WorkloadConfig;
pub use op::{Op, Outcome, RegisterOp};
pub use register::RegisterWorkload;

use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

/// What one client worker asks of the system.
///
/// Each worker gets its own instance ([`WorkloadConfig::build`]) and its
/// own rng, so a workload may keep state (a counter for unique values)
/// without sharing it.
pub trait Workload {
    /// The worker's next operation, drawn from its `rng` only.
    fn next_op(&mut self, rng: &mut ChaCha8Rng) -> Op;

    /// The reads made once every fault is healed, one per key the workload
    /// touches: the system must answer each (liveness).
    fn final_reads(&self) -> Vec<Op>;

    /// How this workload's histories are judged.
    fn checker(&self) -> Arc<dyn HistoryChecker>;
}
