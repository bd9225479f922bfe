//! Abandoning configurations that cannot lead to a linearization, before
//! the search walks up to the return that would show it.
//!
//! A completed read-only operation `g` (a get) still to place must find the
//! state it observed. The operations placed before it are unplaced ones
//! invoked before `g` returned. If the model says no state reachable from
//! the current one without a reset accepts `g` ([`Model::reachable`]), then
//! some reset (a put) must come first, and from the state the last one
//! leaves `g` must be reachable; if no unplaced reset invoked in time leaves
//! such a state, no extension of the configuration places `g`.

use super::search::Span;
use crate::model::Model;

/// How many unplaced read-only operations (in invoke order) are checked
/// after each state change.
const LOOKAHEAD: usize = 8;

/// How many unplaced resets are tried for one read before assuming one of
/// them helps (many `info` puts must not make every step slow).
const RESETS_TRIED: usize = 32;

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
/// with the search. With no such read there is nothing to check, and no
/// reset is tracked either.
pub(crate) struct Pruner {
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
        // default), so no read is left to check: then keep the search from
        // moving every operation in and out of the resets chain for nothing.
        if reads.is_empty() {
            kind.fill(0);
            resets.clear();
        }
        Pruner {
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
        let mut r = self.reads.first()?;
        for _ in 0..LOOKAHEAD {
            if !model.reachable(state, &ops[r as usize])
                && !self.reset_helps(model, ops, spans, state, r)
            {
                return Some(r);
            }
            r = self.reads.next[r as usize];
            if r == self.reads.head() {
                break;
            }
        }
        None
    }

