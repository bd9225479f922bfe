//! Which nemeses run, how often, and with which knobs: the `nemesis` part
//! of a run's `config.json`.

use crate::clock::ClockKnobs;
use crate::crash::CrashKnobs;
use crate::delay::DelayKnobs;
use crate::draw;
use crate::fault::{Fault, Kind};
use crate::partition::PartitionKnobs;
use crate::pause::PauseKnobs;
use crate::timeout::TimeoutKnobs;
use crate::trigger::{self, Trigger};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A fault pinned at a time, in addition to the drawn ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timed {
    /// When it starts, in simulated ms since the run began.
    pub at_ms: u64,
    /// What it does.
    pub fault: Fault,
}

/// The nemesis configuration. The default injects nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NemesisConfig {
    /// The nemeses that run, each with a weight: a nemesis of weight `w`
    /// starts a fault every `interval_ms · W / w` on average, where `W` is
    /// the sum of the weights, so all together start one every
    /// `interval_ms` (a nemesis's faults never overlap each other, so the
    /// rate is a little lower). Absent: off.
    pub kinds: BTreeMap<Kind, u32>,
    /// Mean time between two fault starts, all nemeses together (default
    /// 500 ms).
    pub interval_ms: u64,
    /// After the workload and the final heal, how long the cluster has to
    /// answer a read of every key before the run fails with a liveness
    /// error (default 10,000 ms).
    pub quiet_ms: u64,
    /// Knobs of the pause nemesis.
    pub pause: PauseKnobs,
    /// Knobs of the delay nemesis.
    pub delay: DelayKnobs,
    /// Knobs of the partition nemesis.
    pub partition: PartitionKnobs,
    /// Knobs of the timeout nemesis.
    pub timeout: TimeoutKnobs,
    /// Knobs of the clock nemesis.
    pub clock: ClockKnobs,
    /// Knobs of the crash nemesis.
    pub crash: CrashKnobs,
    /// Faults at fixed times, applied on top of the drawn ones (for tests
    /// and hand-written scenarios).
    pub script: Vec<Timed>,
    /// Faults triggered by events: a node's (`became-leader`, …) or a
    /// scheduled fault's start (default: none).
    pub triggers: Vec<Trigger>,
    /// Seeded fault points in the system's own code (`ctx.buggify`).
    pub buggify: BuggifyKnobs,
}

/// Knobs of the system's own fault points (FoundationDB's BUGGIFY): a
/// named point is active in a run with chance `sites_pct`, and an active
/// point fires with chance `fire_pct` each time the code passes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BuggifyKnobs {
    /// Chance, in percent, that a named point is active in this run
    /// (default 0: buggify off).
    pub sites_pct: u32,
    /// Chance, in percent, that an active point fires when passed.
    pub fire_pct: u32,
}

impl BuggifyKnobs {
    /// True when some fault point may fire.
    pub fn is_on(&self) -> bool {
        self.sites_pct > 0 && self.fire_pct > 0
    }
}

impl Default for NemesisConfig {
    fn default() -> Self {
        NemesisConfig {
            kinds: BTreeMap::new(),
            interval_ms: 500,
            quiet_ms: 10_000,
            pause: PauseKnobs::default(),
            delay: DelayKnobs::default(),
            partition: PartitionKnobs::default(),
            timeout: TimeoutKnobs::default(),
            clock: ClockKnobs::default(),
            crash: CrashKnobs::default(),
            script: Vec::new(),
            triggers: Vec::new(),
            buggify: BuggifyKnobs::default(),
        }
    }
}

impl NemesisConfig {
    /// No faults at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// These nemeses, each of weight 1, with default knobs.
    pub fn with_kinds(kinds: &[Kind]) -> Self {
        NemesisConfig {
            kinds: kinds.iter().map(|&k| (k, 1)).collect(),
            ..Self::default()
        }
    }

    /// Only the scripted faults.
    pub fn scripted(script: Vec<Timed>) -> Self {
        NemesisConfig {
            script,
            ..Self::default()
        }
    }

