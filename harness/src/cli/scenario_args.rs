//! The scenario flags shared by `harness run` and `harness sweep`, and the
//! way back from a parsed set of flags to a command line (for the
//! paste-able `harness run --seed N ...` line a sweep prints per failure).

use crate::cluster::Bug;
use crate::scenario::Scenario;
use crate::seeds::Seeds;
use anyhow::anyhow;
use clap::Args;
use nemeses::NemesisConfig;

/// Everything about a run except its seed and where it is written.
///
/// A field added here must also be printed by [`ScenarioArgs::flags`]; a
/// test checks every flag round-trips.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ScenarioArgs {
    /// Number of cluster nodes.
    #[arg(long, default_value_t = Scenario::default().nodes)]
    pub nodes: usize,
    /// Concurrent client workers.
    #[arg(long, default_value_t = Scenario::default().clients)]
    pub clients: usize,
    /// Number of keys the clients read and write.
    #[arg(long, default_value_t = Scenario::default().workload.keys)]
    pub keys: usize,
    /// Percent of ops that are reads; the rest are half writes, half cas.
    #[arg(long, default_value_t = Scenario::default().workload.reads_pct)]
    pub reads_pct: u32,
    /// Values are drawn from 0 up to this (excluded): few make cas succeed
    /// often, many make each written value tell which write it came from.
    #[arg(long, default_value_t = Scenario::default().workload.values)]
    pub values: i64,
    /// Client operations in total.
    #[arg(long, default_value_t = Scenario::default().ops)]
    pub ops: usize,
    /// Milliseconds a client waits for a reply before recording the op as
    /// indeterminate (`info`).
    #[arg(long, default_value_t = Scenario::default().deadline_ms)]
    pub deadline_ms: u64,
    /// Faults: `swarm` (a mix drawn per seed: some nemeses on, others off,
    /// with drawn rates; recorded in config.json), `all`, `none`, or a list
    /// of pause, delay, partition, timeout, clock, crash.
    #[arg(long, default_value = "swarm")]
    pub nemesis: String,
    /// Mean time between two fault starts, all nemeses together; `auto`:
    /// drawn by swarm, else 500.
    #[arg(long, default_value = "auto")]
    pub nemesis_interval_ms: String,
    /// Longest pause (pauses are long-tailed: most are far shorter).
    #[arg(long, default_value_t = nemeses::PauseKnobs::default().ms_max)]
    pub pause_ms_max: u64,
    /// Longest partition.
    #[arg(long, default_value_t = nemeses::PartitionKnobs::default().ms_max)]
    pub partition_ms_max: u64,
    /// Longest time a crashed node stays down.
    #[arg(long, default_value_t = nemeses::CrashKnobs::default().ms_max)]
    pub crash_ms_max: u64,
    /// Largest clock bump, either way.
    #[arg(long, default_value_t = nemeses::ClockKnobs::default().bump_ms_max)]
    pub clock_bump_ms_max: u64,
    /// After the final heal, the time the cluster has to answer a read of
    /// every key before the run fails with a liveness error.
    #[arg(long, default_value_t = NemesisConfig::default().quiet_ms)]
    pub quiet_ms: u64,
    /// Planted bugs to switch on in the built-in cluster (repeat the flag or
    /// give a comma list; none by default).
    #[arg(long = "bug", value_enum, value_delimiter = ',')]
    pub bugs: Vec<Bug>,
}

impl ScenarioArgs {
    /// The scenario these flags describe, with `seed`; an error says which
    /// number makes no sense.
    pub fn to_scenario(&self, seed: u64) -> anyhow::Result<Scenario> {
        let scenario = Scenario {
            seed,
            nodes: self.nodes,
            clients: self.clients,
            ops: self.ops,
            deadline_ms: self.deadline_ms,
            workload: workloads::RegisterWorkload {
                keys: self.keys,
                values: self.values,
                reads_pct: self.reads_pct,
            },
            nemesis: self.nemesis_config(seed)?,
            bugs: self.bugs.iter().copied().collect(),
            ..Scenario::default()
        };
        scenario.validate().map_err(anyhow::Error::msg)?;
        Ok(scenario)
    }

    /// The nemesis part of the scenario: the swarm mix of `seed` or the
    /// listed nemeses, with the knobs given.
    fn nemesis_config(&self, seed: u64) -> anyhow::Result<NemesisConfig> {
        let mut config = match self.nemesis.as_str() {
            "swarm" => NemesisConfig::swarm(&mut Seeds::new(seed).stream("swarm", 0)),
            list => NemesisConfig::with_kinds(
                &NemesisConfig::parse_kinds(list).map_err(|e| anyhow!("--nemesis: {e}"))?,
            ),
        };
        if self.nemesis_interval_ms != "auto" {
            config.interval_ms = self.nemesis_interval_ms.parse().map_err(|_| {
                anyhow!(
                    "--nemesis-interval-ms: expected a number of ms or `auto`, got {:?}",
                    self.nemesis_interval_ms
                )
            })?;
        }
        config.pause.ms_max = self.pause_ms_max;
        config.pause.ms_min = config.pause.ms_min.min(self.pause_ms_max);
        config.partition.ms_max = self.partition_ms_max;
        config.partition.ms_min = config.partition.ms_min.min(self.partition_ms_max);
        config.crash.ms_max = self.crash_ms_max;
        config.crash.ms_min = config.crash.ms_min.min(self.crash_ms_max);
        config.clock.bump_ms_max = self.clock_bump_ms_max;
        config.quiet_ms = self.quiet_ms;
        Ok(config)
    }

