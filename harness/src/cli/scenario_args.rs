//! The scenario flags shared by `harness run` and `harness sweep`, and the
//! way back from a parsed set of flags to a command line (for the
//! paste-able `harness run --seed N ...` line a sweep prints per failure).

use super::registry::Systems;
use crate::scenario::Scenario;
use crate::seeds::Seeds;
use anyhow::anyhow;
use clap::Args;
use nemeses::NemesisConfig;

/// A flag that is either drawn from the seed (`auto`, the default: what
/// the swarm draws) or set to a value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Auto<T> {
    /// Drawn from the seed.
    #[default]
    Drawn,
    /// This value for every seed.
    Set(T),
}

impl<T: std::str::FromStr> std::str::FromStr for Auto<T> {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "auto" => Ok(Auto::Drawn),
            _ => text
                .parse()
                .map(Auto::Set)
                .map_err(|_| format!("expected a number or `auto`, got {text:?}")),
        }
    }
}

impl<T: std::fmt::Display> std::fmt::Display for Auto<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auto::Drawn => f.write_str("auto"),
            Auto::Set(value) => value.fmt(f),
        }
    }
}

impl<T: Copy> Auto<T> {
    /// Overwrites `target` when set; leaves the drawn value otherwise.
    fn apply(self, target: &mut T) {
        if let Auto::Set(value) = self {
            *target = value;
        }
    }
}

/// Everything about a run except its seed and where it is written.
///
/// A field added here must also be printed by [`ScenarioArgs::flags`]; a
/// test checks every flag round-trips. Flags that take `auto` (their
/// default) are drawn from the seed, as the swarm draws them.
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
    /// Concurrent client workers (`auto`: 3 to 8, drawn).
    #[arg(long, default_value = "auto")]
    pub clients: Auto<usize>,
    /// Number of keys the clients read and write (`auto`: at least one per
    /// 500 ops, up to 3 more).
    #[arg(long, default_value = "auto")]
    pub keys: Auto<usize>,
    /// Percent of ops that are reads; the rest are half writes, half cas
    /// (`auto`: 40 to 90).
    #[arg(long, default_value = "auto")]
    pub reads_pct: Auto<u32>,
    /// Values are drawn from 0 up to this (excluded): few make cas succeed
    /// often, many make each written value tell which write it came from
    /// (`auto`: 5 to 300).
    #[arg(long, default_value = "auto")]
    pub values: Auto<i64>,
    /// Client operations in total (`auto`: 1,000 to 2,500).
    #[arg(long, default_value = "auto")]
    pub ops: Auto<usize>,
    /// Milliseconds a client waits for a reply before recording the op as
    /// indeterminate (`info`; `auto`: 300 to 2,000).
    #[arg(long, default_value = "auto")]
    pub deadline_ms: Auto<u64>,
    /// Faults: `swarm` (a mix drawn per seed: some nemeses on, others off,
    /// with drawn rates; recorded in config.json), `all`, `none`, or a list
    /// of pause, delay, partition, timeout, clock, crash.
    #[arg(long, default_value = "swarm")]
    pub nemesis: String,
    /// Mean time between two fault starts, all nemeses together; `auto`:
    /// drawn by swarm, else 500.
    #[arg(long, default_value = "auto")]
    pub nemesis_interval_ms: String,
    /// Longest pause (pauses are long-tailed: most are far shorter;
    /// `auto`: the swarm's or 5,000).
    #[arg(long, default_value = "auto")]
    pub pause_ms_max: Auto<u64>,
    /// Longest partition (`auto`: drawn, 500 to 2,500).
    #[arg(long, default_value = "auto")]
    pub partition_ms_max: Auto<u64>,
    /// Longest time a crashed node stays down (`auto`: drawn, 300 to 2,000).
    #[arg(long, default_value = "auto")]
    pub crash_ms_max: Auto<u64>,
    /// Largest clock bump, either way (`auto`: 5,000).
    #[arg(long, default_value = "auto")]
    pub clock_bump_ms_max: Auto<u64>,
    /// After the final heal, the time the cluster has to answer a read of
    /// every key before the run fails with a liveness error.
    #[arg(long, default_value_t = NemesisConfig::default().quiet_ms)]
    pub quiet_ms: u64,
    /// Planted bugs to switch on in the system (repeat the flag or give a
    /// comma list; none by default; each system's are listed below).
    #[arg(long = "bug", value_delimiter = ',')]
    pub bugs: Vec<String>,
    /// Run the system's default configuration instead of the knobs (for
    /// the built-in Raft cluster: timeouts, heartbeat, batch size) that
    /// each seed draws.
    #[arg(long)]
    pub default_config: bool,
}

