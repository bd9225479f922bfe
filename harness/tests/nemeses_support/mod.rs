//! Helpers shared by the nemesis tests: scripted scenarios, ops paired
//! from a history, and a system whose node 0 logs its clock.

#![allow(dead_code)] // each test binary uses a different subset

use harness::single::{SingleNode, SingleNodeClient};
use harness::{ClientCtx, NodeCtx, Scenario, System};
use nemeses::{Fault, NemesisConfig, Timed};
use results::{EventType, History, Process};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

/// Milliseconds as history nanoseconds.
pub const MS: u64 = 1_000_000;

/// A scenario with these faults at these times (ms), and nothing else.
pub fn scripted(seed: u64, ops: usize, deadline_ms: u64, script: &[(u64, Fault)]) -> Scenario {
    let script = script
        .iter()
        .map(|(at_ms, fault)| Timed {
            at_ms: *at_ms,
            fault: fault.clone(),
        })
        .collect();
    Scenario {
        ops,
        deadline_ms,
        nemesis: NemesisConfig::scripted(script),
        ..Scenario::with_seed(seed)
    }
}

/// One client op: when it was invoked and completed, and how.
#[derive(Clone, Debug)]
pub struct Op {
    pub invoked_ns: u64,
    pub done_ns: u64,
    pub kind: EventType,
    pub f: String,
    pub key: String,
    pub value: serde_json::Value,
    pub error: Option<String>,
}

/// Every completed client op, in order of completion.
pub fn ops(history: &History) -> Vec<Op> {
    let mut open: BTreeMap<u64, u64> = BTreeMap::new();
    let mut done = Vec::new();
    for e in history.events() {
        let Process::Client(p) = e.process else {
            continue;
        };
        if e.kind == EventType::Invoke {
            open.insert(p, e.time);
        } else {
            done.push(Op {
                invoked_ns: open.remove(&p).expect("a completion after its invoke"),
                done_ns: e.time,
                kind: e.kind,
                f: e.f.clone(),
                key: e.key.clone().unwrap_or_default(),
                value: e.value.clone(),
                error: e.error.clone(),
            });
        }
    }
    done
}

/// Ops completed with `kind` strictly between `from_ms` and `to_ms`.
pub fn completed(ops: &[Op], kind: EventType, from_ms: u64, to_ms: u64) -> usize {
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
