//! Fault kinds and their schedules.
//!
//! Faults are data first: a [`Schedule`] is a list of timed start and end
//! [`Action`]s, drawn from each nemesis's own rng stream, and applied
//! between simulation steps by the harness's executor (`harness::faults`),
//! which records each start and end in the history. Every fault has a
//! [`Heal`]. This crate knows nothing of turmoil.
//!
//! ```
//! use nemeses::{Kind, NemesisConfig, Phase, Schedule, Target};
//! use rand::SeedableRng;
//!
//! let config = NemesisConfig::with_kinds(&[Kind::Pause, Kind::Partition]);
//! let target = Target { nodes: 3, deadline_ms: 1_000, horizon_ms: 30_000 };
//! let mut streams = |kind: Kind| {
//!     let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
//!     rng.set_stream(kind.stream());
//!     rng
//! };
//! let schedule = Schedule::draw(&config, target, &mut streams);
//! let starts = schedule.starts().count();
//! let ends = schedule.actions.iter().filter(|a| a.phase == Phase::End).count();
//! assert!(starts > 0 && starts == ends);
//! ```

pub mod clock;
pub mod config;
pub mod crash;
pub mod delay;
pub mod draw;
pub mod fault;
pub mod links;
pub mod partition;
pub mod pause;
pub mod schedule;
pub mod timeout;
pub mod trigger;

pub use clock::{ClockChange, ClockFault, ClockKnobs};
pub use config::{BuggifyKnobs, NemesisConfig, Timed};
pub use crash::CrashKnobs;
pub use delay::{Delay, DelayKnobs, Link};
pub use fault::{Fault, Heal, Host, Kind};
pub use links::{LinkState, LinkTable};
pub use partition::{Cut, Partition, PartitionFault, PartitionKnobs};
pub use pause::PauseKnobs;
pub use schedule::{Action, Phase, Schedule, Target};
pub use timeout::TimeoutKnobs;
pub use trigger::{Aim, Effect, Reaction, Trigger};
