//! A map of strings with `get`, `put` and `append`, as in Porcupine's kv
//! logs. Checked one key at a time, so the state is one key's string.

use super::{Call, Model, Outcome};
use serde_json::Value;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// An immutable string with its hash computed once, so that memo lookups
/// and state comparisons do not rescan long appended values.
#[derive(Clone)]
pub struct Text {
    hash: u64,
    text: Arc<str>,
}

impl Text {
    /// Wraps `s`.
    pub fn new(s: &str) -> Self {
        Text {
            hash: fnv(0xcbf2_9ce4_8422_2325, s),
            text: s.into(),
        }
    }

    /// `self` followed by `tail`. Only `tail` is hashed: the hash of a
    /// concatenation continues the hash of its first part.
    pub fn concat(&self, tail: &Text) -> Self {
        let mut s = String::with_capacity(self.text.len() + tail.text.len());
        s.push_str(&self.text);
        s.push_str(&tail.text);
        Text {
            hash: fnv(self.hash, &tail.text),
            text: s.into(),
        }
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// FNV-1a from `hash` over `s`: simple, good enough to spread distinct
/// strings, and it can be resumed where a prefix left off.
fn fnv(hash: u64, s: &str) -> u64 {
    s.bytes().fold(hash, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && (Arc::ptr_eq(&self.text, &other.text) || self.text == other.text)
    }
}

impl Eq for Text {}

impl Hash for Text {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(self.hash);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// An append-kv operation with its result.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AppendOp {
    /// A get that returned this string.
    Get(Text),
    /// Replace the value (happened, or outcome unknown).
    Put(Text),
    /// Concatenate to the value (happened, or outcome unknown).
    Append(Text),
}

/// Porcupine's kv model: every key starts as the empty string.
#[derive(Clone, Copy, Debug, Default)]
pub struct AppendKv;

fn text(v: &Value, what: &str) -> Result<Text, String> {
    v.as_str().map(Text::new).ok_or_else(|| {
        format!(
            "expected a string {what}, got {}",
            super::register::short(v)
        )
    })
}

fn quote(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let tail: String = s
            .chars()
            .rev()
            .take(MAX)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!(
            "\"...{}\" ({} chars)",
            tail.escape_debug(),
            s.chars().count()
        )
    }
}

impl Model for AppendKv {
    type State = Text;
    type Op = AppendOp;

    fn init(&self) -> Text {
        Text::new("")
    }

    fn step(&self, state: &Text, op: &AppendOp) -> Option<Text> {
        match op {
            AppendOp::Get(v) => (state == v).then(|| state.clone()),
            AppendOp::Put(v) => Some(v.clone()),
            AppendOp::Append(v) => Some(state.concat(v)),
        }
    }

    fn is_read_only(&self, op: &AppendOp) -> bool {
        matches!(op, AppendOp::Get(_))
    }

    fn observes(&self, op: &AppendOp) -> bool {
        matches!(op, AppendOp::Get(_))
    }

    fn resets(&self, op: &AppendOp) -> bool {
        matches!(op, AppendOp::Put(_))
    }

    fn reachable(&self, state: &Text, op: &AppendOp) -> bool {
        // Without a put the string only grows at its end.
        match op {
            AppendOp::Get(v) => v.as_str().starts_with(state.as_str()),
            AppendOp::Put(_) | AppendOp::Append(_) => true,
        }
    }

    /// An unknown append of `a` that no get's value contains, or put of `v`
    /// that no get's value starts with, can be left out: while it shows,
    /// every get would see `a` (or start with `v`) until a put, so only
    /// appends and puts, which accept any string, come between it and the
    /// next put, and after that put the string is the same without it.
    fn unobservable(&self, ops: &[AppendOp], unknown: &[bool]) -> Vec<bool> {
        let mut out = vec![false; ops.len()];
        if !unknown.contains(&true) {
            return out;
        }
        // Only the longest values matter: what a prefix of a value contains
        // or starts with, the value does too.
        let mut seen: Vec<&str> = ops
            .iter()
            .filter_map(|op| match op {
                AppendOp::Get(v) => Some(v.as_str()),
                _ => None,
            })
            .collect();
        seen.sort_unstable_by_key(|v| std::cmp::Reverse(v.len()));
        let mut longest: Vec<&str> = Vec::new();
        for v in seen {
            if !longest.iter().any(|l| l.starts_with(v)) {
                longest.push(v);
            }
        }
        for (i, op) in ops.iter().enumerate() {
            out[i] = unknown[i]
                && match op {
                    AppendOp::Append(a) => !longest.iter().any(|l| l.contains(a.as_str())),
                    AppendOp::Put(v) => !longest.iter().any(|l| l.starts_with(v.as_str())),
                    AppendOp::Get(_) => false,
                };
        }
        out
    }

