//! `harness sweep` end to end, through the binary: a small sweep passes,
//! writes its summary and JUnit file, and the shards of a CI matrix cover
//! the range exactly once.

mod cli_support;

use cli_support::harness_in;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    cli_support::scratch("harness-sweep-cli", name)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The seeds a `sweep.json` has results for, in its order.
fn seeds_of(summary: &Value) -> Vec<u64> {
    summary["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seed"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_small_sweep_passes_and_writes_its_summary() {
    let cwd = scratch("small");
    let out = harness_in(
        &cwd,
        &[
            "sweep",
            "--seeds",
            "0..4",
            "--ops",
            "60",
            "--jobs",
            "2",
            "--junit",
            "ci/junit.xml",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("4 linearizable, 0 not-linearizable, 0 unknown, 0 liveness, 0 error"),
        "{stdout}"
    );
    assert!(stdout.contains("latency, all seeds merged"), "{stdout}");

    let dir = cwd.join("runs/sweep-0-4");
    let summary = read_json(&dir.join("sweep.json"));
    assert_eq!(summary["counts"]["linearizable"], 4);
    assert_eq!(seeds_of(&summary), [0, 1, 2, 3]);
    assert!(dir.join("latency.hdr").is_file() && dir.join("latency.json").is_file());
    let kept = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .count();
    assert_eq!(
        kept, 0,
        "by default only failing seeds keep a run directory"
    );

    let xml = std::fs::read_to_string(cwd.join("ci/junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().attribute("tests"), Some("4"));
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
    std::fs::remove_dir_all(cwd).unwrap();
}

#[test]
fn the_shards_of_a_matrix_cover_the_range_once() {
    let cwd = scratch("shards");
    let mut seen = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let out = harness_in(
            &cwd,
            &[
                "sweep", "--count", "7", "--seed", "100", "--shard", &shard, "--ops", "30",
                "--jobs", "1",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary = read_json(&cwd.join(format!("runs/sweep-100-107-shard-{k}-of-3/sweep.json")));
        assert_eq!(summary["shard"], shard.as_str());
        seen.extend(seeds_of(&summary));
    }
    seen.sort();
    assert_eq!(seen, (100..107).collect::<Vec<u64>>());
    std::fs::remove_dir_all(cwd).unwrap();
}

#[test]
fn bad_flags_are_named() {
    let cwd = scratch("bad");
    let out = harness_in(&cwd, &["sweep", "--seeds", "5..5"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
    let out = harness_in(&cwd, &["sweep", "--seeds", "0..5", "--shard", "0/2"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 <= K <= N"));
    let out = harness_in(&cwd, &["sweep", "--seeds", "0..5", "--nodes", "0"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nodes must be"));
    std::fs::remove_dir_all(cwd).unwrap();
}

#[test]
fn failing_seeds_keep_their_runs_and_a_run_line_that_reproduces_them() {
    // A 1 ms answer window after the final heal: every seed is a liveness
    // failure (exit 4), a real failure of the real cluster.
    let cwd = scratch("failing");
    let out = harness_in(
        &cwd,
        &[
            "sweep",
            "--seeds",
            "10..13",
            "--ops",
            "40",
            "--quiet-ms",
            "1",
            "--junit",
            "j.xml",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(stdout.contains("3 liveness"), "{stdout}");
    let dir = cwd.join("runs/sweep-10-13");
    for seed in 10..13 {
        assert!(
            dir.join(format!("seed-{seed}/history.jsonl")).is_file(),
            "seed {seed} kept"
        );
        let replay = format!("harness replay runs/sweep-10-13/seed-{seed}");
        assert!(stdout.contains(&replay), "{stdout}");
    }
    let xml = std::fs::read_to_string(cwd.join("j.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().attribute("failures"), Some("3"));

    // The printed `harness run` line reruns seed 11 to the same history.
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("harness run --seed 11 "))
        .unwrap();
    let mut args: Vec<&str> = line.split_whitespace().skip(1).collect();
    args.extend(["--out", "rerun"]);
    let rerun = harness_in(&cwd, &args);
    assert_eq!(
        rerun.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&rerun.stdout)
    );
    let history = |p: PathBuf| std::fs::read_to_string(p).unwrap();
    assert_eq!(
        history(cwd.join("rerun/seed-11/history.jsonl")),
        history(dir.join("seed-11/history.jsonl"))
    );
    std::fs::remove_dir_all(cwd).unwrap();
}
