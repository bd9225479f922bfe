//! The history: a flat, append-only list of [`Event`]s in the order they
//! happened, and its JSONL file format (one event per line, as in DESIGN.md).
//!
//! Modelled on Jepsen's: every client operation is an `invoke` followed by
//! exactly one completion (`ok`, `fail` or `info`); nemesis events use the
//! process `"nemesis"`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;
use std::io::{self, Write};

/// Who issued an event: a client process (by number) or the nemesis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Process {
    /// A logical client process. A process with an `info` op never invokes
    /// again; its client continues under a fresh number.
    Client(u64),
    /// The fault injector; written as the string `"nemesis"`.
    Nemesis,
}

impl Serialize for Process {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Process::Client(n) => s.serialize_u64(*n),
            Process::Nemesis => s.serialize_str("nemesis"),
        }
    }
}

impl<'de> Deserialize<'de> for Process {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n.as_u64().map(Process::Client).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "process must be a non-negative integer or \"nemesis\", got {n}"
                ))
            }),
            Value::String(s) if s == "nemesis" => Ok(Process::Nemesis),
            other => Err(serde::de::Error::custom(format!(
                "process must be a non-negative integer or \"nemesis\", got {other}"
            ))),
        }
    }
}

impl fmt::Display for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Process::Client(n) => write!(f, "{n}"),
            Process::Nemesis => f.write_str("nemesis"),
        }
    }
}

/// What an event says about its operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    /// The operation began.
    Invoke,
    /// The operation certainly happened.
    Ok,
    /// The operation certainly did not happen.
    Fail,
    /// Unknown: it may take effect at any point after its invoke, or never.
    Info,
}

/// One line of a history.
///
/// `f` is the operation (`read`, `write`, `cas` for clients; for the nemesis
/// a fault such as `pause-start`), `value` its argument or result: `null` at
/// a read's invoke and the value read at its `ok`, the written integer for
/// `write`, `[expected, new]` for `cas`, and a free-form object for faults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the history, from 0; set by [`History::push`].
    pub index: u64,
    /// Simulated nanoseconds since the run began (true time, not a node's
    /// skewed clock); set by [`History::push`].
    pub time: u64,
    /// Who issued it.
    pub process: Process,
    /// Invoke or one of the three completions.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The operation's name.
    pub f: String,
    /// The key a client operation touches; absent for nemesis events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Argument or result, as described on the type.
    #[serde(default)]
    pub value: Value,
    /// Why an operation failed or is indeterminate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// On a completion: the host name of the node that served the
    /// operation, where the client adapter can tell
    /// (`harness::Client::served_by`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

impl Event {
    fn new(process: Process, kind: EventType, f: &str, key: Option<&str>, value: Value) -> Self {
        Event {
            index: 0,
            time: 0,
            process,
            kind,
            f: f.to_string(),
            key: key.map(str::to_string),
            value,
            error: None,
            node: None,
        }
    }

    /// A client operation begins.
    pub fn invoke(process: Process, f: &str, key: &str, value: Value) -> Self {
        Self::new(process, EventType::Invoke, f, Some(key), value)
    }

    /// A client operation certainly happened, with this result.
    pub fn ok(process: Process, f: &str, key: &str, value: Value) -> Self {
        Self::new(process, EventType::Ok, f, Some(key), value)
    }

    /// A client operation certainly did not happen.
    pub fn fail(process: Process, f: &str, key: &str, value: Value, error: &str) -> Self {
        Self::new(process, EventType::Fail, f, Some(key), value).with_error(error)
    }

    /// A client operation's outcome is unknown.
    pub fn info(process: Process, f: &str, key: &str, value: Value, error: &str) -> Self {
        Self::new(process, EventType::Info, f, Some(key), value).with_error(error)
    }

    /// A nemesis event: the start or end of a fault, described by `value`.
    pub fn nemesis(f: &str, value: Value) -> Self {
        Self::new(Process::Nemesis, EventType::Info, f, None, value)
    }

    /// Reads one JSONL line, line number `line` of `file` (for the error).
    pub fn from_jsonl_line(text: &str, file: &str, line: usize) -> Result<Event, FormatError> {
        serde_json::from_str(text).map_err(|e| FormatError {
            file: file.to_string(),
            line,
            message: format!(
                "expected a history event {{\"index\",\"time\",\"process\",\"type\",\"f\",...}}: {e}"
            ),
        })
    }

    /// The same event with an error message attached.
    pub fn with_error(mut self, error: &str) -> Self {
        self.error = Some(error.to_string());
        self
    }
}

/// A history file (or line of one) that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    /// The file, as the user named it (or `<memory>`).
    pub file: String,
    /// 1-based line number; 0 when the error is about the whole file.
    pub line: usize,
    /// What was found and what was expected.
    pub message: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl std::error::Error for FormatError {}

