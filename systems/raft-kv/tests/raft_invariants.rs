//! The cluster's Raft invariants catch planted bugs under the default
//! exploration (`harness run --seed N --bug NAME`, no other flag), by the
//! invariant each bug breaks, where the checker alone found none of them
//! in 3 × 60 default seeds.
//!
//! The seeds are the first failing ones of `harness sweep --bug NAME
//! --seeds 0..60` (old-term-commit fails from seed 0 on).

use harness::runner::run;
use harness::Scenario;
use raft_kv::{Bug, Cluster};

/// The first invariant violation of `bug` on default seed `seed`.
fn violation(bug: Bug, seed: u64) -> String {
    let scenario = raft_kv::with_bugs(Scenario::with_seed(seed), [bug]);
    let outcome = run(&scenario, Cluster::for_scenario(&scenario));
    assert_eq!(outcome.error, None, "{bug} seed {seed}");
    outcome
        .invariant
        .unwrap_or_else(|| panic!("{bug} seed {seed}: no invariant violated"))
}

#[test]
fn a_leader_committing_an_earlier_terms_entry_breaks_commitment() {
    let v = violation(Bug::OldTermCommit, 0);
    assert!(
        v.contains("commitment: node 1, leader of term 2, committed up to index 7 of term 1"),
        "{v}"
    );
}

#[test]
fn stale_lease_reads_break_read_freshness() {
    for (bug, seed) in [(Bug::LeaseReadPause, 23), (Bug::LeaseReadSkew, 11)] {
        let v = violation(bug, seed);
        assert!(
            v.starts_with("read freshness: node 0 answered a read"),
            "{bug}: {v}"
        );
    }
}

#[test]
fn the_same_seeds_without_the_bugs_break_no_invariant() {
    for seed in [0, 11, 23] {
        let scenario = Scenario::with_seed(seed);
        let outcome = run(&scenario, Cluster::for_scenario(&scenario));
        assert_eq!(outcome.invariant, None, "seed {seed}");
    }
}
