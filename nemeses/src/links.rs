//! The state every link should be in, given the faults open on it.
//!
//! Faults overlap: a partition may start while a burst holds the same link,
//! or a timeout may end while a partition still cuts it. turmoil's verbs do
//! not stack (`release` heals a partitioned link; `repair` leaves held
//! messages held), so the executor never calls them per fault. Each fault
//! adds and removes *claims* here, and the executor moves turmoil's link
//! from the old [`LinkState`] to the new one.

use crate::delay::Link;
use crate::fault::Host;
use std::collections::BTreeMap;

/// What a link should be doing. A cut beats a hold (turmoil cannot hold a
/// link that is cut one way); latency is separate (see [`LinkTable::latency`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Messages flow.
    Healthy,
    /// Messages wait, both ways, to be delivered in order on release.
    Held,
    /// Messages are dropped: `forward` from the smaller host to the larger
    /// (in [`Host`] order), `backward` the other way.
    Cut {
        /// Smaller → larger is cut.
        forward: bool,
        /// Larger → smaller is cut.
        backward: bool,
    },
}

#[derive(Clone, Debug, Default)]
struct Claims {
    /// Fault ids cutting smaller → larger.
    forward: Vec<u64>,
    /// Fault ids cutting larger → smaller.
    backward: Vec<u64>,
    /// Fault ids holding the link.
    held: Vec<u64>,
    /// Fault id → (min, max) latency.
    slow: BTreeMap<u64, (u64, u64)>,
}

/// Every link's open claims, by fault id.
#[derive(Clone, Debug, Default)]
pub struct LinkTable {
    links: BTreeMap<Link, Claims>,
}

/// The link `a`–`b` with its ends in [`Host`] order.
pub fn link(a: Host, b: Host) -> Link {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl LinkTable {
    /// An empty table: every link healthy at default latency.
    pub fn new() -> Self {
        Self::default()
    }

    fn claims(&mut self, a: Host, b: Host) -> &mut Claims {
        self.links.entry(link(a, b)).or_default()
    }

    /// Fault `id` drops messages from `from` to `to`.
    pub fn cut(&mut self, id: u64, from: Host, to: Host) {
        let claims = self.claims(from, to);
        if from < to {
            claims.forward.push(id);
        } else {
            claims.backward.push(id);
        }
    }

    /// Fault `id` holds the link `a`–`b`.
    pub fn hold(&mut self, id: u64, a: Host, b: Host) {
        self.claims(a, b).held.push(id);
    }

    /// Fault `id` slows the link `a`–`b` to `min_ms..=max_ms`.
    pub fn slow(&mut self, id: u64, a: Host, b: Host, min_ms: u64, max_ms: u64) {
        self.claims(a, b).slow.insert(id, (min_ms, max_ms));
    }

    /// Drops every claim of fault `id`; returns the links it touched.
    pub fn remove(&mut self, id: u64) -> Vec<Link> {
        let mut touched = Vec::new();
        for (&l, claims) in &mut self.links {
            let before = (
                claims.forward.len(),
                claims.backward.len(),
                claims.held.len(),
            );
            claims.forward.retain(|&c| c != id);
            claims.backward.retain(|&c| c != id);
            claims.held.retain(|&c| c != id);
            let slowed = claims.slow.remove(&id).is_some();
            if slowed
                || before
                    != (
                        claims.forward.len(),
                        claims.backward.len(),
                        claims.held.len(),
                    )
            {
                touched.push(l);
            }
        }
        touched
    }

    /// The state the link `a`–`b` should be in.
    pub fn state(&self, a: Host, b: Host) -> LinkState {
        let Some(claims) = self.links.get(&link(a, b)) else {
            return LinkState::Healthy;
        };
        let (forward, backward) = (!claims.forward.is_empty(), !claims.backward.is_empty());
        if forward || backward {
            LinkState::Cut { forward, backward }
        } else if !claims.held.is_empty() {
            LinkState::Held
        } else {
            LinkState::Healthy
        }
    }

    /// The latency the link `a`–`b` should have: the slowest open claim,
    /// or `None` for the default.
    pub fn latency(&self, a: Host, b: Host) -> Option<(u64, u64)> {
        let claims = self.links.get(&link(a, b))?;
        claims
            .slow
            .values()
            .copied()
            .max_by_key(|&(min, max)| (max, min))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Host = Host::Node(0);
    const B: Host = Host::Node(1);
    const C: Host = Host::Clients;

    #[test]
    fn overlapping_claims_resolve_by_precedence_and_unwind() {
        let mut table = LinkTable::new();
        assert_eq!(table.state(A, B), LinkState::Healthy);
        table.hold(1, A, B);
        assert_eq!(table.state(B, A), LinkState::Held);
        table.cut(2, B, A);
        let one_way = LinkState::Cut {
            forward: false,
            backward: true,
        };
        assert_eq!(table.state(A, B), one_way, "a cut beats a hold");
        assert_eq!(table.remove(1), vec![(A, B)]);
        assert_eq!(table.state(A, B), one_way);
        table.hold(3, A, B);
        assert_eq!(table.remove(2), vec![(A, B)]);
        assert_eq!(
            table.state(A, B),
            LinkState::Held,
            "the later hold is still open"
        );
        table.remove(3);
        assert_eq!(table.state(A, B), LinkState::Healthy);
    }

    #[test]
    fn the_slowest_open_claim_sets_the_latency() {
        let mut table = LinkTable::new();
        table.slow(1, A, C, 50, 80);
        table.slow(2, C, A, 10, 200);
        assert_eq!(table.latency(A, C), Some((10, 200)));
        table.remove(2);
        assert_eq!(table.latency(C, A), Some((50, 80)));
        table.remove(1);
        assert_eq!(table.latency(A, C), None);
        assert_eq!(table.remove(9), Vec::<Link>::new());
    }
}
