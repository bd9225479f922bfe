//! The harness: seeded scenarios, node contexts, the runner and fault
//! executor that drive a system under test inside turmoil, sweeps, the
//! test API and the command line. It knows no system by name: the built-in
//! systems (`systems/raft-kv`, `systems/primary-backup`) use only what is
//! public here, exactly as a user's system does.
//!
//! # Writing a system
//!
//! A system is a [`System`] (start node `i` from a [`NodeCtx`], make a
//! [`Client`] adapter per worker) and, to be run by name from a CLI and
//! recorded in `config.json`, a [`NamedSystem`]. This one is a whole,
//! working (unreplicated) register server; the `primary-backup` crate is a
//! replicated one, written the same way.
//!
//! ```
//! use harness::prelude::*;
//! use std::cell::RefCell;
//! use std::collections::BTreeMap;
//! use std::rc::Rc;
//! use harness::tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//!
//! /// One register server on node 0, state in memory.
//! #[derive(Default)]
//! struct Memory;
//!
//! impl System for Memory {
//!     type Client = LineClient;
//!
//!     fn node(&self, ctx: NodeCtx) -> impl std::future::Future<Output = turmoil::Result> + use<> + 'static {
//!         async move {
//!             if ctx.id != 0 {
//!                 return std::future::pending().await;
//!             }
//!             let listener = net::TcpListener::bind(("0.0.0.0", ctx.port)).await?;
//!             let state = Rc::new(RefCell::new(BTreeMap::<String, i64>::new()));
//!             loop {
//!                 let (stream, _) = listener.accept().await?;
//!                 let state = state.clone();
//!                 // Spawned through the context, so a pause stops it.
//!                 ctx.spawn(async move {
//!                     let (read, mut write) = stream.into_split();
//!                     let mut lines = BufReader::new(read).lines();
//!                     while let Ok(Some(line)) = lines.next_line().await {
//!                         let op: Op = serde_json::from_str(&line).unwrap();
//!                         let outcome = match op.register() {
//!                             Ok(RegisterOp::Read { key }) => Outcome::read(state.borrow().get(&key).copied()),
//!                             Ok(RegisterOp::Write { key, value }) => {
//!                                 state.borrow_mut().insert(key, value);
//!                                 Outcome::done(&op)
//!                             }
//!                             Ok(RegisterOp::Cas { key, expected, new }) => {
//!                                 let mut s = state.borrow_mut();
//!                                 if s.get(&key) == Some(&expected) {
//!                                     s.insert(key, new);
//!                                     Outcome::done(&op)
//!                                 } else {
//!                                     Outcome::Fail("cas-mismatch".into())
//!                                 }
//!                             }
//!                             Err(why) => Outcome::Fail(why),
//!                         };
//!                         let reply = serde_json::to_string(&outcome).unwrap() + "\n";
//!                         if write.write_all(reply.as_bytes()).await.is_err() {
//!                             break;
//!                         }
//!                     }
//!                 });
//!             }
//!         }
//!     }
//!
//!     fn client(&self, ctx: ClientCtx) -> LineClient {
//!         LineClient { addr: ctx.addr(0), conn: None }
//!     }
//! }
//!
//! /// One JSON line out, one back.
//! struct LineClient {
//!     addr: String,
//!     conn: Option<(BufReader<net::tcp::OwnedReadHalf>, net::tcp::OwnedWriteHalf)>,
//! }
//!
//! impl Client for LineClient {
//!     async fn call(&mut self, op: &Op, _deadline: std::time::Duration) -> Outcome {
//!         if self.conn.is_none() {
//!             match net::TcpStream::connect(self.addr.as_str()).await {
//!                 Ok(s) => {
//!                     let (r, w) = s.into_split();
//!                     self.conn = Some((BufReader::new(r), w));
//!                 }
//!                 // Nothing was sent: the op certainly did not happen.
//!                 Err(e) => return Outcome::Fail(e.to_string()),
//!             }
//!         }
//!         let (read, write) = self.conn.as_mut().unwrap();
//!         let line = serde_json::to_string(op).unwrap() + "\n";
//!         let mut reply = String::new();
//!         if write.write_all(line.as_bytes()).await.is_err()
//!             || read.read_line(&mut reply).await.unwrap_or(0) == 0
//!         {
//!             self.conn = None;
//!             return Outcome::Info("connection lost".into()); // sent: it may have happened
//!         }
//!         serde_json::from_str(&reply).unwrap_or_else(|e| Outcome::Info(e.to_string()))
//!     }
//!
//!     fn reset(&mut self) {
//!         self.conn = None; // a late reply must not answer the next op
//!     }
//! }
//!
//! impl NamedSystem for Memory {
//!     const NAME: &'static str = "memory";
//!     const ABOUT: &'static str = "one in-memory register server";
//!     type Config = ();
//!
//!     fn build(_: &Scenario, _: &()) -> Result<Self, String> {
//!         Ok(Memory)
//!     }
//! }
//!
//! // Twenty seeds on every core, without faults (this server has no
//! // replicas: a crash would lose its state, which a checker rightly calls
//! // a violation). With `.faults(...)` left out, each seed draws the
//! // default swarm mix.
//! harness::testing::Check::<Memory>::seeds(0..20)
//!     .faults(NemesisConfig::none())
//!     .ops(200)
//!     .run();
//! ```
//!
//! A binary of the user's own gets every verb (`run`, `sweep`, `replay`,
//! `merge`, `check`, `compare`, `report`) for their systems with
//! `harness::cli::App::new().system::<Memory>().main()`.
//!
//! Builds must set `--cfg tokio_unstable` (in `.cargo/config.toml`:
//! `[build] rustflags = ["--cfg", "tokio_unstable"]`); a build without it
//! refuses to run, saying so.
pub mod cli;
pub mod clock;
pub mod events;
pub mod explore;
pub mod faults;
pub mod liveness;
pub mod node_ctx;
pub mod pause;
pub mod prelude;
mod reactions;
pub mod rundir;
pub mod runner;
pub mod scenario;
pub mod seeds;
pub mod shrink;
pub mod sut;
pub mod swarm;
pub mod sweep;
pub mod testing;
pub mod trace;

pub use clock::SkewClock;
pub use node_ctx::NodeCtx;
pub use pause::PauseGate;
pub use scenario::Scenario;
pub use seeds::{test_seeds, Seeds};
pub use sut::{BugInfo, Client, ClientCtx, NamedSystem, System};

/// The async runtime nodes run on (a system uses its `io`, `sync` and
/// `time`), re-exported so a system need not pin its version.
pub use tokio;
/// The simulator (a system uses its `net` and `fs` shims, through
/// [`prelude`]), re-exported so a system need not pin its version.
pub use turmoil;
