//! `harness merge` of the four shards of a sweep gives what one machine
//! running the whole range gives; and run directories of other systems
//! are refused, never re-run as the wrong one.

mod cli_support;

use cli_support::harness_in;
use serde_json::Value;
use std::path::Path;

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The verdict counts and failing seeds of a sweep directory.
fn verdicts(dir: &Path) -> (Value, Vec<(u64, String)>) {
    let summary = read_json(&dir.join("sweep.json"));
    let failing = summary["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] != "linearizable")
        .map(|r| {
            (
                r["seed"].as_u64().unwrap(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (summary["counts"].clone(), failing)
}

#[test]
fn four_merged_shards_equal_one_sweep_of_the_whole_range() {
    let cwd = cli_support::scratch("harness-merge-cli", "shards");
    let common = [
        "--seeds",
        "0..400",
        "--system",
        "primary-backup",
        "--bug",
        "reply-after-first-ack",
        "--ops",
        "300",
    ];
    let sweep = |extra: &[&str]| {
        let args: Vec<&str> = ["sweep"]
            .iter()
            .chain(&common)
            .chain(extra)
            .copied()
            .collect();
        let out = harness_in(&cwd, &args);
        assert!(out.status.code().is_some(), "{out:?}");
    };
    sweep(&["--out", "whole"]);
    for k in 1..=4 {
        let (shard, out) = (format!("{k}/4"), format!("shard{k}"));
        sweep(&["--shard", &shard, "--out", &out]);
    }
    let merged = harness_in(
        &cwd,
        &[
            "merge",
            "shard3",
            "shard1",
            "shard4",
            "shard2",
            "--out",
            "merged",
            "--junit",
            "merged/junit.xml",
        ],
    );
    let stdout = String::from_utf8_lossy(&merged.stdout);
    let (whole, all) = (verdicts(&cwd.join("whole")), verdicts(&cwd.join("merged")));
    assert_eq!(all, whole, "{stdout}");
    assert!(
        !whole.1.is_empty(),
        "the planted bug gives failing seeds to compare"
    );
    assert_eq!(
        merged.status.code(),
        Some(1),
        "a merged sweep with a violation exits 1: {stdout}"
    );
    assert_eq!(
        read_json(&cwd.join("merged/latency.json")),
        read_json(&cwd.join("whole/latency.json"))
    );
    // Every failing seed's run directory came along and replays.
    let seed = whole.1[0].0;
    let dir = cwd.join(format!("merged/seed-{seed}"));
    let replay = harness_in(&cwd, &["replay", dir.to_str().unwrap(), "--log", "off"]);
    assert_eq!(replay.status.code(), Some(0), "{replay:?}");
    assert!(cwd.join("merged/junit.xml").exists());

    let again = harness_in(&cwd, &["merge", "shard1", "shard1", "--out", "twice"]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(3));
    assert!(stderr.contains("more than one"), "{stderr}");
}

#[test]
fn a_run_of_a_system_the_binary_lacks_is_refused() {
    let cwd = cli_support::scratch("harness-merge-cli", "unknown");
    let run = harness_in(
        &cwd,
        &[
            "run",
            "--seed",
            "3",
            "--system",
            "primary-backup",
            "--ops",
            "100",
        ],
    );
    assert!(run.status.success(), "{run:?}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("system primary-backup"), "{stdout}");
    assert!(
        stdout.contains("faults injected: "),
        "what happened, not only the mix: {stdout}"
    );
    let dir = cwd.join("runs/seed-3");
    let replay = harness_in(&cwd, &["replay", dir.to_str().unwrap(), "--log", "off"]);
    assert!(
        String::from_utf8_lossy(&replay.stdout).contains("identical"),
        "{replay:?}"
    );

    let config = dir.join("config.json");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("\"primary-backup\"", "\"etcd\"")).unwrap();
    let replay = harness_in(&cwd, &["replay", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&replay.stderr);
    assert_eq!(replay.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("system \"etcd\", which this binary does not have"),
        "{stderr}"
    );
}

#[test]
fn compare_ignores_a_run_directory_left_half_written() {
    let cwd = cli_support::scratch("harness-merge-cli", "tmpdir");
    let run = harness_in(
        &cwd,
        &["run", "--seed", "5", "--ops", "100", "--out", "sweep"],
    );
    assert!(run.status.success(), "{run:?}");
    // What a kill -9 during a sweep leaves: a hidden, truncated run.
    let tmp = cwd.join("sweep/.seed-6.tmp-4242-0");
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("history.jsonl"), "{\"index\":0,\"ti").unwrap();
    let out = harness_in(&cwd, &["compare", "sweep", "sweep"]);
    assert!(
        out.status.success(),
        "the hidden folder was read as a run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
