//! Porcupine's etcd logs: Jepsen's text log of a single compare-and-set
//! register. Only lines `INFO  jepsen.util - P  :TYPE  :F  VALUE` matter.
//!
//! A `:fail :cas` means the compare failed (an observation, written as a
//! `fail` with error `cas-mismatch`); a `:timed-out` completion means the
//! outcome is unknown (written as `info`).

use super::edn::{Edn, Reader};
use super::{excerpt, Deadline, LoadError, SINGLE_KEY};
use crate::history::{Event, EventType, FormatError, History, Process};
use serde_json::Value;

/// The marker of the log lines that carry operations.
pub const MARKER: &str = "jepsen.util - ";

/// Reads an etcd log; returns the events and the line of each.
pub fn read(text: &str, file: &str) -> Result<(History, Vec<usize>), FormatError> {
    read_within(text, file, Deadline(None)).map_err(LoadError::into_format)
}

/// [`read`], stopping at `deadline`.
pub(crate) fn read_within(
    text: &str,
    file: &str,
    deadline: Deadline,
) -> Result<(History, Vec<usize>), LoadError> {
    let (mut events, mut lines) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        let Some((_, rest)) = line.split_once(MARKER) else {
            continue;
        };
        deadline.check(events.len(), file, n + 1)?;
        let seq = events.len() as u64;
        let mut e = event(rest).map_err(|message| FormatError {
            file: file.to_string(),
            line: n + 1,
            message,
        })?;
        (e.index, e.time) = (seq, seq);
        events.push(e);
        lines.push(n + 1);
    }
    if events.is_empty() {
        return Err(FormatError {
            file: file.to_string(),
            line: 0,
            message: format!("expected lines containing {MARKER:?}, found none"),
        }
        .into());
    }
    Ok((History::from_events(events), lines))
}

fn event(rest: &str) -> Result<Event, String> {
    const EXPECTED: &str = "expected `P :TYPE :F VALUE` after \"jepsen.util - \"";
    let mut parts = rest.split_whitespace();
    let (Some(p), Some(kind), Some(f)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("{EXPECTED}, got {:?}", excerpt(rest)));
    };
    let process = Process::Client(
        p.parse()
            .map_err(|_| format!("expected a process number, got {:?}", excerpt(p)))?,
    );
    let f = f
        .strip_prefix(':')
        .ok_or_else(|| format!("expected :read, :write or :cas, got {:?}", excerpt(f)))?;
    let value_text = parts.collect::<Vec<_>>().join(" ");
    let value = parse_value(&value_text)?;
    let timed_out = value == Edn::Keyword("timed-out".into());
    let json = if timed_out {
        Value::Null
    } else {
        value.to_json()
    };
    let (kind, error) = match kind {
        ":invoke" => (EventType::Invoke, None),
        ":ok" => (EventType::Ok, None),
        ":info" => (EventType::Info, Some("timed-out")),
        ":fail" if timed_out => (EventType::Info, Some("timed-out")),
        ":fail" if f == "cas" => (EventType::Fail, Some("cas-mismatch")),
        ":fail" => (EventType::Fail, Some("fail")),
        k => {
            return Err(format!(
                "expected :invoke, :ok, :fail or :info, got {:?}",
                excerpt(k)
            ))
        }
    };
    let mut e = Event::invoke(process, f, SINGLE_KEY, json);
    e.kind = kind;
    e.error = error.map(str::to_string);
    Ok(e)
}

fn parse_value(text: &str) -> Result<Edn, String> {
    if text.is_empty() {
        return Ok(Edn::Nil);
    }
    let mut r = Reader::new(text);
    match r.next_form(None) {
        Ok(Some((_, v))) => Ok(v),
        Ok(None) => Ok(Edn::Nil),
        Err((_, m)) => Err(format!("expected a value such as nil, 3 or [1 2]: {m}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_lines_that_matter() {
        let text = "INFO  jepsen.core - starting\nINFO  jepsen.util - 4\t:invoke\t:cas\t[1 2]\nINFO  jepsen.util - 4   :fail   :cas    [1 2]\nINFO  jepsen.util - 3\t:invoke\t:read\tnil\nINFO  jepsen.util - 3\t:fail\t:read\t:timed-out\n";
        let (h, lines) = read(text, "etcd.log").unwrap();
        let e = h.events();
        assert_eq!(lines, [2, 3, 4, 5]);
        assert_eq!(
            (e[0].kind, &e[0].value, e[0].process),
            (EventType::Invoke, &json!([1, 2]), Process::Client(4))
        );
        assert_eq!(
            (e[1].kind, e[1].error.as_deref()),
            (EventType::Fail, Some("cas-mismatch"))
        );
        assert_eq!((e[3].kind, &e[3].value), (EventType::Info, &Value::Null));
    }

    #[test]
    fn bad_lines_are_named() {
        let err = read("x\nINFO  jepsen.util - 1\t:invoke\n", "etcd.log").unwrap_err();
        assert_eq!(err.line, 2);
        let err = read("INFO  jepsen.util - 1\t:begin\t:read\tnil\n", "etcd.log").unwrap_err();
        assert!(err.message.contains(":invoke"), "{err}");
        assert_eq!(read("nothing here", "e.log").unwrap_err().line, 0);
    }
}
