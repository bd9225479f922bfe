//! Checking a valid verdict's witness, apart from the search: replay the
//! model along each key's linearization order and check every real-time
//! constraint (an operation cannot take effect before one that returned
//! before it was invoked). Shares nothing with the search but the pairing
//! of invokes with completions and the model's own translation of calls.

use super::ops::{operations_by_key, HistOp, Source};
use super::{CheckReport, Witness};
use crate::history::Event;
use crate::model::{AppendKv, Model, ModelKind, Mutex, Register};
use crate::verdict::Verdict;
use std::collections::BTreeMap;

/// Verifies the witnesses of `report` (a check of `events` against a
/// built-in model, named by `report.model`): the number of keys verified,
/// or what is wrong.
pub fn verify_events(
    events: &[Event],
    src: &Source<'_>,
    report: &CheckReport,
) -> Result<usize, String> {
    let kind: ModelKind = report.model.parse()?;
    match kind {
        ModelKind::Register => {
            let model = Register::PLAIN.starting_at(report.initial);
            verify_events_with(events, src, &model, report)
        }
        ModelKind::CasRegister | ModelKind::Kv => {
            let model = Register::CAS.starting_at(report.initial);
            verify_events_with(events, src, &model, report)
        }
        ModelKind::AppendKv => verify_events_with(events, src, &AppendKv, report),
        ModelKind::Mutex => verify_events_with(events, src, &Mutex, report),
    }
}

/// [`verify_events`] for a history built in memory.
pub fn verify_history(history: &crate::History, report: &CheckReport) -> Result<usize, String> {
    let src = Source {
        file: "<history>",
        lines: None,
    };
    verify_events(history.events(), &src, report)
}

/// Verifies every valid key of `report` against `model`: each must carry a
/// witness naming every operation that completed (and that the model
/// constrains) exactly once, operations of unknown outcome at most once, in
/// an order the model accepts from its initial state and that respects real
/// time. The number of keys verified, or what is wrong.
pub fn verify_events_with<M: Model>(
    events: &[Event],
    src: &Source<'_>,
    model: &M,
    report: &CheckReport,
) -> Result<usize, String> {
    let by_key = operations_by_key(events, src).map_err(|e| e.to_string())?;
    let mut verified = 0;
    for k in &report.per_key {
        if k.verdict != Verdict::Valid {
            continue;
        }
        let witness = k
            .witness
            .as_ref()
            .ok_or_else(|| format!("key {:?} is valid but has no witness", k.key))?;
        let ops = by_key
            .get(k.key.as_str())
            .ok_or_else(|| format!("key {:?} is not in the history", k.key))?;
        verify_key(model, ops, witness).map_err(|e| format!("key {:?}: {e}", k.key))?;
        verified += 1;
    }
    Ok(verified)
}

