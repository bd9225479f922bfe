//! The primary-backup system tested as a user tests theirs: through
//! `harness::testing`, with the default swarm faults of each seed.

use harness::testing::Check;
use primary_backup::{Config, PrimaryBackup, REPLY_AFTER_FIRST_ACK};

#[test]
fn linearizable_under_the_default_faults() {
    Check::<PrimaryBackup>::seeds(0..100).run();
}

#[test]
fn the_append_workload_is_linearizable_too() {
    Check::<PrimaryBackup>::seeds(0..50)
        .scenario(|s| s.workload.kind = "append".into())
        .run();
}

#[test]
fn runs_are_deterministic_under_faults() {
    Check::<PrimaryBackup>::seeds(0..20)
        .check_determinism()
        .run();
}

#[test]
fn the_planted_bug_is_found_by_the_default_faults() {
    let config = Config {
        bugs: vec![REPLY_AFTER_FIRST_ACK.into()],
    };
    let failures = Check::<PrimaryBackup>::seeds(0..100)
        .config(config)
        .out(std::env::temp_dir().join("pb-planted"))
        .failures();
    assert!(
        failures
            .iter()
            .any(|f| f.verdict.label() == "not-linearizable"),
        "reply-after-first-ack not found in 100 default seeds: {failures:?}"
    );
}

#[test]
fn topology_knobs_are_used() {
    Check::<PrimaryBackup>::seeds(0..10)
        .scenario(|s| {
            s.topology.port = 9000;
            s.topology.node_prefix = "db".into();
            s.topology.data_dir = "/var/pb".into();
            s.topology.client_hosts = 2;
        })
        .run();
    let scenario = Check::<PrimaryBackup>::seeds(0..1)
        .scenario(|s| s.topology.node_prefix = "db".into())
        .scenario_of(4);
    let system =
        <PrimaryBackup as harness::NamedSystem>::build(&scenario, &Config::default()).unwrap();
    let outcome = harness::runner::run(&scenario, system);
    let history = outcome.history.to_jsonl();
    assert!(!history.contains("\"n1\""), "node names follow the prefix");
}