    fn op(&self, call: &Call<'_>) -> Result<Option<AppendOp>, String> {
        Ok(match (call.f, call.outcome) {
            ("get", Outcome::Ok(v)) => Some(AppendOp::Get(text(v, "as the value read")?)),
            ("get", _) | ("put" | "append", Outcome::Fail(_)) => None,
            ("put", _) => Some(AppendOp::Put(text(call.arg, "to put")?)),
            ("append", _) => Some(AppendOp::Append(text(call.arg, "to append")?)),
            ("txn", _) => return Err(super::NO_TXN.into()),
            (f, _) => {
                return Err(format!(
                    "unknown operation {:?}: expected get, put or append",
                    crate::formats::excerpt(f)
                ))
            }
        })
    }

    fn describe_op(&self, op: &AppendOp) -> String {
        match op {
            AppendOp::Get(v) => format!("get -> {}", quote(v.as_str())),
            AppendOp::Put(v) => format!("put {}", quote(v.as_str())),
            AppendOp::Append(v) => format!("append {}", quote(v.as_str())),
        }
    }

    fn describe_state(&self, state: &Text) -> String {
        quote(state.as_str())
    }

    fn refusal(&self, state: &Text, op: &AppendOp) -> String {
        match op {
            AppendOp::Get(v) if v.as_str().starts_with(state.as_str()) => {
                format!("the value is {}", quote(state.as_str()))
            }
            AppendOp::Get(_) => format!(
                "the value is {}, and the value read does not start with it",
                quote(state.as_str())
            ),
            AppendOp::Put(_) | AppendOp::Append(_) => "a put or append is always possible".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn appends_concatenate_and_gets_observe() {
        let m = AppendKv;
        let s = m
            .step(&m.init(), &AppendOp::Append(Text::new("x 1 y")))
            .unwrap();
        let s = m.step(&s, &AppendOp::Append(Text::new("x 2 y"))).unwrap();
        assert_eq!(s.as_str(), "x 1 yx 2 y");
        assert_eq!(s, Text::new("x 1 yx 2 y"));
        assert_eq!(hash_of(&s), hash_of(&Text::new("x 1 yx 2 y")));
        assert!(m
            .step(&s, &AppendOp::Get(Text::new("x 1 yx 2 y")))
            .is_some());
        assert!(m.step(&s, &AppendOp::Get(Text::new("x 1 y"))).is_none());
        assert_eq!(
            m.step(&s, &AppendOp::Put(Text::new("z"))).unwrap().as_str(),
            "z"
        );
    }

    fn hash_of(t: &Text) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    #[test]
    fn gets_are_reachable_only_by_growing_the_string() {
        let m = AppendKv;
        let s = Text::new("ab");
        assert!(m.reachable(&s, &AppendOp::Get(Text::new("abc"))));
        assert!(m.reachable(&s, &AppendOp::Get(Text::new("ab"))));
        assert!(!m.reachable(&s, &AppendOp::Get(Text::new("a"))));
        assert!(!m.reachable(&s, &AppendOp::Get(Text::new("ba"))));
        assert!(m.resets(&AppendOp::Put(Text::new(""))));
        assert!(!m.resets(&AppendOp::Append(Text::new("a"))));
        assert!(!m.resets(&AppendOp::Get(Text::new("a"))));
    }

    #[test]
    fn unknown_ops_no_get_saw_are_unobservable() {
        let t = Text::new;
        let ops = [
            AppendOp::Get(t("xay")),
            AppendOp::Get(t("xaybz")),
            AppendOp::Append(t("b")),
            AppendOp::Append(t("q")),
            AppendOp::Put(t("xa")),
            AppendOp::Put(t("ay")),
            AppendOp::Append(t("q")),
        ];
        let unknown = [false, false, true, true, true, true, false];
        assert_eq!(
            AppendKv.unobservable(&ops, &unknown),
            [false, false, false, true, false, true, false]
        );
    }

    #[test]
    fn unknown_gets_are_dropped() {
        let (null, v) = (json!(null), json!("a"));
        let call = Call {
            f: "get",
            arg: &null,
            outcome: Outcome::Unknown,
        };
        assert_eq!(AppendKv.op(&call), Ok(None));
        let call = Call {
            f: "append",
            arg: &v,
            outcome: Outcome::Unknown,
        };
        assert_eq!(
            AppendKv.op(&call),
            Ok(Some(AppendOp::Append(Text::new("a"))))
        );
    }
}
