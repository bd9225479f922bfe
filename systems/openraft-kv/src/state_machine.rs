//! The KV state machine (`RaftStateMachine`): registers of integers.
//!
//! It lives in memory: after a restart openraft applies the log again from
//! the start (the log is never purged, see [`crate::node::raft_config`]).
//! Snapshots are the state serialised; with the snapshot policy `Never`
//! a leader sends one only to a follower that needs purged entries, which
//! cannot happen, but the path is real, not stubbed.

use crate::types::{Applied, Command, NodeId, TypeConfig};
use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    BasicNode, Entry, EntryPayload, LogId, RaftSnapshotBuilder, SnapshotMeta, StorageError,
    StorageIOError, StoredMembership,
};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::rc::Rc;

/// The applied state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct KvState {
    /// The last entry applied.
    pub last_applied: Option<LogId<NodeId>>,
    /// The last membership applied.
    pub last_membership: StoredMembership<NodeId, BasicNode>,
    /// Every key ever set, with its value.
    pub data: BTreeMap<String, i64>,
}

impl KvState {
    /// Applies one command.
    pub fn apply(&mut self, command: &Command) -> Applied {
        match command {
            Command::Write { key, value } => {
                self.data.insert(key.clone(), *value);
                Applied::Done
            }
            Command::Cas { key, expected, new } => {
                if self.data.get(key) == Some(expected) {
                    self.data.insert(key.clone(), *new);
                    Applied::Done
                } else {
                    Applied::CasMismatch
                }
            }
        }
    }
}

/// The last snapshot built or installed: its meta and its bytes.
type StoredSnapshot = (SnapshotMeta<NodeId, BasicNode>, Vec<u8>);

/// The state machine of one node; clones share it, so the node's request
/// handler reads what openraft applied.
#[derive(Clone, Debug, Default)]
pub struct StateMachine {
    state: Rc<RefCell<KvState>>,
    snapshot: Rc<RefCell<Option<StoredSnapshot>>>,
    snapshots_built: Rc<RefCell<u64>>,
}

impl StateMachine {
    /// The value of `key`, as applied so far.
    pub fn get(&self, key: &str) -> Option<i64> {
        self.state.borrow().data.get(key).copied()
    }

    /// The last entry applied.
    pub fn last_applied(&self) -> Option<LogId<NodeId>> {
        self.state.borrow().last_applied
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<NodeId>> {
        let state = self.state.borrow().clone();
        let data =
            serde_json::to_vec(&state).map_err(|e| StorageIOError::read_state_machine(&e))?;
        let n = {
            let mut built = self.snapshots_built.borrow_mut();
            *built += 1;
            *built
        };
        let last = state.last_applied;
        let meta = SnapshotMeta {
            last_log_id: last,
            last_membership: state.last_membership.clone(),
            snapshot_id: match last {
                Some(l) => format!("{}-{}-{n}", l.leader_id, l.index),
                None => format!("--{n}"),
            },
        };
        *self.snapshot.borrow_mut() = Some((meta.clone(), data.clone()));
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<NodeId>>, StoredMembership<NodeId, BasicNode>), StorageError<NodeId>>
    {
        let state = self.state.borrow();
        Ok((state.last_applied, state.last_membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Applied>, StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>>,
    {
        let mut state = self.state.borrow_mut();
        let mut out = Vec::new();
        for entry in entries {
            state.last_applied = Some(entry.log_id);
            out.push(match &entry.payload {
                EntryPayload::Blank => Applied::Done,
                EntryPayload::Normal(command) => state.apply(command),
                EntryPayload::Membership(m) => {
                    state.last_membership = StoredMembership::new(Some(entry.log_id), m.clone());
                    Applied::Done
                }
            });
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<NodeId>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<NodeId>> {
        let data = snapshot.into_inner();
        let state: KvState = serde_json::from_slice(&data)
            .map_err(|e| StorageIOError::read_snapshot(Some(meta.signature()), &e))?;
        *self.state.borrow_mut() = state;
        *self.snapshot.borrow_mut() = Some((meta.clone(), data));
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<TypeConfig>>, StorageError<NodeId>> {
        Ok(self
            .snapshot
            .borrow()
            .as_ref()
            .map(|(meta, data)| Snapshot {
                meta: meta.clone(),
                snapshot: Box::new(Cursor::new(data.clone())),
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cas_changes_only_a_matching_value() {
        let mut s = KvState::default();
        let w = |v| Command::Write {
            key: "k".into(),
            value: v,
        };
        let cas = |e, n| Command::Cas {
            key: "k".into(),
            expected: e,
            new: n,
        };
        assert_eq!(s.apply(&cas(0, 1)), Applied::CasMismatch, "never written");
        assert_eq!(s.apply(&w(3)), Applied::Done);
        assert_eq!(s.apply(&cas(2, 9)), Applied::CasMismatch);
        assert_eq!(s.apply(&cas(3, 4)), Applied::Done);
        assert_eq!(s.data.get("k"), Some(&4));
    }
}
