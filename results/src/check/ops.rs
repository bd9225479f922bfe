//! From a flat history to operations: each client invoke paired with its
//! completion (if any), grouped by key. Nemesis events are skipped. A
//! history that breaks the rules (a completion with no invoke, a second
//! invoke while one is open) is a [`FormatError`] naming the line.

use crate::history::{Event, EventType, FormatError, Process};
use crate::model::{Call, Outcome};
use std::collections::{BTreeMap, HashMap};

/// Names the file and line of an event, for error messages.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// The file, as the user named it.
    pub file: &'a str,
    /// The 1-based line of each event; `None` means event `i` is on line
    /// `i + 1` (a JSONL file without blank lines).
    pub lines: Option<&'a [usize]>,
}

impl Source<'_> {
    /// The line event `pos` came from.
    pub fn line(&self, pos: usize) -> usize {
        self.lines
            .and_then(|l| l.get(pos).copied())
            .unwrap_or(pos + 1)
    }

    /// An error about event `pos`.
    pub fn error(&self, pos: usize, message: String) -> FormatError {
        FormatError {
            file: self.file.to_string(),
            line: self.line(pos),
            message,
        }
    }
}

/// One client operation: its invoke and, if it came, its completion.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HistOp<'a> {
    pub invoke: &'a Event,
    pub invoke_pos: usize,
    pub completion: Option<(&'a Event, usize)>,
}

impl<'a> HistOp<'a> {
    /// The operation as a model sees it.
    pub fn call(&self) -> Call<'a> {
        let outcome = match self.completion {
            Some((c, _)) => match c.kind {
                EventType::Ok => Outcome::Ok(&c.value),
                EventType::Fail => Outcome::Fail(c.error.as_deref()),
                EventType::Info | EventType::Invoke => Outcome::Unknown,
            },
            None => Outcome::Unknown,
        };
        Call {
            f: &self.invoke.f,
            arg: &self.invoke.value,
            outcome,
        }
    }

    /// The history position of the completion, if it certainly happened or
    /// certainly did not (an `info` completion counts as never returning).
    pub fn return_pos(&self) -> Option<usize> {
        self.completion
            .filter(|(c, _)| c.kind != EventType::Info)
            .map(|(_, pos)| pos)
    }
}

/// Pairs invokes with completions and groups the operations by key, in
/// invoke order.
pub(crate) fn operations_by_key<'a>(
    events: &'a [Event],
    src: &Source<'_>,
) -> Result<BTreeMap<&'a str, Vec<HistOp<'a>>>, FormatError> {
    let mut ops: Vec<HistOp<'a>> = Vec::new();
    let mut open: HashMap<u64, usize> = HashMap::new();
    for (pos, e) in events.iter().enumerate() {
        let Process::Client(p) = e.process else {
            continue;
        };
        if e.key.is_none() {
            return Err(src.error(
                pos,
                format!(
                    "expected a \"key\" on process {p}'s {} {}",
                    cut(&e.f),
                    kind(e)
                ),
            ));
        }
        if e.kind == EventType::Invoke {
            if let Some(&i) = open.get(&p) {
                let line = src.line(ops[i].invoke_pos);
                return Err(src.error(
                    pos,
                    format!("process {p} invokes {} while its {} from line {line} is still open: expected a completion first", cut(&e.f), cut(&ops[i].invoke.f)),
                ));
            }
            open.insert(p, ops.len());
            ops.push(HistOp {
                invoke: e,
                invoke_pos: pos,
                completion: None,
            });
            continue;
        }
        let Some(i) = open.remove(&p) else {
            return Err(src.error(
                pos,
                format!("this {} of process {p} completes nothing: expected an invoke by process {p} first", kind(e)),
            ));
        };
        let inv = ops[i].invoke;
        if inv.f != e.f || inv.key != e.key {
            return Err(src.error(
                pos,
                format!(
                    "this {} is a {} on key {:?} but process {p}'s open operation (line {}) is a {} on key {:?}",
                    kind(e), cut(&e.f), cut(e.key.as_deref().unwrap_or("")), src.line(ops[i].invoke_pos), cut(&inv.f), cut(inv.key.as_deref().unwrap_or(""))
                ),
            ));
        }
        ops[i].completion = Some((e, pos));
    }
    let mut by_key: BTreeMap<&str, Vec<HistOp<'a>>> = BTreeMap::new();
    for op in ops {
        let key = op.invoke.key.as_deref().expect("checked above");
        by_key.entry(key).or_default().push(op);
    }
    Ok(by_key)
}

/// A name from the file, cut short for an error message.
fn cut(s: &str) -> String {
    crate::formats::excerpt(s)
}

fn kind(e: &Event) -> &'static str {
    match e.kind {
        EventType::Invoke => "invoke",
        EventType::Ok => "ok",
        EventType::Fail => "fail",
        EventType::Info => "info",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::History;
    use serde_json::json;

    const SRC: Source<'static> = Source {
        file: "h.jsonl",
        lines: None,
    };

    fn history(events: Vec<Event>) -> History {
        let mut h = History::new();
        for (t, e) in events.into_iter().enumerate() {
            h.push(t as u64, e);
        }
        h
    }

    #[test]
    fn pairs_and_groups() {
        let (p0, p1) = (Process::Client(0), Process::Client(1));
        let h = history(vec![
            Event::invoke(p0, "write", "x", json!(1)),
            Event::invoke(p1, "read", "y", json!(null)),
            Event::nemesis("pause-start", json!({})),
            Event::ok(p0, "write", "x", json!(1)),
            Event::info(p1, "read", "y", json!(null), "timeout"),
        ]);
        let by_key = operations_by_key(h.events(), &SRC).unwrap();
        assert_eq!(by_key.keys().copied().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(by_key["x"][0].return_pos(), Some(3));
        assert_eq!(by_key["y"][0].return_pos(), None);
        assert_eq!(by_key["y"][0].call().outcome, Outcome::Unknown);
    }

    #[test]
    fn malformed_histories_name_the_line() {
        let p0 = Process::Client(0);
        let cases = [
            (
                vec![Event::ok(p0, "read", "x", json!(1))],
                1,
                "completes nothing",
            ),
            (
                vec![
                    Event::invoke(p0, "read", "x", json!(null)),
                    Event::invoke(p0, "read", "x", json!(null)),
                ],
                2,
                "still open",
            ),
            (
                vec![
                    Event::invoke(p0, "read", "x", json!(null)),
                    Event::ok(p0, "write", "x", json!(1)),
                ],
                2,
                "open operation (line 1)",
            ),
        ];
        for (events, line, words) in cases {
            let err = operations_by_key(history(events).events(), &SRC).unwrap_err();
            assert_eq!(err.line, line, "{err}");
            assert!(err.message.contains(words), "{err}");
        }
    }
}
