//! One node's IO shell around the sans-IO core: recover from disk, listen,
//! then loop: wait for an event or a timer, feed the core everything that
//! is ready, **persist and sync what it produced, then send** (never the
//! other way round), publish status.

use super::bugs::Bug;
use super::config::RaftConfig;
use super::mutants::Mutant;
use super::proto::{encode, Index, ReplyResult};
use super::raft::{Clocks, Input, Output, Raft, Record, Token};
use super::status::{ClusterStatus, DownOnDrop, Role};
use super::storage::Storage;
use super::transport::{accept_loop, Event, PeerLinks, Routes};
use harness::NodeCtx;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::time::{sleep_until, Instant};
use turmoil::net::TcpListener;
use workloads::RegisterOp;

/// At most this many ready events are fed to the core before one sync.
const BATCH_EVENTS_MAX: usize = 256;
/// How long the `slow-sync` fault point stalls a sync.
const SLOW_SYNC: Duration = Duration::from_millis(20);

/// Runs one incarnation of a node until it crashes. A disk error stops the
/// node (as a database process would on a failed fsync), not the run.
pub async fn run(ctx: NodeCtx, config: RaftConfig, status: ClusterStatus) -> turmoil::Result {
    let _down = DownOnDrop {
        status: status.clone(),
        id: ctx.id,
    };
    let sync_dirs = !config.has_mutant(Mutant::NoDirSync);
    let (storage, durable) = match Storage::open_syncing_dirs(&ctx.data_dir, sync_dirs) {
        Ok(opened) => opened,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the record log; node stops");
            return Ok(());
        }
    };
    status.disks().recovered(ctx.id, &durable.log);
    let start = Instant::now();
    let n = ctx.names.len();
    let raft = Raft::new(
        ctx.id,
        n,
        config.clone(),
        durable,
        ctx.rng.clone(),
        Duration::ZERO,
    );
    status.publish(ctx.id, raft.status());
    tracing::info!(
        incarnation = ctx.incarnation,
        term = raft.status().term,
        "node started"
    );

    let (inbox_tx, inbox) = unbounded_channel();
    let routes = Rc::new(RefCell::new(Routes::default()));
    let listener = TcpListener::bind(("0.0.0.0", ctx.port)).await?;
    ctx.spawn_ungated(accept_loop(
        listener,
        ctx.clone(),
        inbox_tx.clone(),
        routes.clone(),
    ));
    let links = PeerLinks::start(&ctx, &config, inbox_tx);
    let shell = Shell {
        lazy_sync: config.bugs.has(Bug::AckBeforeFsync),
        last_sync: Duration::ZERO,
        heartbeat: config.heartbeat(),
        next_point_check: Duration::ZERO,
        ctx: ctx.clone(),
        raft,
        storage,
        links,
        routes,
        status,
        id: ctx.id,
        nodes: n,
        start,
        unsynced: Vec::new(),
        reads: BTreeMap::new(),
    };
    let result = ctx.spawn(shell.run(inbox)).await;
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "disk error; node stops");
            Ok(())
        }
        Err(e) => Err(e.into()), // the main loop panicked
    }
}

struct Shell {
    raft: Raft,
    storage: Storage,
    links: PeerLinks,
    routes: Rc<RefCell<Routes>>,
    status: ClusterStatus,
    id: usize,
    /// The cluster's size.
    nodes: usize,
    start: Instant,
    ctx: NodeCtx,
    /// Records written but not yet synced, for the board's view of this
    /// node's disk (only the planted `ack-before-fsync` leaves any: every
    /// other flush syncs what it wrote).
    unsynced: Vec<Record>,
    /// Reads not yet answered, by connection and request number: the
    /// highest index committed anywhere when each arrived (the read
    /// freshness invariant).
    reads: BTreeMap<(Token, u64), Index>,
    /// Planted bug `ack-before-fsync`: sync at most once a heartbeat.
    lazy_sync: bool,
    last_sync: Duration,
    heartbeat: Duration,
    /// When the early-election fault point is next consulted.
    next_point_check: Duration,
}

