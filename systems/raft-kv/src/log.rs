//! The in-memory Raft log: entries by 1-based index.
//!
//! Terms never decrease along a log, so "the last entry of term t" is a
//! binary search, which keeps conflict back-off O(log n).

use super::proto::{Entry, Index, Term};

/// A node's log (its durable copy lives in [`super::storage`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    entries: Vec<Entry>,
}

impl Log {
    /// A log holding `entries` at indexes 1, 2, …
    pub fn from_entries(entries: Vec<Entry>) -> Self {
        Log { entries }
    }

    /// A log of no-op entries with these terms (tests).
    #[cfg(test)]
    pub(crate) fn of_terms(terms: &[Term]) -> Self {
        let noop = |&term| Entry {
            term,
            command: super::proto::Command::Noop,
        };
        Log::from_entries(terms.iter().map(noop).collect())
    }

    /// The index of the last entry (0 when empty).
    pub fn last_index(&self) -> Index {
        self.entries.len() as Index
    }

    /// The term of the last entry (0 when empty).
    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(0, |e| e.term)
    }

    /// The term of the entry at `index`: 0 for index 0, `None` past the end.
    pub fn term_at(&self, index: Index) -> Option<Term> {
        if index == 0 {
            return Some(0);
        }
        self.entries.get(index as usize - 1).map(|e| e.term)
    }

    /// The entry at `index`, if present.
    pub fn get(&self, index: Index) -> Option<&Entry> {
        index
            .checked_sub(1)
            .and_then(|i| self.entries.get(i as usize))
    }

    /// Up to `max` entries starting at `from`.
    pub fn slice(&self, from: Index, max: usize) -> &[Entry] {
        let start = (from.max(1) - 1) as usize;
        if start >= self.entries.len() {
            return &[];
        }
        let end = (start + max).min(self.entries.len());
        &self.entries[start..end]
    }

    /// Appends one entry and returns its index.
    pub fn push(&mut self, entry: Entry) -> Index {
        self.entries.push(entry);
        self.last_index()
    }

    /// Removes the entries at `from` and after.
    pub fn truncate_from(&mut self, from: Index) {
        self.entries.truncate((from.max(1) - 1) as usize);
    }

    /// The index of the last entry of term `term`, if the log has one.
    pub fn last_index_of_term(&self, term: Term) -> Option<Index> {
        let after = self.entries.partition_point(|e| e.term <= term);
        (after > 0 && self.entries[after - 1].term == term).then_some(after as Index)
    }

    /// The index of the first entry of term `term`, if the log has one.
    pub fn first_index_of_term(&self, term: Term) -> Option<Index> {
        let at = self.entries.partition_point(|e| e.term < term);
        (at < self.entries.len() && self.entries[at].term == term).then_some(at as Index + 1)
    }

    /// True if a log ending at (`last_term`, `last_index`) is at least as
    /// up to date as this one (Raft §5.4.1).
    pub fn is_behind_or_equal(&self, last_term: Term, last_index: Index) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Command;

    fn log(terms: &[Term]) -> Log {
        Log::of_terms(terms)
    }

    #[test]
    fn term_lookups() {
        let l = log(&[1, 1, 2, 2, 2, 5]);
        assert_eq!((l.last_index(), l.last_term()), (6, 5));
        assert_eq!(l.term_at(0), Some(0));
        assert_eq!(l.term_at(3), Some(2));
        assert_eq!(l.term_at(7), None);
        assert_eq!(l.last_index_of_term(2), Some(5));
        assert_eq!(l.first_index_of_term(2), Some(3));
        assert_eq!(l.last_index_of_term(3), None);
        assert_eq!(l.first_index_of_term(4), None);
        assert_eq!(l.slice(5, 10).len(), 2);
        assert_eq!(l.slice(7, 10).len(), 0);
        assert!(l.is_behind_or_equal(5, 6));
        assert!(!l.is_behind_or_equal(5, 5));
        assert!(l.is_behind_or_equal(6, 1));
    }

    #[test]
    fn truncate_and_push() {
        let mut l = log(&[1, 1, 2]);
        l.truncate_from(2);
        assert_eq!(l.last_index(), 1);
        assert_eq!(
            l.push(Entry {
                term: 3,
                command: Command::Noop
            }),
            2
        );
        assert_eq!(l.term_at(2), Some(3));
    }
}
