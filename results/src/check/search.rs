//! The Wing & Gong search with Lowe's memoisation, over one key.
//!
//! Calls and returns sit in one doubly linked list in history order. The
//! search walks it from the front: a call whose operation the model accepts
//! (and whose resulting configuration is new) is linearized, and its call and
//! return are lifted out of the list; reaching a return means every
//! operation still open before it was tried, so the last choice is undone.
//! Operations of unknown outcome return at the end of the history.

use super::memo::{hash_state, zobrist, Memo, MemoFull, Pool};
use super::prune::Pruner;
use crate::model::Model;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// When an operation was invoked and completed, as positions in the history;
/// `ret: None` for an operation whose outcome is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub call: usize,
    pub ret: Option<usize>,
}

/// The limits one search runs under.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget<'a> {
    pub deadline: Option<Instant>,
    pub timeout: Duration,
    pub memory_bytes: usize,
    /// Set when the search is no longer needed (another key failed).
    pub cancel: Option<&'a AtomicBool>,
    /// The memory all keys' memos share, if they share one.
    pub pool: Option<&'a Pool>,
}

/// Where the search got furthest before failing: `prefix` (operation
/// numbers, in order) reached `state`, after which none of `candidates`
/// could be placed and `closed_by`'s return came.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Stuck<S> {
    pub prefix: Vec<u32>,
    pub state: S,
    pub candidates: Vec<u32>,
    pub closed_by: u32,
}

/// What a search found.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Found<S> {
    Linearizable,
    NotLinearizable(Stuck<S>),
    OutOfTime,
    OutOfMemory,
    Cancelled,
}

/// Per-search counters, for reports and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub steps: u64,
    pub memo_entries: usize,
}

const HEAD: u32 = 0;
const TAIL: u32 = 1;

/// The entry list: node 0 is the head, node 1 the tail, node `2 + 2i` the
/// call of operation `i` and `3 + 2i` its return.
struct Entries {
    next: Vec<u32>,
    prev: Vec<u32>,
}

#[inline]
fn is_call(node: u32) -> bool {
    node & 1 == 0
}

#[inline]
fn op_of(node: u32) -> u32 {
    (node - 2) / 2
}

impl Entries {
    fn new(spans: &[Span]) -> Self {
        let mut order: Vec<(usize, u32)> = Vec::with_capacity(2 * spans.len());
        for (i, s) in spans.iter().enumerate() {
            order.push((s.call, 2 + 2 * i as u32));
            order.push((s.ret.unwrap_or(usize::MAX), 3 + 2 * i as u32));
        }
        // Positions are distinct except for unknown returns, which all go
        // last; the stable sort keeps each call before its own return.
        order.sort_by_key(|&(at, _)| at);
        let n = 2 + order.len();
        let (mut next, mut prev) = (vec![TAIL; n], vec![HEAD; n]);
        let mut last = HEAD;
        for &(_, node) in &order {
            next[last as usize] = node;
            prev[node as usize] = last;
            last = node;
        }
        next[last as usize] = TAIL;
        prev[TAIL as usize] = last;
        Entries { next, prev }
    }

    #[inline]
    fn unlink(&mut self, node: u32) {
        let (p, n) = (self.prev[node as usize], self.next[node as usize]);
        self.next[p as usize] = n;
        self.prev[n as usize] = p;
    }

    #[inline]
    fn relink(&mut self, node: u32) {
        let (p, n) = (self.prev[node as usize], self.next[node as usize]);
        self.next[p as usize] = node;
        self.prev[n as usize] = node;
    }

    /// Removes a call and its return.
    #[inline]
    fn lift(&mut self, call: u32) {
        self.unlink(call);
        self.unlink(call + 1);
    }

    /// Puts back what `lift` removed (in reverse order, as dancing links
    /// require).
    #[inline]
    fn unlift(&mut self, call: u32) {
        self.relink(call + 1);
        self.relink(call);
    }

    fn first(&self) -> u32 {
        self.next[HEAD as usize]
    }
}

/// How the search treats an operation; the window of open operations is
/// scanned once per class, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// Completed and never changes the state (a read): placed as soon as
    /// possible with no alternatives tried, since moving it earlier never
    /// hurts.
    ReadOnly = 0,
    /// Completed and may change the state.
    Mutating = 1,
    /// Outcome unknown: may be placed anywhere after its invoke, or never.
    Unknown = 2,
}

const NONE: u32 = u32::MAX;

