//! Shrinking a failing run: the smallest scenario found that still fails
//! the same way.
//!
//! A failing run is first re-run with its faults written out
//! ([`crate::faults::with_explicit_schedule`]), which gives the same
//! history. Then passes, each a batch of candidate scenarios run in
//! parallel (each a full, deterministic simulation), make it smaller while
//! a candidate fails with the same verdict kind (`not-linearizable`,
//! `liveness`, `error`, or any kind a later verdict adds: the test compares
//! [`SeedVerdict::label`]s, never the variants):
//!
//! 0. **cut**, first and again after every pass that changed the run: the
//!    workload stops at the violation (the op that closes the
//!    counterexample, or the `invariant` event) and the scripted faults
//!    that start after it, or never started, go. Every later candidate is
//!    then a run of about the violation's length, not the original's;
//! 1. **ops**: the workload stops earlier still (a half, a quarter, …);
//! 2. **sparser**: clients think longer between ops, so the same stretch
//!    of time holds fewer of them; **clients**: fewer of them (both
//!    early: they make every later candidate cheaper);
//! 3. **triggers**: all of them off, or one off; **buggify**: off;
//! 4. **faults**: first a binary search over the faults before the
//!    violation (none, the last 1, 2, 3, 4, 8, half), then delta debugging
//!    ([`results::ddmin`]) over what is left;
//! 5. **durations**: each fault's `ms` halved, all at once or one by one;
//!    **earlier**: every fault moved earlier together (the first to 0, or
//!    by a half, a quarter of its start), so the next cut can stop the
//!    workload sooner (the later faults by up to half the last one's
//!    start, the earlier ones then at 0);
//! 6. **keys** and **nodes**: fewer of each (faults naming a node the
//!    smaller cluster lacks are dropped with it; a system that refuses to
//!    build the candidate just makes it a non-failing one).
//!
//! The passes repeat until a round changes nothing or the budget (time,
//! attempts) runs out; the best scenario so far is the result. Within a
//! batch the first failing candidate *in batch order* is taken, whatever
//! finished first, so a shrink that is not cut short by its budget gives
//! the same result on any number of cores.

use crate::faults::with_explicit_schedule;
use crate::runner::RunOutcome;
use crate::scenario::Scenario;
use crate::sweep::pool;
use crate::sweep::verdict::{judge, judge_within, SeedVerdict};
use nemeses::{Delay, Fault, Timed};
use results::check::CheckReport;
use results::ddmin;
use results::{EventType, History, Process, Verdict};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// How long and how hard to shrink.
#[derive(Clone, Debug)]
pub struct ShrinkOptions {
    /// Simulations run at once.
    pub jobs: usize,
    /// Wall-clock budget; past it the best scenario so far is the result.
    pub time: Duration,
    /// Most candidate runs.
    pub attempts: usize,
}

impl Default for ShrinkOptions {
    /// Every core, 120 s, 2,000 candidates.
    fn default() -> Self {
        ShrinkOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            time: Duration::from_secs(120),
            attempts: 2_000,
        }
    }
}

/// What makes a scenario big: the dimensions shrinking reduces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    /// Scripted faults.
    pub faults: usize,
    /// Triggers (each may fire faults of its own).
    pub triggers: usize,
    /// Their durations, summed, in ms.
    pub fault_ms: u64,
    /// Client operations.
    pub ops: usize,
    /// Client workers.
    pub clients: usize,
    /// Keys of the workload.
    pub keys: usize,
    /// Nodes of the cluster.
    pub nodes: usize,
}

impl Size {
    /// The size of `scenario`.
    pub fn of(scenario: &Scenario) -> Size {
        let script = &scenario.nemesis.script;
        Size {
            faults: script.len(),
            triggers: scenario.nemesis.triggers.len(),
            fault_ms: script.iter().map(|t| t.fault.ms()).sum(),
            ops: scenario.ops,
            clients: scenario.clients,
            keys: scenario.workload.keys,
            nodes: scenario.nodes,
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} faults ({} ms), {} triggers, {} ops, {} clients, {} keys, {} nodes",
            self.faults,
            self.fault_ms,
            self.triggers,
            self.ops,
            self.clients,
            self.keys,
            self.nodes
        )
    }
}

