//! The cluster's Raft invariants catch planted bugs under the default
//! exploration (`harness run --seed N --bug NAME`, no other flag: the
//! seed's swarm scenario and its drawn cluster knobs), by the invariant
//! each bug breaks, where the checker alone found none of them in 3 × 60
//! default seeds.
//!
//! The seeds are the first failing ones of `harness sweep --bug NAME
//! --seeds 0..60` (old-term-commit fails from seed 0 on).

use harness::runner::run;
use raft_kv::{Bug, Cluster};

/// The first invariant violation of `bug` on default seed `seed`.
fn violation(bug: Bug, seed: u64) -> String {
    let scenario = raft_kv::default_run(seed, [bug]);
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
        v.contains("commitment: node 1, leader of term 6, committed up to index 226 of term 5"),
        "{v}"
    );
}

#[test]
fn stale_lease_reads_break_read_freshness() {
    for (bug, seed) in [(Bug::LeaseReadPause, 5), (Bug::LeaseReadSkew, 21)] {
        let v = violation(bug, seed);
        assert!(
            v.starts_with("read freshness: node ") && v.contains(" answered a read from its state"),
            "{bug}: {v}"
        );
    }
}

#[test]
fn the_same_seeds_without_the_bugs_break_no_invariant() {
    for seed in [0, 5, 21] {
        let scenario = raft_kv::default_run(seed, []);
        let outcome = run(&scenario, Cluster::for_scenario(&scenario));
        assert_eq!(outcome.invariant, None, "seed {seed}");
    }
}
