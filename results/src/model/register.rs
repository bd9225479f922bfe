//! Integer registers: `read`/`write`, and optionally `cas`.

use super::{Call, Model, Outcome};
use serde_json::Value;

/// A register operation with everything its completion told us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegOp {
    /// A read that returned this value (`None`: never written).
    Read(Option<i64>),
    /// A write that happened, or whose outcome is unknown.
    Write(i64),
    /// A compare-and-set that succeeded.
    Cas {
        /// The value the register had to hold.
        expected: i64,
        /// The value it then held.
        new: i64,
    },
    /// A compare-and-set that failed because the register did not hold
    /// `expected`: an observation, not an effect.
    CasMismatch {
        /// The value the register did not hold.
        expected: i64,
    },
    /// A compare-and-set whose outcome is unknown: it swaps if the register
    /// holds `expected` at the point it is placed, and otherwise does
    /// nothing (the same as never taking effect).
    MaybeCas {
        /// The value the register had to hold for the swap.
        expected: i64,
        /// The value it then held.
        new: i64,
    },
}

/// An integer register that starts as `null` (never written), or as
/// `initial`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Register {
    /// Whether `cas` is part of the interface (the cas-register).
    pub cas: bool,
    /// The value before any write (`None`: null, never written); Knossos's
    /// tests start their registers at 0.
    pub initial: Option<i64>,
}

impl Register {
    /// Read and write only, starting as null.
    pub const PLAIN: Register = Register {
        cas: false,
        initial: None,
    };
    /// Read, write and compare-and-set, starting as null.
    pub const CAS: Register = Register {
        cas: true,
        initial: None,
    };

    /// The same register, starting at `initial`.
    pub fn starting_at(self, initial: Option<i64>) -> Register {
        Register { initial, ..self }
    }
}

fn int(v: &Value, what: &str) -> Result<i64, String> {
    v.as_i64()
        .ok_or_else(|| format!("expected an integer {what}, got {}", short(v)))
}

fn pair(v: &Value) -> Result<(i64, i64), String> {
    match v.as_array().map(Vec::as_slice) {
        Some([e, n]) => Ok((
            int(e, "as cas's expected value")?,
            int(n, "as cas's new value")?,
        )),
        _ => Err(format!(
            "expected a cas value [expected, new], got {}",
            short(v)
        )),
    }
}

/// A JSON value for an error message, cut short.
pub(crate) fn short(v: &Value) -> String {
    crate::formats::excerpt(&v.to_string())
}

fn show(v: Option<i64>) -> String {
    v.map_or_else(|| "null".to_string(), |v| v.to_string())
}

impl Model for Register {
    type State = Option<i64>;
    type Op = RegOp;

    fn init(&self) -> Option<i64> {
        self.initial
    }

    #[inline]
    fn step(&self, state: &Option<i64>, op: &RegOp) -> Option<Option<i64>> {
        match *op {
            RegOp::Read(v) => (*state == v).then_some(*state),
            RegOp::Write(v) => Some(Some(v)),
            RegOp::Cas { expected, new } => (*state == Some(expected)).then_some(Some(new)),
            RegOp::CasMismatch { expected } => (*state != Some(expected)).then_some(*state),
            RegOp::MaybeCas { expected, new } => Some(if *state == Some(expected) {
                Some(new)
            } else {
                *state
            }),
        }
    }

    fn is_read_only(&self, op: &RegOp) -> bool {
        matches!(op, RegOp::Read(_) | RegOp::CasMismatch { .. })
    }

    fn observes(&self, op: &RegOp) -> bool {
        !matches!(op, RegOp::Write(_) | RegOp::MaybeCas { .. })
    }

    fn op(&self, call: &Call<'_>) -> Result<Option<RegOp>, String> {
        let op = match (call.f, call.outcome) {
            ("read", Outcome::Ok(v)) if v.is_null() => Some(RegOp::Read(None)),
            ("read", Outcome::Ok(v)) => Some(RegOp::Read(Some(int(v, "as the value read")?))),
            ("read", _) => None,
            ("write", Outcome::Fail(_)) => None,
            ("write", _) => Some(RegOp::Write(int(call.arg, "to write")?)),
            ("txn", _) => return Err(super::NO_TXN.into()),
            ("cas", _) if !self.cas => {
                return Err("the register model has no cas: use --model cas-register".into())
            }
            ("cas", outcome) => {
                let (expected, new) = pair(call.arg)?;
                match outcome {
                    Outcome::Ok(_) => Some(RegOp::Cas { expected, new }),
                    Outcome::Unknown => Some(RegOp::MaybeCas { expected, new }),
                    Outcome::Fail(Some("cas-mismatch")) => Some(RegOp::CasMismatch { expected }),
                    Outcome::Fail(_) => None,
                }
            }
            (f, _) => {
                let expected = if self.cas {
                    "read, write or cas"
                } else {
                    "read or write"
                };
                return Err(format!(
                    "unknown operation {:?}: expected {expected}",
                    crate::formats::excerpt(f)
                ));
            }
        };
        Ok(op)
    }