    /// Parses a command-line list: `pause,delay,...`, `all` or `none`.
    pub fn parse_kinds(list: &str) -> Result<Vec<Kind>, String> {
        let mut kinds = Vec::new();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "all" => kinds.extend(Kind::ALL),
                "none" => {}
                _ => kinds.push(Kind::parse(name)?),
            }
        }
        kinds.sort();
        kinds.dedup();
        Ok(kinds)
    }

    /// Swarm testing: a mix drawn once per seed. Each nemesis is on with
    /// probability 3/5 (at least three are), with a weight of 1 to 4; the
    /// interval is 50 to 300 ms; pauses, crashes and clock skews aim at
    /// the leader in a drawn share of their faults, and a drawn subset of
    /// the partition shapes is on; partitions,
    /// crashes and clock skews get a drawn longest duration (a run is a few
    /// seconds, so most faults must be shorter for several to overlap);
    /// each composition of [`trigger::swarm`] is on with probability 1/2;
    /// buggify is on in half the seeds.
    pub fn swarm<R: Rng>(rng: &mut R) -> Self {
        let mut kinds: BTreeMap<Kind, u32> = BTreeMap::new();
        for kind in Kind::ALL {
            let weight = rng.random_range(1..=4);
            if rng.random_bool(0.6) {
                kinds.insert(kind, weight);
            }
        }
        while kinds.len() < 3 {
            kinds.insert(Kind::ALL[rng.random_range(0..Kind::ALL.len())], 1);
        }
        let mut config = NemesisConfig {
            kinds,
            interval_ms: draw::between(rng, 50, 300),
            ..Self::default()
        };
        let pick = |rng: &mut R, options: &[u64]| {
            options[draw::between(rng, 0, options.len() as u64 - 1) as usize]
        };
        config.pause.leader_pct = pick(rng, &[0, 25, 50, 75]) as u32;
        config.crash.leader_pct = pick(rng, &[0, 25, 50, 75]) as u32;
        config.clock.leader_pct = pick(rng, &[0, 25, 50, 75]) as u32;
        // Swarm over partition shapes too: each on with chance 1/2 (at
        // least one), so a seed meets a few shapes often, not all rarely.
        let mut shapes: Vec<String> = crate::partition::SHAPES
            .iter()
            .filter(|_| rng.random_bool(0.5))
            .map(|s| s.to_string())
            .collect();
        if shapes.is_empty() {
            let all = crate::partition::SHAPES;
            shapes.push(all[rng.random_range(0..all.len())].to_string());
        }
        config.partition.shapes = shapes;
        config.partition.ms_max = pick(rng, &[500, 1_000, 2_500]);
        config.crash.ms_max = pick(rng, &[300, 1_000, 2_000]);
        config.clock.ms_max = pick(rng, &[800, 1_500, 3_000]);
        config.delay.ms_max = pick(rng, &[1_000, 3_000]);
        config.triggers = trigger::swarm(rng);
        if rng.random_bool(0.5) {
            config.buggify = BuggifyKnobs {
                sites_pct: 25,
                fire_pct: pick(rng, &[2, 10]) as u32,
            };
        }
        config
    }

    /// True when any fault may be injected (drawn, scripted, triggered, or
    /// a fault point).
    pub fn is_active(&self) -> bool {
        self.kinds.values().any(|&w| w > 0)
            || !self.script.is_empty()
            || !self.triggers.is_empty()
            || self.buggify.is_on()
    }

    /// One line for the run summary, e.g. `pause×2 crash×1 every 800 ms`.
    pub fn mix(&self) -> String {
        if !self.is_active() {
            return "no faults".into();
        }
        let mut parts: Vec<String> = self
            .kinds
            .iter()
            .filter(|(_, &w)| w > 0)
            .map(|(k, w)| format!("{k}×{w}"))
            .collect();
        if !self.kinds.is_empty() {
            parts.push(format!("every {} ms", self.interval_ms));
        }
        if !self.script.is_empty() {
            parts.push(format!("{} scripted", self.script.len()));
        }
        if !self.triggers.is_empty() {
            let labels: Vec<String> = self.triggers.iter().map(Trigger::label).collect();
            parts.push(format!("; triggers {}", labels.join(" ")));
        }
        parts.join(" ")
    }

    /// Checks every knob against a cluster of `nodes`; the message names
    /// the one that is wrong.
    pub fn validate(&self, nodes: usize) -> Result<(), String> {
        if self.interval_ms == 0 {
            return Err("nemesis: interval_ms must be at least 1".into());
        }
        if self.quiet_ms == 0 {
            return Err("nemesis: quiet_ms must be at least 1".into());
        }
        self.pause.validate()?;
        self.delay.validate()?;
        self.partition.validate()?;
        self.clock.validate()?;
        self.crash.validate()?;
        for (i, trigger) in self.triggers.iter().enumerate() {
            trigger
                .validate()
                .map_err(|e| format!("nemesis: triggers[{i}]: {e}"))?;
        }
        draw::check_pct("buggify", "sites_pct", self.buggify.sites_pct)?;
        draw::check_pct("buggify", "fire_pct", self.buggify.fire_pct)?;
        for (i, timed) in self.script.iter().enumerate() {
            timed
                .fault
                .validate(nodes)
                .map_err(|e| format!("nemesis: script[{i}]: {e}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn lists_parse_and_bad_names_are_explained() {
        assert_eq!(NemesisConfig::parse_kinds("all").unwrap(), Kind::ALL);
        assert_eq!(NemesisConfig::parse_kinds("none").unwrap(), []);
        assert_eq!(
            NemesisConfig::parse_kinds("crash, pause,crash").unwrap(),
            [Kind::Pause, Kind::Crash]
        );
        assert!(NemesisConfig::parse_kinds("pause,gc")
            .unwrap_err()
            .contains("\"gc\""));
    }

    #[test]
    fn swarm_mixes_differ_by_seed_and_repeat_by_seed() {
        let swarm = |seed| NemesisConfig::swarm(&mut ChaCha8Rng::seed_from_u64(seed));
        assert_eq!(swarm(1), swarm(1));
        let mixes: std::collections::BTreeSet<String> = (0..40).map(|s| swarm(s).mix()).collect();
        assert!(mixes.len() > 20, "{mixes:?}");
        for seed in 0..40 {
            let config = swarm(seed);
            assert!(config.is_active());
            assert!(config.validate(3).is_ok());
            assert!((50..=300).contains(&config.interval_ms));
            assert!(config.kinds.len() >= 3);
        }
        // Every nemesis is on in some seeds and off in others.
        for kind in Kind::ALL {
            let on = (0..40)
                .filter(|&s| swarm(s).kinds.contains_key(&kind))
                .count();
            assert!((5..=38).contains(&on), "{kind} on in {on} of 40 seeds");
        }
        let aimed = (0..40).filter(|&s| swarm(s).pause.leader_pct > 0).count();
        assert!(
            (5..=35).contains(&aimed),
            "pauses aim at the leader in {aimed} of 40"
        );
    }

    #[test]
    fn the_default_injects_nothing_and_round_trips() {
        let config = NemesisConfig::default();
        assert!(!config.is_active());
        assert_eq!(config.mix(), "no faults");
        let all = NemesisConfig::with_kinds(&Kind::ALL);
        let text = serde_json::to_string(&all).unwrap();
        assert_eq!(serde_json::from_str::<NemesisConfig>(&text).unwrap(), all);
        let partial: NemesisConfig =
            serde_json::from_str(r#"{"kinds":{"crash":2},"crash":{"ms_max":100}}"#).unwrap();
        assert_eq!(partial.crash.ms_max, 100);
        assert_eq!(partial.crash.ms_min, CrashKnobs::default().ms_min);
        let bad = serde_json::from_str::<NemesisConfig>(r#"{"kinds":{"gc":1}}"#);
        assert!(bad.is_err());
    }
}
