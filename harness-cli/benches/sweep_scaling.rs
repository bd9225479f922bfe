//! Sweep scaling: seeds per wall second of `harness sweep --jobs 2` against
//! `--jobs 1`, same seeds, alternating within one run so that both see the
//! same machine load; medians of the rounds and their ratio.
//!
//! `cargo bench -p harness --bench sweep_scaling [-- ROUNDS SEEDS OPS]`
//! (default 3 rounds of 40 seeds of 1000 ops). The seeds per second come
//! from each sweep's own `sweep.json` (seeds run / sweep wall time). Each
//! line also shows the cores the sweep got (its CPU time over its wall
//! time, Linux only): on a machine shared with other work, `--jobs 2` can
//! only be as much faster as the second core it was given. A control,
//! two `--jobs 1` processes at once (`--shard 1/2` and `2/2`), shows what
//! this machine gives two independent simulations: the ceiling for
//! `--jobs 2` (which shares nothing between its threads but the process).

use std::path::Path;
use std::process::{Command, Stdio};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let arg = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (rounds, seeds, ops) = (arg(0, 3), arg(1, 40), arg(2, 1_000));

    let scratch =
        std::env::temp_dir().join(format!("harness-sweep-scaling-{}", std::process::id()));
    let (mut one, mut two, mut procs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let mut line = format!("round {round}:");
        for (jobs, rates) in [(1, &mut one), (2, &mut two)] {
            let out = scratch.join(format!("round-{round}-jobs-{jobs}"));
            let (rate, cores) = sweep(&out, jobs, seeds, ops);
            rates.push(rate);
            line += &format!("   --jobs {jobs} {rate:>6.2} seeds/s on {cores:.2} cores");
        }
        let rate = two_processes(&scratch.join(format!("round-{round}-procs")), seeds, ops);
        procs.push(rate);
        line += &format!("   2 processes {rate:>6.2} seeds/s");
        println!("{line}");
    }
    let _ = std::fs::remove_dir_all(&scratch); // scratch space only
    let (a, b, c) = (median(&mut one), median(&mut two), median(&mut procs));
    println!("median of {rounds} rounds of {seeds} seeds x {ops} ops:");
    println!("  --jobs 1  {a:>6.2} seeds/wall-s");
    println!("  --jobs 2  {b:>6.2} seeds/wall-s");
    println!("  speed-up  {:>6.2}x", b / a);
    println!(
        "  control: 2 x --jobs 1 processes {c:>6.2} seeds/wall-s ({:.2}x)",
        c / a
    );
}

/// Runs one sweep; its seeds per second (from `sweep.json`) and the cores
/// it used (CPU seconds over wall seconds).
#[allow(clippy::disallowed_methods)] // wall time is what a benchmark measures
fn sweep(out: &Path, jobs: u64, seeds: u64, ops: u64) -> (f64, f64) {
    let cpu_before = children_cpu_s();
    let start = std::time::Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args([
            "sweep",
            "--count",
            &seeds.to_string(),
            "--jobs",
            &jobs.to_string(),
        ])
        .args(["--ops", &ops.to_string(), "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the harness binary runs");
    let cores = (children_cpu_s() - cpu_before) / start.elapsed().as_secs_f64();
    assert!(
        status.success(),
        "the sweep into {} failed: {status}",
        out.display()
    );
    let text = std::fs::read_to_string(out.join("sweep.json")).expect("the sweep wrote sweep.json");
    let summary: serde_json::Value = serde_json::from_str(&text).expect("sweep.json is JSON");
    let ran = summary["results"].as_array().map_or(0, Vec::len);
    let rate = ran as f64 / summary["wall_s"].as_f64().expect("sweep.json has wall_s");
    (rate, cores)
}

/// Seeds per wall second of two `--jobs 1` sweeps at once, one per shard.
#[allow(clippy::disallowed_methods)] // wall time is what a benchmark measures
fn two_processes(out: &Path, seeds: u64, ops: u64) -> f64 {
    let start = std::time::Instant::now();
    let children: Vec<_> = ["1/2", "2/2"]
        .iter()
        .map(|shard| {
            Command::new(env!("CARGO_BIN_EXE_harness"))
                .args(["sweep", "--count", &seeds.to_string(), "--jobs", "1"])
                .args(["--shard", shard, "--ops", &ops.to_string(), "--out"])
                .arg(out.join(shard.replace('/', "-of-")))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("the harness binary runs")
        })
        .collect();
    for mut child in children {
        let status = child.wait().expect("the sweep ends");
        assert!(
            status.success(),
            "a sweep into {} failed: {status}",
            out.display()
        );
    }
    seeds as f64 / start.elapsed().as_secs_f64()
}

/// User + system CPU seconds of this process's waited-for children, from
/// `/proc/self/stat` (fields 16 and 17, in clock ticks of 1/100 s); NaN
/// where there is no such file.
fn children_cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // The command name (field 2) may hold spaces: count from after its ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<f64> = rest
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // After ')' come field 3 (state, not a number) onwards: field n is at n - 4.
    match (fields.get(16 - 4), fields.get(17 - 4)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}
