//! What each node's disk holds, as the harness sees it: the term of every
//! log entry the node has synced (the records it synced, applied in order;
//! after a restart, what its replay recovered).
//!
//! Raft's definition of commitment is checked against it: an entry is
//! committed once an entry of the committing leader's term at or after it
//! is stored on a majority of the servers (Raft paper, §5.3 and §5.4.2).
//! A node that counts an acknowledgement it should not have (a stale
//! match index, a reply to an older append) commits an entry that a
//! majority does not hold, which this sees at once, whether or not a
//! client ever reads the difference.

use super::log::Log;
use super::proto::{Index, Term};
use super::raft::Record;
use std::cell::RefCell;
use std::rc::Rc;

/// Every node's synced log terms, by node id. Cloning shares it.
///
/// One `u64` per entry per node, for the run's length (raft-kv never
/// compacts its logs).
#[derive(Clone, Debug, Default)]
pub struct Disks {
    terms: Rc<RefCell<Vec<Vec<Term>>>>,
}

impl Disks {
    /// Node `id` (re)started with `log` recovered from its disk.
    pub fn recovered(&self, id: usize, log: &Log) {
        let terms = (1..=log.last_index())
            .map(|i| log.term_at(i).unwrap_or(0))
            .collect();
        *self.node(id) = terms;
    }

    /// Node `id` synced `records`, in order (a term-and-vote record
    /// changes no entry).
    pub fn synced(&self, id: usize, records: &[Record]) {
        if records.is_empty() {
            return;
        }
        let mut disk = self.node(id);
        for record in records {
            match record {
                Record::HardState { .. } => {}
                Record::Append { index, entries } => {
                    disk.truncate((*index).max(1) as usize - 1);
                    disk.extend(entries.iter().map(|e| e.term));
                }
                Record::Truncate { from } => disk.truncate((*from).max(1) as usize - 1),
            }
        }
    }

    /// How many nodes hold an entry of `term` at `index` on disk.
    pub fn holders(&self, index: Index, term: Term) -> usize {
        let Some(at) = (index as usize).checked_sub(1) else {
            return 0;
        };
        let terms = self.terms.borrow();
        terms.iter().filter(|d| d.get(at) == Some(&term)).count()
    }

    fn node(&self, id: usize) -> std::cell::RefMut<'_, Vec<Term>> {
        let mut all = self.terms.borrow_mut();
        if all.len() <= id {
            all.resize_with(id + 1, Vec::new);
        }
        std::cell::RefMut::map(all, |all| &mut all[id])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Command, Entry};

    #[test]
    fn synced_records_and_recovery_set_what_a_disk_holds() {
        let disks = Disks::default();
        disks.recovered(0, &Log::of_terms(&[1, 1, 2]));
        disks.recovered(1, &Log::of_terms(&[1, 1]));
        let noop = |term| Entry {
            term,
            command: Command::Noop,
        };
        disks.synced(
            1,
            &[
                Record::HardState {
                    term: 3,
                    vote: None,
                },
                Record::Append {
                    index: 2,
                    entries: vec![noop(3), noop(3)],
                },
                Record::Truncate { from: 3 },
            ],
        );
        assert_eq!(disks.holders(1, 1), 2);
        assert_eq!(disks.holders(2, 1), 1);
        assert_eq!(disks.holders(2, 3), 1);
        assert_eq!(disks.holders(3, 2), 1);
        assert_eq!(disks.holders(3, 3), 0);
        assert_eq!(disks.holders(0, 0), 0);
        disks.recovered(0, &Log::default());
        assert_eq!(disks.holders(1, 1), 1);
    }
}
