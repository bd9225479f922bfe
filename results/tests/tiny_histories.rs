//! Tiny histories with known verdicts, written as tables (as Jepsen's
//! checker tests are), and larger generated ones that are linearizable by
//! construction.

mod support;

use results::{
    check_history, CheckOptions, CheckReport, Event, History, ModelKind, Process, Verdict,
};
use serde_json::{json, Value};

fn invoke(p: u64, f: &str, v: Value) -> Event {
    Event::invoke(Process::Client(p), f, "x", v)
}
fn ok(p: u64, f: &str, v: Value) -> Event {
    Event::ok(Process::Client(p), f, "x", v)
}
fn fail(p: u64, f: &str, v: Value, error: &str) -> Event {
    Event::fail(Process::Client(p), f, "x", v, error)
}
fn info(p: u64, f: &str, v: Value) -> Event {
    Event::info(Process::Client(p), f, "x", v, "timeout")
}
const NIL: Value = Value::Null;

fn check(events: Vec<Event>) -> CheckReport {
    let mut h = History::new();
    for (t, e) in events.into_iter().enumerate() {
        h.push(t as u64, e);
    }
    let opts = CheckOptions {
        model: Some(ModelKind::CasRegister),
        ..CheckOptions::default()
    };
    let report = check_history(&h, &opts).expect("well-formed");
    verified(&h, report)
}

/// `report`, once its witnesses (if valid) are verified.
fn verified(h: &History, report: CheckReport) -> CheckReport {
    if report.verdict.is_valid() {
        results::check::verify_history(h, &report).expect("the witness verifies");
    }
    report
}

#[rustfmt::skip]
#[test]
fn tiny_histories_get_their_verdicts() {
    let cases: Vec<(&str, bool, Vec<Event>)> = vec![
        ("empty",                               true,  vec![]),
        ("read of never-written is null",       true,  vec![invoke(0, "read", NIL), ok(0, "read", NIL)]),
        ("read of a value never written",       false, vec![invoke(0, "read", NIL), ok(0, "read", json!(7))]),
        ("read after write",                    true,  vec![invoke(0, "write", json!(1)), ok(0, "write", json!(1)),
                                                            invoke(1, "read", NIL), ok(1, "read", json!(1))]),
        ("stale read after a completed write",  false, vec![invoke(0, "write", json!(1)), ok(0, "write", json!(1)),
                                                            invoke(1, "read", NIL), ok(1, "read", NIL)]),
        ("concurrent read may see either",      true,  vec![invoke(0, "write", json!(1)), invoke(1, "read", NIL),
                                                            ok(1, "read", NIL), ok(0, "write", json!(1))]),
        ("failed write did not happen",         false, vec![invoke(0, "write", json!(1)), fail(0, "write", json!(1), "refused"),
                                                            invoke(1, "read", NIL), ok(1, "read", json!(1))]),
        ("info write may have happened",        true,  vec![invoke(0, "write", json!(1)), info(0, "write", json!(1)),
                                                            invoke(1, "read", NIL), ok(1, "read", json!(1))]),
        ("info write may never happen",         true,  vec![invoke(0, "write", json!(1)), info(0, "write", json!(1)),
                                                            invoke(1, "read", NIL), ok(1, "read", NIL)]),
        ("info write takes effect once",        false, vec![invoke(0, "write", json!(1)), info(0, "write", json!(1)),
                                                            invoke(1, "write", json!(2)), ok(1, "write", json!(2)),
                                                            invoke(2, "read", NIL), ok(2, "read", json!(1)),
                                                            invoke(2, "read", NIL), ok(2, "read", json!(2))]),
        ("unanswered write may happen late",    true,  vec![invoke(0, "write", json!(1)),
                                                            invoke(1, "read", NIL), ok(1, "read", NIL),
                                                            invoke(1, "read", NIL), ok(1, "read", json!(1))]),
        ("cas succeeds on the expected value",  true,  vec![invoke(0, "write", json!(1)), ok(0, "write", json!(1)),
                                                            invoke(0, "cas", json!([1, 2])), ok(0, "cas", json!([1, 2])),
                                                            invoke(1, "read", NIL), ok(1, "read", json!(2))]),
        ("cas cannot succeed on another value", false, vec![invoke(0, "write", json!(1)), ok(0, "write", json!(1)),
                                                            invoke(0, "cas", json!([3, 2])), ok(0, "cas", json!([3, 2]))]),
        ("cas-mismatch observes a difference",  false, vec![invoke(0, "write", json!(1)), ok(0, "write", json!(1)),
                                                            invoke(0, "cas", json!([1, 2])), fail(0, "cas", json!([1, 2]), "cas-mismatch")]),
        ("other cas failures are dropped",      true,  vec![invoke(0, "write", json!(1)), ok(0, "write", json!(1)),
                                                            invoke(0, "cas", json!([1, 2])), fail(0, "cas", json!([1, 2]), "not-leader")]),
        ("nemesis events are ignored",          true,  vec![Event::nemesis("pause-start", json!({"node": "n1"})),
                                                            invoke(0, "read", NIL), ok(0, "read", NIL)]),
    ];
    for (name, valid, events) in cases {
        let report = check(events);
        assert_eq!(report.verdict.is_valid(), valid, "{name}: {}", report.details());
        assert!(!matches!(report.verdict, Verdict::Unknown(_)), "{name}");
    }
}