/// A run that failed: its scenario, what it produced and how it was judged.
pub struct Failure {
    /// The scenario (faults scripted).
    pub scenario: Scenario,
    /// What the run produced.
    pub outcome: RunOutcome,
    /// Its verdict.
    pub verdict: SeedVerdict,
    /// The checker's report (none if the history could not be checked).
    pub report: Option<CheckReport>,
}

impl Clone for Failure {
    fn clone(&self) -> Self {
        let o = &self.outcome;
        Failure {
            scenario: self.scenario.clone(),
            outcome: RunOutcome {
                history: o.history.clone(),
                sim_time: o.sim_time,
                error: o.error.clone(),
                liveness: o.liveness.clone(),
                invariant: o.invariant.clone(),
                checker: o.checker.clone(),
            },
            verdict: self.verdict.clone(),
            report: self.report.clone(),
        }
    }
}

/// Wall time since the shrink began: its budget, never fed to a run.
struct Stopwatch(std::time::Instant);

impl Stopwatch {
    #[allow(clippy::disallowed_methods)] // the budget is wall time; runs never see it
    fn start() -> Self {
        Stopwatch(std::time::Instant::now())
    }

    fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

/// What a shrink came to.
pub struct Shrunk {
    /// The original run, re-run with its faults written out.
    pub original: Failure,
    /// The smallest failing run found.
    pub best: Failure,
    /// Candidate runs tried.
    pub attempts: usize,
    /// True when the budget (time or attempts) stopped the search before
    /// a round changed nothing.
    pub cut_short: bool,
}

/// Shrinks the run of `scenario` that produced `history`; `run` runs one
/// scenario against the system (from any thread). `progress` hears the
/// size of each new best and the attempts so far. An error when the run
/// does not fail when re-run (nothing to shrink).
pub fn shrink(
    run: &(dyn Fn(&Scenario) -> RunOutcome + Sync),
    scenario: &Scenario,
    history: &History,
    opts: &ShrinkOptions,
    progress: &mut dyn FnMut(&Size, usize),
) -> Result<Shrunk, String> {
    let explicit = with_explicit_schedule(scenario, history);
    let original = attempt_original(run, &explicit);
    match original.verdict.label() {
        "linearizable" | "unknown" => {
            return Err(format!(
                "the run does not fail when re-run (its verdict: {}): nothing to shrink",
                original.verdict
            ))
        }
        _ if original.outcome.checker.is_none() => {
            return Err(format!(
                "the run does not start when re-run: {}",
                original.verdict
            ))
        }
        _ => {}
    }
    let search = Search {
        run,
        kind: original.verdict.label(),
        opts,
        clock: Stopwatch::start(),
        attempts: AtomicUsize::new(1),
        cut_short: AtomicBool::new(false),
    };
    let mut best = original.clone();
    progress(&Size::of(&best.scenario), 1);
    // First the cut at the violation, which makes every later candidate
    // a shorter (cheaper) run; then the passes that thin the workload
    // (each also shortens the runs after it), then the faults.
    best = search.pass(Pass::Cut, best, progress);
    loop {
        let before = best.scenario.clone();
        for pass in [
            Pass::Ops,
            Pass::Sparser,
            Pass::Clients,
            Pass::Triggers,
            Pass::Buggify,
            Pass::Faults,
            Pass::Durations,
            Pass::Earlier,
            Pass::Keys,
            Pass::Nodes,
        ] {
            let was = best.scenario.clone();
            best = search.pass(pass, best, progress);
            if best.scenario != was {
                // The run changed: its violation may come sooner, and
                // faults after it (or never started) can go.
                best = search.pass(Pass::Cut, best, progress);
            }
        }
        if best.scenario == before || search.exhausted() {
            break;
        }
    }
    Ok(Shrunk {
        original,
        best,
        attempts: search.attempts.load(Ordering::SeqCst),
        cut_short: search.cut_short.load(Ordering::SeqCst),
    })
}

/// Wall-clock budget of the linearizability check of one candidate, and
/// first of the original's: a candidate whose check takes longer is just
/// not a failing one (its verdict is unknown), so one slow history cannot
/// spend the shrink's whole budget.
const CANDIDATE_CHECK: Duration = Duration::from_secs(5);

/// Re-runs and judges the original: its check gets [`CANDIDATE_CHECK`]
/// first, and [`judge`]'s full budget only when that does not decide it
/// (an invariant or liveness failure whose history has not been checked
/// to the end within it is shrunk as that failure).
fn attempt_original(
    run: &(dyn Fn(&Scenario) -> RunOutcome + Sync),
    scenario: &Scenario,
) -> Failure {
    let outcome = run(scenario);
    let (mut verdict, mut report) = judge_within(&outcome, 1, CANDIDATE_CHECK);
    if verdict.label() == "unknown" {
        (verdict, report) = judge(&outcome, 1);
    }
    Failure {
        scenario: scenario.clone(),
        outcome,
        verdict,
        report,
    }
}

/// Runs and judges one candidate.
fn attempt(run: &(dyn Fn(&Scenario) -> RunOutcome + Sync), scenario: &Scenario) -> Failure {
    let outcome = run(scenario);
    let (verdict, report) = judge_within(&outcome, 1, CANDIDATE_CHECK);
    Failure {
        scenario: scenario.clone(),
        outcome,
        verdict,
        report,
    }
}

#[derive(Clone, Copy, Debug)]
enum Pass {
    Cut,
    Triggers,
    Buggify,
    Ops,
    Faults,
    Durations,
    Earlier,
    Sparser,
    Clients,
    Keys,
    Nodes,
}

struct Search<'a> {
    run: &'a (dyn Fn(&Scenario) -> RunOutcome + Sync),
    kind: &'static str,
    opts: &'a ShrinkOptions,
    clock: Stopwatch,
    attempts: AtomicUsize,
    cut_short: AtomicBool,
}

