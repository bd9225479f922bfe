//! Golden tests of the planted bugs: a fixed seed with the bug's natural
//! nemesis mix gives a violation whose counterexample is a handful of
//! operations, and the same seed without the bug is linearizable.
//!
//! The seeds were found by search (`harness run --seed N --ops OPS
//! --nemesis MIX --nemesis-interval-ms MS --bug NAME`, the same scenario).

use harness::cluster::{Bug, Cluster};
use harness::runner::run;
use harness::Scenario;
use nemeses::{Kind, NemesisConfig};
use results::check::{check_history, CheckOptions};
use results::{Process, Verdict};
use std::collections::BTreeSet;

/// The counterexample's operations that could not be ordered: at most this
/// many.
const STUCK_OPS_MAX: usize = 5;

fn scenario(seed: u64, ops: usize, kinds: &[Kind], interval_ms: u64, bug: Option<Bug>) -> Scenario {
    Scenario {
        ops,
        nemesis: NemesisConfig {
            interval_ms,
            ..NemesisConfig::with_kinds(kinds)
        },
        bugs: bug.into_iter().collect::<BTreeSet<_>>(),
        ..Scenario::with_seed(seed)
    }
}

/// Runs `bug` on the seed, expects a small counterexample, then runs the
/// seed clean and expects linearizable. Returns the buggy run's history
/// and the event index that closes the counterexample.
fn planted(
    bug: Bug,
    seed: u64,
    ops: usize,
    kinds: &[Kind],
    interval_ms: u64,
) -> (results::History, u64) {
    planted_in(bug, scenario(seed, ops, kinds, interval_ms, None))
}

/// As [`planted`], for a scenario built by hand (`clean` has no bugs).
fn planted_in(bug: Bug, clean: Scenario) -> (results::History, u64) {
    let seed = clean.seed;
    let buggy = Scenario {
        bugs: BTreeSet::from([bug]),
        ..clean.clone()
    };
    let outcome = run(&buggy, Cluster::for_scenario(&buggy));
    assert_eq!(outcome.error, None, "{bug} seed {seed}");
    let report = check_history(&outcome.history, &CheckOptions::default()).unwrap();
    let Verdict::Invalid(counterexample) = report.verdict else {
        panic!(
            "{bug} seed {seed}: expected a violation, got {:?}",
            report.verdict
        );
    };
    let stuck = counterexample.stuck.len();
    assert!(
        (1..=STUCK_OPS_MAX).contains(&stuck),
        "{bug} seed {seed}: {stuck} stuck ops\n{counterexample}"
    );

    let clean_outcome = run(&clean, Cluster::for_scenario(&clean));
    assert_eq!(clean_outcome.error, None, "clean seed {seed}");
    let clean_report = check_history(&clean_outcome.history, &CheckOptions::default()).unwrap();
    assert_eq!(
        clean_report.verdict,
        Verdict::Valid,
        "seed {seed} without {bug}"
    );
    (outcome.history, counterexample.closed_by)
}

#[test]
fn stale_follower_read_under_partitions() {
    planted(Bug::StaleFollowerRead, 1, 500, &[Kind::Partition], 300);
}

#[test]
fn ack_before_commit_under_partitions_and_crashes() {
    planted(
        Bug::AckBeforeCommit,
        0,
        500,
        &[Kind::Partition, Kind::Crash],
        300,
    );
}

#[test]
fn retry_duplicate_under_delays_and_pauses() {
    planted(
        Bug::RetryDuplicate,
        20,
        1_000,
        &[Kind::Delay, Kind::Pause],
        200,
    );
}

#[test]
fn ack_before_fsync_loses_acknowledged_writes_in_a_crash() {
    let (history, closed_by) = planted(Bug::AckBeforeFsync, 15, 3_000, &[Kind::Crash], 200);
    let crashed_before = history
        .events()
        .iter()
        .take_while(|e| e.index < closed_by)
        .any(|e| e.process == Process::Nemesis && e.f == "crash-start");
    assert!(crashed_before, "the violation follows a crash");
}

#[test]
fn lease_read_skew_when_the_cut_off_leaders_clock_jumps_back() {
    // As the detection matrix's natural mix: the leader is cut off while
    // its wall clock jumps, and clients give up after 300 ms and move on.
    let mut clean = scenario(25, 3_000, &[Kind::Clock, Kind::Partition], 300, None);
    let nemesis = &mut clean.nemesis;
    nemesis.partition.shapes = vec!["isolate-leader".into()];
    (nemesis.partition.ms_min, nemesis.partition.ms_max) = (300, 1_500);
    nemesis.clock.bump_ms_max = 2_000;
    nemesis.clock.drift_ppm_max = 1_000;
    (nemesis.clock.ms_min, nemesis.clock.ms_max) = (500, 2_000);
    clean.deadline_ms = 300;
    planted_in(Bug::LeaseReadSkew, clean);
}
