//! `harness check`, `run`, `replay` and `sweep` through the binary: a run
//! or history that tested nothing exits 6 with a verdict of its own.

mod cli_support;

use cli_support::{harness, harness_in};
use std::process::Output;

fn scratch(name: &str) -> std::path::PathBuf {
    cli_support::scratch("harness-check-cli", name)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const WRITE_ONLY: &str = r#"{"index":0,"time":0,"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"index":1,"time":1,"process":0,"type":"ok","f":"write","key":"x","value":1}
"#;

const READ_AFTER_WRITE: &str = r#"{"index":0,"time":0,"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"index":1,"time":1,"process":0,"type":"ok","f":"write","key":"x","value":1}
{"index":2,"time":2,"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"index":3,"time":3,"process":1,"type":"ok","f":"read","key":"x","value":1}
"#;

#[test]
fn check_of_a_history_that_tested_nothing_exits_6() {
    let dir = scratch("check");
    let empty = dir.join("empty.jsonl");
    let writes = dir.join("writes.jsonl");
    let good = dir.join("good.jsonl");
    std::fs::write(&empty, "").unwrap();
    std::fs::write(&writes, WRITE_ONLY).unwrap();
    std::fs::write(&good, READ_AFTER_WRITE).unwrap();
    for file in [&empty, &writes] {
        let out = harness(&["check", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(6), "{}", text(&out));
        assert!(text(&out).contains("VACUOUS"), "{}", text(&out));
        assert!(text(&out).contains("tested nothing"), "{}", text(&out));
    }
    let out = harness(&["check", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // With a good file, the vacuous one still sets the exit code.
    let out = harness(&["check", good.to_str().unwrap(), empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
}

#[test]
fn a_run_with_every_op_timed_out_exits_6_and_so_does_its_replay() {
    let cwd = scratch("run");
    let args = [
        "run",
        "--seed",
        "3",
        "--deadline-ms",
        "1",
        "--nemesis",
        "none",
        "--ops",
        "200",
        "--out",
        "runs",
    ];
    let out = harness_in(&cwd, &args);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    assert!(text(&out).contains("0 ok"), "{}", text(&out));
    assert!(text(&out).contains("VACUOUS"), "{}", text(&out));
    let verdict = std::fs::read_to_string(cwd.join("runs/seed-3/verdict.json")).unwrap();
    assert!(verdict.contains(r#""tested_nothing": true"#), "{verdict}");

    let out = harness_in(&cwd, &["replay", "runs/seed-3", "--log", "off"]);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    assert!(text(&out).contains("identical"), "{}", text(&out));
    assert!(text(&out).contains("tested nothing"), "{}", text(&out));
}

#[test]
fn a_sweep_counts_seeds_that_tested_nothing_as_failures() {
    let cwd = scratch("sweep");
    let out = harness_in(
        &cwd,
        &[
            "sweep",
            "--seeds",
            "0..3",
            "--ops",
            "60",
            "--jobs",
            "1",
            "--deadline-ms",
            "1",
            "--nemesis",
            "none",
            "--out",
            "sw",
        ],
    );
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    assert!(text(&out).contains("3 tested-nothing"), "{}", text(&out));
}

#[test]
fn invalid_utf8_is_an_error_naming_line_and_byte() {
    let dir = scratch("utf8");
    let file = dir.join("bad.jsonl");
    let mut bytes = READ_AFTER_WRITE.as_bytes().to_vec();
    let second_line = READ_AFTER_WRITE.find('\n').unwrap() + 1;
    bytes.insert(second_line + 3, 0xff);
    std::fs::write(&file, bytes).unwrap();
    let out = harness(&["check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl:2: invalid UTF-8"), "{err}");
    assert!(err.contains("(byte 4 of line 2)"), "{err}");
}

#[test]
fn the_timeout_covers_reading_the_file() {
    let dir = scratch("timeout");
    let file = dir.join("long.jsonl");
    let mut history = String::new();
    for i in 0..100_000u64 {
        let (p, t) = (i % 10, 2 * i);
        history.push_str(&format!(
            "{{\"index\":{t},\"time\":{t},\"process\":{p},\"type\":\"invoke\",\"f\":\"write\",\"key\":\"x\",\"value\":{i}}}\n{{\"index\":{},\"time\":{},\"process\":{p},\"type\":\"ok\",\"f\":\"write\",\"key\":\"x\",\"value\":{i}}}\n",
            t + 1,
            t + 1
        ));
    }
    std::fs::write(&file, history).unwrap();
    let out = harness(&["check", "--timeout", "0.001", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("ran out while reading"),
        "{}",
        text(&out)
    );
}

#[test]
fn initial_value_and_mutex_from_the_command_line() {
    let dir = scratch("knossos");
    let reg = dir.join("reg.edn");
    std::fs::write(
        &reg,
        "[{:type :invoke, :f :read, :value nil, :process 0}\n {:type :ok, :f :read, :value -1, :process 0}]\n",
    )
    .unwrap();
    let reg = reg.to_str().unwrap();
    assert_eq!(harness(&["check", reg]).status.code(), Some(1));
    let out = harness(&["check", "--initial", "-1", "--verify", reg]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lock = dir.join("lock.edn");
    std::fs::write(
        &lock,
        "[{:type :invoke, :f :acquire, :process 0}\n {:type :ok, :f :acquire, :process 0}\n {:type :invoke, :f :acquire, :process 1}\n {:type :ok, :f :acquire, :process 1}]\n",
    )
    .unwrap();
    let out = harness(&["check", lock.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("model mutex"), "{}", text(&out));
    let out = harness(&["check", "--initial", "0", lock.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}
