//! The systems a CLI can run, by name: each a [`NamedSystem`] behind one
//! object-safe interface, so every verb works for every system.

use crate::runner::RunOutcome;
use crate::scenario::{Scenario, SystemSpec};
use crate::sut::{BugInfo, NamedSystem};
use std::marker::PhantomData;
use std::sync::Arc;

/// One registered system, its type erased.
pub trait SystemEntry: Send + Sync {
    /// Its name (`--system`).
    fn name(&self) -> &'static str;
    /// One line for `--help`.
    fn about(&self) -> &'static str;
    /// Its planted bugs.
    fn bugs(&self) -> Vec<BugInfo>;
    /// The `system` section of seed `seed`'s scenario: the system's swarm
    /// configuration for that seed ([`NamedSystem::swarm_config`]) with
    /// these bugs on, or its default configuration with them if `drawn`
    /// is false.
    fn spec(&self, seed: u64, drawn: bool, bugs: &[String]) -> Result<SystemSpec, String>;
    /// Checks that `scenario`'s system section builds this system.
    fn check(&self, scenario: &Scenario) -> Result<(), String>;
    /// Runs `scenario` against this system.
    fn run(&self, scenario: &Scenario) -> RunOutcome;
}

struct Entry<S>(PhantomData<fn() -> S>);

impl<S: NamedSystem> Entry<S> {
    fn build(scenario: &Scenario) -> Result<S, String> {
        S::build(scenario, &S::config_of(scenario)?)
    }
}

impl<S: NamedSystem> SystemEntry for Entry<S> {
    fn name(&self) -> &'static str {
        S::NAME
    }

    fn about(&self) -> &'static str {
        S::ABOUT
    }

    fn bugs(&self) -> Vec<BugInfo> {
        S::bugs()
    }

    fn spec(&self, seed: u64, drawn: bool, bugs: &[String]) -> Result<SystemSpec, String> {
        let base = if drawn {
            crate::swarm::system_config::<S>(seed)
        } else {
            S::Config::default()
        };
        SystemSpec::of::<S>(&S::config_with_bugs(base, bugs)?)
    }

    fn check(&self, scenario: &Scenario) -> Result<(), String> {
        Self::build(scenario).map(|_| ())
    }

    fn run(&self, scenario: &Scenario) -> RunOutcome {
        match S::config_of(scenario) {
            Ok(config) => S::run_with_config(scenario, &config),
            Err(e) => RunOutcome::failed(e),
        }
    }
}

/// The systems of one CLI, the first being the default.
#[derive(Clone, Default)]
pub struct Systems(Vec<Arc<dyn SystemEntry>>);

impl Systems {
    /// Adds `S`.
    pub fn add<S: NamedSystem>(&mut self) {
        self.0.push(Arc::new(Entry::<S>(PhantomData)));
    }

    /// Every system, in registration order.
    pub fn all(&self) -> &[Arc<dyn SystemEntry>] {
        &self.0
    }

    /// The names, comma-separated.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.0.iter().map(|s| s.name()).collect();
        names.join(", ")
    }

    /// The system `name`, or the default one for `None`; an error names
    /// the systems there are.
    pub fn get(&self, name: Option<&str>) -> Result<&dyn SystemEntry, String> {
        let Some(name) = name else {
            return self
                .0
                .first()
                .map(|s| s.as_ref())
                .ok_or_else(|| "this binary registers no system".to_string());
        };
        self.0
            .iter()
            .find(|s| s.name() == name)
            .map(|s| s.as_ref())
            .ok_or_else(|| format!("unknown system {name:?}: this binary has {}", self.names()))
    }

    /// The system a scenario names, checked to build from its config.
    pub fn for_scenario(&self, scenario: &Scenario) -> Result<&dyn SystemEntry, String> {
        let name = scenario.system.name.as_str();
        if name.is_empty() {
            return Err("the scenario names no system (system.name is empty)".into());
        }
        let system = self.get(Some(name)).map_err(|_| {
            format!(
                "the scenario is of system {name:?}, which this binary does not have (it has {}); \
                 replay it with the binary that registers {name:?}",
                self.names()
            )
        })?;
        system.check(scenario)?;
        Ok(system)
    }

    /// The `--help` section listing every system and its bugs.
    pub fn help(&self) -> String {
        let mut out = String::from("Systems (--system NAME; the first is the default):\n");
        for system in &self.0 {
            out.push_str(&format!("  {:<16} {}\n", system.name(), system.about()));
            let bugs = system.bugs();
            if !bugs.is_empty() {
                out.push_str("    planted bugs (--bug NAME):\n");
                for bug in bugs {
                    out.push_str(&format!("      {:<22} {}\n", bug.name, bug.about));
                }
            }
        }
        out
    }
}
