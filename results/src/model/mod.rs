//! Sequential specifications the checker linearizes against.
//!
//! A [`Model`] is a pure state machine: an initial state and a `step` that
//! either accepts an operation (giving the next state) or refuses it. The
//! checker only ever asks "may this operation come next, and where does it
//! leave us?"; everything about histories (`info`, `fail`, keys) is decided
//! before the search starts, in [`Model::op`].
//!
//! Every model here is checked one key at a time: a map of independent
//! objects is linearizable iff each object's sub-history is (Herlihy & Wing's
//! locality), so [`ModelKind::Kv`] is the cas-register applied per key.

mod append;
mod mutex;
mod register;

pub use append::{AppendKv, AppendOp, Text};
pub use mutex::{LockOp, Mutex};
pub use register::{RegOp, Register};

/// What every model here says of a `txn` operation (Jepsen's multi-object
/// transactions, e.g. Knossos's multi-register).
pub(crate) const NO_TXN: &str =
    "transactions (txn) are not supported by this model: it checks one object per key with single-step operations";

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::hash::Hash;
use std::str::FromStr;

/// How an operation ended, as the model needs to know it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome<'a> {
    /// It happened; the completion's value (a read's result).
    Ok(&'a Value),
    /// It certainly did not happen; the completion's `error`, if any.
    Fail(Option<&'a str>),
    /// Unknown (`info`, or no completion at all): it may have taken effect
    /// at any point after its invoke, or never.
    Unknown,
}

/// One client operation of a history, as handed to [`Model::op`].
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    /// The operation's name (`read`, `write`, `cas`, `get`, `put`, `append`).
    pub f: &'a str,
    /// The value at invoke: the argument.
    pub arg: &'a Value,
    /// What became of it.
    pub outcome: Outcome<'a>,
}

/// A sequential specification.
///
/// `step` must be pure: the checker memoises on `(set of linearized ops,
/// state)` and relies on equal states behaving identically.
pub trait Model: Sync {
    /// The object's state. Cheap to clone: it is stored once per memo entry.
    type State: Clone + Eq + Hash + Send + fmt::Debug;
    /// One operation with everything known about its result.
    type Op: Eq + Hash + Send + Sync + fmt::Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state after `op`, or `None` if `op` cannot happen in `state`.
    fn step(&self, state: &Self::State, op: &Self::Op) -> Option<Self::State>;

    /// True if `op` never changes the state (a read, a failed cas): it is
    /// either refused or leaves the state as it was. The search then places
    /// such an operation as soon as it is possible, without trying other
    /// orders (moving it earlier never hurts).
    fn is_read_only(&self, op: &Self::Op) -> bool;

    /// True if `op`, completed with a definite result, tests the object:
    /// some state refuses it (a read's value, a cas's expected value). An
    /// operation every state accepts (a write) observes nothing. A history
    /// in which no definite operation observes anything tested nothing
    /// (see [`crate::check::CheckReport::tested_nothing`]). Every operation
    /// by default, so a model that does not say is never judged vacuous.
    fn observes(&self, op: &Self::Op) -> bool {
        let _ = op;
        true
    }

    /// True if `op` may leave a state unrelated to the one before it (a
    /// `put`, a `write`); see [`Model::reachable`]. A reset must leave the
    /// same state whatever state it is applied to. Every operation by
    /// default (then nothing is pruned).
    fn resets(&self, op: &Self::Op) -> bool {
        let _ = op;
        true
    }

    /// False only if neither `state` nor any state reached from it by
    /// operations that do not [reset](Model::resets) accepts `op` (for
    /// append-kv: a get whose value does not start with the current
    /// string). The search abandons a configuration with such a completed
    /// `op` still to place and no reset invoked before `op` returned. Always
    /// true (no pruning) by default.
    fn reachable(&self, state: &Self::State, op: &Self::Op) -> bool {
        let _ = (state, op);
        true
    }

    /// Which operations of unknown outcome (`unknown[i]`) can be assumed
    /// never to have happened, because a linearization that places one can
    /// always do without it (for append-kv: an append whose text no get
    /// ever saw). The search then leaves them out. None by default.
    fn unobservable(&self, ops: &[Self::Op], unknown: &[bool]) -> Vec<bool> {
        let _ = unknown;
        vec![false; ops.len()]
    }

    /// Turns a history operation into a model operation. `Ok(None)` drops it
    /// (it constrains nothing, e.g. a failed write); `Err` says what was
    /// expected instead.
    ///
    /// An operation whose outcome is unknown is placed by the checker as if
    /// it completed at the end of the history, so its model operation must
    /// accept every state (placing it last then means "never happened").
    fn op(&self, call: &Call<'_>) -> Result<Option<Self::Op>, String>;

    /// A few words for a person: `read -> 3`, `cas 1->2`.
    fn describe_op(&self, op: &Self::Op) -> String;

    /// A few words for a person: `3`, `null (never written)`.
    fn describe_state(&self, state: &Self::State) -> String;

    /// Why `op` cannot happen in `state` (called only when `step` refused).
    fn refusal(&self, state: &Self::State, op: &Self::Op) -> String;
}

/// The models `harness check --model` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// Integer register with `read` and `write`, per key.
    Register,
    /// Integer register with `read`, `write` and `cas`, per key.
    CasRegister,
    /// A map of independent cas-registers (the same check as
    /// [`ModelKind::CasRegister`]: it is always done key by key).
    Kv,
    /// A map of strings with `get`, `put` and `append` (Porcupine's kv logs).
    AppendKv,
    /// A lock per key with `acquire` and `release` (Knossos's `mutex`).
    Mutex,
}

impl ModelKind {
    /// Every model, in the order `--help` lists them.
    pub const ALL: [ModelKind; 5] = [
        ModelKind::Register,
        ModelKind::CasRegister,
        ModelKind::Kv,
        ModelKind::AppendKv,
        ModelKind::Mutex,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Register => "register",
            ModelKind::CasRegister => "cas-register",
            ModelKind::Kv => "kv",
            ModelKind::AppendKv => "append-kv",
            ModelKind::Mutex => "mutex",
        }
    }

    /// The model a history's operation names call for: `append-kv` if any
    /// operation is a `get`, `put` or `append`, else `mutex` if any is an
    /// `acquire` or `release`, otherwise `kv`.
    pub fn detect<'a>(fs: impl IntoIterator<Item = &'a str>) -> ModelKind {
        let (mut append, mut lock) = (false, false);
        for f in fs {
            append |= matches!(f, "get" | "put" | "append");
            lock |= matches!(f, "acquire" | "release");
        }
        match (append, lock) {
            (true, _) => ModelKind::AppendKv,
            (false, true) => ModelKind::Mutex,
            (false, false) => ModelKind::Kv,
        }
    }

    /// True for the models whose initial value `--initial` sets.
    pub fn has_initial_value(self) -> bool {
        matches!(
            self,
            ModelKind::Register | ModelKind::CasRegister | ModelKind::Kv
        )
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ModelKind::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown model {:?}: expected register, cas-register, kv, append-kv or mutex",
                    crate::formats::excerpt(s)
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in ModelKind::ALL {
            assert_eq!(m.name().parse::<ModelKind>(), Ok(m));
        }
        assert!("set".parse::<ModelKind>().is_err());
    }

    #[test]
    fn detection_follows_operation_names() {
        assert_eq!(ModelKind::detect(["read", "cas"]), ModelKind::Kv);
        assert_eq!(ModelKind::detect(["get", "append"]), ModelKind::AppendKv);
        assert_eq!(ModelKind::detect(["release", "acquire"]), ModelKind::Mutex);
    }
}
