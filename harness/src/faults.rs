//! The fault executor: applies a [`Schedule`] between simulation steps,
//! records every start and end in the history (process `"nemesis"`), and
//! heals everything when the workload is over.
//!
//! It is thin on purpose: faults are data ([`nemeses::Fault`]); this file
//! only maps them onto turmoil's verbs, the nodes' pause gates and clocks.
//! Link faults overlap (a burst and a partition on the same link), and
//! turmoil's verbs do not stack, so every link fault adds claims to a
//! [`LinkTable`] and the executor moves each touched link from its old
//! state to its new one.
//!
//! Besides the clock-driven schedule, triggers ([`nemeses::Trigger`]) fire
//! faults on events: a node's (through [`EventSink`]) or a scheduled
//! fault's start (`pause-start`, …, whose subject is the node it hit).
//! A triggered fault is recorded with a `trigger` field naming its event;
//! it is dropped while another triggered fault is open, or if its node is
//! already paused or crashed (or has the same kind of fault open), and a scheduled pause, crash or clock fault
//! meeting a triggered one on its node is recorded as `KIND-skip` instead
//! of starting, so that every scheduled fault leaves one event.

use crate::events::{EventSink, NodeEvent};
use crate::liveness::{RunPhase, Stage};
use crate::reactions::Reactions;
use crate::runner::Nodes;
use crate::scenario::Scenario;
use crate::seeds::Seeds;
use nemeses::{
    Action, ClockChange, Delay, Fault, Heal, Host, Link, LinkState, LinkTable, Phase, Schedule,
    Target,
};
use results::{Event, History};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;
use turmoil::Sim;

/// Which node leads right now, if the system can tell (for the
/// isolate-leader partition).
pub type LeaderProbe = Box<dyn Fn() -> Option<usize>>;

/// Applies a run's fault schedule. See the module docs.
pub struct FaultExecutor {
    actions: Vec<Action>,
    next: usize,
    nodes: Nodes,
    history: Rc<RefCell<History>>,
    links: LinkTable,
    open: BTreeMap<u64, Fault>,
    leader: LeaderProbe,
    phase: RunPhase,
    latency_ms: (u64, u64),
    client_hosts: Vec<String>,
    reactions: Reactions,
    sink: EventSink,
    /// Starts of scheduled faults, as events for the triggers.
    fault_events: Vec<NodeEvent>,
    /// Triggered faults not yet started: id → what fired them.
    triggered: BTreeMap<u64, Value>,
    next_triggered: u64,
}

/// Triggered faults are numbered from here (scheduled ones count from 0),
/// so their ids do not depend on how long the schedule is.
pub const TRIGGERED_ID_BASE: u64 = 1 << 32;

impl FaultExecutor {
    /// The executor of `scenario.nemesis`, or `None` when it injects
    /// nothing. Its schedule is drawn from the `("nemesis", kind)` streams
    /// for the whole simulated-time budget (`sim_ms_max`); the workload's
    /// end cuts it short.
    pub fn for_scenario(
        scenario: &Scenario,
        seeds: Seeds,
        nodes: Nodes,
        history: Rc<RefCell<History>>,
        leader: LeaderProbe,
        sink: EventSink,
    ) -> Option<FaultExecutor> {
        if !scenario.nemesis.is_active() {
            return None;
        }
        let schedule = schedule_of(scenario, seeds);
        Some(FaultExecutor {
            actions: schedule.actions,
            next: 0,
            nodes,
            history,
            links: LinkTable::new(),
            open: BTreeMap::new(),
            leader,
            phase: RunPhase::default(),
            latency_ms: (scenario.latency_ms_min, scenario.latency_ms_max),
            client_hosts: scenario.topology.client_names(),
            reactions: Reactions::new(&scenario.nemesis.triggers, seeds),
            sink,
            fault_events: Vec::new(),
            triggered: BTreeMap::new(),
            next_triggered: TRIGGERED_ID_BASE,
        })
    }

    /// The stage shared with the client host's final reads.
    pub fn phase(&self) -> RunPhase {
        self.phase.clone()
    }

