//! The observation board: each node publishes its term, role, commit index
//! and last log index here, so tests and nemeses can find the leader.
//! Harness-side only: node logic never reads it.

use super::disks::Disks;
use super::ledger::Ledger;
use super::log::Log;
use super::proto::{Index, Term};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// A node's role in the protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Follows a leader (or waits for one).
    #[default]
    Follower,
    /// Asks for votes.
    Candidate,
    /// Leads its term.
    Leader,
    /// Not running (crashed, or not started yet).
    Down,
}

/// What one node last published.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// Its current term.
    pub term: Term,
    /// Its role.
    pub role: Role,
    /// Its commit index.
    pub commit: Index,
    /// Its last log index.
    pub last_index: Index,
    /// The highest index it applied.
    pub applied: Index,
    /// A digest of its applied state ([`super::kv::Kv::digest`]).
    pub digest: u64,
}

/// The shared board. Cloning shares it.
#[derive(Clone, Debug, Default)]
pub struct ClusterStatus {
    nodes: Rc<RefCell<Vec<NodeStatus>>>,
    checks: Rc<RefCell<Checks>>,
    ledger: Ledger,
    disks: Disks,
}

/// What the board saw that Raft forbids: the invariants' evidence.
#[derive(Debug, Default)]
struct Checks {
    /// The node seen leading each term.
    leaders: BTreeMap<Term, usize>,
    /// The first violations (at most [`VIOLATIONS_MAX`]).
    violations: Vec<String>,
}

/// Violations kept per run; the first ones tell the story.
const VIOLATIONS_MAX: usize = 8;

impl ClusterStatus {
    /// Node `id` publishes its status.
    pub fn publish(&self, id: usize, status: NodeStatus) {
        if status.role == Role::Leader {
            let other = *self
                .checks
                .borrow_mut()
                .leaders
                .entry(status.term)
                .or_insert(id);
            if other != id {
                self.violation(format!(
                    "two leaders in term {}: node {other} and node {id}",
                    status.term
                ));
            }
        }
        let mut nodes = self.nodes.borrow_mut();
        if nodes.len() <= id {
            let down = NodeStatus {
                role: Role::Down,
                ..NodeStatus::default()
            };
            nodes.resize(id + 1, down);
        }
        nodes[id] = status;
    }

    /// Marks node `id` as down (its last term and indexes are kept).
    pub fn mark_down(&self, id: usize) {
        let last = self.get(id).unwrap_or_default();
        self.publish(
            id,
            NodeStatus {
                role: Role::Down,
                ..last
            },
        );
    }

    /// What node `id` last published.
    pub fn get(&self, id: usize) -> Option<NodeStatus> {
        self.nodes.borrow().get(id).copied()
    }

    /// Every node's last status, by id.
    pub fn all(&self) -> Vec<NodeStatus> {
        self.nodes.borrow().clone()
    }

    /// Records a broken invariant (a node's own report, or the board's).
    pub fn violation(&self, what: String) {
        let mut checks = self.checks.borrow_mut();
        if checks.violations.len() < VIOLATIONS_MAX {
            checks.violations.push(what);
        }
    }

    /// Node `id`, now in `status`, committed `log`'s entries from `from` up
    /// to `status.commit`, in a cluster of `nodes`: a violation if one
    /// differs from the entry committed at its index before (state machine
    /// safety, watched as the run goes: [`Ledger`]), or if the commit is
    /// not one Raft defines (commitment: see `ClusterStatus::uncommitted`).
    pub fn committed(&self, id: usize, status: NodeStatus, log: &Log, from: Index, nodes: usize) {
        let to = status.commit;
        if let Some(broken) = self.ledger.commit(id, status.term, log, from, to) {
            self.violation(broken);
        }
        if let Some(broken) = self.uncommitted(id, status, log, from, nodes) {
            self.violation(broken);
        }
    }

