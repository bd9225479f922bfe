//! The Wing & Gong search with Lowe's memoisation, over one key.
//!
//! Calls and returns sit in one doubly linked list in history order. The
//! search walks it from the front: a call whose operation the model accepts
//! (and whose resulting configuration is new) is linearized, and its call and
//! return are lifted out of the list; reaching a return means every
//! operation still open before it was tried, so the last choice is undone.
//! Operations of unknown outcome return at the end of the history.

use super::memo::{hash_state, zobrist, Memo, MemoFull};
use crate::model::Model;
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
pub(crate) struct Budget {
    pub deadline: Option<Instant>,
    pub timeout: Duration,
    pub memory_bytes: usize,
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

/// The linearized set and its Zobrist hash.
struct Linearized {
    bits: Vec<u64>,
    hash: u64,
    zobrist: Vec<u64>,
}

impl Linearized {
    #[inline]
    fn flip(&mut self, op: u32) {
        self.bits[op as usize / 64] ^= 1 << (op % 64);
        self.hash ^= self.zobrist[op as usize];
    }
}

/// Searches for a linearization of `ops` (whose history positions are
/// `spans`) under `model`.
pub(crate) fn search<M: Model>(
    model: &M,
    ops: &[M::Op],
    spans: &[Span],
    budget: &Budget,
) -> (Found<M::State>, Stats) {
    assert_eq!(ops.len(), spans.len(), "one span per operation");
    assert!(
        ops.len() < (u32::MAX as usize - 4) / 2,
        "too many operations for one key"
    );
    let words = ops.len().div_ceil(64).max(1);
    let mut list = Entries::new(spans);
    let mut lin = Linearized {
        bits: vec![0; words],
        hash: 0,
        zobrist: (0..ops.len()).map(zobrist).collect(),
    };
    let mut memo: Memo<M::State> = Memo::new(words, budget.memory_bytes);
    let mut stack: Vec<(u32, M::State)> = Vec::with_capacity(ops.len());
    let mut state = model.init();
    let mut best: Option<Stuck<M::State>> = None;
    let mut stats = Stats::default();
    let mut entry = list.first();

    while list.first() != TAIL {
        stats.steps += 1;
        if stats.steps & 0xfff == 0 && budget.deadline.is_some_and(|d| Instant::now() >= d) {
            stats.memo_entries = memo.len();
            return (Found::OutOfTime, stats);
        }
        if is_call(entry) {
            let op = op_of(entry);
            if let Some(next) = model.step(&state, &ops[op as usize]) {
                lin.flip(op);
                let hash = lin.hash ^ hash_state(&next).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                match memo.insert(hash, &lin.bits, &next) {
                    Ok(true) => {
                        stack.push((entry, std::mem::replace(&mut state, next)));
                        list.lift(entry);
                        entry = list.first();
                        continue;
                    }
                    Ok(false) => lin.flip(op),
                    Err(MemoFull) => {
                        stats.memo_entries = memo.len();
                        return (Found::OutOfMemory, stats);
                    }
                }
            }
            entry = list.next[entry as usize];
        } else {
            if best.as_ref().is_none_or(|b| stack.len() > b.prefix.len()) {
                best = Some(stuck_here(&list, &stack, &state, entry));
            }
            let Some((call, previous)) = stack.pop() else {
                stats.memo_entries = memo.len();
                let stuck = best.expect("recorded just above");
                return (Found::NotLinearizable(stuck), stats);
            };
            state = previous;
            lin.flip(op_of(call));
            list.unlift(call);
            entry = list.next[call as usize];
        }
    }
    stats.memo_entries = memo.len();
    (Found::Linearizable, stats)
}

/// Records the configuration at a return reached with no way forward.
fn stuck_here<S: Clone>(list: &Entries, stack: &[(u32, S)], state: &S, ret: u32) -> Stuck<S> {
    let mut candidates = Vec::new();
    let mut node = list.first();
    while node != ret {
        if is_call(node) {
            candidates.push(op_of(node));
        }
        node = list.next[node as usize];
    }
    Stuck {
        prefix: stack.iter().map(|&(call, _)| op_of(call)).collect(),
        state: state.clone(),
        candidates,
        closed_by: op_of(ret),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RegOp, Register};

    fn budget() -> Budget {
        Budget {
            deadline: None,
            timeout: Duration::from_secs(1),
            memory_bytes: 1 << 24,
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
