//! Lowe's memo of search configurations already explored: pairs of (set of
//! linearized operations, model state), stored flat so that the search loop
//! allocates only when a table grows.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Bytes of memo that the searches of one check may still take, shared by
/// every key's memo: keys searched side by side (see `schedule`) draw from
/// one budget instead of each assuming the whole of it.
pub(crate) type Pool = Arc<AtomicUsize>;

/// A small, fast, non-cryptographic hasher (the multiply-rotate scheme of
/// rustc's FxHasher) for model states.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

/// The hash of a model state.
#[inline]
pub(crate) fn hash_state<S: Hash>(state: &S) -> u64 {
    let mut h = FastHasher::default();
    state.hash(&mut h);
    h.finish()
}

/// A fixed pseudo-random 64-bit value per operation (splitmix64), XORed
/// into a running hash as operations are linearized and un-linearized
/// (Zobrist hashing), so a bitset's hash costs O(1) per step.
pub(crate) fn zobrist(op: usize) -> u64 {
    let mut z = (op as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The memo outgrew its memory budget.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct MemoFull;

/// Where the placed count of each class of interchangeable unknown
/// operations sits in the packed words of a configuration: a field of
/// `width` bits at `shift` in word `word`, never crossing a word.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub word: u32,
    pub shift: u32,
    pub mask: u64,
}

/// Lays out one counter per class, each wide enough for `sizes[c]`: the
/// fields and the number of words.
pub(crate) fn layout(sizes: &[u32]) -> (Vec<Field>, usize) {
    let (mut word, mut shift) = (0u32, 0u32);
    let fields = sizes
        .iter()
        .map(|&n| {
            let width = 32 - n.leading_zeros();
            if shift + width > 64 {
                word += 1;
                shift = 0;
            }
            let f = Field {
                word,
                shift,
                mask: (1u64 << width) - 1,
            };
            shift += width;
            f
        })
        .collect();
    let words = if sizes.is_empty() {
        0
    } else {
        word as usize + 1
    };
    (fields, words)
}

/// A set of configurations with open addressing: each is a model state and
/// a key of two parts, stored flat so that the search loop allocates only
/// when a table grows.
///
/// - The *known* part names the completed operations linearized. Its length
///   varies: the search passes only the window of words from the first one
///   not yet full to the last one not empty (the words before it are all
///   ones, and its first word is the window's start), so an entry costs
///   what the open window of operations costs, not the whole history.
/// - The *unknown* part (fixed length) counts, for each class of
///   interchangeable operations of unknown outcome, how many are placed (in
///   invoke order, so the count says which). A configuration is already
///   covered if an entry has the same state and known part and no more of
///   each class placed: with fewer unknown operations placed, that entry
///   could do everything this one can (the rest can always be placed last,
///   i.e. never).
pub(crate) struct Memo<S> {
    fields: Vec<Field>,
    unknown_words: usize,
    slots: Vec<u32>,
    hashes: Vec<u64>,
    states: Vec<S>,
    /// Each entry's context: `Some(s)` if it was reached by placing an
    /// operation of unknown outcome in state `s`, which restricts the moves
    /// after it (see `Search`); an entry without one covers configurations
    /// with any context, one with a context only those with the same.
    /// Stored apart, as few entries have one: a bit per entry says whether
    /// it has, and the map holds it (looked up only, never iterated).
    has_ctx: Vec<u64>,
    ctxs: HashMap<u32, S>,
    /// Where each entry's key starts in `keys` (it ends where the next
    /// starts).
    starts: Vec<usize>,
    keys: Vec<u64>,
    budget_bytes: usize,
    pool: Option<Pool>,
    /// Bytes charged, against `budget_bytes` and taken from `pool`.
    taken: usize,
}

impl<S> Drop for Memo<S> {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            pool.fetch_add(self.taken, Ordering::Relaxed);
        }
    }
}

impl<S: Eq> Memo<S> {
    /// An empty memo whose unknown parts are laid out as `fields` in
    /// `unknown_words` words, that will hold at most about `budget_bytes`
    /// bytes, and no more than `pool` (if any) has left.
    pub(crate) fn new(
        fields: Vec<Field>,
        unknown_words: usize,
        budget_bytes: usize,
        pool: Option<Pool>,
    ) -> Self {
        Memo {
            fields,
            unknown_words,
            slots: vec![0; 1024],
            hashes: Vec::new(),
            states: Vec::new(),
            has_ctx: Vec::new(),
            ctxs: HashMap::new(),
            starts: vec![0],
            keys: Vec::new(),
            budget_bytes,
            pool,
            taken: 0,
        }
    }

