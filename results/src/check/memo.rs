//! Lowe's memo of search configurations already explored: pairs of (set of
//! linearized operations, model state), stored flat so that the search loop
//! allocates only when a table grows.

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

/// A set of (bitset, state) pairs with open addressing. Entries live in
/// parallel flat vectors; the slot table holds entry numbers plus one.
///
/// A bitset has two parts: `known` words (operations that completed) and
/// `unknown` words (operations of unknown outcome). A configuration is
/// already covered if an entry has the same state and known part and an
/// unknown part that is a subset of its: with fewer unknown operations
/// placed, that entry could do everything this one can (the rest can always
/// be placed last, i.e. never).
pub(crate) struct Memo<S> {
    words: usize,
    known: usize,
    slots: Vec<u32>,
    hashes: Vec<u64>,
    states: Vec<S>,
    bits: Vec<u64>,
    entries_max: usize,
    per_entry: usize,
    pool: Option<Pool>,
    /// Bytes taken from `pool`, given back on drop.
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
    /// An empty memo for bitsets of `known + unknown` 64-bit words that will
    /// hold at most about `budget_bytes` bytes, and no more than `pool` (if
    /// any) has left.
    pub(crate) fn new(
        known: usize,
        unknown: usize,
        budget_bytes: usize,
        pool: Option<Pool>,
    ) -> Self {
        let words = known + unknown;
        // Per entry: its bits, hash and state, and two slots (load <= 1/2).
        let per_entry = words * 8 + 8 + std::mem::size_of::<S>() + 2 * 4;
        let entries_max = (budget_bytes / per_entry).min(u32::MAX as usize - 1);
        Memo {
            words,
            known,
            slots: vec![0; 1024],
            hashes: Vec::new(),
            states: Vec::new(),
            bits: Vec::new(),
            entries_max,
            per_entry,
            pool,
            taken: 0,
        }
    }

    /// Takes up to `want` entries' worth of bytes from the pool (at least
    /// one entry, or none at all): the number of entries granted.
    fn take(&mut self, want: usize) -> usize {
        let Some(pool) = &self.pool else {
            return want;
        };
        let mut left = pool.load(Ordering::Relaxed);
        loop {
            let grant = want.min(left / self.per_entry);
            if grant == 0 {
                return 0;
            }
            let bytes = grant * self.per_entry;
            match pool.compare_exchange_weak(
                left,
                left - bytes,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    self.taken += bytes;
                    return grant;
                }
                Err(now) => left = now,
            }
        }
    }

    /// Number of configurations stored.
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }

    /// Adds (`bits`, `state`) whose hash (of the known part and the state)
    /// is `hash`; `Ok(false)` if an entry already covers it.
    #[inline]
    pub(crate) fn insert(&mut self, hash: u64, bits: &[u64], state: &S) -> Result<bool, MemoFull>
    where
        S: Clone,
    {
        debug_assert_eq!(bits.len(), self.words);
        let mask = self.slots.len() - 1;
        let mut i = (hash >> 20) as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                break;
            }
            let e = (slot - 1) as usize;
            if self.hashes[e] == hash && self.states[e] == *state {
                let stored = &self.bits[e * self.words..(e + 1) * self.words];
                let (k, u) = stored.split_at(self.known);
                if *k == bits[..self.known]
                    && u.iter().zip(&bits[self.known..]).all(|(s, b)| s & !b == 0)
                {
                    return Ok(false);
                }
            }
            i = (i + 1) & mask;
        }
        let e = self.states.len();
        if e >= self.entries_max {
            return Err(MemoFull);
        }
        if e == self.states.capacity() && !self.reserve() {
            return Err(MemoFull);
        }
        self.hashes.push(hash);
        self.states.push(state.clone());
        self.bits.extend_from_slice(bits);
        self.slots[i] = e as u32 + 1;
        if 2 * (e + 1) > self.slots.len() {
            self.grow_slots();
        }
        Ok(true)
    }

    /// Grows the entry vectors geometrically, never past the budget; false
    /// if the shared pool has nothing left.
    fn reserve(&mut self) -> bool {
        let len = self.states.len();
        let target = (len * 2).max(256).min(self.entries_max);
        let extra = self.take(target.saturating_sub(len).max(1));
        if extra == 0 {
            return false;
        }
        self.hashes.reserve_exact(extra);
        self.states.reserve_exact(extra);
        self.bits.reserve_exact(extra * self.words);
        true
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

    #[test]
    fn remembers_pairs_exactly() {
        let mut memo: Memo<Option<i64>> = Memo::new(2, 0, 1 << 20, None);
        assert_eq!(memo.insert(7, &[1, 0], &Some(1)), Ok(true));
        assert_eq!(memo.insert(7, &[1, 0], &Some(1)), Ok(false));
        // Same hash, different bits or state: distinct entries.
        assert_eq!(memo.insert(7, &[1, 1], &Some(1)), Ok(true));
        assert_eq!(memo.insert(7, &[1, 0], &None), Ok(true));
        for n in 0..5000u64 {
            assert_eq!(memo.insert(zobrist(n as usize), &[n, 0], &None), Ok(true));
        }
        assert_eq!(memo.insert(zobrist(4999), &[4999, 0], &None), Ok(false));
        assert_eq!(memo.len(), 5003);
    }

    #[test]
    fn fewer_unknown_operations_cover_more() {
        let mut memo: Memo<Option<i64>> = Memo::new(1, 1, 1 << 20, None);
        assert_eq!(memo.insert(3, &[1, 0b01], &Some(1)), Ok(true));
        assert_eq!(memo.insert(3, &[1, 0b11], &Some(1)), Ok(false));
        assert_eq!(memo.insert(3, &[1, 0b10], &Some(1)), Ok(true));
        assert_eq!(memo.insert(3, &[1, 0b00], &Some(1)), Ok(true));
        assert_eq!(memo.insert(3, &[1, 0b01], &Some(2)), Ok(true));
    }

    #[test]
    fn stops_at_the_budget() {
        let mut memo: Memo<Option<i64>> = Memo::new(1, 0, 10_000, None);
        let full = (0..10_000u64).find_map(|n| memo.insert(zobrist(n as usize), &[n], &None).err());
        assert_eq!(full, Some(MemoFull));
        assert!(memo.len() * 40 <= 10_000, "{} entries", memo.len());
    }

    #[test]
    fn memos_share_one_pool_and_give_it_back() {
        let pool: Pool = Arc::new(AtomicUsize::new(100_000));
        let mut a: Memo<Option<i64>> = Memo::new(1, 0, 1 << 30, Some(pool.clone()));
        let full = (0..100_000u64).find_map(|n| a.insert(zobrist(n as usize), &[n], &None).err());
        assert_eq!(full, Some(MemoFull));
        let mut b: Memo<Option<i64>> = Memo::new(1, 0, 1 << 30, Some(pool.clone()));
        assert_eq!(b.insert(1, &[1], &None), Err(MemoFull), "a took the pool");
        drop(a);
        assert_eq!(pool.load(Ordering::Relaxed), 100_000);
        assert_eq!(b.insert(1, &[1], &None), Ok(true));
    }

    #[test]
    fn zobrist_values_differ() {
        let mut zs: Vec<u64> = (0..10_000).map(zobrist).collect();
        zs.sort_unstable();
        zs.dedup();
        assert_eq!(zs.len(), 10_000);
    }
}
