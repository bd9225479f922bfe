//! The partition nemesis: shapes of network partitions between nodes, as
//! pure data, and the directed links ("cuts") each one drops, in the manner
//! of Jepsen's grudges.

use crate::crash::check_range;
use crate::draw;
use crate::fault::Host;
use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A directed link that drops messages: `(from, to)`.
pub type Cut = (Host, Host);

/// A partition's shape. Node orders are drawn when the schedule is drawn;
/// only the leader is resolved when the partition starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "kebab-case")]
pub enum Partition {
    /// Two halves: `side` (the smaller one) against everyone else.
    Halves {
        /// The nodes on the small side.
        side: Vec<usize>,
    },
    /// One node cut from every other node and, if `clients`, from the
    /// client host too.
    Isolate {
        /// The isolated node.
        node: usize,
        /// Whether clients lose it too.
        clients: bool,
    },
    /// The node that leads when the partition starts, cut from every other
    /// node; `fallback` if no node leads (or the system cannot say).
    IsolateLeader {
        /// Isolated when there is no leader.
        fallback: usize,
    },
    /// Every node hears a majority, but no two nodes hear the same one:
    /// node at ring position `p` hears only positions `p - (m-1)/2 ..= p +
    /// m/2` (m = majority). With 3 nodes the cuts are one-way.
    MajoritiesRing {
        /// The ring, a permutation of the nodes.
        order: Vec<usize>,
    },
    /// Two halves joined by one bridge node that hears both:
    /// `order[..n/2]` and `order[n/2+1..]` are cut from each other;
    /// `order[n/2]` is the bridge.
    Bridge {
        /// A permutation of the nodes.
        order: Vec<usize>,
    },
    /// `node` can no longer send to the other nodes (`outbound`), or no
    /// longer receive from them.
    OneWay {
        /// The half-deaf (or half-mute) node.
        node: usize,
        /// True: its messages are dropped; false: messages to it are.
        outbound: bool,
    },
}

/// The names of the shapes, as in [`Partition`]'s `shape` tag.
pub const SHAPES: [&str; 6] = [
    "halves",
    "isolate",
    "isolate-leader",
    "majorities-ring",
    "bridge",
    "one-way",
];

impl Partition {
    /// The directed links this partition drops in a cluster of `n` nodes,
    /// with `leader` the node that leads now (if known). Sorted, no
    /// duplicates.
    pub fn cuts(&self, n: usize, leader: Option<usize>) -> Vec<Cut> {
        let mut cuts = BTreeSet::new();
        let mut both = |a: usize, b: usize| {
            cuts.insert((Host::Node(a), Host::Node(b)));
            cuts.insert((Host::Node(b), Host::Node(a)));
        };
        match self {
            Partition::Halves { side } => {
                for &a in side {
                    (0..n)
                        .filter(|b| !side.contains(b))
                        .for_each(|b| both(a, b));
                }
            }
            Partition::Isolate { node, .. } => {
                (0..n).filter(|b| b != node).for_each(|b| both(*node, b))
            }
            Partition::IsolateLeader { fallback } => {
                let node = leader.filter(|&l| l < n).unwrap_or(*fallback);
                (0..n).filter(|&b| b != node).for_each(|b| both(node, b));
            }
            Partition::Bridge { order } => {
                let (left, right) = (&order[..n / 2], &order[n / 2 + 1..]);
                for &a in left {
                    right.iter().for_each(|&b| both(a, b));
                }
            }
            Partition::MajoritiesRing { order } => return ring_cuts(order),
            Partition::OneWay { node, outbound } => {
                for other in (0..n).filter(|b| b != node) {
                    let (from, to) = if *outbound {
                        (*node, other)
                    } else {
                        (other, *node)
                    };
                    cuts.insert((Host::Node(from), Host::Node(to)));
                }
            }
        }
        if let Partition::Isolate {
            node,
            clients: true,
        } = self
        {
            cuts.insert((Host::Node(*node), Host::Clients));
            cuts.insert((Host::Clients, Host::Node(*node)));
        }
        cuts.into_iter().collect()
    }

