//! `harness run --scenario FILE`: a run's `config.json`, edited, runs as
//! written (and gives the same history as the run it came from); a broken
//! file is an error naming file, line and column; scenario flags conflict.

mod cli_support;

use cli_support::harness;
use std::path::PathBuf;

fn scratch(name: &str) -> PathBuf {
    cli_support::scratch("run_scenario_cli", name)
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn an_edited_config_runs_as_written_and_matches_its_flags_run() {
    let root = scratch("edited");
    let out = root.to_str().unwrap();
    let first = harness(&[
        "run",
        "--seed",
        "5",
        "--ops",
        "200",
        "--nemesis",
        "pause",
        "--nemesis-interval-ms",
        "100",
        "--out",
        out,
    ]);
    assert!(first.status.success(), "{first:?}");
    let config = read(root.join("seed-5/config.json"));

    // The same file gives the same history.
    let again = root.join("again");
    let file = root.join("config.json");
    std::fs::write(&file, &config).unwrap();
    let second = harness(&[
        "run",
        "--scenario",
        file.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(second.status.success(), "{second:?}");
    assert_eq!(
        read(root.join("seed-5/history.jsonl")),
        read(again.join("seed-5/history.jsonl"))
    );

    // An edited knob (pauses aimed at the leader) is used, and recorded.
    let mut scenario: serde_json::Value = serde_json::from_str(&config).unwrap();
    scenario["nemesis"]["pause"]["leader_pct"] = 100.into();
    std::fs::write(&file, scenario.to_string()).unwrap();
    let edited = root.join("edited");
    let third = harness(&[
        "run",
        "--scenario",
        file.to_str().unwrap(),
        "--seed",
        "6",
        "--out",
        edited.to_str().unwrap(),
    ]);
    assert!(third.status.success(), "{third:?}");
    let recorded = read(edited.join("seed-6/config.json"));
    assert!(recorded.contains("\"leader_pct\": 100"), "{recorded}");
    let history = read(edited.join("seed-6/history.jsonl"));
    assert!(
        history.contains("\"target\":\"leader\""),
        "pauses aimed at the leader"
    );
}

#[test]
fn a_broken_file_names_its_line_and_flags_conflict() {
    let root = scratch("broken");
    let file = root.join("config.json");
    std::fs::write(&file, "{\n  \"seed\": 1,\n  \"nodes\": \"three\"\n}\n").unwrap();
    let out = harness(&[
        "run",
        "--scenario",
        file.to_str().unwrap(),
        "--out",
        root.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:3:", file.display())),
        "{stderr}"
    );

    let both = harness(&["run", "--scenario", file.to_str().unwrap(), "--nodes", "5"]);
    assert!(!both.status.success());
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));
    assert!(!root.join("seed-1").exists(), "nothing written");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn each_seed_draws_the_systems_knobs_unless_told_to_run_its_defaults() {
    let root = scratch("knobs");
    let config_of = |seed: &str, extra: &[&str]| -> serde_json::Value {
        let out = root.join(format!("{seed}{}", extra.len()));
        let mut args = vec!["run", "--seed", seed, "--ops", "100", "--out"];
        args.push(out.to_str().unwrap());
        args.extend_from_slice(extra);
        let run = harness(&args);
        assert!(run.status.success(), "{run:?}");
        let config = read(out.join(format!("seed-{seed}/config.json")));
        serde_json::from_str::<serde_json::Value>(&config).unwrap()["system"]["config"].clone()
    };
    let drawn: Vec<serde_json::Value> = ["1", "2", "3", "4"]
        .iter()
        .map(|s| config_of(s, &[]))
        .collect();
    assert!(
        drawn.iter().any(|c| c != &drawn[0]),
        "four seeds drew the same knobs: {drawn:?}"
    );
    let defaults = config_of("1", &["--default-config", "--bug", "old-term-commit"]);
    assert_eq!(defaults["batch_entries_max"], 64);
    assert_eq!(defaults["election_ms_min"], 150);
    assert_eq!(defaults["bugs"], serde_json::json!(["old-term-commit"]));
    let mut with_bug = config_of("1", &["--bug", "old-term-commit"]);
    assert_eq!(with_bug["bugs"], serde_json::json!(["old-term-commit"]));
    // The bug is switched on over seed 1's own draw, every knob kept.
    with_bug["bugs"] = drawn[0]["bugs"].clone();
    assert_eq!(with_bug, drawn[0]);
}
