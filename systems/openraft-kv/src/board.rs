//! Where each node publishes what openraft's metrics say of it (term,
//! whether it leads), so the harness's `leader()` can aim leader faults.
//! Harness-side only: node logic never reads it.

use crate::types::Raft;
use openraft::ServerState;
use std::cell::RefCell;
use std::rc::Rc;

/// One node's last published view; `None` while it is down.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// openraft's current term on that node.
    pub term: u64,
    /// True if openraft says the node is the leader.
    pub leader: bool,
}

/// The shared board. Cloning shares it.
#[derive(Clone, Debug, Default)]
pub struct Board {
    nodes: Rc<RefCell<Vec<Option<Seen>>>>,
}

impl Board {
    fn set(&self, id: usize, seen: Option<Seen>) {
        let mut nodes = self.nodes.borrow_mut();
        if nodes.len() <= id {
            nodes.resize(id + 1, None);
        }
        nodes[id] = seen;
    }

    /// The running node that leads in the highest term, if any.
    pub fn leader(&self) -> Option<usize> {
        let nodes = self.nodes.borrow();
        let leaders = nodes.iter().enumerate();
        leaders
            .filter_map(|(i, s)| s.filter(|s| s.leader).map(|s| (s.term, i)))
            .max()
            .map(|(_, i)| i)
    }

    /// Publishes node `id`'s metrics as they change, until the node stops
    /// (crash included: the task is dropped, and the node marked down).
    pub async fn follow(self, id: usize, raft: Raft) {
        struct Down(Board, usize);
        impl Drop for Down {
            fn drop(&mut self) {
                self.0.set(self.1, None);
            }
        }
        let _down = Down(self.clone(), id);
        let mut metrics = raft.metrics();
        loop {
            let seen = {
                let m = metrics.borrow_and_update();
                Seen {
                    term: m.current_term,
                    leader: m.state == ServerState::Leader,
                }
            };
            self.set(id, Some(seen));
            if metrics.changed().await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leader_of_the_highest_term_wins() {
        let board = Board::default();
        assert_eq!(board.leader(), None);
        board.set(
            0,
            Some(Seen {
                term: 2,
                leader: true,
            }),
        );
        board.set(
            2,
            Some(Seen {
                term: 3,
                leader: true,
            }),
        );
        board.set(
            1,
            Some(Seen {
                term: 4,
                leader: false,
            }),
        );
        assert_eq!(board.leader(), Some(2));
        board.set(2, None);
        assert_eq!(board.leader(), Some(0), "a down node does not lead");
    }
}
