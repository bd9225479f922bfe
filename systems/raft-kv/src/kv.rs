//! The replicated state machine: integer registers by key, plus a
//! de-duplication table so that a retried request is applied at most once.

use super::config::RaftConfig;
use super::mutants::Mutant;
use super::proto::{Command, ReplyResult};
use std::collections::BTreeMap;
use workloads::RegisterOp;

/// Keys to values, and each client's last applied request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kv {
    values: BTreeMap<String, i64>,
    /// client → (last applied seq, its result).
    sessions: BTreeMap<u64, (u64, ReplyResult)>,
    /// Mutant `sessions-keyed-by-seq`: every client shares one session.
    one_session: bool,
    /// [`Kv::digest`], kept up to date by every write.
    digest: u64,
}

impl Kv {
    /// An empty state machine for a cluster configured by `config`.
    pub fn new(config: &RaftConfig) -> Self {
        Kv {
            one_session: config.has_mutant(Mutant::SessionsKeyedBySeq),
            ..Kv::default()
        }
    }

    /// Applies a committed command and returns what the client is told.
    pub fn apply(&mut self, command: &Command) -> ReplyResult {
        let Command::Client { client, seq, op } = command else {
            return ReplyResult::Ok(None);
        };
        let client = if self.one_session { &0 } else { client };
        if let Some((last, result)) = self.sessions.get(client) {
            if *seq == *last {
                return result.clone(); // a duplicate: answer as the first time
            }
            if *seq < *last {
                return ReplyResult::Unknown("request superseded by a newer one".into());
            }
        }
        let result = self.execute(op);
        self.sessions.insert(*client, (*seq, result.clone()));
        result
    }

    fn execute(&mut self, op: &RegisterOp) -> ReplyResult {
        match op {
            RegisterOp::Read { key } => ReplyResult::Ok(self.read(key)),
            RegisterOp::Write { key, value } => {
                self.set(key, *value);
                ReplyResult::Ok(None)
            }
            RegisterOp::Cas { key, expected, new } => {
                if self.values.get(key) == Some(expected) {
                    self.set(key, *new);
                    ReplyResult::Ok(None)
                } else {
                    ReplyResult::CasMismatch
                }
            }
        }
    }

    /// The value of `key` (`None`: never written).
    pub fn read(&self, key: &str) -> Option<i64> {
        self.values.get(key).copied()
    }

    fn set(&mut self, key: &str, value: i64) {
        if let Some(old) = self.values.insert(key.to_string(), value) {
            self.digest = self.digest.wrapping_sub(register_hash(key, old));
        }
        self.digest = self.digest.wrapping_add(register_hash(key, value));
    }

    /// A digest of every register's value, so that nodes' applied states
    /// can be compared without copying them: the wrapping sum of each
    /// register's FNV-1a hash, kept up to date as registers are written
    /// (the node publishes it on every loop pass).
    pub fn digest(&self) -> u64 {
        self.digest
    }
}

/// FNV-1a of one register: its key, a separator and its value.
fn register_hash(key: &str, value: i64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes().chain([0xff]).chain(value.to_le_bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(client: u64, seq: u64, op: RegisterOp) -> Command {
        Command::Client { client, seq, op }
    }

    #[test]
    fn write_cas_and_duplicates() {
        let mut kv = Kv::default();
        let write = |v| RegisterOp::Write {
            key: "x".into(),
            value: v,
        };
        let cas = |e, n| RegisterOp::Cas {
            key: "x".into(),
            expected: e,
            new: n,
        };
        assert_eq!(kv.apply(&cmd(1, 1, write(1))), ReplyResult::Ok(None));
        assert_eq!(kv.apply(&cmd(1, 2, cas(1, 2))), ReplyResult::Ok(None));
        assert_eq!(kv.read("x"), Some(2));
        // The same request again is not applied twice.
        assert_eq!(kv.apply(&cmd(1, 2, cas(1, 2))), ReplyResult::Ok(None));
        assert_eq!(kv.apply(&cmd(2, 1, cas(1, 3))), ReplyResult::CasMismatch);
        assert_eq!(kv.apply(&cmd(1, 3, write(7))), ReplyResult::Ok(None));
        assert_eq!(
            kv.apply(&cmd(2, 1, cas(1, 3))),
            ReplyResult::CasMismatch,
            "cached result"
        );
        assert_eq!(kv.read("x"), Some(7));
        assert_eq!(kv.read("y"), None);
        assert_eq!(kv.apply(&Command::Noop), ReplyResult::Ok(None));
    }

    #[test]
    fn the_digest_is_of_the_state_not_of_the_path_to_it() {
        let write = |k: &str, v| RegisterOp::Write {
            key: k.into(),
            value: v,
        };
        let (mut a, mut b) = (Kv::default(), Kv::default());
        a.apply(&cmd(1, 1, write("x", 1)));
        a.apply(&cmd(1, 2, write("y", 2)));
        a.apply(&cmd(1, 3, write("x", 3)));
        b.apply(&cmd(2, 1, write("y", 2)));
        b.apply(&cmd(2, 2, write("x", 3)));
        assert_eq!(a.digest(), b.digest(), "same registers, same digest");
        b.apply(&cmd(2, 3, write("x", 4)));
        assert_ne!(a.digest(), b.digest(), "a register differs");
        assert_ne!(Kv::default().digest(), a.digest());
    }
}
