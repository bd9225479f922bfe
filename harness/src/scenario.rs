//! A run's complete configuration: everything needed to replay it, saved as
//! `config.json`.
//!
//! The generic part (seed, sizes, workload, deadlines, faults, topology) is
//! the harness's; the [`SystemSpec`] section names the system under test
//! and holds its own configuration (for the built-in Raft cluster, its
//! planted bugs), so a run directory says exactly which variant ran.

use nemeses::NemesisConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use workloads::WorkloadConfig;

/// The harness version written into every `config.json`.
pub const HARNESS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Most nodes a scenario may have.
pub const NODES_MAX: usize = 9;
/// Most concurrent client workers.
pub const CLIENTS_MAX: usize = 1_000;
/// Most client operations of one run.
pub const OPS_MAX: usize = 10_000_000;
/// Longest simulated duration of a run, and bound of every time knob (a
/// day, in milliseconds).
pub const MS_MAX: u64 = 24 * 3600 * 1000;

/// One seeded run. The same scenario gives the same history, byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The one number all randomness flows from.
    pub seed: u64,
    /// Cluster size (3 or 5 is typical).
    pub nodes: usize,
    /// Concurrent client workers (logical processes on the client hosts).
    pub clients: usize,
    /// Client operations to run in total.
    pub ops: usize,
    /// What the clients do.
    pub workload: WorkloadConfig,
    /// Time a client waits for an op before recording it as `info`.
    pub deadline_ms: u64,
    /// Each client waits up to this long between two ops.
    pub think_ms_max: u64,
    /// Network latency of every message, lower bound.
    pub latency_ms_min: u64,
    /// Network latency of every message, upper bound.
    pub latency_ms_max: u64,
    /// The run fails if the clients have not finished by this simulated time.
    pub sim_ms_max: u64,
    /// The version of the harness that wrote this scenario.
    pub harness_version: String,
    /// The faults: which nemeses, how often, their knobs (default: none).
    #[serde(default)]
    pub nemesis: NemesisConfig,
    /// Host names, port, data directory and client hosts.
    #[serde(default)]
    pub topology: Topology,
    /// The system under test and its own configuration.
    pub system: SystemSpec,
}

/// Which system runs, and how it is configured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemSpec {
    /// The name it is registered under (`raft`, `primary-backup`, …);
    /// empty when a test drives a system directly.
    pub name: String,
    /// The system's own configuration (its `NamedSystem::Config` as JSON).
    #[serde(default)]
    pub config: Value,
}

impl SystemSpec {
    /// The section naming system `S`, configured by `config`.
    pub fn of<S: crate::sut::NamedSystem>(config: &S::Config) -> Result<SystemSpec, String> {
        Ok(SystemSpec {
            name: S::NAME.to_string(),
            config: serde_json::to_value(config)
                .map_err(|e| format!("system {}: its config does not serialise: {e}", S::NAME))?,
        })
    }
}

/// Where things are: today's values are the defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Topology {
    /// The port every node listens on.
    pub port: u16,
    /// Node `i` is the host `{node_prefix}{i+1}`.
    pub node_prefix: String,
    /// The directory of durable state on each node's simulated disk.
    pub data_dir: String,
    /// Client hosts the workers are spread over (worker `w` runs on host
    /// `w mod client_hosts`); one host is named `client`, several
    /// `client1`, `client2`, …
    pub client_hosts: usize,
}

impl Default for Topology {
    fn default() -> Self {
        Topology {
            port: 7000,
            node_prefix: "n".into(),
            data_dir: "/data".into(),
            client_hosts: 1,
        }
    }
}

impl Topology {
    /// The host names of `nodes` nodes.
    pub fn node_names(&self, nodes: usize) -> Vec<String> {
        (1..=nodes)
            .map(|i| format!("{}{i}", self.node_prefix))
            .collect()
    }

