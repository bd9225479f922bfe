//! `harness shrink DIR`: the shrunk run directory replays byte for byte,
//! runs again from its config.json, and still fails the same way.

mod cli_support;

use cli_support::harness_in;

fn count(history: &str, pick: &dyn Fn(&serde_json::Value) -> bool) -> usize {
    history
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| pick(e))
        .count()
}

fn invokes(history: &str) -> usize {
    count(history, &|e| e["type"] == "invoke" && e["process"].is_u64())
}

fn faults(history: &str) -> usize {
    count(history, &|e| {
        e["process"] == "nemesis" && e["f"].as_str().is_some_and(|f| f.ends_with("-start"))
    })
}

#[test]
fn a_shrunk_run_replays_identically_and_still_fails() {
    let cwd = cli_support::scratch("harness-shrink-cli", "stale");
    let args = [
        "run",
        "--seed",
        "4",
        "--bug",
        "stale-follower-read",
        "--nemesis",
        "partition",
    ];
    let run = harness_in(&cwd, &args);
    assert_eq!(run.status.code(), Some(1), "seed 4 finds the bug: {run:?}");
    let shrink = harness_in(&cwd, &["shrink", "runs/seed-4", "--time", "60"]);
    let stdout = String::from_utf8_lossy(&shrink.stdout);
    assert_eq!(
        shrink.status.code(),
        Some(1),
        "still not linearizable: {shrink:?}"
    );
    assert!(
        stdout.contains("faults ") && stdout.contains(" → "),
        "{stdout}"
    );
    assert!(
        stdout.contains("is not linearizable"),
        "the counterexample: {stdout}"
    );

    let original = std::fs::read_to_string(cwd.join("runs/seed-4/history.jsonl")).unwrap();
    let shrunk = std::fs::read_to_string(cwd.join("runs/seed-4-shrunk/history.jsonl")).unwrap();
    assert!(
        invokes(&shrunk) * 10 <= invokes(&original),
        "{} ops of {}",
        invokes(&shrunk),
        invokes(&original)
    );
    assert!(faults(&shrunk) <= 3 && faults(&shrunk) <= faults(&original));
    let verdict = std::fs::read_to_string(cwd.join("runs/seed-4-shrunk/verdict.json")).unwrap();
    assert!(verdict.contains("\"valid\": false"), "{verdict}");

    let replay = harness_in(&cwd, &["replay", "runs/seed-4-shrunk", "--log", "off"]);
    assert_eq!(replay.status.code(), Some(0), "{replay:?}");
    assert!(String::from_utf8_lossy(&replay.stdout).contains("identical"));
    let again = harness_in(
        &cwd,
        &[
            "run",
            "--scenario",
            "runs/seed-4-shrunk/config.json",
            "--out",
            "again",
        ],
    );
    assert_eq!(again.status.code(), Some(1), "it still fails: {again:?}");
    let rerun = std::fs::read_to_string(cwd.join("again/seed-4/history.jsonl")).unwrap();
    assert!(
        rerun == shrunk,
        "run --scenario of the shrunk config ran another history"
    );
}

#[test]
fn a_passing_run_has_nothing_to_shrink() {
    let cwd = cli_support::scratch("harness-shrink-cli", "pass");
    let run = harness_in(&cwd, &["run", "--seed", "3", "--ops", "200"]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let shrink = harness_in(&cwd, &["shrink", "runs/seed-3"]);
    assert_eq!(shrink.status.code(), Some(3), "{shrink:?}");
    assert!(String::from_utf8_lossy(&shrink.stderr).contains("nothing to shrink"));
    let bad = harness_in(&cwd, &["shrink", "runs/seed-3", "--time", "0"]);
    assert_eq!(bad.status.code(), Some(3), "{bad:?}");
}

#[test]
fn a_sweep_shrinks_each_failing_seed() {
    let cwd = cli_support::scratch("harness-shrink-cli", "sweep");
    let sweep = harness_in(
        &cwd,
        &[
            "sweep",
            "--seeds",
            "0..3",
            "--bug",
            "ack-before-commit",
            "--nemesis",
            "partition,crash",
            "--nemesis-interval-ms",
            "300",
            "--out",
            "sw",
            "--shrink",
        ],
    );
    let stdout = String::from_utf8_lossy(&sweep.stdout);
    assert_eq!(sweep.status.code(), Some(1), "{stdout}");
    let failing: Vec<_> = std::fs::read_dir(cwd.join("sw"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("seed-") && !n.ends_with("-shrunk"))
        .collect();
    assert!(!failing.is_empty(), "{stdout}");
    for name in failing {
        assert!(
            cwd.join("sw")
                .join(format!("{name}-shrunk/config.json"))
                .exists(),
            "{name} was not shrunk: {stdout}"
        );
    }
}
