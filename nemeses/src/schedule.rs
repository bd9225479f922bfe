//! A run's fault schedule: timed start and end actions, drawn up front from
//! each nemesis's own rng stream, so that turning one nemesis on or off
//! shifts no other's faults.

use crate::config::NemesisConfig;
use crate::draw;
use crate::fault::{Fault, Kind};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// What the schedule needs to know about the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// Number of nodes.
    pub nodes: usize,
    /// The client deadline (the timeout nemesis holds links past it).
    pub deadline_ms: u64,
    /// No fault starts at or after this time. The executor also stops
    /// starting faults when the workload ends, and heals what is open.
    pub horizon_ms: u64,
}

/// Whether an action breaks or heals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// The fault's heal (sorted first: at equal times, heal before break).
    End,
    /// The fault begins.
    Start,
}

/// One timed action of a schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// When, in simulated ms since the run began.
    pub at_ms: u64,
    /// The fault's number: its start and its end share it. Numbered in
    /// order of start time.
    pub id: u64,
    /// Break or heal.
    pub phase: Phase,
    /// The fault.
    pub fault: Fault,
}

/// Every action of a run, sorted by time (heals first at equal times).
/// Every start has exactly one end, `fault.ms()` later.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// The actions, in the order they are applied.
    pub actions: Vec<Action>,
}

impl Schedule {
    /// Draws the schedule of `config` for `target`. `stream(kind)` must
    /// return that nemesis's own rng (the harness passes
    /// `("nemesis", kind.stream())`). Scripted faults are added as given.
    pub fn draw(
        config: &NemesisConfig,
        target: Target,
        stream: &mut dyn FnMut(Kind) -> ChaCha8Rng,
    ) -> Schedule {
        let total: u64 = config.kinds.values().map(|&w| u64::from(w)).sum();
        // (start, tiebreak, fault): drawn faults by kind order, then scripted.
        let mut starts: Vec<(u64, u64, Fault)> = Vec::new();
        for (&kind, &weight) in config.kinds.iter().filter(|(_, &w)| w > 0) {
            let mean_ms = config.interval_ms.saturating_mul(total) / u64::from(weight);
            let mut rng = stream(kind);
            let mut free_at = 0;
            loop {
                let at = free_at + draw::gap_ms(&mut rng, mean_ms.max(1));
                if at >= target.horizon_ms {
                    break;
                }
                let fault = draw_fault(config, kind, target, &mut rng);
                free_at = at + fault.ms();
                starts.push((at, kind.stream(), fault));
            }
        }
        for timed in &config.script {
            starts.push((timed.at_ms, Kind::ALL.len() as u64, timed.fault.clone()));
        }
        starts.sort_by_key(|&(at, tiebreak, _)| (at, tiebreak));

        let mut actions = Vec::with_capacity(starts.len() * 2);
        for (id, (at_ms, _, fault)) in starts.into_iter().enumerate() {
            let id = id as u64;
            let end = Action {
                at_ms: at_ms + fault.ms(),
                id,
                phase: Phase::End,
                fault: fault.clone(),
            };
            actions.push(Action {
                at_ms,
                id,
                phase: Phase::Start,
                fault,
            });
            actions.push(end);
        }
        actions.sort_by_key(|a| (a.at_ms, a.phase, a.id));
        Schedule { actions }
    }

    /// The faults, in order of start, with their start times.
    pub fn starts(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(|a| a.phase == Phase::Start)
    }
}