    /// Commitment (§5.3, §5.4.2): every entry committed is on the disks of
    /// a majority, and a leader commits only up to an entry of its own
    /// term (an earlier term's entry on a majority may still be replaced,
    /// figure 8). What is wrong with node `id`'s commit of `from..=` its
    /// commit index, if anything.
    fn uncommitted(
        &self,
        id: usize,
        status: NodeStatus,
        log: &Log,
        from: Index,
        nodes: usize,
    ) -> Option<String> {
        let majority = nodes / 2 + 1;
        for index in from.max(1)..=status.commit {
            let term = log.term_at(index)?;
            let holders = self.disks.holders(index, term);
            if holders < majority {
                return Some(format!(
                    "commitment: node {id} committed index {index} (term {term}), which only \
                     {holders} of {nodes} nodes hold on disk"
                ));
            }
        }
        let top = log.term_at(status.commit)?;
        if status.role == Role::Leader && top != status.term {
            return Some(format!(
                "commitment: node {id}, leader of term {}, committed up to index {} of term \
                 {top} before any entry of its own term",
                status.term, status.commit
            ));
        }
        None
    }

    /// Node `id` became leader of `term` with `log`: a violation if the log
    /// lacks an entry committed in an earlier term (Leader Completeness,
    /// figure 3).
    pub fn became_leader(&self, id: usize, term: Term, log: &Log) {
        if let Some((index, entry)) = self.ledger.missing_from(log, term) {
            self.violation(format!(
                "leader completeness: node {id} leads term {term} without the entry committed \
                 at index {index} ({entry:?}); it holds {:?}",
                log.get(index)
            ));
        }
    }

    /// The highest index any node has committed: what a read that arrives
    /// now must see ([`ClusterStatus::answered_read`]).
    pub fn highest_committed(&self) -> Index {
        self.ledger.highest()
    }

    /// Node `id` answered a read with its state at `applied`, the read
    /// having arrived when `committed` was the highest index committed
    /// anywhere: a violation if the state is older (a linearizable read
    /// reflects every write committed before it began, §6.4), whether or
    /// not the value read tells.
    pub fn answered_read(&self, id: usize, applied: Index, committed: Index) {
        if applied < committed {
            self.violation(format!(
                "read freshness: node {id} answered a read from its state at index {applied}, \
                 though index {committed} was committed before the read arrived"
            ));
        }
    }

    /// What each node's disk holds ([`Disks`]): for the node shells to
    /// report recoveries and syncs.
    pub fn disks(&self) -> &Disks {
        &self.disks
    }

    /// Every violation recorded so far.
    pub fn violations(&self) -> Vec<String> {
        self.checks.borrow().violations.clone()
    }

    /// Why the nodes have not converged (once healed, every node must be
    /// up, have applied all it committed, and share the commit index and
    /// applied state); `None` when they have.
    pub fn divergence(&self) -> Option<String> {
        let nodes = self.nodes.borrow();
        let first = nodes.first()?;
        let same = nodes.iter().all(|s| {
            s.role != Role::Down
                && s.applied == s.commit
                && (s.commit, s.digest) == (first.commit, first.digest)
        });
        if same {
            return None;
        }
        let each: Vec<String> = nodes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                format!(
                    "node {i}: {:?} commit {} applied {} state {:016x}",
                    s.role, s.commit, s.applied, s.digest
                )
            })
            .collect();
        Some(format!(
            "after the final heal the nodes did not converge: {}",
            each.join(", ")
        ))
    }

    /// The node that believes it leads in the highest term, if any.
    pub fn leader(&self) -> Option<usize> {
        let nodes = self.nodes.borrow();
        (0..nodes.len())
            .filter(|&i| nodes[i].role == Role::Leader)
            .max_by_key(|&i| (nodes[i].term, std::cmp::Reverse(i)))
    }
}

/// Marks its node down when dropped: a crash drops the node's tasks.
#[derive(Debug)]
pub struct DownOnDrop {
    /// The board.
    pub status: ClusterStatus,
    /// The node.
    pub id: usize,
}