    /// Called before every step: applies the actions that are due, or,
    /// once the workload is over, heals every open fault.
    pub fn before_step(&mut self, sim: &mut Sim<'_>) {
        match self.phase.get() {
            Stage::Workload => {
                let now_ms = sim.elapsed().as_millis() as u64;
                loop {
                    let mut events = self.sink.take();
                    events.append(&mut self.fault_events);
                    for event in &events {
                        self.react(now_ms, event);
                    }
                    while let Some(action) =
                        self.actions.get(self.next).filter(|a| a.at_ms <= now_ms)
                    {
                        let action = action.clone();
                        self.next += 1;
                        match action.phase {
                            Phase::Start => self.start(sim, action.id, action.fault),
                            Phase::End => self.end(sim, action.id, false),
                        }
                    }
                    if self.fault_events.is_empty() {
                        break;
                    }
                }
            }
            Stage::WorkloadDone => {
                self.sink.take();
                self.sink.heal();
                let open: Vec<u64> = self.open.keys().copied().collect();
                for id in open {
                    self.end(sim, id, true);
                }
                self.phase.set(Stage::Healed);
            }
            Stage::Healed => {
                self.sink.take();
            }
        }
    }

    /// Schedules the faults the triggers fire on `event`.
    fn react(&mut self, now_ms: u64, event: &NodeEvent) {
        let n = self.nodes.len();
        for fired in self.reactions.react(now_ms, &event.name, event.node, n) {
            let id = self.next_triggered;
            self.next_triggered += 1;
            let on = json!({
                "on": event.name,
                "node": self.nodes.name(event.node),
                "trigger": self.reactions.label(fired.trigger),
            });
            self.triggered.insert(id, on);
            let end_ms = fired.at_ms + fired.fault.ms();
            for (at_ms, phase) in [(fired.at_ms, Phase::Start), (end_ms, Phase::End)] {
                let key = (at_ms, phase, id);
                let at = self
                    .actions
                    .partition_point(|a| (a.at_ms, a.phase, a.id) < key)
                    .max(self.next);
                let fault = fired.fault.clone();
                let action = Action {
                    at_ms,
                    id,
                    phase,
                    fault,
                };
                self.actions.insert(at, action);
            }
        }
    }

    /// True if `fault` (resolved) must not start: a triggered fault while
    /// another is open, or on a node already paused or crashed, or with
    /// one of its own kind open;
    /// a scheduled one meeting such a triggered fault.
    fn conflicts(&self, fault: &Fault, triggered: bool) -> bool {
        // One triggered fault at a time: compositions are pairs, not storms.
        if triggered && self.open.keys().any(|&id| id >= TRIGGERED_ID_BASE) {
            return true;
        }
        let Some(node) = single_node(fault) else {
            return false;
        };
        self.open.iter().any(|(&id, open)| {
            let stops = matches!(open, Fault::Pause { .. } | Fault::Crash { .. });
            let relevant =
                single_node(open) == Some(node) && (stops || open.kind() == fault.kind());
            relevant && (triggered || id >= TRIGGERED_ID_BASE)
        })
    }

    fn start(&mut self, sim: &mut Sim<'_>, id: u64, fault: Fault) {
        let now = sim.elapsed();
        let mut value = fault.describe(&|h| self.host_name(h));
        let leader = (self.leader)();
        // Every partition records the leader too: it tells which side it was on.
        if fault.follows_leader() || matches!(fault, Fault::Partition(_)) {
            insert(
                &mut value,
                "leader",
                json!(leader.map(|l| self.nodes.name(l))),
            );
        }
        let fault = fault.resolve(leader);
        let trigger = self.triggered.remove(&id);
        if self.conflicts(&fault, trigger.is_some()) {
            if trigger.is_none() {
                insert(&mut value, "id", json!(id));
                self.record(now, &format!("{}-skip", fault.kind()), value);
            }
            return;
        }
        if trigger.is_none() {
            if let Some(node) = subject(&fault, leader, self.nodes.len()) {
                let name = format!("{}-start", fault.kind());
                self.fault_events.push(NodeEvent { node, name });
            }
        }
        let before = self.links.clone();
        let touched: Vec<Link> = match &fault {
            Fault::Pause { node, .. } => {
                insert(&mut value, "node", json!(self.nodes.name(*node)));
                self.nodes.gate(*node).pause();
                vec![]
            }
            Fault::Crash { node, .. } => {
                insert(&mut value, "node", json!(self.nodes.name(*node)));
                self.nodes.crash(sim, *node);
                vec![]
            }
            Fault::Clock(c) => {
                let clock = self.nodes.clock(c.node);
                match c.change {
                    ClockChange::Bump { delta_ms } => clock.bump(now, delta_ms * 1_000_000),
                    ClockChange::Drift { ppm } => clock.set_drift(now, ppm),
                    ClockChange::Strobe {
                        delta_ms,
                        period_ms,
                    } => clock.set_strobe(
                        now,
                        delta_ms * 1_000_000,
                        Duration::from_millis(period_ms),
                    ),
                }
                vec![]
            }
            Fault::Timeout { node, .. } => {
                self.links.hold(id, Host::Node(*node), Host::Clients);
                vec![nemeses::links::link(Host::Node(*node), Host::Clients)]
            }
            Fault::Delay(Delay::Burst { links, .. }) => {
                links.iter().for_each(|&(a, b)| self.links.hold(id, a, b));
                links.clone()
            }
            Fault::Delay(Delay::Slow {
                links,
                latency_ms,
                jitter_ms,
                ..
            }) => {
                let (min, max) = (*latency_ms, latency_ms + jitter_ms);
                links
                    .iter()
                    .for_each(|&(a, b)| self.links.slow(id, a, b, min, max));
                links.clone()
            }
            Fault::Partition(p) => {
                let cuts = p.shape.cuts(self.nodes.len(), leader);
                cuts.iter()
                    .for_each(|&(from, to)| self.links.cut(id, from, to));
                let names: Vec<[String; 2]> = cuts
                    .iter()
                    .map(|&(a, b)| [self.host_name(a), self.host_name(b)])
                    .collect();
                insert(&mut value, "cut", json!(names));
                cuts.iter()
                    .map(|&(a, b)| nemeses::links::link(a, b))
                    .collect()
            }
        };
        self.sync_links(sim, &before, &touched);
        insert(&mut value, "id", json!(id));
        if let Some(trigger) = trigger {
            insert(&mut value, "trigger", trigger);
        }
        self.record(now, &format!("{}-start", fault.kind()), value);
        self.open.insert(id, fault);
    }