/// Draws one fault of nemesis `kind`.
pub fn draw_fault(
    config: &NemesisConfig,
    kind: Kind,
    target: Target,
    rng: &mut ChaCha8Rng,
) -> Fault {
    let n = target.nodes.max(1);
    match kind {
        Kind::Pause => config.pause.draw(n, rng),
        Kind::Delay => Fault::Delay(config.delay.draw(n, rng)),
        Kind::Partition => Fault::Partition(config.partition.draw(n, rng)),
        Kind::Timeout => config.timeout.draw(n, target.deadline_ms, rng),
        Kind::Clock => Fault::Clock(config.clock.draw(n, rng)),
        Kind::Crash => config.crash.draw(n, rng),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Timed;
    use rand::SeedableRng;
    use std::collections::BTreeMap;

    const TARGET: Target = Target {
        nodes: 3,
        deadline_ms: 1_000,
        horizon_ms: 120_000,
    };

    fn streams(seed: u64) -> impl FnMut(Kind) -> ChaCha8Rng {
        move |kind| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(kind.stream());
            rng
        }
    }

    fn all() -> NemesisConfig {
        NemesisConfig::with_kinds(&Kind::ALL)
    }

    #[test]
    fn same_seed_same_schedule_other_seed_other_schedule() {
        let a = Schedule::draw(&all(), TARGET, &mut streams(7));
        assert_eq!(a, Schedule::draw(&all(), TARGET, &mut streams(7)));
        assert_ne!(a, Schedule::draw(&all(), TARGET, &mut streams(8)));
        assert!(a.starts().count() > 60, "{} faults", a.starts().count());
    }

    #[test]
    fn every_start_has_its_end_later_and_nothing_overlaps_within_a_kind() {
        let schedule = Schedule::draw(&all(), TARGET, &mut streams(3));
        let mut open: BTreeMap<u64, (u64, Kind)> = BTreeMap::new();
        let mut busy: BTreeMap<Kind, u64> = BTreeMap::new();
        let mut last = 0;
        for action in &schedule.actions {
            assert!(action.at_ms >= last, "sorted by time");
            last = action.at_ms;
            let kind = action.fault.kind();
            match action.phase {
                Phase::Start => {
                    assert!(action.at_ms < TARGET.horizon_ms);
                    assert!(open.insert(action.id, (action.at_ms, kind)).is_none());
                    assert!(
                        *busy.get(&kind).unwrap_or(&0) <= action.at_ms,
                        "{kind} overlaps itself"
                    );
                    busy.insert(kind, action.at_ms + action.fault.ms());
                }
                Phase::End => {
                    let (start, _) = open.remove(&action.id).expect("an end after its start");
                    assert_eq!(action.at_ms, start + action.fault.ms());
                }
            }
        }
        assert!(open.is_empty(), "unhealed: {open:?}");
    }

    #[test]
    fn durations_and_targets_obey_the_knobs() {
        let mut config = all();
        config.pause.ms_max = 700;
        config.crash.ms_min = 100;
        config.crash.ms_max = 200;
        config.partition.shapes = vec!["halves".into()];
        let schedule = Schedule::draw(&config, TARGET, &mut streams(11));
        for action in schedule.starts() {
            let fault = &action.fault;
            assert!(fault.validate(3).is_ok() && fault.ms() >= 1);
            match fault {
                Fault::Pause { ms, .. } => assert!((10..=700).contains(ms)),
                Fault::Crash { ms, .. } => assert!((100..=200).contains(ms)),
                Fault::Timeout { ms, .. } => assert!((1_001..=2_000).contains(ms)),
                Fault::Partition(p) => assert_eq!(p.shape.name(), "halves"),
                Fault::Clock(c) => assert!((500..=5_000).contains(&c.ms)),
                Fault::Delay(d) => assert!(d.ms() <= 3_000 && !d.links().is_empty()),
            }
        }
    }

    #[test]
    fn weights_set_the_rates_and_kinds_draw_independently() {
        let mut config = NemesisConfig::with_kinds(&[Kind::Pause, Kind::Clock]);
        config.kinds.insert(Kind::Pause, 3);
        config.interval_ms = 1_000;
        let schedule = Schedule::draw(&config, TARGET, &mut streams(5));
        let count = |k| schedule.starts().filter(|a| a.fault.kind() == k).count();
        assert!(
            count(Kind::Pause) > 2 * count(Kind::Clock),
            "{} vs {}",
            count(Kind::Pause),
            count(Kind::Clock)
        );

        // Crash on, at the same mean pause gap (1000·4/3 = 800·5/3): the
        // pauses do not move, since each nemesis has its own stream.
        let pauses = |s: &Schedule| -> Vec<(u64, Fault)> {
            let pause = s.starts().filter(|a| a.fault.kind() == Kind::Pause);
            pause.map(|a| (a.at_ms, a.fault.clone())).collect()
        };
        let mut with_crash = config.clone();
        with_crash.kinds.insert(Kind::Crash, 1);
        with_crash.interval_ms = 800;
        let other = Schedule::draw(&with_crash, TARGET, &mut streams(5));
        assert_eq!(pauses(&other), pauses(&schedule));
        assert!(other.starts().any(|a| a.fault.kind() == Kind::Crash));
    }

    #[test]
    fn scripted_faults_are_kept_as_given() {
        let script = vec![Timed {
            at_ms: 200,
            fault: Fault::Pause {
                node: 0,
                ms: 300,
                leader: false,
            },
        }];
        let schedule = Schedule::draw(&NemesisConfig::scripted(script), TARGET, &mut streams(1));
        let summary: Vec<(u64, Phase)> = schedule
            .actions
            .iter()
            .map(|a| (a.at_ms, a.phase))
            .collect();
        assert_eq!(summary, [(200, Phase::Start), (500, Phase::End)]);
    }
}
