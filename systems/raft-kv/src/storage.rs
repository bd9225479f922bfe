//! Durable Raft state on turmoil's simulated disk: one append-only file of
//! records (term/vote, entries, truncations), replayed at start.
//!
//! Each record is framed as `[len: u32 BE][checksum: u32 BE][body]`, the
//! body in the binary encoding of [`super::wire`]. A crash
//! loses unsynced writes and may tear the last one; replay stops at the
//! first incomplete or corrupt record and cuts the file there, so later
//! appends start from a clean tail.

use super::raft::{Durable, Record};
use super::wire::{decode, Wire};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use turmoil::fs::shim::std::fs::{create_dir_all, sync_dir, File, OpenOptions};

/// The file name of the record log inside the node's data directory.
pub const LOG_FILE: &str = "raft.log";

/// A node's durable record log, open for appending.
#[derive(Debug)]
pub struct Storage {
    file: File,
    path: PathBuf,
    unsynced: bool,
}

impl Storage {
    /// Opens (or creates, durably) the record log in `dir` and replays it.
    pub fn open(dir: &Path) -> std::io::Result<(Storage, Durable)> {
        Self::open_syncing_dirs(dir, true)
    }

    /// [`Storage::open`]; with `sync_dirs` false (mutant `no-dir-sync`)
    /// the directory entries of the data directory and of the log file are
    /// never synced, so a crash can lose the whole file.
    pub fn open_syncing_dirs(dir: &Path, sync_dirs: bool) -> std::io::Result<(Storage, Durable)> {
        create_dir_all(dir)?;
        for ancestor in dir.ancestors().filter(|_| sync_dirs) {
            sync_dir(ancestor)?;
        }
        let path = dir.join(LOG_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        file.sync_all()?;
        if sync_dirs {
            sync_dir(dir)?;
        }

        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let (durable, valid_len, records) = replay(&bytes);
        if valid_len < bytes.len() {
            tracing::warn!(
                path = %path.display(),
                valid_len,
                len = bytes.len(),
                "torn tail of the record log cut off"
            );
            file.set_len(valid_len as u64)?;
            file.sync_all()?;
        }
        tracing::debug!(
            records,
            term = durable.term,
            last_index = durable.log.last_index(),
            "recovered"
        );
        Ok((
            Storage {
                file,
                path,
                unsynced: false,
            },
            durable,
        ))
    }

    /// Appends `records` (not yet durable: see [`Storage::sync`]).
    pub fn append(&mut self, records: &[Record]) -> std::io::Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for record in records {
            encode_record(record, &mut buf);
        }
        self.file.write_all(&buf)?;
        self.unsynced = true;
        Ok(())
    }

    /// Makes everything appended so far durable.
    pub fn sync(&mut self) -> std::io::Result<()> {
        if self.unsynced {
            self.file.sync_all()?;
            self.unsynced = false;
        }
        Ok(())
    }

    /// True when everything appended has been synced.
    pub fn is_synced(&self) -> bool {
        !self.unsynced
    }

    /// Where the record log lives.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn encode_record(record: &Record, buf: &mut Vec<u8>) {
    let start = buf.len();
    buf.extend_from_slice(&[0u8; 8]);
    record.put(buf);
    let body = &buf[start + 8..];
    let (len, sum) = (body.len() as u32, checksum(body));
    buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
    buf[start + 4..start + 8].copy_from_slice(&sum.to_be_bytes());
}

/// Replays framed records: the recovered state, the length of the valid
/// prefix, and how many records it held.
pub fn replay(bytes: &[u8]) -> (Durable, usize, usize) {
    let mut durable = Durable::default();
    let (mut at, mut count) = (0usize, 0usize);
    while let Some((record, next)) = decode_at(bytes, at) {
        durable.apply(record);
        at = next;
        count += 1;
    }
    (durable, at, count)
}

fn decode_at(bytes: &[u8], at: usize) -> Option<(Record, usize)> {
    let header = bytes.get(at..at + 8)?;
    let len = u32::from_be_bytes(header[..4].try_into().expect("4 bytes")) as usize;
    let sum = u32::from_be_bytes(header[4..].try_into().expect("4 bytes"));
    let body = bytes.get(at + 8..at + 8 + len)?;
    if checksum(body) != sum {
        return None;
    }
    let record = decode(body)?;
    Some((record, at + 8 + len))
}

/// FNV-1a, 32 bits: enough to tell a torn or zeroed record from a whole one.
fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Command, Entry};

    fn noop(term: u64) -> Entry {
        Entry {
            term,
            command: Command::Noop,
        }
    }

    #[test]
    fn replay_stops_at_a_torn_record() {
        let records = [
            Record::HardState {
                term: 2,
                vote: Some(1),
            },
            Record::Append {
                index: 1,
                entries: vec![noop(1), noop(2), noop(2)],
            },
            Record::Truncate { from: 3 },
            Record::Append {
                index: 3,
                entries: vec![noop(2)],
            },
        ];
        let mut bytes = Vec::new();
        for r in &records {
            encode_record(r, &mut bytes);
        }
        let (durable, valid, count) = replay(&bytes);
        assert_eq!((valid, count), (bytes.len(), 4));
        assert_eq!(
            (durable.term, durable.vote, durable.log.last_index()),
            (2, Some(1), 3)
        );

        let whole = bytes.len();
        encode_record(
            &Record::HardState {
                term: 9,
                vote: None,
            },
            &mut bytes,
        );
        bytes.truncate(bytes.len() - 3);
        let (durable, valid, _) = replay(&bytes);
        assert_eq!(
            (valid, durable.term),
            (whole, 2),
            "a torn record is not applied"
        );

        let n = bytes.len();
        bytes[n - 1] ^= 0xff;
        bytes.extend_from_slice(&[0u8; 3]);
        assert_eq!(replay(&bytes).1, whole);
    }
}
