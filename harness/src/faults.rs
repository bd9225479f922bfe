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

use crate::liveness::{RunPhase, Stage};
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
}

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
                while let Some(action) = self.actions.get(self.next).filter(|a| a.at_ms <= now_ms) {
                    let action = action.clone();
                    self.next += 1;
                    match action.phase {
                        Phase::Start => self.start(sim, action.id, action.fault),
                        Phase::End => self.end(sim, action.id, false),
                    }
                }
            }
            Stage::WorkloadDone => {
                let open: Vec<u64> = self.open.keys().copied().collect();
                for id in open {
                    self.end(sim, id, true);
                }
                self.phase.set(Stage::Healed);
            }
            Stage::Healed => {}
        }
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
/// every fault that started as a scripted one (time, target, duration),
/// in the order they started. It runs the same history as `scenario`.
///
/// A run in which no fault started keeps its config as it is (an empty
/// script would turn the final heal and reads off).
pub fn with_explicit_schedule(scenario: &Scenario, history: &History) -> Scenario {
    let started = history
        .events()
        .iter()
        .filter(|e| e.process == results::Process::Nemesis && e.f.ends_with("-start"))
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

fn insert(value: &mut Value, key: &str, item: Value) {
    if let Value::Object(map) = value {
        map.insert(key.to_string(), item);
    }
}
