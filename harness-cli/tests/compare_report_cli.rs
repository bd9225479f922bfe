//! `harness compare` and `harness report` end to end on crafted run
//! directories: ratios and exit codes, where latencies are read from, errors
//! for a malformed `latency.hdr`, and the counterexample highlighted from a
//! real `verdict.json`.

use results::latency::{Latencies, Outcome};
use results::{check_history, CheckOptions, Event, History, Process};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Output;

mod cli_support;

use cli_support::harness;

const MS: u64 = 1_000_000;

fn scratch(name: &str) -> PathBuf {
    cli_support::scratch("compare_report_cli", name)
}

/// A history of 100 sequential writes taking 1..=100 ms times `scale`.
fn writes(scale: u64) -> History {
    let mut h = History::new();
    let mut t = 0;
    for i in 1..=100u64 {
        h.push(t, Event::invoke(Process::Client(0), "write", "x", json!(i)));
        t += i * MS * scale;
        h.push(t, Event::ok(Process::Client(0), "write", "x", json!(i)));
    }
    h
}

fn run_dir(root: &Path, name: &str, history: &History) -> String {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("history.jsonl"), history.to_jsonl()).unwrap();
    dir.display().to_string()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn compare_reports_ratios_and_gates_on_p99() {
    let root = scratch("gate");
    let a = run_dir(&root, "a", &writes(1));
    let b = run_dir(&root, "b", &writes(3));

    let plain = harness(&["compare", &a, &b]);
    assert_eq!(plain.status.code(), Some(0), "{}", stdout(&plain));
    let text = stdout(&plain);
    assert!(
        text.contains("write ok  (A: 100 ops, B: 100 ops)"),
        "{text}"
    );
    let p99 = text
        .lines()
        .find(|l| l.trim_start().starts_with("p99 "))
        .unwrap();
    assert!(p99.contains("3.00  << worse"), "{p99}");

    let gated = harness(&["compare", &a, &b, "--fail-above", "2"]);
    assert_eq!(gated.status.code(), Some(1));
    assert!(stdout(&gated).contains("FAIL: write ok p99 ratio 3.00 > 2"));

    let loose = harness(&["compare", &a, &b, "--fail-above", "3.5", "--threshold", "4"]);
    assert_eq!(loose.status.code(), Some(0));
    assert!(!stdout(&loose).lines().any(|l| l.ends_with("<< worse")));

    let svg = root.join("plot.svg");
    let plotted = harness(&["compare", &a, &b, "--plot", svg.to_str().unwrap()]);
    assert_eq!(plotted.status.code(), Some(0));
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(svg.contains("write ok, ") && svg.contains("99%"));

    let bad = harness(&["compare", &a, &b, "--fail-above", "-1"]);
    assert_eq!(
        bad.status.code(),
        Some(3),
        "a negative ratio is unusable input"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn latency_hdr_wins_over_the_history_and_sweeps_merge() {
    let root = scratch("sources");
    let a = run_dir(&root, "a", &writes(1));
    // b's latency.hdr says 10 ms reads; its history (writes) is not used.
    let b = run_dir(&root, "b", &writes(1));
    let mut reads = Latencies::new();
    reads.record("read", Outcome::Ok, 10 * MS);
    reads.write_files(Path::new(&b)).unwrap();
    let text = stdout(&harness(&["compare", &a, &b]));
    assert!(text.contains("read ok  (A: 0 ops, B: 1 ops)"), "{text}");
    assert!(text.contains("write ok  (A: 100 ops, B: 0 ops)"), "{text}");

    // A sweep directory without a merged file: its runs are merged.
    let sweep = root.join("sweep");
    run_dir(&sweep, "seed-1", &writes(1));
    run_dir(&sweep, "seed-2", &writes(2));
    let text = stdout(&harness(&["compare", &a, sweep.to_str().unwrap()]));
    assert!(
        text.contains("write ok  (A: 100 ops, B: 200 ops)"),
        "{text}"
    );

    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = harness(&["compare", &a, empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no latency.hdr or history.jsonl"));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_malformed_latency_hdr_is_an_error_naming_file_and_line() {
    let root = scratch("malformed");
    let a = run_dir(&root, "a", &writes(1));
    let b = root.join("b");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(
        b.join("latency.hdr"),
        "#[comment]\nTag=read.ok,0.0,0.0,1.0,notbase64!\n",
    )
    .unwrap();
    let out = harness(&["compare", &a, b.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = format!(
        "{}:2: expected a base64 histogram",
        b.join("latency.hdr").display()
    );
    assert!(stderr.contains(&want), "{stderr}");
    std::fs::remove_dir_all(&root).unwrap();
}

/// A stale read: write 1 completes, then a later read returns 0.
fn stale_read() -> History {
    let c = Process::Client;
    let mut h = History::new();
    h.push(0, Event::invoke(c(0), "write", "x", json!(1)));
    h.push(MS, Event::ok(c(0), "write", "x", json!(1)));
    h.push(
        2 * MS,
        Event::nemesis("partition-start", json!({"nodes": ["n1"]})),
    );
    h.push(3 * MS, Event::invoke(c(1), "read", "x", Value::Null));
    h.push(4 * MS, Event::ok(c(1), "read", "x", json!(0)));
    h.push(
        5 * MS,
        Event::nemesis("partition-end", json!({"nodes": ["n1"]})),
    );
    h
}

#[test]
fn report_highlights_the_counterexample_of_verdict_json() {
    let root = scratch("report");
    let history = stale_read();
    let dir = run_dir(&root, "run", &history);
    let verdict = check_history(&history, &CheckOptions::default()).unwrap();
    assert!(!verdict.verdict.is_valid());
    let verdict_json = serde_json::to_string_pretty(&verdict).unwrap();
    std::fs::write(Path::new(&dir).join("verdict.json"), verdict_json).unwrap();

    let out = harness(&["report", &dir]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(Path::new(&dir).join("report.html")).unwrap();
    assert!(html.contains(r#"<rect class="fault" data-kind="partition""#));
    assert!(
        html.contains(r#"class="op ok highlight" data-index="3""#),
        "the stale read"
    );
    assert!(html.contains("Verdict: INVALID"), "verdict line");
    assert!(Path::new(&dir).join("timeline.svg").is_file());
    assert!(Path::new(&dir).join("latency-over-time.svg").is_file());

    // A verdict.json of another shape: a warning, and no highlights.
    std::fs::write(Path::new(&dir).join("verdict.json"), "{\"valid\": false}").unwrap();
    let out = harness(&["report", &dir]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a checker report"));
    let html = std::fs::read_to_string(Path::new(&dir).join("report.html")).unwrap();
    assert!(!html.contains("highlight\""));

    let missing = harness(&["report", root.join("nope").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(3));
    std::fs::remove_dir_all(&root).unwrap();
}
