//! The observation board: each node publishes its term, role, commit index
//! and last log index here, so tests and nemeses can find the leader.
//! Harness-side only: node logic never reads it.

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

    /// Node `id` committed `log`'s entries in `from..=to`: a violation if
    /// one differs from the entry committed at its index before (state
    /// machine safety, watched as the run goes: [`Ledger`]).
    pub fn committed(&self, id: usize, log: &Log, from: Index, to: Index) {
        if let Some(broken) = self.ledger.commit(id, log, from, to) {
            self.violation(broken);
        }
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
}
