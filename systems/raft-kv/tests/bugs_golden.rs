//! Golden tests of the planted bugs: a fixed seed with the bug's natural
//! nemesis mix gives a violation whose minimal counterexample is a handful
//! of operations, and the same seed without the bug is linearizable.
//!
//! Each runs the bug's natural mix (`harness::cluster::natural`); the seeds
//! are the first that show the bug, as found by `cargo run --release -p
//! harness --example detection_matrix -- --bug NAME --trials 1
//! --natural-only` (seeds to the first violation, minus one), or, where
//! that one's counterexample is long, the first with a short one
//! (`--print-scenario SEED` and `harness run --scenario`).

use harness::runner::run;
use harness::Scenario;
use raft_kv::{natural, Bug, Cluster};
use results::check::{check_history, CheckOptions};
use results::{Process, Verdict};

/// The minimal counterexample (a subset of the key's ops that is not
/// linearizable by itself, `results::minimal`): at most this many ops, the
/// bound the shrink issue sets. The checker's first account of a violation
/// may list more ops that could not come next (unknown-outcome ops that
/// were possible there among them); the minimal one is what a user reads.
const MINIMAL_OPS_MAX: usize = 10;

/// Client operations per run, as in the detection matrix.
const OPS: usize = 3_000;

/// Runs `bug` on `seed` under its natural mix, expects a small
/// counterexample, then runs the seed clean and expects linearizable.
/// Returns the buggy run's history and the event index that closes the
/// counterexample.
fn planted(bug: Bug, seed: u64) -> (results::History, u64) {
    let clean = raft_kv::with_bugs(natural::scenario(bug, seed, OPS), []);
    planted_in(bug, clean)
}

/// As [`planted`], for a scenario built by hand (`clean` has no bugs).
fn planted_in(bug: Bug, clean: Scenario) -> (results::History, u64) {
    let seed = clean.seed;
    let buggy = raft_kv::with_bugs(clean.clone(), [bug]);
    let outcome = run(&buggy, Cluster::for_scenario(&buggy));
    assert_eq!(outcome.error, None, "{bug} seed {seed}");
    let report = check_history(&outcome.history, &CheckOptions::default()).unwrap();
    let Verdict::Invalid(counterexample) = &report.verdict else {
        panic!(
            "{bug} seed {seed}: expected a violation, got {:?}",
            report.verdict
        );
    };
    let closed_by = counterexample.closed_by;
    let minimal = harness::rundir::minimal_of(&outcome, &report).unwrap_or_else(|| {
        panic!("{bug} seed {seed}: no minimal counterexample\n{counterexample}")
    });
    assert!(
        (1..=MINIMAL_OPS_MAX).contains(&minimal.len()),
        "{bug} seed {seed}: a minimal counterexample of {} ops\n{counterexample}",
        minimal.len()
    );

    let clean_outcome = run(&clean, Cluster::for_scenario(&clean));
    assert_eq!(clean_outcome.error, None, "clean seed {seed}");
    let clean_report = check_history(&clean_outcome.history, &CheckOptions::default()).unwrap();
    assert_eq!(
        clean_report.verdict,
        Verdict::Valid,
        "seed {seed} without {bug}"
    );
    (outcome.history, closed_by)
}

/// True if a nemesis event `f` comes before event `index` of `history`.
fn nemesis_before(history: &results::History, index: u64, f: &str) -> bool {
    history
        .events()
        .iter()
        .take_while(|e| e.index < index)
        .any(|e| e.process == Process::Nemesis && e.f == f)
}

#[test]
fn stale_follower_read_under_partitions() {
    planted(Bug::StaleFollowerRead, 0);
}

#[test]
fn lease_read_skew_when_the_cut_off_leaders_clock_jumps_back() {
    planted(Bug::LeaseReadSkew, 1);
}

#[test]
fn lease_read_pause_when_the_cut_off_leader_wakes_up() {
    let (history, closed_by) = planted(Bug::LeaseReadPause, 2);
    assert!(
        nemesis_before(&history, closed_by, "pause-end"),
        "the stale read follows a pause"
    );
}

#[test]
fn ack_before_commit_under_partitions_and_crashes() {
    planted(Bug::AckBeforeCommit, 0);
}

#[test]
fn old_term_commit_loses_a_write_a_client_read() {
    planted(Bug::OldTermCommit, 26);
}

#[test]
fn retry_duplicate_under_delays_and_pauses() {
    planted(Bug::RetryDuplicate, 7);
}

#[test]
fn ack_before_fsync_loses_acknowledged_writes_in_a_crash() {
    let (history, closed_by) = planted(Bug::AckBeforeFsync, 33);
    assert!(
        nemesis_before(&history, closed_by, "crash-start"),
        "the violation follows a crash"
    );
}