fn verify_key<M: Model>(model: &M, ops: &[HistOp<'_>], witness: &Witness) -> Result<(), String> {
    let by_index: BTreeMap<u64, usize> = ops
        .iter()
        .enumerate()
        .map(|(i, h)| (h.invoke.index, i))
        .collect();
    let find = |index: u64| {
        by_index
            .get(&index)
            .copied()
            .ok_or_else(|| format!("event #{index} is not the invoke of an operation on this key"))
    };
    let translated: Vec<Option<M::Op>> = ops
        .iter()
        .map(|h| model.op(&h.call()))
        .collect::<Result<_, _>>()?;
    let mut placed = vec![false; ops.len()];
    let mut state = model.init();
    let mut call_max = 0usize;
    for &index in &witness.order {
        let i = find(index)?;
        if std::mem::replace(&mut placed[i], true) {
            return Err(format!("operation #{index} is in the order twice"));
        }
        let op = translated[i]
            .as_ref()
            .ok_or_else(|| format!("operation #{index} cannot take effect (the model drops it)"))?;
        state = model.step(&state, op).ok_or_else(|| {
            format!(
                "operation #{index} ({}) cannot come next: {}",
                model.describe_op(op),
                model.refusal(&state, op)
            )
        })?;
        call_max = call_max.max(ops[i].invoke_pos);
        if let Some(ret) = ops[i].return_pos() {
            if ret < call_max {
                return Err(format!(
                    "operation #{index} returned before an operation ordered before it was invoked"
                ));
            }
        }
    }
    for &index in &witness.not_taken {
        let i = find(index)?;
        if placed[i] || ops[i].return_pos().is_some() {
            return Err(format!(
                "operation #{index} is said never to have happened, but it completed or is in the order"
            ));
        }
    }
    for (i, h) in ops.iter().enumerate() {
        if !placed[i] && translated[i].is_some() && h.return_pos().is_some() {
            return Err(format!(
                "operation #{} completed but is not in the order",
                h.invoke.index
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{check_history, CheckOptions};
    use crate::history::{History, Process};
    use serde_json::json;

    fn history() -> History {
        let (a, b, c) = (Process::Client(0), Process::Client(1), Process::Client(2));
        let mut h = History::new();
        h.push(1, Event::invoke(a, "write", "x", json!(1)));
        h.push(2, Event::invoke(b, "write", "x", json!(2)));
        h.push(3, Event::ok(a, "write", "x", json!(1)));
        h.push(4, Event::invoke(c, "write", "x", json!(3)));
        h.push(5, Event::info(c, "write", "x", json!(3), "timeout"));
        h.push(6, Event::ok(b, "write", "x", json!(2)));
        h.push(7, Event::invoke(a, "read", "x", json!(null)));
        h.push(8, Event::ok(a, "read", "x", json!(1)));
        h
    }

    #[test]
    fn a_valid_verdict_verifies_and_a_corrupted_witness_does_not() {
        let h = history();
        let report = check_history(&h, &CheckOptions::default()).unwrap();
        assert!(report.verdict.is_valid(), "{}", report.details());
        assert_eq!(verify_history(&h, &report), Ok(1));
        let w = report.per_key[0].witness.clone().unwrap();
        // write 2, write 1, read 1; the info write 3 never happened.
        assert_eq!(w.order, [1, 0, 6]);
        assert_eq!(w.not_taken, [3]);
        let corrupt = |edit: &dyn Fn(&mut Witness)| {
            let mut bad = report.clone();
            edit(bad.per_key[0].witness.as_mut().unwrap());
            verify_history(&h, &bad).unwrap_err()
        };
        // The read sees 1, but the last write would be 2.
        assert!(corrupt(&|w| w.order.swap(0, 1)).contains("cannot come next"));
        // A completed operation left out.
        assert!(corrupt(&|w| {
            w.order.remove(0);
        })
        .contains("not in the order"));
        assert!(corrupt(&|w| w.order.push(6)).contains("twice"));
        assert!(corrupt(&|w| w.order.push(99)).contains("not the invoke"));
        assert!(corrupt(&|w| w.not_taken.push(0)).contains("never to have happened"));
        let mut none = report.clone();
        none.per_key[0].witness = None;
        assert!(verify_history(&h, &none)
            .unwrap_err()
            .contains("no witness"));
    }

    #[test]
    fn real_time_is_checked() {
        // write 1 returns (#1) before read -> null is invoked (#2): the
        // order read, write is refused by real time though the model takes it.
        let a = Process::Client(0);
        let mut h = History::new();
        h.push(1, Event::invoke(a, "write", "x", json!(1)));
        h.push(2, Event::ok(a, "write", "x", json!(1)));
        h.push(3, Event::invoke(a, "read", "x", json!(1)));
        h.push(4, Event::ok(a, "read", "x", json!(1)));
        let mut report = check_history(&h, &CheckOptions::default()).unwrap();
        assert_eq!(verify_history(&h, &report), Ok(1));
        // Place an unconstrained write 1 after the read: same model states.
        let mut h2 = h.clone();
        h2.push(5, Event::invoke(a, "write", "x", json!(1)));
        h2.push(6, Event::ok(a, "write", "x", json!(1)));
        report = check_history(&h2, &CheckOptions::default()).unwrap();
        report.per_key[0].witness.as_mut().unwrap().order = vec![4, 0, 2];
        let err = verify_history(&h2, &report).unwrap_err();
        assert!(err.contains("returned before"), "{err}");
    }
}
