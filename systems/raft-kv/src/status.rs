//! The observation board: each node publishes its term, role, commit index
//! and last log index here, so tests and nemeses can find the leader.
//! Harness-side only: node logic never reads it.

use super::proto::{Index, Term};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
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
}

/// The shared board. Cloning shares it.
#[derive(Clone, Debug, Default)]
pub struct ClusterStatus {
    nodes: Rc<RefCell<Vec<NodeStatus>>>,
}

impl ClusterStatus {
    /// Node `id` publishes its status.
    pub fn publish(&self, id: usize, status: NodeStatus) {
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
}
