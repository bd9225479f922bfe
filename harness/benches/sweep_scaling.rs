//! Sweep scaling: seeds per wall second of `harness sweep --jobs 2` against
//! `--jobs 1`, same seeds, alternating within one run so that both see the
//! same machine load; medians of the rounds and their ratio.
//!
//! `cargo bench -p harness --bench sweep_scaling [-- ROUNDS SEEDS OPS]`
//! (default 3 rounds of 40 seeds of 1000 ops). The seeds per second come
//! from each sweep's own `sweep.json` (seeds run / sweep wall time).

use std::path::Path;
use std::process::Command;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let arg = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (rounds, seeds, ops) = (arg(0, 3), arg(1, 40), arg(2, 1_000));

    let scratch =
        std::env::temp_dir().join(format!("harness-sweep-scaling-{}", std::process::id()));
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for (jobs, rates) in [(1, &mut one), (2, &mut two)] {
            let out = scratch.join(format!("round-{round}-jobs-{jobs}"));
            rates.push(seeds_per_second(&out, jobs, seeds, ops));
        }
        println!(
            "round {round}: --jobs 1 {:>6.2} seeds/s   --jobs 2 {:>6.2} seeds/s",
            one[round as usize], two[round as usize]
        );
    }
    let _ = std::fs::remove_dir_all(&scratch); // scratch space only
    let (a, b) = (median(&mut one), median(&mut two));
    println!("median of {rounds} rounds of {seeds} seeds x {ops} ops:");
    println!("  --jobs 1  {a:>6.2} seeds/wall-s");
    println!("  --jobs 2  {b:>6.2} seeds/wall-s");
    println!("  speed-up  {:>6.2}x", b / a);
}

/// Runs one sweep and reads its rate from `sweep.json`.
fn seeds_per_second(out: &Path, jobs: u64, seeds: u64, ops: u64) -> f64 {
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
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the harness binary runs");
    assert!(
        status.success(),
        "the sweep into {} failed: {status}",
        out.display()
    );
    let text = std::fs::read_to_string(out.join("sweep.json")).expect("the sweep wrote sweep.json");
    let summary: serde_json::Value = serde_json::from_str(&text).expect("sweep.json is JSON");
    let ran = summary["results"].as_array().map_or(0, Vec::len);
    ran as f64 / summary["wall_s"].as_f64().expect("sweep.json has wall_s")
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}
