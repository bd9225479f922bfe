//! What a system and its tests need, in one import:
//! `use harness::prelude::*;`.
//!
//! Ops and outcomes, the workload and checker types, the nemesis config,
//! the rng type and its traits, and turmoil's network and file-system
//! shims (`net`, `fs`), so a system's `Cargo.toml` names `harness` and
//! little else (plus what the system itself needs, such as serde).

pub use crate::runner::{run, RunOutcome};
pub use crate::scenario::{Scenario, SystemSpec, Topology};
pub use crate::sut::{BugInfo, Client, ClientCtx, NamedSystem, System};
pub use crate::testing;
pub use crate::{tokio, turmoil, NodeCtx, Seeds};
pub use nemeses::NemesisConfig;
pub use rand::{Rng, RngCore, SeedableRng};
pub use rand_chacha::ChaCha8Rng;
pub use results::check::{check_history, CheckOptions, CheckReport};
pub use results::{History, Verdict};
pub use turmoil::net;
pub use workloads::{HistoryChecker, Op, Outcome, RegisterOp, Workload, WorkloadConfig};

/// turmoil's simulated file system (durable state that survives a crash
/// only once synced).
pub mod fs {
    pub use turmoil::fs::shim::std::fs::*;
}