/// Per-operation facts fixed before the search.
struct Plan {
    class: Vec<Class>,
    /// Bit of the operation in the linearized set: completed operations
    /// first, then unknown ones in the words after `known_words`.
    bit: Vec<u32>,
    zobrist: Vec<u64>,
    /// For an unknown operation, the previous unknown operation identical to
    /// it (same model operation), or NONE: of identical ones only the
    /// earliest unplaced is tried, since they are interchangeable.
    twin: Vec<u32>,
    known_words: usize,
    unknown_words: usize,
    known_ops: usize,
}

impl Plan {
    fn new<M: Model>(model: &M, ops: &[M::Op], spans: &[Span]) -> Self {
        let mut plan = Plan {
            class: Vec::with_capacity(ops.len()),
            bit: Vec::with_capacity(ops.len()),
            zobrist: Vec::with_capacity(ops.len()),
            twin: vec![NONE; ops.len()],
            known_words: 0,
            unknown_words: 0,
            known_ops: 0,
        };
        let mut last_twin: HashMap<&M::Op, u32> = HashMap::new();
        let mut unknown = 0u32;
        for (i, (op, span)) in ops.iter().zip(spans).enumerate() {
            let class = match span.ret {
                None => Class::Unknown,
                Some(_) if model.is_read_only(op) => Class::ReadOnly,
                Some(_) => Class::Mutating,
            };
            plan.class.push(class);
            if class == Class::Unknown {
                plan.bit.push(unknown);
                unknown += 1;
                plan.zobrist.push(0);
                if let Some(prev) = last_twin.insert(op, i as u32) {
                    plan.twin[i] = prev;
                }
            } else {
                plan.bit.push(plan.known_ops as u32);
                plan.zobrist.push(zobrist(plan.known_ops));
                plan.known_ops += 1;
            }
        }
        plan.known_words = plan.known_ops.div_ceil(64).max(1);
        plan.unknown_words = (unknown as usize).div_ceil(64);
        let offset = 64 * plan.known_words as u32;
        for (b, c) in plan.bit.iter_mut().zip(&plan.class) {
            if *c == Class::Unknown {
                *b += offset;
            }
        }
        plan
    }
}

/// The linearized set and the Zobrist hash of its completed part.
struct Linearized {
    bits: Vec<u64>,
    hash: u64,
    known: usize,
}

impl Linearized {
    /// Flips `op`'s bit and hash; true if `op` completed (is counted).
    #[inline]
    fn toggle(&mut self, plan: &Plan, op: u32) -> bool {
        let bit = plan.bit[op as usize];
        self.bits[bit as usize / 64] ^= 1 << (bit % 64);
        self.hash ^= plan.zobrist[op as usize];
        plan.class[op as usize] != Class::Unknown
    }

    /// Adds unplaced `op`.
    #[inline]
    fn place(&mut self, plan: &Plan, op: u32) {
        if self.toggle(plan, op) {
            self.known += 1;
        }
    }

    /// Removes placed `op`.
    #[inline]
    fn unplace(&mut self, plan: &Plan, op: u32) {
        if self.toggle(plan, op) {
            self.known -= 1;
        }
    }

    #[inline]
    fn has(&self, plan: &Plan, op: u32) -> bool {
        let bit = plan.bit[op as usize];
        self.bits[bit as usize / 64] & (1 << (bit % 64)) != 0
    }
}

/// A linearized operation on the search stack: its call node and the state
/// before it. A read-only one was forced (placed greedily), so undoing it
/// means its parent configuration failed too.
struct Frame<S> {
    call: u32,
    before: S,
}

/// Searches for a linearization of `ops` (whose history positions are
/// `spans`) under `model`, to the end.
#[cfg(test)]
pub(crate) fn search<M: Model>(
    model: &M,
    ops: &[M::Op],
    spans: &[Span],
    budget: &Budget,
) -> (Found<M::State>, Stats) {
    let mut search = Search::new(model, ops, spans, *budget);
    let found = search
        .run(u64::MAX)
        .expect("a search with no step limit ends");
    (found, search.stats())
}

/// A search for a linearization of one key's operations that can be run a
/// slice of steps at a time, so that many keys can share one thread fairly
/// (see `schedule`).
///
/// Besides Lowe's memo, three reductions keep the search small, each sound
/// for any model: reads are placed greedily; a configuration is skipped if a
/// visited one has the same completed operations and state and a subset of
/// its unknown ones; identical unknown operations are placed in invoke
/// order. The search succeeds once every completed operation is placed.
/// Models that say which states can still grow into a read's value
/// ([`Model::reachable`]) also get configurations abandoned as soon as a
/// pending read can no longer be satisfied ([`Pruner`]).
pub(crate) struct Search<'a, M: Model> {
    model: &'a M,
    ops: &'a [M::Op],
    spans: &'a [Span],
    budget: Budget<'a>,
    plan: Plan,
    list: Entries,
    lin: Linearized,
    memo: Memo<M::State>,
    stack: Vec<Frame<M::State>>,
    pruner: Pruner,
    state: M::State,
    best: Option<Stuck<M::State>>,
    stats: Stats,
    entry: u32,
    pass: Class,
}

