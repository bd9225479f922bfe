//! What travels between nodes and from clients: one request frame, one
//! reply frame, on a connection a node (or client) opened.

use crate::types::{NodeId, TypeConfig};
use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::{Deserialize, Serialize};
use workloads::RegisterOp;

/// A request to a node.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// openraft's AppendEntries RPC.
    Append(AppendEntriesRequest<TypeConfig>),
    /// openraft's RequestVote RPC.
    Vote(VoteRequest<NodeId>),
    /// One chunk of openraft's InstallSnapshot RPC.
    Snapshot(InstallSnapshotRequest<TypeConfig>),
    /// A client operation, numbered by the client's connection.
    Client {
        /// Echoed in the reply, so a late reply is recognised.
        seq: u64,
        /// The operation.
        op: RegisterOp,
    },
}

/// A node's reply to a [`Request`].
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    /// To [`Request::Append`].
    Append(Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>>),
    /// To [`Request::Vote`].
    Vote(Result<VoteResponse<NodeId>, RaftError<NodeId>>),
    /// To [`Request::Snapshot`].
    Snapshot(Result<InstallSnapshotResponse<NodeId>, RaftError<NodeId, InstallSnapshotError>>),
    /// To [`Request::Client`].
    Client {
        /// The request's `seq`.
        seq: u64,
        /// What became of the operation.
        result: ClientResult,
    },
}

/// What became of a client operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientResult {
    /// It happened; a read carries the value it saw.
    Ok(Option<i64>),
    /// A cas found another value: nothing changed.
    CasMismatch,
    /// Not done, certainly: this node does not lead (the leader it knows,
    /// if any). Safe to retry elsewhere.
    NotLeader(Option<NodeId>),
    /// It may or may not have happened.
    Unknown(String),
}
