//! One node: openraft with the disk log store, the KV state machine and
//! the TCP network, serving peers' RPCs and clients' operations.
//!
//! The accept loop is the node's root future and is not gated (a gated
//! accept makes peers' connects hang); every connection handler, and every
//! task openraft spawns, goes through [`SimRuntime::spawn`], so the pause
//! gate stops them all.

use crate::board::Board;
use crate::log_store::LogStore;
use crate::network::Network;
use crate::proto::{ClientResult, Reply, Request};
use crate::runtime::{InNode, NodeScope, SimRuntime};
use crate::state_machine::StateMachine;
use crate::types::{Applied, Command, NodeId, Raft};
use crate::Config;
use harness::NodeCtx;
use openraft::error::{CheckIsLeaderError, ClientWriteError, InitializeError, RaftError};
use openraft::{AsyncRuntime, BasicNode, ServerState, SnapshotPolicy};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use turmoil::net::{TcpListener, TcpStream};
use workloads::RegisterOp;

/// How long one RPC between nodes may take (connect, send, reply).
pub const RPC_TIMEOUT: Duration = Duration::from_millis(100);
/// How long a node works on one client operation before answering that
/// its outcome is unknown.
pub const SERVE_TIMEOUT: Duration = Duration::from_millis(1_000);

/// openraft's configuration: the built-in cluster's timing (heartbeats
/// every 50 ms, elections after 150–300 ms), no snapshots, so the log is
/// never purged.
pub fn raft_config() -> openraft::Config {
    openraft::Config {
        cluster_name: "openraft-kv".into(),
        heartbeat_interval: 50,
        election_timeout_min: 150,
        election_timeout_max: 300,
        snapshot_policy: SnapshotPolicy::Never,
        ..openraft::Config::default()
    }
}

/// What a connection handler needs.
struct Node {
    id: NodeId,
    raft: Raft,
    sm: StateMachine,
    stale_reads: bool,
}

/// Runs one incarnation of node `ctx.id`.
pub async fn run(mut ctx: NodeCtx, config: Config, board: Board) -> turmoil::Result {
    let scope = NodeScope::new(&mut ctx);
    InNode::new(scope, serve(ctx, config, board)).await
}

async fn serve(ctx: NodeCtx, config: Config, board: Board) -> turmoil::Result {
    let flush_before_sync = config.has(crate::FLUSH_BEFORE_SYNC);
    let store = LogStore::open(&ctx.data_dir, flush_before_sync)?;
    if flush_before_sync {
        SimRuntime::spawn(store.clone().group_commit());
    }
    let sm = StateMachine::default();
    let addrs: Vec<String> = ctx
        .names
        .iter()
        .map(|name| format!("{name}:{}", ctx.port))
        .collect();
    let network = Network {
        addrs: addrs.clone(),
        rpc_timeout: RPC_TIMEOUT,
        backoff: Duration::from_millis(raft_config().heartbeat_interval),
    };
    let raft_config = raft_config().validate().map_err(|e| e.to_string())?;
    let id = ctx.id as NodeId;
    let raft = Raft::new(id, Arc::new(raft_config), network, store, sm.clone())
        .await
        .map_err(|e| e.to_string())?;
    SimRuntime::spawn(board.follow(ctx.id, raft.clone()));
    // Node 0 starts the cluster on its first start; the others learn the
    // membership from it. A node that has a log already says NotAllowed.
    if ctx.id == 0 {
        let members: BTreeMap<NodeId, BasicNode> = addrs
            .iter()
            .enumerate()
            .map(|(i, addr)| (i as NodeId, BasicNode::new(addr)))
            .collect();
        match raft.initialize(members).await {
            Ok(()) | Err(RaftError::APIError(InitializeError::NotAllowed(_))) => {}
            Err(e) => return Err(e.to_string().into()),
        }
    }
    let node = Rc::new(Node {
        id,
        raft,
        sm,
        stale_reads: config.has(crate::STALE_READ),
    });
    let listener = TcpListener::bind(("0.0.0.0", ctx.port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        SimRuntime::spawn(handle(stream, node.clone()));
    }
}

/// Answers the requests of one connection, in order.
async fn handle(mut stream: TcpStream, node: Rc<Node>) {
    while let Ok(Some(request)) = crate::wire::read::<_, Request>(&mut stream).await {
        let reply = match request {
            Request::Append(rpc) => Reply::Append(node.raft.append_entries(rpc).await),
            Request::Vote(rpc) => Reply::Vote(node.raft.vote(rpc).await),
            Request::Snapshot(rpc) => Reply::Snapshot(node.raft.install_snapshot(rpc).await),
            Request::Client { seq, op } => {
                let result = tokio::time::timeout(SERVE_TIMEOUT, node.client_op(op))
                    .await
                    .unwrap_or_else(|_| ClientResult::Unknown("node timeout".into()));
                Reply::Client { seq, result }
            }
        };
        if stream.write_all(&crate::wire::frame(&reply)).await.is_err() {
            return;
        }
    }
}

impl Node {
    /// The leader as this node's metrics know it, if it is not this node.
    fn not_leader(&self) -> Option<ClientResult> {
        let m = self.raft.metrics().borrow().clone();
        let leads = m.state == ServerState::Leader && m.current_leader == Some(self.id);
        (!leads).then_some(ClientResult::NotLeader(m.current_leader))
    }

    async fn client_op(&self, op: RegisterOp) -> ClientResult {
        let command = match op {
            RegisterOp::Read { key } => return self.read(&key).await,
            RegisterOp::Write { key, value } => Command::Write { key, value },
            RegisterOp::Cas { key, expected, new } => Command::Cas { key, expected, new },
        };
        if let Some(redirect) = self.not_leader() {
            return redirect;
        }
        match self.raft.client_write(command).await {
            Ok(resp) => match resp.data {
                Applied::Done => ClientResult::Ok(None),
                Applied::CasMismatch => ClientResult::CasMismatch,
            },
            // Not a certain "not done": openraft also answers ForwardToLeader
            // to a write whose entry a new leader truncated here, and that
            // entry may survive on another node and commit.
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f))) => {
                ClientResult::Unknown(format!("leadership moved to {:?}", f.leader_id))
            }
            Err(e) => ClientResult::Unknown(e.to_string()),
        }
    }

    /// A linearizable read: openraft confirms leadership with a quorum and
    /// waits until the read point is applied. Planted bug `stale-read`: a
    /// node that believes it leads answers from its state machine at once.
    async fn read(&self, key: &str) -> ClientResult {
        if self.stale_reads {
            return match self.not_leader() {
                Some(redirect) => redirect,
                None => ClientResult::Ok(self.sm.get(key)),
            };
        }
        match self.raft.ensure_linearizable().await {
            Ok(_) => ClientResult::Ok(self.sm.get(key)),
            Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(f))) => {
                ClientResult::NotLeader(f.leader_id)
            }
            // No quorum answered: nothing was read, try again (elsewhere).
            Err(RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(_))) => {
                ClientResult::NotLeader(None)
            }
            Err(e) => ClientResult::Unknown(e.to_string()),
        }
    }
}