    fn describe_op(&self, op: &RegOp) -> String {
        match *op {
            RegOp::Read(v) => format!("read -> {}", show(v)),
            RegOp::Write(v) => format!("write {v}"),
            RegOp::CasMismatch { expected } => format!("cas {expected}->? failed"),
            RegOp::Cas { expected, new } | RegOp::MaybeCas { expected, new } => {
                format!("cas {expected}->{new}")
            }
        }
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        match state {
            Some(v) => v.to_string(),
            None => "null (never written)".to_string(),
        }
    }

    fn refusal(&self, state: &Option<i64>, op: &RegOp) -> String {
        match *op {
            RegOp::Read(v) => format!("the register holds {}, not {}", show(*state), show(v)),
            RegOp::Cas { expected, .. } => {
                format!("the register holds {}, not {expected}", show(*state))
            }
            RegOp::CasMismatch { expected } => {
                format!("the register holds {expected}, so this cas would have succeeded")
            }
            RegOp::Write(_) | RegOp::MaybeCas { .. } => "a write is always possible".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call<'a>(f: &'a str, arg: &'a Value, outcome: Outcome<'a>) -> Call<'a> {
        Call { f, arg, outcome }
    }

    #[rustfmt::skip]
    #[test]
    fn steps() {
        let r = Register::CAS;
        type Row = (Option<i64>, RegOp, Option<Option<i64>>);
        let cases: &[Row] = &[
            (None,    RegOp::Read(None),                         Some(None)),
            (None,    RegOp::Read(Some(1)),                      None),
            (Some(1), RegOp::Write(2),                           Some(Some(2))),
            (Some(1), RegOp::Cas { expected: 1, new: 2 },        Some(Some(2))),
            (Some(3), RegOp::Cas { expected: 1, new: 2 },        None),
            (None,    RegOp::Cas { expected: 1, new: 2 },        None),
            (Some(3), RegOp::CasMismatch { expected: 1 },        Some(Some(3))),
            (Some(1), RegOp::CasMismatch { expected: 1 },        None),
            (Some(1), RegOp::MaybeCas { expected: 1, new: 2 },   Some(Some(2))),
            (Some(3), RegOp::MaybeCas { expected: 1, new: 2 },   Some(Some(3))),
        ];
        for (state, op, next) in cases {
            assert_eq!(r.step(state, op), *next, "{state:?} {op:?}");
        }
    }

    #[test]
    fn history_ops_become_model_ops() {
        let r = Register::CAS;
        let (null, three, pair) = (json!(null), json!(3), json!([1, 2]));
        assert_eq!(
            r.op(&call("read", &null, Outcome::Ok(&three))),
            Ok(Some(RegOp::Read(Some(3))))
        );
        assert_eq!(r.op(&call("read", &null, Outcome::Unknown)), Ok(None));
        assert_eq!(r.op(&call("write", &three, Outcome::Fail(None))), Ok(None));
        assert_eq!(
            r.op(&call("write", &three, Outcome::Unknown)),
            Ok(Some(RegOp::Write(3)))
        );
        assert_eq!(
            r.op(&call("cas", &pair, Outcome::Fail(Some("cas-mismatch")))),
            Ok(Some(RegOp::CasMismatch { expected: 1 }))
        );
        assert_eq!(
            r.op(&call("cas", &pair, Outcome::Fail(Some("timeout")))),
            Ok(None)
        );
        assert!(Register::PLAIN
            .op(&call("cas", &pair, Outcome::Unknown))
            .is_err());
        assert!(r.op(&call("write", &json!("x"), Outcome::Unknown)).is_err());
        assert!(r.op(&call("incr", &null, Outcome::Unknown)).is_err());
    }
}
