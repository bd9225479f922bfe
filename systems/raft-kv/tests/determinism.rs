//! Determinism is sacred: the same seed gives the same history, byte for
//! byte, and different seeds give different histories; each seed under
//! its default swarm (drawn faults, event-triggered faults, fault points,
//! drawn cluster knobs).

use harness::runner::run;
use harness::Scenario;
use raft_kv::Cluster;
use std::collections::BTreeSet;

fn history_of(seed: u64) -> String {
    let scenario = Scenario {
        ops: 100,
        ..raft_kv::default_run(seed, [])
    };
    let outcome = run(&scenario, Cluster::for_scenario(&scenario));
    assert_eq!(outcome.error, None, "seed {seed} failed");
    outcome.history.to_jsonl()
}

/// Runs `seeds` on two threads (each simulation stays on its thread).
fn histories(seeds: &[u64]) -> Vec<(u64, String)> {
    let (left, right) = seeds.split_at(seeds.len() / 2);
    let run = |part: &[u64]| part.iter().map(|&s| (s, history_of(s))).collect::<Vec<_>>();
    std::thread::scope(|scope| {
        let a = scope.spawn(|| run(left));
        let b = scope.spawn(|| run(right));
        let mut all = a.join().expect("thread a");
        all.extend(b.join().expect("thread b"));
        all
    })
}

#[test]
fn two_hundred_seeds_replay_byte_for_byte() {
    let seeds: Vec<u64> = (0..200).collect();
    let first = histories(&seeds);
    let second = histories(&seeds);
    for ((seed, a), (_, b)) in first.iter().zip(&second) {
        if let Some(diff) = results::history::first_difference(a, b) {
            panic!("seed {seed} did not replay: {diff}");
        }
    }
    // The test covers every mechanism: faults fired by node events and by
    // other faults' starts, and the system's own fault points.
    let with = |needle: &str| first.iter().filter(|(_, h)| h.contains(needle)).count();
    let (events, triggered) = (with("\"f\":\"event\""), with("\"trigger\":{"));
    let buggified = with("\"f\":\"buggify\"");
    assert!(events >= 150, "node events in {events} of 200 seeds");
    assert!(
        triggered >= 40,
        "triggered faults in {triggered} of 200 seeds"
    );
    assert!(
        buggified >= 20,
        "fault points fired in {buggified} of 200 seeds"
    );
}

#[test]
fn seeds_a_a_b_b_c_c_give_exactly_three_histories() {
    let runs = histories(&[11, 11, 12, 12, 13, 13]);
    let distinct: BTreeSet<&String> = runs.iter().map(|(_, h)| h).collect();
    assert_eq!(distinct.len(), 3);
}

#[test]
fn a_drawn_run_and_its_written_out_schedule_give_the_same_history() {
    let mut scripted = 0;
    for seed in 0..40 {
        let drawn = Scenario {
            ops: 300,
            ..Scenario::with_seed(seed)
        };
        let first = run(&drawn, Cluster::default());
        let explicit = harness::faults::with_explicit_schedule(&drawn, &first.history);
        if !explicit.nemesis.script.is_empty() {
            scripted += 1;
            assert!(
                explicit.nemesis.kinds.is_empty(),
                "seed {seed}: nothing drawn"
            );
        }
        let again = run(&explicit, Cluster::default());
        if let Some(diff) =
            results::history::first_difference(&first.history.to_jsonl(), &again.history.to_jsonl())
        {
            panic!("seed {seed}: the written-out schedule ran differently: {diff}");
        }
    }
    assert!(
        scripted >= 20,
        "the test needs seeds that start faults: {scripted} of 40"
    );
}
