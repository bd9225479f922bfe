//! One lane per node: its role over time, from the history alone. The
//! runner's `leader` events give leader and follower; fault windows
//! overlay partitioned (the node is one end of a cut link), paused and
//! crashed. Drawn as SVG rects with a `lane-ROLE` class and a `<title>`.

use super::faults::{fault_windows, LEADER_EVENT};
use super::{escape, time_ticks};
use crate::history::{History, Process};
use std::fmt::Write;

const WIDTH: f64 = 1200.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 10.0;
const ROW: f64 = 22.0;

/// What a node was doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Leads (as the system told the runner).
    Leader,
    /// Runs, and does not lead.
    Follower,
    /// One end of a link a partition cut.
    Partitioned,
    /// Its pause gate is closed.
    Paused,
    /// Killed, until its restart.
    Crashed,
}

impl Role {
    /// Every role, in drawing order (later ones on top).
    pub const ALL: [Role; 5] = [
        Role::Follower,
        Role::Leader,
        Role::Partitioned,
        Role::Paused,
        Role::Crashed,
    ];

    /// The word for it, also its CSS class suffix.
    pub fn name(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Follower => "follower",
            Role::Partitioned => "partitioned",
            Role::Paused => "paused",
            Role::Crashed => "crashed",
        }
    }

    /// Its fill.
    pub fn colour(self) -> &'static str {
        match self {
            Role::Leader => "#fdd835",
            Role::Follower => "#cfd8dc",
            Role::Partitioned => "#ab47bc",
            Role::Paused => "#1e88e5",
            Role::Crashed => "#5d4037",
        }
    }
}

/// A stretch of time in one role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The role.
    pub role: Role,
    /// Simulated ns it began.
    pub start_ns: u64,
    /// Simulated ns it ended.
    pub end_ns: u64,
}

