//! Faults triggered by what happens, not by the clock: when a node reports
//! an event (`became-leader`, `persisted`, …) or a scheduled fault starts
//! (`pause-start`, `partition-start`, …), a [`Trigger`] listening for it
//! may inject a [`Reaction`] aimed at the node it happened to.
//!
//! This is how compositions real outages have are drawn: a leader that
//! stalls while it is cut off, a crash during an election, a partition
//! while a node is paused, clock skew on a new leader, a power loss right
//! after a write was made durable or answered.

use crate::clock::{ClockChange, ClockFault};
use crate::draw;
use crate::fault::Fault;
use crate::partition::{Partition, PartitionFault};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Which node a reaction hits, relative to the event's node (its subject).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aim {
    /// The node the event happened to.
    Subject,
    /// Whichever node leads when the fault starts (the subject if none).
    Leader,
    /// Any node, drawn at random.
    Random,
}

/// What a trigger injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// Pause the node.
    Pause,
    /// Crash the node (it restarts from its disk when the fault ends).
    Crash,
    /// Cut the node off from every other node.
    Isolate,
    /// Bump the node's wall clock forward or back.
    ClockBump,
}

/// The fault a trigger injects, and its bounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reaction {
    /// What is done.
    pub action: Effect,
    /// To whom.
    pub aim: Aim,
    /// Shortest duration.
    pub ms_min: u64,
    /// Longest duration.
    pub ms_max: u64,
    /// Largest clock bump, either way (only for `clock-bump`).
    #[serde(default)]
    pub bump_ms_max: u64,
}

/// One event-triggered nemesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The event it listens for: a node's event (`became-leader`,
    /// `stepped-down`, `election-started`, `granted-vote`, `persisted`,
    /// `replied`, or any name the system reports) or a scheduled fault's
    /// start (`pause-start`, `partition-start`, …).
    pub on: String,
    /// Chance, in percent, that one occurrence fires it.
    pub pct: u32,
    /// The fault starts 0 to this many ms after the event.
    #[serde(default)]
    pub after_ms_max: u64,
    /// After its fault heals, the trigger stays quiet this long (its faults
    /// never overlap each other).
    pub gap_ms: u64,
    /// What it injects.
    pub reaction: Reaction,
}

impl Trigger {
    /// Draws the fault this trigger injects for an event of node
    /// `subject`, in a cluster of `nodes`.
    pub fn draw(&self, subject: usize, nodes: usize, rng: &mut impl Rng) -> Fault {
        let r = &self.reaction;
        let node = match r.aim {
            Aim::Random => rng.random_range(0..nodes.max(1)),
            Aim::Subject | Aim::Leader => subject,
        };
        let leader = r.aim == Aim::Leader;
        let ms = draw::between(rng, r.ms_min, r.ms_max);
        match r.action {
            Effect::Pause => Fault::Pause { node, ms, leader },
            Effect::Crash => Fault::Crash { node, ms, leader },
            Effect::Isolate => Fault::Partition(PartitionFault {
                shape: if leader {
                    Partition::IsolateLeader { fallback: node }
                } else {
                    Partition::Isolate {
                        node,
                        clients: false,
                    }
                },
                ms,
            }),
            Effect::ClockBump => {
                let sign = if rng.random_bool(0.5) { 1 } else { -1 };
                let delta_ms = sign * draw::between(rng, 1, r.bump_ms_max.max(1)) as i64;
                Fault::Clock(ClockFault {
                    node,
                    change: ClockChange::Bump { delta_ms },
                    ms,
                    leader,
                })
            }
        }
    }

    /// `on→action@aim`, for the run summary.
    pub fn label(&self) -> String {
        let action = serde_json::to_value(self.reaction.action).unwrap_or_default();
        let aim = serde_json::to_value(self.reaction.aim).unwrap_or_default();
        format!(
            "{}→{}@{}",
            self.on,
            action.as_str().unwrap_or("?"),
            aim.as_str().unwrap_or("?")
        )
    }

    /// Checks the knobs; the message names the one that is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.on.is_empty() {
            return Err("trigger: `on` must name an event".into());
        }
        draw::check_pct("trigger", "pct", self.pct)?;
        crate::crash::check_range("trigger", self.reaction.ms_min, self.reaction.ms_max)
    }
}