    /// Number of configurations stored.
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }

    /// Charges `bytes` against the budget and the pool: false if either has
    /// too little left.
    fn charge(&mut self, bytes: usize) -> bool {
        if self.taken + bytes > self.budget_bytes {
            return false;
        }
        if let Some(pool) = &self.pool {
            let mut left = pool.load(Ordering::Relaxed);
            loop {
                if left < bytes {
                    return false;
                }
                match pool.compare_exchange_weak(
                    left,
                    left - bytes,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => break,
                    Err(now) => left = now,
                }
            }
        }
        self.taken += bytes;
        true
    }

    /// True if unknown part `stored` has no more of any class placed than
    /// `new`.
    #[inline]
    fn covers(&self, stored: &[u64], new: &[u64]) -> bool {
        stored == new
            || self.fields.iter().all(|f| {
                let (w, s) = (f.word as usize, f.shift);
                (stored[w] >> s) & f.mask <= (new[w] >> s) & f.mask
            })
    }

    /// Adds the configuration (`known` ++ `unknown`, `state`) whose hash (of
    /// the known part and the state) is `hash`; `Ok(false)` if an entry
    /// already covers it.
    #[cfg(test)]
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        known: &[u64],
        unknown: &[u64],
        state: &S,
    ) -> Result<bool, MemoFull>
    where
        S: Clone,
    {
        self.insert_in(hash, known, unknown, state, None)
    }

    /// [`Memo::insert`] for a configuration reached in context `ctx` (the
    /// state before the operation of unknown outcome just placed, if that is
    /// how it was reached): covered only by an entry of no context or the
    /// same one.
    #[inline]
    pub(crate) fn insert_in(
        &mut self,
        hash: u64,
        known: &[u64],
        unknown: &[u64],
        state: &S,
        ctx: Option<&S>,
    ) -> Result<bool, MemoFull>
    where
        S: Clone,
    {
        debug_assert_eq!(unknown.len(), self.unknown_words);
        let mask = self.slots.len() - 1;
        let mut i = (hash >> 20) as usize & mask;
        let len = known.len() + unknown.len();
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                break;
            }
            let e = (slot - 1) as usize;
            let (from, to) = (self.starts[e], self.starts[e + 1]);
            if self.hashes[e] == hash
                && to - from == len
                && self.states[e] == *state
                && (self.has_ctx[e / 64] >> (e % 64) & 1 == 0 || self.ctxs.get(&(e as u32)) == ctx)
            {
                let (k, u) = self.keys[from..to].split_at(known.len());
                if k == known && self.covers(u, unknown) {
                    return Ok(false);
                }
            }
            i = (i + 1) & mask;
        }
        let e = self.states.len();
        if e == u32::MAX as usize - 1 {
            return Err(MemoFull);
        }
        if e == self.states.capacity() {
            // Per entry: hash, start, state and two slots (load <= 1/2).
            let extra = e.max(256);
            let bytes = extra * (8 + 8 + std::mem::size_of::<S>() + 2 * 4) + extra.div_ceil(64) * 8;
            if !self.charge(bytes) {
                return Err(MemoFull);
            }
            self.hashes.reserve_exact(extra);
            self.states.reserve_exact(extra);
            self.has_ctx
                .reserve_exact((e + extra).div_ceil(64) - self.has_ctx.len());
            self.starts.reserve_exact(extra);
        }
        if self.keys.len() + len > self.keys.capacity() {
            let extra = (self.keys.len() + len).max(1024);
            if !self.charge(extra * 8) {
                return Err(MemoFull);
            }
            self.keys.reserve_exact(extra);
        }
        // A context's map entry: key, state and the table's slack.
        if ctx.is_some() && !self.charge(2 * (4 + std::mem::size_of::<S>()) + 8) {
            return Err(MemoFull);
        }
        self.hashes.push(hash);
        self.states.push(state.clone());
        if e.is_multiple_of(64) {
            self.has_ctx.push(0);
        }
        if let Some(c) = ctx {
            self.has_ctx[e / 64] |= 1 << (e % 64);
            self.ctxs.insert(e as u32, c.clone());
        }
        self.keys.extend_from_slice(known);
        self.keys.extend_from_slice(unknown);
        self.starts.push(self.keys.len());
        self.slots[i] = e as u32 + 1;
        if 2 * (e + 1) > self.slots.len() {
            self.grow_slots();
        }
        Ok(true)
    }

    fn grow_slots(&mut self) {
        let size = self.slots.len() * 2;
        let mask = size - 1;
        let mut slots = vec![0u32; size];
        for (e, &hash) in self.hashes.iter().enumerate() {
            let mut i = (hash >> 20) as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = e as u32 + 1;
        }
        self.slots = slots;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(budget: usize, pool: Option<Pool>) -> Memo<Option<i64>> {
        Memo::new(Vec::new(), 0, budget, pool)
    }

    #[test]
    fn remembers_pairs_exactly() {
        let mut memo = plain(1 << 20, None);
        assert_eq!(memo.insert(7, &[1, 0], &[], &Some(1)), Ok(true));
        assert_eq!(memo.insert(7, &[1, 0], &[], &Some(1)), Ok(false));
        // Same hash, different key (or length) or state: distinct entries.
        assert_eq!(memo.insert(7, &[1, 1], &[], &Some(1)), Ok(true));
        assert_eq!(memo.insert(7, &[1], &[], &Some(1)), Ok(true));
        assert_eq!(memo.insert(7, &[1, 0], &[], &None), Ok(true));
        for n in 0..5000u64 {
            assert_eq!(
                memo.insert(zobrist(n as usize), &[n, 0], &[], &None),
                Ok(true)
            );
        }
        assert_eq!(
            memo.insert(zobrist(4999), &[4999, 0], &[], &None),
            Ok(false)
        );
        assert_eq!(memo.len(), 5004);
    }

    #[test]
    fn a_context_is_covered_only_by_none_or_the_same() {
        let mut memo = plain(1 << 20, None);
        let (a, b) = (Some(1), Some(2));
        // Reached after an unknown operation placed in state 1.
        assert_eq!(memo.insert_in(7, &[1], &[], &Some(5), Some(&a)), Ok(true));
        assert_eq!(memo.insert_in(7, &[1], &[], &Some(5), Some(&a)), Ok(false));
        // Another context, or none (fewer restrictions): not covered.
        assert_eq!(memo.insert_in(7, &[1], &[], &Some(5), Some(&b)), Ok(true));
        assert_eq!(memo.insert_in(7, &[1], &[], &Some(5), None), Ok(true));
        // An entry of no context covers every context.
        assert_eq!(memo.insert_in(8, &[2], &[], &Some(5), None), Ok(true));
        assert_eq!(memo.insert_in(8, &[2], &[], &Some(5), Some(&a)), Ok(false));
        assert_eq!(memo.len(), 4);
    }

    #[test]
    fn fewer_unknown_operations_cover_more() {
        // Two classes: one of up to 3 operations (2 bits), one of 1 (1 bit).
        let (fields, words) = layout(&[3, 1]);
        assert_eq!(words, 1);
        let count = |a: u64, b: u64| a | b << 2;
        let mut memo: Memo<Option<i64>> = Memo::new(fields, words, 1 << 20, None);
        assert_eq!(memo.insert(3, &[1], &[count(1, 0)], &Some(1)), Ok(true));
        assert_eq!(memo.insert(3, &[1], &[count(2, 0)], &Some(1)), Ok(false));
        assert_eq!(memo.insert(3, &[1], &[count(1, 1)], &Some(1)), Ok(false));
        assert_eq!(memo.insert(3, &[1], &[count(0, 1)], &Some(1)), Ok(true));
        assert_eq!(memo.insert(3, &[1], &[count(0, 0)], &Some(1)), Ok(true));
        assert_eq!(memo.insert(3, &[1], &[count(1, 0)], &Some(2)), Ok(true));
    }

    #[test]
    fn fields_never_cross_a_word() {
        let (fields, words) = layout(&[1; 70]);
        assert_eq!(words, 2);
        assert_eq!(
            (fields[63].word, fields[64].word, fields[64].shift),
            (0, 1, 0)
        );
        let (fields, words) = layout(&[u32::MAX, u32::MAX, 7]);
        assert_eq!((words, fields[1].word, fields[2].word), (2, 0, 1));
    }

    #[test]
    fn stops_at_the_budget() {
        let mut memo = plain(100_000, None);
        let full =
            (0..100_000u64).find_map(|n| memo.insert(zobrist(n as usize), &[n], &[], &None).err());
        assert_eq!(full, Some(MemoFull));
        assert!(memo.len() * 40 <= 100_000, "{} entries", memo.len());
    }

    #[test]
    fn memos_share_one_pool_and_give_it_back() {
        let pool: Pool = Arc::new(AtomicUsize::new(100_000));
        let mut a = plain(1 << 30, Some(pool.clone()));
        let full =
            (0..100_000u64).find_map(|n| a.insert(zobrist(n as usize), &[n], &[], &None).err());
        assert_eq!(full, Some(MemoFull));
        let mut b = plain(1 << 30, Some(pool.clone()));
        assert_eq!(
            b.insert(1, &[1], &[], &None),
            Err(MemoFull),
            "a took the pool"
        );
        drop(a);
        assert_eq!(pool.load(Ordering::Relaxed), 100_000);
        assert_eq!(b.insert(1, &[1], &[], &None), Ok(true));
    }

    #[test]
    fn zobrist_values_differ() {
        let mut zs: Vec<u64> = (0..10_000).map(zobrist).collect();
        zs.sort_unstable();
        zs.dedup();
        assert_eq!(zs.len(), 10_000);
    }
}