impl Shell {
    async fn run(mut self, mut inbox: UnboundedReceiver<Event>) -> std::io::Result<()> {
        let mut out = Output::default();
        let mut published = self.raft.status();
        // One timer, re-armed only when the core's deadline moves.
        let mut armed = self.start + self.raft.next_deadline();
        let timer = sleep_until(armed);
        tokio::pin!(timer);
        loop {
            let mut deadline = self.start + self.raft.next_deadline();
            if deadline == armed && timer.is_elapsed() {
                // Fired, yet the core kept its deadline: never spin.
                deadline = Instant::now() + Duration::from_millis(1);
            }
            if deadline != armed {
                timer.as_mut().reset(deadline);
                armed = deadline;
            }
            let before_wait = self.start.elapsed();
            let first = tokio::select! {
                biased;
                event = inbox.recv() => event,
                _ = &mut timer => None,
            };
            let now = self.start.elapsed();
            let wall_ns = self.ctx.clock.now_ns();
            self.raft.set_clocks(Clocks {
                wall_ns,
                before_wait,
            });
            if let Some(event) = first {
                self.take(now, event, &mut out);
                for _ in 1..BATCH_EVENTS_MAX {
                    let Ok(event) = inbox.try_recv() else { break };
                    self.take(now, event, &mut out);
                }
            }
            self.raft.handle(now, Input::Tick, &mut out);
            self.fault_points(now, &mut out).await;
            self.flush(now, &mut out)?;
            let status = self.raft.status();
            if status.role == Role::Leader
                && (published.role, published.term) != (Role::Leader, status.term)
            {
                self.status
                    .became_leader(self.id, status.term, self.raft.log());
            }
            if status.commit != published.commit {
                // Newly committed entries go to the ledger; after a commit
                // index went back (only a mistake on purpose does that),
                // the entries committed again are compared anew.
                let from = published.commit.min(status.commit) + 1;
                self.status
                    .committed(self.id, status, self.raft.log(), from, self.nodes);
            }
            if status != published {
                self.status.publish(self.id, status);
                published = status;
            }
        }
    }

    /// Feeds one event to the core, noting first when a read arrives.
    fn take(&mut self, now: Duration, event: Event, out: &mut Output) {
        if let Event::Client { conn, req } = &event {
            if matches!(req.op, RegisterOp::Read { .. }) {
                let committed = self.status.highest_committed();
                self.reads.entry((*conn, req.seq)).or_insert(committed);
            }
        }
        self.raft.handle(now, input(event), out);
    }

    /// Seeded fault points (off unless the run's swarm enables buggify):
    /// a slow sync before records reach the disk (a window in which a
    /// crash or pause finds them unwritten and nothing sent), and, checked
    /// once per heartbeat, an early election timeout.
    async fn fault_points(&mut self, now: Duration, out: &mut Output) {
        if !out.persist.is_empty() && self.ctx.buggify("slow-sync") {
            tokio::time::sleep(SLOW_SYNC).await;
        }
        if now >= self.next_point_check {
            self.next_point_check = now + self.heartbeat;
            if self.ctx.buggify("early-election") {
                self.raft.expire_election_timer(now);
                self.raft.handle(now, Input::Tick, out);
            }
        }
    }

    /// Persist-before-send: records are appended and synced first, then
    /// messages and replies go out. Tells the harness what happened
    /// (the core's events, `persisted`, `replied`).
    fn flush(&mut self, now: Duration, out: &mut Output) -> std::io::Result<()> {
        for (name, term) in out.events.drain(..) {
            self.ctx.event(name, serde_json::json!({ "term": term }));
        }
        let persisted = !out.persist.is_empty();
        if persisted {
            self.storage.append(&out.persist)?;
        }
        if !self.lazy_sync || now >= self.last_sync + self.heartbeat {
            self.storage.sync()?;
            self.last_sync = now;
        }
        if self.storage.is_synced() {
            let disks = self.status.disks();
            disks.synced(self.id, &self.unsynced);
            disks.synced(self.id, &out.persist);
            self.unsynced.clear();
        } else {
            self.unsynced.extend_from_slice(&out.persist);
            self.check_acks_durable(&out.send);
        }
        out.persist.clear();
        if persisted {
            let last_index = self.raft.log().last_index();
            self.ctx
                .event("persisted", serde_json::json!({ "last_index": last_index }));
        }
        if !out.replies.is_empty() {
            let count = out.replies.len();
            self.ctx
                .event("replied", serde_json::json!({ "count": count }));
        }
        for (to, msg) in out.send.drain(..) {
            let frame = encode(&msg);
            if msg.is_reply() {
                self.routes.borrow().to_peer(to, frame);
            } else {
                self.links.send(to, frame);
            }
        }
        for (conn, reply) in out.replies.drain(..) {
            let read = self.reads.remove(&(conn, reply.seq));
            if let (Some(committed), ReplyResult::Ok(_)) = (read, &reply.result) {
                self.status
                    .answered_read(self.id, self.raft.applied(), committed);
            }
            self.routes.borrow().to_client(conn, encode(&reply));
        }
        Ok(())
    }
}

impl Shell {
    /// Invariant: a node acknowledges (an append, a vote) only what it
    /// made durable; called when records are still unsynced.
    fn check_acks_durable(&self, send: &[(usize, super::proto::PeerMsg)]) {
        use super::proto::PeerMsg;
        for (to, msg) in send {
            let ack = match msg {
                PeerMsg::AppendReply {
                    success: true,
                    index,
                    ..
                } => format!("append up to index {index}"),
                PeerMsg::VoteReply {
                    granted: true,
                    term,
                } => format!("its vote in term {term}"),
                _ => continue,
            };
            self.status.violation(format!(
                "node {} acknowledged {ack} to node {to} before syncing it",
                self.id
            ));
        }
    }
}

fn input(event: Event) -> Input {
    match event {
        Event::Peer { from, msg } => Input::Peer { from, msg },
        Event::Client { conn, req } => Input::Client { token: conn, req },
    }
}