/// The compositions the swarm draws from, reasoned from what real outages
/// look like (not from any one bug): (event, action, aim).
const MENU: [(&str, Effect, Aim); 10] = [
    // A GC or VM stall of a node that a network blip has just cut off.
    ("partition-start", Effect::Pause, Aim::Subject),
    // A paused node (GC, live migration) wakes up cut off.
    ("pause-start", Effect::Isolate, Aim::Subject),
    // A node dies while the cluster is electing.
    ("election-started", Effect::Crash, Aim::Random),
    // Clock skew on the leader.
    ("became-leader", Effect::ClockBump, Aim::Subject),
    // A new leader stalls (warm-up, GC).
    ("became-leader", Effect::Pause, Aim::Subject),
    // The election winner is cut off.
    ("became-leader", Effect::Isolate, Aim::Subject),
    // Power loss right after a write reached the disk.
    ("persisted", Effect::Crash, Aim::Subject),
    // A crash right after answering a client.
    ("replied", Effect::Crash, Aim::Subject),
    // A voter crashes right after granting its vote.
    ("granted-vote", Effect::Crash, Aim::Subject),
    // A deposed leader stalls on its way down.
    ("stepped-down", Effect::Pause, Aim::Subject),
];

/// Swarm testing for triggers: each composition of the menu is on with
/// probability 1/2, with drawn odds, delays and durations.
pub fn swarm(rng: &mut impl Rng) -> Vec<Trigger> {
    let mut triggers = Vec::new();
    for (on, action, aim) in MENU {
        let on_now = rng.random_bool(0.5);
        let pct = [5, 20, 50][rng.random_range(0..3)];
        let after_ms_max = [0, 0, 20, 200][rng.random_range(0..4)];
        let gap_ms = draw::between(rng, 300, 3_000);
        let ms_max = [300, 1_000, 2_000][rng.random_range(0..3)];
        if !on_now {
            continue;
        }
        let ms_min = match action {
            Effect::Isolate => 100,
            Effect::ClockBump => 200,
            Effect::Pause | Effect::Crash => 20,
        };
        triggers.push(Trigger {
            on: on.to_string(),
            pct,
            after_ms_max,
            gap_ms,
            reaction: Reaction {
                action,
                aim,
                ms_min,
                ms_max: ms_max.max(ms_min),
                bump_ms_max: if action == Effect::ClockBump {
                    3_000
                } else {
                    0
                },
            },
        });
    }
    triggers
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn reactions_hit_the_subject_the_leader_or_anyone() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let trigger = |action, aim| Trigger {
            on: "became-leader".into(),
            pct: 100,
            after_ms_max: 0,
            gap_ms: 10,
            reaction: Reaction {
                action,
                aim,
                ms_min: 5,
                ms_max: 9,
                bump_ms_max: 100,
            },
        };
        let pause = trigger(Effect::Pause, Aim::Subject).draw(2, 3, &mut rng);
        assert!(
            matches!(pause, Fault::Pause { node: 2, leader: false, ms } if (5..=9).contains(&ms))
        );
        let crash = trigger(Effect::Crash, Aim::Leader).draw(1, 3, &mut rng);
        assert!(matches!(
            crash,
            Fault::Crash {
                node: 1,
                leader: true,
                ..
            }
        ));
        let isolate = trigger(Effect::Isolate, Aim::Subject).draw(0, 3, &mut rng);
        assert_eq!(isolate.nodes(), [0]);
        let bump = trigger(Effect::ClockBump, Aim::Subject).draw(1, 3, &mut rng);
        assert!(matches!(bump, Fault::Clock(ClockFault { node: 1, .. })));
        assert!(trigger(Effect::Pause, Aim::Subject).validate().is_ok());
        assert_eq!(
            trigger(Effect::Isolate, Aim::Leader).label(),
            "became-leader→isolate@leader"
        );
    }

    #[test]
    fn the_swarm_draws_some_compositions_per_seed() {
        let draws: Vec<Vec<Trigger>> = (0..40)
            .map(|s| swarm(&mut ChaCha8Rng::seed_from_u64(s)))
            .collect();
        assert!(draws.iter().all(|t| t.iter().all(|t| t.validate().is_ok())));
        let total: usize = draws.iter().map(Vec::len).sum();
        assert!(
            (120..=280).contains(&total),
            "{total} triggers over 40 seeds"
        );
        for (on, _, _) in MENU {
            assert!(draws.iter().any(|t| t.iter().any(|t| t.on == on)), "{on}");
        }
    }
}
