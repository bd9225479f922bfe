//! The driver: builds a turmoil simulation from a [`Scenario`], runs the
//! clients against the system under test, and returns the history.
//!
//! [`run_with`] reads top to bottom in these phases:
//! 1. **Build** the `Sim` from the scenario: turmoil's rng, epoch, tick
//!    (1 ms), latency and duration all come from the scenario, never from
//!    defaults (which read the OS clock and entropy).
//! 2. **Register** one host per node (the factory builds a fresh
//!    [`NodeCtx`] per incarnation, so a restarted node gets a fresh rng
//!    stream and must recover from its disk) and one client host running
//!    every client worker as a task.
//! 3. **Drive**: before every `sim.step()` the fault executor
//!    ([`crate::faults`]) applies the scenario's due nemesis actions, then
//!    the driver callback may inject faults of its own; the loop ends when
//!    every client has finished its ops.
//! 4. **Heal and read** (only when the scenario has a nemesis): once the
//!    clients are done, every open fault is healed and the workload's
//!    final reads (one per key) run; no answer within `quiet_ms` is a
//!    liveness failure ([`RunOutcome::liveness`]).
//! 5. **Collect** the history. A panic anywhere (node, client, driver) or a
//!    simulation error becomes [`RunOutcome::error`], never a pass.

use crate::clock::{SkewClock, EPOCH_NS};
use crate::events::EventSink;
use crate::faults::FaultExecutor;
use crate::liveness::FinalReads;
use crate::node_ctx::NodeCtx;
use crate::pause::PauseGate;
use crate::scenario::Scenario;
use crate::seeds::Seeds;
use crate::sut::{CheckPoint, Client, ClientCtx, System, SETTLE_MS};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use results::{Event, History, Process};
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};
use turmoil::Sim;
use workloads::{HistoryChecker, Outcome, Workload};

/// Where the final reads report a liveness failure.
type Liveness = Rc<RefCell<Option<String>>>;
/// Where a violated invariant of the system is reported.
type Invariant = Rc<RefCell<Option<String>>>;
/// Simulated ms between two `During` checks of the system's invariants.
const INVARIANT_EVERY_MS: u64 = 100;

/// What a run produced.
pub struct RunOutcome {
    /// Every client operation (and fault), in order of simulated time.
    pub history: History,
    /// Simulated time when the run ended.
    pub sim_time: Duration,
    /// Why the run did not finish cleanly (a panic, a simulation error, the
    /// simulated time limit); `None` when every client finished.
    pub error: Option<String>,
    /// Set when, after the final heal, the system did not answer a read of
    /// every key within the nemesis's `quiet_ms` (apart from
    /// linearizability: the history may still be valid).
    pub liveness: Option<String>,
    /// The first violations of the system's own invariants
    /// ([`System::invariants`]), if any.
    pub invariant: Option<String>,
    /// How the history is judged: the checker of the workload that ran
    /// (`None` when the run failed before its workload was built).
    pub checker: Option<Arc<dyn HistoryChecker>>,
}

impl std::fmt::Debug for RunOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOutcome")
            .field("history", &self.history)
            .field("sim_time", &self.sim_time)
            .field("error", &self.error)
            .field("liveness", &self.liveness)
            .field("invariant", &self.invariant)
            .field("checker", &self.checker.as_ref().map(|c| c.name()))
            .finish()
    }
}

impl RunOutcome {
    /// The outcome of a run that could not start: `error` says why.
    pub fn failed(error: impl Into<String>) -> Self {
        RunOutcome {
            history: History::new(),
            sim_time: Duration::ZERO,
            error: Some(error.into()),
            liveness: None,
            invariant: None,
            checker: None,
        }
    }
}

/// Set by a build with `--cfg tokio_unstable`: without it turmoil cannot
/// seed tokio's `select!` (runs are not reproducible) and a panic in a
/// spawned task vanishes instead of failing the run.
pub const TOKIO_UNSTABLE: bool = cfg!(tokio_unstable);

/// Why a build cannot run simulations, or `None` when it can.
pub fn build_problem() -> Option<&'static str> {
    (!TOKIO_UNSTABLE).then_some(
        "this build lacks `--cfg tokio_unstable`, without which runs are not reproducible \
         (tokio's select! is unseeded) and panics in node tasks vanish. Add to your \
         project's .cargo/config.toml:\n  [build]\n  rustflags = [\"--cfg\", \"tokio_unstable\"]\n\
         (or set RUSTFLAGS=\"--cfg tokio_unstable\") and rebuild",
    )
}