impl ScenarioArgs {
    /// The scenario these flags describe, with `seed`; an error says which
    /// number makes no sense.
    pub fn to_scenario(&self, seed: u64, systems: &Systems) -> anyhow::Result<Scenario> {
        let system = systems
            .get(self.system.as_deref())
            .map_err(|e| anyhow!("--system: {e}"))?;
        let spec = system
            .spec(seed, !self.default_config, &self.bugs)
            .map_err(|e| anyhow!("--bug: {e}"))?;
        let drawn = Scenario::with_seed(seed);
        let mut scenario = Scenario {
            nodes: self.nodes,
            nemesis: self.nemesis_config(seed)?,
            system: spec,
            ..drawn
        };
        scenario.workload.kind = self.workload.clone();
        self.clients.apply(&mut scenario.clients);
        self.ops.apply(&mut scenario.ops);
        self.deadline_ms.apply(&mut scenario.deadline_ms);
        self.keys.apply(&mut scenario.workload.keys);
        self.values.apply(&mut scenario.workload.values);
        self.reads_pct.apply(&mut scenario.workload.reads_pct);
        scenario.validate().map_err(anyhow::Error::msg)?;
        system.check(&scenario).map_err(anyhow::Error::msg)?;
        Ok(scenario)
    }

    /// The nemesis part of the scenario: the swarm mix of `seed` (its
    /// faults, triggers and buggify) or the listed nemeses, with the knobs
    /// given.
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
        self.pause_ms_max.apply(&mut config.pause.ms_max);
        config.pause.ms_min = config.pause.ms_min.min(config.pause.ms_max);
        self.partition_ms_max.apply(&mut config.partition.ms_max);
        config.partition.ms_min = config.partition.ms_min.min(config.partition.ms_max);
        self.crash_ms_max.apply(&mut config.crash.ms_max);
        config.crash.ms_min = config.crash.ms_min.min(config.crash.ms_max);
        self.clock_bump_ms_max.apply(&mut config.clock.bump_ms_max);
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
        let mut flags: Vec<String> = system
            .chain(pairs)
            .chain(bugs)
            .flat_map(|(flag, value)| [flag.to_string(), value])
            .collect();
        if self.default_config {
            flags.push("--default-config".into());
        }
        flags
    }

    /// The paste-able command that runs `seed` alone with these flags.
    pub fn run_command(&self, seed: u64) -> String {
        format!("harness run --seed {seed} {}", self.flags().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::{Auto, ScenarioArgs};
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
            clients: Auto::Set(7),
            keys: Auto::Set(2),
            reads_pct: Auto::Set(80),
            values: Auto::Set(100),
            ops: Auto::Set(33),
            deadline_ms: Auto::Set(250),
            nemesis: "pause,crash".into(),
            nemesis_interval_ms: "700".into(),
            pause_ms_max: Auto::Set(900),
            partition_ms_max: Auto::Drawn,
            crash_ms_max: Auto::Set(700),
            clock_bump_ms_max: Auto::Set(600),
            quiet_ms: 5_000,
            bugs: vec!["lease-read-pause".into(), "ack-before-fsync".into()],
            default_config: true,
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
            default_config: true,
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
