//! A catalogue of classic Raft implementation mistakes nobody planted: the
//! yardstick for the harness's default exploration.
//!
//! Each mutant is one realistic, one-place mistake, taken from the Raft
//! paper's figure 2 and §5 (the rules an implementation most often gets
//! wrong), Ongaro's dissertation (§6.3 client sessions, §6.4 read-only
//! queries), the MIT 6.824 "Students' Guide to Raft", and bug reports of
//! real implementations (etcd-io/raft's ReadIndex needing a committed
//! entry of the leader's term, etcd's missing directory fsync of its WAL,
//! openraft 0.9.14's vote reply counted as granted). None was written by
//! looking at what the harness already catches.
//!
//! A mutant is a test-only switch, not a `--bug`: `--help` does not list
//! it, and only a scenario's `system.config.mutant` (or the detection
//! matrix's `--mutant NAME`) turns one on. With one on, the core's own
//! invariants log instead of panicking (as with a planted bug), so that
//! the harness's checks, not an assertion, must find it.
//!
//! | mutant | class | where |
//! |---|---|---|
//! | `vote-not-persisted` | persistence | `Raft::on_peer` (vote), raft.rs |
//! | `no-dir-sync` | persistence | `Storage::open`, storage.rs |
//! | `skip-prev-term-check` | log matching | `Raft::on_append`, raft.rs |
//! | `truncate-without-conflict` | truncation | `Raft::merge_entries`, raft.rs |
//! | `follower-commit-past-match` | commit index | `Raft::on_append`, raft.rs |
//! | `vote-ignores-log` | votes | `Raft::grants_vote`, raft.rs |
//! | `vote-compares-length` | votes | `Raft::grants_vote`, raft.rs |
//! | `vote-twice-in-term` | votes | `Raft::grants_vote`, raft.rs |
//! | `stale-vote-reply-counted` | terms | `Raft::on_peer` (vote reply), raft.rs |
//! | `match-index-kept-across-terms` | commit index | `Raft::become_leader`, leader.rs |
//! | `match-from-follower-last-index` | commit index | `Raft::on_append`, raft.rs |
//! | `read-index-ignores-term-start` | read index | `Raft::read_index`, leader.rs |
//! | `read-before-apply` | read index | `Raft::read_is_confirmed`, leader.rs |
//! | `read-acked-by-stale-round` | read index | `Raft::on_peer` (append), raft.rs |
//! | `read-round-not-advanced` | read index | `Raft::on_client`, leader.rs |
//! | `seq-restarts-on-reset` | client sessions | `ClusterClient::reset`, client.rs |
//! | `sessions-keyed-by-seq` | client sessions | `Kv::apply`, kv.rs |

use serde::{Deserialize, Serialize};

/// One classic mistake, switched on by `system.config.mutant`.
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
pub enum Mutant {
    /// A vote is granted in memory and answered, but never written to
    /// disk: after a restart the node may vote again in the same term
    /// (figure 2: `votedFor` is persistent state, updated before
    /// responding).
    VoteNotPersisted,
    /// The record log is created and synced, but its directory entry never
    /// is: a crash loses the whole file, and the node comes back with no
    /// term, vote or log (etcd's WAL once lacked this fsync).
    NoDirSync,
    /// A follower accepts an append whose previous index it holds without
    /// comparing that entry's term (figure 2, AppendEntries rule 2: the
    /// consistency check behind the log matching property).
    SkipPrevTermCheck,
    /// A follower cuts its log after `prevLogIndex` on every append, even
    /// when nothing conflicts: a stale or reordered append then deletes
    /// entries it already acknowledged (figure 2, rule 3; Students' Guide).
    TruncateWithoutConflict,
    /// A follower moves its commit index to the leader's, bounded by its
    /// own last index instead of the last entry this append matched
    /// (figure 2, rule 5): it may apply a stale suffix from an old term.
    FollowerCommitPastMatch,
    /// A vote is granted without the election restriction: the
    /// candidate's log need not be as up to date (§5.4.1).
    VoteIgnoresLog,
    /// "Up to date" is judged by log length alone, not by last term first
    /// (§5.4.1; a common misreading).
    VoteComparesLength,
    /// A node grants a vote to any candidate of its term, forgetting whom
    /// it already voted for (figure 2, RequestVote rule 2).
    VoteTwiceInTerm,
    /// A candidate counts a granted vote reply without checking that it
    /// answers this term's election (openraft 0.9.14's data loss came from
    /// a vote reply wrongly taken as granted).
    StaleVoteReplyCounted,
    /// A new leader keeps its followers' match indexes from an earlier
    /// term instead of resetting them (figure 2: matchIndex is
    /// "reinitialized after election").
    MatchIndexKeptAcrossTerms,
    /// A follower reports its last log index as the match index of a
    /// successful append, though entries after the append's may be stale
    /// (Students' Guide: matchIndex is not len(log)).
    MatchFromFollowerLastIndex,
    /// A new leader serves read-index reads at its own commit index before
    /// an entry of its term has committed (dissertation §6.4; etcd-io/raft
    /// refuses ReadIndex until then).
    ReadIndexIgnoresTermStart,
    /// A read is answered once leadership is confirmed, before the state
    /// machine has applied up to its read index (§6.4 step 4).
    ReadBeforeApply,
    /// A follower rejecting an append of an older term echoes that
    /// message's read round in a reply of its own term; rounds restart
    /// every term, so the old round confirms the new leader's reads (found
    /// by reading this cluster).
    ReadAckedByStaleRound,
    /// A read joins the heartbeat round already sent, so acknowledgements
    /// of heartbeats sent before the read arrived confirm it (§6.4 step 3
    /// wants a fresh round).
    ReadRoundNotAdvanced,
    /// The client starts its request numbers again after it drops a
    /// connection, under the same client id: the cluster's session table
    /// takes new requests for old ones (dissertation §6.3).
    SeqRestartsOnReset,
    /// The state machine's session table is keyed by request number only,
    /// not by client: one client's request is taken for another's
    /// duplicate (dissertation §6.3).
    SessionsKeyedBySeq,
}

