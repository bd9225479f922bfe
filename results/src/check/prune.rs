//! Abandoning configurations that cannot lead to a linearization, before
//! the search walks up to the return that would show it.
//!
//! A completed read-only operation `g` (a get) still to place must find the
//! state it observed. If the model says no state reachable from the current
//! one without a reset accepts `g` ([`Model::reachable`]), and no unplaced
//! resetting operation was invoked before `g` returned (every such operation
//! must come after `g`), then no extension of the configuration places `g`.

use super::search::Span;
use crate::model::Model;

/// How many unplaced read-only operations (in invoke order) are checked
/// after each state change.
const LOOKAHEAD: usize = 8;

/// A subset of the operations in invoke order, from which placed ones are
/// lifted and put back in reverse order (dancing links).
struct Chain {
    next: Vec<u32>,
    prev: Vec<u32>,
}

impl Chain {
    /// A chain of `members` (operation numbers) among `n` operations, sorted
    /// by invoke position. Index `n` is the head.
    fn new(n: usize, mut members: Vec<u32>, spans: &[Span]) -> Self {
        members.sort_by_key(|&m| spans[m as usize].call);
        let head = n as u32;
        let (mut next, mut prev) = (vec![head; n + 1], vec![head; n + 1]);
        let mut last = head;
        for m in members {
            next[last as usize] = m;
            prev[m as usize] = last;
            last = m;
        }
        next[last as usize] = head;
        prev[n] = last;
        Chain { next, prev }
    }

    fn head(&self) -> u32 {
        (self.next.len() - 1) as u32
    }

    fn first(&self) -> Option<u32> {
        let f = self.next[self.head() as usize];
        (f != self.head()).then_some(f)
    }

    fn lift(&mut self, m: u32) {
        let (p, n) = (self.prev[m as usize], self.next[m as usize]);
        self.next[p as usize] = n;
        self.prev[n as usize] = p;
    }

    fn unlift(&mut self, m: u32) {
        let (p, n) = (self.prev[m as usize], self.next[m as usize]);
        self.next[p as usize] = m;
        self.prev[n as usize] = m;
    }
}

/// The unplaced resets and completed read-only operations, kept in step
/// with the search.
pub(crate) struct Pruner {
    enabled: bool,
    /// Per operation: 1 if it resets, 2 if it is a completed read-only
    /// operation, 0 otherwise.
    kind: Vec<u8>,
    resets: Chain,
    reads: Chain,
}

const RESET: u8 = 1;
const READ: u8 = 2;

impl Pruner {
    /// Sorts `ops` into resets and completed read-only operations.
    pub(crate) fn new<M: Model>(model: &M, ops: &[M::Op], spans: &[Span]) -> Self {
        let n = ops.len();
        let mut kind = vec![0u8; n];
        let (mut resets, mut reads) = (Vec::new(), Vec::new());
        for (i, (op, span)) in ops.iter().zip(spans).enumerate() {
            if model.resets(op) {
                kind[i] = RESET;
                resets.push(i as u32);
            } else if span.ret.is_some() && model.is_read_only(op) {
                kind[i] = READ;
                reads.push(i as u32);
            }
        }
        // A model that prunes nothing resets on every operation (the
        // default), so no read is left to check.
        let enabled = !reads.is_empty();
        Pruner {
            enabled,
            kind,
            resets: Chain::new(n, resets, spans),
            reads: Chain::new(n, reads, spans),
        }
    }

    /// Operation `op` was placed.
    #[inline]
    pub(crate) fn place(&mut self, op: u32) {
        match self.kind[op as usize] {
            RESET => self.resets.lift(op),
            READ => self.reads.lift(op),
            _ => {}
        }
    }

    /// Operation `op`, the last placed, was taken back.
    #[inline]
    pub(crate) fn unplace(&mut self, op: u32) {
        match self.kind[op as usize] {
            RESET => self.resets.unlift(op),
            READ => self.reads.unlift(op),
            _ => {}
        }
    }

    /// A completed read-only operation (among the first few unplaced) that
    /// can no longer be placed from `state`, if any.
    pub(crate) fn doomed<M: Model>(
        &self,
        model: &M,
        ops: &[M::Op],
        spans: &[Span],
        state: &M::State,
    ) -> Option<u32> {
        if !self.enabled {
            return None;
        }
        let reset_at = self
            .resets
            .first()
            .map_or(usize::MAX, |r| spans[r as usize].call);
        let mut r = self.reads.first()?;
        for _ in 0..LOOKAHEAD {
            let ret = spans[r as usize].ret.unwrap_or(usize::MAX);
            if ret < reset_at && !model.reachable(state, &ops[r as usize]) {
                return Some(r);
            }
            r = self.reads.next[r as usize];
            if r == self.reads.head() {
                break;
            }
        }
        None
    }
}
