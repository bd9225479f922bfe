//! Client operations as the history records them, and what became of them.
//!
//! [`Op`] is open: a name (`f`), a key and a JSON value, exactly the fields
//! of a history event, so any workload (registers, append logs, queues,
//! locks…) and any system can use it. [`RegisterOp`] is the typed view of
//! the built-in register workload's ops that a register system matches on.

use results::{Event, Process};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One client operation on one key, in the history's own terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// The operation's name: `read`, `write`, `cas`, `get`, `append`, …
    pub f: String,
    /// The key (object) it touches.
    pub key: String,
    /// Its argument, the invoke event's `value` (`null` for a read).
    pub value: Value,
}

/// What a client learned about an operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// It happened; the completion's value: what a read saw (`null` for
    /// "never written"), or, for an op that returns nothing, the invoke
    /// value again (see [`Outcome::done`]).
    Ok(Value),
    /// It certainly did not happen (for a cas: the value did not match).
    Fail(String),
    /// Unknown: a deadline passed or the connection broke after sending.
    Info(String),
}

/// The register workload's operations, typed: what a register system
/// matches on (`RegisterOp::try_from(&op)`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "lowercase")]
pub enum RegisterOp {
    /// Read the key's value (`None` if it was never written).
    Read {
        /// The key read.
        key: String,
    },
    /// Set the key to `value`.
    Write {
        /// The key written.
        key: String,
        /// The value written.
        value: i64,
    },
    /// Set the key to `new` if it holds `expected`; fail otherwise.
    Cas {
        /// The key.
        key: String,
        /// The value it must hold.
        expected: i64,
        /// The value it gets.
        new: i64,
    },
}

impl Op {
    /// An op named `f` on `key` with argument `value`.
    pub fn new(f: impl Into<String>, key: impl Into<String>, value: Value) -> Self {
        Op {
            f: f.into(),
            key: key.into(),
            value,
        }
    }

    /// A register read of `key`.
    pub fn read(key: impl Into<String>) -> Self {
        Op::new("read", key, Value::Null)
    }

    /// True for a read-only operation by name (`read`, `get`): the final
    /// reads and the retry rules of adapters use it.
    pub fn is_read(&self) -> bool {
        matches!(self.f.as_str(), "read" | "get")
    }

    /// The typed register view of this op, or why it is not one.
    pub fn register(&self) -> Result<RegisterOp, String> {
        RegisterOp::try_from(self)
    }

    /// The invoke event of this operation by `process`.
    pub fn invoke_event(&self, process: Process) -> Event {
        Event::invoke(process, &self.f, &self.key, self.value.clone())
    }

    /// The completion event of this operation by `process`: `ok` carries
    /// the outcome's value; `fail` and `info` repeat the invoke value.
    pub fn completion_event(&self, process: Process, outcome: &Outcome) -> Event {
        let (f, key) = (self.f.as_str(), self.key.as_str());
        match outcome {
            Outcome::Ok(value) => Event::ok(process, f, key, value.clone()),
            Outcome::Fail(why) => Event::fail(process, f, key, self.value.clone(), why),
            Outcome::Info(why) => Event::info(process, f, key, self.value.clone(), why),
        }
    }
}

impl Outcome {
    /// `Ok` for an op that returns nothing: the completion repeats the
    /// invoke value, as Jepsen records a write.
    pub fn done(op: &Op) -> Self {
        Outcome::Ok(op.value.clone())
    }

    /// `Ok` of a register read: the value, or `null` if never written.
    pub fn read(value: Option<i64>) -> Self {
        Outcome::Ok(value.map_or(Value::Null, |v| json!(v)))
    }
}

