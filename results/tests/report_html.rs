//! The HTML report of a small crafted run: fault windows shaded, the
//! highlighted ops outlined, both plots inline, nothing loaded from outside.

use results::compare::compare;
use results::latency::{Latencies, Outcome};
use results::report::{
    fault_windows, nines, nines_label, percentile_plot_svg, Report, ReportInput,
};
use results::{Event, History, Process};
use serde_json::{json, Value};

const MS: u64 = 1_000_000;

fn crafted() -> History {
    let c = Process::Client;
    let mut h = History::new();
    #[rustfmt::skip]
    let rows: Vec<(u64, Event)> = vec![
        (0,          Event::invoke(c(0), "write", "x", json!(1))),      // 0
        (MS,         Event::invoke(c(1), "read", "x", Value::Null)),    // 1
        (3 * MS,     Event::ok(c(0), "write", "x", json!(1))),          // 2
        (4 * MS,     Event::ok(c(1), "read", "x", json!(1))),           // 3
        (10 * MS,    Event::nemesis("pause-start", json!({"node": "n2", "ms": 40}))), // 4
        (12 * MS,    Event::invoke(c(0), "cas", "x", json!([1, 2]))),   // 5
        (20 * MS,    Event::invoke(c(2), "write", "x", json!(3))),    // 6
        (30 * MS,    Event::fail(c(0), "cas", "x", json!([1, 2]), "mismatch")), // 7
        (50 * MS,    Event::nemesis("pause-end", json!({"node": "n2"}))), // 8
        (60 * MS,    Event::nemesis("partition-start", json!({"nodes": ["n1", "n3"]}))), // 9
        (62 * MS,    Event::invoke(c(1), "read", "x", Value::Null)),    // 10
        (80 * MS,    Event::info(c(2), "write", "x", json!(3), "timeout")), // 11
        (90 * MS,    Event::ok(c(1), "read", "x", json!(2))),           // 12
        (95 * MS,    Event::invoke(c(0), "read", "x", Value::Null)),    // 13, never completes
        (100 * MS,   Event::nemesis("partition-end", Value::Null)),     // 14
    ];
    for (t, e) in rows {
        h.push(t, e);
    }
    h
}

fn render(history: &History, highlight: &[u64]) -> Report {
    let input = ReportInput {
        title: "runs/seed-42 <test>",
        history,
        highlight,
        verdict: Some("not linearizable"),
        minimal: None,
    };
    Report::render(&input).unwrap()
}

#[test]
fn fault_windows_are_shaded_in_both_plots() {
    let h = crafted();
    let faults = fault_windows(&h);
    assert_eq!(faults.len(), 2);
    let report = render(&h, &[]);
    let html = &report.html;
    assert_eq!(
        html.matches(r#"<rect class="fault" data-kind="pause""#)
            .count(),
        1
    );
    assert_eq!(
        html.matches(r#"<rect class="fault" data-kind="partition""#)
            .count(),
        1
    );
    assert!(
        html.contains("pause n2: 10.000–50.000 ms (#4–#8)"),
        "pause title"
    );
    assert!(html.contains("partition n1,n3: 60.000–100.000 ms (#9–#14)"));
    // The timeline spans 0..100 ms over 1110 px starting at x=70: the pause
    // window covers 10..50 ms.
    assert!(
        html.contains(r#"data-kind="pause" x="181.0" y="34" width="444.0""#),
        "{html}"
    );
    // The scatter (plotters) shades with the same colours, translucent.
    assert!(
        report
            .latency_svg
            .contains(r##"opacity="0.18" fill="#1E88E5""##),
        "{}",
        report.latency_svg
    );
    assert!(report
        .latency_svg
        .contains(r##"opacity="0.18" fill="#8E24AA""##));
    assert!(html.contains(&report.latency_svg), "scatter inline");
    assert!(html.contains(&report.timeline_svg), "timeline inline");
}

#[test]
fn ops_are_bars_coloured_by_outcome_and_highlights_are_outlined() {
    let h = crafted();
    let report = render(&h, &[5, 7, 12]);
    let html = &report.html;
    for (class, count) in [
        ("op ok", 3),
        ("op fail", 1),
        ("op info", 1),
        ("op pending", 1),
    ] {
        let found = html.matches(&format!(r#"class="{class}"#)).count();
        assert_eq!(found, count, "{class}");
    }
    // Highlighted: the cas (events 5 and 7) and the read ending at 12.
    let lit: Vec<&str> = html
        .split("<rect class=\"op ")
        .skip(1)
        .filter(|r| r.split('"').next().unwrap().ends_with("highlight"))
        .map(|r| {
            r.split("data-index=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(lit, vec!["5", "10"]);
    assert!(html.contains(r#"class="op fail highlight" data-index="5""#));
    assert!(html.contains(r##"stroke="#000" stroke-width="2""##));
    assert!(html.contains("#5 p0 cas x [1,2] → #7 fail [1,2] 18.000 ms (mismatch)"));
    assert_eq!(html.matches("<tr class=\"highlighted-event\">").count(), 3);
    // Without highlights nothing is outlined and no table appears.
    let plain = render(&h, &[]).html;
    assert!(!plain.contains("highlight\""));
    assert!(!plain.contains("Highlighted events"));
}

#[test]
fn the_page_is_self_contained_and_escaped() {
    let report = render(&crafted(), &[99]);
    let html = &report.html;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("runs/seed-42 &lt;test&gt;"));
    assert!(html.contains("Verdict: not linearizable"));
    assert!(html.contains("<td>99</td><td colspan=\"7\">not in this history</td>"));
    for outside in ["<script", "http://", "https://", "<link", "@import", "url("] {
        let found = html.replace("http://www.w3.org/2000/svg", "");
        assert!(!found.contains(outside), "report loads {outside}");
    }
    assert!(html.contains("<table class=\"latency\">"));
}

#[test]
fn an_empty_history_still_renders() {
    let report = render(&History::new(), &[]);
    assert!(report.html.contains("0 events; 0 operations"));
    assert!(report.html.contains("No completed operations."));
}

#[test]
fn the_percentile_plot_has_both_runs_on_a_nines_axis() {
    assert_eq!(nines_label(0.0), "0%");
    assert_eq!(nines_label(2.0), "99%");
    assert_eq!(nines_label(3.0), "99.9%");
    assert!((nines(0.999) - 3.0).abs() < 1e-9);
    let (mut a, mut b) = (Latencies::new(), Latencies::new());
    for i in 1..=1000 {
        a.record("read", Outcome::Ok, i * MS / 100);
        b.record("read", Outcome::Ok, i * MS / 50);
        a.record("write", Outcome::Ok, i * MS / 10);
        b.record("write", Outcome::Ok, i * MS / 10);
    }
    let svg = percentile_plot_svg(&a, &b, "runs/a", "runs/b").unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains("write ok, runs/a") && svg.contains("read ok, runs/b"));
    assert!(svg.contains("99%"), "{svg}");
    assert!(svg.contains("<polyline"), "{svg}");
    assert!(svg.contains("99.9%"), "{svg}");
    let cmp = compare(&a, &b, 1.1);
    assert_eq!(cmp.over(1.5).len(), 1, "reads got 2x slower");
}

#[test]
fn the_report_is_written_to_the_run_directory() {
    let dir = std::env::temp_dir().join(format!("report_html_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    render(&crafted(), &[5]).write_to(&dir).unwrap();
    for name in ["report.html", "timeline.svg", "latency-over-time.svg"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(text.len() > 500, "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