/// An append-only list of events. [`History::push`] is its only writer: it
/// stamps each event's index and time, so both are set in one place.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    events: Vec<Event>,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `event` at simulated time `time_ns` and returns its index.
    ///
    /// Panics if time runs backwards: the history is in order of time.
    pub fn push(&mut self, time_ns: u64, mut event: Event) -> u64 {
        if let Some(last) = self.events.last() {
            assert!(
                time_ns >= last.time,
                "history time runs backwards: event at {time_ns} ns after one at {} ns",
                last.time
            );
        }
        let index = self.events.len() as u64;
        event.index = index;
        event.time = time_ns;
        self.events.push(event);
        index
    }

    /// All events, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Builds a history from events read elsewhere, keeping their own
    /// indices and times (an imported history is judged as it was written).
    pub fn from_events(events: Vec<Event>) -> Self {
        History { events }
    }

    /// Writes one JSON object per line, in order.
    pub fn write_jsonl(&self, mut out: impl Write) -> io::Result<()> {
        for event in &self.events {
            serde_json::to_writer(&mut out, event)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// The JSONL text of this history.
    pub fn to_jsonl(&self) -> String {
        let mut buf = Vec::new();
        self.write_jsonl(&mut buf)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(buf).expect("serde_json writes UTF-8")
    }

    /// Reads a JSONL history. `file` names the source in error messages.
    /// Blank lines are skipped; anything else that is not an event is an
    /// error naming the line.
    pub fn from_jsonl(text: &str, file: &str) -> Result<Self, FormatError> {
        let mut events = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            events.push(Event::from_jsonl_line(line, file, n + 1)?);
        }
        Ok(History { events })
    }
}

/// Where two JSONL histories first differ, with the simulated time of the
/// differing lines; `None` if they are identical.
pub fn first_difference(recorded: &str, replayed: &str) -> Option<String> {
    if recorded == replayed {
        return None;
    }
    let time_of = |line: Option<&str>| {
        line.and_then(|l| serde_json::from_str::<Event>(l).ok())
            .map_or("-".to_string(), |e| format!("{:.6} s", e.time as f64 / 1e9))
    };
    let (mut a, mut b) = (recorded.lines(), replayed.lines());
    for line in 1.. {
        let (x, y) = (a.next(), b.next());
        if x != y {
            return Some(format!(
                "first difference at line {line} (recorded at {}, replayed at {}):\n  recorded: {}\n  replayed: {}",
                time_of(x),
                time_of(y),
                x.unwrap_or("<end of history>"),
                y.unwrap_or("<end of history>"),
            ));
        }
        if x.is_none() {
            break;
        }
    }
    Some("the histories differ only in line endings".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonl_matches_the_design_format() {
        let mut h = History::new();
        h.push(
            1_500_000,
            Event::invoke(Process::Client(2), "write", "x", json!(3)),
        );
        h.push(
            3_000_000,
            Event::nemesis("pause-start", json!({"node": "n2", "ms": 800})),
        );
        h.push(
            4_000_000,
            Event::info(Process::Client(2), "write", "x", json!(3), "timeout"),
        );
        let text = h.to_jsonl();
        assert_eq!(
            text,
            concat!(
                r#"{"index":0,"time":1500000,"process":2,"type":"invoke","f":"write","key":"x","value":3}"#,
                "\n",
                r#"{"index":1,"time":3000000,"process":"nemesis","type":"info","f":"pause-start","value":{"ms":800,"node":"n2"}}"#,
                "\n",
                r#"{"index":2,"time":4000000,"process":2,"type":"info","f":"write","key":"x","value":3,"error":"timeout"}"#,
                "\n",
            )
        );
        assert_eq!(History::from_jsonl(&text, "h.jsonl").unwrap(), h);
    }

    #[test]
    fn a_bad_line_is_named() {
        let text = "{\"index\":0,\"time\":1,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\",\"value\":null}\n{\"index\":1,\"time\":2,\"process\":-1}\n";
        let err = History::from_jsonl(text, "bad.jsonl").unwrap_err();
        assert_eq!((err.file.as_str(), err.line), ("bad.jsonl", 2));
        assert!(err.to_string().starts_with("bad.jsonl:2: "), "{err}");
    }

    #[test]
    fn the_first_differing_line_is_named_with_its_time() {
        let a = "{\"index\":0,\"time\":1000,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\",\"value\":null}\n";
        let b = a.replace("1000", "2000");
        assert_eq!(first_difference(a, a), None);
        let diff = first_difference(a, &b).unwrap();
        assert!(
            diff.starts_with(
                "first difference at line 1 (recorded at 0.000001 s, replayed at 0.000002 s)"
            ),
            "{diff}"
        );
        assert!(first_difference(a, "")
            .unwrap()
            .contains("<end of history>"));
    }

    #[test]
    #[should_panic(expected = "history time runs backwards")]
    fn time_never_runs_backwards() {
        let mut h = History::new();
        h.push(
            10,
            Event::invoke(Process::Client(0), "read", "x", Value::Null),
        );
        h.push(5, Event::ok(Process::Client(0), "read", "x", Value::Null));
    }
}
