//! A minimal counterexample within one history: from a key that is not
//! linearizable, a small subset of its operations that is itself not
//! linearizable, found by delta debugging ([`crate::ddmin`]) with the
//! checker as the test. No simulation is re-run.
//!
//! **Which operations may be dropped.** An operation that completed (`ok`,
//! or `fail`) is a fact; leaving it out only chooses which facts to show.
//! An operation of unknown outcome (`info`, or never answered) is not: the
//! checker may let it take effect at any point after its invoke, or never.
//! Dropping one asserts it never happened, which can *make* a history
//! non-linearizable (a read of a value only a timed-out write wrote). So the
//! search never drops one on its way: every candidate is checked together
//! with *all* of the key's uncertain operations, free to take effect or
//! not. Only at the end are they left out of what is shown, and that is
//! sound: an uncertain operation only ever adds ways to linearize, so a set
//! that fails with all of them fails with none of them too.
//!
//! **Self-contained.** A completed write left out could, in the full
//! history, have explained a kept read: drop every write of 3 and a read of
//! 3 fails for the wrong reason ("3 was never written"). So a candidate
//! counts only if it is *self-contained*: for each kept read of `v` (and
//! each kept successful cas expecting `v`), every completed write of `v`
//! (a `write v` or a successful `cas _ v`) invoked before that observer
//! completed is kept too, unless it certainly was overwritten before the
//! observer began: it completed before some kept certain write or cas
//! began that itself completed before the observer began. Ops are read by
//! the register workload's names (`read`, `write`, `cas [a, b]`); other
//! operations are not constrained (for them the weaker notion holds).
//!
//! **What minimal means here.** The result `events` is not linearizable on
//! its own, and stays so with every uncertain operation of the key added;
//! and every subset of it one operation smaller is either linearizable
//! (with the uncertain operations) or not self-contained (1-minimal, as
//! ddmin guarantees, unless the budget ran out: then `one_minimal` is
//! false). The full check of the history is the proof; the subset is the
//! smallest part of it that fails by itself, for a reason the rest of the
//! history cannot explain away (a failed cas, which only says "not `a`", is
//! the one observation the rule does not track).

use crate::check::CheckReport;
use crate::ddmin::ddmin;
use crate::history::{Event, EventType, Process};
use crate::verdict::{Counterexample, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Most checks one search runs before it settles for what it has.
pub const CHECKS_MAX: usize = 20_000;

/// A small set of one key's operations that cannot be linearized.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinimalCounterexample {
    /// The key.
    pub key: String,
    /// The key's operations in the history (every outcome).
    pub of_ops: usize,
    /// The kept operations' events (invoke, then completion if any), in
    /// history order, with their original indices and times.
    pub events: Vec<Event>,
    /// The key's operations of unknown outcome, free to take effect or not
    /// in every check of the search.
    pub uncertain: usize,
    /// The checker's account of the kept operations alone: the model's
    /// state before the operations that cannot come next.
    pub explanation: Counterexample,
    /// Checks the search ran.
    pub checks: usize,
    /// True when the search finished: every one-op-smaller subset (with the
    /// uncertain operations) is linearizable. False when its budget ran out.
    pub one_minimal: bool,
}

impl MinimalCounterexample {
    /// Number of operations kept.
    pub fn len(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e.kind == EventType::Invoke)
            .count()
    }

    /// True when no operation is kept (never, for a found counterexample).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl MinimalCounterexample {
    /// The operations kept, one line each, then the model's state before
    /// the ones that cannot come next: what `harness run` prints.
    pub fn text(&self) -> String {
        let mut out = format!(
            "minimal counterexample: {} of the {} ops on key {:?}, not linearizable by themselves{}{}:\n",
            self.len(),
            self.of_ops,
            self.key,
            match self.uncertain {
                0 => String::new(),
                n => format!(" (nor with any of the key's {n} uncertain ops)"),
            },
            if self.one_minimal { "" } else { " (search budget spent: maybe not minimal)" },
        );
        for line in self.op_lines() {
            out.push_str(&format!("  {line}\n"));
        }
        let e = &self.explanation;
        out.push_str(&format!("  state before: {}\n", e.state));
        for s in &e.stuck {
            out.push_str(&format!(
                "  cannot come next: p{} {} ({})\n",
                s.op.process, s.op.op, s.why
            ));
        }
        out
    }

    /// One line per kept op: process, op, outcome, when invoked and
    /// completed (simulated ms), and the node that served it if recorded.
    pub fn op_lines(&self) -> Vec<String> {
        let ms = |ns: u64| format!("{:.3} ms", ns as f64 / 1e6);
        let mut lines = Vec::new();
        for (i, e) in self.events.iter().enumerate() {
            if e.kind != EventType::Invoke {
                continue;
            }
            let done = self.events[i + 1..].iter().find(|c| c.process == e.process);
            let what = match (e.f.as_str(), done) {
                ("read", Some(c)) if c.kind == EventType::Ok => format!("read -> {}", c.value),
                (f, _) => format!("{f} {}", e.value),
            };
            let end = match done {
                Some(c) => {
                    let kind = serde_json::to_value(c.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    let node = c
                        .node
                        .as_deref()
                        .map(|n| format!(" on {n}"))
                        .unwrap_or_default();
                    format!("{kind} at {}{node}", ms(c.time))
                }
                None => "never completed".into(),
            };
            lines.push(format!(
                "p{:<4} {what:<22} invoked {} (#{}), {end}",
                e.process,
                ms(e.time),
                e.index
            ));
        }
        lines
    }
}