    /// Whether an unplaced reset invoked before read `r` returned (so it may
    /// come before `r`) leaves a state from which `r` is reachable. The last
    /// reset before `r` decides, and a reset's result does not depend on the
    /// state it is applied to, so trying each one from `state` is enough.
    fn reset_helps<M: Model>(
        &self,
        model: &M,
        ops: &[M::Op],
        spans: &[Span],
        state: &M::State,
        r: u32,
    ) -> bool {
        let ret = spans[r as usize].ret.unwrap_or(usize::MAX);
        let mut p = self.resets.first();
        for _ in 0..RESETS_TRIED {
            let Some(q) = p else {
                return false;
            };
            if spans[q as usize].call > ret {
                return false;
            }
            match model.step(state, &ops[q as usize]) {
                Some(after) if !model.reachable(&after, &ops[r as usize]) => {}
                // Refused here but perhaps not later: assume it helps.
                _ => return true,
            }
            let n = self.resets.next[q as usize];
            p = (n != self.resets.head()).then_some(n);
        }
        // Any left untried that may come in time is assumed to help.
        p.is_some_and(|q| spans[q as usize].call <= ret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::search::{search, Budget, Found};
    use crate::model::{AppendKv, AppendOp, Call, Text};
    use std::time::Duration;

    fn span(call: usize, ret: usize) -> Span {
        Span {
            call,
            ret: Some(ret),
        }
    }

    /// Whether the get (operation 0, returning "ba" at position 5) is doomed
    /// in state "a" with one more operation, a put, at `put_span`.
    fn doomed_with_put(put: &str, put_span: Span) -> Option<u32> {
        let ops = [
            AppendOp::Get(Text::new("ba")),
            AppendOp::Put(Text::new(put)),
            AppendOp::Append(Text::new("a")),
        ];
        let spans = [span(0, 5), put_span, span(2, 7)];
        let pruner = Pruner::new(&AppendKv, &ops, &spans);
        pruner.doomed(&AppendKv, &ops, &spans, &Text::new("a"))
    }

    #[test]
    fn a_get_the_string_cannot_grow_into_is_doomed() {
        // No put in time: "a" can only grow to "a...".
        assert_eq!(doomed_with_put("b", span(6, 8)), Some(0));
        // A put invoked in time whose value cannot grow into "ba".
        assert_eq!(doomed_with_put("x", span(1, 8)), Some(0));
        // put "b" then append "a" gives "ba".
        assert_eq!(doomed_with_put("b", span(1, 8)), None);
    }

    #[test]
    fn past_the_resets_tried_a_read_is_assumed_saved() {
        let doomed = |puts: usize| {
            let mut ops = vec![AppendOp::Get(Text::new("ba"))];
            let mut spans = vec![span(0, 100)];
            for i in 0..puts {
                ops.push(AppendOp::Put(Text::new("x")));
                spans.push(span(1 + i, 200 + i));
            }
            let pruner = Pruner::new(&AppendKv, &ops, &spans);
            pruner.doomed(&AppendKv, &ops, &spans, &Text::new("a"))
        };
        assert_eq!(doomed(RESETS_TRIED), Some(0));
        assert_eq!(doomed(RESETS_TRIED + 1), None);
    }

    #[test]
    fn placed_operations_leave_the_chains_and_come_back() {
        let ops = [
            AppendOp::Get(Text::new("ba")),
            AppendOp::Put(Text::new("b")),
            AppendOp::Append(Text::new("a")),
        ];
        let spans = [span(0, 5), span(1, 8), span(2, 7)];
        let mut pruner = Pruner::new(&AppendKv, &ops, &spans);
        let doomed = |p: &Pruner| p.doomed(&AppendKv, &ops, &spans, &Text::new("a"));
        assert_eq!(doomed(&pruner), None);
        pruner.place(1);
        assert_eq!(doomed(&pruner), Some(0));
        pruner.unplace(1);
        assert_eq!(doomed(&pruner), None);
        pruner.place(0);
        assert_eq!(doomed(&pruner), None, "a placed get constrains nothing");
    }

    /// Append-kv without the pruning hooks: the search as it was before.
    struct Unpruned;

    impl Model for Unpruned {
        type State = Text;
        type Op = AppendOp;
        fn init(&self) -> Text {
            AppendKv.init()
        }
        fn step(&self, state: &Text, op: &AppendOp) -> Option<Text> {
            AppendKv.step(state, op)
        }
        fn is_read_only(&self, op: &AppendOp) -> bool {
            AppendKv.is_read_only(op)
        }
        fn op(&self, call: &Call<'_>) -> Result<Option<AppendOp>, String> {
            AppendKv.op(call)
        }
        fn describe_op(&self, op: &AppendOp) -> String {
            AppendKv.describe_op(op)
        }
        fn describe_state(&self, state: &Text) -> String {
            AppendKv.describe_state(state)
        }
        fn refusal(&self, state: &Text, op: &AppendOp) -> String {
            AppendKv.refusal(state, op)
        }
    }

    /// splitmix64.
    fn next(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Up to 30 operations, each taking effect at its own instant inside
    /// an interval overlapping its neighbours' (about 5 at once); gets
    /// return the true string, except that a few are corrupted; some puts
    /// and appends have unknown outcomes (and took effect or not).
    fn history(mut seed: u64) -> (Vec<AppendOp>, Vec<Span>) {
        let mut r = |n: u64| next(&mut seed) % n;
        let n = 10 + r(21) as usize;
        let (mut ops, mut times, mut state) = (Vec::new(), Vec::new(), String::new());
        for i in 0..n as u64 {
            let piece = ["a", "b", "ab"][r(3) as usize];
            let unknown = r(10) == 0;
            let op = match r(10) {
                0 => AppendOp::Put(Text::new(piece)),
                1..=5 => AppendOp::Append(Text::new(piece)),
                _ if r(20) == 0 => AppendOp::Get(Text::new(&format!("{piece}{state}"))),
                _ => AppendOp::Get(Text::new(&state)),
            };
            let happens = !unknown || r(2) == 0;
            match &op {
                AppendOp::Put(v) if happens => state = v.as_str().to_string(),
                AppendOp::Append(v) if happens => state.push_str(v.as_str()),
                _ => {}
            }
            let unknown = unknown && !matches!(op, AppendOp::Get(_));
            let call = 100 * i - r(250).min(100 * i);
            let ret = (!unknown).then(|| 100 * i + 1 + r(250));
            times.push((call, ret));
            ops.push(op);
        }
        // Times to distinct positions in the history.
        let mut events: Vec<(u64, usize, bool)> = Vec::new();
        for (i, &(call, ret)) in times.iter().enumerate() {
            events.push((call, i, false));
            if let Some(ret) = ret {
                events.push((ret, i, true));
            }
        }
        events.sort();
        let mut spans = vec![Span { call: 0, ret: None }; n];
        for (pos, &(_, i, is_ret)) in events.iter().enumerate() {
            if is_ret {
                spans[i].ret = Some(pos);
            } else {
                spans[i].call = pos;
            }
        }
        (ops, spans)
    }

    /// With pruning and unobservable ops left out, the verdict is the one
    /// of the plain search on every operation.
    #[test]
    fn pruning_never_changes_a_verdict() {
        let budget = Budget {
            deadline: None,
            timeout: Duration::from_secs(10),
            memory_bytes: 1 << 26,
            cancel: None,
            pool: None,
        };
        let (mut valid, mut dropped, n) = (0, 0, 3000);
        for seed in 0..n {
            let (ops, spans) = history(seed);
            // The fast search also leaves out unobservable unknown ops.
            let unknown: Vec<bool> = spans.iter().map(|s| s.ret.is_none()).collect();
            let drop = AppendKv.unobservable(&ops, &unknown);
            let kept = |i: &usize| !drop[*i];
            let few_ops: Vec<AppendOp> = (0..ops.len())
                .filter(kept)
                .map(|i| ops[i].clone())
                .collect();
            let few_spans: Vec<Span> = (0..ops.len()).filter(kept).map(|i| spans[i]).collect();
            dropped += drop.iter().filter(|d| **d).count();
            let fast = search(&AppendKv, &few_ops, &few_spans, &budget).0;
            let slow = search(&Unpruned, &ops, &spans, &budget).0;
            let ok = |f: &Found<Text>| match f {
                Found::Linearizable => true,
                Found::NotLinearizable(_) => false,
                other => panic!("seed {seed}: {other:?}"),
            };
            assert_eq!(ok(&fast), ok(&slow), "seed {seed}: {ops:?} {spans:?}");
            valid += usize::from(ok(&slow));
        }
        assert!(
            (n / 5..n * 4 / 5).contains(&(valid as u64)),
            "{valid} of {n} valid"
        );
        assert!(dropped > 100, "only {dropped} unobservable ops");
    }
}
