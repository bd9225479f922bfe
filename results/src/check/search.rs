//! The Wing & Gong search with Lowe's memoisation, over one key.
//!
//! Calls and returns sit in one doubly linked list in history order. The
//! search walks it from the front: a call whose operation the model accepts
//! (and whose resulting configuration is new) is linearized, and its call and
//! return are lifted out of the list; reaching a return means every
//! operation still open before it was tried, so the last choice is undone.
//! Operations of unknown outcome return at the end of the history.

use super::memo::{hash_state, layout, zobrist, Field, Memo, MemoFull, Pool};
use super::prune::Pruner;
use crate::model::Model;
use std::collections::{BTreeSet, HashMap};
use std::ops::Bound::{Excluded, Unbounded};
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
        // Operations of unknown outcome are not in the list: the search
        // keeps the earliest unplaced one of each twin class apart (`Heads`).
        for (i, s) in spans.iter().enumerate() {
            if let Some(ret) = s.ret {
                order.push((s.call, 2 + 2 * i as u32));
                order.push((ret, 3 + 2 * i as u32));
            }
        }
        order.sort_by_key(|&(at, _)| at);
        let n = 2 + 2 * spans.len();
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

/// Per-operation facts fixed before the search.
struct Plan {
    class: Vec<Class>,
    /// For a completed operation, its bit in the linearized set (completed
    /// operations numbered in invoke order); for an unknown one, its twin
    /// class: unknown operations with the same model operation are
    /// interchangeable once invoked, so of each class only the earliest
    /// unplaced is tried, and the set records how many are placed.
    bit: Vec<u32>,
    /// For an unknown operation, the next of its class (or `u32::MAX`).
    next_twin: Vec<u32>,
    /// The first operation of each twin class.
    first_twins: Vec<u32>,
    zobrist: Vec<u64>,
    /// Where each twin class's count sits.
    fields: Vec<Field>,
    known_words: usize,
    unknown_words: usize,
    known_ops: usize,
}

impl Plan {
    fn new<M: Model>(model: &M, ops: &[M::Op], spans: &[Span]) -> Self {
        let mut plan = Plan {
            class: Vec::with_capacity(ops.len()),
            bit: Vec::with_capacity(ops.len()),
            next_twin: vec![u32::MAX; ops.len()],
            first_twins: Vec::new(),
            zobrist: Vec::with_capacity(ops.len()),
            fields: Vec::new(),
            known_words: 0,
            unknown_words: 0,
            known_ops: 0,
        };
        // Twin classes by first invoke; their sizes size their counters.
        let mut classes: HashMap<&M::Op, u32> = HashMap::new();
        let mut sizes: Vec<u32> = Vec::new();
        let mut last: Vec<u32> = Vec::new();
        for (i, (op, span)) in ops.iter().zip(spans).enumerate() {
            let class = match span.ret {
                None => Class::Unknown,
                Some(_) if model.is_read_only(op) => Class::ReadOnly,
                Some(_) => Class::Mutating,
            };
            plan.class.push(class);
            if class == Class::Unknown {
                let next = sizes.len() as u32;
                let c = *classes.entry(op).or_insert(next);
                if c == next {
                    sizes.push(0);
                    last.push(i as u32);
                    plan.first_twins.push(i as u32);
                } else {
                    plan.next_twin[last[c as usize] as usize] = i as u32;
                    last[c as usize] = i as u32;
                }
                sizes[c as usize] += 1;
                plan.bit.push(c);
                plan.zobrist.push(0);
            } else {
                plan.bit.push(plan.known_ops as u32);
                plan.zobrist.push(zobrist(plan.known_ops));
                plan.known_ops += 1;
            }
        }
        plan.known_words = plan.known_ops.div_ceil(64).max(1);
        (plan.fields, plan.unknown_words) = layout(&sizes);
        plan
    }
}

/// The linearized set: a bitset of completed operations (with the bounds
/// of its open window) and the packed counts of placed unknown ones, and
/// the Zobrist hash of the completed part.
struct Linearized {
    bits: Vec<u64>,
    /// The first word of `bits` not all ones: every completed operation
    /// numbered below `64 * low` is placed.
    low: usize,
    /// The last word of `bits` not all zeros (0 if none).
    high: usize,
    counts: Vec<u64>,
    hash: u64,
    known: usize,
}

