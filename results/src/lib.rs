//! Judging and reporting histories.
//!
//! `results` knows nothing of the simulation: it reads a [`History`] (ours,
//! or one imported from another tool), checks it, summarises latencies and
//! writes reports.
//!
//! ```
//! use results::{Event, History, Process};
//! use serde_json::json;
//!
//! let mut history = History::new();
//! history.push(1_000, Event::invoke(Process::Client(0), "write", "x", json!(3)));
//! history.push(2_000, Event::ok(Process::Client(0), "write", "x", json!(3)));
//! assert_eq!(history.len(), 2);
//! assert_eq!(history.events()[1].index, 1);
//! ```

pub mod check;
pub mod compare;
pub mod ddmin;
pub mod formats;
pub mod history;
pub mod latency;
pub mod minimal;
pub mod model;
pub mod report;
pub mod store;
pub mod verdict;

pub use check::{
    check_events_with, check_history, check_history_with, CheckOptions, CheckReport, KeyReport,
};
pub use history::{Event, EventType, FormatError, History, Process};
pub use model::{Call, Model, ModelKind, Outcome};
pub use verdict::{Counterexample, Reason, Verdict};