    /// Every flag with its value, defaults included (so the line means the
    /// same run even if a later version changes a default).
    pub fn flags(&self) -> Vec<String> {
        let pairs = [
            ("--nodes", self.nodes.to_string()),
            ("--clients", self.clients.to_string()),
            ("--keys", self.keys.to_string()),
            ("--reads-pct", self.reads_pct.to_string()),
            ("--values", self.values.to_string()),
            ("--ops", self.ops.to_string()),
            ("--deadline-ms", self.deadline_ms.to_string()),
            ("--nemesis", self.nemesis.clone()),
            ("--nemesis-interval-ms", self.nemesis_interval_ms.clone()),
            ("--pause-ms-max", self.pause_ms_max.to_string()),
            ("--partition-ms-max", self.partition_ms_max.to_string()),
            ("--crash-ms-max", self.crash_ms_max.to_string()),
            ("--clock-bump-ms-max", self.clock_bump_ms_max.to_string()),
            ("--quiet-ms", self.quiet_ms.to_string()),
        ];
        let bugs = self.bugs.iter().map(|bug| ("--bug", bug.to_string()));
        pairs
            .into_iter()
            .chain(bugs)
            .flat_map(|(flag, value)| [flag.to_string(), value])
            .collect()
    }

    /// The paste-able command that runs `seed` alone with these flags.
    pub fn run_command(&self, seed: u64) -> String {
        format!("harness run --seed {seed} {}", self.flags().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::{Bug, ScenarioArgs};
    use clap::{Args, Command, FromArgMatches};

    fn parse(argv: &[String]) -> ScenarioArgs {
        let command = ScenarioArgs::augment_args(Command::new("run"));
        let matches = command
            .try_get_matches_from(std::iter::once("run".to_string()).chain(argv.iter().cloned()))
            .unwrap();
        ScenarioArgs::from_arg_matches(&matches).unwrap()
    }

    #[test]
    fn flags_parse_back_to_the_same_args() {
        let args = ScenarioArgs {
            nodes: 5,
            clients: 7,
            keys: 2,
            reads_pct: 80,
            values: 100,
            ops: 33,
            deadline_ms: 250,
            nemesis: "pause,crash".into(),
            nemesis_interval_ms: "700".into(),
            pause_ms_max: 900,
            partition_ms_max: 800,
            crash_ms_max: 700,
            clock_bump_ms_max: 600,
            quiet_ms: 5_000,
            bugs: vec![Bug::LeaseReadPause, Bug::AckBeforeFsync],
        };
        assert_eq!(parse(&args.flags()), args);
        let defaults = parse(&[]);
        assert_eq!(parse(&defaults.flags()), defaults);
    }

    #[test]
    fn the_default_is_a_swarm_mix_of_the_seed_and_lists_are_checked() {
        let defaults = parse(&[]);
        let a = defaults.to_scenario(1).unwrap().nemesis;
        assert!(a.is_active());
        assert_eq!(a, defaults.to_scenario(1).unwrap().nemesis);
        let mixes: std::collections::BTreeSet<String> = (0..10)
            .map(|seed| defaults.to_scenario(seed).unwrap().nemesis.mix())
            .collect();
        assert!(mixes.len() > 3, "{mixes:?}");

        let flags = |f: &[&str]| parse(&f.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let none = flags(&["--nemesis", "none"]).to_scenario(1).unwrap();
        assert!(!none.nemesis.is_active());
        let listed = flags(&["--nemesis", "crash", "--nemesis-interval-ms", "300"]);
        let config = listed.to_scenario(1).unwrap().nemesis;
        assert_eq!((config.kinds.len(), config.interval_ms), (1, 300));
        let bad = flags(&["--nemesis", "gc"]).to_scenario(1).unwrap_err();
        assert!(
            bad.to_string()
                .contains("--nemesis: unknown nemesis \"gc\""),
            "{bad}"
        );
        let bad = flags(&["--nemesis-interval-ms", "soon"])
            .to_scenario(1)
            .unwrap_err();
        assert!(bad.to_string().contains("--nemesis-interval-ms"), "{bad}");
    }

    #[test]
    fn every_flag_is_printed() {
        let flags = ScenarioArgs {
            bugs: vec![Bug::OldTermCommit],
            ..parse(&[])
        }
        .flags();
        for arg in ScenarioArgs::augment_args(Command::new("run")).get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            assert!(
                flags.contains(&format!("--{long}")),
                "ScenarioArgs::flags does not print --{long}: a sweep's rerun line would lose it"
            );
        }
    }
}
