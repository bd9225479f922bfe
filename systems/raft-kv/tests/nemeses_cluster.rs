//! Nemeses against the built-in Raft cluster: isolating the leader moves
//! leadership, and every nemesis at once keeps runs deterministic (and the
//! clean cluster linearizable).

use harness::runner::{run, run_with};
use harness::testing::{completed_ops as ops, scripted, CompletedOp};
use harness::Scenario;
use nemeses::{Fault, Kind, NemesisConfig, Partition, PartitionFault};
use raft_kv::Cluster;
use results::EventType;

/// Milliseconds as history nanoseconds.
const MS: u64 = 1_000_000;

/// Ops completed with `kind` strictly between `from_ms` and `to_ms`.
fn completed(ops: &[CompletedOp], kind: EventType, from_ms: u64, to_ms: u64) -> usize {
    ops.iter()
        .filter(|o| o.kind == kind && o.done_ns > from_ms * MS && o.done_ns < to_ms * MS)
        .count()
}

#[test]
fn isolating_the_leader_elects_another_and_the_cluster_keeps_serving() {
    let cluster = Cluster::default();
    let status = cluster.status();
    let isolate = Fault::Partition(PartitionFault {
        shape: Partition::IsolateLeader { fallback: 0 },
        ms: 3_000,
    });
    let s = scripted(3, 3_000, 500, &[(1_000, isolate)]);
    let mut leaders = Vec::new();
    let outcome = run_with(&s, cluster, &mut |sim, _| {
        if sim.elapsed().as_millis() % 250 == 0 {
            leaders.push((sim.elapsed().as_millis() as u64, status.leader()));
        }
    });
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.liveness, None);
    let start = outcome
        .history
        .events()
        .iter()
        .find(|e| e.f == "partition-start")
        .unwrap();
    let old = start.value["leader"]
        .as_str()
        .expect("a leader at 1 s")
        .to_string();
    let old = old.trim_start_matches('n').parse::<usize>().unwrap() - 1;
    let new = leaders
        .iter()
        .filter(|(t, _)| (2_500..4_000).contains(t))
        .filter_map(|(_, l)| *l)
        .find(|&l| l != old);
    assert!(
        new.is_some(),
        "another leader while n{} is cut off: {leaders:?}",
        old + 1
    );
    let ops = ops(&outcome.history);
    assert!(
        completed(&ops, EventType::Ok, 2_500, 4_000) > 20,
        "still serving"
    );
    let info_after = ops
        .iter()
        .filter(|o| o.kind == EventType::Info && o.invoked_ns > 4_500 * MS);
    assert!(info_after.count() < 10);
}

#[test]
fn a_leader_pause_stops_the_node_that_leads_and_another_takes_over() {
    let cluster = Cluster::default();
    let status = cluster.status();
    let pause = Fault::Pause {
        node: 0,
        ms: 2_000,
        leader: true,
    };
    let s = scripted(4, 3_000, 500, &[(1_000, pause)]);
    let mut at_start = None;
    let mut later = None;
    let outcome = run_with(&s, cluster, &mut |sim, _| match sim.elapsed().as_millis() {
        999 => at_start = status.leader(),
        2_500 => later = status.leader(),
        _ => {}
    });
    assert_eq!(outcome.error, None);
    let start = outcome
        .history
        .events()
        .iter()
        .find(|e| e.f == "pause-start")
        .unwrap();
    let leader = at_start.expect("a leader before the pause");
    let name = format!("n{}", leader + 1);
    assert_eq!(start.value["node"], name.as_str(), "{:?}", start.value);
    assert_eq!(start.value["target"], "leader");
    let end = outcome
        .history
        .events()
        .iter()
        .find(|e| e.f == "pause-end")
        .unwrap();
    assert_eq!(end.value["node"], name.as_str(), "the paused node resumes");
    let new = later.expect("a leader during the pause");
    assert_ne!(
        new,
        leader,
        "another node leads while n{} is paused",
        leader + 1
    );
}

fn all_nemeses(seed: u64) -> Scenario {
    let mut nemesis = NemesisConfig::with_kinds(&Kind::ALL);
    nemesis.interval_ms = 100;
    Scenario {
        ops: 300,
        nemesis,
        ..Scenario::without_faults(seed)
    }
}

#[test]
fn every_nemesis_at_once_is_deterministic_and_stays_linearizable() {
    for seed in 0..20 {
        let a = run(&all_nemeses(seed), Cluster::default());
        let b = run(&all_nemeses(seed), Cluster::default());
        assert_eq!(a.error, None, "seed {seed}");
        assert_eq!(a.liveness, None, "seed {seed}");
        let (a_text, b_text) = (a.history.to_jsonl(), b.history.to_jsonl());
        if let Some(diff) = results::history::first_difference(&a_text, &b_text) {
            panic!("seed {seed} is not deterministic: {diff}");
        }
        let starts = a
            .history
            .events()
            .iter()
            .filter(|e| e.f.ends_with("-start"))
            .count();
        let ends = a
            .history
            .events()
            .iter()
            .filter(|e| e.f.ends_with("-end"))
            .count();
        assert!(
            starts > 0 && starts == ends,
            "seed {seed}: {starts} starts, {ends} ends"
        );
        let report = results::check::check_history(&a.history, &Default::default()).unwrap();
        assert_eq!(
            report.verdict.exit_code(),
            0,
            "seed {seed}: {}",
            report.summary()
        );
    }
}

#[test]
fn three_seeds_twice_give_exactly_three_histories() {
    let histories: std::collections::BTreeSet<String> = [7, 7, 8, 8, 9, 9]
        .into_iter()
        .map(|seed| {
            run(&all_nemeses(seed), Cluster::default())
                .history
                .to_jsonl()
        })
        .collect();
    assert_eq!(histories.len(), 3);
}
