//! What a run reached, read off its history: the coverage that guided
//! exploration keeps a corpus for.
//!
//! A feature is a short string: a fault kind that started (`fault:crash`),
//! two kinds that overlapped (`overlap:crash+partition`), a node event and
//! each fault kind active when it happened (`event:became-leader`,
//! `event:became-leader@pause`), a fault point that fired, a client op
//! that ended `info` or `fail` under a fault kind, and how often each
//! event happened, in AFL-style buckets (`event:stepped-down×4-7`). It
//! reads only the history's generic shape (nemesis lines `KIND-start` /
//! `KIND-end` with an `id`, `event` and `buggify` lines), so it works for
//! any system.

use results::history::{EventType, Process};
use results::History;
use std::collections::{BTreeMap, BTreeSet};

/// The features of one run.
pub fn features(history: &History) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Active faults: (kind, id) → started.
    let mut active: BTreeSet<(String, String)> = BTreeSet::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let active_kinds = |active: &BTreeSet<(String, String)>| -> BTreeSet<String> {
        active.iter().map(|(k, _)| k.clone()).collect()
    };
    for event in history.events() {
        match event.process {
            Process::Nemesis => {
                let id = event
                    .value
                    .get("id")
                    .map_or_else(String::new, |v| v.to_string());
                if let Some(kind) = event.f.strip_suffix("-start") {
                    out.insert(format!("fault:{kind}"));
                    for other in active_kinds(&active) {
                        if other != kind {
                            let (a, b) = if other.as_str() < kind {
                                (other.as_str(), kind)
                            } else {
                                (kind, other.as_str())
                            };
                            out.insert(format!("overlap:{a}+{b}"));
                        }
                    }
                    active.insert((kind.to_string(), id));
                } else if let Some(kind) = event.f.strip_suffix("-end") {
                    active.remove(&(kind.to_string(), id));
                } else {
                    let name = match event.f.as_str() {
                        "event" => event.value.get("event"),
                        "buggify" => event.value.get("point").or_else(|| event.value.get("name")),
                        _ => None,
                    }
                    .and_then(|v| v.as_str())
                    .unwrap_or("");
                    let feature = format!("{}:{name}", event.f);
                    for kind in active_kinds(&active) {
                        out.insert(format!("{feature}@{kind}"));
                    }
                    *counts.entry(feature.clone()).or_default() += 1;
                    out.insert(feature);
                }
            }
            Process::Client(_) => {
                let outcome = match event.kind {
                    EventType::Info => "info",
                    EventType::Fail => "fail",
                    _ => continue,
                };
                for kind in active_kinds(&active) {
                    let feature = format!("{outcome}@{kind}");
                    *counts.entry(feature.clone()).or_default() += 1;
                    out.insert(feature);
                }
            }
        }
    }
    for (feature, count) in counts {
        out.insert(format!("{feature}×{}", bucket(count)));
    }
    out
}

/// AFL's hit-count buckets: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+.
fn bucket(count: u64) -> &'static str {
    match count {
        0 => "0",
        1 => "1",
        2 => "2",
        3 => "3",
        4..=7 => "4-7",
        8..=15 => "8-15",
        16..=31 => "16-31",
        32..=127 => "32-127",
        _ => "128+",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use results::history::Event;
    use serde_json::json;

    #[test]
    fn faults_overlaps_events_and_outcomes_under_faults() {
        let mut h = History::new();
        h.push(
            1,
            Event::nemesis("crash-start", json!({"id": 0, "node": "n1"})),
        );
        h.push(2, Event::nemesis("partition-start", json!({"id": 0})));
        h.push(
            3,
            Event::nemesis("event", json!({"node": "n2", "event": "became-leader"})),
        );
        h.push(
            4,
            Event::nemesis("crash-end", json!({"id": 0, "node": "n1"})),
        );
        h.push(
            5,
            Event::info(Process::Client(1), "write", "k", json!(1), "timeout"),
        );
        h.push(6, Event::nemesis("partition-end", json!({"id": 0})));
        h.push(
            7,
            Event::nemesis("event", json!({"node": "n2", "event": "became-leader"})),
        );
        let f = features(&h);
        for expected in [
            "fault:crash",
            "fault:partition",
            "overlap:crash+partition",
            "event:became-leader",
            "event:became-leader@crash",
            "event:became-leader@partition",
            "event:became-leader×2",
            "info@partition",
            "info@partition×1",
        ] {
            assert!(f.contains(expected), "{expected} missing from {f:?}");
        }
        assert!(!f.contains("info@crash"), "the crash had healed: {f:?}");
        assert!(features(&History::new()).is_empty());
    }
}