impl Drop for DownOnDrop {
    fn drop(&mut self) {
        self.status.mark_down(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leader_is_the_one_in_the_highest_term() {
        let board = ClusterStatus::default();
        assert_eq!(board.leader(), None);
        let leader = |term| NodeStatus {
            term,
            role: Role::Leader,
            ..NodeStatus::default()
        };
        board.publish(0, leader(2));
        board.publish(2, leader(3));
        board.publish(
            1,
            NodeStatus {
                term: 3,
                ..NodeStatus::default()
            },
        );
        assert_eq!(board.leader(), Some(2));
        drop(DownOnDrop {
            status: board.clone(),
            id: 2,
        });
        assert_eq!(board.leader(), Some(0));
        assert_eq!(
            board.get(2).map(|s| (s.role, s.term)),
            Some((Role::Down, 3))
        );
    }

    #[test]
    fn two_leaders_in_a_term_and_divergence_are_violations() {
        let board = ClusterStatus::default();
        let status = |term, role, commit, digest| NodeStatus {
            term,
            role,
            commit,
            applied: commit,
            digest,
            ..NodeStatus::default()
        };
        board.publish(0, status(2, Role::Leader, 5, 7));
        board.publish(1, status(2, Role::Follower, 5, 7));
        assert!(board.violations().is_empty());
        assert_eq!(board.divergence(), None);
        board.publish(0, status(2, Role::Leader, 6, 7));
        board.publish(1, status(2, Role::Leader, 5, 9));
        assert_eq!(
            board.violations(),
            ["two leaders in term 2: node 0 and node 1"]
        );
        let diverged = board.divergence().expect("commit and state differ");
        assert!(diverged.contains("node 1: Leader commit 5"), "{diverged}");
    }

    #[test]
    fn a_commit_a_majority_does_not_hold_and_an_old_term_commit_are_violations() {
        let board = ClusterStatus::default();
        let log = Log::of_terms(&[1, 2, 2]);
        board.disks().recovered(0, &log);
        board.disks().recovered(1, &Log::of_terms(&[1, 2]));
        board.disks().recovered(2, &Log::of_terms(&[1]));
        let at = |role, term, commit| NodeStatus {
            role,
            term,
            commit,
            ..NodeStatus::default()
        };
        board.committed(0, at(Role::Leader, 2, 2), &log, 1, 3);
        assert!(board.violations().is_empty(), "{:?}", board.violations());
        board.committed(0, at(Role::Leader, 2, 3), &log, 3, 3);
        assert!(
            board.violations()[0].contains("index 3 (term 2), which only 1 of 3"),
            "{:?}",
            board.violations()
        );
        // Index 2 is on a majority, but a leader of term 3 counting it
        // commits an earlier term's entry (figure 8).
        let board2 = ClusterStatus::default();
        for id in 0..2 {
            board2.disks().recovered(id, &log);
        }
        board2.committed(1, at(Role::Leader, 3, 2), &log, 1, 3);
        assert!(
            board2.violations()[0].contains("leader of term 3, committed up to index 2 of term 2"),
            "{:?}",
            board2.violations()
        );
        board2.committed(2, at(Role::Follower, 3, 3), &log, 1, 3);
        assert_eq!(board2.violations().len(), 1, "a follower may commit it");
    }

    #[test]
    fn a_leader_without_a_committed_entry_and_a_stale_read_are_violations() {
        let board = ClusterStatus::default();
        let log = Log::of_terms(&[1, 2]);
        for id in 0..3 {
            board.disks().recovered(id, &log);
        }
        let leader = NodeStatus {
            role: Role::Leader,
            term: 2,
            commit: 2,
            ..NodeStatus::default()
        };
        board.committed(0, leader, &log, 1, 3);
        assert_eq!(board.highest_committed(), 2);
        board.became_leader(1, 3, &log);
        board.answered_read(0, 2, 2);
        assert!(board.violations().is_empty(), "{:?}", board.violations());
        board.became_leader(2, 3, &Log::of_terms(&[1]));
        board.answered_read(1, 1, 2);
        let v = board.violations();
        assert!(
            v[0].starts_with("leader completeness: node 2 leads term 3"),
            "{v:?}"
        );
        assert!(v[1].starts_with("read freshness: node 1"), "{v:?}");
    }
}
