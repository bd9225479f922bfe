//! The runner against the smallest system: histories are complete, seeded,
//! and reproducible; crashes and panics are reported, never passed.

use harness::runner::{run, run_with};
mod single_node;
use harness::Scenario;
use results::EventType;
use single_node::SingleNode;
use std::time::Duration;

fn scenario(seed: u64, ops: usize) -> Scenario {
    Scenario {
        ops,
        ..Scenario::without_faults(seed)
    }
}

#[test]
fn every_op_is_invoked_and_completed() {
    let outcome = run(&scenario(1, 300), SingleNode);
    assert_eq!(outcome.error, None);
    let events = outcome.history.events();
    let invokes = events
        .iter()
        .filter(|e| e.kind == EventType::Invoke)
        .count();
    let oks = events.iter().filter(|e| e.kind == EventType::Ok).count();
    assert_eq!(invokes, 300);
    assert_eq!(events.len(), 600);
    assert!(
        oks >= 200,
        "a fault-free single node answers most ops: {oks} ok"
    );
    assert!(outcome.sim_time > Duration::ZERO);
}

#[test]
fn same_seed_same_history_different_seed_different_history() {
    let jsonl = |seed| run(&scenario(seed, 100), SingleNode).history.to_jsonl();
    assert_eq!(jsonl(5), jsonl(5));
    assert_ne!(jsonl(5), jsonl(6));
}

#[test]
fn a_crashed_server_turns_ops_indeterminate_and_a_restart_serves_again() {
    let s = Scenario {
        deadline_ms: 100,
        ..scenario(3, 400)
    };
    let outcome = run_with(&s, SingleNode, &mut |sim, nodes| {
        let now = sim.elapsed();
        if now == Duration::from_millis(200) {
            nodes.crash(sim, 0);
        }
        if now == Duration::from_millis(500) {
            nodes.restart(sim, 0);
        }
    });
    assert_eq!(outcome.error, None);
    let events = outcome.history.events();
    let during = |kind| {
        events
            .iter()
            .filter(|e| e.kind == kind && e.time > 210_000_000 && e.time < 500_000_000)
            .count()
    };
    assert_eq!(
        during(EventType::Ok),
        0,
        "no ok while the only server is down"
    );
    assert!(
        during(EventType::Info) > 0,
        "clients time out while it is down"
    );
    assert!(events
        .iter()
        .any(|e| e.kind == EventType::Ok && e.time > 600_000_000));
}

#[test]
fn a_panic_in_the_driver_is_an_error_not_a_pass() {
    let outcome = run_with(&scenario(1, 50), SingleNode, &mut |sim, _| {
        if sim.elapsed() == Duration::from_millis(3) {
            panic!("driver bug");
        }
    });
    assert_eq!(outcome.error.as_deref(), Some("panic: driver bug"));
}

#[test]
fn an_invalid_scenario_is_an_error() {
    let outcome = run(
        &Scenario {
            clients: 0,
            ..scenario(1, 10)
        },
        SingleNode,
    );
    assert!(outcome.error.unwrap().contains("clients"));
}
