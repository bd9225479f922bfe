//! Simulated client ops per wall second: the built-in cluster through the
//! runner, against a bare turmoil request/response loop of the same shape
//! (3 server hosts, 1 client host running 5 client tasks, the same latency,
//! 1 ms tick). The variants alternate within one process and the medians
//! are compared, so the ratios hold on a noisy 2-core machine.
//!
//! A third variant, a bare *replicated* loop (the client's server forwards
//! each request to the two others and answers after both acks), makes the
//! same four network hops per op as a Raft write: the cluster's ratio to it
//! shows the cost of the harness and of Raft itself, apart from the hops.
//!
//! `cargo bench -p raft-kv --bench throughput [-- ROUNDS OPS]`

use harness::runner;
use harness::Scenario;
use std::time::{Duration, Instant, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use turmoil::net::{TcpListener, TcpStream};

const SERVERS: usize = 3;
const CLIENTS: usize = 5;

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
    let (mut bare, mut replicated, mut cluster) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        bare.push(bare_loop(&scenario, false));
        replicated.push(bare_loop(&scenario, true));
        cluster.push(cluster_run(&scenario, round as u64));
        println!(
            "round {round}: bare echo {:>8.0}   bare replicated {:>8.0}   cluster {:>8.0} ops/wall-s",
            bare[round], replicated[round], cluster[round]
        );
    }
    let (b, r, c) = (
        median(&mut bare),
        median(&mut replicated),
        median(&mut cluster),
    );
    println!("median over {rounds} rounds of {ops} ops:");
    println!("  bare turmoil echo         {b:>9.0} ops/wall-s");
    println!("  bare replicated loop      {r:>9.0} ops/wall-s");
    println!("  built-in raft cluster     {c:>9.0} ops/wall-s");
    println!("  ratio cluster/echo        {:>9.2}", c / b);
    println!("  ratio cluster/replicated  {:>9.2}", c / r);
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

#[allow(clippy::disallowed_methods)] // wall time is what a benchmark measures
fn cluster_run(scenario: &Scenario, seed: u64) -> f64 {
    let scenario = Scenario {
        seed,
        ..scenario.clone()
    };
    let start = Instant::now();
    let outcome = runner::run(&scenario, raft_kv::Cluster::default());
    let wall = start.elapsed();
    assert_eq!(outcome.error, None, "the benchmark run failed");
    scenario.ops as f64 / wall.as_secs_f64()
}

/// Each client task sends a 16-byte request to a server and waits for the
/// 16-byte answer, `ops` times in all. Echo: the servers are picked round
/// robin and answer at once. Replicated: every client talks to `s0`, which
/// forwards each request to `s1` and `s2` and answers after both echoed.
#[allow(clippy::disallowed_methods)] // wall time is what a benchmark measures
fn bare_loop(scenario: &Scenario, replicated: bool) -> f64 {
    let mut sim = turmoil::Builder::new()
        .rng_seed(1)
        .epoch(UNIX_EPOCH)
        .tick_duration(Duration::from_millis(1))
        .simulation_duration(Duration::from_secs(3_600))
        .min_message_latency(Duration::from_millis(scenario.latency_ms_min))
        .max_message_latency(Duration::from_millis(scenario.latency_ms_max))
        .build();
    for s in 0..SERVERS {
        let forward = replicated && s == 0;
        sim.host(format!("s{s}"), move || async move {
            let listener = TcpListener::bind(("0.0.0.0", 7000)).await?;
            loop {
                let (stream, _) = listener.accept().await?;
                tokio::task::spawn_local(serve(stream, forward));
            }
        });
    }
    let per_client = scenario.ops / CLIENTS;
    sim.client("client", async move {
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            tasks.push(tokio::task::spawn_local(async move {
                let server = if replicated { 0 } else { c % SERVERS };
                let mut stream = TcpStream::connect(format!("s{server}:7000")).await?;
                let mut buf = [0u8; 16];
                for _ in 0..per_client {
                    stream.write_all(&buf).await?;
                    stream.read_exact(&mut buf).await?;
                }
                Ok::<_, std::io::Error>(())
            }));
        }
        for task in tasks {
            task.await??;
        }
        Ok(())
    });
    let start = Instant::now();
    sim.run().expect("the echo simulation runs");
    (per_client * CLIENTS) as f64 / start.elapsed().as_secs_f64()
}

/// Answers each 16-byte request; with `forward`, only after `s1` and `s2`
/// have echoed it (one connection to each per client connection).
async fn serve(mut stream: TcpStream, forward: bool) -> std::io::Result<()> {
    let mut peers = Vec::new();
    if forward {
        for peer in ["s1:7000", "s2:7000"] {
            peers.push(TcpStream::connect(peer).await?);
        }
    }
    let mut buf = [0u8; 16];
    loop {
        stream.read_exact(&mut buf).await?;
        for peer in &mut peers {
            peer.write_all(&buf).await?;
        }
        for peer in &mut peers {
            peer.read_exact(&mut buf).await?;
        }
        stream.write_all(&buf).await?;
    }
}
