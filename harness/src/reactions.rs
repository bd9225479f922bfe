//! Event-triggered faults: which of a run's [`Trigger`]s fire on an event,
//! and the faults they inject. Each trigger draws from its own stream
//! (`("trigger", i)`), so turning one on or off shifts no other's draws,
//! and a trigger's faults never overlap each other (it stays quiet until
//! its last fault healed, plus its gap).

use crate::seeds::Seeds;
use nemeses::{draw, Fault, Trigger};
use rand_chacha::ChaCha8Rng;

/// A fault a trigger fired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fired {
    /// When it starts, in simulated ms.
    pub at_ms: u64,
    /// What it is (its leader aim resolved when it starts).
    pub fault: Fault,
    /// Which trigger fired, by position in the config.
    pub trigger: usize,
}

/// The triggers of one run and their state.
pub(crate) struct Reactions {
    triggers: Vec<Trigger>,
    rngs: Vec<ChaCha8Rng>,
    quiet_until_ms: Vec<u64>,
}

impl Reactions {
    /// The run's `triggers`, with their streams drawn from `seeds`.
    pub fn new(triggers: &[Trigger], seeds: Seeds) -> Self {
        Reactions {
            triggers: triggers.to_vec(),
            rngs: (0..triggers.len() as u64)
                .map(|i| seeds.stream("trigger", i))
                .collect(),
            quiet_until_ms: vec![0; triggers.len()],
        }
    }

    /// The faults fired by `event` of node `subject` at `now_ms`, in a
    /// cluster of `nodes`.
    pub fn react(&mut self, now_ms: u64, event: &str, subject: usize, nodes: usize) -> Vec<Fired> {
        let mut fired = Vec::new();
        for (i, trigger) in self.triggers.iter().enumerate() {
            if trigger.on != event || now_ms < self.quiet_until_ms[i] {
                continue;
            }
            let rng = &mut self.rngs[i];
            if !draw::chance(rng, trigger.pct) {
                continue;
            }
            let at_ms = now_ms + draw::between(rng, 0, trigger.after_ms_max);
            let fault = trigger.draw(subject, nodes, rng);
            self.quiet_until_ms[i] = at_ms + fault.ms() + trigger.gap_ms;
            fired.push(Fired {
                at_ms,
                fault,
                trigger: i,
            });
        }
        fired
    }

    /// Trigger `i`'s label (`became-leader→pause@subject`).
    pub fn label(&self, i: usize) -> String {
        self.triggers[i].label()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nemeses::{Aim, Effect, Reaction};

    fn trigger(pct: u32) -> Trigger {
        Trigger {
            on: "became-leader".into(),
            pct,
            after_ms_max: 0,
            gap_ms: 100,
            reaction: Reaction {
                action: Effect::Pause,
                aim: Aim::Subject,
                ms_min: 10,
                ms_max: 10,
                bump_ms_max: 0,
            },
        }
    }

    #[test]
    fn a_trigger_fires_on_its_event_then_stays_quiet_until_healed_and_its_gap() {
        let mut r = Reactions::new(&[trigger(100)], Seeds::new(1));
        assert!(r.react(0, "stepped-down", 1, 3).is_empty());
        let fired = r.react(5, "became-leader", 1, 3);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].at_ms, 5);
        assert!(matches!(
            fired[0].fault,
            Fault::Pause {
                node: 1,
                ms: 10,
                ..
            }
        ));
        assert!(r.react(50, "became-leader", 2, 3).is_empty(), "quiet");
        assert_eq!(r.react(115, "became-leader", 2, 3).len(), 1);
        let mut never = Reactions::new(&[trigger(0)], Seeds::new(1));
        assert!(never.react(0, "became-leader", 0, 3).is_empty());
    }
}