/// turmoil's `tcp_capacity`: a listener's backlog of pending connects and
/// a stream's window, in segments (see where the simulation is built).
pub const TCP_CAPACITY: usize = 4_096;

/// The driver's handle on the nodes: their names, pause gates and clocks,
/// and crash/restart that keep the harness-side state consistent.
#[derive(Clone, Debug)]
pub struct Nodes {
    names: Vec<String>,
    gates: Vec<PauseGate>,
    clocks: Vec<SkewClock>,
}

impl Nodes {
    fn new(names: Vec<String>) -> Self {
        let n = names.len();
        Nodes {
            names,
            gates: (0..n).map(|_| PauseGate::new()).collect(),
            clocks: (0..n).map(|_| SkewClock::new()).collect(),
        }
    }

    /// How many nodes there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Host name of node `i`.
    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// Host names of all nodes.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Node `i`'s pause gate.
    pub fn gate(&self, i: usize) -> &PauseGate {
        &self.gates[i]
    }

    /// Node `i`'s wall clock.
    pub fn clock(&self, i: usize) -> &SkewClock {
        &self.clocks[i]
    }

    /// Kills node `i`: its tasks are dropped and its unsynced writes lost.
    /// Its pause gate is reset, so it does not come back paused.
    pub fn crash(&self, sim: &mut Sim<'_>, i: usize) {
        self.gates[i].resume();
        sim.crash(self.names[i].as_str());
    }

    /// Starts node `i` again from what it made durable.
    pub fn restart(&self, sim: &mut Sim<'_>, i: usize) {
        self.gates[i].resume();
        sim.bounce(self.names[i].as_str());
    }

    /// True while node `i` runs (not crashed).
    pub fn is_running(&self, sim: &mut Sim<'_>, i: usize) -> bool {
        sim.is_host_running(self.names[i].as_str())
    }
}

/// Runs `scenario` against `system`, with the scenario's faults
/// (`scenario.nemesis`; none if it has none).
pub fn run<S: System>(scenario: &Scenario, system: S) -> RunOutcome {
    run_with(scenario, system, &mut |_, _| {})
}

/// Runs `scenario` against `system`, calling `driver` before every
/// simulation step (1 ms of simulated time) so it can inject faults.
pub fn run_with<S: System>(
    scenario: &Scenario,
    system: S,
    driver: &mut dyn FnMut(&mut Sim<'_>, &Nodes),
) -> RunOutcome {
    let history = Rc::new(RefCell::new(History::new()));
    let sim_time = Rc::new(Cell::new(Duration::ZERO));
    let liveness = Rc::new(RefCell::new(None));
    let invariant = Rc::new(RefCell::new(None));
    let checker = RefCell::new(None);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let shared = Shared {
            history: history.clone(),
            sim_time: sim_time.clone(),
            liveness: liveness.clone(),
            invariant: invariant.clone(),
        };
        simulate(scenario, system, driver, shared, &checker)
    }));
    let error = match result {
        Ok(Ok(())) => None,
        Ok(Err(message)) => Some(message),
        Err(panic) => Some(format!("panic: {}", panic_message(&*panic))),
    };
    let history = std::mem::take(&mut *history.borrow_mut());
    RunOutcome {
        history,
        sim_time: sim_time.get(),
        error,
        liveness: liveness.take(),
        invariant: invariant.take(),
        checker: checker.into_inner(),
    }
}

/// What the simulation shares with the caller of [`run_with`].
struct Shared {
    history: Rc<RefCell<History>>,
    sim_time: Rc<Cell<Duration>>,
    liveness: Liveness,
    invariant: Invariant,
}

