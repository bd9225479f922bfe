//! The JUnit report of a sweep parses as XML, with one test case per seed
//! and the right counts of failures, errors and skipped seeds.

use harness::sweep::junit;
use harness::sweep::shard::{SeedRange, Shard};
use harness::sweep::summary::{SeedResult, Stopped, SweepSummary};
use harness::sweep::verdict::SeedVerdict;
use std::path::PathBuf;
use std::time::Duration;

fn result(seed: u64, verdict: SeedVerdict) -> SeedResult {
    let dir = (!verdict.is_pass()).then(|| PathBuf::from(format!("runs/sweep-0-10/seed-{seed}")));
    SeedResult {
        seed,
        verdict,
        dir,
        wall_s: 0.25,
        sim_s: 3.0,
    }
}

fn summary() -> SweepSummary {
    let detail = |s: &str| s.to_string();
    let results = vec![
        result(0, SeedVerdict::Linearizable),
        result(
            3,
            SeedVerdict::NotLinearizable {
                detail: detail("INVALID key \"x\" <&> stale read"),
            },
        ),
        result(6, SeedVerdict::Linearizable),
        result(
            9,
            SeedVerdict::Error {
                detail: detail("the run did not finish: panic: boom"),
            },
        ),
        result(
            12,
            SeedVerdict::Unknown {
                detail: detail("time budget of 60000 ms ran out"),
            },
        ),
    ];
    let range = SeedRange { start: 0, end: 20 };
    let shard = Shard::new(1, 3).unwrap();
    let stopped = Some(Stopped::Interrupted);
    SweepSummary::new(
        range,
        shard,
        2,
        Duration::from_secs(2),
        results,
        vec![15, 18],
        stopped,
    )
}

fn rerun(seed: u64) -> String {
    format!("harness run --seed {seed} --ops 50")
}

#[test]
fn the_report_parses_with_one_case_per_seed_and_the_right_counts() {
    let xml = junit::report(&summary(), &rerun).to_string().unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("not XML: {e}\n{xml}"));
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let suite = suites
        .children()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    for node in [suites, suite] {
        assert_eq!(node.attribute("tests"), Some("7"), "{xml}");
        assert_eq!(node.attribute("failures"), Some("2"), "{xml}");
        assert_eq!(node.attribute("errors"), Some("1"), "{xml}");
        assert_eq!(node.attribute("skipped"), Some("2"), "{xml}");
    }
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(
        names,
        ["seed-0", "seed-3", "seed-6", "seed-9", "seed-12", "seed-15", "seed-18"]
    );
    let child = |name: &str, tag: &str| {
        let case = cases
            .iter()
            .find(|c| c.attribute("name") == Some(name))
            .unwrap();
        case.children().find(|n| n.has_tag_name(tag))
    };
    let failure = child("seed-3", "failure").expect("seed 3 failed");
    assert_eq!(failure.attribute("type"), Some("not-linearizable"));
    let message = failure.attribute("message").unwrap();
    assert!(
        message.contains("harness replay runs/sweep-0-10/seed-3"),
        "{message}"
    );
    assert!(message.contains("<&>"), "XML escapes round-trip: {message}");
    assert!(failure
        .text()
        .unwrap()
        .contains("harness run --seed 3 --ops 50"));
    assert_eq!(
        child("seed-9", "error").unwrap().attribute("type"),
        Some("error")
    );
    assert_eq!(
        child("seed-12", "failure").unwrap().attribute("type"),
        Some("unknown")
    );
    assert!(child("seed-15", "skipped").is_some());
    assert!(child("seed-0", "failure").is_none() && child("seed-0", "error").is_none());
}

#[test]
fn a_passing_sweep_has_no_failures() {
    let range = SeedRange { start: 5, end: 8 };
    let results = (5..8)
        .map(|s| result(s, SeedVerdict::Linearizable))
        .collect();
    let s = SweepSummary::new(
        range,
        Shard::ALL,
        1,
        Duration::from_secs(1),
        results,
        vec![],
        None,
    );
    assert_eq!(s.exit_code(), 0);
    let xml = junit::report(&s, &rerun).to_string().unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("tests"), Some("3"));
    assert_eq!(root.attribute("failures"), Some("0"));
    assert_eq!(
        root.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .count(),
        3
    );
}