impl Linearized {
    fn new(plan: &Plan) -> Self {
        Linearized {
            bits: vec![0; plan.known_words],
            low: 0,
            high: 0,
            counts: vec![0; plan.unknown_words],
            hash: 0,
            known: 0,
        }
    }

    /// Adds unplaced `op`.
    #[inline]
    fn place(&mut self, plan: &Plan, op: u32) {
        let bit = plan.bit[op as usize] as usize;
        if plan.class[op as usize] == Class::Unknown {
            let f = plan.fields[bit];
            self.counts[f.word as usize] += 1 << f.shift;
            return;
        }
        let w = bit / 64;
        self.bits[w] |= 1 << (bit % 64);
        self.hash ^= plan.zobrist[op as usize];
        self.known += 1;
        self.high = self.high.max(w);
        while self.low < self.bits.len() && self.bits[self.low] == u64::MAX {
            self.low += 1;
        }
    }

    /// Removes placed `op`.
    #[inline]
    fn unplace(&mut self, plan: &Plan, op: u32) {
        let bit = plan.bit[op as usize] as usize;
        if plan.class[op as usize] == Class::Unknown {
            let f = plan.fields[bit];
            self.counts[f.word as usize] -= 1 << f.shift;
            return;
        }
        let w = bit / 64;
        self.bits[w] &= !(1 << (bit % 64));
        self.hash ^= plan.zobrist[op as usize];
        self.known -= 1;
        self.low = self.low.min(w);
        while self.high > 0 && self.bits[self.high] == 0 {
            self.high -= 1;
        }
    }

    /// The completed part as the memo keys it: the window's first word
    /// number, then its words (`key` is overwritten).
    #[inline]
    fn window(&self, key: &mut Vec<u64>) {
        key.clear();
        key.push(self.low as u64);
        if self.high >= self.low {
            key.extend_from_slice(&self.bits[self.low..=self.high]);
        }
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
/// Besides Lowe's memo, four reductions keep the search small, each sound
/// for any model: reads are placed greedily; a configuration is skipped if a
/// visited one has the same completed operations and state and a subset of
/// its unknown ones; identical unknown operations are placed in invoke
/// order; an unknown operation is placed only where it changes the state
/// and the operation placed next needs it (see `lazy`). The search succeeds once every completed operation is placed.
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
    /// Scratch space for a configuration's memo key.
    key: Vec<u64>,
    /// The unplaced unknown operations worth trying: the earliest of each
    /// twin class, by invoke position.
    heads: BTreeSet<(usize, u32)>,
    /// In the unknown pass, the head tried last.
    cursor: Option<(usize, u32)>,
    /// How many frames at the bottom of the stack are those of `best`'s
    /// prefix (the stack's low-water mark since `best` was recorded).
    shared: usize,
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
        let lin = Linearized::new(&plan);
        let memo = Memo::new(
            plan.fields.clone(),
            plan.unknown_words,
            budget.memory_bytes,
            budget.pool.cloned(),
        );
        let entry = list.first();
        let heads = plan
            .first_twins
            .iter()
            .map(|&op| (spans[op as usize].call, op))
            .collect();
        Search {
            model,
            ops,
            spans,
            budget,
            plan,
            list,
            lin,
            memo,
            key: Vec::new(),
            heads,
            cursor: None,
            shared: 0,
            stack: Vec::new(),
            pruner: Pruner::new(model, ops, spans),
            state: model.init(),
            best: None,
            stats: Stats::default(),
            entry,
            pass: Class::ReadOnly,
        }
    }

