//! Latency by fault state: one run's ops split by what was happening while
//! each one was in flight, so one run tells what a fault costs.
//!
//! An op *overlapped* a fault when its interval, invoke to completion, meets
//! the fault's window (see [`fault_windows`]; an instant fault such as a
//! nemesis `crash` event meets the ops in flight at that moment). Groups:
//! - `none`: ops that overlapped no fault at all, the baseline;
//! - one per fault kind (`pause`, `delay`, `partition`, …): ops that
//!   overlapped at least one fault of that kind, whatever else was on. An op
//!   that overlapped a pause and a partition is in both.
//!
//! The fault is counted on *any* node: a history records which node a
//! fault hit but not which node served an op (a client follows redirects
//! and its home node is not in the history), so an op cannot be matched to
//! the node that served it.
//!
//! ```
//! use results::latency::by_fault::{FaultLatencies, NO_FAULT};
//! use results::latency::Outcome;
//! use results::{Event, History, Process};
//! use serde_json::json;
//!
//! let mut h = History::new();
//! h.push(0, Event::invoke(Process::Client(0), "read", "x", json!(null)));
//! h.push(1_000_000, Event::ok(Process::Client(0), "read", "x", json!(1)));
//! h.push(2_000_000, Event::nemesis("pause-start", json!({"node": "n1"})));
//! h.push(2_000_000, Event::invoke(Process::Client(0), "read", "x", json!(null)));
//! h.push(9_000_000, Event::ok(Process::Client(0), "read", "x", json!(1)));
//! h.push(9_500_000, Event::nemesis("pause-end", json!({"node": "n1"})));
//! let lat = FaultLatencies::from_history(&h);
//! assert_eq!(lat.all.get("read", Outcome::Ok).unwrap().len(), 2);
//! assert_eq!(lat.group(NO_FAULT).unwrap().get("read", Outcome::Ok).unwrap().len(), 1);
//! assert_eq!(lat.group("pause").unwrap().get("read", Outcome::Ok).unwrap().len(), 1);
//! ```

use super::{completed_ops, Latencies, Summary};
use crate::history::History;
use crate::report::{fault_windows, FaultWindow};
use serde::Serialize;
use std::collections::BTreeMap;

/// The group of ops that overlapped no fault.
pub const NO_FAULT: &str = "none";
/// The group of every op (as [`Latencies::from_history`]).
pub const ALL: &str = "all";

/// One run's (or many merged runs') histograms: all ops, and by fault state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultLatencies {
    /// Every completed op.
    pub all: Latencies,
    /// [`NO_FAULT`] and one group per fault kind; a group exists only when
    /// an op fell into it.
    pub groups: BTreeMap<String, Latencies>,
}

impl FaultLatencies {
    /// Splits the completed ops of `history` by the faults they overlapped.
    pub fn from_history(history: &History) -> Self {
        // Only faults: a node's `event` or a `*-skip` hit nothing.
        let windows: Vec<FaultWindow> = fault_windows(history)
            .into_iter()
            .filter(FaultWindow::is_fault)
            .collect();
        let mut lat = FaultLatencies::default();
        for op in completed_ops(history) {
            let latency_ns = op.latency_ns();
            lat.all.record(&op.f, op.outcome, latency_ns);
            let kinds = overlapped_kinds(&windows, op.invoke_ns, op.complete_ns);
            if kinds.is_empty() {
                lat.group_mut(NO_FAULT)
                    .record(&op.f, op.outcome, latency_ns);
            }
            for kind in kinds {
                lat.group_mut(kind).record(&op.f, op.outcome, latency_ns);
            }
        }
        lat
    }

    fn group_mut(&mut self, name: &str) -> &mut Latencies {
        self.groups.entry(name.to_string()).or_default()
    }

    /// The group `name` ([`ALL`], [`NO_FAULT`] or a fault kind).
    pub fn group(&self, name: &str) -> Option<&Latencies> {
        if name == ALL {
            Some(&self.all)
        } else {
            self.groups.get(name)
        }
    }

