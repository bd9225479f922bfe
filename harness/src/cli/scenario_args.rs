//! The scenario flags shared by `harness run` and `harness sweep`, and the
//! way back from a parsed set of flags to a command line (for the
//! paste-able `harness run --seed N ...` line a sweep prints per failure).

use crate::scenario::Scenario;
use clap::Args;

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
    /// Client operations in total.
    #[arg(long, default_value_t = Scenario::default().ops)]
    pub ops: usize,
    /// Milliseconds a client waits for a reply before recording the op as
    /// indeterminate (`info`).
    #[arg(long, default_value_t = Scenario::default().deadline_ms)]
    pub deadline_ms: u64,
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
                ..Scenario::default().workload
            },
            ..Scenario::default()
        };
        scenario.validate().map_err(anyhow::Error::msg)?;
        Ok(scenario)
    }

    /// Every flag with its value, defaults included (so the line means the
    /// same run even if a later version changes a default).
    pub fn flags(&self) -> Vec<String> {
        let pairs = [
            ("--nodes", self.nodes.to_string()),
            ("--clients", self.clients.to_string()),
            ("--keys", self.keys.to_string()),
            ("--ops", self.ops.to_string()),
            ("--deadline-ms", self.deadline_ms.to_string()),
        ];
        pairs
            .into_iter()
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
            ops: 33,
            deadline_ms: 250,
        };
        assert_eq!(parse(&args.flags()), args);
        let defaults = parse(&[]);
        assert_eq!(parse(&defaults.flags()), defaults);
    }

    #[test]
    fn every_flag_is_printed() {
        let flags = parse(&[]).flags();
        for arg in ScenarioArgs::augment_args(Command::new("run")).get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            assert!(
                flags.contains(&format!("--{long}")),
                "ScenarioArgs::flags does not print --{long}: a sweep's rerun line would lose it"
            );
        }
    }
}
