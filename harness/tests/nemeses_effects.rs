//! One test per nemesis, each showing its effect in the simulation against
//! the single-node system (the server is node 0, `n1`).

mod nemeses_support;

use harness::clock::EPOCH_NS;
use harness::runner::{run, run_with};
mod single_node;
use nemeses::{ClockChange, ClockFault, Delay, Fault, Host, Partition, PartitionFault};
use nemeses_support::{completed, nemesis_events, ops, scripted, Ticking, MS};
use results::EventType::{Info, Ok};
use single_node::SingleNode;

#[test]
fn a_paused_node_handles_nothing_and_wakes_up_with_its_clock_ahead() {
    let system = Ticking::default();
    let ticks = system.ticks.clone();
    let s = scripted(
        1,
        1_000,
        1_000,
        &[(
            300,
            Fault::Pause {
                node: 0,
                ms: 400,
                leader: false,
            },
        )],
    );
    let outcome = run(&s, system);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.liveness, None);
    let ops = ops(&outcome.history);
    assert!(completed(&ops, Ok, 0, 300) > 50);
    assert_eq!(completed(&ops, Ok, 310, 700), 0, "no ok while paused");
    assert!(completed(&ops, Ok, 700, 2_000) > 50, "serves again");

    let ticks = ticks.borrow();
    assert!(
        !ticks.iter().any(|&(t, _)| t > 300 && t < 700),
        "no tick while paused"
    );
    let (before, after) = ticks
        .windows(2)
        .map(|w| (w[0], w[1]))
        .find(|(a, b)| a.0 <= 300 && b.0 >= 700)
        .expect("a gap across the pause");
    assert!(
        after.1 - before.1 >= 400 * MS as i64,
        "its clock ran on: {before:?} {after:?}"
    );
    assert_eq!(
        nemesis_events(&outcome.history),
        [(300, "pause-start".into()), (700, "pause-end".into())]
    );
}

#[test]
fn an_isolated_node_gives_its_clients_no_ok_until_healed() {
    let isolate = Fault::Partition(PartitionFault {
        shape: Partition::Isolate {
            node: 0,
            clients: true,
        },
        ms: 400,
    });
    let outcome = run(&scripted(2, 1_000, 100, &[(200, isolate)]), SingleNode);
    assert_eq!(outcome.error, None);
    let ops = ops(&outcome.history);
    assert_eq!(completed(&ops, Ok, 210, 600), 0, "no ok while cut off");
    assert!(completed(&ops, Info, 210, 600) > 0, "clients time out");
    assert!(
        completed(&ops, Ok, 600, 3_000) > 50,
        "served after the heal"
    );
    let start = &outcome
        .history
        .events()
        .iter()
        .find(|e| e.f == "partition-start")
        .unwrap();
    let cut = serde_json::json!([
        ["n1", "n2"],
        ["n1", "n3"],
        ["n1", "client"],
        ["n2", "n1"],
        ["n3", "n1"],
        ["client", "n1"]
    ]);
    assert_eq!(start.value["cut"], cut);
}

#[test]
fn a_bumped_drifting_or_strobing_clock_reads_its_offset() {
    let clock = |at, change, ms| {
        (
            at,
            Fault::Clock(ClockFault {
                node: 0,
                change,
                ms,
                leader: false,
            }),
        )
    };
    let script = [
        clock(200, ClockChange::Bump { delta_ms: 5_000 }, 300),
        clock(600, ClockChange::Drift { ppm: 100_000 }, 400),
        clock(
            1_100,
            ClockChange::Strobe {
                delta_ms: -700,
                period_ms: 20,
            },
            200,
        ),
    ];
    let mut seen = Vec::new();
    let system = Ticking::default();
    let ticks = system.ticks.clone();
    let outcome = run_with(
        &scripted(3, 2_000, 1_000, &script),
        system,
        &mut |sim, nodes| {
            let now = sim.elapsed();
            if [199, 200, 499, 500, 800, 1_100, 1_120].contains(&(now.as_millis() as u64)) {
                seen.push((
                    now.as_millis() as u64,
                    nodes.clock(0).offset_ns(now) / MS as i64,
                ));
            }
        },
    );
    assert_eq!(outcome.error, None);
    #[rustfmt::skip]
    assert_eq!(seen, [(199, 0), (200, 5_000), (499, 5_000), (500, 0), (800, 20), (1_100, -700), (1_120, 0)]);
    // The node itself reads the bumped clock.
    let offsets: Vec<i64> = ticks
        .borrow()
        .iter()
        .filter(|(t, _)| *t > 200 && *t < 500)
        .map(|&(t, wall)| (wall - EPOCH_NS - (t * MS) as i64) / MS as i64)
        .collect();
    assert!(
        !offsets.is_empty() && offsets.iter().all(|&o| o == 5_000),
        "{offsets:?}"
    );
}