    /// The host names of the client hosts.
    pub fn client_names(&self) -> Vec<String> {
        match self.client_hosts {
            1 => vec!["client".to_string()],
            n => (1..=n).map(|i| format!("client{i}")).collect(),
        }
    }

    fn validate(&self, clients: usize) -> Result<(), String> {
        let prefix_ok = !self.node_prefix.is_empty()
            && self.node_prefix.len() <= 32
            && self
                .node_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !self.node_prefix.starts_with("client");
        if !prefix_ok {
            return Err(format!(
                "topology.node_prefix must be 1 to 32 letters, digits or '-', not starting with \"client\"; got {:?}",
                self.node_prefix
            ));
        }
        if self.port == 0 {
            return Err("topology.port must be 1 to 65535".into());
        }
        if !self.data_dir.starts_with('/') {
            return Err(format!(
                "topology.data_dir must be an absolute path, got {:?}",
                self.data_dir
            ));
        }
        if self.client_hosts == 0 || self.client_hosts > clients {
            return Err(format!(
                "topology.client_hosts must be 1 to the number of clients ({clients}), got {}",
                self.client_hosts
            ));
        }
        Ok(())
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 0,
            nodes: 3,
            clients: 5,
            ops: 1_000,
            workload: WorkloadConfig::default(),
            deadline_ms: 1_000,
            think_ms_max: 5,
            latency_ms_min: 1,
            latency_ms_max: 5,
            sim_ms_max: 600_000,
            harness_version: HARNESS_VERSION.to_string(),
            nemesis: NemesisConfig::none(),
            topology: Topology::default(),
            system: SystemSpec::default(),
        }
    }
}

impl Scenario {
    /// The seed's swarm scenario: workload shape, clients, deadline, run
    /// length, faults, triggers and buggify all drawn from the seed
    /// ([`crate::swarm`]); what `harness run --seed N` runs.
    pub fn with_seed(seed: u64) -> Self {
        crate::swarm::draw(seed)
    }

    /// The default scenario with this seed and no faults at all.
    pub fn without_faults(seed: u64) -> Self {
        Scenario {
            seed,
            ..Self::default()
        }
    }

    /// Checks the numbers make sense; the message says which does not.
    pub fn validate(&self) -> Result<(), String> {
        let bounded = |name: &str, value: u64, max: u64| {
            if value > max {
                Err(format!("{name} must be at most {max}, got {value}"))
            } else {
                Ok(())
            }
        };
        if self.nodes == 0 || self.nodes > NODES_MAX {
            return Err(format!(
                "nodes must be 1 to {NODES_MAX}, got {}",
                self.nodes
            ));
        }
        if self.clients == 0 || self.clients > CLIENTS_MAX {
            return Err(format!(
                "clients must be 1 to {CLIENTS_MAX}, got {}",
                self.clients
            ));
        }
        if self.ops == 0 || self.ops > OPS_MAX {
            return Err(format!("ops must be 1 to {OPS_MAX}, got {}", self.ops));
        }
        self.workload.validate()?;
        if self.deadline_ms == 0 {
            return Err("deadline_ms must be at least 1".into());
        }
        bounded("deadline_ms", self.deadline_ms, MS_MAX)?;
        bounded("think_ms_max", self.think_ms_max, 60_000)?;
        bounded("latency_ms_max", self.latency_ms_max, 60_000)?;
        bounded("sim_ms_max", self.sim_ms_max, MS_MAX)?;
        if self.latency_ms_min > self.latency_ms_max {
            return Err(format!(
                "latency_ms_min ({}) exceeds latency_ms_max ({})",
                self.latency_ms_min, self.latency_ms_max
            ));
        }
        self.topology.validate(self.clients)?;
        self.nemesis.validate(self.nodes)
    }

    /// The host names of the nodes: `n1`, `n2`, …
    pub fn node_names(&self) -> Vec<String> {
        self.topology.node_names(self.nodes)
    }