impl Mutant {
    /// Every mutant, in declaration order.
    pub const ALL: [Mutant; 17] = [
        Mutant::VoteNotPersisted,
        Mutant::NoDirSync,
        Mutant::SkipPrevTermCheck,
        Mutant::TruncateWithoutConflict,
        Mutant::FollowerCommitPastMatch,
        Mutant::VoteIgnoresLog,
        Mutant::VoteComparesLength,
        Mutant::VoteTwiceInTerm,
        Mutant::StaleVoteReplyCounted,
        Mutant::MatchIndexKeptAcrossTerms,
        Mutant::MatchFromFollowerLastIndex,
        Mutant::ReadIndexIgnoresTermStart,
        Mutant::ReadBeforeApply,
        Mutant::ReadAckedByStaleRound,
        Mutant::ReadRoundNotAdvanced,
        Mutant::SeqRestartsOnReset,
        Mutant::SessionsKeyedBySeq,
    ];

    /// The kebab-case name, as `system.config.mutant` and `--mutant` take it.
    pub fn name(self) -> &'static str {
        match self {
            Mutant::VoteNotPersisted => "vote-not-persisted",
            Mutant::NoDirSync => "no-dir-sync",
            Mutant::SkipPrevTermCheck => "skip-prev-term-check",
            Mutant::TruncateWithoutConflict => "truncate-without-conflict",
            Mutant::FollowerCommitPastMatch => "follower-commit-past-match",
            Mutant::VoteIgnoresLog => "vote-ignores-log",
            Mutant::VoteComparesLength => "vote-compares-length",
            Mutant::VoteTwiceInTerm => "vote-twice-in-term",
            Mutant::StaleVoteReplyCounted => "stale-vote-reply-counted",
            Mutant::MatchIndexKeptAcrossTerms => "match-index-kept-across-terms",
            Mutant::MatchFromFollowerLastIndex => "match-from-follower-last-index",
            Mutant::ReadIndexIgnoresTermStart => "read-index-ignores-term-start",
            Mutant::ReadBeforeApply => "read-before-apply",
            Mutant::ReadAckedByStaleRound => "read-acked-by-stale-round",
            Mutant::ReadRoundNotAdvanced => "read-round-not-advanced",
            Mutant::SeqRestartsOnReset => "seq-restarts-on-reset",
            Mutant::SessionsKeyedBySeq => "sessions-keyed-by-seq",
        }
    }

    /// The class of mistake, as the detection matrix groups them.
    pub fn class(self) -> &'static str {
        match self {
            Mutant::VoteNotPersisted | Mutant::NoDirSync => "persistence",
            Mutant::SkipPrevTermCheck | Mutant::TruncateWithoutConflict => "log matching",
            Mutant::VoteIgnoresLog
            | Mutant::VoteComparesLength
            | Mutant::VoteTwiceInTerm
            | Mutant::StaleVoteReplyCounted => "votes and terms",
            Mutant::FollowerCommitPastMatch
            | Mutant::MatchIndexKeptAcrossTerms
            | Mutant::MatchFromFollowerLastIndex => "commit index",
            Mutant::ReadIndexIgnoresTermStart
            | Mutant::ReadBeforeApply
            | Mutant::ReadAckedByStaleRound
            | Mutant::ReadRoundNotAdvanced => "read index",
            Mutant::SeqRestartsOnReset | Mutant::SessionsKeyedBySeq => "client sessions",
        }
    }
}

impl std::fmt::Display for Mutant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names = std::collections::BTreeSet::new();
        for m in Mutant::ALL {
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.name()));
            assert_eq!(serde_json::from_str::<Mutant>(&json).unwrap(), m);
            assert_eq!(
                <Mutant as clap::ValueEnum>::from_str(m.name(), false),
                Ok(m)
            );
            assert!(names.insert(m.name()), "{m} twice");
            assert!(!m.class().is_empty());
        }
    }
}
