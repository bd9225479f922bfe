//! Client operations on integer registers, and what became of them.

use results::{Event, Process};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One client operation on one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "lowercase")]
pub enum Op {
    /// Read the key's value (`None` if it was never written).
    Read { key: String },
    /// Set the key to `value`.
    Write { key: String, value: i64 },
    /// Set the key to `new` if it holds `expected`; fail otherwise.
    Cas {
        key: String,
        expected: i64,
        new: i64,
    },
}

/// What a client learned about an operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// It happened; a read carries the value it saw (`None`: never written).
    Ok(Option<i64>),
    /// It certainly did not happen (for a cas: the value did not match).
    Fail(String),
    /// Unknown: a deadline passed or the connection broke after sending.
    Info(String),
}

impl Op {
    /// The history's name for this operation: `read`, `write` or `cas`.
    pub fn f(&self) -> &'static str {
        match self {
            Op::Read { .. } => "read",
            Op::Write { .. } => "write",
            Op::Cas { .. } => "cas",
        }
    }

    /// The key this operation touches.
    pub fn key(&self) -> &str {
        match self {
            Op::Read { key } | Op::Write { key, .. } | Op::Cas { key, .. } => key,
        }
    }

    /// True for operations that change state (writes and cas).
    pub fn is_mutation(&self) -> bool {
        !matches!(self, Op::Read { .. })
    }

    /// The `value` field at invoke: null for a read, the integer written, or
    /// `[expected, new]` for a cas.
    pub fn invoke_value(&self) -> Value {
        match self {
            Op::Read { .. } => Value::Null,
            Op::Write { value, .. } => json!(value),
            Op::Cas { expected, new, .. } => json!([expected, new]),
        }
    }

    /// The invoke event of this operation by `process`.
    pub fn invoke_event(&self, process: Process) -> Event {
        Event::invoke(process, self.f(), self.key(), self.invoke_value())
    }

    /// The completion event of this operation by `process`: a read's `ok`
    /// carries the value read; everything else repeats the invoke value.
    pub fn completion_event(&self, process: Process, outcome: &Outcome) -> Event {
        let (f, key) = (self.f(), self.key());
        match outcome {
            Outcome::Ok(read) => {
                let value = match self {
                    Op::Read { .. } => read.map_or(Value::Null, |v| json!(v)),
                    _ => self.invoke_value(),
                };
                Event::ok(process, f, key, value)
            }
            Outcome::Fail(why) => Event::fail(process, f, key, self.invoke_value(), why),
            Outcome::Info(why) => Event::info(process, f, key, self.invoke_value(), why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use results::EventType;

    #[test]
    fn events_follow_the_history_format() {
        let p = Process::Client(4);
        let read = Op::Read { key: "k1".into() };
        assert_eq!(read.invoke_event(p).value, Value::Null);
        assert_eq!(
            read.completion_event(p, &Outcome::Ok(Some(3))).value,
            json!(3)
        );
        assert_eq!(
            read.completion_event(p, &Outcome::Ok(None)).value,
            Value::Null
        );

        let cas = Op::Cas {
            key: "k1".into(),
            expected: 1,
            new: 2,
        };
        assert_eq!(cas.invoke_event(p).value, json!([1, 2]));
        let failed = cas.completion_event(p, &Outcome::Fail("mismatch".into()));
        assert_eq!(
            (failed.kind, failed.value),
            (EventType::Fail, json!([1, 2]))
        );
        assert_eq!(failed.error.as_deref(), Some("mismatch"));
    }
}