fn simulate<S: System>(
    scenario: &Scenario,
    system: S,
    driver: &mut dyn FnMut(&mut Sim<'_>, &Nodes),
    shared: Shared,
    checker: &RefCell<Option<Arc<dyn HistoryChecker>>>,
) -> Result<(), String> {
    let Shared {
        history,
        sim_time,
        liveness,
        invariant,
    } = shared;
    if let Some(problem) = build_problem() {
        return Err(problem.to_string());
    }
    scenario.validate()?;
    let seeds = Seeds::new(scenario.seed);
    // The workloads first: a system that cannot serve the scenario's
    // workload fails the run before anything is simulated.
    let mut workers: Vec<Box<dyn Workload>> = (0..=scenario.clients)
        .map(|worker| system.workload(&scenario.workload, worker))
        .collect::<Result<_, _>>()?;
    *checker.borrow_mut() = Some(workers[0].checker());

    // 1. Build.
    let mut sim = turmoil::Builder::new()
        .rng_seed(seeds.derive_u64("network", 0))
        .epoch(UNIX_EPOCH + Duration::from_nanos(EPOCH_NS as u64))
        .tick_duration(Duration::from_millis(1))
        .simulation_duration(Duration::from_millis(scenario.sim_ms_max))
        .min_message_latency(Duration::from_millis(scenario.latency_ms_min))
        .max_message_latency(Duration::from_millis(scenario.latency_ms_max))
        // turmoil panics the whole simulation when a listener has this
        // many SYNs pending (a real kernel drops them), and a node whose
        // links were held (delay, timeout) gets every SYN its peers and
        // clients sent meanwhile in one burst: openraft seeds 304 and 361
        // died of 256. It is also each stream's flow-control window (in
        // writes), which a real TCP window of a few MB matches.
        .tcp_capacity(TCP_CAPACITY)
        .build();

    // 2. Register the nodes, then the client host.
    let system = Rc::new(system);
    let nodes = Nodes::new(scenario.node_names());
    let sink = EventSink::new(
        history.clone(),
        nodes.names().to_vec(),
        (&scenario.nemesis.buggify, seeds),
        !scenario.nemesis.triggers.is_empty(),
    );
    for id in 0..nodes.len() {
        let node = NodeSetup {
            system: &system,
            nodes: &nodes,
            seeds,
            topology: &scenario.topology,
            sink: &sink,
        };
        register_node(&mut sim, node, id);
    }
    let leader = {
        let system = system.clone();
        Box::new(move || system.leader())
    };
    let mut faults = FaultExecutor::for_scenario(
        scenario,
        seeds,
        nodes.clone(),
        history.clone(),
        leader,
        sink,
    );
    let final_workload = workers.pop().expect("one workload per worker and one more");
    let mut final_reads = faults.as_ref().map(|f| FinalReads {
        phase: f.phase(),
        reads: final_workload.final_reads(),
        deadline: Duration::from_millis(scenario.deadline_ms),
        quiet: Duration::from_millis(scenario.nemesis.quiet_ms),
        history: history.clone(),
        failure: liveness,
        names: nodes.names().to_vec(),
    });
    let leader_history = history.clone();
    let plan = ClientPlan {
        scenario: scenario.clone(),
        names: nodes.names().to_vec(),
        seeds,
        invariant: invariant.clone(),
        history: history.clone(),
        budget: Rc::new(Cell::new(scenario.ops)),
        running: Rc::new(Cell::new(scenario.clients)),
    };
    let hosts = scenario.topology.client_names();
    let mut per_host: Vec<Vec<(usize, Box<dyn Workload>)>> =
        (0..hosts.len()).map(|_| Vec::new()).collect();
    for (worker, workload) in workers.into_iter().enumerate() {
        per_host[worker % hosts.len()].push((worker, workload));
    }
    for (host, workers) in hosts.iter().zip(per_host) {
        // The first client host also runs the final reads, once every
        // worker on every host is done.
        let reads = final_reads.take();
        sim.client(
            host.as_str(),
            plan.clone().run(system.clone(), workers, reads),
        );
    }

    // 3. Drive: due faults first, then the caller's driver; after each
    // step, a change of leader (as the system tells it) is recorded; the
    // system's invariants every INVARIANT_EVERY_MS.
    let mut leader = LeaderLog::new(nodes.names().to_vec(), leader_history);
    let check = |at| check_invariants(&*system, CheckPoint::During, &invariant, &history, at);
    let mut step = 0u64;
    loop {
        if let Some(faults) = faults.as_mut() {
            faults.before_step(&mut sim);
        }
        driver(&mut sim, &nodes);
        let finished = sim.step().map_err(|e| e.to_string());
        sim_time.set(sim.elapsed());
        leader.sample(system.leader(), sim.elapsed());
        step += 1;
        if finished? {
            check(sim.elapsed());
            return Ok(());
        }
        if step.is_multiple_of(INVARIANT_EVERY_MS) {
            check(sim.elapsed());
        }
    }
}

/// What every node host is built from.
struct NodeSetup<'a, S> {
    system: &'a Rc<S>,
    nodes: &'a Nodes,
    seeds: Seeds,
    topology: &'a crate::scenario::Topology,
    sink: &'a EventSink,
}

