//! The cluster under turmoil, driven by the runner: fault-free service,
//! a leader crash with failover and recovery from disk, determinism.

use super::status::Role;
use super::Cluster;
use harness::runner::{run, run_with};
use harness::Scenario;
use results::{Event, EventType};
use std::time::Duration;

fn scenario(seed: u64, ops: usize) -> Scenario {
    Scenario {
        ops,
        ..Scenario::without_faults(seed)
    }
}

fn count(events: &[Event], kind: EventType) -> usize {
    events.iter().filter(|e| e.kind == kind).count()
}

#[test]
fn a_fault_free_cluster_answers_almost_every_op() {
    let s = Scenario {
        nodes: 3,
        clients: 5,
        ..scenario(1, 2_000)
    };
    let cluster = Cluster::default();
    let outcome = run(&s, cluster);
    assert_eq!(outcome.error, None);
    let events = outcome.history.events();
    assert_eq!(count(events, EventType::Invoke), 2_000);
    // A quarter of the ops are cas with random expected values, so many
    // fail, certainly and rightly: count them with the oks as determinate.
    let ok = count(events, EventType::Ok);
    let fail = count(events, EventType::Fail);
    assert!(ok + fail >= 1_900, "{ok} ok, {fail} fail, of 2000 ops");
    let reads_writes = events
        .iter()
        .filter(|e| e.kind != EventType::Invoke && e.f != "cas")
        .filter(|e| e.process != results::Process::Nemesis); // node events
    let (rw, rw_ok) = reads_writes.fold((0, 0), |(n, k), e| {
        (n + 1, k + (e.kind == EventType::Ok) as usize)
    });
    assert!(
        rw_ok * 100 >= rw * 95,
        "{rw_ok} of {rw} reads and writes ok"
    );
    let fails_are_cas = events
        .iter()
        .filter(|e| e.kind == EventType::Fail)
        .all(|e| e.f == "cas" && e.error.as_deref() == Some("cas-mismatch"));
    assert!(fails_are_cas, "only cas mismatches fail");
    assert!(
        outcome.sim_time < Duration::from_secs(60),
        "took {:?}",
        outcome.sim_time
    );
}

#[test]
fn the_cluster_survives_a_leader_crash_and_the_node_recovers_from_disk() {
    let s = scenario(2, 3_000);
    let cluster = Cluster::default();
    let board = cluster.status();
    let ms = Duration::from_millis;
    let mut crashed = None;
    let mut commit_at_crash = 0;
    let mut recovered_last_index = None;
    let mut caught_up = false;
    let outcome = run_with(&s, cluster, &mut |sim, nodes| {
        let now = sim.elapsed();
        if now == ms(1_000) {
            let leader = board.leader().expect("a leader after 1 s");
            commit_at_crash = board.get(leader).unwrap().commit;
            nodes.crash(sim, leader);
            crashed = Some(leader);
        }
        let Some(victim) = crashed else { return };
        if now == ms(2_000) {
            nodes.restart(sim, victim);
        }
        let me = board.get(victim).unwrap();
        if now > ms(2_000) && recovered_last_index.is_none() && me.role != Role::Down {
            recovered_last_index = Some(me.last_index);
        }
        if now > ms(2_000) && !caught_up {
            let leader = board.leader().and_then(|l| board.get(l)).unwrap();
            caught_up = me.commit >= leader.commit.min(commit_at_crash + 100);
        }
    });
    assert_eq!(outcome.error, None);
    let victim = crashed.expect("the driver crashed the leader");
    let events = outcome.history.events();
    let ok_between = |from: u64, to: u64| {
        events
            .iter()
            .filter(|e| {
                e.kind == EventType::Ok && e.time > from * 1_000_000 && e.time < to * 1_000_000
            })
            .count()
    };
    assert!(
        ok_between(1_500, 2_000) > 50,
        "a new leader serves while the old one is down"
    );
    assert!(
        ok_between(2_500, 10_000) > 50,
        "service continues after the restart"
    );
    let recovered = recovered_last_index.expect("the node came back");
    assert!(
        recovered >= commit_at_crash,
        "node {victim} recovered {recovered} entries from disk, had committed {commit_at_crash}"
    );
    assert!(caught_up, "the restarted node caught up with the leader");
}

#[test]
fn the_same_seed_gives_the_same_history() {
    let jsonl = |seed| {
        run(&scenario(seed, 300), Cluster::default())
            .history
            .to_jsonl()
    };
    let first = jsonl(3);
    assert_eq!(first, jsonl(3));
    assert_ne!(first, jsonl(4));
}

/// Crashes, restarts and partitions at random: no node may panic (the core
/// asserts its invariants), and once healed the cluster serves again.
#[test]
fn random_crashes_and_partitions_never_break_a_node() {
    use rand::{Rng, SeedableRng};
    for seed in 0..6 {
        let s = Scenario {
            deadline_ms: 300,
            ..scenario(100 + seed, 2_000)
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let outcome = run_with(&s, Cluster::default(), &mut |sim, nodes| {
            let now = sim.elapsed().as_millis() as u64;
            if !now.is_multiple_of(100) {
                return;
            }
            let victim = rng.random_range(0..nodes.len());
            let name = nodes.name(victim).to_string();
            match (now >= 2_000, rng.random_range(0..6)) {
                (false, 0) if nodes.is_running(sim, victim) => nodes.crash(sim, victim),
                (false, 1) => sim.partition(name.as_str(), "client"),
                (false, 2) => {
                    let other = nodes.name((victim + 1) % nodes.len()).to_string();
                    sim.partition(name.as_str(), other.as_str());
                }
                (true, _) | (false, 3) => {
                    for i in 0..nodes.len() {
                        if !nodes.is_running(sim, i) {
                            nodes.restart(sim, i);
                        }
                        for j in 0..nodes.len() {
                            sim.repair(nodes.name(i), nodes.name(j));
                        }
                        sim.repair(nodes.name(i), "client");
                    }
                }
                _ => {}
            }
        });
        assert_eq!(outcome.error, None, "seed {seed}");
        let late_oks = outcome
            .history
            .events()
            .iter()
            .filter(|e| e.kind == EventType::Ok && e.time > 3_000_000_000)
            .count();
        let end = outcome.sim_time.as_millis();
        assert!(
            end < 3_500 || late_oks > 20,
            "seed {seed}: {late_oks} ok after healing"
        );
    }
}
