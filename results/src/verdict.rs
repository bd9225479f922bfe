//! What the checker concludes: valid, invalid (with a counterexample) or
//! unknown (with the reason), how verdicts merge, and the exit code.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The outcome of a check: three values, never a guess.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "VerdictRepr", try_from = "VerdictRepr")]
pub enum Verdict {
    /// Linearizable.
    Valid,
    /// Not linearizable; here is why.
    Invalid(Box<Counterexample>),
    /// The check could not finish.
    Unknown(Reason),
}

/// Why a check gave up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reason {
    /// The time budget ran out.
    Timeout {
        /// The budget, in milliseconds.
        budget_ms: u64,
    },
    /// The memo table for one key outgrew its share of the memory budget.
    Memory {
        /// That share, in bytes.
        budget_bytes: u64,
    },
    /// Not checked to the end because another key was already found not
    /// linearizable (see `CheckOptions::stop_at_violation`).
    Cancelled,
    /// The checker itself panicked (a bug): reported, never turned into a
    /// verdict on the history.
    CheckerPanic {
        /// The panic message.
        message: String,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Timeout { budget_ms } => write!(f, "time budget of {budget_ms} ms ran out"),
            Reason::Memory { budget_bytes } => {
                write!(
                    f,
                    "memory budget of {} MiB per key ran out",
                    budget_bytes >> 20
                )
            }
            Reason::CheckerPanic { message } => write!(f, "checker panicked: {message}"),
            Reason::Cancelled => f.write_str("stopped: another key is not linearizable"),
        }
    }
}

/// One operation as a counterexample shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpView {
    /// The process that ran it.
    pub process: String,
    /// What it did and saw, e.g. `read -> 3`.
    pub op: String,
    /// Index of its invoke event in the history.
    pub invoke_index: u64,
    /// Index of its completion event; `None` if it never completed.
    pub complete_index: Option<u64>,
}

impl fmt::Display for OpView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = self
            .complete_index
            .map_or_else(|| "end".to_string(), |c| format!("#{c}"));
        let span = format!("[#{}..{end}]", self.invoke_index);
        write!(f, "p{:<4} {:<28} {span}", self.process, self.op)
    }
}

/// An operation that could not come next, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StuckOp {
    /// The operation.
    pub op: OpView,
    /// Why the model refused it in the state reached.
    pub why: String,
}

/// The smallest window of operations that cannot be ordered.
///
/// The search found a linearization of `linearized` operations (the longest
/// it could), reaching `state`; after it, each operation in `stuck` was
/// refused by the model, and the completion at `closed_by` means one of them
/// had to come next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    /// The key whose sub-history is not linearizable.
    pub key: String,
    /// Length of the longest linearizable prefix found.
    pub linearized: usize,
    /// Invoke indices of that prefix's operations, in linearization order.
    pub prefix: Vec<u64>,
    /// The last few operations of the prefix, for reading.
    pub prefix_tail: Vec<OpView>,
    /// The model state after the prefix.
    pub state: String,
    /// The operations that could not be placed next.
    pub stuck: Vec<StuckOp>,
    /// Index of the completion event that closes the window: the operation
    /// completing there had to be linearized before it.
    pub closed_by: u64,
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "key {:?} is not linearizable.", self.key)?;
        let hidden = self.linearized - self.prefix_tail.len();
        match (self.linearized, hidden) {
            (0, _) => writeln!(f, "  no operation can be linearized first;")?,
            (n, 0) => writeln!(f, "  {n} operations can be linearized:")?,
            (n, h) => writeln!(
                f,
                "  {n} operations can be linearized ({h} not shown), ending:"
            )?,
        }
        for op in &self.prefix_tail {
            writeln!(f, "    {op}")?;
        }
        writeln!(f, "  state there: {}", self.state)?;
        writeln!(f, "  but none of these can come next:")?;
        for s in &self.stuck {
            writeln!(f, "    {}  <- {}", s.op, s.why)?;
        }
        write!(
            f,
            "  and one of them must, as event #{} completes an operation among them.",
            self.closed_by
        )
    }
}

impl Verdict {
    /// Combines two verdicts: Invalid over Unknown over Valid; between two of
    /// the same rank, `self` is kept.
    pub fn merge(self, other: Verdict) -> Verdict {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::Unknown(_) => 1,
            Verdict::Invalid(_) => 2,
        }
    }

    /// The process exit code, as Jepsen's: 0 valid, 1 invalid, 2 unknown.
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::Invalid(_) => 1,
            Verdict::Unknown(_) => 2,
        }
    }

    /// `valid`, `INVALID` or `unknown`: the word a summary line starts with.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid(_) => "INVALID",
            Verdict::Unknown(_) => "unknown",
        }
    }

    /// True for [`Verdict::Valid`].
    pub fn is_valid(&self) -> bool {
        matches!(self, Verdict::Valid)
    }
}