    /// The operations placed, in their linearization order: once the
    /// search found [`Found::Linearizable`], a witness (operations of
    /// unknown outcome not in it never took effect).
    pub(crate) fn order(&self) -> Vec<u32> {
        self.stack.iter().map(|f| op_of(f.call)).collect()
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
            key,
            heads,
            cursor,
            shared,
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
            // The operation to try next, if any; `exhausted` once the
            // unknown pass has none left.
            let mut exhausted = false;
            let op = if *pass == Class::Unknown {
                // Heads invoked before the first pending return.
                let ret = first_return(list);
                let bound = spans[op_of(ret) as usize]
                    .ret
                    .expect("a completed operation");
                let next = match *cursor {
                    None => heads.iter().next(),
                    Some(c) => heads.range((Excluded(c), Unbounded)).next(),
                };
                match next.filter(|(call, _)| *call < bound) {
                    Some(&(call, op)) => {
                        *cursor = Some((call, op));
                        Some(op)
                    }
                    None => {
                        if further(best, stack) {
                            let mut candidates = pending_calls(list, ret);
                            candidates
                                .extend(heads.iter().take_while(|(c, _)| *c < bound).map(|h| h.1));
                            record(best, shared, stack, state, candidates, op_of(ret));
                        }
                        exhausted = true;
                        None
                    }
                }
            } else if is_call(*entry) {
                let op = op_of(*entry);
                *entry = list.next[*entry as usize];
                (plan.class[op as usize] == *pass).then_some(op)
            } else {
                *pass = if *pass == Class::ReadOnly {
                    Class::Mutating
                } else {
                    Class::Unknown
                };
                *entry = list.first();
                *cursor = None;
                continue;
            };
            let mut failed = exhausted;
            if let Some(op) = op {
                let class = plan.class[op as usize];
                let after = stack
                    .last()
                    .filter(|f| plan.class[op_of(f.call) as usize] == Class::Unknown);
                let next = model
                    .step(state, &ops[op as usize])
                    .filter(|next| lazy(model, &ops[op as usize], class, state, next, after));
                if let Some(next) = next {
                    lin.place(plan, op);
                    let hash = lin.hash ^ hash_state(&next).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    lin.window(key);
                    let ctx = (class == Class::Unknown).then_some(&*state);
                    match memo.insert_in(hash, key, &lin.counts, &next, ctx) {
                        Ok(true) => {
                            let before = std::mem::replace(state, next);
                            let call = 2 + 2 * op;
                            stack.push(Frame { call, before });
                            if class == Class::Unknown {
                                heads.remove(&(spans[op as usize].call, op));
                                let twin = plan.next_twin[op as usize];
                                if twin != u32::MAX {
                                    heads.insert((spans[twin as usize].call, twin));
                                }
                            } else {
                                list.lift(call);
                            }
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
                                record(best, shared, stack, state, vec![read], read);
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
                continue;
            }
            // This configuration fails: undo the last choice (and the
            // configurations a forced read stood for).
            loop {
                let Some(frame) = stack.pop() else {
                    let stuck = best.take().unwrap_or_else(|| {
                        let ret = first_return(list);
                        Stuck {
                            prefix: Vec::new(),
                            state: state.clone(),
                            candidates: pending_calls(list, ret),
                            closed_by: op_of(ret),
                        }
                    });
                    return Some(Found::NotLinearizable(stuck));
                };
                *state = frame.before;
                *shared = (*shared).min(stack.len());
                let op = op_of(frame.call);
                lin.unplace(plan, op);
                pruner.unplace(op);
                let class = plan.class[op as usize];
                match class {
                    Class::ReadOnly => list.unlift(frame.call),
                    Class::Mutating => {
                        list.unlift(frame.call);
                        *entry = list.next[frame.call as usize];
                        *pass = class;
                        break;
                    }
                    Class::Unknown => {
                        let twin = plan.next_twin[op as usize];
                        if twin != u32::MAX {
                            heads.remove(&(spans[twin as usize].call, twin));
                        }
                        let head = (spans[op as usize].call, op);
                        heads.insert(head);
                        *cursor = Some(head);
                        *pass = class;
                        break;
                    }
                }
            }
        };
        Some(found)
    }
}

/// Whether placing `op` (of `class`) in `state`, leading to `next`, is worth
/// trying: no linearization needs an operation of unknown outcome placed
/// where it changes nothing, nor one right before an operation that could
/// do without it. With `after` the frame of an unknown operation `u` just
/// placed (the state before `u` in `after.before`), `op` is refused if it
/// was possible before `u` too and either leaves the state alone (a read, a
/// failed cas: it can go before `u`, which the search tries there) or
/// leads to `next` from there as well (then `u` can be left out).
///
/// Sound for any model: from any linearization, moving such an `op` ahead
/// of `u` (a completed operation may always pass one that never returns,
/// and the window of open calls is the same on both sides of `u`) or
/// dropping `u` keeps it valid with the same states from `op` on; each such
/// step moves a completed operation earlier or drops an unknown one, so
/// repeating them ends, in a linearization this rule allows.
/// The moves allowed after `u` depend on the state before it, so the memo
/// keys such configurations by that state as well (`Memo::insert_in`).
#[inline]
fn lazy<M: Model>(
    model: &M,
    op: &M::Op,
    class: Class,
    state: &M::State,
    next: &M::State,
    after: Option<&Frame<M::State>>,
) -> bool {
    if class == Class::Unknown && next == state {
        return false;
    }
    let Some(frame) = after else {
        return true;
    };
    match model.step(&frame.before, op) {
        None => true,
        Some(alt) => !model.is_read_only(op) && alt != *next,
    }
}

/// The first return node in the list (the tail if there is none).
fn first_return(list: &Entries) -> u32 {
    let mut node = list.first();
    while node != TAIL && is_call(node) {
        node = list.next[node as usize];
    }
    node
}

/// Whether a failure with `stack` placed got further than `best`.
fn further<S>(best: &Option<Stuck<S>>, stack: &[Frame<S>]) -> bool {
    best.as_ref().is_none_or(|b| stack.len() > b.prefix.len())
}

/// Records in `best` the configuration `stack` reached (in `state`) when
/// `candidates` could not be placed before `closed_by` returned. The first
/// `shared` frames of the stack are those of `best`'s prefix already (the
/// stack has not been shallower since it was recorded), so recording costs
/// what was pushed since, not the whole prefix.
fn record<S: Clone>(
    best: &mut Option<Stuck<S>>,
    shared: &mut usize,
    stack: &[Frame<S>],
    state: &S,
    candidates: Vec<u32>,
    closed_by: u32,
) {
    let mut prefix = best.take().map_or_else(Vec::new, |b| b.prefix);
    prefix.truncate((*shared).min(stack.len()));
    prefix.extend(stack[prefix.len()..].iter().map(|f| op_of(f.call)));
    *shared = stack.len();
    *best = Some(Stuck {
        prefix,
        state: state.clone(),
        candidates,
        closed_by,
    });
}

/// The calls in the list before return node `ret`.
fn pending_calls(list: &Entries, ret: u32) -> Vec<u32> {
    let mut candidates = Vec::new();
    let mut node = list.first();
    while node != ret {
        if is_call(node) {
            candidates.push(op_of(node));
        }
        node = list.next[node as usize];
    }
    candidates
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
    fn unknown_writes_are_placed_only_where_something_needs_them() {
        // 40 unknown writes of distinct values, then reads of the last 20 of
        // them in reverse order, one after another: each read needs its
        // write placed right before it. Trying the unknown writes anywhere
        // else (before a write that overwrites them, or where nothing reads
        // them) would make every subset of the first 20 a configuration.
        let n = 40;
        let mut ops: Vec<RegOp> = (0..n).map(RegOp::Write).collect();
        let mut spans: Vec<Span> = (0..n as usize)
            .map(|i| Span { call: i, ret: None })
            .collect();
        for (j, v) in (n / 2..n).rev().enumerate() {
            ops.push(RegOp::Read(Some(v)));
            spans.push(span(100 + 2 * j, 101 + 2 * j));
        }
        let (found, stats) = search(&Register::PLAIN, &ops, &spans, &budget());
        assert_eq!(found, Found::Linearizable);
        assert!(stats.memo_entries < 2_000, "{stats:?}");
    }

    #[test]
    fn an_unknown_write_no_one_needs_is_not_placed_before_a_write() {
        // Unknown writes of 1 then 2 are invoked, then a read sees 2. The
        // search tries the earlier unknown write first; placing write 2
        // right after it is refused (write 2 does the same without it), so
        // the witness is write 2 and the read only. (With a completed write
        // in place of write 2 the memo alone hides the rule: the
        // configuration without the unknown write is always tried first.)
        let ops = [RegOp::Write(1), RegOp::Write(2), RegOp::Read(Some(2))];
        let spans = [
            Span { call: 0, ret: None },
            Span { call: 1, ret: None },
            span(3, 4),
        ];
        let mut s = Search::new(&Register::PLAIN, &ops, &spans, budget());
        assert_eq!(s.run(u64::MAX), Some(Found::Linearizable));
        assert_eq!(s.order(), vec![1, 2]);
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
