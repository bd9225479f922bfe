//! The openraft type configuration and the KV commands it replicates.

use crate::runtime::SimRuntime;
use serde::{Deserialize, Serialize};
use std::io::Cursor;

/// A replicated mutation (reads are not logged: they go through
/// `ensure_linearizable`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Set `key` to `value`.
    Write {
        /// The key.
        key: String,
        /// The value.
        value: i64,
    },
    /// Set `key` to `new` if it holds `expected`.
    Cas {
        /// The key.
        key: String,
        /// The value it must hold.
        expected: i64,
        /// The value it gets.
        new: i64,
    },
}

/// What applying one log entry did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Applied {
    /// The command took effect (or the entry was not a command).
    Done,
    /// A cas found another value: nothing changed.
    CasMismatch,
}

openraft::declare_raft_types!(
    /// openraft's types for the KV store: node ids are node numbers, time
    /// and tasks go through [`SimRuntime`].
    pub TypeConfig:
        D = Command,
        R = Applied,
        NodeId = u64,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = SimRuntime,
);

/// The Raft instance of one node.
pub type Raft = openraft::Raft<TypeConfig>;
/// A node's id as openraft knows it.
pub type NodeId = u64;
