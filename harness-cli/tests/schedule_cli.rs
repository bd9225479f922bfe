//! `harness schedule DIR` writes a run's faults out; `harness run
//! --scenario` of that file gives the same history, byte for byte.

mod cli_support;

use cli_support::harness_in;

#[test]
fn a_written_out_schedule_replays_to_the_same_history() {
    let cwd = cli_support::scratch("harness-schedule-cli", "seed11");
    let run = harness_in(&cwd, &["run", "--seed", "11", "--out", "drawn"]);
    assert!(run.status.success(), "{run:?}");
    let out = harness_in(&cwd, &["schedule", "drawn/seed-11", "--out", "s.json"]);
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(cwd.join("s.json")).unwrap();
    let scenario: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        scenario["nemesis"]["kinds"].as_object().unwrap().is_empty()
            && !scenario["nemesis"]["script"].as_array().unwrap().is_empty(),
        "{text}"
    );
    let again = harness_in(&cwd, &["run", "--scenario", "s.json", "--out", "explicit"]);
    assert!(again.status.success(), "{again:?}");
    let a = std::fs::read(cwd.join("drawn/seed-11/history.jsonl")).unwrap();
    let b = std::fs::read(cwd.join("explicit/seed-11/history.jsonl")).unwrap();
    assert!(a == b, "the written-out schedule ran a different history");
}

#[test]
fn a_replay_at_info_tells_the_faults_and_the_counterexample_in_time_order() {
    let cwd = cli_support::scratch("harness-schedule-cli", "story");
    let args = [
        "run",
        "--seed",
        "32",
        "--system",
        "primary-backup",
        "--bug",
        "reply-after-first-ack",
    ];
    let run = harness_in(&cwd, &args);
    assert_eq!(run.status.code(), Some(1), "seed 32 finds the bug: {run:?}");
    let verdict: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(cwd.join("runs/seed-32/verdict.json")).unwrap(),
    )
    .unwrap();
    let closed_by = verdict["counterexample"]["closed_by"]
        .as_u64()
        .or_else(|| verdict["closed_by"].as_u64())
        .expect("the counterexample names the event that closes it");
    let replay = harness_in(&cwd, &["replay", "runs/seed-32", "--log", "info"]);
    assert_eq!(replay.status.code(), Some(0), "{replay:?}");
    let log = String::from_utf8_lossy(&replay.stderr);
    assert!(
        log.contains("crash-start at"),
        "fault starts are traced:\n{log}"
    );
    assert!(log.contains("crash-end at"), "and their heals");
    assert!(
        log.contains(&format!("index={closed_by} ")),
        "the counterexample's closing op #{closed_by} is traced"
    );
    let indices: Vec<u64> = log
        .lines()
        .filter_map(|l| l.split("index=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect();
    assert!(
        indices.len() > 1000,
        "every op is traced: {}",
        indices.len()
    );
    assert!(
        indices.windows(2).all(|w| w[0] < w[1]),
        "faults and ops come in history (time) order"
    );
}