/// Each node's segments, nodes in natural order (`n2` before `n10`). A
/// node is known from the leader events, the faults and the completions'
/// `node`. Follower is the ground every other role is drawn over.
pub fn node_lanes(history: &History) -> Vec<(String, Vec<Segment>)> {
    let events = history.events();
    let end = events.last().map_or(0, |e| e.time);
    let mut names: Vec<String> = Vec::new();
    let mut add = |n: &str| {
        if !n.starts_with("client") && !names.iter().any(|m| m == n) {
            names.push(n.to_string());
        }
    };
    let mut leaders: Vec<(u64, Option<String>)> = Vec::new();
    for e in events {
        if let Some(n) = &e.node {
            add(n);
        }
        if e.process == Process::Nemesis && e.f == LEADER_EVENT {
            let node = e
                .value
                .get("node")
                .and_then(|n| n.as_str())
                .map(str::to_string);
            if let Some(n) = &node {
                add(n);
            }
            leaders.push((e.time, node));
        }
    }
    let windows = fault_windows(history);
    let cut_of = |index: u64| -> Vec<String> {
        events
            .iter()
            .find(|e| e.index == index)
            .and_then(|e| e.value.get("cut"))
            .and_then(|c| c.as_array())
            .map(|pairs| {
                pairs
                    .iter()
                    .filter_map(|p| p.as_array())
                    .flatten()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut hits: Vec<(Role, String, u64, u64)> = Vec::new();
    for w in &windows {
        let role = match w.kind.as_str() {
            "pause" => Role::Paused,
            "crash" => Role::Crashed,
            "partition" => Role::Partitioned,
            _ => continue,
        };
        let nodes: Vec<String> = if role == Role::Partitioned {
            cut_of(w.start_index)
        } else {
            w.target
                .iter()
                .flat_map(|t| t.split(','))
                .map(str::to_string)
                .collect()
        };
        for n in nodes {
            add(&n);
            hits.push((role, n, w.start_ns, w.end_ns));
        }
    }
    names.sort_by_key(|n| (n.len(), n.clone()));
    names
        .iter()
        .map(|name| {
            let mut segments = vec![Segment {
                role: Role::Follower,
                start_ns: 0,
                end_ns: end,
            }];
            for (i, (t, leader)) in leaders.iter().enumerate() {
                if leader.as_deref() == Some(name.as_str()) {
                    let until = leaders.get(i + 1).map_or(end, |(u, _)| *u);
                    segments.push(Segment {
                        role: Role::Leader,
                        start_ns: *t,
                        end_ns: until,
                    });
                }
            }
            let mut faults: Vec<Segment> = hits
                .iter()
                .filter(|(_, n, _, _)| n == name)
                .map(|(role, _, s, e)| Segment {
                    role: *role,
                    start_ns: *s,
                    end_ns: *e,
                })
                .collect();
            faults.sort_by_key(|s| Role::ALL.iter().position(|r| *r == s.role));
            segments.extend(faults);
            (name.clone(), segments)
        })
        .collect()
}

/// The lanes as a standalone `<svg class="lanes">`; `None` when the
/// history names no node.
pub fn lanes_svg(history: &History) -> Option<String> {
    let lanes = node_lanes(history);
    if lanes.is_empty() {
        return None;
    }
    let end_ns = history.events().last().map_or(0, |e| e.time).max(1);
    let x = |t: u64| LEFT + (t as f64 / end_ns as f64) * (WIDTH - LEFT - RIGHT);
    let plot_h = ROW * lanes.len() as f64;
    let height = TOP + plot_h + 30.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="lanes" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">"#
    );
    for (row, (name, segments)) in lanes.iter().enumerate() {
        let y = TOP + row as f64 * ROW;
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>"#,
            LEFT - 6.0,
            y + ROW / 2.0,
            escape(name)
        );
        for s in segments {
            let (x0, x1) = (x(s.start_ns), x(s.end_ns));
            let _ = writeln!(
                svg,
                r#"<rect class="lane lane-{role}" data-node="{node}" x="{x0:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{fill}"><title>{node} {role}: {:.3}–{:.3} ms</title></rect>"#,
                y + 2.0,
                (x1 - x0).max(1.0),
                ROW - 4.0,
                s.start_ns as f64 / 1e6,
                s.end_ns as f64 / 1e6,
                role = s.role.name(),
                node = escape(name),
                fill = s.role.colour(),
            );
        }
    }
    let axis_y = TOP + plot_h;
    for (t, label) in time_ticks(end_ns) {
        let _ = writeln!(
            svg,
            r##"<text x="{:.2}" y="{:.2}" text-anchor="middle" fill="#555">{}</text>"##,
            x(t),
            axis_y + 16.0,
            escape(&label)
        );
    }
    svg.push_str("</svg>\n");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Event;
    use serde_json::json;

    #[test]
    fn leaders_and_faults_become_lanes() {
        let mut h = History::new();
        h.push(10, Event::nemesis("leader", json!({"node": "n1"})));
        h.push(
            20,
            Event::nemesis(
                "partition-start",
                json!({"cut": [["n1", "n3"], ["n2", "n3"]]}),
            ),
        );
        h.push(30, Event::nemesis("leader", json!({"node": "n2"})));
        h.push(40, Event::nemesis("partition-end", json!({})));
        h.push(50, Event::nemesis("crash-start", json!({"node": "n10"})));
        h.push(60, Event::nemesis("crash-end", json!({"node": "n10"})));
        let lanes = node_lanes(&h);
        let names: Vec<&str> = lanes.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["n1", "n2", "n3", "n10"]);
        let roles = |i: usize| -> Vec<(Role, u64, u64)> {
            lanes[i]
                .1
                .iter()
                .map(|s| (s.role, s.start_ns, s.end_ns))
                .collect()
        };
        assert_eq!(
            roles(0),
            [
                (Role::Follower, 0, 60),
                (Role::Leader, 10, 30),
                (Role::Partitioned, 20, 40)
            ]
        );
        assert_eq!(roles(1)[1], (Role::Leader, 30, 60));
        assert_eq!(roles(3)[1], (Role::Crashed, 50, 60));
        let svg = lanes_svg(&h).unwrap();
        assert!(
            svg.contains(r#"class="lane lane-crashed" data-node="n10""#),
            "{svg}"
        );
        assert!(lanes_svg(&History::new()).is_none());
    }
}
