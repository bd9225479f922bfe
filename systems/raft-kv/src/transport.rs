//! TCP between nodes, and from clients to nodes, shaped by how turmoil TCP
//! fails (see TURMOIL.md): a stream can wedge forever without an error, a
//! connect to a crashed host hangs, and a write can block on flow control.
//!
//! - **Outbound** ([`PeerLinks`]): one task per peer owns this node's
//!   connection to that peer and sends requests on it; the peer answers on
//!   the same connection. A request unanswered for the rpc timeout means a
//!   wedged stream: the connection is dropped and reopened with backoff.
//!   Messages queued while there is no connection are dropped (Raft
//!   retries), and the node's main loop only ever pushes into a channel.
//! - **Inbound** ([`accept_loop`]): the accept loop is not gated by the
//!   pause gate; each connection gets an ungated reader task, which feeds
//!   the main loop's inbox (during a pause messages queue there in arrival
//!   order, as in a kernel socket buffer), and a gated writer task, which
//!   sends what [`Routes`] hands it.

use super::config::RaftConfig;
use super::proto::{encode, read_frame, ClientRequest, Hello, NodeId, PeerMsg};
use harness::NodeCtx;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::Notify;
use tokio::time::{sleep, sleep_until, timeout, Instant};
use turmoil::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use turmoil::net::{TcpListener, TcpStream};

/// What the network hands the node's main loop.
#[derive(Debug)]
pub enum Event {
    /// A message from a peer.
    Peer {
        /// The sender.
        from: NodeId,
        /// The message.
        msg: PeerMsg,
    },
    /// A request on client connection `conn`.
    Client {
        /// The connection, which is where the reply goes.
        conn: u64,
        /// The request.
        req: ClientRequest,
    },
}

/// Where replies go: the writer of each open inbound connection.
#[derive(Debug, Default)]
pub struct Routes {
    clients: BTreeMap<u64, UnboundedSender<Vec<u8>>>,
    peers: BTreeMap<NodeId, (u64, UnboundedSender<Vec<u8>>)>,
}

impl Routes {
    /// Queues a frame to client connection `conn` (dropped if it closed).
    pub fn to_client(&self, conn: u64, frame: Vec<u8>) {
        if let Some(tx) = self.clients.get(&conn) {
            let _ = tx.send(frame); // the connection closed meanwhile
        }
    }

    /// Queues a reply frame on the latest connection from `peer`.
    pub fn to_peer(&self, peer: NodeId, frame: Vec<u8>) {
        if let Some((_, tx)) = self.peers.get(&peer) {
            let _ = tx.send(frame); // the connection closed meanwhile
        }
    }
}

/// This node's outbound connections, one task per peer.
#[derive(Debug)]
pub struct PeerLinks {
    senders: Vec<Option<UnboundedSender<Vec<u8>>>>,
}

impl PeerLinks {
    /// Starts one gated link task per peer of `ctx`.
    pub fn start(ctx: &NodeCtx, config: &RaftConfig, inbox: UnboundedSender<Event>) -> Self {
        let senders = (0..ctx.names.len())
            .map(|peer| {
                if peer == ctx.id {
                    return None;
                }
                let (tx, rx) = unbounded_channel();
                let link = Link {
                    ctx: ctx.clone(),
                    peer,
                    addr: format!("{}:{}", ctx.names[peer], ctx.port),
                    config: config.clone(),
                    inbox: inbox.clone(),
                };
                ctx.spawn(link.run(rx));
                Some(tx)
            })
            .collect();
        PeerLinks { senders }
    }

    /// Queues a request frame to `peer`; never blocks.
    pub fn send(&self, peer: NodeId, frame: Vec<u8>) {
        if let Some(Some(tx)) = self.senders.get(peer) {
            let _ = tx.send(frame); // the link task only ends with the node
        }
    }
}

struct Link {
    ctx: NodeCtx,
    peer: NodeId,
    addr: String,
    config: RaftConfig,
    inbox: UnboundedSender<Event>,
}

/// Reply bookkeeping shared by a link's writer and its reader task.
#[derive(Default)]
struct Replies {
    count: Cell<u64>,
    last_at: Cell<Option<Instant>>,
    closed: Notify,
}

impl Link {
    async fn run(self, mut rx: UnboundedReceiver<Vec<u8>>) {
        let backoff_min = Duration::from_millis(10);
        let mut backoff = backoff_min;
        loop {
            let connect = timeout(
                self.config.connect_timeout(),
                TcpStream::connect(&self.addr),
            );
            let Ok(Ok(stream)) = connect.await else {
                while rx.try_recv().is_ok() {} // nobody to send to: drop, Raft retries
                sleep(backoff).await;
                backoff = (backoff * 2).min(self.config.rpc_timeout());
                continue;
            };
            backoff = backoff_min;
            let (read, write) = stream.into_split();
            let replies = Rc::new(Replies::default());
            // Ungated, like a kernel socket buffer: replies reach the inbox
            // during a pause and wait there, in arrival order.
            let reader = self.ctx.spawn_ungated(read_replies(
                read,
                self.peer,
                self.inbox.clone(),
                replies.clone(),
            ));
            let ended = self.pump(write, &mut rx, &replies).await;
            reader.abort();
            if ended {
                return;
            }
            tracing::debug!(peer = self.peer, "link to peer dropped; reconnecting");
        }
    }

