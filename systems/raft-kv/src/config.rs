//! The knobs of the built-in Raft cluster.

use super::bugs::Bugs;
use super::mutants::Mutant;
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Timing and batching of the Raft cluster. The defaults suit a network of
/// 1–5 ms latency: heartbeats every 50 ms, elections after 150–300 ms of
/// silence.
///
/// This is the system's section of `config.json` (`system.config`); a
/// field left out takes its default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftConfig {
    /// A follower that hears no leader for a random time in
    /// `[election_ms_min, election_ms_max]` starts an election.
    pub election_ms_min: u64,
    /// Upper bound of the election timeout.
    pub election_ms_max: u64,
    /// How often a leader sends heartbeats to idle followers.
    pub heartbeat_ms: u64,
    /// At most this many entries in one append message.
    pub batch_entries_max: usize,
    /// A request to a peer unanswered this long is presumed lost: the
    /// connection is dropped and the request sent again on a new one.
    pub rpc_timeout_ms: u64,
    /// A connect to a peer or node that takes longer than this is abandoned
    /// (connects to a crashed host hang).
    pub connect_timeout_ms: u64,
    /// Planted bugs switched on (none by default).
    #[serde(default)]
    pub bugs: Bugs,
    /// A classic mistake from the catalogue ([`Mutant`]), for measuring
    /// the harness; test-only, absent from `config.json` when off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutant: Option<Mutant>,
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            election_ms_min: 150,
            election_ms_max: 300,
            heartbeat_ms: 50,
            batch_entries_max: 64,
            rpc_timeout_ms: 100,
            connect_timeout_ms: 100,
            bugs: Bugs::default(),
            mutant: None,
        }
    }
}

impl RaftConfig {
    /// The knobs one seed of the default exploration runs (swarm testing,
    /// [`harness::NamedSystem::swarm_config`]): election timeouts from 100
    /// to 600 ms, wide or narrow (narrow ranges split votes), heartbeats a
    /// third to a tenth of the shortest, appends of 1 to 64 entries (small
    /// batches leave followers with a matched prefix shorter than the
    /// leader's commit index), and peer timeouts shorter or longer than a
    /// delayed link's latency (short ones drop and reopen connections
    /// often, losing what was queued; Raft retries). No bugs.
    pub fn swarm(rng: &mut dyn RngCore) -> Self {
        fn pick<T: Copy>(rng: &mut dyn RngCore, options: &[T]) -> T {
            options[rng.random_range(0..options.len())]
        }
        let election_ms_min = pick(rng, &[100, 150, 300]);
        let spread_pct: u64 = pick(rng, &[25, 50, 100]);
        let heartbeat_ms = election_ms_min / pick(rng, &[3, 6, 10]);
        RaftConfig {
            election_ms_min,
            election_ms_max: election_ms_min + election_ms_min * spread_pct / 100,
            heartbeat_ms,
            batch_entries_max: pick(rng, &[1, 4, 16, 64]),
            rpc_timeout_ms: pick(rng, &[30, 100, 300]),
            connect_timeout_ms: pick(rng, &[50, 100, 300]),
            ..RaftConfig::default()
        }
    }

    /// True if `mutant` is the catalogue mistake switched on.
    pub fn has_mutant(&self, mutant: Mutant) -> bool {
        self.mutant == Some(mutant)
    }

    /// True if a planted bug or a mutant is on: then the core's own
    /// invariants log instead of panicking, so that the harness's checks
    /// must find the mistake.
    pub fn broken_on_purpose(&self) -> bool {
        self.bugs.any() || self.mutant.is_some()
    }

    /// The heartbeat interval.
    pub fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms)
    }

    /// The rpc timeout.
    pub fn rpc_timeout(&self) -> Duration {
        Duration::from_millis(self.rpc_timeout_ms)
    }

    /// How long a leader's read lease lasts from the first send of the
    /// heartbeat round a majority acknowledged: half the shortest election
    /// timeout, for which a node that heard from the leader refuses votes.
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.election_ms_min / 2)
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    /// Checks that the numbers make sense; the message says which does not.
    pub fn validate(&self) -> Result<(), String> {
        if self.election_ms_min == 0 || self.election_ms_min > self.election_ms_max {
            return Err(format!(
                "election timeout range {}..={} ms is empty or zero",
                self.election_ms_min, self.election_ms_max
            ));
        }
        if self.heartbeat_ms == 0 || self.heartbeat_ms >= self.election_ms_min {
            return Err(format!(
                "heartbeat_ms ({}) must be above 0 and below election_ms_min ({})",
                self.heartbeat_ms, self.election_ms_min
            ));
        }
        if self.batch_entries_max == 0 || self.rpc_timeout_ms == 0 || self.connect_timeout_ms == 0 {
            return Err(
                "batch_entries_max, rpc_timeout_ms and connect_timeout_ms must be > 0".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::RaftConfig;
    use crate::Cluster;
    use std::collections::BTreeSet;

    #[test]
    fn swarm_knobs_are_valid_vary_by_seed_and_repeat_by_seed() {
        let draws: Vec<RaftConfig> = (0..200)
            .map(harness::swarm::system_config::<Cluster>)
            .collect();
        assert_eq!(draws[7], harness::swarm::system_config::<Cluster>(7));
        for (seed, config) in draws.iter().enumerate() {
            assert_eq!(config.validate(), Ok(()), "seed {seed}");
            assert!(!config.broken_on_purpose(), "seed {seed}");
            assert!(config.heartbeat_ms * 2 < config.election_ms_min);
        }
        let distinct = |f: &dyn Fn(&RaftConfig) -> u64| -> usize {
            draws.iter().map(f).collect::<BTreeSet<u64>>().len()
        };
        assert_eq!(distinct(&|c| c.batch_entries_max as u64), 4);
        assert_eq!(distinct(&|c| c.election_ms_min), 3);
        assert!(distinct(&|c| c.election_ms_max) >= 6);
        assert!(distinct(&|c| c.heartbeat_ms) >= 6);
        assert_eq!(distinct(&|c| c.rpc_timeout_ms), 3);
        assert_eq!(distinct(&|c| c.connect_timeout_ms), 3);
    }
}
