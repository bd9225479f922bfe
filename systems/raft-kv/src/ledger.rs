//! State machine safety, watched as the run goes: once any node has
//! committed an entry at an index, no node ever commits another entry
//! there (Raft paper, figure 3).
//!
//! Every node reports the entries it newly committed; the ledger keeps the
//! first entry committed at each index and names the first node whose
//! commit disagrees. Unlike a comparison after the final heal, it sees a
//! divergence that a later truncation or an overwrite hides again.

use super::log::Log;
use super::proto::{Entry, Index};
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
    committed: Rc<RefCell<BTreeMap<Index, Entry>>>,
}

impl Ledger {
    /// Node `node` committed `log`'s entries in `from..=to`; returns what
    /// is wrong if one of them differs from the entry committed at its
    /// index before.
    pub fn commit(&self, node: usize, log: &Log, from: Index, to: Index) -> Option<String> {
        let mut committed = self.committed.borrow_mut();
        for index in from.max(1)..=to {
            let entry = log.get(index)?;
            let first = committed.entry(index).or_insert_with(|| entry.clone());
            if first != entry {
                return Some(format!(
                    "state machine safety: node {node} committed {entry:?} at index {index}, \
                     where {first:?} was committed before"
                ));
            }
        }
        None
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
        assert_eq!(ledger.commit(0, &log(&[1, 1, 2]), 1, 3), None);
        assert_eq!(ledger.commit(1, &log(&[1, 1]), 1, 2), None);
        assert_eq!(ledger.commit(1, &log(&[1, 1, 2, 3]), 3, 4), None);
        let broken = ledger
            .commit(2, &log(&[1, 1, 3]), 1, 3)
            .expect("a violation");
        assert!(
            broken.contains("node 2") && broken.contains("index 3"),
            "{broken}"
        );
    }
}