fn register_node<S: System>(sim: &mut Sim<'_>, setup: NodeSetup<'_, S>, id: usize) {
    let NodeSetup {
        system,
        nodes,
        seeds,
        topology,
        sink,
    } = setup;
    let system = system.clone();
    let sink = sink.clone();
    let names = nodes.names().to_vec();
    let (port, data_dir) = (topology.port, PathBuf::from(&topology.data_dir));
    let (gate, clock) = (nodes.gate(id).clone(), nodes.clock(id).clone());
    let incarnation = Cell::new(0u64);
    sim.host(nodes.name(id), move || {
        let n = incarnation.replace(incarnation.get() + 1);
        let ctx = NodeCtx {
            id,
            names: names.clone(),
            port,
            incarnation: n,
            clock: clock.clone(),
            gate: gate.clone(),
            rng: seeds.stream("node", ((id as u64) << 32) | n),
            data_dir: data_dir.clone(),
            sink: sink.clone(),
        };
        system.node(ctx)
    });
}

/// Records who leads, as the system tells it, whenever that changes: a
/// nemesis-process event `leader` with `{"node": "n2"}` (`null` for none).
/// The first event comes when a leader is first known.
struct LeaderLog {
    names: Vec<String>,
    history: Rc<RefCell<History>>,
    last: Option<usize>,
}

impl LeaderLog {
    fn new(names: Vec<String>, history: Rc<RefCell<History>>) -> Self {
        LeaderLog {
            names,
            history,
            last: None,
        }
    }

    fn sample(&mut self, leader: Option<usize>, now: Duration) {
        if leader == self.last {
            return;
        }
        self.last = leader;
        let node = leader.and_then(|l| self.names.get(l));
        let value = serde_json::json!({ "node": node });
        self.history
            .borrow_mut()
            .push(now.as_nanos() as u64, Event::nemesis("leader", value));
    }
}

/// Checks `system`'s invariants at `at` unless one is already violated;
/// the first violations are kept and recorded in the history. True when
/// they hold.
fn check_invariants<S: System>(
    system: &S,
    at: CheckPoint,
    invariant: &Invariant,
    history: &Rc<RefCell<History>>,
    now: Duration,
) -> bool {
    if invariant.borrow().is_some() {
        return false;
    }
    let violations = system.invariants(at);
    if violations.is_empty() {
        return true;
    }
    let text = one_line(&violations);
    let value = serde_json::json!({ "violations": violations });
    history
        .borrow_mut()
        .push(now.as_nanos() as u64, Event::nemesis("invariant", value));
    *invariant.borrow_mut() = Some(text);
    false
}

/// The violations as one line for the verdict: each distinct message once,
/// in the order first seen, with `(×N)` when it was reported N times (a
/// check that fires per read or per node repeats itself).
fn one_line(violations: &[String]) -> String {
    let mut distinct: Vec<(&str, usize)> = Vec::new();
    for v in violations {
        match distinct.iter_mut().find(|(seen, _)| *seen == v.as_str()) {
            Some((_, count)) => *count += 1,
            None => distinct.push((v, 1)),
        }
    }
    let parts: Vec<String> = distinct
        .into_iter()
        .map(|(v, count)| match count {
            1 => v.to_string(),
            n => format!("{v} (×{n})"),
        })
        .collect();
    parts.join("; ")
}

/// Everything a client host needs: it runs one task per worker of its
/// own. The op budget and the count of running workers are shared by the
/// hosts.
#[derive(Clone)]
struct ClientPlan {
    scenario: Scenario,
    names: Vec<String>,
    seeds: Seeds,
    invariant: Invariant,
    history: Rc<RefCell<History>>,
    budget: Rc<Cell<usize>>,
    running: Rc<Cell<usize>>,
}

