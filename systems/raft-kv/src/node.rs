//! One node's IO shell around the sans-IO core: recover from disk, listen,
//! then loop: wait for an event or a timer, feed the core everything that
//! is ready, **persist and sync what it produced, then send** (never the
//! other way round), publish status.

use super::bugs::Bug;
use super::config::RaftConfig;
use super::mutants::Mutant;
use super::proto::encode;
use super::raft::{Clocks, Input, Output, Raft};
use super::status::{ClusterStatus, DownOnDrop};
use super::storage::Storage;
use super::transport::{accept_loop, Event, PeerLinks, Routes};
use harness::NodeCtx;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::time::{sleep_until, Instant};
use turmoil::net::TcpListener;

/// At most this many ready events are fed to the core before one sync.
const BATCH_EVENTS_MAX: usize = 256;

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
        ctx: ctx.clone(),
        raft,
        storage,
        links,
        routes,
        status,
        id: ctx.id,
        start,
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
    start: Instant,
    ctx: NodeCtx,
    /// Planted bug `ack-before-fsync`: sync at most once a heartbeat.
    lazy_sync: bool,
    last_sync: Duration,
    heartbeat: Duration,
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
                self.raft.handle(now, input(event), &mut out);
                for _ in 1..BATCH_EVENTS_MAX {
                    let Ok(event) = inbox.try_recv() else { break };
                    self.raft.handle(now, input(event), &mut out);
                }
            }
            self.raft.handle(now, Input::Tick, &mut out);
            self.flush(now, &mut out)?;
            let status = self.raft.status();
            if status != published {
                self.status.publish(self.id, status);
                published = status;
            }
        }
    }

    /// Persist-before-send: records are appended and synced first, then
    /// messages and replies go out.
    fn flush(&mut self, now: Duration, out: &mut Output) -> std::io::Result<()> {
        if !out.persist.is_empty() {
            self.storage.append(&out.persist)?;
            out.persist.clear();
        }
        if !self.lazy_sync || now >= self.last_sync + self.heartbeat {
            self.storage.sync()?;
            self.last_sync = now;
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
            self.routes.borrow().to_client(conn, encode(&reply));
        }
        Ok(())
    }
}

fn input(event: Event) -> Input {
    match event {
        Event::Peer { from, msg } => Input::Peer { from, msg },
        Event::Client { conn, req } => Input::Client { token: conn, req },
    }
}
