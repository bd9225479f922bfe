//! Planted bugs: classic mistakes the harness must catch, each off by
//! default and switched on by name (`--bug NAME`).
//!
//! Each bug is one flag read in one place:
//!
//! | bug | where |
//! |---|---|
//! | `stale-follower-read` | [`Raft::on_client`](super::raft::Raft) (leader.rs) |
//! | `lease-read-skew`, `lease-read-pause` | `Raft::lease_holds` (leader.rs) |
//! | `ack-before-commit` | `Raft::on_client` (leader.rs) |
//! | `old-term-commit` | `Raft::counts_old_terms` (leader.rs), asked by the commit rule and by `become_leader` |
//! | `retry-duplicate` | `ClusterClient::call` (client.rs) |
//! | `ack-before-fsync` | `Shell::flush` (node.rs) |
//! | `slow-append` | `Raft::sends_entries_at_once` (leader.rs), asked by `replicate_to_idle` and `on_append_reply` |
//!
//! `slow-append` is a planted *slowdown*, not a safety bug: the leader
//! holds each new entry until its next heartbeat tick (every 50 ms)
//! instead of sending it at once, as a leader that batches on a timer
//! does. Every history stays linearizable; writes and cas wait up to a
//! heartbeat longer. It is not in [`Bug::ALL`] (the detection matrix and
//! the natural mixes are for bugs the checker finds); `harness compare`
//! finds it (README, "Compare two versions").
//!
//! The two lease bugs also switch on what makes a lease sound in the first
//! place (a node that heard from a leader refuses votes for an election
//! timeout), so that each is exactly its one flaw. Their leader trusts the
//! flawed lease for leadership too: while it believes the lease holds, it
//! does not step down by check-quorum (`Raft::heartbeat`, leader.rs).
//!
//! `old-term-commit` is the whole mistake: a leader that commits earlier
//! terms' entries by counting replicas sees no need for a no-op entry of
//! its own term at election, and appends none (Raft paper, figure 8).
//!
//! With any bug on, the core's own invariants that a bug can break (a
//! committed entry truncated, two leaders in one term) are logged as
//! errors and the node carries on, so that the checker, not a panic,
//! reports the bug; with none on they still panic.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One planted bug.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
#[clap(rename_all = "kebab-case")]
pub enum Bug {
    /// Followers answer reads from their local state instead of redirecting.
    StaleFollowerRead,
    /// The leader serves reads under a lease timed by its skewable wall clock.
    LeaseReadSkew,
    /// The leader checks its lease, then a pause may hit before it answers.
    LeaseReadPause,
    /// The leader acknowledges a write or cas once it is appended locally.
    AckBeforeCommit,
    /// The leader commits entries of earlier terms by counting replicas,
    /// and so appends no no-op entry of its own term at election.
    OldTermCommit,
    /// The client re-sends a timed-out write or cas under a fresh request id.
    RetryDuplicate,
    /// Nodes acknowledge appends and votes before syncing them to disk.
    AckBeforeFsync,
    /// A slowdown, not a safety bug: the leader holds each new entry until
    /// its next heartbeat tick instead of sending it at once.
    SlowAppend,
}

impl Bug {
    /// Every bug, in declaration order.
    pub const ALL: [Bug; 7] = [
        Bug::StaleFollowerRead,
        Bug::LeaseReadSkew,
        Bug::LeaseReadPause,
        Bug::AckBeforeCommit,
        Bug::OldTermCommit,
        Bug::RetryDuplicate,
        Bug::AckBeforeFsync,
    ];

    /// The planted slowdowns: bugs that cost latency, never correctness.
    pub const SLOWDOWNS: [Bug; 1] = [Bug::SlowAppend];

    /// The bug's kebab-case name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Bug::StaleFollowerRead => "stale-follower-read",
            Bug::LeaseReadSkew => "lease-read-skew",
            Bug::LeaseReadPause => "lease-read-pause",
            Bug::AckBeforeCommit => "ack-before-commit",
            Bug::OldTermCommit => "old-term-commit",
            Bug::RetryDuplicate => "retry-duplicate",
            Bug::AckBeforeFsync => "ack-before-fsync",
            Bug::SlowAppend => "slow-append",
        }
    }
}

impl Bug {
    /// What the mistake is, in one line (for `--help`).
    pub fn about(self) -> &'static str {
        match self {
            Bug::StaleFollowerRead => "followers answer reads from their local state instead of redirecting",
            Bug::LeaseReadSkew => "the leader serves reads under a lease timed by its skewable wall clock",
            Bug::LeaseReadPause => "the leader checks its lease, then a pause may hit before it answers",
            Bug::AckBeforeCommit => "the leader acknowledges a write or cas once it is appended locally",
            Bug::OldTermCommit => "the leader commits earlier terms' entries by counting replicas (no no-op at election)",
            Bug::RetryDuplicate => "the client re-sends a timed-out write or cas under a fresh request id",
            Bug::AckBeforeFsync => "nodes acknowledge appends and votes before syncing them to disk",
            Bug::SlowAppend => "a slowdown, still linearizable: the leader holds each new entry until its next heartbeat tick (50 ms) instead of sending it at once",
        }
    }
}

impl std::fmt::Display for Bug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The set of bugs switched on in a cluster (empty: a correct cluster).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bugs(pub BTreeSet<Bug>);

impl Bugs {
    /// True if `bug` is switched on.
    pub fn has(&self, bug: Bug) -> bool {
        self.0.contains(&bug)
    }

    /// True if any correctness bug is on (not only a slowdown): then
    /// invariants that only a bug can break are
    /// logged as errors instead of stopping the node.
    pub fn any(&self) -> bool {
        // A planted slowdown breaks no invariant: with only it on, the
        // core still panics on a broken one.
        self.0.iter().any(|b| !Bug::SLOWDOWNS.contains(b))
    }

    /// True if the leader serves reads under a lease (either lease bug).
    pub fn uses_leases(&self) -> bool {
        self.has(Bug::LeaseReadSkew) || self.has(Bug::LeaseReadPause)
    }
}

impl FromIterator<Bug> for Bugs {
    fn from_iter<I: IntoIterator<Item = Bug>>(iter: I) -> Self {
        Bugs(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_clap() {
        for bug in Bug::ALL.into_iter().chain(Bug::SLOWDOWNS) {
            let json = serde_json::to_string(&bug).unwrap();
            assert_eq!(json, format!("\"{}\"", bug.name()));
            assert_eq!(serde_json::from_str::<Bug>(&json).unwrap(), bug);
            assert_eq!(
                <Bug as clap::ValueEnum>::from_str(bug.name(), false),
                Ok(bug)
            );
        }
        let slow: Bugs = [Bug::SlowAppend].into_iter().collect();
        assert!(!slow.any(), "a slowdown alone keeps the invariants' panics");
        let bugs: Bugs = [Bug::LeaseReadPause].into_iter().collect();
        assert!(bugs.uses_leases() && !Bugs::default().uses_leases());
        assert!(serde_json::from_str::<Bug>("\"gc-pause\"").is_err());
    }
}