    /// Sends queued frames until the connection fails or wedges (false) or
    /// the node shuts down (true).
    async fn pump(
        &self,
        mut write: OwnedWriteHalf,
        rx: &mut UnboundedReceiver<Vec<u8>>,
        replies: &Replies,
    ) -> bool {
        let rpc_timeout = self.config.rpc_timeout();
        let hello = encode(&Hello::Peer(self.ctx.id));
        if write.write_all(&hello).await.is_err() {
            return false;
        }
        let (mut sent, mut busy_since) = (0u64, None::<Instant>);
        // One timer, re-armed only when the reply deadline moves.
        let mut armed = Instant::now();
        let timer = sleep_until(armed);
        tokio::pin!(timer);
        loop {
            let outstanding = sent > replies.count.get();
            if !outstanding {
                busy_since = None;
            }
            if let Some(busy) = busy_since {
                let check_at =
                    replies.last_at.get().map_or(busy, |last| busy.max(last)) + rpc_timeout;
                if check_at != armed {
                    timer.as_mut().reset(check_at);
                    armed = check_at;
                }
            }
            tokio::select! {
                biased;
                _ = replies.closed.notified() => return false,
                frame = rx.recv() => {
                    let Some(frame) = frame else { return true };
                    if !outstanding {
                        busy_since = Some(Instant::now());
                    }
                    match timeout(rpc_timeout, write.write_all(&frame)).await {
                        Ok(Ok(())) => sent += 1,
                        _ => return false,
                    }
                    // A seeded fault point: the connection drops (its
                    // unanswered requests are lost; Raft retries).
                    if self.ctx.buggify("drop-connection") {
                        return false;
                    }
                }
                _ = &mut timer, if outstanding => {
                    if sent > replies.count.get() && Instant::now() >= armed {
                        tracing::debug!(peer = self.peer, "no reply within the rpc timeout");
                        return false;
                    }
                }
            }
        }
    }
}

async fn read_replies(
    mut read: OwnedReadHalf,
    from: NodeId,
    inbox: UnboundedSender<Event>,
    replies: Rc<Replies>,
) {
    let mut buf = Vec::new();
    while let Ok(Some(msg)) = read_frame::<_, PeerMsg>(&mut read, &mut buf).await {
        replies.count.set(replies.count.get() + 1);
        replies.last_at.set(Some(Instant::now()));
        if inbox.send(Event::Peer { from, msg }).is_err() {
            break;
        }
    }
    replies.closed.notify_one();
}

/// Accepts connections forever (ungated, so connects never hang on a
/// paused node). Each connection's reader is ungated too: like a kernel
/// socket buffer, it queues what arrives during a pause in the inbox, in
/// arrival order, for the (gated) main loop; its writer is gated.
pub async fn accept_loop(
    listener: TcpListener,
    ctx: NodeCtx,
    inbox: UnboundedSender<Event>,
    routes: Rc<RefCell<Routes>>,
) -> std::io::Result<()> {
    let mut next_conn = 0u64;
    loop {
        let (stream, _) = listener.accept().await?;
        next_conn += 1;
        let (read, write) = stream.into_split();
        let (tx, rx) = unbounded_channel();
        ctx.spawn(write_frames(write, rx));
        ctx.spawn_ungated(serve(read, next_conn, tx, inbox.clone(), routes.clone()));
    }
}

async fn write_frames(mut write: OwnedWriteHalf, mut rx: UnboundedReceiver<Vec<u8>>) {
    while let Some(frame) = rx.recv().await {
        if write.write_all(&frame).await.is_err() {
            return;
        }
    }
}

/// Reads one inbound connection: a hello, then requests for the main loop.
async fn serve(
    mut read: OwnedReadHalf,
    conn: u64,
    tx: UnboundedSender<Vec<u8>>,
    inbox: UnboundedSender<Event>,
    routes: Rc<RefCell<Routes>>,
) {
    let mut buf = Vec::new();
    match read_frame::<_, Hello>(&mut read, &mut buf).await {
        Ok(Some(Hello::Peer(from))) => {
            routes.borrow_mut().peers.insert(from, (conn, tx));
            while let Ok(Some(msg)) = read_frame::<_, PeerMsg>(&mut read, &mut buf).await {
                if inbox.send(Event::Peer { from, msg }).is_err() {
                    break;
                }
            }
            let mut routes = routes.borrow_mut();
            if routes.peers.get(&from).is_some_and(|(c, _)| *c == conn) {
                routes.peers.remove(&from);
            }
        }
        Ok(Some(Hello::Client)) => {
            routes.borrow_mut().clients.insert(conn, tx);
            while let Ok(Some(req)) = read_frame::<_, ClientRequest>(&mut read, &mut buf).await {
                if inbox.send(Event::Client { conn, req }).is_err() {
                    break;
                }
            }
            routes.borrow_mut().clients.remove(&conn);
        }
        _ => {} // closed or garbled before saying hello
    }
}
