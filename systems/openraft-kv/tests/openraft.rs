//! openraft tested as a user tests their system: through
//! `harness::testing`, each seed under its default swarm fault mix.

use harness::testing::Check;
use openraft_kv::{Config, OpenraftKv, FLUSH_BEFORE_SYNC, STALE_READ};

fn with_bug(bug: &str) -> Config {
    Config {
        bugs: vec![bug.into()],
    }
}

/// Same seed, same history byte for byte: openraft's election timeouts
/// come from the node's seeded stream and its tasks from the node's gate.
/// Short runs (100 ops) keep this cheap; each seed is also checked.
#[test]
fn two_hundred_seeds_replay_byte_for_byte() {
    Check::<OpenraftKv>::seeds(0..200)
        .ops(100)
        .check_determinism()
        .run();
}

/// Seeds 200..240 under the default exploration. Seed 200 found the
/// adapter's restart-as-leader stale read (the committed log id was kept in
/// memory only; see `log_store`), so this range keeps that case covered.
#[test]
fn three_nodes_are_linearizable_under_the_default_faults() {
    Check::<OpenraftKv>::seeds(200..240).run();
}

#[test]
fn five_nodes_are_linearizable_under_the_default_faults() {
    Check::<OpenraftKv>::seeds(0..20)
        .ops(500)
        .scenario(|s| s.nodes = 5)
        .run();
}

/// Each planted bug on a seed where the default sweep found it (and the
/// same seed passes without the bug, so the bug is what fails it).
#[test]
fn each_planted_bug_is_found_on_a_default_seed() {
    for (bug, seed) in [(STALE_READ, 12), (FLUSH_BEFORE_SYNC, 10)] {
        let failures = Check::<OpenraftKv>::seeds([seed])
            .config(with_bug(bug))
            .out(std::env::temp_dir().join("openraft-planted"))
            .failures();
        assert!(
            failures
                .iter()
                .any(|f| f.verdict.label() == "not-linearizable"),
            "{bug} not found on seed {seed}: {failures:?}"
        );
        Check::<OpenraftKv>::seeds([seed]).run();
    }
}