impl Search<'_> {
    fn exhausted(&self) -> bool {
        let out = self.attempts.load(Ordering::SeqCst) >= self.opts.attempts
            || self.clock.elapsed() >= self.opts.time;
        if out {
            self.cut_short.store(true, Ordering::SeqCst);
        }
        out
    }

    /// True when `f` fails as the original did: the same verdict kind, from
    /// a run that started (a candidate the system refuses to build, or an
    /// invalid scenario, never counts).
    fn same_failure(&self, f: &Failure) -> bool {
        f.outcome.checker.is_some() && f.verdict.label() == self.kind
    }

    /// Runs `candidates` in parallel; the first failing one in their order.
    /// Once a candidate fails no later one is started, and every earlier one
    /// has started and is awaited, so the answer is the same whichever
    /// finishes first.
    fn first_failing(&self, candidates: Vec<Scenario>) -> Option<(usize, Failure)> {
        if candidates.is_empty() || self.exhausted() {
            return None;
        }
        let stop = AtomicBool::new(false);
        let mut found: Vec<(usize, Failure)> = Vec::new();
        let indices: Vec<u64> = (0..candidates.len() as u64).collect();
        pool::run(
            &indices,
            self.opts.jobs,
            &stop,
            |i| attempt(self.run, &candidates[i as usize]),
            |i, failure| {
                self.attempts.fetch_add(1, Ordering::SeqCst);
                if self.same_failure(&failure) {
                    stop.store(true, Ordering::SeqCst);
                    found.push((i as usize, failure));
                } else if self.exhausted() {
                    stop.store(true, Ordering::SeqCst);
                }
            },
        );
        found.into_iter().min_by_key(|(i, _)| *i)
    }

    fn pass(
        &self,
        pass: Pass,
        mut best: Failure,
        progress: &mut dyn FnMut(&Size, usize),
    ) -> Failure {
        let attempts = || self.attempts.load(Ordering::SeqCst);
        if let Pass::Faults = pass {
            if best.scenario.nemesis.script.is_empty() {
                return best;
            }
            // Binary search first: no faults, or only the last few before
            // the violation (the faults that matter are usually its
            // neighbours), before ddmin's one-at-a-time rounds.
            if let Some((_, found)) = self.first_failing(windows(&best)) {
                best = found;
                progress(&Size::of(&best.scenario), attempts());
            }
            let script = best.scenario.nemesis.script.clone();
            if script.is_empty() {
                return best;
            }
            let base = best.scenario.clone();
            let mut last: Option<Failure> = None;
            let kept = ddmin::ddmin(script, &mut |batch: &[Vec<Timed>]| {
                let candidates = batch
                    .iter()
                    .map(|s| with_script(&base, s.clone()))
                    .collect();
                let (i, found) = self.first_failing(candidates)?;
                progress(&Size::of(&found.scenario), attempts());
                last = Some(found);
                Some(i)
            });
            if let Some(found) = last.filter(|f| f.scenario.nemesis.script == kept) {
                best = found;
            }
            return best;
        }
        while let Some((_, found)) = self.first_failing(candidates(pass, &best)) {
            best = found;
            progress(&Size::of(&best.scenario), attempts());
        }
        best
    }
}

