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
