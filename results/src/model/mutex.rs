//! A lock (Knossos's `mutex`): `acquire` and `release`, starting free.

use super::{Call, Model, Outcome};

/// A lock operation with everything its completion told us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockOp {
    /// An acquire that succeeded: the lock was free and is now held.
    Acquire,
    /// A release that succeeded: the lock was held and is now free.
    Release,
    /// An acquire of unknown outcome: wherever it is placed the lock ends
    /// up held (placed on a held lock it is the same as never happening).
    MaybeAcquire,
    /// A release of unknown outcome: the lock ends up free.
    MaybeRelease,
}

/// One lock per key, free at first. A `fail`ed acquire or release did not
/// happen (as in Knossos); holders are not tracked, only held or free.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mutex;

impl Model for Mutex {
    /// True while held.
    type State = bool;
    type Op = LockOp;

    fn init(&self) -> bool {
        false
    }

    fn step(&self, held: &bool, op: &LockOp) -> Option<bool> {
        match op {
            LockOp::Acquire => (!*held).then_some(true),
            LockOp::Release => held.then_some(false),
            LockOp::MaybeAcquire => Some(true),
            LockOp::MaybeRelease => Some(false),
        }
    }

    fn is_read_only(&self, _: &LockOp) -> bool {
        false
    }

    fn observes(&self, op: &LockOp) -> bool {
        matches!(op, LockOp::Acquire | LockOp::Release)
    }

    fn op(&self, call: &Call<'_>) -> Result<Option<LockOp>, String> {
        Ok(match (call.f, call.outcome) {
            (_, Outcome::Fail(_)) if matches!(call.f, "acquire" | "release") => None,
            ("acquire", Outcome::Ok(_)) => Some(LockOp::Acquire),
            ("release", Outcome::Ok(_)) => Some(LockOp::Release),
            ("acquire", _) => Some(LockOp::MaybeAcquire),
            ("release", _) => Some(LockOp::MaybeRelease),
            ("txn", _) => return Err(super::NO_TXN.into()),
            (f, _) => {
                return Err(format!(
                    "unknown operation {:?}: expected acquire or release",
                    crate::formats::excerpt(f)
                ))
            }
        })
    }

    fn describe_op(&self, op: &LockOp) -> String {
        match op {
            LockOp::Acquire | LockOp::MaybeAcquire => "acquire".into(),
            LockOp::Release | LockOp::MaybeRelease => "release".into(),
        }
    }

    fn describe_state(&self, held: &bool) -> String {
        if *held { "held" } else { "free" }.into()
    }

    fn refusal(&self, held: &bool, op: &LockOp) -> String {
        match (op, held) {
            (LockOp::Acquire, true) => "the lock is already held".into(),
            (LockOp::Release, false) => "the lock is not held".into(),
            _ => "always possible".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn steps() {
        let m = Mutex;
        assert_eq!(m.step(&false, &LockOp::Acquire), Some(true));
        assert_eq!(m.step(&true, &LockOp::Acquire), None);
        assert_eq!(m.step(&true, &LockOp::Release), Some(false));
        assert_eq!(m.step(&false, &LockOp::Release), None);
        for held in [false, true] {
            assert_eq!(m.step(&held, &LockOp::MaybeAcquire), Some(true));
            assert_eq!(m.step(&held, &LockOp::MaybeRelease), Some(false));
        }
    }

    #[test]
    fn calls_become_lock_ops() {
        let (m, nil) = (Mutex, Value::Null);
        let call = |f, outcome| Call {
            f,
            arg: &nil,
            outcome,
        };
        let ok = json!(null);
        assert_eq!(
            m.op(&call("acquire", Outcome::Ok(&ok))),
            Ok(Some(LockOp::Acquire))
        );
        assert_eq!(
            m.op(&call("release", Outcome::Unknown)),
            Ok(Some(LockOp::MaybeRelease))
        );
        assert_eq!(
            m.op(&call("release", Outcome::Fail(Some("not-held")))),
            Ok(None)
        );
        assert!(m
            .op(&call("txn", Outcome::Unknown))
            .unwrap_err()
            .contains("transactions"));
        assert!(m.op(&call("read", Outcome::Unknown)).is_err());
    }
}