    fn end(&mut self, sim: &mut Sim<'_>, id: u64, at_final_heal: bool) {
        let Some(fault) = self.open.remove(&id) else {
            return; // already healed (by the final heal)
        };
        let heal = fault.heal();
        match heal {
            Heal::Resume(node) => self.nodes.gate(node).resume(),
            Heal::Restart(node) => self.nodes.restart(sim, node),
            Heal::ResetClock(node) => self.nodes.clock(node).reset(),
            Heal::Links => {
                let before = self.links.clone();
                let touched = self.links.remove(id);
                self.sync_links(sim, &before, &touched);
            }
        }
        let mut value = fault.describe(&|h| self.host_name(h));
        insert(&mut value, "id", json!(id));
        insert(&mut value, "heal", json!(heal.name()));
        if at_final_heal {
            insert(&mut value, "final", json!(true));
        }
        self.record(sim.elapsed(), &format!("{}-end", fault.kind()), value);
    }

    /// Moves every touched link from its state in `before` to its state now.
    fn sync_links(&self, sim: &mut Sim<'_>, before: &LinkTable, touched: &[Link]) {
        for &(a, b) in touched {
            for (x, y) in self.host_pairs(a, b) {
                self.sync_link(sim, before, (a, b), (&x, &y));
            }
        }
    }

    /// Moves one turmoil link `x`–`y` (of the harness link `a`–`b`) from
    /// its state in `before` to its state now.
    fn sync_link(&self, sim: &mut Sim<'_>, before: &LinkTable, (a, b): Link, (x, y): (&str, &str)) {
        let (old, new) = (before.state(a, b), self.links.state(a, b));
        let cut_new = |sim: &mut Sim<'_>| match new {
            LinkState::Cut {
                forward: true,
                backward: true,
            } => sim.partition(x, y),
            LinkState::Cut { forward: true, .. } => sim.partition_oneway(x, y),
            LinkState::Cut { .. } => sim.partition_oneway(y, x),
            LinkState::Held => sim.hold(x, y),
            LinkState::Healthy => {}
        };
        match (old, new) {
            _ if old == new => {}
            // A two-way cut drops the held messages with the rest.
            (
                LinkState::Held,
                LinkState::Cut {
                    forward: true,
                    backward: true,
                },
            ) => cut_new(sim),
            // One way: drop that way's held messages, deliver the others.
            (LinkState::Held, LinkState::Cut { .. }) => {
                cut_new(sim);
                sim.release(x, y);
                cut_new(sim);
            }
            (LinkState::Held, _) => sim.release(x, y),
            (LinkState::Cut { .. }, _) => {
                sim.repair(x, y);
                cut_new(sim);
            }
            (LinkState::Healthy, _) => cut_new(sim),
        }
        if before.latency(a, b) != self.links.latency(a, b) {
            let (min, max) = self.links.latency(a, b).unwrap_or(self.latency_ms);
            sim.set_link_latency(x, y, Duration::from_millis(min));
            sim.set_link_max_message_latency(x, y, Duration::from_millis(max));
        }
    }

    /// The name a history event gives `host`: a node's host name, or the
    /// client host (`clients` when there are several).
    fn host_name(&self, host: Host) -> String {
        match host {
            Host::Node(i) => self.nodes.name(i).to_string(),
            Host::Clients if self.client_hosts.len() == 1 => self.client_hosts[0].clone(),
            Host::Clients => "clients".to_string(),
        }
    }

    /// The turmoil hosts `host` stands for: one node, or every client host.
    fn hosts(&self, host: Host) -> Vec<String> {
        match host {
            Host::Node(i) => vec![self.nodes.name(i).to_string()],
            Host::Clients => self.client_hosts.clone(),
        }
    }

    /// Every pair of turmoil hosts the link `a`–`b` stands for.
    fn host_pairs(&self, a: Host, b: Host) -> Vec<(String, String)> {
        let ys = self.hosts(b);
        self.hosts(a)
            .into_iter()
            .flat_map(|x| ys.iter().map(move |y| (x.clone(), y.clone())))
            .collect()
    }

    fn record(&self, now: Duration, f: &str, value: Value) {
        let index = self
            .history
            .borrow_mut()
            .push(now.as_nanos() as u64, Event::nemesis(f, value.clone()));
        crate::trace::fault_event(index, now, f, &value);
    }
}

