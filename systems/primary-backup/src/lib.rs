//! A primary-backup key-value store: the worked example of a system under
//! test that uses only `harness`'s public API (and serde).
//!
//! - Node 0 is the **primary**. It serves every client request. Mutations
//!   run one at a time: the primary applies the op to a copy of its state,
//!   sends the whole new state (tagged `(epoch, seq)`) to every backup, and
//!   only once **every** backup has made it durable does it adopt the state
//!   and reply. Reads are answered from the adopted state at once.
//! - The other nodes are **backups**: they keep the newest `(epoch, seq,
//!   state)` they were sent on their simulated disk (synced before they
//!   ack) and hand it out on request.
//! - The primary keeps nothing on disk. When it (re)starts, its epoch is
//!   its incarnation + 1, and it recovers from the first backup that
//!   answers: with every ack awaited, any backup holds every acknowledged
//!   mutation. It stores that state on every backup under its new epoch
//!   before it serves anything, so what it serves is never undone by a
//!   later recovery from another backup.
//!
//! Ops are the register workload's (read, write, cas) and the append
//! workload's (get, append), on JSON values.
//!
//! Planted bug `reply-after-first-ack`: the primary replies as soon as one
//! backup acked. A mutation acked by one backup only is lost when the
//! restarted primary recovers from another.

use harness::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{sleep, timeout};

/// The planted bug's name.
pub const REPLY_AFTER_FIRST_ACK: &str = "reply-after-first-ack";

/// How long a request to a backup may take before it is presumed lost.
const RPC_TIMEOUT: Duration = Duration::from_millis(100);

/// The system's configuration (`system.config` in `config.json`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Planted bugs switched on (only `reply-after-first-ack` exists).
    pub bugs: Vec<String>,
}

/// The primary-backup KV store as a system under test.
#[derive(Clone, Debug, Default)]
pub struct PrimaryBackup {
    config: Config,
}

/// The key-value state: the value of every key that was ever set.
type State = BTreeMap<String, Value>;

/// A versioned state, as backups store it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Versioned {
    epoch: u64,
    seq: u64,
    state: State,
}

/// Every message on the wire, one JSON line each.
#[derive(Debug, Serialize, Deserialize)]
enum Msg {
    /// Client to primary.
    Request { id: u64, op: Op },
    /// Primary to client.
    Reply { id: u64, outcome: Outcome },
    /// Primary to backup: keep this state if it is newer.
    Store(Versioned),
    /// Backup to primary: it is durable.
    Stored { epoch: u64, seq: u64 },
    /// Primary to backup: what do you hold?
    Fetch,
    /// Backup to primary: this.
    Held(Versioned),
}

impl NamedSystem for PrimaryBackup {
    const NAME: &'static str = "primary-backup";
    const ABOUT: &'static str =
        "a primary-backup KV store (registers and append logs; no failover)";
    type Config = Config;

    fn bugs() -> Vec<BugInfo> {
        vec![BugInfo {
            name: REPLY_AFTER_FIRST_ACK.into(),
            about: "the primary replies once one backup acked a mutation, not all".into(),
        }]
    }

    fn build(scenario: &Scenario, config: &Config) -> Result<Self, String> {
        if scenario.nodes < 2 {
            return Err("primary-backup needs at least 2 nodes (a primary and a backup)".into());
        }
        Ok(PrimaryBackup {
            config: config.clone(),
        })
    }
}

impl System for PrimaryBackup {
    type Client = PbClient;

    fn node(
        &self,
        ctx: NodeCtx,
    ) -> impl std::future::Future<Output = turmoil::Result> + use<> + 'static {
        let first_ack = self.config.bugs.iter().any(|b| b == REPLY_AFTER_FIRST_ACK);
        async move {
            if ctx.id == 0 {
                primary(ctx, first_ack).await
            } else {
                backup(ctx).await
            }
        }
    }

    fn client(&self, ctx: ClientCtx) -> PbClient {
        PbClient {
            addr: ctx.addr(0),
            conn: None,
            next_id: 0,
            served: false,
        }
    }

    fn leader(&self) -> Option<usize> {
        Some(0)
    }
}

/// One line-framed connection.
struct Conn {
    read: BufReader<net::tcp::OwnedReadHalf>,
    write: net::tcp::OwnedWriteHalf,
}

