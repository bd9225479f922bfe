//! The client adapter: one connection to one node at a time, requests
//! numbered, leader redirects followed. Each worker has a home node
//! (`worker mod nodes`): it starts there, and after an op ends `info` the
//! next starts there again.
//!
//! A mutation is retried only when it certainly did nothing: the connect
//! failed (nothing sent), the connection was found closed before sending,
//! or the node answered `NotLeader` before submitting it to openraft.
//! Anything lost after sending is `Info`. A read has no effect, so it is
//! retried on any failure until the deadline.

use crate::proto::{ClientResult, Reply, Request};
use crate::wire;
use harness::sut::{Client, ClientCtx};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::{sleep, timeout};
use turmoil::net::TcpStream;
use workloads::{Op, Outcome, RegisterOp};

/// How long a connect to a node may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(100);

/// Talks to the openraft cluster for one client worker.
#[derive(Debug)]
pub struct OpenraftClient {
    ctx: ClientCtx,
    target: usize,
    seq: u64,
    conn: Option<TcpStream>,
}

impl OpenraftClient {
    /// An adapter for the worker of `ctx`; it starts at its home node.
    pub fn new(ctx: ClientCtx) -> Self {
        let target = Self::home(&ctx);
        OpenraftClient {
            ctx,
            target,
            seq: 0,
            conn: None,
        }
    }

    fn home(ctx: &ClientCtx) -> usize {
        ctx.worker % ctx.names.len().max(1)
    }

    /// Moves to the hinted node, or to a random other one.
    fn redirect(&mut self, hint: Option<u64>) {
        self.conn = None;
        self.target = self.ctx.next_node(self.target, hint.map(|h| h as usize));
    }

    async fn backoff(&mut self, attempt: u32, hinted: bool) {
        sleep(self.ctx.retry_delay(attempt, hinted)).await;
    }

    /// True if the node already closed the open connection (its FIN
    /// arrived): then nothing sent on it could be processed.
    async fn conn_is_closed(conn: &mut TcpStream) -> bool {
        let mut byte = [0u8; 1];
        match timeout(Duration::ZERO, conn.peek(&mut byte)).await {
            Err(_) => false,     // nothing to read: open and idle
            Ok(Ok(n)) => n == 0, // EOF; or a stray frame, skipped later
            Ok(Err(_)) => true,  // reset
        }
    }

    /// Sends the request and waits for its reply; `Err` if the connection
    /// broke after sending.
    async fn exchange(&mut self, frame: &[u8], seq: u64) -> Result<ClientResult, &'static str> {
        let conn = self.conn.as_mut().expect("connected before exchange");
        conn.write_all(frame).await.map_err(|_| "connection lost")?;
        loop {
            match wire::read::<_, Reply>(conn).await {
                Ok(Some(Reply::Client { seq: got, result })) if got == seq => return Ok(result),
                Ok(Some(_)) => continue, // a late reply to an abandoned request
                _ => return Err("connection lost"),
            }
        }
    }
}

impl Client for OpenraftClient {
    async fn call(&mut self, op: &Op, _deadline: Duration) -> Outcome {
        let op = match op.register() {
            Ok(op) => op,
            Err(why) => return Outcome::Fail(why),
        };
        let is_read = matches!(op, RegisterOp::Read { .. });
        self.seq += 1;
        let frame = wire::frame(&Request::Client {
            seq: self.seq,
            op: op.clone(),
        });
        let mut attempt = 0u32;
        loop {
            if let Some(conn) = self.conn.as_mut() {
                if Self::conn_is_closed(conn).await {
                    self.conn = None;
                }
            }
            if self.conn.is_none() {
                let addr = self.ctx.addr(self.target);
                match timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
                    Ok(Ok(conn)) => self.conn = Some(conn),
                    _ => {
                        self.redirect(None);
                        self.backoff(attempt, false).await;
                        attempt += 1;
                        continue;
                    }
                }
            }
            let result = match self.exchange(&frame, self.seq).await {
                Ok(result) => result,
                Err(why) => {
                    self.conn = None;
                    if is_read {
                        self.redirect(None);
                        self.backoff(attempt, false).await;
                        attempt += 1;
                        continue;
                    }
                    return Outcome::Info(why.into());
                }
            };
            match result {
                ClientResult::Ok(value) => return op.ok(value),
                ClientResult::CasMismatch => return Outcome::Fail("cas-mismatch".into()),
                ClientResult::Unknown(why) if !is_read => return Outcome::Info(why),
                ClientResult::Unknown(_) => {
                    self.backoff(attempt, false).await;
                    attempt += 1;
                }
                ClientResult::NotLeader(hint) => {
                    self.redirect(hint);
                    self.backoff(attempt, hint.is_some()).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Drops the connection and forgets the leader it followed.
    fn reset(&mut self) {
        self.conn = None;
        self.target = Self::home(&self.ctx);
    }
}
