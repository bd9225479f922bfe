//! What travels between nodes and between clients and nodes, and how it is
//! framed on a TCP stream: a 4-byte big-endian length, then the body in the
//! binary encoding of [`super::wire`].
//!
//! Each frame is written with one `write_all` of a single buffer, so under
//! turmoil it is one TCP segment.

use super::wire::{decode, Wire};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt};
use workloads::RegisterOp;

/// A Raft term.
pub type Term = u64;
/// A 1-based log index (0 means "before the first entry").
pub type Index = u64;
/// A node's number, `0..n`.
pub type NodeId = usize;

/// Frames larger than this are rejected as garbage.
pub const FRAME_BYTES_MAX: usize = 16 << 20;

/// One replicated log entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that created it.
    pub term: Term,
    /// What to apply.
    pub command: Command,
}

/// A state-machine command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Appended by every new leader, so it can commit an entry of its term.
    Noop,
    /// A client's write or cas, with the id used to de-duplicate retries.
    Client {
        /// Which client (worker) sent it.
        client: u64,
        /// The client's request number.
        seq: u64,
        /// The operation.
        op: RegisterOp,
    },
}

/// A message between two nodes. Requests travel on the sender's own
/// outbound connection; replies come back on the same connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerMsg {
    /// A candidate asks for a vote.
    Vote {
        /// The candidate's term.
        term: Term,
        /// The candidate's last log index.
        last_index: Index,
        /// The term of the candidate's last entry.
        last_term: Term,
    },
    /// The answer to [`PeerMsg::Vote`].
    VoteReply {
        /// The voter's term.
        term: Term,
        /// Whether the vote was granted.
        granted: bool,
    },
    /// The leader replicates entries (or just heartbeats).
    Append {
        /// The leader's term.
        term: Term,
        /// The index just before `entries`.
        prev_index: Index,
        /// The term of the entry at `prev_index`.
        prev_term: Term,
        /// Entries to store, starting at `prev_index + 1`.
        entries: Vec<Entry>,
        /// The leader's commit index.
        commit: Index,
        /// The leader's read round, echoed back to confirm leadership.
        round: u64,
    },
    /// The answer to [`PeerMsg::Append`].
    AppendReply {
        /// The follower's term.
        term: Term,
        /// Whether the entries were stored (prev matched).
        success: bool,
        /// On success the follower's match index; on failure the first
        /// index the leader should retry from, unless `conflict_term` helps.
        index: Index,
        /// On failure, the term of the follower's entry at `prev_index`.
        conflict_term: Option<Term>,
        /// The round of the request, echoed.
        round: u64,
    },
}

impl PeerMsg {
    /// True for replies, which travel back on the requester's connection.
    pub fn is_reply(&self) -> bool {
        matches!(
            self,
            PeerMsg::VoteReply { .. } | PeerMsg::AppendReply { .. }
        )
    }

    /// The term the message carries.
    pub fn term(&self) -> Term {
        match self {
            PeerMsg::Vote { term, .. }
            | PeerMsg::VoteReply { term, .. }
            | PeerMsg::Append { term, .. }
            | PeerMsg::AppendReply { term, .. } => *term,
        }
    }
}

/// A client's request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRequest {
    /// The client's id (its worker number).
    pub client: u64,
    /// The request number; a retry of the same request reuses it.
    pub seq: u64,
    /// The operation.
    pub op: RegisterOp,
}

/// A node's answer to a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientReply {
    /// The `seq` of the request answered.
    pub seq: u64,
    /// What became of it.
    pub result: ReplyResult,
}

/// What became of a client request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyResult {
    /// Done; a read carries its value.
    Ok(Option<i64>),
    /// A cas whose expected value did not match: certainly not done.
    CasMismatch,
    /// This node is not the leader; nothing was done. Try `hint`.
    NotLeader {
        /// The leader this node knows of, if any.
        hint: Option<NodeId>,
    },
    /// It may or may not have happened.
    Unknown(String),
}

/// The first frame on every connection: who is calling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hello {
    /// A peer node opens its outbound connection.
    Peer(NodeId),
    /// A client.
    Client,
}

/// Encodes `value` as one length-prefixed frame.
pub fn encode<T: Wire>(value: &T) -> Vec<u8> {
    let mut frame = vec![0u8; 4];
    value.put(&mut frame);
    let len = (frame.len() - 4) as u32;
    frame[..4].copy_from_slice(&len.to_be_bytes());
    frame
}

/// Reads one frame from `reader`; `Ok(None)` on a clean end of stream.
/// `buf` is reused between calls to avoid allocating per frame.
pub async fn read_frame<R, T>(reader: &mut R, buf: &mut Vec<u8>) -> std::io::Result<Option<T>>
where
    R: AsyncRead + Unpin,
    T: Wire,
{
    let mut len = [0u8; 4];
    match reader.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > FRAME_BYTES_MAX {
        return Err(invalid(format!(
            "frame of {len} bytes exceeds {FRAME_BYTES_MAX}"
        )));
    }
    buf.resize(len, 0);
    reader.read_exact(buf).await?;
    decode(buf)
        .map(Some)
        .ok_or_else(|| invalid(format!("undecodable frame of {len} bytes")))
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip() {
        let msg = PeerMsg::Append {
            term: 3,
            prev_index: 7,
            prev_term: 2,
            entries: vec![Entry {
                term: 3,
                command: Command::Noop,
            }],
            commit: 6,
            round: 9,
        };
        let mut bytes = encode(&msg);
        bytes.extend(encode(&Hello::Client));
        let mut reader = bytes.as_slice();
        let mut buf = Vec::new();
        let back: Option<PeerMsg> = read_frame(&mut reader, &mut buf).await.unwrap();
        assert_eq!(back, Some(msg));
        let hello: Option<Hello> = read_frame(&mut reader, &mut buf).await.unwrap();
        assert_eq!(hello, Some(Hello::Client));
        let end: Option<Hello> = read_frame(&mut reader, &mut buf).await.unwrap();
        assert_eq!(end, None);
    }
}