impl ClientPlan {
    fn client_ctx(&self, worker: usize) -> ClientCtx {
        ClientCtx {
            worker,
            names: self.names.clone(),
            port: self.scenario.topology.port,
            rng: self.seeds.stream("client", worker as u64),
        }
    }

    async fn run<S: System>(
        self,
        system: Rc<S>,
        workers: Vec<(usize, Box<dyn Workload>)>,
        final_reads: Option<FinalReads>,
    ) -> turmoil::Result {
        let mut tasks = Vec::new();
        for (worker, workload) in workers {
            let client = system.client(self.client_ctx(worker));
            let state = Worker {
                worker,
                names: self.names.clone(),
                clients: self.scenario.clients,
                ops_rng: self.seeds.stream("client-ops", worker as u64),
                workload,
                deadline: Duration::from_millis(self.scenario.deadline_ms),
                think_ms_max: self.scenario.think_ms_max,
                budget: self.budget.clone(),
                history: self.history.clone(),
            };
            let running = self.running.clone();
            tasks.push(tokio::task::spawn_local(async move {
                state.run(client).await;
                running.set(running.get() - 1);
            }));
        }
        for task in tasks {
            task.await?;
        }
        if let Some(reads) = final_reads {
            while self.running.get() > 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let client = system.client(self.client_ctx(self.scenario.clients));
            reads.run(client).await;
            self.settle(&*system).await;
        }
        Ok(())
    }

    /// After the final reads: polls the `AfterHeal` invariants every 10 ms
    /// until they hold or [`SETTLE_MS`] pass; keeps the last violations.
    async fn settle<S: System>(&self, system: &S) {
        let during = |now| {
            check_invariants(
                system,
                CheckPoint::During,
                &self.invariant,
                &self.history,
                now,
            )
        };
        if !during(crate::clock::sim_now()) {
            return;
        }
        let give_up = crate::clock::sim_now() + Duration::from_millis(SETTLE_MS);
        loop {
            // The run's own `During` checks go on meanwhile: keep the
            // first violation they find rather than replace it.
            if self.invariant.borrow().is_some() {
                return;
            }
            let now = crate::clock::sim_now();
            if now >= give_up {
                let at = CheckPoint::AfterHeal;
                check_invariants(system, at, &self.invariant, &self.history, now);
                return;
            }
            if system.invariants(CheckPoint::AfterHeal).is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// One client worker: a loop of ops, under a fresh process id after every
/// indeterminate one (as in Jepsen).
struct Worker {
    worker: usize,
    names: Vec<String>,
    clients: usize,
    ops_rng: ChaCha8Rng,
    workload: Box<dyn Workload>,
    deadline: Duration,
    think_ms_max: u64,
    budget: Rc<Cell<usize>>,
    history: Rc<RefCell<History>>,
}

impl Worker {
    async fn run<C: Client>(mut self, mut client: C) {
        let mut process = self.worker as u64;
        while self.budget.get() > 0 {
            self.budget.set(self.budget.get() - 1);
            let think = self.ops_rng.random_range(0..=self.think_ms_max);
            tokio::time::sleep(Duration::from_millis(think)).await;

            let op = self.workload.next_op(&mut self.ops_rng);
            let who = Process::Client(process);
            self.record(op.invoke_event(who));
            let outcome = tokio::time::timeout(self.deadline, client.call(&op, self.deadline))
                .await
                .unwrap_or_else(|_| Outcome::Info("timeout".into()));
            let mut completion = op.completion_event(who, &outcome);
            completion.node = client.served_by().and_then(|n| self.names.get(n).cloned());
            self.record(completion);
            if matches!(outcome, Outcome::Info(_)) {
                client.reset();
                process += self.clients as u64;
            }
        }
    }

    fn record(&self, event: Event) {
        let now = crate::clock::sim_now().as_nanos() as u64;
        let index = self.history.borrow_mut().push(now, event);
        crate::trace::op_event(&self.history.borrow(), index);
    }
}

/// The text a panic carried (`panic!` with a message, or a string payload).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn repeated_violations_are_listed_once_with_their_count() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(one_line(&v(&["a"])), "a");
        assert_eq!(one_line(&v(&["b", "a", "b", "c", "b"])), "b (×3); a; c");
    }
}
