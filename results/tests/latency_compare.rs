//! `compare` on crafted histograms: the ratios, the marked rows and the
//! `--fail-above` p99 gate.

use results::compare::compare;
use results::latency::{Latencies, Outcome};

const MS: u64 = 1_000_000;

/// 100 reads of 1..=100 ms times `scale`, and 10 writes of 5 ms.
fn run(scale: u64, write_ms: u64) -> Latencies {
    let mut lat = Latencies::new();
    for ms in 1..=100 {
        lat.record("read", Outcome::Ok, ms * MS * scale);
    }
    for _ in 0..10 {
        lat.record("write", Outcome::Ok, write_ms * MS);
    }
    lat
}

fn close(got: Option<f64>, want: f64) -> bool {
    got.is_some_and(|g| (g - want).abs() < 0.005)
}

#[test]
fn ratios_are_b_over_a_and_worse_rows_are_marked() {
    let a = run(1, 5);
    let b = run(2, 5);
    let cmp = compare(&a, &b, 1.5);
    let kinds: Vec<(&str, Outcome)> = cmp
        .tables
        .iter()
        .map(|t| (t.f.as_str(), t.outcome))
        .collect();
    assert_eq!(kinds, vec![("read", Outcome::Ok), ("write", Outcome::Ok)]);

    let read = &cmp.tables[0];
    assert_eq!((read.count_a, read.count_b), (100, 100));
    let labels: Vec<&str> = read.rows.iter().map(|r| r.label).collect();
    assert_eq!(labels, ["p50", "p90", "p99", "p99.9", "max"]);
    for row in &read.rows {
        assert!(close(row.ratio, 2.0), "{row:?}");
        assert!(row.worse, "{row:?}");
    }
    assert!((read.rows[2].a_ns.unwrap() as f64 / 99e6 - 1.0).abs() < 0.001);

    let write = &cmp.tables[1];
    for row in &write.rows {
        assert!(close(row.ratio, 1.0), "{row:?}");
        assert!(!row.worse, "{row:?}");
    }
    assert!(cmp.any_worse());
    assert!(!compare(&a, &a, 1.5).any_worse());
}

#[test]
fn fail_above_gates_on_any_p99_ratio() {
    let a = run(1, 5);
    let b = run(1, 15); // writes 3x slower, reads unchanged
    let cmp = compare(&a, &b, 1.1);
    assert!(close(cmp.tables[1].p99_ratio(), 3.0));
    let over: Vec<&str> = cmp.over(2.0).iter().map(|t| t.f.as_str()).collect();
    assert_eq!(over, vec!["write"]);
    assert!(cmp.over(3.5).is_empty());
    // Faster is never a failure.
    assert!(compare(&b, &a, 1.1).over(1.0).is_empty());
}

#[test]
fn a_side_missing_a_kind_shows_dashes_and_is_not_gated() {
    let a = run(1, 5);
    let mut b = run(1, 5);
    b.record("cas", Outcome::Fail, 7 * MS);
    let cmp = compare(&a, &b, 1.1);
    let cas = cmp.tables.iter().find(|t| t.f == "cas").unwrap();
    assert_eq!((cas.count_a, cas.count_b), (0, 1));
    assert_eq!(cas.p99_ratio(), None);
    assert!(cmp.over(0.5).iter().all(|t| t.f != "cas"));

    let text = cmp.to_text("runs/a", "runs/b");
    assert!(text.contains("A = runs/a\nB = runs/b"), "{text}");
    assert!(text.contains("cas fail  (A: 0 ops, B: 1 ops)"), "{text}");
    let cas_p99 = text
        .lines()
        .skip_while(|l| !l.starts_with("cas fail"))
        .find(|l| l.trim_start().starts_with("p99 "))
        .unwrap();
    assert!(
        cas_p99.contains(" - ") && cas_p99.contains("7.00"),
        "{cas_p99}"
    );
}

#[test]
fn text_marks_worse_rows() {
    let cmp = compare(&run(1, 5), &run(3, 5), 1.1);
    let text = cmp.to_text("a", "b");
    let marked = text.lines().filter(|l| l.ends_with("<< worse")).count();
    assert_eq!(marked, 5, "{text}");
    assert!(text.contains("3.00  << worse"), "{text}");
}