    /// Reads a scenario from `config.json` text. A file written before
    /// scenarios had a `system` section (it had a top-level `bugs` list,
    /// always of the built-in Raft cluster) loads as the `raft` system with
    /// those bugs.
    pub fn from_json(text: &str) -> Result<Scenario, serde_json::Error> {
        let mut value: Value = serde_json::from_str(text)?;
        let mut legacy = false;
        if let Value::Object(map) = &mut value {
            if !map.contains_key("system") {
                // Its `bugs` would be an unknown field of today's format.
                legacy = map.contains_key("bugs");
                let bugs = map.remove("bugs").unwrap_or(Value::Array(Vec::new()));
                let config = serde_json::json!({ "bugs": bugs });
                map.insert(
                    "system".into(),
                    serde_json::json!({ "name": "raft", "config": config }),
                );
            }
        }
        match serde_json::from_value(value) {
            // Re-parse the text itself, so the error names line and column
            // (not for an older file: its re-parse would stop at `bugs`).
            Err(_) if !legacy => serde_json::from_str(text),
            parsed => parsed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_before_anything_is_allocated() {
        let ok = Scenario::without_faults(1);
        assert_eq!(ok.validate(), Ok(()));
        let cases: Vec<(Scenario, &str)> = vec![
            (
                Scenario {
                    clients: usize::MAX,
                    ..ok.clone()
                },
                "clients",
            ),
            (
                Scenario {
                    ops: usize::MAX,
                    ..ok.clone()
                },
                "ops",
            ),
            (
                Scenario {
                    think_ms_max: u64::MAX,
                    ..ok.clone()
                },
                "think_ms_max",
            ),
            (
                Scenario {
                    sim_ms_max: u64::MAX,
                    ..ok.clone()
                },
                "sim_ms_max",
            ),
            (
                Scenario {
                    workload: WorkloadConfig {
                        keys: usize::MAX,
                        ..WorkloadConfig::default()
                    },
                    ..ok.clone()
                },
                "keys",
            ),
            (
                Scenario {
                    topology: Topology {
                        client_hosts: 6,
                        ..Topology::default()
                    },
                    ..ok.clone()
                },
                "client_hosts",
            ),
        ];
        for (scenario, word) in cases {
            let err = scenario.validate().unwrap_err();
            assert!(err.contains(word), "{err}");
        }
    }

    #[test]
    fn old_configs_load_as_the_raft_system_with_their_bugs() {
        let mut old = serde_json::to_value(Scenario::without_faults(3)).unwrap();
        let map = old.as_object_mut().unwrap();
        map.remove("system");
        map.remove("topology");
        map.insert("bugs".into(), serde_json::json!(["ack-before-fsync"]));
        let loaded = Scenario::from_json(&old.to_string()).unwrap();
        assert_eq!(loaded.system.name, "raft");
        assert_eq!(
            loaded.system.config,
            serde_json::json!({"bugs": ["ack-before-fsync"]})
        );
        assert_eq!(loaded.topology, Topology::default());
        let err = Scenario::from_json("{\n  \"seed\": 1,\n  \"nodes\": \"x\"\n}").unwrap_err();
        assert_eq!(err.line(), 3, "{err}");
        let mut broken = old.clone();
        broken["nodes"] = serde_json::json!("x");
        let err = Scenario::from_json(&broken.to_string()).unwrap_err();
        assert!(
            err.to_string().contains("invalid type") && !err.to_string().contains("bugs"),
            "an older file's own error, not the re-parse's: {err}"
        );
    }

    #[test]
    fn topology_names_hosts() {
        let t = Topology {
            client_hosts: 2,
            node_prefix: "db".into(),
            ..Topology::default()
        };
        assert_eq!(t.node_names(2), ["db1", "db2"]);
        assert_eq!(t.client_names(), ["client1", "client2"]);
        assert_eq!(Topology::default().client_names(), ["client"]);
    }
}
