//! Turning the point where the search got furthest into a counterexample a
//! person can read.

use super::ops::HistOp;
use super::search::Stuck;
use crate::history::EventType;
use crate::model::Model;
use crate::verdict::{Counterexample, OpView, StuckOp};

/// How many operations of the prefix the text shows.
const TAIL_LEN: usize = 5;

/// The counterexample for `key` from where the search got stuck.
pub(crate) fn counterexample<M: Model>(
    model: &M,
    key: &str,
    hist: &[HistOp<'_>],
    ops: &[M::Op],
    stuck: &Stuck<M::State>,
) -> Counterexample {
    let view = |i: u32| view(model, &hist[i as usize], &ops[i as usize]);
    let tail_from = stuck.prefix.len().saturating_sub(TAIL_LEN);
    let closing = &hist[stuck.closed_by as usize];
    Counterexample {
        key: key.to_string(),
        linearized: stuck.prefix.len(),
        prefix: stuck
            .prefix
            .iter()
            .map(|&i| hist[i as usize].invoke.index)
            .collect(),
        prefix_tail: stuck.prefix[tail_from..].iter().map(|&i| view(i)).collect(),
        state: model.describe_state(&stuck.state),
        stuck: stuck
            .candidates
            .iter()
            .map(|&i| {
                let op = &ops[i as usize];
                let why = match model.step(&stuck.state, op) {
                    None => model.refusal(&stuck.state, op),
                    Some(_) => "possible here, but every order of the rest then fails".into(),
                };
                StuckOp { op: view(i), why }
            })
            .collect(),
        closed_by: closing
            .completion
            .map_or(closing.invoke.index, |(c, _)| c.index),
    }
}

fn view<M: Model>(model: &M, h: &HistOp<'_>, op: &M::Op) -> OpView {
    let suffix = match h.completion.map(|(c, _)| c.kind) {
        Some(EventType::Info) => " (info)",
        None => " (no reply)",
        _ => "",
    };
    OpView {
        process: h.invoke.process.to_string(),
        op: format!("{}{suffix}", model.describe_op(op)),
        invoke_index: h.invoke.index,
        complete_index: h.completion.map(|(c, _)| c.index),
    }
}