impl Conn {
    async fn open(addr: &str) -> std::io::Result<Conn> {
        let stream = timeout(RPC_TIMEOUT, net::TcpStream::connect(addr))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        let (read, write) = stream.into_split();
        Ok(Conn {
            read: BufReader::new(read),
            write,
        })
    }

    async fn send(&mut self, msg: &Msg) -> std::io::Result<()> {
        let line = serde_json::to_string(msg).map_err(std::io::Error::other)? + "\n";
        self.write.write_all(line.as_bytes()).await
    }

    /// The next message; `None` at end of stream or on garbage.
    async fn recv(&mut self) -> Option<Msg> {
        let mut line = String::new();
        match self.read.read_line(&mut line).await {
            Ok(n) if n > 0 => serde_json::from_str(&line).ok(),
            _ => None,
        }
    }
}

// ---- backup ----

fn state_path(ctx: &NodeCtx) -> PathBuf {
    ctx.data_dir.join("state.json")
}

/// A backup: serve `Store` and `Fetch` from the primary.
async fn backup(ctx: NodeCtx) -> turmoil::Result {
    fs::create_dir_all(&ctx.data_dir)?;
    // The data directory's own entry must be durable too: without this a
    // crash drops the directory, and the backup restarts with nothing
    // (found by the default exploration: a restarted primary then
    // recovered from the amnesiac backup and lost acknowledged writes).
    for dir in ctx.data_dir.ancestors() {
        fs::sync_dir(dir)?;
    }
    let held: Versioned = match fs::read(state_path(&ctx)) {
        Ok(bytes) => serde_json::from_slice(&bytes)?,
        Err(_) => Versioned::default(),
    };
    let held = Rc::new(RefCell::new(held));
    let node = ctx.clone();
    serve(&ctx, move |conn| {
        node.spawn(serve_backup(conn, held.clone(), node.clone()))
    })
    .await
}

