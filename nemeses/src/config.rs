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
    /// probability 1/2 (at least one is), with a weight of 1 to 4; the
    /// interval is 100 to 1,000 ms; pauses and crashes each aim at the
    /// leader half the time in half the seeds. Other knobs keep their
    /// defaults.
    pub fn swarm(rng: &mut impl Rng) -> Self {
        let mut kinds: BTreeMap<Kind, u32> = BTreeMap::new();
        for kind in Kind::ALL {
            let weight = rng.random_range(1..=4);
            if rng.random_bool(0.5) {
                kinds.insert(kind, weight);
            }
        }
        if kinds.is_empty() {
            kinds.insert(Kind::ALL[rng.random_range(0..Kind::ALL.len())], 1);
        }
        let mut config = NemesisConfig {
            kinds,
            interval_ms: draw::between(rng, 100, 1_000),
            ..Self::default()
        };
        // Drawn last, so the draws above are those of earlier versions.
        config.pause.leader_pct = if rng.random_bool(0.5) { 50 } else { 0 };
        config.crash.leader_pct = if rng.random_bool(0.5) { 50 } else { 0 };
        config
    }

    /// True when any fault will be injected.
    pub fn is_active(&self) -> bool {
        self.kinds.values().any(|&w| w > 0) || !self.script.is_empty()
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
            assert!((100..=1_000).contains(&config.interval_ms));
        }
        // Every nemesis is on in some seeds and off in others.
        for kind in Kind::ALL {
            let on = (0..40)
                .filter(|&s| swarm(s).kinds.contains_key(&kind))
                .count();
            assert!((5..=35).contains(&on), "{kind} on in {on} of 40 seeds");
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
