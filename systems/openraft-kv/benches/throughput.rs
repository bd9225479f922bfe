//! Simulated client ops per wall second: openraft beside the built-in
//! cluster, both through the runner on the same fault-free scenario (3
//! nodes, 5 clients, no think time, 1 ms tick), the same benchmark shape
//! as `raft-kv`'s `throughput`. The two alternate within one process and
//! the medians are compared, so the ratio holds on a noisy machine.
//!
//! `cargo bench -p openraft-kv --bench throughput [-- ROUNDS OPS]`

use harness::runner;
use harness::Scenario;
use harness::System;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let rounds: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    let ops: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);

    let scenario = Scenario {
        ops,
        think_ms_max: 0,
        ..Scenario::without_faults(1)
    };
    let (mut builtin, mut openraft) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        builtin.push(ops_per_wall_s(
            &scenario,
            round as u64,
            raft_kv::Cluster::default,
        ));
        openraft.push(ops_per_wall_s(
            &scenario,
            round as u64,
            openraft_kv::OpenraftKv::default,
        ));
        println!(
            "round {round}: built-in raft {:>8.0}   openraft {:>8.0} ops/wall-s",
            builtin[round], openraft[round]
        );
    }
    let (b, o) = (median(&mut builtin), median(&mut openraft));
    println!("median over {rounds} rounds of {ops} ops:");
    println!("  built-in raft cluster     {b:>9.0} ops/wall-s");
    println!("  openraft 0.9              {o:>9.0} ops/wall-s");
    println!("  ratio openraft/built-in   {:>9.2}", o / b);
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

#[allow(clippy::disallowed_methods)] // wall time is what a benchmark measures
fn ops_per_wall_s<S: System>(scenario: &Scenario, seed: u64, system: impl Fn() -> S) -> f64 {
    let scenario = Scenario {
        seed,
        ..scenario.clone()
    };
    let start = Instant::now();
    let outcome = runner::run(&scenario, system());
    let wall = start.elapsed();
    assert_eq!(outcome.error, None, "the benchmark run failed");
    scenario.ops as f64 / wall.as_secs_f64()
}
