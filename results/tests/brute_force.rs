//! The checker against a brute-force one that tries every order, on 10,000
//! random small histories (up to 8 operations, up to 4 processes at once,
//! with `fail`, `info` and unanswered operations), for the register and the
//! cas-register: zero disagreements.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use results::{
    check_history, CheckOptions, Event, EventType, History, ModelKind, Process, Verdict,
};
use serde_json::{json, Value};

const OPS_MAX: usize = 8;
const CONCURRENCY: usize = 4;

/// One raw draw: which process acts, and the dice for what it does.
type Draw = (usize, u8, i64, i64, u8);

/// Turns draws into a well-formed history: a draw on an idle process
/// invokes (while fewer than OPS_MAX were invoked), on a busy one completes.
fn history(draws: &[Draw], cas: bool) -> History {
    let mut h = History::new();
    let mut busy: [Option<(u64, &'static str, Value)>; CONCURRENCY] = Default::default();
    let mut ids: [u64; CONCURRENCY] = [0, 1, 2, 3];
    let mut invoked = 0;
    for (t, &(slot, kind, a, b, end)) in draws.iter().enumerate() {
        let t = t as u64;
        match busy[slot].take() {
            None if invoked < OPS_MAX => {
                let (f, arg) = match kind % if cas { 3 } else { 2 } {
                    0 => ("read", Value::Null),
                    1 => ("write", json!(a)),
                    _ => ("cas", json!([a, b])),
                };
                h.push(
                    t,
                    Event::invoke(Process::Client(ids[slot]), f, "x", arg.clone()),
                );
                busy[slot] = Some((ids[slot], f, arg));
                invoked += 1;
            }
            None => {}
            Some((p, f, arg)) => {
                let p = Process::Client(p);
                let e = match end {
                    0..=5 => match f {
                        "read" => Event::ok(p, f, "x", if b == 0 { Value::Null } else { json!(a) }),
                        _ => Event::ok(p, f, "x", arg),
                    },
                    6 if f == "cas" => Event::fail(p, f, "x", arg, "cas-mismatch"),
                    6 | 7 => Event::fail(p, f, "x", arg, "refused"),
                    _ => {
                        ids[slot] += CONCURRENCY as u64;
                        Event::info(p, f, "x", arg, "timeout")
                    }
                };
                h.push(t, e);
            }
        }
    }
    h
}

/// An operation as the brute force sees it.
struct Op {
    f: String,
    arg: Value,
    read: Option<i64>,
    /// Must be placed (it completed `ok`, or is a failed-cas observation).
    required: bool,
    /// Dropped entirely (a failed op, or a read with no result).
    ignored: bool,
    invoke: usize,
    complete: Option<usize>,
}

fn ops(h: &History) -> Vec<Op> {
    let mut out: Vec<Op> = Vec::new();
    let mut open = std::collections::BTreeMap::new();
    for (pos, e) in h.events().iter().enumerate() {
        if e.kind == EventType::Invoke {
            open.insert(e.process, out.len());
            let op = Op {
                f: e.f.clone(),
                arg: e.value.clone(),
                read: None,
                required: false,
                ignored: e.f == "read",
                invoke: pos,
                complete: None,
            };
            out.push(op);
            continue;
        }
        let op = &mut out[open.remove(&e.process).expect("well-formed")];
        match e.kind {
            EventType::Ok => {
                (op.required, op.ignored, op.complete) = (true, false, Some(pos));
                op.read = e.value.as_i64();
            }
            EventType::Fail if e.error.as_deref() == Some("cas-mismatch") => {
                (op.required, op.ignored, op.complete, op.f) =
                    (true, false, Some(pos), "cas-mismatch".into());
            }
            EventType::Fail => op.ignored = true,
            _ => {}
        }
    }
    out
}

/// Tries every order of the operations, placing each required operation
/// and any subset of the unknown ones, respecting real time.
fn brute_force(h: &History) -> bool {
    let ops = ops(h);
    fn go(
        ops: &[Op],
        placed: u32,
        state: Option<i64>,
        seen: &mut std::collections::HashSet<(u32, Option<i64>)>,
    ) -> bool {
        if ops
            .iter()
            .enumerate()
            .all(|(i, o)| !o.required || placed & (1 << i) != 0)
        {
            return true;
        }
        if !seen.insert((placed, state)) {
            return false;
        }
        for (i, o) in ops.iter().enumerate() {
            let ready = placed & (1 << i) == 0
                && !o.ignored
                && ops.iter().enumerate().all(|(j, p)| {
                    !p.required || placed & (1 << j) != 0 || p.complete.is_none_or(|c| c > o.invoke)
                });
            if !ready {
                continue;
            }
            let next = match o.f.as_str() {
                "read" => (state == o.read).then_some(state),
                "write" => Some(o.arg.as_i64()),
                "cas" => (state == o.arg[0].as_i64()).then_some(o.arg[1].as_i64()),
                _ => (state != o.arg[0].as_i64()).then_some(state),
            };
            if let Some(next) = next {
                if go(ops, placed | (1 << i), next, seen) {
                    return true;
                }
            }
        }
        false
    }
    go(&ops, 0, None, &mut Default::default())
}

fn draws() -> impl Strategy<Value = Vec<Draw>> {
    prop::collection::vec((0..CONCURRENCY, 0..3u8, 0..3i64, 0..3i64, 0..10u8), 1..20)
}

fn agree(draws: &[Draw], model: ModelKind) -> Result<(), TestCaseError> {
    let h = history(draws, model == ModelKind::CasRegister);
    let opts = CheckOptions {
        model: Some(model),
        threads: 1,
        ..CheckOptions::default()
    };
    let report = check_history(&h, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let expected = brute_force(&h);
    prop_assert!(!matches!(report.verdict, Verdict::Unknown(_)));
    prop_assert_eq!(
        report.verdict.is_valid(),
        expected,
        "history:\n{}",
        h.to_jsonl()
    );
    Ok(())
}

proptest! {
    #![proptest_config(Config::with_cases(5_000))]

    #[test]
    fn register_agrees_with_brute_force(draws in draws()) {
        agree(&draws, ModelKind::Register)?;
    }

    #[test]
    fn cas_register_agrees_with_brute_force(draws in draws()) {
        agree(&draws, ModelKind::CasRegister)?;
    }
}

/// The generator is useful only if it makes both kinds of history.
#[test]
fn generated_histories_are_both_valid_and_invalid() {
    let mut runner = TestRunner::deterministic();
    let (mut valid, n) = (0, 1000);
    for _ in 0..n {
        let d = draws().new_tree(&mut runner).expect("strategy").current();
        valid += usize::from(brute_force(&history(&d, true)));
    }
    assert!(
        (n / 10..n * 9 / 10).contains(&valid),
        "{valid} of {n} valid"
    );
}
