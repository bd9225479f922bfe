//! Helpers shared by the nemesis tests: scripted scenarios and ops paired
//! from a history (from `harness::testing`), and a system whose node 0 logs
//! its clock.

#![allow(dead_code)] // each test binary uses a different subset

use crate::single_node::{SingleNode, SingleNodeClient};
use harness::{ClientCtx, NodeCtx, System};
use results::{History, Process};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

pub use harness::testing::{completed_ops as ops, scripted, CompletedOp as Op};

/// Milliseconds as history nanoseconds.
pub const MS: u64 = 1_000_000;

/// Ops completed with `kind` strictly between `from_ms` and `to_ms`.
pub fn completed(ops: &[Op], kind: results::EventType, from_ms: u64, to_ms: u64) -> usize {
    ops.iter()
        .filter(|o| o.kind == kind && o.done_ns > from_ms * MS && o.done_ns < to_ms * MS)
        .count()
}

/// Nemesis events as (time in ms, f).
pub fn nemesis_events(history: &History) -> Vec<(u64, String)> {
    history
        .events()
        .iter()
        .filter(|e| e.process == Process::Nemesis)
        .map(|e| (e.time / MS, e.f.clone()))
        .collect()
}

/// [`SingleNode`] whose node 0 also logs `(true ms, its wall clock ns)`
/// every 10 ms from a gated task: a paused node logs nothing.
#[derive(Clone, Default)]
pub struct Ticking {
    pub ticks: Rc<RefCell<Vec<(u64, i64)>>>,
}

impl System for Ticking {
    type Client = SingleNodeClient;

    fn node(&self, ctx: NodeCtx) -> impl Future<Output = turmoil::Result> + use<> + 'static {
        let ticks = self.ticks.clone();
        if ctx.id == 0 {
            let clock = ctx.clock.clone();
            ctx.spawn(async move {
                loop {
                    let now = harness::clock::sim_now();
                    ticks
                        .borrow_mut()
                        .push((now.as_millis() as u64, clock.now_ns()));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            });
        }
        SingleNode.node(ctx)
    }

    fn client(&self, ctx: ClientCtx) -> SingleNodeClient {
        SingleNode.client(ctx)
    }
}