/// `valid` in JSON: `true`, `false` or `"unknown"` (as DESIGN.md says).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Validity {
    True,
    False,
    Unknown,
}

impl Serialize for Validity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Validity::True => s.serialize_bool(true),
            Validity::False => s.serialize_bool(false),
            Validity::Unknown => s.serialize_str("unknown"),
        }
    }
}

impl<'de> Deserialize<'de> for Validity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Bool(true) => Ok(Validity::True),
            serde_json::Value::Bool(false) => Ok(Validity::False),
            serde_json::Value::String(s) if s == "unknown" => Ok(Validity::Unknown),
            other => Err(serde::de::Error::custom(format!(
                "valid must be true, false or \"unknown\", got {other}"
            ))),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct VerdictRepr {
    valid: Validity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    counterexample: Option<Box<Counterexample>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<Reason>,
}

impl From<Verdict> for VerdictRepr {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Valid => VerdictRepr {
                valid: Validity::True,
                counterexample: None,
                reason: None,
            },
            Verdict::Invalid(c) => VerdictRepr {
                valid: Validity::False,
                counterexample: Some(c),
                reason: None,
            },
            Verdict::Unknown(r) => VerdictRepr {
                valid: Validity::Unknown,
                counterexample: None,
                reason: Some(r),
            },
        }
    }
}

impl TryFrom<VerdictRepr> for Verdict {
    type Error = String;

    fn try_from(r: VerdictRepr) -> Result<Self, String> {
        match (r.valid, r.counterexample, r.reason) {
            (Validity::True, _, _) => Ok(Verdict::Valid),
            (Validity::False, Some(c), _) => Ok(Verdict::Invalid(c)),
            (Validity::Unknown, _, Some(r)) => Ok(Verdict::Unknown(r)),
            (Validity::False, None, _) => Err("an invalid verdict needs a counterexample".into()),
            (Validity::Unknown, _, None) => Err("an unknown verdict needs a reason".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid() -> Verdict {
        Verdict::Invalid(Box::new(Counterexample {
            key: "x".into(),
            linearized: 1,
            prefix: vec![0],
            prefix_tail: vec![OpView {
                process: "0".into(),
                op: "write 1".into(),
                invoke_index: 0,
                complete_index: Some(1),
            }],
            state: "1".into(),
            stuck: vec![StuckOp {
                op: OpView {
                    process: "1".into(),
                    op: "read -> 2".into(),
                    invoke_index: 2,
                    complete_index: Some(3),
                },
                why: "the register holds 1, not 2".into(),
            }],
            closed_by: 3,
        }))
    }

    #[test]
    fn merge_ranks_invalid_over_unknown_over_valid() {
        let unknown = Verdict::Unknown(Reason::Timeout { budget_ms: 5 });
        assert_eq!(Verdict::Valid.merge(unknown.clone()), unknown);
        assert_eq!(unknown.clone().merge(Verdict::Valid), unknown);
        assert_eq!(unknown.clone().merge(invalid()), invalid());
        assert_eq!(invalid().merge(unknown.clone()), invalid());
        assert_eq!(Verdict::Valid.merge(Verdict::Valid), Verdict::Valid);
        let codes: Vec<u8> = [Verdict::Valid, invalid(), unknown]
            .iter()
            .map(Verdict::exit_code)
            .collect();
        assert_eq!(codes, [0, 1, 2]);
    }

    #[test]
    fn json_says_true_false_or_unknown() {
        for v in [
            Verdict::Valid,
            invalid(),
            Verdict::Unknown(Reason::Memory {
                budget_bytes: 1 << 20,
            }),
        ] {
            let text = serde_json::to_string(&v).unwrap();
            assert_eq!(serde_json::from_str::<Verdict>(&text).unwrap(), v, "{text}");
        }
        assert_eq!(
            serde_json::to_string(&Verdict::Valid).unwrap(),
            r#"{"valid":true}"#
        );
        let unknown =
            serde_json::to_string(&Verdict::Unknown(Reason::Timeout { budget_ms: 5 })).unwrap();
        assert_eq!(
            unknown,
            r#"{"valid":"unknown","reason":{"kind":"timeout","budget_ms":5}}"#
        );
    }

    #[test]
    fn counterexample_text_is_short() {
        let Verdict::Invalid(c) = invalid() else {
            unreachable!()
        };
        let text = c.to_string();
        assert!(
            text.contains("read -> 2") && text.contains("the register holds 1, not 2"),
            "{text}"
        );
        assert!(text.lines().count() <= 8, "{text}");
    }
}
