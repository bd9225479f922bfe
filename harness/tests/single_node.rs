//! The smallest system: one unreplicated in-memory KV server, for the
//! runner's own tests (included by `mod single_node;`).
//!
//! It shows what a user writes to put their own system under the harness,
//! and gives the runner's tests a system that does not depend on Raft. Its
//! state lives in memory only, so a crash loses everything (by design: it
//! is a baseline, not a database).

#![allow(dead_code)] // each test binary uses a different subset

use harness::{Client, ClientCtx, NodeCtx, System};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use turmoil::net::{TcpListener, TcpStream};
use workloads::{Op, Outcome, RegisterOp};

/// One KV server on node 0; other nodes, if any, idle.
#[derive(Clone, Copy, Debug, Default)]
pub struct SingleNode;

#[derive(Serialize, Deserialize)]
struct Request {
    id: u64,
    op: Op,
}

#[derive(Serialize, Deserialize)]
struct Reply {
    id: u64,
    outcome: Outcome,
}

impl System for SingleNode {
    type Client = SingleNodeClient;

    fn node(&self, ctx: NodeCtx) -> impl Future<Output = turmoil::Result> + use<> + 'static {
        serve(ctx)
    }

    fn client(&self, ctx: ClientCtx) -> SingleNodeClient {
        SingleNodeClient {
            server: format!("{}:{}", ctx.names[0], ctx.port),
            conn: None,
            next_id: 0,
        }
    }
}

async fn serve(ctx: NodeCtx) -> turmoil::Result {
    if ctx.id != 0 {
        return std::future::pending().await;
    }
    let listener = TcpListener::bind(("0.0.0.0", ctx.port)).await?;
    let state = Rc::new(RefCell::new(BTreeMap::new()));
    loop {
        let (stream, _) = listener.accept().await?;
        ctx.spawn(handle(stream, state.clone()));
    }
}

async fn handle(
    stream: TcpStream,
    state: Rc<RefCell<BTreeMap<String, i64>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        let Ok(request) = serde_json::from_str::<Request>(&line) else {
            return Ok(()); // a garbled request: drop the connection
        };
        let outcome = apply(&mut state.borrow_mut(), &request.op);
        let mut reply = serde_json::to_vec(&Reply {
            id: request.id,
            outcome,
        })?;
        reply.push(b'\n');
        write.write_all(&reply).await?;
    }
    Ok(())
}

fn apply(state: &mut BTreeMap<String, i64>, op: &Op) -> Outcome {
    match op.register() {
        Ok(RegisterOp::Read { key }) => Outcome::read(state.get(&key).copied()),
        Ok(RegisterOp::Write { key, value }) => {
            state.insert(key, value);
            Outcome::done(op)
        }
        Ok(RegisterOp::Cas { key, expected, new }) => {
            if state.get(&key) == Some(&expected) {
                state.insert(key, new);
                Outcome::done(op)
            } else {
                Outcome::Fail("cas-mismatch".into())
            }
        }
        Err(why) => Outcome::Fail(why),
    }
}

type Connection = (
    BufReader<turmoil::net::tcp::OwnedReadHalf>,
    turmoil::net::tcp::OwnedWriteHalf,
);

/// The client adapter of [`SingleNode`]: one connection, one op at a time.
#[derive(Debug)]
pub struct SingleNodeClient {
    server: String,
    conn: Option<Connection>,
    next_id: u64,
}

impl Client for SingleNodeClient {
    async fn call(&mut self, op: &Op, _deadline: Duration) -> Outcome {
        // Connect, retrying refusals: nothing was sent, so nothing happened.
        while self.conn.is_none() {
            match TcpStream::connect(self.server.as_str()).await {
                Ok(stream) => {
                    let (read, write) = stream.into_split();
                    self.conn = Some((BufReader::new(read), write));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
        self.next_id += 1;
        let id = self.next_id;
        let (read, write) = self.conn.as_mut().expect("connected above");
        let mut request =
            serde_json::to_vec(&Request { id, op: op.clone() }).expect("ops serialize");
        request.push(b'\n');
        if write.write_all(&request).await.is_err() {
            self.conn = None;
            return Outcome::Info("connection lost".into());
        }
        let mut line = String::new();
        loop {
            line.clear();
            match read.read_line(&mut line).await {
                Ok(n) if n > 0 => match serde_json::from_str::<Reply>(&line) {
                    Ok(reply) if reply.id == id => return reply.outcome,
                    Ok(_) => continue, // a late reply to an abandoned op
                    Err(_) => break,
                },
                _ => break,
            }
        }
        self.conn = None;
        Outcome::Info("connection lost".into())
    }

    fn reset(&mut self) {
        self.conn = None;
    }
}
