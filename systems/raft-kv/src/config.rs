//! The knobs of the built-in Raft cluster.

use super::bugs::Bugs;
use super::mutants::Mutant;
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
