//! The end of a faulty run: once the clients have run their ops, every
//! fault is healed, then every key is read once more (the workload's
//! final reads). If the healed system
//! does not answer all of them within the nemesis's `quiet_ms`, the run
//! fails with a liveness error, reported apart from linearizability.

use crate::clock::sim_now;
use crate::sut::Client;
use results::{History, Process};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use workloads::{Op, Outcome};

/// Where a run with faults is: shared between the client host (which says
/// when the workload is over) and the fault executor (which heals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Clients run their ops; faults come and go.
    Workload,
    /// Every client finished: the executor heals everything next.
    WorkloadDone,
    /// Everything is healed: the final reads run.
    Healed,
}

/// The shared [`Stage`]. Cloning shares it.
#[derive(Clone, Debug)]
pub struct RunPhase(Rc<Cell<Stage>>);

impl Default for RunPhase {
    fn default() -> Self {
        RunPhase(Rc::new(Cell::new(Stage::Workload)))
    }
}

impl RunPhase {
    /// The current stage.
    pub fn get(&self) -> Stage {
        self.0.get()
    }

    /// Moves to `stage`.
    pub fn set(&self, stage: Stage) {
        self.0.set(stage)
    }
}

/// The quiet phase: one read of every key after the final heal.
pub struct FinalReads {
    /// Shared with the executor.
    pub phase: RunPhase,
    /// One read per key of the workload.
    pub reads: Vec<Op>,
    /// Deadline of one read.
    pub deadline: Duration,
    /// Time the healed system has to answer every key.
    pub quiet: Duration,
    /// The run's history.
    pub history: Rc<RefCell<History>>,
    /// Where a liveness failure is reported.
    pub failure: Rc<RefCell<Option<String>>>,
    /// Host names of the nodes, for the completion's `node`.
    pub names: Vec<String>,
}

impl FinalReads {
    /// Says the workload is over, waits for the heal, then reads every key
    /// with `client` until it answers, or until the quiet time is up.
    pub async fn run<C: Client>(self, mut client: C) {
        self.phase.set(Stage::WorkloadDone);
        while self.phase.get() != Stage::Healed {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let healed_at = sim_now();
        let end = healed_at + self.quiet;
        let mut process = self.fresh_process();
        let mut missing = Vec::new();
        for op in &self.reads {
            let key = &op.key;
            let mut last = String::from("not tried: no time left");
            loop {
                let now = sim_now();
                if now >= end {
                    missing.push(format!("{key} ({last})"));
                    break;
                }
                let deadline = self.deadline.min(end - now);
                self.record(op.invoke_event(process));
                let outcome = tokio::time::timeout(deadline, client.call(op, deadline))
                    .await
                    .unwrap_or_else(|_| Outcome::Info("timeout".into()));
                let mut completion = op.completion_event(process, &outcome);
                completion.node = client.served_by().and_then(|n| self.names.get(n).cloned());
                self.record(completion);
                match outcome {
                    Outcome::Ok(_) => break,
                    Outcome::Fail(why) => last = why,
                    Outcome::Info(why) => {
                        client.reset();
                        process = self.fresh_process();
                        last = why;
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        if !missing.is_empty() {
            *self.failure.borrow_mut() = Some(format!(
                "after the final heal at {:.3} s, no answer within {} ms for {}",
                healed_at.as_secs_f64(),
                self.quiet.as_millis(),
                missing.join(", ")
            ));
        }
    }

    /// A process number no client has used: one past the largest so far.
    fn fresh_process(&self) -> Process {
        let history = self.history.borrow();
        let max = history
            .events()
            .iter()
            .filter_map(|e| match e.process {
                Process::Client(n) => Some(n),
                Process::Nemesis => None,
            })
            .max();
        Process::Client(max.map_or(0, |n| n + 1))
    }

    fn record(&self, event: results::Event) {
        let now = sim_now().as_nanos() as u64;
        let index = self.history.borrow_mut().push(now, event);
        crate::trace::op_event(&self.history.borrow(), index);
    }
}