#[test]
fn a_slow_link_raises_latency_and_a_burst_delivers_late_but_whole() {
    let link = vec![(Host::Node(0), Host::Clients)];
    let script = [
        (
            300,
            Fault::Delay(Delay::Slow {
                links: link.clone(),
                latency_ms: 50,
                jitter_ms: 0,
                ms: 500,
            }),
        ),
        (
            1_000,
            Fault::Delay(Delay::Burst {
                links: link,
                ms: 200,
            }),
        ),
    ];
    let outcome = run(&scripted(4, 1_500, 1_000, &script), SingleNode);
    assert_eq!(outcome.error, None);
    let ops = ops(&outcome.history);
    let latencies = |from: u64, to: u64| -> Vec<u64> {
        let inside = ops
            .iter()
            .filter(|o| o.invoked_ns >= from * MS && o.done_ns < to * MS);
        inside.map(|o| (o.done_ns - o.invoked_ns) / MS).collect()
    };
    let slow = latencies(310, 800);
    assert!(
        !slow.is_empty() && slow.iter().all(|&l| l >= 100),
        "{slow:?}"
    );
    assert!(latencies(0, 300).iter().all(|&l| l < 20));

    assert_eq!(completed(&ops, Ok, 1_005, 1_200), 0, "held");
    assert_eq!(
        completed(&ops, Info, 900, 3_000),
        0,
        "nothing lost, nothing timed out"
    );
    assert!(
        completed(&ops, Ok, 1_200, 1_220) >= 3,
        "the held ops complete together"
    );
}

#[test]
fn a_black_holed_node_makes_clients_time_out_then_serves_again() {
    let script = [(300, Fault::Timeout { node: 0, ms: 500 })];
    let outcome = run(&scripted(5, 1_000, 200, &script), SingleNode);
    assert_eq!(outcome.error, None);
    let ops = ops(&outcome.history);
    assert_eq!(completed(&ops, Ok, 305, 800), 0);
    let timeouts = ops
        .iter()
        .filter(|o| o.kind == Info && o.done_ns > 300 * MS && o.done_ns <= 800 * MS)
        .filter(|o| o.error.as_deref() == Some("timeout"))
        .count();
    assert!(
        timeouts >= 5,
        "every client times out at least once: {timeouts}"
    );
    assert!(completed(&ops, Ok, 800, 3_000) > 50);
}

#[test]
fn a_crash_loses_the_in_memory_state_and_the_restarted_node_serves() {
    let s = harness::Scenario {
        workload: workloads::WorkloadConfig {
            keys: 1,
            ..Default::default()
        },
        ..scripted(
            6,
            1_000,
            100,
            &[(
                400,
                Fault::Crash {
                    node: 0,
                    ms: 300,
                    leader: false,
                },
            )],
        )
    };
    let outcome = run(&s, SingleNode);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.liveness, None);
    let ops = ops(&outcome.history);
    let write_before = ops
        .iter()
        .any(|o| o.kind == Ok && o.f == "write" && o.done_ns < 400 * MS);
    assert!(write_before, "a write was acknowledged before the crash");
    assert_eq!(completed(&ops, Ok, 405, 700), 0, "down");
    let null_read = ops
        .iter()
        .any(|o| o.kind == Ok && o.f == "read" && o.value.is_null() && o.invoked_ns > 700 * MS);
    assert!(
        null_read,
        "after the restart the key reads as never written"
    );
    assert!(completed(&ops, Ok, 700, 3_000) > 50, "serves again");
    let names: Vec<String> = nemesis_events(&outcome.history)
        .into_iter()
        .map(|e| e.1)
        .collect();
    assert_eq!(names, ["crash-start", "crash-end"]);
}