    /// [`ALL`] first, then [`NO_FAULT`], then the fault kinds in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Latencies)> {
        let none = self.groups.get_key_value(NO_FAULT);
        let faults = self.groups.iter().filter(|(k, _)| k.as_str() != NO_FAULT);
        std::iter::once((ALL, &self.all))
            .chain(none.map(|(k, v)| (k.as_str(), v)))
            .chain(faults.map(|(k, v)| (k.as_str(), v)))
    }

    /// Adds every histogram of `other` into this one.
    pub fn merge(&mut self, other: &FaultLatencies) {
        self.all.merge(&other.all);
        for (name, lat) in &other.groups {
            self.group_mut(name).merge(lat);
        }
    }

    /// The histograms of group `name`, created empty if missing.
    pub(crate) fn group_entry(&mut self, name: &str) -> &mut Latencies {
        if name == ALL {
            &mut self.all
        } else {
            self.group_mut(name)
        }
    }

    /// Puts `lat` in group `name` (merging with what is there).
    pub fn add_group(&mut self, name: &str, lat: &Latencies) {
        if name == ALL {
            self.all.merge(lat);
        } else {
            self.group_mut(name).merge(lat);
        }
    }

    /// The contents of `latency.json`: kind → outcome → [`Summary`] for all
    /// ops, as before, and under the key `by_fault`, group → kind → outcome
    /// → [`Summary`]. (So an op kind named `by_fault` cannot be told from
    /// it; no workload has one.)
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Json<'a> {
            #[serde(flatten)]
            all: BTreeMap<String, BTreeMap<super::Outcome, Summary>>,
            by_fault: BTreeMap<&'a str, BTreeMap<String, BTreeMap<super::Outcome, Summary>>>,
        }
        let json = Json {
            all: self.all.summaries(),
            by_fault: self
                .groups
                .iter()
                .map(|(k, v)| (k.as_str(), v.summaries()))
                .collect(),
        };
        serde_json::to_string_pretty(&json).expect("summaries serialize") + "\n"
    }
}

/// The distinct fault kinds whose windows meet `[invoke_ns, complete_ns]`.
fn overlapped_kinds(windows: &[FaultWindow], invoke_ns: u64, complete_ns: u64) -> Vec<&str> {
    let mut kinds: Vec<&str> = windows
        .iter()
        .take_while(|w| w.start_ns <= complete_ns) // ordered by start
        .filter(|w| w.end_ns >= invoke_ns)
        .map(|w| w.kind.as_str())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::latency::Outcome;
    use crate::{Event, Process};
    use serde_json::json;

    const MS: u64 = 1_000_000;

    #[test]
    fn events_and_skipped_faults_make_no_group() {
        let mut h = History::new();
        h.push(
            0,
            Event::invoke(Process::Client(0), "read", "x", json!(null)),
        );
        h.push(MS, Event::nemesis("event", json!({"node": "n1"})));
        h.push(MS, Event::nemesis("pause-skip", json!({"node": "n2"})));
        h.push(
            2 * MS,
            Event::ok(Process::Client(0), "read", "x", json!(null)),
        );
        let lat = FaultLatencies::from_history(&h);
        let names: Vec<&str> = lat.iter().map(|(n, _)| n).collect();
        assert_eq!(names, [ALL, NO_FAULT]);
    }

    #[test]
    fn an_op_falls_in_every_kind_it_overlapped_or_in_none() {
        let mut h = History::new();
        let (inv, ok) = (
            |p| Event::invoke(Process::Client(p), "write", "x", json!(1)),
            |p| Event::ok(Process::Client(p), "write", "x", json!(1)),
        );
        #[rustfmt::skip]
        let rows = [
            (0,        inv(0)),
            (MS,       ok(0)),                                      // none
            (2 * MS,   Event::nemesis("pause-start", json!({"node": "n1"}))),
            (3 * MS,   inv(1)),
            (4 * MS,   Event::nemesis("partition-start", json!({}))),
            (5 * MS,   ok(1)),                                      // pause, partition
            (6 * MS,   Event::nemesis("pause-end", json!({"node": "n1"}))),
            (7 * MS,   Event::nemesis("partition-end", json!({}))),
            (8 * MS,   inv(2)),
            (9 * MS,   Event::nemesis("crash", json!({"node": "n2"}))),
            (10 * MS,  ok(2)),                                      // crash
            (11 * MS,  inv(3)),
            (12 * MS,  ok(3)),                                      // none
        ];
        for (t, e) in rows {
            h.push(t, e);
        }
        let lat = FaultLatencies::from_history(&h);
        let count = |g: &str| {
            lat.group(g)
                .and_then(|l| l.get("write", Outcome::Ok))
                .map_or(0, |h| h.len())
        };
        assert_eq!(
            [
                count(ALL),
                count(NO_FAULT),
                count("pause"),
                count("partition"),
                count("crash")
            ],
            [4, 2, 1, 1, 1]
        );
        let names: Vec<&str> = lat.iter().map(|(n, _)| n).collect();
        assert_eq!(names, [ALL, NO_FAULT, "crash", "partition", "pause"]);
        let json: serde_json::Value = serde_json::from_str(&lat.to_json()).unwrap();
        assert_eq!(json["write"]["ok"]["count"], 4);
        assert_eq!(json["by_fault"]["none"]["write"]["ok"]["count"], 2);
    }
}
