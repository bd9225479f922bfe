//! What a fault does, to whom, for how long, and how it is healed.

use crate::clock::ClockFault;
use crate::delay::Delay;
use crate::partition::PartitionFault;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;

/// One end of a network link: a node (by number) or the client host, where
/// every client process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Host {
    /// Node `i` (host name `n{i+1}`).
    Node(usize),
    /// The client host.
    Clients,
}

/// The six nemeses, in the order of their rng streams (`("nemesis", index)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Stop-the-world pauses of one node.
    Pause,
    /// Slow links and held-then-released bursts.
    Delay,
    /// Network partitions between nodes (and, when isolating, clients).
    Partition,
    /// Black-holing one node's replies to clients past their deadline.
    Timeout,
    /// Skewed wall clocks: bump, strobe, drift.
    Clock,
    /// Kill a node, restart it later from its disk.
    Crash,
}

impl Kind {
    /// Every kind, in stream order.
    pub const ALL: [Kind; 6] = [
        Kind::Pause,
        Kind::Delay,
        Kind::Partition,
        Kind::Timeout,
        Kind::Clock,
        Kind::Crash,
    ];

    /// The name used on the command line and in the history (`pause`, …).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Pause => "pause",
            Kind::Delay => "delay",
            Kind::Partition => "partition",
            Kind::Timeout => "timeout",
            Kind::Clock => "clock",
            Kind::Crash => "crash",
        }
    }

    /// The index of this kind's rng stream.
    pub fn stream(self) -> u64 {
        Kind::ALL.iter().position(|&k| k == self).unwrap_or(0) as u64
    }

    /// Parses a name as written by [`Kind::name`].
    pub fn parse(name: &str) -> Result<Kind, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown nemesis {name:?}: expected one of pause, delay, partition, timeout, clock, crash, all, none"
                )
            })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One fault: what is done to whom, and for how long (`ms`, after which its
/// [`Heal`] is applied).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// Close node `node`'s pause gate for `ms`, like a stop-the-world GC.
    Pause {
        /// The paused node (the fallback when `leader` finds none).
        node: usize,
        /// How long it stays paused.
        ms: u64,
        /// Pause whichever node leads when the fault starts instead.
        #[serde(default, skip_serializing_if = "is_false")]
        leader: bool,
    },
    /// Slow or held links.
    Delay(Delay),
    /// Cut links between nodes.
    Partition(PartitionFault),
    /// Hold every message between `node` and the client host for `ms`,
    /// longer than the client deadline, then release them all at once.
    Timeout {
        /// The node whose replies vanish.
        node: usize,
        /// How long its client link is held.
        ms: u64,
    },
    /// Skew one node's wall clock.
    Clock(ClockFault),
    /// Kill node `node`; restart it from its disk `ms` later.
    Crash {
        /// The killed node (the fallback when `leader` finds none).
        node: usize,
        /// How long it stays down.
        ms: u64,
        /// Kill whichever node leads when the fault starts instead.
        #[serde(default, skip_serializing_if = "is_false")]
        leader: bool,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// How a fault is undone when its time is up (or at the final heal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Heal {
    /// Open the node's pause gate.
    Resume(usize),
    /// Drop this fault's claims on links: latency back to the default,
    /// held messages released, cut links repaired.
    Links,
    /// Put the node's clock back to true time.
    ResetClock(usize),
    /// Start the node again from what it made durable.
    Restart(usize),
}

impl Heal {
    /// The name written into the history's end event.
    pub fn name(self) -> &'static str {
        match self {
            Heal::Resume(_) => "resume",
            Heal::Links => "links",
            Heal::ResetClock(_) => "reset-clock",
            Heal::Restart(_) => "restart",
        }
    }
}

impl Fault {
    /// Which nemesis this fault belongs to.
    pub fn kind(&self) -> Kind {
        match self {
            Fault::Pause { .. } => Kind::Pause,
            Fault::Delay(_) => Kind::Delay,
            Fault::Partition(_) => Kind::Partition,
            Fault::Timeout { .. } => Kind::Timeout,
            Fault::Clock(_) => Kind::Clock,
            Fault::Crash { .. } => Kind::Crash,
        }
    }

    /// How long the fault lasts before it is healed.
    pub fn ms(&self) -> u64 {
        match self {
            Fault::Pause { ms, .. } | Fault::Timeout { ms, .. } | Fault::Crash { ms, .. } => *ms,
            Fault::Delay(d) => d.ms(),
            Fault::Partition(p) => p.ms,
            Fault::Clock(c) => c.ms,
        }
    }

    /// What undoes it.
    pub fn heal(&self) -> Heal {
        match self {
            Fault::Pause { node, .. } => Heal::Resume(*node),
            Fault::Delay(_) | Fault::Partition(_) | Fault::Timeout { .. } => Heal::Links,
            Fault::Clock(c) => Heal::ResetClock(c.node),
            Fault::Crash { node, .. } => Heal::Restart(*node),
        }
    }

    /// True if whom the fault hits depends on who leads when it starts: a
    /// pause or crash aimed at the leader, or an isolate-leader partition.
    pub fn follows_leader(&self) -> bool {
        match self {
            Fault::Pause { leader, .. } | Fault::Crash { leader, .. } => *leader,
            Fault::Clock(c) => c.leader,
            Fault::Partition(p) => matches!(p.shape, crate::Partition::IsolateLeader { .. }),
            _ => false,
        }
    }