    /// The nodes this shape names.
    pub fn nodes(&self) -> Vec<usize> {
        match self {
            Partition::Halves { side } => side.clone(),
            Partition::Isolate { node, .. } | Partition::OneWay { node, .. } => vec![*node],
            Partition::IsolateLeader { fallback } => vec![*fallback],
            Partition::MajoritiesRing { order } | Partition::Bridge { order } => order.clone(),
        }
    }

    /// The shape's name, as in [`SHAPES`].
    pub fn name(&self) -> &'static str {
        match self {
            Partition::Halves { .. } => SHAPES[0],
            Partition::Isolate { .. } => SHAPES[1],
            Partition::IsolateLeader { .. } => SHAPES[2],
            Partition::MajoritiesRing { .. } => SHAPES[3],
            Partition::Bridge { .. } => SHAPES[4],
            Partition::OneWay { .. } => SHAPES[5],
        }
    }
}

fn ring_cuts(order: &[usize]) -> Vec<Cut> {
    let n = order.len() as i64;
    let majority = n / 2 + 1;
    let mut cuts = BTreeSet::new();
    for p in 0..n {
        let hears: BTreeSet<i64> = (-(majority - 1) / 2..=majority / 2)
            .map(|d| (p + d).rem_euclid(n))
            .collect();
        for q in (0..n).filter(|q| !hears.contains(q)) {
            cuts.insert((Host::Node(order[q as usize]), Host::Node(order[p as usize])));
        }
    }
    cuts.into_iter().collect()
}

/// A partition of some shape, healed after `ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionFault {
    /// Who is cut from whom.
    #[serde(flatten)]
    pub shape: Partition,
    /// How long until the links are repaired.
    pub ms: u64,
}

impl PartitionFault {
    /// The fault as JSON for the history (before resolution; the executor
    /// adds the resolved cuts).
    pub fn describe(&self, name: &dyn Fn(Host) -> String) -> Value {
        let names = |nodes: &[usize]| -> Vec<String> {
            nodes.iter().map(|&i| name(Host::Node(i))).collect()
        };
        let mut value = json!({ "shape": self.shape.name(), "ms": self.ms });
        let extra = match &self.shape {
            Partition::Halves { side } => json!({ "side": names(side) }),
            Partition::Isolate { node, clients } => {
                json!({ "node": names(&[*node])[0], "clients": clients })
            }
            Partition::IsolateLeader { fallback } => json!({ "fallback": names(&[*fallback])[0] }),
            Partition::MajoritiesRing { order } | Partition::Bridge { order } => {
                json!({ "order": names(order) })
            }
            Partition::OneWay { node, outbound } => {
                json!({ "node": names(&[*node])[0], "outbound": outbound })
            }
        };
        if let (Value::Object(map), Value::Object(more)) = (&mut value, extra) {
            map.extend(more);
        }
        value
    }
}

/// Knobs of the partition nemesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PartitionKnobs {
    /// Shortest partition (default 200 ms).
    pub ms_min: u64,
    /// Longest partition (default 5,000 ms).
    pub ms_max: u64,
    /// The shapes drawn from, by name (default: all of [`SHAPES`]).
    pub shapes: Vec<String>,
}