#[test]
fn a_stale_read_is_explained_in_a_few_lines() {
    let report = check(vec![
        invoke(0, "write", json!(1)),
        ok(0, "write", json!(1)),
        invoke(1, "read", NIL),
        ok(1, "read", NIL),
    ]);
    let Verdict::Invalid(c) = &report.verdict else {
        panic!("{}", report.summary())
    };
    assert_eq!(
        (c.key.as_str(), c.linearized, c.state.as_str()),
        ("x", 1, "1")
    );
    assert_eq!(c.prefix, [0]);
    assert_eq!(c.stuck.len(), 1);
    assert_eq!(c.stuck[0].op.op, "read -> null");
    assert_eq!(c.stuck[0].why, "the register holds 1, not null");
    assert_eq!(c.closed_by, 3);
    let text = report.details();
    assert!(text.lines().count() < 12, "{text}");
}

#[test]
fn the_report_round_trips_through_json() {
    let mut report = check(vec![invoke(0, "read", NIL), ok(0, "read", json!(3))]);
    // Wall-clock figures are floats that JSON need not carry bit for bit.
    report.elapsed_ms = 1.5;
    report.per_key.iter_mut().for_each(|k| k.elapsed_ms = 0.5);
    let text = serde_json::to_string(&report).unwrap();
    assert!(
        text.starts_with(r#"{"valid":false,"counterexample":{"key":"x""#),
        "{text}"
    );
    assert_eq!(serde_json::from_str::<CheckReport>(&text).unwrap(), report);
}

#[test]
fn every_key_is_checked_on_its_own() {
    let mut h = History::new();
    for (t, (key, v)) in [("a", 1), ("b", 2)].into_iter().enumerate() {
        h.push(
            4 * t as u64,
            Event::invoke(Process::Client(0), "write", key, json!(v)),
        );
        h.push(
            4 * t as u64 + 1,
            Event::ok(Process::Client(0), "write", key, json!(v)),
        );
        h.push(
            4 * t as u64 + 2,
            Event::invoke(Process::Client(1), "read", key, NIL),
        );
        h.push(
            4 * t as u64 + 3,
            Event::ok(Process::Client(1), "read", key, json!(v)),
        );
    }
    let report = verified(&h, check_history(&h, &CheckOptions::default()).unwrap());
    assert_eq!(
        (report.keys, report.ops, report.model.as_str()),
        (2, 4, ModelKind::Kv.name())
    );
    assert!(report.verdict.is_valid(), "{}", report.details());
}

#[test]
fn a_tiny_budget_gives_unknown_not_a_verdict() {
    let shape = support::generate::Shape {
        ops: 2_000,
        keys: 1,
        concurrency: 8,
        info_rate: 0.05,
        values: 3,
    };
    let h = support::generate::linearizable(&shape, 3);
    let opts = CheckOptions {
        memory_bytes_max: 4_096,
        ..CheckOptions::default()
    };
    let report = check_history(&h, &opts).unwrap();
    assert!(
        matches!(report.verdict, Verdict::Unknown(_)),
        "{}",
        report.summary()
    );
}

#[test]
fn generated_linearizable_histories_are_valid() {
    for seed in 0..4 {
        let shape = support::generate::Shape {
            ops: 5_000,
            keys: 4,
            concurrency: 6,
            info_rate: 0.02,
            values: 4,
        };
        let h = support::generate::linearizable(&shape, seed);
        let report = verified(&h, check_history(&h, &CheckOptions::default()).unwrap());
        assert!(
            report.verdict.is_valid(),
            "seed {seed}: {}\n{}",
            report.summary(),
            report.details()
        );
    }
}

/// A long single-key history (many 64-operation words of the linearized
/// set, so the memo's window moves) with a violation planted at its end:
/// found, and the counterexample's prefix is nearly the whole valid part.
/// (Proving a violation means trying every order, so the history is kept
/// narrow: concurrency 3, no `info`.)
#[test]
fn a_violation_after_a_long_valid_history_is_found() {
    let shape = support::generate::Shape {
        ops: 5_000,
        keys: 1,
        concurrency: 3,
        info_rate: 0.0,
        values: 4,
    };
    let mut h = support::generate::linearizable(&shape, 5);
    let valid = verified(&h, check_history(&h, &CheckOptions::default()).unwrap());
    assert!(valid.verdict.is_valid(), "{}", valid.details());
    let p = Process::Client(1_000_000);
    let t = h.events().last().map_or(0, |e| e.time) + 1;
    h.push(t, Event::invoke(p, "read", "k0", NIL));
    h.push(t + 1, Event::ok(p, "read", "k0", json!(99)));
    let report = verified(&h, check_history(&h, &CheckOptions::default()).unwrap());
    let Verdict::Invalid(c) = &report.verdict else {
        panic!("{}", report.summary())
    };
    assert!(c.linearized > 4_900, "{c}");
}

/// An `info` write invoked at the start is the only explanation of a read
/// 10,000 operations later: unknown operations stay available however far
/// the window has moved.
#[test]
fn an_old_info_write_explains_a_late_read() {
    let mut events = vec![invoke(0, "write", json!(7)), info(0, "write", json!(7))];
    for i in 0..10_000u64 {
        let v = json!(i % 3);
        events.push(invoke(1 + i, "write", v.clone()));
        events.push(ok(1 + i, "write", v));
    }
    events.push(invoke(20_000, "read", NIL));
    events.push(ok(20_000, "read", json!(7)));
    assert!(check(events.clone()).verdict.is_valid());
    events.push(invoke(20_001, "read", NIL));
    events.push(ok(20_001, "read", json!(2)));
    assert_eq!(
        check(events).verdict.exit_code(),
        1,
        "7 was read last, not 2"
    );
}

/// A history in which no operation could have observed anything is
/// linearizable whatever the system did: it gets a verdict of its own
/// (exit code 6), and one real observation is enough to lift it.
#[rustfmt::skip]
#[test]
fn a_history_that_tested_nothing_is_not_valid() {
    let cases: Vec<(&str, bool, Vec<Event>)> = vec![
        ("empty", true, vec![]),
        ("every op timed out", true, vec![
            invoke(0, "write", json!(1)), info(0, "write", json!(1)),
            invoke(1, "read", NIL), info(1, "read", NIL),
            invoke(2, "cas", json!([1, 2])), info(2, "cas", json!([1, 2]))]),
        ("every op failed", true, vec![
            invoke(0, "write", json!(1)), fail(0, "write", json!(1), "unavailable"),
            invoke(1, "read", NIL), fail(1, "read", NIL, "unavailable")]),
        ("only writes", true, vec![
            invoke(0, "write", json!(1)), ok(0, "write", json!(1)),
            invoke(1, "write", json!(2)), ok(1, "write", json!(2))]),
        ("a read of the initial value", false, vec![
            invoke(0, "read", NIL), ok(0, "read", NIL)]),
        ("a cas that succeeded", false, vec![
            invoke(0, "write", json!(1)), info(0, "write", json!(1)),
            invoke(1, "cas", json!([1, 2])), ok(1, "cas", json!([1, 2]))]),
        ("a cas that saw a mismatch", false, vec![
            invoke(0, "cas", json!([1, 2])), fail(0, "cas", json!([1, 2]), "cas-mismatch")]),
    ];
    for (name, vacuous, events) in cases {
        let report = check(events);
        assert_eq!(report.tested_nothing(), vacuous, "{name}: {}", report.summary());
        if vacuous {
            assert_eq!(report.exit_code(), 6, "{name}");
            assert!(report.summary().starts_with("VACUOUS"), "{name}: {}", report.summary());
            assert!(report.details().contains("tested nothing"), "{name}");
            let json = serde_json::to_string(&report).unwrap();
            assert!(json.contains(r#""tested_nothing":true"#), "{name}: {json}");
        } else {
            assert_eq!(report.exit_code(), 0, "{name}: {}", report.summary());
        }
    }
}

/// A violation is never hidden behind "tested nothing".
#[test]
fn an_invalid_history_is_invalid_even_with_one_observation() {
    let report = check(vec![
        invoke(0, "cas", json!([1, 2])),
        fail(0, "cas", json!([1, 2]), "cas-mismatch"),
        invoke(0, "cas", json!([5, 6])),
        ok(0, "cas", json!([5, 6])),
    ]);
    assert!(!report.tested_nothing());
    assert_eq!(report.exit_code(), 1);
}