/// The fault schedule of `scenario`, as its executor draws it.
fn schedule_of(scenario: &Scenario, seeds: Seeds) -> Schedule {
    let target = Target {
        nodes: scenario.nodes,
        deadline_ms: scenario.deadline_ms,
        horizon_ms: scenario.sim_ms_max,
    };
    Schedule::draw(&scenario.nemesis, target, &mut |kind| {
        seeds.stream("nemesis", kind.stream())
    })
}

/// `scenario` with its faults written out: the nemesis config of a run
/// whose `history` this scenario produced, with no nemesis drawing and
/// every scheduled fault that started (or was skipped) as a scripted one
/// (time, target, duration), in the order they started. Triggers stay as
/// they are: they fire on the same events again. It runs the same history
/// as `scenario`.
///
/// A run in which no scheduled fault started keeps its config as it is
/// (an empty script would turn the final heal and reads off).
pub fn with_explicit_schedule(scenario: &Scenario, history: &History) -> Scenario {
    let started = history
        .events()
        .iter()
        .filter(|e| e.process == results::Process::Nemesis)
        .filter(|e| {
            (e.f.ends_with("-start") && e.value.get("trigger").is_none()) || e.f.ends_with("-skip")
        })
        .count();
    if started == 0 || !scenario.nemesis.is_active() {
        return scenario.clone();
    }
    let schedule = schedule_of(scenario, Seeds::new(scenario.seed));
    let script = schedule
        .starts()
        .take(started)
        .map(|a| nemeses::Timed {
            at_ms: a.at_ms,
            fault: a.fault.clone(),
        })
        .collect();
    let mut explicit = scenario.clone();
    explicit.nemesis.kinds.clear();
    explicit.nemesis.script = script;
    explicit
}

/// The one node a pause, crash or clock fault hits.
fn single_node(fault: &Fault) -> Option<usize> {
    match fault {
        Fault::Pause { node, .. } | Fault::Crash { node, .. } => Some(*node),
        Fault::Clock(c) => Some(c.node),
        _ => None,
    }
}

/// The node a started fault happened to, for the triggers listening to its
/// start: the paused, crashed, skewed or black-holed node; a partition's
/// isolated (or small-side, or first) node; a delay's first node.
fn subject(fault: &Fault, leader: Option<usize>, n: usize) -> Option<usize> {
    use nemeses::Partition;
    match fault {
        Fault::Pause { node, .. } | Fault::Crash { node, .. } | Fault::Timeout { node, .. } => {
            Some(*node)
        }
        Fault::Clock(c) => Some(c.node),
        Fault::Partition(p) => match &p.shape {
            Partition::IsolateLeader { fallback } => {
                Some(leader.filter(|&l| l < n).unwrap_or(*fallback))
            }
            shape => shape.nodes().first().copied(),
        },
        Fault::Delay(d) => d.nodes().first().copied(),
    }
}

fn insert(value: &mut Value, key: &str, item: Value) {
    if let Value::Object(map) = value {
        map.insert(key.to_string(), item);
    }
}
