//! The end of a faulty run: everything is healed, every key is read once
//! more, and a system that does not answer fails with a liveness error.

mod nemeses_support;

use harness::runner::run;
mod single_node;
use harness::{ClientCtx, NodeCtx, System};
use nemeses::{Fault, Partition, PartitionFault};
use nemeses_support::{nemesis_events, ops, scripted};
use results::{EventType, Process};
use single_node::{SingleNode, SingleNodeClient};
use std::future::Future;
use std::time::Duration;

#[test]
fn open_faults_are_healed_when_the_workload_ends_and_every_key_is_read() {
    // A partition far longer than the workload: the final heal ends it.
    let long = Fault::Partition(PartitionFault {
        shape: Partition::Isolate {
            node: 0,
            clients: true,
        },
        ms: 60_000,
    });
    let outcome = run(&scripted(1, 300, 100, &[(200, long)]), SingleNode);
    assert_eq!(
        (outcome.error.as_deref(), outcome.liveness.as_deref()),
        (None, None)
    );
    let events = outcome.history.events();
    let end = events
        .iter()
        .position(|e| e.f == "partition-end")
        .expect("healed");
    assert_eq!(events[end].value["final"], true);
    assert!(
        events[end].time < 60_000_000_000,
        "healed early, at the workload's end"
    );

    // After the heal: one ok read per key, by processes no worker used.
    let workers_max = events[..end]
        .iter()
        .filter_map(|e| match e.process {
            Process::Client(p) => Some(p),
            Process::Nemesis => None,
        })
        .max()
        .unwrap();
    let after = ops(&outcome.history)
        .into_iter()
        .filter(|o| o.invoked_ns >= events[end].time)
        .collect::<Vec<_>>();
    let read_keys: Vec<&str> = after
        .iter()
        .filter(|o| o.kind == EventType::Ok && o.f == "read")
        .map(|o| o.key.as_str())
        .collect();
    assert_eq!(read_keys, ["k0", "k1", "k2"]);
    assert!(events[end + 1..].iter().all(|e| match e.process {
        Process::Client(p) => p > workers_max,
        Process::Nemesis => false,
    }));
    assert_eq!(nemesis_events(&outcome.history).len(), 2);
}

/// [`SingleNode`] whose server stops for good at 300 ms.
struct StopsAnswering;

impl System for StopsAnswering {
    type Client = SingleNodeClient;

    fn node(&self, ctx: NodeCtx) -> impl Future<Output = turmoil::Result> + use<> + 'static {
        let serve = SingleNode.node(ctx);
        async move {
            tokio::select! {
                biased;
                result = serve => result,
                _ = tokio::time::sleep(Duration::from_millis(300)) => Ok(()),
            }
        }
    }

    fn client(&self, ctx: ClientCtx) -> SingleNodeClient {
        SingleNode.client(ctx)
    }
}

#[test]
fn a_system_that_never_answers_again_fails_liveness_not_linearizability() {
    let mut s = scripted(
        2,
        300,
        100,
        &[(
            100,
            Fault::Pause {
                node: 0,
                ms: 20,
                leader: false,
            },
        )],
    );
    s.nemesis.quiet_ms = 700;
    let outcome = run(&s, StopsAnswering);
    assert_eq!(outcome.error, None);
    let liveness = outcome.liveness.expect("a liveness failure");
    assert!(
        liveness.contains("no answer within 700 ms for k0"),
        "{liveness}"
    );
    assert!(!liveness.contains("()"), "every key says why: {liveness}");
    let report = results::check::check_history(&outcome.history, &Default::default()).unwrap();
    assert_eq!(report.verdict.exit_code(), 0, "the history itself is fine");
}