    /// The fault as it is applied when `leader` leads: a pause or crash
    /// aimed at the leader hits it (its fallback `node` when none leads);
    /// every other fault is returned as it is (a partition resolves its
    /// leader in [`Partition::cuts`](crate::Partition::cuts)).
    pub fn resolve(&self, leader: Option<usize>) -> Fault {
        match *self {
            Fault::Pause {
                node,
                ms,
                leader: true,
            } => Fault::Pause {
                node: leader.unwrap_or(node),
                ms,
                leader: false,
            },
            Fault::Crash {
                node,
                ms,
                leader: true,
            } => Fault::Crash {
                node: leader.unwrap_or(node),
                ms,
                leader: false,
            },
            Fault::Clock(ref c) if c.leader => Fault::Clock(crate::ClockFault {
                node: leader.unwrap_or(c.node),
                leader: false,
                ..c.clone()
            }),
            ref other => other.clone(),
        }
    }

    /// The nodes this fault names (before any resolution at apply time).
    pub fn nodes(&self) -> Vec<usize> {
        match self {
            Fault::Pause { node, .. } | Fault::Timeout { node, .. } | Fault::Crash { node, .. } => {
                vec![*node]
            }
            Fault::Clock(c) => vec![c.node],
            Fault::Delay(d) => d.nodes(),
            Fault::Partition(p) => p.shape.nodes(),
        }
    }

    /// The fault as JSON for the history, with node numbers replaced by
    /// host names (`name(Host::Node(1))` is typically `"n2"`).
    pub fn describe(&self, name: &dyn Fn(Host) -> String) -> Value {
        let node = |i: usize| name(Host::Node(i));
        match self {
            Fault::Pause {
                node: n,
                ms,
                leader: false,
            }
            | Fault::Timeout { node: n, ms }
            | Fault::Crash {
                node: n,
                ms,
                leader: false,
            } => json!({ "node": node(*n), "ms": ms }),
            Fault::Pause {
                node: n,
                ms,
                leader: true,
            }
            | Fault::Crash {
                node: n,
                ms,
                leader: true,
            } => json!({ "target": "leader", "fallback": node(*n), "ms": ms }),
            Fault::Delay(d) => d.describe(name),
            Fault::Partition(p) => p.describe(name),
            Fault::Clock(c) => c.describe(name),
        }
    }

    /// Checks the fault lasts at least 1 ms and names only nodes of a
    /// cluster of `nodes`.
    pub fn validate(&self, nodes: usize) -> Result<(), String> {
        if self.ms() == 0 {
            return Err(format!(
                "{} fault lasts 0 ms: ms must be at least 1",
                self.kind()
            ));
        }
        match self.nodes().into_iter().find(|&n| n >= nodes) {
            Some(n) => Err(format!(
                "{} fault names node {n}, but the cluster has {nodes} nodes (numbered from 0)",
                self.kind()
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_round_trip_through_json() {
        let fault = Fault::Pause {
            node: 1,
            ms: 800,
            leader: false,
        };
        let text = serde_json::to_string(&fault).unwrap();
        assert_eq!(text, r#"{"kind":"pause","node":1,"ms":800}"#);
        assert_eq!(serde_json::from_str::<Fault>(&text).unwrap(), fault);
        let name = |h: Host| match h {
            Host::Node(i) => format!("n{}", i + 1),
            Host::Clients => "client".into(),
        };
        assert_eq!(fault.describe(&name), json!({"node": "n2", "ms": 800}));
        assert_eq!(fault.heal(), Heal::Resume(1));
    }

    #[test]
    fn every_kind_of_fault_round_trips() {
        use crate::{ClockChange, Partition};
        let faults = [
            Fault::Partition(PartitionFault {
                shape: Partition::Isolate {
                    node: 2,
                    clients: true,
                },
                ms: 40,
            }),
            Fault::Clock(ClockFault {
                node: 1,
                change: ClockChange::Strobe {
                    delta_ms: 9,
                    period_ms: 3,
                },
                ms: 50,
                leader: true,
            }),
            Fault::Delay(Delay::Burst {
                links: vec![(Host::Node(0), Host::Clients)],
                ms: 7,
            }),
            Fault::Timeout { node: 0, ms: 1_500 },
        ];
        for fault in faults {
            let text = serde_json::to_string(&fault).unwrap();
            assert_eq!(
                serde_json::from_str::<Fault>(&text).unwrap(),
                fault,
                "{text}"
            );
        }
        let typo = r#"{"kind":"pause","node":1,"ms":8,"extra":1}"#;
        assert!(serde_json::from_str::<Fault>(typo).is_err());
    }

    #[test]
    fn a_leader_pause_names_its_target_and_is_aimed_when_it_starts() {
        let fault = Fault::Pause {
            node: 2,
            ms: 900,
            leader: true,
        };
        let text = serde_json::to_string(&fault).unwrap();
        assert_eq!(text, r#"{"kind":"pause","node":2,"ms":900,"leader":true}"#);
        assert_eq!(serde_json::from_str::<Fault>(&text).unwrap(), fault);
        let name = |h: Host| format!("{h:?}");
        assert_eq!(fault.describe(&name)["target"], "leader");
        assert!(fault.follows_leader());
        let aimed = fault.resolve(Some(0));
        assert_eq!(aimed.heal(), Heal::Resume(0));
        assert_eq!(aimed.ms(), 900);
        assert_eq!(fault.resolve(None).heal(), Heal::Resume(2), "the fallback");
        assert!(!aimed.follows_leader());
    }

    #[test]
    fn kinds_parse_by_name_and_unknown_names_are_explained() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.name()), Ok(kind));
        }
        assert!(Kind::parse("gc").unwrap_err().contains("expected one of"));
        let crash = Fault::Crash {
            node: 3,
            ms: 1,
            leader: false,
        };
        assert!(crash.validate(3).unwrap_err().contains("node 3"));
    }
}