impl<'a, M: Model> Search<'a, M> {
    /// A search at its start, under `budget`.
    pub(crate) fn new(
        model: &'a M,
        ops: &'a [M::Op],
        spans: &'a [Span],
        budget: Budget<'a>,
    ) -> Self {
        assert_eq!(ops.len(), spans.len(), "one span per operation");
        assert!(
            ops.len() < (u32::MAX as usize - 4) / 2,
            "too many operations for one key"
        );
        let plan = Plan::new(model, ops, spans);
        let list = Entries::new(spans);
        let words = plan.known_words + plan.unknown_words;
        let lin = Linearized {
            bits: vec![0; words],
            hash: 0,
            known: 0,
        };
        let memo = Memo::new(
            plan.known_words,
            plan.unknown_words,
            budget.memory_bytes,
            budget.pool.cloned(),
        );
        let entry = list.first();
        Search {
            model,
            ops,
            spans,
            budget,
            plan,
            list,
            lin,
            memo,
            stack: Vec::new(),
            pruner: Pruner::new(model, ops, spans),
            state: model.init(),
            best: None,
            stats: Stats::default(),
            entry,
            pass: Class::ReadOnly,
        }
    }

    /// The counters so far.
    pub(crate) fn stats(&self) -> Stats {
        Stats {
            memo_entries: self.memo.len(),
            ..self.stats
        }
    }

    /// Runs at most `steps` more steps: the outcome, or `None` if the search
    /// is not finished yet (call again to go on where it stopped). Must not
    /// be called again once it returned an outcome.
    pub(crate) fn run(&mut self, steps: u64) -> Option<Found<M::State>> {
        let limit = self.stats.steps.saturating_add(steps);
        let Search {
            model,
            ops,
            spans,
            budget,
            plan,
            list,
            lin,
            memo,
            stack,
            pruner,
            state,
            best,
            stats,
            entry,
            pass,
        } = self;
        let (model, ops, spans) = (*model, *ops, *spans);
        let found = loop {
            if lin.known == plan.known_ops {
                break Found::Linearizable;
            }
            if stats.steps >= limit {
                return None;
            }
            stats.steps += 1;
            if stats.steps & 0x3ff == 0 {
                if budget.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                    break Found::Cancelled;
                }
                if stats.steps & 0xfff == 0 && budget.deadline.is_some_and(|d| Instant::now() >= d)
                {
                    break Found::OutOfTime;
                }
            }
            let mut failed = false;
            if is_call(*entry) {
                let op = op_of(*entry);
                let class = plan.class[op as usize];
                let twin = plan.twin[op as usize];
                let skip = class != *pass || (twin != NONE && !lin.has(plan, twin));
                if !skip {
                    if let Some(next) = model.step(state, &ops[op as usize]) {
                        lin.place(plan, op);
                        let hash = lin.hash ^ hash_state(&next).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                        match memo.insert(hash, &lin.bits, &next) {
                            Ok(true) => {
                                let before = std::mem::replace(state, next);
                                stack.push(Frame {
                                    call: *entry,
                                    before,
                                });
                                list.lift(*entry);
                                pruner.place(op);
                                *entry = list.first();
                                *pass = Class::ReadOnly;
                                if class == Class::ReadOnly {
                                    continue;
                                }
                                let Some(read) = pruner.doomed(model, ops, spans, state) else {
                                    continue;
                                };
                                // A completed read can no longer be placed.
                                if further(best, stack) {
                                    *best = Some(stuck(stack, state, vec![read], read));
                                }
                                failed = true;
                            }
                            Ok(false) => {
                                lin.unplace(plan, op);
                                // A read's configuration is covered, and the
                                // read was the only move worth making here.
                                failed = class == Class::ReadOnly;
                            }
                            Err(MemoFull) => break Found::OutOfMemory,
                        }
                    }
                }
                if !failed {
                    *entry = list.next[*entry as usize];
                    continue;
                }
            } else if *pass != Class::Unknown {
                *pass = if *pass == Class::ReadOnly {
                    Class::Mutating
                } else {
                    Class::Unknown
                };
                *entry = list.first();
                continue;
            } else if further(best, stack) {
                *best = Some(stuck_here(list, stack, state, *entry));
            }
            // This configuration fails: undo the last choice (and the
            // configurations a forced read stood for).
            loop {
                let Some(frame) = stack.pop() else {
                    let stuck = best.take().unwrap_or_else(|| {
                        let mut ret = list.first();
                        while is_call(ret) {
                            ret = list.next[ret as usize];
                        }
                        stuck_here(list, &[], state, ret)
                    });
                    return Some(Found::NotLinearizable(stuck));
                };
                *state = frame.before;
                let op = op_of(frame.call);
                lin.unplace(plan, op);
                list.unlift(frame.call);
                pruner.unplace(op);
                let class = plan.class[op as usize];
                if class != Class::ReadOnly {
                    *entry = list.next[frame.call as usize];
                    *pass = class;
                    break;
                }
            }
        };
        Some(found)
    }
}

