//! A compact binary encoding for everything the cluster sends or stores:
//! LEB128 integers, length-prefixed strings, one tag byte per enum variant.
//! Hand-written because it runs for every message and every disk record,
//! and JSON was a fifth of the simulation's CPU time.

use super::proto::{ClientReply, ClientRequest, Command, Entry, Hello, PeerMsg, ReplyResult};
use super::raft::Record;
use workloads::RegisterOp;

/// A value with a binary form.
pub trait Wire: Sized {
    /// Appends the encoding of `self` to `buf`.
    fn put(&self, buf: &mut Vec<u8>);
    /// Decodes one value; `None` if the bytes are short or malformed.
    fn get(r: &mut Reader<'_>) -> Option<Self>;
}

/// A cursor over bytes being decoded.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads from the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    /// True when every byte was consumed.
    pub fn is_done(&self) -> bool {
        self.bytes.is_empty()
    }

    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }
}

/// Decodes exactly one value from `bytes` (trailing bytes are an error).
pub fn decode<T: Wire>(bytes: &[u8]) -> Option<T> {
    let mut r = Reader::new(bytes);
    let value = T::get(&mut r)?;
    r.is_done().then_some(value)
}

impl Wire for u64 {
    fn put(&self, buf: &mut Vec<u8>) {
        let mut v = *self;
        while v >= 0x80 {
            buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        buf.push(v as u8);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = r.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }
}

impl Wire for usize {
    fn put(&self, buf: &mut Vec<u8>) {
        (*self as u64).put(buf)
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        usize::try_from(u64::get(r)?).ok()
    }
}

impl Wire for i64 {
    fn put(&self, buf: &mut Vec<u8>) {
        (((*self << 1) ^ (*self >> 63)) as u64).put(buf) // zigzag
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let v = u64::get(r)?;
        Some(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
}

impl Wire for bool {
    fn put(&self, buf: &mut Vec<u8>) {
        buf.push(u8::from(*self))
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        match r.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Wire for String {
    fn put(&self, buf: &mut Vec<u8>) {
        self.len().put(buf);
        buf.extend_from_slice(self.as_bytes());
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let n = usize::get(r)?;
        String::from_utf8(r.take(n)?.to_vec()).ok()
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, buf: &mut Vec<u8>) {
        match self {
            None => buf.push(0),
            Some(v) => {
                buf.push(1);
                v.put(buf);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        match r.byte()? {
            0 => Some(None),
            1 => Some(Some(T::get(r)?)),
            _ => None,
        }
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, buf: &mut Vec<u8>) {
        self.len().put(buf);
        for v in self {
            v.put(buf);
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let n = usize::get(r)?;
        let mut out = Vec::with_capacity(n.min(r.bytes.len()));
        for _ in 0..n {
            out.push(T::get(r)?);
        }
        Some(out)
    }
}

/// Implements [`Wire`] for an enum: each variant is a tag byte and fields.
/// (In `get`, `.map(|$tuple| $tuple)` does nothing: it only mentions
/// `$tuple` so the macro knows which variants to expand it for.)
macro_rules! wire_enum {
    ($ty:ty { $($tag:literal => $variant:ident $({ $($field:ident),* })? $(($tuple:ident))?),* $(,)? }) => {
        impl Wire for $ty {
            fn put(&self, buf: &mut Vec<u8>) {
                match self {
                    $(Self::$variant $({ $($field),* })? $(($tuple))? => {
                        buf.push($tag);
                        $($($field.put(buf);)*)?
                        $($tuple.put(buf);)?
                    })*
                }
            }
            fn get(r: &mut Reader<'_>) -> Option<Self> {
                match r.byte()? {
                    $($tag => Some(Self::$variant $({ $($field: Wire::get(r)?),* })? $((Wire::get(r).map(|$tuple| $tuple)?))?),)*
                    _ => None,
                }
            }
        }
    };
}

/// Implements [`Wire`] for a struct: its fields in the order listed (every
/// field must be listed, or neither method compiles).
macro_rules! wire_struct {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl Wire for $ty {
            fn put(&self, buf: &mut Vec<u8>) {
                let $ty { $($field),* } = self;
                $($field.put(buf);)*
            }
            fn get(r: &mut Reader<'_>) -> Option<Self> {
                Some($ty { $($field: Wire::get(r)?),* })
            }
        }
    };
}

wire_enum!(RegisterOp {
    0 => Read { key },
    1 => Write { key, value },
    2 => Cas { key, expected, new },
});

wire_enum!(Command {
    0 => Noop,
    1 => Client { client, seq, op },
});

wire_enum!(PeerMsg {
    0 => Vote { term, last_index, last_term },
    1 => VoteReply { term, granted },
    2 => Append { term, prev_index, prev_term, entries, commit, round },
    3 => AppendReply { term, success, index, conflict_term, round },
});

wire_enum!(ReplyResult {
    0 => Ok(value),
    1 => CasMismatch,
    2 => NotLeader { hint },
    3 => Unknown(why),
});

wire_enum!(Hello {
    0 => Peer(id),
    1 => Client,
});

wire_enum!(Record {
    0 => HardState { term, vote },
    1 => Append { index, entries },
    2 => Truncate { from },
});

wire_struct!(Entry { term, command });
wire_struct!(ClientRequest { client, seq, op });
wire_struct!(ClientReply { seq, result });

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Wire + PartialEq + std::fmt::Debug>(value: T) {
        let mut buf = Vec::new();
        value.put(&mut buf);
        assert_eq!(decode::<T>(&buf).as_ref(), Some(&value));
        if !buf.is_empty() {
            assert_eq!(
                decode::<T>(&buf[..buf.len() - 1]),
                None,
                "a short buffer fails"
            );
        }
    }

    #[test]
    fn every_type_round_trips() {
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            round_trip(v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            round_trip(v);
        }
        let cas = RegisterOp::Cas {
            key: "k1".into(),
            expected: -3,
            new: 4,
        };
        let entry = Entry {
            term: 5,
            command: Command::Client {
                client: 2,
                seq: 9,
                op: cas,
            },
        };
        round_trip(PeerMsg::Append {
            term: 5,
            prev_index: 1 << 40,
            prev_term: 4,
            entries: vec![
                entry.clone(),
                Entry {
                    term: 5,
                    command: Command::Noop,
                },
            ],
            commit: 3,
            round: 7,
        });
        round_trip(PeerMsg::AppendReply {
            term: 1,
            success: false,
            index: 2,
            conflict_term: Some(1),
            round: 0,
        });
        round_trip(PeerMsg::Vote {
            term: 1,
            last_index: 2,
            last_term: 3,
        });
        round_trip(PeerMsg::VoteReply {
            term: 1,
            granted: true,
        });
        round_trip(Hello::Peer(2));
        round_trip(Hello::Client);
        let read = RegisterOp::Read { key: "é".into() };
        round_trip(ClientRequest {
            client: 1,
            seq: 2,
            op: read,
        });
        for result in [
            ReplyResult::Ok(Some(-1)),
            ReplyResult::Ok(None),
            ReplyResult::CasMismatch,
            ReplyResult::NotLeader { hint: Some(1) },
            ReplyResult::Unknown("why".into()),
        ] {
            round_trip(ClientReply { seq: 3, result });
        }
        round_trip(Record::HardState {
            term: 3,
            vote: None,
        });
        round_trip(Record::Append {
            index: 4,
            entries: vec![entry],
        });
        round_trip(Record::Truncate { from: 2 });
        assert_eq!(decode::<Hello>(&[9]), None, "an unknown tag fails");
    }
}
