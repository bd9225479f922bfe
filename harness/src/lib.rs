//! The simulation core: seeded scenarios, node contexts, the built-in
//! replicated KV cluster, and the runner that drives them under turmoil.
pub mod clock;
pub mod cluster;
pub mod faults;
pub mod liveness;
pub mod node_ctx;
pub mod pause;
pub mod runner;
pub mod scenario;
pub mod seeds;
pub mod single;
pub mod sut;
pub mod sweep;
pub mod trace;

pub use clock::SkewClock;
pub use cluster::Cluster;
pub use node_ctx::NodeCtx;
pub use pause::PauseGate;
pub use scenario::Scenario;
pub use seeds::{test_seeds, Seeds};
pub use sut::{Client, ClientCtx, System};
pub mod cli;
