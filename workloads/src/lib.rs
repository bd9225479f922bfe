//! Workloads: what clients ask of the system under test.
//!
//! A workload draws [`Op`]s from a client's own rng; the harness sends each
//! to the system through a client adapter and gets an [`Outcome`] back; this
//! crate turns both into history events, so every system is recorded the
//! same way.
//!
//! ```
//! use rand::SeedableRng;
//! use workloads::{Op, Outcome, RegisterWorkload};
//!
//! let workload = RegisterWorkload { keys: 3, values: 5, reads_pct: 50 };
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
//! let op = workload.next_op(&mut rng);
//! let invoke = op.invoke_event(results::Process::Client(0));
//! assert_eq!(invoke.f, op.f());
//! let done = op.completion_event(results::Process::Client(0), &Outcome::Info("timeout".into()));
//! assert_eq!(done.kind, results::EventType::Info);
//! ```

pub mod op;
pub mod register;

pub use op::{Op, Outcome};
pub use register::RegisterWorkload;
