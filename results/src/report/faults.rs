//! Fault windows from a history's nemesis events, for shading plots.
//!
//! A nemesis event `X-start` opens a window of kind `X`; the next `X-end`
//! closes it (the oldest open `X` window on the same node when the end names
//! a node that one of them has, else the oldest). A window never closed
//! lasts to the end of the history. Any other nemesis event (say `crash`)
//! is an instant: a window whose start and end are the same.

use crate::history::{Event, History, Process};
use serde_json::Value;

/// The nemesis-process event that records a change of leader (the
/// runner's), with the new leader's host name under `node` (`null`: none).
pub const LEADER_EVENT: &str = "leader";

/// One fault, from its start event to its end event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultWindow {
    /// The fault kind: `f` without `-start`/`-end` (e.g. `pause`).
    pub kind: String,
    /// The nodes it hit, from the start event's `node` or `nodes` (joined
    /// with `,`), when it names any.
    pub target: Option<String>,
    /// Index of the start event.
    pub start_index: u64,
    /// Index of the end event; `None` when never closed.
    pub end_index: Option<u64>,
    /// Simulated ns of the start.
    pub start_ns: u64,
    /// Simulated ns of the end (the history's last time if never closed).
    pub end_ns: u64,
}

impl FaultWindow {
    /// A short description such as `pause n2` or `partition n1,n2`.
    pub fn label(&self) -> String {
        match &self.target {
            Some(target) => format!("{} {}", self.kind, target),
            None => self.kind.clone(),
        }
    }

    /// True for a fault: not a node's own event (`event`) nor a fault that
    /// did not start (`*-skip`), which are in the history but hit nothing.
    /// The counterexample text and the per-fault latency groups both use it.
    pub fn is_fault(&self) -> bool {
        self.kind != "event" && !self.kind.ends_with("-skip")
    }

    /// True for a point-in-time event rather than a start/end pair.
    pub fn is_instant(&self) -> bool {
        self.end_index == Some(self.start_index)
    }
}

/// The fault windows of `history`, ordered by start.
pub fn fault_windows(history: &History) -> Vec<FaultWindow> {
    let last_ns = history.events().last().map_or(0, |e| e.time);
    let mut windows: Vec<FaultWindow> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for event in history.events() {
        // `leader` is an observation of the system, not a fault.
        if event.process != Process::Nemesis || event.f == LEADER_EVENT {
            continue;
        }
        if let Some(kind) = event.f.strip_suffix("-start") {
            open.push(windows.len());
            windows.push(window(kind, event, None, last_ns));
        } else if let Some(kind) = event.f.strip_suffix("-end") {
            let target = target(&event.value);
            let same_kind = |&&i: &&usize| windows[i].kind == kind;
            let pick = open
                .iter()
                .filter(same_kind)
                .find(|&&i| target.is_some() && windows[i].target == target)
                .or_else(|| open.iter().find(same_kind))
                .copied();
            if let Some(i) = pick {
                open.retain(|&j| j != i);
                windows[i].end_index = Some(event.index);
                windows[i].end_ns = event.time;
            }
        } else {
            windows.push(window(&event.f, event, Some(event.index), event.time));
        }
    }
    windows.sort_by_key(|w| (w.start_ns, w.start_index));
    windows
}

fn window(kind: &str, event: &Event, end_index: Option<u64>, end_ns: u64) -> FaultWindow {
    FaultWindow {
        kind: kind.to_string(),
        target: target(&event.value),
        start_index: event.index,
        end_index,
        start_ns: event.time,
        end_ns: end_ns.max(event.time),
    }
}

/// `node` (a string or number) or `nodes` (a list of them) of a nemesis
/// value, joined with `,`.
fn target(value: &Value) -> Option<String> {
    let name = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if let Some(node) = value.get("node").and_then(name) {
        return Some(node);
    }
    let nodes: Vec<String> = value
        .get("nodes")?
        .as_array()?
        .iter()
        .filter_map(name)
        .collect();
    (!nodes.is_empty()).then(|| nodes.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn history(rows: &[(u64, &str, Value)]) -> History {
        let mut h = History::new();
        for (t, f, v) in rows {
            h.push(*t, Event::nemesis(f, v.clone()));
        }
        h
    }

    #[test]
    fn starts_pair_with_the_next_end_preferring_the_same_node() {
        #[rustfmt::skip]
        let h = history(&[
            (10, "pause-start",     json!({"node": "n1"})),
            (20, "pause-start",     json!({"node": "n2"})),
            (25, "partition-start", json!({"nodes": ["n1", "n3"]})),
            (30, "pause-end",       json!({"node": "n2"})),
            (35, "crash",           json!({"node": 4})),
            (40, "pause-end",       json!(null)),
            (50, "partition-end",   json!(null)),
            (60, "clock-start",     json!({})),
        ]);
        let got: Vec<(String, u64, u64, Option<u64>)> = fault_windows(&h)
            .iter()
            .map(|w| (w.label(), w.start_ns, w.end_ns, w.end_index))
            .collect();
        #[rustfmt::skip]
        assert_eq!(got, vec![
            ("pause n1".to_string(),           10, 40, Some(5)),
            ("pause n2".to_string(),           20, 30, Some(3)),
            ("partition n1,n3".to_string(),    25, 50, Some(6)),
            ("crash 4".to_string(),            35, 35, Some(4)),
            ("clock".to_string(),              60, 60, None),
        ]);
        assert!(fault_windows(&h)[3].is_instant());
    }

    #[test]
    fn an_unmatched_end_is_ignored() {
        let h = history(&[(5, "pause-end", json!({"node": "n1"}))]);
        assert!(fault_windows(&h).is_empty());
    }
}