/// Whether a failure with `stack` placed got further than `best`.
fn further<S>(best: &Option<Stuck<S>>, stack: &[Frame<S>]) -> bool {
    best.as_ref().is_none_or(|b| stack.len() > b.prefix.len())
}

/// The configuration `stack` reached (in `state`) when `candidates` could
/// not be placed before `closed_by` returned.
fn stuck<S: Clone>(
    stack: &[Frame<S>],
    state: &S,
    candidates: Vec<u32>,
    closed_by: u32,
) -> Stuck<S> {
    Stuck {
        prefix: stack.iter().map(|f| op_of(f.call)).collect(),
        state: state.clone(),
        candidates,
        closed_by,
    }
}

/// Records the configuration at a return reached with no way forward.
fn stuck_here<S: Clone>(list: &Entries, stack: &[Frame<S>], state: &S, ret: u32) -> Stuck<S> {
    let mut candidates = Vec::new();
    let mut node = list.first();
    while node != ret {
        if is_call(node) {
            candidates.push(op_of(node));
        }
        node = list.next[node as usize];
    }
    stuck(stack, state, candidates, op_of(ret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RegOp, Register};

    fn budget() -> Budget<'static> {
        Budget {
            deadline: None,
            timeout: Duration::from_secs(1),
            memory_bytes: 1 << 24,
            cancel: None,
            pool: None,
        }
    }

    fn span(call: usize, ret: usize) -> Span {
        Span {
            call,
            ret: Some(ret),
        }
    }

    #[test]
    fn concurrent_write_and_read_linearize() {
        // write 1 [0..3] overlaps read -> 1 [1..2].
        let ops = [RegOp::Write(1), RegOp::Read(Some(1))];
        let (found, _) = search(&Register::PLAIN, &ops, &[span(0, 3), span(1, 2)], &budget());
        assert_eq!(found, Found::Linearizable);
    }

    #[test]
    fn stale_read_is_stuck_after_the_write() {
        // write 1 [0..1], then read -> null [2..3].
        let ops = [RegOp::Write(1), RegOp::Read(None)];
        let (found, _) = search(&Register::PLAIN, &ops, &[span(0, 1), span(2, 3)], &budget());
        let Found::NotLinearizable(stuck) = found else {
            panic!("{found:?}")
        };
        assert_eq!(
            stuck,
            Stuck {
                prefix: vec![0],
                state: Some(1),
                candidates: vec![1],
                closed_by: 1
            }
        );
    }

    #[test]
    fn unknown_ops_may_never_happen() {
        // An unknown write of 2, then a completed read of null.
        let ops = [RegOp::Write(2), RegOp::Read(None)];
        let spans = [Span { call: 0, ret: None }, span(1, 2)];
        assert_eq!(
            search(&Register::PLAIN, &ops, &spans, &budget()).0,
            Found::Linearizable
        );
    }

    #[test]
    fn a_cancelled_search_stops() {
        let ops: Vec<RegOp> = (0..3000).map(|i| RegOp::Write(i % 3)).collect();
        let spans: Vec<Span> = (0..3000).map(|i| span(i, 4000 + i)).collect();
        let cancel = AtomicBool::new(true);
        let cancelled = Budget {
            cancel: Some(&cancel),
            ..budget()
        };
        let found = search(&Register::PLAIN, &ops, &spans, &cancelled).0;
        assert_eq!(found, Found::Cancelled);
    }

    #[test]
    fn the_memory_budget_gives_up_instead_of_growing() {
        let ops: Vec<RegOp> = (0..64).map(RegOp::Write).collect();
        let spans: Vec<Span> = (0..64).map(|i| span(i, 100 + i)).collect();
        let tight = Budget {
            memory_bytes: 2_000,
            ..budget()
        };
        assert_eq!(
            search(&Register::PLAIN, &ops, &spans, &tight).0,
            Found::OutOfMemory
        );
    }
}