/// Accepts connections on the node's port (ungated, as a kernel's accept
/// queue) and hands each to `handle`.
async fn serve(
    ctx: &NodeCtx,
    handle: impl Fn(Conn) -> harness::tokio::task::JoinHandle<std::io::Result<()>>,
) -> turmoil::Result {
    let listener = net::TcpListener::bind(("0.0.0.0", ctx.port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let (read, write) = stream.into_split();
        handle(Conn {
            read: BufReader::new(read),
            write,
        });
    }
}

async fn serve_backup(
    mut conn: Conn,
    held: Rc<RefCell<Versioned>>,
    ctx: NodeCtx,
) -> std::io::Result<()> {
    while let Some(msg) = conn.recv().await {
        let reply = match msg {
            Msg::Store(new) => {
                let newer = (new.epoch, new.seq) > (held.borrow().epoch, held.borrow().seq);
                if newer {
                    // A seeded fault point: a slow disk.
                    if ctx.buggify("slow-store") {
                        sleep(Duration::from_millis(20)).await;
                    }
                    persist(&ctx, &new)?;
                    ctx.event("persisted", serde_json::json!({ "seq": new.seq }));
                    *held.borrow_mut() = new;
                }
                let h = held.borrow();
                Msg::Stored {
                    epoch: h.epoch,
                    seq: h.seq,
                }
            }
            Msg::Fetch => Msg::Held(held.borrow().clone()),
            _ => return Ok(()), // not for a backup: drop the connection
        };
        conn.send(&reply).await?;
    }
    Ok(())
}

/// Writes `v` durably: a synced temporary file renamed into place.
fn persist(ctx: &NodeCtx, v: &Versioned) -> std::io::Result<()> {
    let tmp = ctx.data_dir.join("state.json.tmp");
    let mut file = fs::File::create(&tmp)?;
    std::io::Write::write_all(&mut file, &serde_json::to_vec(v)?)?;
    file.sync_all()?;
    fs::rename(&tmp, state_path(ctx))?;
    fs::sync_dir(&ctx.data_dir)
}

// ---- primary ----

/// The primary: recover, then serve clients; mutations go through one
/// replication task, one at a time.
async fn primary(ctx: NodeCtx, first_ack: bool) -> turmoil::Result {
    let backups: Vec<String> = (1..ctx.names.len())
        .map(|i| format!("{}:{}", ctx.names[i], ctx.port))
        .collect();
    let epoch = ctx.incarnation + 1;
    let adopted = Rc::new(RefCell::new(State::default()));
    let (ready_tx, ready) = watch::channel(false);
    let (tx, rx) = mpsc::unbounded_channel();
    let (state, node) = (adopted.clone(), ctx.clone());
    ctx.spawn(async move {
        let recovered = recover(&backups).await;
        // Before it serves anything, even a read, the recovered state is
        // stored on every backup under this epoch. Otherwise a read could
        // see a mutation only one backup held (one the crashed primary
        // never acknowledged), and a later recovery from the other backup
        // would undo what that read saw (found by the default exploration).
        let mut conns: Vec<Option<Conn>> = backups.iter().map(|_| None).collect();
        let first = Versioned {
            epoch,
            seq: 0,
            state: recovered.state,
        };
        store_everywhere(&backups, &mut conns, &first, false).await;
        *state.borrow_mut() = first.state;
        node.event("became-leader", serde_json::json!({ "epoch": epoch }));
        let _ = ready_tx.send(true);
        replicate(rx, state, backups, conns, epoch, first_ack).await;
    });
    // Clients may connect at once (a refused connect would only be retried);
    // their requests wait until the state is recovered and stored.
    serve(&ctx, |conn| {
        let session = (adopted.clone(), tx.clone(), ready.clone());
        ctx.spawn(serve_client(conn, session, ctx.clone()))
    })
    .await
}

/// The state of the first backup that answers a `Fetch`.
async fn recover(backups: &[String]) -> Versioned {
    loop {
        for addr in backups {
            if let Ok(mut conn) = Conn::open(addr).await {
                if conn.send(&Msg::Fetch).await.is_ok() {
                    if let Ok(Some(Msg::Held(v))) = timeout(RPC_TIMEOUT, conn.recv()).await {
                        return v;
                    }
                }
            }
        }
        sleep(Duration::from_millis(10)).await;
    }
}

type Mutation = (Op, oneshot::Sender<Outcome>);

/// What a client connection is served from: the adopted state, the
/// replication queue, and whether the primary has recovered yet.
type Session = (
    Rc<RefCell<State>>,
    mpsc::UnboundedSender<Mutation>,
    watch::Receiver<bool>,
);

async fn serve_client(mut conn: Conn, session: Session, ctx: NodeCtx) -> std::io::Result<()> {
    let (adopted, tx, mut ready) = session;
    if ready.wait_for(|r| *r).await.is_err() {
        return Ok(());
    }
    while let Some(Msg::Request { id, op }) = conn.recv().await {
        let outcome = if op.is_read() {
            read(&adopted.borrow(), &op)
        } else {
            let (done, wait) = oneshot::channel();
            if tx.send((op, done)).is_err() {
                return Ok(());
            }
            match wait.await {
                Ok(outcome) => outcome,
                Err(_) => return Ok(()),
            }
        };
        conn.send(&Msg::Reply { id, outcome }).await?;
        ctx.event("replied", serde_json::Value::Null);
    }
    Ok(())
}

/// Applies each mutation to a copy of the state, has the backups store it,
/// then adopts it and replies.
async fn replicate(
    mut rx: mpsc::UnboundedReceiver<Mutation>,
    adopted: Rc<RefCell<State>>,
    backups: Vec<String>,
    mut conns: Vec<Option<Conn>>,
    epoch: u64,
    first_ack: bool,
) {
    let mut seq = 0;
    while let Some((op, done)) = rx.recv().await {
        let mut next = adopted.borrow().clone();
        let outcome = apply(&mut next, &op);
        if matches!(outcome, Outcome::Fail(_)) {
            let _ = done.send(outcome); // nothing changed: nothing to replicate
            continue;
        }
        seq += 1;
        let version = Versioned {
            epoch,
            seq,
            state: next,
        };
        store_everywhere(&backups, &mut conns, &version, first_ack).await;
        *adopted.borrow_mut() = version.state;
        let _ = done.send(outcome);
    }
}

/// Sends `v` to every backup until each has stored it (or, with
/// `first_ack`, until one has; the rest are sent in the background of the
/// next round).
async fn store_everywhere(
    backups: &[String],
    conns: &mut [Option<Conn>],
    v: &Versioned,
    first_ack: bool,
) {
    let mut stored = vec![false; backups.len()];
    loop {
        for i in 0..backups.len() {
            if !stored[i] {
                stored[i] = store_on(&backups[i], &mut conns[i], v).await;
                if stored[i] && first_ack {
                    return;
                }
            }
        }
        if stored.iter().all(|s| *s) {
            return;
        }
        sleep(Duration::from_millis(10)).await;
    }
}

/// One attempt to have the backup at `addr` store `v`.
async fn store_on(addr: &str, conn: &mut Option<Conn>, v: &Versioned) -> bool {
    if conn.is_none() {
        *conn = Conn::open(addr).await.ok();
    }
    let Some(c) = conn.as_mut() else {
        return false;
    };
    let exchanged = timeout(RPC_TIMEOUT, async {
        c.send(&Msg::Store(v.clone())).await.ok()?;
        c.recv().await
    })
    .await;
    match exchanged {
        Ok(Some(Msg::Stored { epoch, seq })) => (epoch, seq) >= (v.epoch, v.seq),
        _ => {
            *conn = None; // a wedged or broken stream: reconnect next time
            false
        }
    }
}

/// Applies `op` to `state`: register ops (read, write, cas) and append
/// ops (get, append).
fn apply(state: &mut State, op: &Op) -> Outcome {
    if op.is_read() {
        return read(state, op);
    }
    let current = state.get(&op.key).cloned().unwrap_or(Value::Null);
    match op.f.as_str() {
        "write" => {
            state.insert(op.key.clone(), op.value.clone());
            Outcome::done(op)
        }
        "cas" => match op.value.as_array().map(Vec::as_slice) {
            Some([expected, new]) if *expected == current => {
                state.insert(op.key.clone(), new.clone());
                Outcome::done(op)
            }
            Some([_, _]) => Outcome::Fail("cas-mismatch".into()),
            _ => Outcome::Fail(format!("cas wants [expected, new], got {}", op.value)),
        },
        "append" => {
            let mut text = current.as_str().unwrap_or("").to_string();
            text.push_str(op.value.as_str().unwrap_or(""));
            state.insert(op.key.clone(), Value::String(text));
            Outcome::done(op)
        }
        f => Outcome::Fail(format!("unknown op {f:?}")),
    }
}

/// Answers a read (`read`, `get`) from `state`, which it leaves alone.
fn read(state: &State, op: &Op) -> Outcome {
    let current = state.get(&op.key);
    match op.f.as_str() {
        // An append log that was never written is the empty string.
        "get" => Outcome::Ok(Value::String(
            current.and_then(Value::as_str).unwrap_or("").into(),
        )),
        _ => Outcome::Ok(current.cloned().unwrap_or(Value::Null)),
    }
}

// ---- client ----

/// The client adapter: one connection to the primary, one op at a time.
pub struct PbClient {
    addr: String,
    conn: Option<Conn>,
    next_id: u64,
    /// The primary (node 0) answered the last call.
    served: bool,
}

impl Client for PbClient {
    async fn call(&mut self, op: &Op, _deadline: Duration) -> Outcome {
        self.served = false;
        while self.conn.is_none() {
            match Conn::open(&self.addr).await {
                Ok(conn) => self.conn = Some(conn),
                // Nothing was sent, so nothing happened: try again.
                Err(_) => sleep(Duration::from_millis(10)).await,
            }
        }
        self.next_id += 1;
        let id = self.next_id;
        let conn = self.conn.as_mut().expect("connected above");
        if conn
            .send(&Msg::Request { id, op: op.clone() })
            .await
            .is_err()
        {
            self.conn = None;
            return Outcome::Info("connection lost".into());
        }
        loop {
            match conn.recv().await {
                Some(Msg::Reply { id: got, outcome }) if got == id => {
                    self.served = true;
                    return outcome;
                }
                Some(Msg::Reply { .. }) => continue, // a late reply to an abandoned op
                _ => break,
            }
        }
        self.conn = None;
        Outcome::Info("connection lost".into())
    }

    fn reset(&mut self) {
        self.conn = None;
    }

    /// Every op goes to the primary, node 0.
    fn served_by(&self) -> Option<usize> {
        self.served.then_some(0)
    }
}