impl MinimalCounterexample {
    /// The counterexample in words, one sentence per operation that cannot
    /// come next: who read or did what, from which node and when, after
    /// which kept operations had completed (and where), and the faults that
    /// were on at the time around that node, from `history`. E.g. `p7 read
    /// k1 = null from n2 at 913.000 ms, after p4's write 4 had completed at
    /// 903.000 ms on n1; n2 was cut off by the partition that started at
    /// 136.000 ms.`
    pub fn words(&self, history: &crate::History) -> Vec<String> {
        let ms = |ns: u64| format!("{:.3} ms", ns as f64 / 1e6);
        let pairs = self.pairs();
        let windows = crate::report::fault_windows(history);
        let by_index = |i: u64| history.events().iter().find(|e| e.index == i);
        let mut out = Vec::new();
        for stuck in &self.explanation.stuck {
            let Some(&(inv, done)) = pairs.iter().find(|(i, _)| i.index == stuck.op.invoke_index)
            else {
                continue;
            };
            let node = done.and_then(|c| c.node.clone());
            let from = node
                .as_deref()
                .map(|n| format!(" from {n}"))
                .unwrap_or_default();
            let when = done.map_or_else(
                || "never answered".to_string(),
                |c| format!("at {}", ms(c.time)),
            );
            let mut sentence = format!(
                "p{} {}{from} {when}",
                inv.process,
                describe(&self.key, inv, done)
            );
            let before: Vec<String> = pairs
                .iter()
                .filter(|(i, c)| i.index != inv.index && c.is_some_and(|c| c.time < inv.time))
                .filter(|(i, _)| i.f != "read")
                .map(|(i, c)| {
                    let c = c.expect("filtered on completion");
                    let on = c
                        .node
                        .as_deref()
                        .map(|n| format!(" on {n}"))
                        .unwrap_or_default();
                    format!(
                        "p{}'s {} had completed at {}{on}",
                        i.process,
                        describe(&self.key, i, Some(c)),
                        ms(c.time)
                    )
                })
                .collect();
            if !before.is_empty() {
                sentence.push_str(&format!(", after {}", before.join(" and ")));
            }
            // Faults from the last kept completion before the op (when what
            // it saw was settled) to the op's own end.
            let since = pairs
                .iter()
                .filter_map(|(_, c)| c.filter(|c| c.time < inv.time).map(|c| c.time))
                .max()
                .unwrap_or(inv.time);
            let end = done.map_or(u64::MAX, |c| c.time);
            let mut faults = Vec::new();
            for w in windows
                .iter()
                .filter(|w| w.is_fault())
                .filter(|w| w.start_ns <= end && w.end_ns >= since)
            {
                let start = by_index(w.start_index);
                let cut: Vec<String> = start
                    .and_then(|e| e.value.get("cut"))
                    .and_then(|c| c.as_array())
                    .map(|pairs| {
                        pairs
                            .iter()
                            .filter_map(|p| p.as_array())
                            .flatten()
                            .filter_map(|n| n.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let target = w.target.clone().unwrap_or_default();
                let hits =
                    |n: &str| cut.iter().any(|c| c == n) || target.split(',').any(|x| x == n);
                let (at, until) = (ms(w.start_ns), ms(w.end_ns));
                let who = match node.as_deref() {
                    Some(n) if hits(n) => n.to_string(),
                    _ => target.clone(),
                };
                faults.push(match w.kind.as_str() {
                    "partition" if !who.is_empty() && hits(&who) => {
                        format!("{who} was cut off by the partition that started at {at}")
                    }
                    "crash" if !who.is_empty() => {
                        format!("{who} crashed at {at} and restarted at {until}")
                    }
                    "pause" if !who.is_empty() => format!("{who} was paused from {at} to {until}"),
                    _ => format!("the {} that started at {at} was on", w.label()),
                });
            }
            if !faults.is_empty() {
                sentence.push_str(&format!("; {}", faults.join("; ")));
            }
            sentence.push('.');
            out.push(sentence);
        }
        out
    }

    /// Each kept op's invoke with its completion, if any.
    fn pairs(&self) -> Vec<(&Event, Option<&Event>)> {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == EventType::Invoke)
            .map(|(i, e)| {
                (
                    e,
                    self.events[i + 1..].iter().find(|c| c.process == e.process),
                )
            })
            .collect()
    }
}

/// `read k1 = 3`, `write 5`, `cas 2→4`.
fn describe(key: &str, invoke: &Event, done: Option<&Event>) -> String {
    match (invoke.f.as_str(), done) {
        ("read", Some(c)) if c.kind == EventType::Ok => format!("read {key} = {}", c.value),
        ("cas", _) => match invoke.value.as_array().map(Vec::as_slice) {
            Some([a, b]) => format!("cas {a}→{b}"),
            _ => format!("cas {}", invoke.value),
        },
        (f, _) => format!("{f} {}", invoke.value),
    }
}

/// One operation of the key: positions of its events in the history, and
/// what it wrote and saw.
#[derive(Clone, Debug, PartialEq)]
struct Op {
    invoke: usize,
    completion: Option<usize>,
    /// Completed (`ok` or `fail`): a fact, not a possibility.
    certain: bool,
    /// The value a completed write or successful cas left.
    writes: Option<Value>,
    /// The value a completed read saw, or a successful cas expected.
    observes: Option<Value>,
}

impl Op {
    /// Where the op ends; an uncertain one, at the end of time.
    fn end(&self) -> usize {
        self.completion.unwrap_or(usize::MAX)
    }
}

/// True when every observer in `kept` has each write of its value that
/// could explain it kept too (see the module docs).
fn self_contained(all: &[Op], kept: &[Op]) -> bool {
    kept.iter().filter(|o| o.certain).all(|o| {
        let Some(v) = &o.observes else { return true };
        // The latest start of a kept certain write that ended before `o`
        // began: a write of `v` ending before it was overwritten.
        let barrier = kept
            .iter()
            .filter(|u| u.certain && u.writes.is_some() && u.end() < o.invoke)
            .map(|u| u.invoke)
            .max();
        all.iter()
            .filter(|w| w.certain && w.writes.as_ref() == Some(v) && w.invoke < o.end())
            .filter(|w| *w != o && barrier.is_none_or(|b| w.end() >= b))
            .all(|w| kept.contains(w))
    })
}

/// Searches `events` (a whole history) for a minimal non-linearizable
/// subset of `key`'s operations. `check` judges a history (the same model
/// and options as the full check; `None` when it cannot). Returns `None`
/// when the key is not found non-linearizable with all its operations,
/// within `timeout` of wall time (then the best so far is kept).
pub fn minimal_counterexample(
    events: &[Event],
    found: &Counterexample,
    check: &dyn Fn(&[Event]) -> Option<CheckReport>,
    timeout: Duration,
) -> Option<MinimalCounterexample> {
    let key = found.key.as_str();
    let ops = operations(events, key);
    let (certain, uncertain): (Vec<Op>, Vec<Op>) = ops.iter().cloned().partition(|o| o.certain);
    let start = Instant::now();
    let mut checks = 0usize;
    let mut cut_short = false;
    let mut fails = |kept: &[Op]| -> bool {
        if checks >= CHECKS_MAX || start.elapsed() > timeout {
            cut_short = true;
            return false;
        }
        if !self_contained(&ops, kept) {
            return false;
        }
        checks += 1;
        let mut with: Vec<Op> = kept.to_vec();
        with.extend(uncertain.iter().cloned());
        is_invalid(check, &events_of(events, &with))
    };
    if !fails(&certain) {
        return None;
    }
    // The ops invoked after the event that closed the full check's window
    // are often not needed: one cheap try before the search proper.
    let closed = events
        .iter()
        .position(|e| e.index == found.closed_by)
        .unwrap_or(usize::MAX);
    let early: Vec<Op> = certain
        .iter()
        .filter(|o| o.invoke <= closed)
        .cloned()
        .collect();
    let start_from = if early.len() < certain.len() && fails(&early) {
        early
    } else {
        certain
    };
    let kept = ddmin(start_from, &mut |batch: &[Vec<Op>]| {
        batch.iter().position(|c| fails(c))
    });
    let kept_events = events_of(events, &kept);
    let report = check(&kept_events)?;
    let Verdict::Invalid(explanation) = report.verdict else {
        return None; // cannot happen: fewer uncertain ops never helps
    };
    Some(MinimalCounterexample {
        key: key.to_string(),
        of_ops: ops.len(),
        events: kept_events,
        uncertain: uncertain.len(),
        explanation: *explanation,
        checks,
        one_minimal: !cut_short,
    })
}

/// True when `check` finds `events` not linearizable.
fn is_invalid(check: &dyn Fn(&[Event]) -> Option<CheckReport>, events: &[Event]) -> bool {
    check(events).is_some_and(|r| matches!(r.verdict, Verdict::Invalid(_)))
}

/// `key`'s client operations in invoke order (each process runs one at a
/// time, so an invoke's completion is its process's next event).
fn operations(events: &[Event], key: &str) -> Vec<Op> {
    let mut open: BTreeMap<u64, usize> = BTreeMap::new();
    let mut ops: Vec<Op> = Vec::new();
    for (pos, e) in events.iter().enumerate() {
        let Process::Client(p) = e.process else {
            continue;
        };
        if e.key.as_deref() != Some(key) {
            continue;
        }
        if e.kind == EventType::Invoke {
            open.insert(p, ops.len());
            ops.push(Op {
                invoke: pos,
                completion: None,
                certain: false,
                writes: None,
                observes: None,
            });
        } else if let Some(i) = open.remove(&p) {
            let op = &mut ops[i];
            op.completion = Some(pos);
            op.certain = e.kind != EventType::Info;
            if e.kind == EventType::Ok {
                let arg = &events[op.invoke].value;
                (op.writes, op.observes) = match e.f.as_str() {
                    "write" => (Some(arg.clone()), None),
                    "read" => (None, Some(e.value.clone())),
                    "cas" => (arg.get(1).cloned(), arg.get(0).cloned()),
                    _ => (None, None),
                };
            }
        }
    }
    ops
}

/// The events of `ops`, in history order.
fn events_of(events: &[Event], ops: &[Op]) -> Vec<Event> {
    let mut positions: Vec<usize> = ops
        .iter()
        .flat_map(|o| std::iter::once(o.invoke).chain(o.completion))
        .collect();
    positions.sort_unstable();
    positions.into_iter().map(|p| events[p].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{check_events, CheckOptions, Source};
    use crate::History;
    use serde_json::json;

    const SRC: Source<'static> = Source {
        file: "<test>",
        lines: None,
    };

    fn check(events: &[Event]) -> Option<CheckReport> {
        check_events(events, &SRC, &CheckOptions::default()).ok()
    }

    /// The minimal counterexample of the full check's violation, if any.
    fn minimal(h: &History) -> Option<MinimalCounterexample> {
        let Verdict::Invalid(found) = check(h.events())?.verdict else {
            return None;
        };
        minimal_counterexample(h.events(), &found, &check, Duration::from_secs(30))
    }

    /// A long history on one key, ending in a stale read of 3 after a
    /// write of 5; with `info_write`, a timed-out write of 3 explains it.
    fn history(info_write: bool) -> History {
        let mut h = History::new();
        let mut t = 0;
        let mut op =
            |h: &mut History, p: u64, f: &str, arg: serde_json::Value, out: serde_json::Value| {
                t += 10;
                h.push(t, Event::invoke(Process::Client(p), f, "x", arg));
                t += 10;
                h.push(t, Event::ok(Process::Client(p), f, "x", out));
            };
        for i in 0..30 {
            op(&mut h, i % 3, "write", json!(i % 4), json!(i % 4));
            op(&mut h, i % 3 + 1, "read", json!(null), json!(i % 4));
        }
        if info_write {
            let last = h.events().last().map_or(0, |e| e.time);
            h.push(
                last + 1,
                Event::invoke(Process::Client(9), "write", "x", json!(3)),
            );
        }
        op(&mut h, 1, "write", json!(5), json!(5));
        op(&mut h, 2, "read", json!(null), json!(3));
        for _ in 0..10 {
            let seen = if info_write { 3 } else { 5 };
            op(&mut h, 3, "read", json!(null), json!(seen));
        }
        h
    }

    #[test]
    fn the_minimal_subset_fails_and_every_smaller_one_does_not() {
        let h = history(false);
        let m = minimal(&h).unwrap();
        assert!(m.one_minimal);
        let ops = operations(&m.events, "x");
        let all = operations(h.events(), "x");
        assert_eq!(
            m.len(),
            2,
            "the write of 5 and the stale read: {:?}",
            m.events
        );
        assert!(is_invalid(&check, &m.events), "the subset alone fails");
        for skip in 0..ops.len() {
            let smaller: Vec<Op> = (0..ops.len())
                .filter(|&i| i != skip)
                .map(|i| ops[i].clone())
                .collect();
            let lin = !is_invalid(&check, &events_of(&m.events, &smaller));
            let contained = self_contained(&all, &relocate(&all, &m.events, &smaller));
            assert!(
                lin || !contained,
                "dropping op {skip} still fails: not minimal"
            );
        }
        assert_eq!(m.of_ops, 72);
        let stuck = &m.explanation.stuck;
        assert!(
            stuck.iter().any(|s| s.op.op == "read -> 3"),
            "{}",
            m.explanation
        );
    }

    /// The words name the faults around the counterexample, not a node's
    /// own events or faults that were skipped.
    #[test]
    fn the_words_name_faults_not_events() {
        let mut h = History::new();
        h.push(
            1,
            Event::nemesis("pause-start", json!({"node": "n2", "ms": 500})),
        );
        let stale_read = history(false).events().len() - 21; // its ok, then 10 reads
        for (i, e) in history(false).events().iter().enumerate() {
            if i == stale_read {
                // While the stale read is pending (between its invoke and ok).
                let near = e.time + 4;
                h.push(
                    near,
                    Event::nemesis("event", json!({"node": "n2", "name": "x"})),
                );
                h.push(near, Event::nemesis("crash-skip", json!({"node": "n3"})));
            }
            h.push(e.time + 5, e.clone());
        }
        h.push(10_000, Event::nemesis("pause-end", json!({"node": "n2"})));
        let m = minimal(&h).unwrap();
        let words = m.words(&h).join(" ");
        assert!(
            words.contains("was on") || words.contains("paused"),
            "{words}"
        );
        assert!(
            !words.contains("event") && !words.contains("skip"),
            "{words}"
        );
    }

    /// `ops` (positions in `sub`) as ops of the whole history `all`.
    fn relocate(all: &[Op], sub: &[Event], ops: &[Op]) -> Vec<Op> {
        ops.iter()
            .map(|o| {
                let index = sub[o.invoke].index as usize;
                all.iter().find(|a| a.invoke == index).unwrap().clone()
            })
            .collect()
    }

    #[test]
    fn a_read_is_never_explained_by_dropping_its_writes() {
        let h = history(false);
        let all = operations(h.events(), "x");
        let read = all
            .iter()
            .find(|o| o.observes == Some(json!(3)) && o.invoke > 120)
            .unwrap();
        assert!(
            !self_contained(&all, std::slice::from_ref(read)),
            "the read of 3 alone"
        );
    }

    #[test]
    fn an_uncertain_write_that_explains_a_read_is_never_dropped() {
        let h = history(true);
        assert!(!is_invalid(&check, h.events()));
        assert!(minimal(&h).is_none());
    }

    #[test]
    fn uncertain_ops_take_part_in_every_check() {
        // Not linearizable even granting the timed-out write of 3: the read
        // of 4 was never written. The minimal set is the read alone.
        let mut h = History::new();
        let p = Process::Client;
        h.push(1, Event::invoke(p(0), "write", "x", json!(3)));
        h.push(2, Event::info(p(0), "write", "x", json!(3), "timeout"));
        h.push(3, Event::invoke(p(1), "write", "x", json!(1)));
        h.push(4, Event::ok(p(1), "write", "x", json!(1)));
        h.push(5, Event::invoke(p(2), "read", "x", json!(null)));
        h.push(6, Event::ok(p(2), "read", "x", json!(4)));
        let m = minimal(&h).unwrap();
        assert_eq!((m.uncertain, m.len()), (1, 1));
        assert_eq!(m.events[0].index, 4);
    }
}
