//! The checker against a brute-force one that tries every order, on 25,000
//! random small histories (up to 8 operations, up to 4 processes at once,
//! with `fail`, `info` and unanswered operations), for the register, the
//! cas-register and append-kv: zero disagreements. 10,000 of them are
//! timeout-heavy (half the completions `info`, few values), so that the
//! search's rules for operations of unknown outcome (never placed where
//! they change nothing or right before an operation that can do without
//! them) fire in most cases.

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

/// Strings a get may return: short words of the letters appends add, so
/// that many are reachable and several orders give the same string.
const READS: [&str; 9] = ["", "a", "b", "ab", "ba", "aa", "bb", "aba", "abb"];
/// What appends add and puts write.
const PIECES: [&str; 3] = ["a", "b", "ab"];

/// An operation and its argument drawn for `model` from dice.
fn invocation(model: ModelKind, kind: u8, a: i64, b: i64) -> (&'static str, Value) {
    let kind = if model == ModelKind::Register {
        kind % 2
    } else {
        kind % 3
    };
    match (model, kind) {
        (ModelKind::AppendKv, 0) => ("get", Value::Null),
        (ModelKind::AppendKv, 1) => ("append", json!(PIECES[a as usize])),
        (ModelKind::AppendKv, _) => ("put", json!(PIECES[(a + b) as usize % 3])),
        (_, 0) => ("read", Value::Null),
        (ModelKind::CasRegister, 2) => ("cas", json!([a, b])),
        _ => ("write", json!(a)),
    }
}

/// Turns draws into a well-formed history: a draw on an idle process
/// invokes (while fewer than OPS_MAX were invoked), on a busy one completes.
fn history(draws: &[Draw], model: ModelKind) -> History {
    let mut h = History::new();
    let mut busy: [Option<(u64, &'static str, Value)>; CONCURRENCY] = Default::default();
    let mut ids: [u64; CONCURRENCY] = [0, 1, 2, 3];
    let mut invoked = 0;
    for (t, &(slot, kind, a, b, end)) in draws.iter().enumerate() {
        let t = t as u64;
        match busy[slot].take() {
            None if invoked < OPS_MAX => {
                let (f, arg) = invocation(model, kind, a, b);
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
                        "get" => Event::ok(p, f, "x", json!(READS[(3 * a + b) as usize])),
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
    /// What a read or get returned.
    read: Value,
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
                read: Value::Null,
                required: false,
                ignored: e.f == "read" || e.f == "get",
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
                op.read = e.value.clone();
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

/// The state after `o`, if it can happen in `state` (a register holds
/// `null` or a number, an append-kv key a string).
fn step(o: &Op, state: &Value) -> Option<Value> {
    match o.f.as_str() {
        "read" | "get" => (*state == o.read).then(|| state.clone()),
        "write" | "put" => Some(o.arg.clone()),
        "cas" => (*state == o.arg[0]).then(|| o.arg[1].clone()),
        "cas-mismatch" => (*state != o.arg[0]).then(|| state.clone()),
        "append" => Some(json!(format!(
            "{}{}",
            state.as_str().expect("a string"),
            o.arg.as_str().expect("a string")
        ))),
        f => panic!("unexpected operation {f}"),
    }
}

/// Tries every order of the operations, placing each required operation
/// and any subset of the unknown ones, respecting real time.
fn brute_force(h: &History, model: ModelKind) -> bool {
    let ops = ops(h);
    fn go(
        ops: &[Op],
        placed: u32,
        state: Value,
        seen: &mut std::collections::HashSet<(u32, String)>,
    ) -> bool {
        if ops
            .iter()
            .enumerate()
            .all(|(i, o)| !o.required || placed & (1 << i) != 0)
        {
            return true;
        }
        if !seen.insert((placed, state.to_string())) {
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
            if let Some(next) = step(o, &state) {
                if go(ops, placed | (1 << i), next, seen) {
                    return true;
                }
            }
        }
        false
    }
    let init = match model {
        ModelKind::AppendKv => json!(""),
        _ => Value::Null,
    };
    go(&ops, 0, init, &mut Default::default())
}

fn draws() -> impl Strategy<Value = Vec<Draw>> {
    prop::collection::vec((0..CONCURRENCY, 0..3u8, 0..3i64, 0..3i64, 0..10u8), 1..20)
}

/// Draws in which half the completions are `info` and an eighth failed
/// cas-mismatches, and at least half the operations write (a write or a
/// cas): many operations of unknown outcome, writing values that collide.
fn timeout_heavy_draws() -> impl Strategy<Value = Vec<Draw>> {
    // Kind 1 is a write for both registers, 2 a cas (a read for the plain
    // register).
    let kind = prop::sample::select(vec![0u8, 1, 1, 1, 2, 2]);
    let end = prop::sample::select(vec![0u8, 1, 2, 6, 8, 9, 8, 9]);
    prop::collection::vec((0..CONCURRENCY, kind, 0..3i64, 0..3i64, end), 1..28)
}

fn agree(draws: &[Draw], model: ModelKind) -> Result<(), TestCaseError> {
    let h = history(draws, model);
    let opts = CheckOptions {
        model: Some(model),
        threads: 1,
        ..CheckOptions::default()
    };
    let report = check_history(&h, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let expected = brute_force(&h, model);
    if report.verdict.is_valid() {
        results::check::verify_history(&h, &report).map_err(TestCaseError::fail)?;
    }
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

    #[test]
    fn append_kv_agrees_with_brute_force(draws in draws()) {
        agree(&draws, ModelKind::AppendKv)?;
    }

    #[test]
    fn timeout_heavy_cas_register_agrees_with_brute_force(draws in timeout_heavy_draws()) {
        agree(&draws, ModelKind::CasRegister)?;
    }

    #[test]
    fn timeout_heavy_register_agrees_with_brute_force(draws in timeout_heavy_draws()) {
        agree(&draws, ModelKind::Register)?;
    }
}

/// The timeout-heavy generator is useful only if its histories have several
/// operations of unknown outcome that change the state, and come out both
/// valid and invalid.
#[test]
fn timeout_heavy_histories_have_many_unknown_writes() {
    for model in [ModelKind::Register, ModelKind::CasRegister] {
        let mut runner = TestRunner::deterministic();
        let (mut valid, mut several, n) = (0, 0, 1000);
        for _ in 0..n {
            let d = timeout_heavy_draws()
                .new_tree(&mut runner)
                .expect("strategy")
                .current();
            let h = history(&d, model);
            let unknown = ops(&h)
                .iter()
                .filter(|o| o.complete.is_none() && !o.ignored && o.f != "read")
                .count();
            several += usize::from(unknown >= 2);
            valid += usize::from(brute_force(&h, model));
        }
        assert!(
            several > n / 2,
            "{model}: {several} of {n} with 2+ unknown writes"
        );
        assert!(
            (n / 10..n * 9 / 10).contains(&valid),
            "{model}: {valid} of {n} valid"
        );
    }
}

/// The generator is useful only if it makes both kinds of history, for
/// every model.
#[test]
fn generated_histories_are_both_valid_and_invalid() {
    for model in [ModelKind::CasRegister, ModelKind::AppendKv] {
        let mut runner = TestRunner::deterministic();
        let (mut valid, n) = (0, 1000);
        for _ in 0..n {
            let d = draws().new_tree(&mut runner).expect("strategy").current();
            valid += usize::from(brute_force(&history(&d, model), model));
        }
        assert!(
            (n / 10..n * 9 / 10).contains(&valid),
            "{model}: {valid} of {n} valid"
        );
    }
}
