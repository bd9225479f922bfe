//! The scenario flags shared by `harness run` and `harness sweep`, and the
//! way back from a parsed set of flags to a command line (for the
//! paste-able `harness run --seed N ...` line a sweep prints per failure).

use super::registry::Systems;
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
    /// The system under test (see the list below; default: the first).
    #[arg(long)]
    pub system: Option<String>,
    /// The workload: `register` (read, write, cas) or `append` (get,
    /// append), if the system serves it.
    #[arg(long, default_value = "register")]
    pub workload: String,
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
    /// Planted bugs to switch on in the system (repeat the flag or give a
    /// comma list; none by default; each system's are listed below).
    #[arg(long = "bug", value_delimiter = ',')]
    pub bugs: Vec<String>,
}

impl ScenarioArgs {
    /// The scenario these flags describe, with `seed`; an error says which
    /// number makes no sense.
    pub fn to_scenario(&self, seed: u64, systems: &Systems) -> anyhow::Result<Scenario> {
        let system = systems
            .get(self.system.as_deref())
            .map_err(|e| anyhow!("--system: {e}"))?;
        let spec = system.spec(&self.bugs).map_err(|e| anyhow!("--bug: {e}"))?;
        let scenario = Scenario {
            seed,
            nodes: self.nodes,
            clients: self.clients,
            ops: self.ops,
            deadline_ms: self.deadline_ms,
            workload: workloads::WorkloadConfig {
                kind: self.workload.clone(),
                keys: self.keys,
                values: self.values,
                reads_pct: self.reads_pct,
            },
            nemesis: self.nemesis_config(seed)?,
            system: spec,
            ..Scenario::default()
        };
        scenario.validate().map_err(anyhow::Error::msg)?;
        system.check(&scenario).map_err(anyhow::Error::msg)?;
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
        let system = self.system.iter().map(|s| ("--system", s.clone()));
        let pairs = [
            ("--workload", self.workload.clone()),
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
        system
            .chain(pairs)
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
    use super::ScenarioArgs;
    use crate::cli::registry::Systems;
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
            system: Some("raft".into()),
            workload: "append".into(),
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
            bugs: vec!["lease-read-pause".into(), "ack-before-fsync".into()],
        };
        assert_eq!(parse(&args.flags()), args);
        let defaults = parse(&[]);
        assert_eq!(parse(&defaults.flags()), defaults);
    }

    /// A system that does nothing: enough to build scenarios.
    struct Idle;

    impl crate::System for Idle {
        type Client = Idle;
        fn node(
            &self,
            _: crate::NodeCtx,
        ) -> impl std::future::Future<Output = turmoil::Result> + use<> + 'static {
            std::future::pending()
        }
        fn client(&self, _: crate::ClientCtx) -> Idle {
            Idle
        }
    }

    impl crate::Client for Idle {
        async fn call(&mut self, _: &workloads::Op, _: std::time::Duration) -> workloads::Outcome {
            workloads::Outcome::Fail("idle".into())
        }
        fn reset(&mut self) {}
    }

    impl crate::NamedSystem for Idle {
        const NAME: &'static str = "idle";
        const ABOUT: &'static str = "does nothing";
        type Config = ();
        fn build(_: &crate::Scenario, _: &()) -> Result<Self, String> {
            Ok(Idle)
        }
    }

    fn systems() -> Systems {
        let mut systems = Systems::default();
        systems.add::<Idle>();
        systems
    }

    #[test]
    fn systems_and_bugs_are_checked_by_name() {
        let flags = |f: &[&str]| parse(&f.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let s = flags(&[]).to_scenario(1, &systems()).unwrap();
        assert_eq!(s.system.name, "idle");
        let bad = flags(&["--system", "etcd"])
            .to_scenario(1, &systems())
            .unwrap_err();
        assert!(
            bad.to_string()
                .contains("unknown system \"etcd\": this binary has idle"),
            "{bad}"
        );
        let bad = flags(&["--bug", "x"])
            .to_scenario(1, &systems())
            .unwrap_err();
        assert!(
            bad.to_string().contains("system idle has no planted bugs"),
            "{bad}"
        );
    }

    #[test]
    fn the_default_is_a_swarm_mix_of_the_seed_and_lists_are_checked() {
        let systems = systems();
        let defaults = parse(&[]);
        let a = defaults.to_scenario(1, &systems).unwrap().nemesis;
        assert!(a.is_active());
        assert_eq!(a, defaults.to_scenario(1, &systems).unwrap().nemesis);
        let mixes: std::collections::BTreeSet<String> = (0..10)
            .map(|seed| defaults.to_scenario(seed, &systems).unwrap().nemesis.mix())
            .collect();
        assert!(mixes.len() > 3, "{mixes:?}");

        let flags = |f: &[&str]| parse(&f.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let none = flags(&["--nemesis", "none"])
            .to_scenario(1, &systems)
            .unwrap();
        assert!(!none.nemesis.is_active());
        let listed = flags(&["--nemesis", "crash", "--nemesis-interval-ms", "300"]);
        let config = listed.to_scenario(1, &systems).unwrap().nemesis;
        assert_eq!((config.kinds.len(), config.interval_ms), (1, 300));
        let bad = flags(&["--nemesis", "gc"])
            .to_scenario(1, &systems)
            .unwrap_err();
        assert!(
            bad.to_string()
                .contains("--nemesis: unknown nemesis \"gc\""),
            "{bad}"
        );
        let bad = flags(&["--nemesis-interval-ms", "soon"])
            .to_scenario(1, &systems)
            .unwrap_err();
        assert!(bad.to_string().contains("--nemesis-interval-ms"), "{bad}");
    }

    #[test]
    fn every_flag_is_printed() {
        let flags = ScenarioArgs {
            bugs: vec!["old-term-commit".into()],
            system: Some("x".into()),
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
