//! The client adapter of the built-in cluster: one connection to one node
//! at a time, request ids `(worker, seq)`, redirects followed. Each worker
//! has a home node (`worker mod nodes`), as Jepsen binds each client to a
//! node: it starts there, and after an op ends `info` the next starts
//! there again.
//!
//! Retrying is safe only when the request certainly did nothing: a refused
//! or timed-out connect (nothing sent), a connection found closed before
//! sending, or a `NotLeader` answer. Anything lost after sending is `Info`.

use super::bugs::Bug;
use super::config::RaftConfig;
use super::mutants::Mutant;
use super::proto::{encode, read_frame, ClientReply, ClientRequest, Hello, ReplyResult};
use harness::sut::{Client, ClientCtx};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::{sleep, timeout};
use turmoil::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use turmoil::net::TcpStream;
use workloads::{Op, Outcome, RegisterOp};

/// Talks to the cluster on behalf of one client worker.
#[derive(Debug)]
pub struct ClusterClient {
    ctx: ClientCtx,
    connect_timeout: Duration,
    /// Planted bug `retry-duplicate`: a write or cas unanswered this long
    /// is sent again under a fresh request id.
    retry_after: Option<Duration>,
    target: usize,
    seq: u64,
    conn: Option<Conn>,
    /// The node whose reply ended the last call.
    served: Option<usize>,
    /// Mutant `seq-restarts-on-reset`.
    restart_seq_on_reset: bool,
}

#[derive(Debug)]
struct Conn {
    read: OwnedReadHalf,
    write: OwnedWriteHalf,
    buf: Vec<u8>,
}

impl ClusterClient {
    /// An adapter for the worker of `ctx`; it starts at its home node.
    pub fn new(ctx: ClientCtx, config: &RaftConfig) -> Self {
        let target = Self::home(&ctx);
        ClusterClient {
            ctx,
            connect_timeout: config.connect_timeout(),
            retry_after: config
                .bugs
                .has(Bug::RetryDuplicate)
                .then(|| config.rpc_timeout()),
            target,
            seq: 0,
            conn: None,
            served: None,
            restart_seq_on_reset: config.has_mutant(Mutant::SeqRestartsOnReset),
        }
    }

    /// The worker's home node.
    fn home(ctx: &ClientCtx) -> usize {
        ctx.worker % ctx.names.len().max(1)
    }

    async fn connect(&self) -> std::io::Result<Conn> {
        let addr = self.ctx.addr(self.target);
        let stream = timeout(self.connect_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        let (read, mut write) = stream.into_split();
        write.write_all(&encode(&Hello::Client)).await?;
        Ok(Conn {
            read,
            write,
            buf: Vec::new(),
        })
    }

    /// Moves to the hinted node, or to a random other one.
    fn redirect(&mut self, hint: Option<usize>) {
        self.conn = None;
        self.target = self.ctx.next_node(self.target, hint);
    }

    async fn backoff(&mut self, attempt: u32, hinted: bool) {
        sleep(self.ctx.retry_delay(attempt, hinted)).await;
    }

    /// True if the open connection is known to be closed by the node (its
    /// FIN already arrived): then nothing sent on it could be processed.
    async fn conn_is_closed(conn: &mut Conn) -> bool {
        let mut byte = [0u8; 1];
        match timeout(Duration::ZERO, conn.read.peek(&mut byte)).await {
            Err(_) => false,     // nothing to read: open and idle
            Ok(Ok(n)) => n == 0, // EOF; or a stray frame, skipped later
            Ok(Err(_)) => true,  // reset
        }
    }

    async fn exchange(&mut self, frame: &[u8], seq: u64) -> Result<ReplyResult, &'static str> {
        let conn = self.conn.as_mut().expect("connected before exchange");
        conn.write
            .write_all(frame)
            .await
            .map_err(|_| "connection lost")?;
        loop {
            match read_frame::<_, ClientReply>(&mut conn.read, &mut conn.buf).await {
                Ok(Some(reply)) if reply.seq == seq => return Ok(reply.result),
                Ok(Some(_)) => continue, // a late reply to an abandoned request
                _ => return Err("connection lost"),
            }
        }
    }
}

impl Client for ClusterClient {
    async fn call(&mut self, op: &Op, _deadline: Duration) -> Outcome {
        self.served = None;
        let op = match op.register() {
            Ok(op) => op,
            Err(why) => return Outcome::Fail(why),
        };
        self.seq += 1;
        let mut request = ClientRequest {
            client: self.ctx.worker as u64,
            seq: self.seq,
            op: op.clone(),
        };
        let mut frame = encode(&request);
        let retry_after = self
            .retry_after
            .filter(|_| !matches!(op, RegisterOp::Read { .. }));
        let mut attempt = 0u32;
        loop {
            if let Some(conn) = self.conn.as_mut() {
                if Self::conn_is_closed(conn).await {
                    self.conn = None;
                }
            }
            if self.conn.is_none() {
                match self.connect().await {
                    Ok(conn) => self.conn = Some(conn),
                    Err(_) => {
                        self.redirect(None);
                        self.backoff(attempt, false).await;
                        attempt += 1;
                        continue;
                    }
                }
            }
            let exchanged = match retry_after {
                None => self.exchange(&frame, self.seq).await,
                Some(wait) => match timeout(wait, self.exchange(&frame, self.seq)).await {
                    Ok(exchanged) => exchanged,
                    Err(_) => {
                        // Planted: a fresh id defeats the cluster's dedup.
                        self.seq += 1;
                        request.seq = self.seq;
                        frame = encode(&request);
                        self.conn = None;
                        continue;
                    }
                },
            };
            let result = match exchanged {
                Ok(result) => result,
                Err(why) => {
                    self.conn = None;
                    return Outcome::Info(why.into());
                }
            };
            if !matches!(result, ReplyResult::NotLeader { .. }) {
                self.served = Some(self.target);
            }
            match result {
                ReplyResult::Ok(value) => return op.ok(value),
                ReplyResult::CasMismatch => return Outcome::Fail("cas-mismatch".into()),
                ReplyResult::Unknown(why) => return Outcome::Info(why),
                ReplyResult::NotLeader { hint } => {
                    self.redirect(hint);
                    self.backoff(attempt, hint.is_some()).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Drops the connection and forgets the leader it followed: the next op
    /// starts at the home node, as a Jepsen client bound to a node would.
    fn reset(&mut self) {
        self.conn = None;
        self.target = Self::home(&self.ctx);
        if self.restart_seq_on_reset {
            self.seq = 0; // mutant: the session table takes these for old ones
        }
    }

    /// The node that sent the reply (the one this adapter was talking to).
    fn served_by(&self) -> Option<usize> {
        self.served
    }
}