impl RegisterOp {
    /// The history's name for this operation: `read`, `write` or `cas`.
    pub fn f(&self) -> &'static str {
        match self {
            RegisterOp::Read { .. } => "read",
            RegisterOp::Write { .. } => "write",
            RegisterOp::Cas { .. } => "cas",
        }
    }

    /// The key this operation touches.
    pub fn key(&self) -> &str {
        match self {
            RegisterOp::Read { key }
            | RegisterOp::Write { key, .. }
            | RegisterOp::Cas { key, .. } => key,
        }
    }

    /// True for operations that change state (writes and cas).
    pub fn is_mutation(&self) -> bool {
        !matches!(self, RegisterOp::Read { .. })
    }

    /// The `value` field at invoke: null for a read, the integer written, or
    /// `[expected, new]` for a cas.
    pub fn invoke_value(&self) -> Value {
        match self {
            RegisterOp::Read { .. } => Value::Null,
            RegisterOp::Write { value, .. } => json!(value),
            RegisterOp::Cas { expected, new, .. } => json!([expected, new]),
        }
    }

    /// The outcome of this op given what the system answered: a read's
    /// value, or `Ok` repeating the invoke value for a write or cas.
    pub fn ok(&self, read: Option<i64>) -> Outcome {
        match self {
            RegisterOp::Read { .. } => Outcome::read(read),
            _ => Outcome::Ok(self.invoke_value()),
        }
    }
}

impl From<RegisterOp> for Op {
    fn from(op: RegisterOp) -> Op {
        Op::new(op.f(), op.key(), op.invoke_value())
    }
}

impl TryFrom<&Op> for RegisterOp {
    type Error = String;

    fn try_from(op: &Op) -> Result<RegisterOp, String> {
        let int = |v: &Value| {
            v.as_i64()
                .ok_or_else(|| format!("{} {}: expected an integer, got {v}", op.f, op.key))
        };
        let key = op.key.clone();
        match (op.f.as_str(), &op.value) {
            ("read", _) => Ok(RegisterOp::Read { key }),
            ("write", v) => Ok(RegisterOp::Write {
                key,
                value: int(v)?,
            }),
            ("cas", Value::Array(pair)) if pair.len() == 2 => Ok(RegisterOp::Cas {
                key,
                expected: int(&pair[0])?,
                new: int(&pair[1])?,
            }),
            ("cas", v) => Err(format!("cas {}: expected [expected, new], got {v}", op.key)),
            (f, _) => Err(format!(
                "not a register op: {f:?} (a register system serves read, write and cas)"
            )),
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
        let read = Op::read("k1");
        assert_eq!(read.invoke_event(p).value, Value::Null);
        assert_eq!(
            read.completion_event(p, &Outcome::read(Some(3))).value,
            json!(3)
        );
        assert_eq!(
            read.completion_event(p, &Outcome::read(None)).value,
            Value::Null
        );

        let cas: Op = RegisterOp::Cas {
            key: "k1".into(),
            expected: 1,
            new: 2,
        }
        .into();
        assert_eq!(cas.invoke_event(p).value, json!([1, 2]));
        assert_eq!(
            cas.completion_event(p, &Outcome::done(&cas)).value,
            json!([1, 2])
        );
        let failed = cas.completion_event(p, &Outcome::Fail("mismatch".into()));
        assert_eq!(
            (failed.kind, failed.value),
            (EventType::Fail, json!([1, 2]))
        );
        assert_eq!(failed.error.as_deref(), Some("mismatch"));
    }

    #[test]
    fn register_ops_round_trip_and_others_are_refused() {
        for op in [
            RegisterOp::Read { key: "a".into() },
            RegisterOp::Write {
                key: "a".into(),
                value: -4,
            },
            RegisterOp::Cas {
                key: "a".into(),
                expected: 1,
                new: 2,
            },
        ] {
            assert_eq!(Op::from(op.clone()).register(), Ok(op));
        }
        let append = Op::new("append", "a", json!("x"));
        assert!(append.register().unwrap_err().contains("not a register op"));
        let bad = Op::new("cas", "a", json!(3));
        assert!(bad.register().unwrap_err().contains("[expected, new]"));
    }
}
