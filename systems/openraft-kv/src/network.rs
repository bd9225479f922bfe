//! openraft's network (`RaftNetworkFactory`, `RaftNetwork`) over turmoil
//! TCP, shaped by how turmoil TCP fails (TURMOIL.md): a stream can wedge
//! forever after a partition without an error, and a connect to a crashed
//! host hangs.
//!
//! A failed connect is reported as `Unreachable`, which makes openraft back
//! off for [`Network::backoff`] before the next attempt: on any other
//! network error its replication retries at once, and a connect refused at
//! once (turmoil, under a partition) would turn that into a busy loop that
//! uses up the host's ephemeral ports.
//!
//! Each openraft network client owns at most one connection and makes one
//! RPC at a time on it (openraft calls it through `&mut self`). Every RPC,
//! connect included, has a timeout; any failure drops the connection, so
//! the next RPC reconnects, and a late reply can never answer a later
//! request.

use crate::proto::{Reply, Request};
use crate::types::{NodeId, TypeConfig};
use crate::wire;
use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, Unreachable};
use openraft::network::{Backoff, RPCOption};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{BasicNode, RaftNetwork, RaftNetworkFactory};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::timeout;
use turmoil::net::TcpStream;

/// Makes a network client per target, as openraft asks.
#[derive(Clone, Debug)]
pub struct Network {
    /// `name:port` of every node, by id.
    pub addrs: Vec<String>,
    /// How long one RPC (connect, send, reply) may take.
    pub rpc_timeout: Duration,
    /// How long replication to an unreachable target waits between tries.
    pub backoff: Duration,
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Peer;

    async fn new_client(&mut self, target: NodeId, _node: &BasicNode) -> Peer {
        Peer {
            target,
            addr: self.addrs.get(target as usize).cloned(),
            rpc_timeout: self.rpc_timeout,
            backoff: self.backoff,
            conn: None,
        }
    }
}

/// The client side of one target.
#[derive(Debug)]
pub struct Peer {
    target: NodeId,
    addr: Option<String>,
    rpc_timeout: Duration,
    backoff: Duration,
    conn: Option<TcpStream>,
}

/// Why an RPC failed: before anything was sent, or after.
#[derive(Debug)]
enum Failure {
    /// The connect failed or timed out.
    Unreachable(std::io::Error),
    /// The connection broke or wedged after the request was sent.
    Network(std::io::Error),
}

impl<E: std::error::Error> From<Failure> for RPCError<NodeId, BasicNode, E> {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Unreachable(e) => RPCError::Unreachable(Unreachable::new(&e)),
            Failure::Network(e) => RPCError::Network(NetworkError::new(&e)),
        }
    }
}

type RpcError<E = openraft::error::Infallible> = RPCError<NodeId, BasicNode, RaftError<NodeId, E>>;

fn net_err<E: std::error::Error>(e: impl Into<std::io::Error>) -> RPCError<NodeId, BasicNode, E> {
    RPCError::Network(NetworkError::new(&e.into()))
}

impl Peer {
    /// One request, one reply, within the rpc timeout.
    ///
    /// The connection is taken out of `self` for the exchange and put back
    /// only after its reply was read: openraft may drop this future at its
    /// own timeout, after the request went out, and a connection kept then
    /// would hand that request's late reply to the next one.
    async fn call(&mut self, request: &Request) -> Result<Reply, Failure> {
        let Some(addr) = self.addr.clone() else {
            return Err(Failure::Unreachable(std::io::Error::other("no such node")));
        };
        let mut stream = match self.conn.take() {
            Some(stream) => stream,
            None => match timeout(self.rpc_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => return Err(Failure::Unreachable(e)),
                Err(_) => {
                    let e = std::io::Error::from(std::io::ErrorKind::TimedOut);
                    return Err(Failure::Unreachable(e));
                }
            },
        };
        let frame = wire::frame(request);
        let exchanged = timeout(self.rpc_timeout, async {
            stream.write_all(&frame).await?;
            wire::read::<_, Reply>(&mut stream)
                .await?
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))
        })
        .await;
        match exchanged {
            Ok(Ok(reply)) => {
                self.conn = Some(stream);
                Ok(reply)
            }
            Ok(Err(e)) => Err(Failure::Network(e)),
            // Wedged, or the target is down: the stream is dropped.
            Err(_) => Err(Failure::Network(std::io::Error::from(
                std::io::ErrorKind::TimedOut,
            ))),
        }
    }
}

fn unexpected(reply: &Reply) -> std::io::Error {
    std::io::Error::other(format!("unexpected reply {reply:?}"))
}

/// A remote error from the target's openraft, as openraft wants it.
fn remote<E: std::error::Error>(
    target: NodeId,
    e: RaftError<NodeId, E>,
) -> RPCError<NodeId, BasicNode, RaftError<NodeId, E>> {
    RPCError::RemoteError(openraft::error::RemoteError::new(target, e))
}

impl RaftNetwork<TypeConfig> for Peer {
    fn backoff(&self) -> Backoff {
        Backoff::new(std::iter::repeat(self.backoff))
    }

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RpcError> {
        let target = self.target;
        match self.call(&Request::Append(rpc)).await? {
            Reply::Append(Ok(resp)) => Ok(resp),
            Reply::Append(Err(e)) => Err(remote(target, e)),
            other => Err(net_err(unexpected(&other))),
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<InstallSnapshotResponse<NodeId>, RpcError<InstallSnapshotError>> {
        let target = self.target;
        match self.call(&Request::Snapshot(rpc)).await? {
            Reply::Snapshot(Ok(resp)) => Ok(resp),
            Reply::Snapshot(Err(e)) => Err(remote(target, e)),
            other => Err(net_err(unexpected(&other))),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        _option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RpcError> {
        let target = self.target;
        match self.call(&Request::Vote(rpc)).await? {
            Reply::Vote(Ok(resp)) => Ok(resp),
            Reply::Vote(Err(e)) => Err(remote(target, e)),
            other => Err(net_err(unexpected(&other))),
        }
    }
}