impl Default for PartitionKnobs {
    fn default() -> Self {
        PartitionKnobs {
            ms_min: 200,
            ms_max: 5_000,
            shapes: SHAPES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl PartitionKnobs {
    /// Draws one partition of a cluster of `nodes`. A single node can only
    /// be isolated from its clients.
    pub fn draw(&self, nodes: usize, rng: &mut impl Rng) -> PartitionFault {
        let mut order: Vec<usize> = (0..nodes).collect();
        order.shuffle(rng);
        let shape = if nodes < 2 {
            "isolate"
        } else {
            self.shapes[rng.random_range(0..self.shapes.len())].as_str()
        };
        let shape = match shape {
            "halves" => Partition::Halves {
                side: order[..rng.random_range(1..=nodes / 2)].to_vec(),
            },
            "isolate-leader" => Partition::IsolateLeader { fallback: order[0] },
            "majorities-ring" => Partition::MajoritiesRing { order },
            "bridge" => Partition::Bridge { order },
            "one-way" => Partition::OneWay {
                node: order[0],
                outbound: rng.random_bool(0.5),
            },
            _ => Partition::Isolate {
                node: order[0],
                clients: nodes < 2 || rng.random_bool(0.5),
            },
        };
        let ms = draw::between(rng, self.ms_min, self.ms_max);
        PartitionFault { shape, ms }
    }

    /// Checks the knobs; the message names the one that is wrong.
    pub fn validate(&self) -> Result<(), String> {
        check_range("partition", self.ms_min, self.ms_max)?;
        if self.shapes.is_empty() {
            return Err("partition: shapes must name at least one shape".into());
        }
        match self.shapes.iter().find(|s| !SHAPES.contains(&s.as_str())) {
            Some(s) => Err(format!(
                "partition: unknown shape {s:?}, expected one of {}",
                SHAPES.join(", ")
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(cuts: &[Cut]) -> Vec<(usize, usize)> {
        cuts.iter()
            .map(|c| match c {
                (Host::Node(a), Host::Node(b)) => (*a, *b),
                other => panic!("a client cut: {other:?}"),
            })
            .collect()
    }

    #[rustfmt::skip]
    #[test]
    fn shapes_cut_the_expected_links() {
        let halves = Partition::Halves { side: vec![2] };
        assert_eq!(pairs(&halves.cuts(3, None)), [(0, 2), (1, 2), (2, 0), (2, 1)]);
        let bridge = Partition::Bridge { order: vec![0, 1, 2, 3, 4] };
        assert_eq!(pairs(&bridge.cuts(5, None)),
            [(0, 3), (0, 4), (1, 3), (1, 4), (3, 0), (3, 1), (4, 0), (4, 1)]);
        let leader = Partition::IsolateLeader { fallback: 0 };
        assert_eq!(pairs(&leader.cuts(3, Some(1))), [(0, 1), (1, 0), (1, 2), (2, 1)]);
        assert_eq!(pairs(&leader.cuts(3, None)), [(0, 1), (0, 2), (1, 0), (2, 0)]);
        let one_way = Partition::OneWay { node: 1, outbound: true };
        assert_eq!(pairs(&one_way.cuts(3, None)), [(1, 0), (1, 2)]);
        // 3 nodes: each hears itself and its successor, so cuts are one-way.
        let ring3 = Partition::MajoritiesRing { order: vec![0, 1, 2] };
        assert_eq!(pairs(&ring3.cuts(3, None)), [(0, 1), (1, 2), (2, 0)]);
    }

    #[test]
    fn in_a_majorities_ring_every_node_hears_a_distinct_majority() {
        let order = vec![3, 0, 4, 1, 2];
        let cuts = Partition::MajoritiesRing { order }.cuts(5, None);
        let mut heard: Vec<BTreeSet<usize>> = Vec::new();
        for p in 0..5 {
            let hears: BTreeSet<usize> = (0..5)
                .filter(|&q| !cuts.contains(&(Host::Node(q), Host::Node(p))))
                .collect();
            assert_eq!(hears.len(), 3, "node {p} hears {hears:?}");
            assert!(!heard.contains(&hears));
            heard.push(hears);
        }
    }

    #[test]
    fn isolating_with_clients_cuts_the_client_host_too() {
        let cuts = Partition::Isolate {
            node: 0,
            clients: true,
        }
        .cuts(1, None);
        assert_eq!(
            cuts,
            [
                (Host::Node(0), Host::Clients),
                (Host::Clients, Host::Node(0))
            ]
        );
    }

    #[test]
    fn unknown_shapes_are_named() {
        let knobs = PartitionKnobs {
            shapes: vec!["ring".into()],
            ..PartitionKnobs::default()
        };
        assert!(knobs.validate().unwrap_err().contains("\"ring\""));
    }
}
