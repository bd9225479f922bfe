//! State machine safety, watched as the run goes: once any node has
//! committed an entry at an index, no node ever commits another entry
//! there (Raft paper, figure 3).
//!
//! Every node reports the entries it newly committed; the ledger keeps the
//! first entry committed at each index and names the first node whose
//! commit disagrees. Unlike a comparison after the final heal, it sees a
//! divergence that a later truncation or an overwrite hides again.

use super::log::Log;
use super::proto::{Entry, Index, Term};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The committed entries of the whole cluster, by index. Cloning shares it.
///
/// It holds one copy of each committed entry for the run's length: one
/// more log beside the nodes' own (raft-kv never compacts its logs), which
/// the scenario bounds (at most 10M ops) keep finite.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Each index's first committed entry, and the term of the node that
    /// first committed it (at or after the term it was committed in).
    committed: Rc<RefCell<BTreeMap<Index, (Entry, Term)>>>,
}

impl Ledger {
    /// Node `node`, in term `term`, committed `log`'s entries in
    /// `from..=to`; returns what is wrong if one of them differs from the
    /// entry committed at its index before.
    pub fn commit(
        &self,
        node: usize,
        term: Term,
        log: &Log,
        from: Index,
        to: Index,
    ) -> Option<String> {
        let mut committed = self.committed.borrow_mut();
        for index in from.max(1)..=to {
            let entry = log.get(index)?;
            let (first, _) = committed
                .entry(index)
                .or_insert_with(|| (entry.clone(), term));
            if first != entry {
                return Some(format!(
                    "state machine safety: node {node} committed {entry:?} at index {index}, \
                     where {first:?} was committed before"
                ));
            }
        }
        None
    }

    /// The highest index any node has committed (0 before any commit).
    pub fn highest(&self) -> Index {
        self.committed
            .borrow()
            .last_key_value()
            .map_or(0, |(&index, _)| index)
    }

    /// Leader Completeness (figure 3): the first entry committed in a term
    /// before `term` that `log` lacks (a leader of `term` must hold them
    /// all). Entries first committed in `term` or later are not asked
    /// for: a leader elected late in an older term may lack those.
    pub fn missing_from(&self, log: &Log, term: Term) -> Option<(Index, Entry)> {
        self.committed
            .borrow()
            .iter()
            .find(|(&index, (entry, by))| *by < term && log.get(index) != Some(entry))
            .map(|(&index, (entry, _))| (index, entry.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(terms: &[u64]) -> Log {
        Log::of_terms(terms)
    }

    #[test]
    fn a_different_entry_at_a_committed_index_is_named() {
        let ledger = Ledger::default();
        assert_eq!(ledger.commit(0, 2, &log(&[1, 1, 2]), 1, 3), None);
        assert_eq!(ledger.commit(1, 2, &log(&[1, 1]), 1, 2), None);
        assert_eq!(ledger.commit(1, 3, &log(&[1, 1, 2, 3]), 3, 4), None);
        assert_eq!(ledger.highest(), 4);
        let broken = ledger
            .commit(2, 3, &log(&[1, 1, 3]), 1, 3)
            .expect("a violation");
        assert!(
            broken.contains("node 2") && broken.contains("index 3"),
            "{broken}"
        );
    }

    #[test]
    fn a_leader_must_hold_what_earlier_terms_committed() {
        let ledger = Ledger::default();
        assert_eq!(ledger.highest(), 0);
        ledger.commit(0, 2, &log(&[1, 2]), 1, 2);
        ledger.commit(0, 4, &log(&[1, 2, 4]), 3, 3);
        // Index 3 was first committed in term 4: a leader of term 3 or 4
        // need not hold it, one of term 5 must.
        assert_eq!(ledger.missing_from(&log(&[1, 2]), 3), None);
        assert_eq!(ledger.missing_from(&log(&[1, 2, 3]), 4), None);
        assert_eq!(ledger.missing_from(&log(&[1, 2, 4, 5]), 5), None);
        let (index, entry) = ledger.missing_from(&log(&[1, 2, 3]), 5).expect("missing");
        assert_eq!((index, entry.term), (3, 4));
        let (index, _) = ledger.missing_from(&log(&[1]), 3).expect("missing");
        assert_eq!(index, 2);
    }
}
