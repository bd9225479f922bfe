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
//! 1. **ops**: the workload stops early (at the op that closes the
//!    counterexample, else at a half, a quarter, …);
//! 2. **faults**: delta debugging ([`results::ddmin`]) over the explicit schedule;
//! 3. **durations**: each fault's `ms` halved, all at once or one by one;
//!    **earlier**: every fault moved earlier together (the first to 0, or
//!    by a half, a quarter of its start), so the next ops pass can stop
//!    the workload sooner (the later faults by up to half the last one's
//!    start, the earlier ones then at 0); **sparser**: clients think
//!    longer between ops, so the same stretch of time holds fewer of them;
//! 4. **clients**, **keys** and **nodes**: fewer of each (faults naming a
//!    node the smaller cluster lacks are dropped with it; a system that
//!    refuses to build the candidate just makes it a non-failing one).
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
use crate::sweep::verdict::{judge, SeedVerdict};
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
            "{} faults ({} ms), {} ops, {} clients, {} keys, {} nodes",
            self.faults, self.fault_ms, self.ops, self.clients, self.keys, self.nodes
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
    let original = attempt(run, &explicit);
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
    loop {
        let before = Size::of(&best.scenario);
        for pass in [
            Pass::Ops,
            Pass::Faults,
            Pass::Durations,
            Pass::Earlier,
            Pass::Sparser,
            Pass::Clients,
            Pass::Keys,
            Pass::Nodes,
        ] {
            best = search.pass(pass, best, progress);
        }
        if Size::of(&best.scenario) == before || search.exhausted() {
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

/// Runs and judges one candidate.
fn attempt(run: &(dyn Fn(&Scenario) -> RunOutcome + Sync), scenario: &Scenario) -> Failure {
    let outcome = run(scenario);
    let (verdict, report) = judge(&outcome, 1);
    Failure {
        scenario: scenario.clone(),
        outcome,
        verdict,
        report,
    }
}

#[derive(Clone, Copy, Debug)]
enum Pass {
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
        Pass::Ops => fewer(s.ops, &ops_to_counterexample(best))
            .into_iter()
            .map(|ops| Scenario { ops, ..s.clone() })
            .collect(),
        Pass::Clients => fewer(s.clients, &[])
            .into_iter()
            .map(|clients| {
                let mut c = Scenario {
                    clients,
                    ..s.clone()
                };
                c.topology.client_hosts = c.topology.client_hosts.min(clients);
                c
            })
            .collect(),
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
        Pass::Sparser => [16, 4, 2]
            .into_iter()
            .map(|k| s.think_ms_max.max(1).saturating_mul(k).min(THINK_MS_MAX))
            .filter(|&t| t > s.think_ms_max)
            .map(|think_ms_max| Scenario {
                think_ms_max,
                ..s.clone()
            })
            .collect(),
        Pass::Faults => Vec::new(),
    }
}

/// Longest think time a sparser candidate gets (a scenario allows 60 s).
const THINK_MS_MAX: u64 = 2_000;

/// The number of ops invoked up to the event that closes the first
/// counterexample: a workload stopped there still ran every op of it.
fn ops_to_counterexample(best: &Failure) -> Vec<usize> {
    let Some(Verdict::Invalid(c)) = best.report.as_ref().map(|r| &r.verdict) else {
        return Vec::new();
    };
    let invoked = best
        .outcome
        .history
        .events()
        .iter()
        .take_while(|e| e.index <= c.closed_by)
        .filter(|e| e.kind == EventType::Invoke && matches!(e.process, Process::Client(_)))
        .count();
    vec![invoked]
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