/// The candidates of a one-dimensional pass, smallest first.
fn candidates(pass: Pass, best: &Failure) -> Vec<Scenario> {
    let s = &best.scenario;
    let fewer = |n: usize, extra: &[usize]| -> Vec<usize> {
        let mut c: Vec<usize> = [1, 2, n / 8, n / 4, n / 2, n - n / 4, n.saturating_sub(1)]
            .into_iter()
            .chain(extra.iter().copied())
            .filter(|&k| k >= 1 && k < n)
            .collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    match pass {
        Pass::Cut => cut(best),
        Pass::Triggers => {
            let triggers = &s.nemesis.triggers;
            let mut out = Vec::new();
            if !triggers.is_empty() {
                let mut none = s.clone();
                none.nemesis.triggers.clear();
                out.push(none);
            }
            if triggers.len() > 1 {
                for i in 0..triggers.len() {
                    let mut c = s.clone();
                    c.nemesis.triggers.remove(i);
                    out.push(c);
                }
            }
            out
        }
        Pass::Buggify => {
            let mut out = Vec::new();
            if s.nemesis.buggify.is_on() {
                let mut off = s.clone();
                off.nemesis.buggify = Default::default();
                out.push(off);
            }
            out
        }
        Pass::Ops => fewer(s.ops, &ops_to_counterexample(best))
            .into_iter()
            .map(|ops| Scenario { ops, ..s.clone() })
            .collect(),
        Pass::Clients => {
            // Each count with the ops its clients run in the same stretch
            // of time first, then with every op.
            let counts = fewer(s.clients, &[]);
            let scaled = counts
                .iter()
                .map(|&k| (k, ops_for(best, k, s.think_ms_max)));
            let all = counts.iter().map(|&k| (k, s.ops));
            scaled
                .filter(|&(_, ops)| ops < s.ops)
                .chain(all)
                .map(|(clients, ops)| {
                    let mut c = Scenario {
                        clients,
                        ops,
                        ..s.clone()
                    };
                    c.topology.client_hosts = c.topology.client_hosts.min(clients);
                    c
                })
                .collect()
        }
        Pass::Keys => fewer(s.workload.keys, &[])
            .into_iter()
            .map(|keys| {
                let mut c = s.clone();
                c.workload.keys = keys;
                c
            })
            .collect(),
        Pass::Nodes => (1..s.nodes)
            .map(|nodes| {
                let script = s
                    .nemesis
                    .script
                    .iter()
                    .filter(|t| t.fault.validate(nodes).is_ok())
                    .cloned()
                    .collect();
                Scenario {
                    nodes,
                    ..with_script(s, script)
                }
            })
            .collect(),
        Pass::Durations => {
            let script = &s.nemesis.script;
            let halved = |t: &Timed| Timed {
                at_ms: t.at_ms,
                fault: with_ms(&t.fault, (t.fault.ms() / 2).max(1)),
            };
            let mut out = Vec::new();
            let all: Vec<Timed> = script.iter().map(halved).collect();
            if all != *script {
                out.push(with_script(s, all));
            }
            for (i, t) in script.iter().enumerate() {
                if t.fault.ms() > 1 {
                    let mut one = script.clone();
                    one[i] = halved(t);
                    out.push(with_script(s, one));
                }
            }
            out
        }
        Pass::Earlier => {
            let script = &s.nemesis.script;
            let first = script.iter().map(|t| t.at_ms).min().unwrap_or(0);
            let last = script.iter().map(|t| t.at_ms).max().unwrap_or(0);
            let mut shifts: Vec<u64> = [last / 2, last / 4, first, first / 2]
                .into_iter()
                .filter(|&d| d > 0)
                .collect();
            shifts.sort_unstable_by(|a, b| b.cmp(a));
            shifts.dedup();
            shifts
                .into_iter()
                .map(|d| {
                    let earlier = script
                        .iter()
                        .map(|t| Timed {
                            at_ms: t.at_ms.saturating_sub(d),
                            fault: t.fault.clone(),
                        })
                        .collect();
                    with_script(s, earlier)
                })
                .collect()
        }
        Pass::Sparser => {
            let thinks: Vec<u64> = [16, 4, 2]
                .into_iter()
                .map(|k| s.think_ms_max.max(1).saturating_mul(k).min(THINK_MS_MAX))
                .filter(|&t| t > s.think_ms_max)
                .collect();
            // With the ops cut to what fills the same stretch of time
            // first (a run as long as this one, not k times longer), then
            // with every op.
            let mut out: Vec<Scenario> = thinks
                .iter()
                .map(|&think_ms_max| {
                    let ops = ops_for(best, s.clients, think_ms_max);
                    Scenario {
                        think_ms_max,
                        ops,
                        ..s.clone()
                    }
                })
                .filter(|c| c.ops < s.ops)
                .collect();
            out.extend(thinks.into_iter().map(|think_ms_max| Scenario {
                think_ms_max,
                ..s.clone()
            }));
            out
        }
        Pass::Faults => Vec::new(),
    }
}

/// Longest think time a sparser candidate gets (a scenario allows 60 s).
const THINK_MS_MAX: u64 = 2_000;

/// About the ops `clients` clients thinking up to `think_ms_max` between
/// ops run until `best`'s violation (else its last client op), with a
/// fifth more for slack; at most `best`'s ops. A client's cycle is
/// measured on `best` (its think time, half the maximum on average,
/// plus how long its ops took) and the think time swapped.
fn ops_for(best: &Failure, clients: usize, think_ms_max: u64) -> usize {
    let s = &best.scenario;
    let events = best.outcome.history.events();
    let client = |e: &&results::Event| matches!(e.process, Process::Client(_));
    let end = violation(best)
        .map(|(_, t)| t)
        .or_else(|| events.iter().filter(client).map(|e| e.time).max())
        .unwrap_or(0);
    let invoked = events
        .iter()
        .filter(client)
        .filter(|e| e.kind == EventType::Invoke && e.time <= end)
        .count()
        .max(1);
    // ns per op per client, then with the new think time.
    let cycle = end as f64 * s.clients as f64 / invoked as f64;
    let think = |ms: u64| ms as f64 * 1e6 / 2.0;
    let new_cycle = (cycle - think(s.think_ms_max)).max(1e6) + think(think_ms_max);
    let ops = (end as f64 * clients as f64 / new_cycle * 1.2).ceil() as usize;
    ops.clamp(1, s.ops)
}

/// The number of ops invoked up to the violation: a workload stopped
/// there still ran every op of it.
fn ops_to_counterexample(best: &Failure) -> Vec<usize> {
    violation(best).map(|(ops, _)| ops).into_iter().collect()
}

/// Where the run went wrong: the client ops invoked up to it, and its
/// simulated time (ns). For a history that is not linearizable, the event
/// that closes the first counterexample; for a violated invariant, the
/// `invariant` event. `None` for other failures (a liveness failure
/// comes after the workload).
fn violation(best: &Failure) -> Option<(usize, u64)> {
    let events = best.outcome.history.events();
    let at = match best.report.as_ref().map(|r| &r.verdict) {
        Some(Verdict::Invalid(c)) if best.verdict.label() == "not-linearizable" => {
            events.iter().position(|e| e.index == c.closed_by)?
        }
        _ if best.verdict.label() == "invariant" => events
            .iter()
            .position(|e| e.process == Process::Nemesis && e.f == "invariant")?,
        _ => return None,
    };
    let invoked = events[..=at]
        .iter()
        .filter(|e| e.kind == EventType::Invoke && matches!(e.process, Process::Client(_)))
        .count();
    Some((invoked, events[at].time))
}

/// The cut at the violation: the workload stops at it (its last op
/// invoked; the workload ends once the ops in flight complete) and the
/// scripted faults that start after it go; else only one of the two; and
/// the scripted faults that never started (after the last scripted start
/// or skip the history holds). Each is a shorter run of the same prefix.
fn cut(best: &Failure) -> Vec<Scenario> {
    let s = &best.scenario;
    let script = &s.nemesis.script;
    let mut out: Vec<Scenario> = Vec::new();
    let mut push = |c: Scenario| {
        if c != *s && !out.contains(&c) {
            out.push(c);
        }
    };
    let until =
        |ms: u64| -> Vec<Timed> { script.iter().filter(|t| t.at_ms <= ms).cloned().collect() };
    if let Some((ops, time)) = violation(best) {
        let before = until(time.div_ceil(1_000_000));
        let ops = ops.clamp(1, s.ops);
        push(Scenario {
            ops,
            ..with_script(s, before.clone())
        });
        push(Scenario { ops, ..s.clone() });
        push(with_script(s, before));
    }
    let last_start = best
        .outcome
        .history
        .events()
        .iter()
        .filter(|e| e.process == Process::Nemesis && e.value.get("trigger").is_none())
        .filter(|e| e.f.ends_with("-start") || e.f.ends_with("-skip"))
        .map(|e| e.time.div_ceil(1_000_000))
        .max();
    if let Some(last) = last_start {
        push(with_script(s, until(last)));
    }
    out
}

/// The Faults pass's first candidates, smallest first: no scripted fault
/// at all, then only the last 1, 2, 3, 4, 8 and half of those that start
/// before the violation (all of them when there is none).
fn windows(best: &Failure) -> Vec<Scenario> {
    let s = &best.scenario;
    let script = &s.nemesis.script;
    let end = violation(best).map_or(u64::MAX, |(_, t)| t.div_ceil(1_000_000));
    let before: Vec<Timed> = script.iter().filter(|t| t.at_ms <= end).cloned().collect();
    let n = before.len();
    let mut keep: Vec<usize> = [0, 1, 2, 3, 4, 8, n / 2]
        .into_iter()
        .filter(|&k| k <= n && k < script.len())
        .collect();
    keep.sort_unstable();
    keep.dedup();
    keep.into_iter()
        .map(|k| with_script(s, before[n - k..].to_vec()))
        .collect()
}

/// `base` with exactly these scripted faults.
fn with_script(base: &Scenario, script: Vec<Timed>) -> Scenario {
    let mut s = base.clone();
    s.nemesis.script = script;
    s
}

/// `fault` lasting `ms` instead.
fn with_ms(fault: &Fault, ms: u64) -> Fault {
    let mut f = fault.clone();
    match &mut f {
        Fault::Pause { ms: m, .. } | Fault::Timeout { ms: m, .. } | Fault::Crash { ms: m, .. } => {
            *m = ms
        }
        Fault::Delay(Delay::Slow { ms: m, .. }) | Fault::Delay(Delay::Burst { ms: m, .. }) => {
            *m = ms
        }
        Fault::Partition(p) => p.ms = ms,
        Fault::Clock(c) => c.ms = ms,
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A run whose invariant broke at 200 ms, after 2 of its 4 ops, with
    /// scripted faults at 0, 100 and 500 ms (the last never started).
    fn broken_at_200_ms() -> Failure {
        let pause = |at_ms| Timed {
            at_ms,
            fault: Fault::Pause {
                node: 0,
                ms: 10,
                leader: false,
            },
        };
        let mut scenario = Scenario {
            ops: 4,
            ..Scenario::default()
        };
        scenario.nemesis.script = vec![pause(0), pause(100), pause(500)];
        let ms = 1_000_000;
        let mut history = History::new();
        let op = |p| results::Event::invoke(Process::Client(p), "read", "k0", Value::Null);
        history.push(0, results::Event::nemesis("pause-start", json!({"id": 0})));
        history.push(10 * ms, op(0));
        history.push(
            100 * ms,
            results::Event::nemesis("pause-start", json!({"id": 1})),
        );
        history.push(150 * ms, op(1));
        history.push(200 * ms, results::Event::nemesis("invariant", json!({})));
        history.push(300 * ms, op(2));
        history.push(400 * ms, op(3));
        Failure {
            scenario,
            outcome: RunOutcome {
                history,
                sim_time: Duration::from_millis(400),
                error: None,
                liveness: None,
                invariant: Some("broken".into()),
                checker: None,
            },
            verdict: SeedVerdict::Invariant {
                detail: "broken".into(),
            },
            report: None,
        }
    }

    #[test]
    fn the_cut_stops_the_workload_and_the_faults_at_the_violation() {
        let best = broken_at_200_ms();
        assert_eq!(violation(&best), Some((2, 200_000_000)));
        let cuts = cut(&best);
        let starts = |s: &Scenario| s.nemesis.script.iter().map(|t| t.at_ms).collect::<Vec<_>>();
        assert_eq!((cuts[0].ops, starts(&cuts[0])), (2, vec![0, 100]));
        assert_eq!((cuts[1].ops, starts(&cuts[1])), (2, vec![0, 100, 500]));
        assert_eq!((cuts[2].ops, starts(&cuts[2])), (4, vec![0, 100]));
        assert_eq!(cuts.len(), 3, "the never-started cut is the third again");
    }

    #[test]
    fn the_fault_windows_go_from_none_to_the_last_few_before_the_violation() {
        let best = broken_at_200_ms();
        let starts: Vec<Vec<u64>> = windows(&best)
            .iter()
            .map(|s| s.nemesis.script.iter().map(|t| t.at_ms).collect())
            .collect();
        assert_eq!(starts, [vec![], vec![100], vec![0, 100]]);
    }

    #[test]
    fn a_fault_can_be_made_shorter_whatever_its_kind() {
        let faults = [
            Fault::Pause {
                node: 0,
                ms: 80,
                leader: true,
            },
            Fault::Delay(Delay::Burst {
                links: vec![],
                ms: 80,
            }),
            Fault::Timeout { node: 1, ms: 80 },
        ];
        for f in faults {
            let short = with_ms(&f, 5);
            assert_eq!(short.ms(), 5);
            assert_eq!(short.kind(), f.kind());
        }
    }
}
