//! openraft's log and vote storage (`RaftLogStorage`, storage v2) on
//! turmoil's simulated disk.
//!
//! - The log is one append-only file of framed records (entries,
//!   truncations, purges), replayed at start; replay stops at the first
//!   torn or corrupt record and cuts the file there.
//! - The vote is a small file replaced atomically (synced temporary file,
//!   rename, synced directory) before `save_vote` returns.
//! - `append` writes and syncs, and only then fires openraft's flush
//!   callback. Planted bug `flush-before-sync`: the callback fires at once
//!   and the sync is left to a group-commit task that runs every
//!   [`GROUP_COMMIT`]; a crash in between loses entries openraft counted as
//!   durable (on a follower: entries it acknowledged to the leader).
//! - The committed log id is a synced record too (`save_committed`), so a
//!   restarted node re-applies what it had committed before it serves.
//!   openraft makes this optional, but a node whose vote says it leads
//!   restarts *as leader* (no election) and reads at
//!   `max(committed, its term's first entry)`: with the committed id in
//!   memory only, that read point fell behind writes it had acknowledged
//!   before the crash, and reads came back stale (found by the default
//!   exploration: `harness run --system openraft --seed 200`).

use crate::types::{NodeId, TypeConfig};
use crate::wire;
use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{Entry, LogId, RaftLogReader, StorageError, StorageIOError, Vote};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io::{Read, Write};
use std::ops::RangeBounds;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;
use turmoil::fs::shim::std::fs::{self, File, OpenOptions};

/// The log file inside the node's data directory.
pub const LOG_FILE: &str = "openraft.log";
/// The vote file inside the node's data directory.
pub const VOTE_FILE: &str = "vote.json";
/// How often the planted group-commit task syncs (`flush-before-sync`):
/// once a heartbeat, as the built-in cluster's `ack-before-fsync` does.
pub const GROUP_COMMIT: Duration = Duration::from_millis(50);

/// One record of the log file.
#[derive(Debug, Serialize, Deserialize)]
enum Record {
    Append(Vec<Entry<TypeConfig>>),
    Truncate(u64),
    Purge(LogId<NodeId>),
    Commit(LogId<NodeId>),
}

#[derive(Debug)]
struct Inner {
    file: File,
    dir: PathBuf,
    log: BTreeMap<u64, Entry<TypeConfig>>,
    last_purged: Option<LogId<NodeId>>,
    vote: Option<Vote<NodeId>>,
    committed: Option<LogId<NodeId>>,
    /// Written but not yet synced (only ever true with the planted bug
    /// between an append and the next group commit).
    unsynced: bool,
    flush_before_sync: bool,
}

/// A node's log store. Clones share it (openraft takes one as the store
/// and more as log readers).
#[derive(Clone, Debug)]
pub struct LogStore {
    inner: Rc<RefCell<Inner>>,
}

impl LogStore {
    /// Opens (or creates, durably) the store in `dir` and replays it.
    pub fn open(dir: &Path, flush_before_sync: bool) -> std::io::Result<LogStore> {
        fs::create_dir_all(dir)?;
        for ancestor in dir.ancestors() {
            fs::sync_dir(ancestor)?;
        }
        let path = dir.join(LOG_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        file.sync_all()?;
        fs::sync_dir(dir)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;

        let (mut log, mut last_purged, mut committed) = (BTreeMap::new(), None, None);
        let mut at = 0;
        while let Some((record, next)) = wire::get::<Record>(&bytes, at) {
            match record {
                Record::Commit(id) => committed = Some(id),
                record => replay(&mut log, &mut last_purged, record),
            }
            at = next;
        }
        if at < bytes.len() {
            tracing::warn!(valid = at, len = bytes.len(), "torn log tail cut off");
            file.set_len(at as u64)?;
            file.sync_all()?;
        }
        let vote = match fs::read(dir.join(VOTE_FILE)) {
            Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(std::io::Error::other)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        Ok(LogStore {
            inner: Rc::new(RefCell::new(Inner {
                file,
                dir: dir.to_path_buf(),
                log,
                last_purged,
                vote,
                committed,
                unsynced: false,
                flush_before_sync,
            })),
        })
    }

    /// The planted group commit: syncs what `append` left unsynced, every
    /// [`GROUP_COMMIT`]. Spawn it on the node (a no-op without the bug).
    pub async fn group_commit(self) {
        loop {
            tokio::time::sleep(GROUP_COMMIT).await;
            let mut inner = self.inner.borrow_mut();
            if inner.unsynced {
                if let Err(e) = inner.file.sync_all() {
                    tracing::error!(error = %e, "group commit failed");
                    return;
                }
                inner.unsynced = false;
            }
        }
    }

    /// How many entries the log holds (tests).
    pub fn len(&self) -> usize {
        self.inner.borrow().log.len()
    }

    /// True if the log holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn replay(
    log: &mut BTreeMap<u64, Entry<TypeConfig>>,
    last_purged: &mut Option<LogId<NodeId>>,
    record: Record,
) {
    match record {
        Record::Append(entries) => {
            for entry in entries {
                log.insert(entry.log_id.index, entry);
            }
        }
        Record::Truncate(from) => {
            log.split_off(&from);
        }
        Record::Purge(upto) => {
            *log = log.split_off(&(upto.index + 1));
            *last_purged = Some(upto);
        }
        Record::Commit(_) => {}
    }
}

impl Inner {
    /// Appends `record` to the file; syncs it unless `defer_sync`.
    fn write(&mut self, record: &Record, defer_sync: bool) -> std::io::Result<()> {
        let mut buf = Vec::new();
        wire::put(record, &mut buf);
        self.file.write_all(&buf)?;
        if defer_sync {
            self.unsynced = true;
        } else {
            self.file.sync_all()?;
            self.unsynced = false;
        }
        Ok(())
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError<NodeId>> {
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let start = match range.start_bound() {
            Included(&i) => i,
            Excluded(&i) => i.saturating_add(1),
            Unbounded => 0,
        };
        let end = match range.end_bound() {
            Included(&i) => Some(i.saturating_add(1)),
            Excluded(&i) => Some(i),
            Unbounded => None,
        };
        if end.is_some_and(|end| start > end) {
            // openraft asked for an inverted range (0.9.14 does, after a
            // committed index went backwards): refuse it as a storage error
            // rather than let BTreeMap::range panic.
            let e = std::io::Error::other(format!("inverted log range {start}..{end:?}"));
            return Err(StorageIOError::read_logs(&e).into());
        }
        let inner = self.inner.borrow();
        let entries = match end {
            Some(end) => inner.log.range(start..end),
            None => inner.log.range(start..),
        };
        Ok(entries.map(|(_, e)| e.clone()).collect())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<NodeId>> {
        let inner = self.inner.borrow();
        let last = inner.log.values().next_back().map(|e| e.log_id);
        Ok(LogState {
            last_purged_log_id: inner.last_purged,
            last_log_id: last.or(inner.last_purged),
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError<NodeId>> {
        let mut inner = self.inner.borrow_mut();
        let dir = inner.dir.clone();
        write_atomically(
            &dir,
            VOTE_FILE,
            &serde_json::to_vec(vote).expect("a vote serialises"),
        )
        .map_err(|e| StorageIOError::write_vote(&e))?;
        inner.vote = Some(*vote);
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError<NodeId>> {
        Ok(self.inner.borrow().vote)
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogId<NodeId>>,
    ) -> Result<(), StorageError<NodeId>> {
        let mut inner = self.inner.borrow_mut();
        if let Some(id) = committed {
            inner
                .write(&Record::Commit(id), false)
                .map_err(|e| StorageIOError::write_logs(&e))?;
        }
        inner.committed = committed;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<NodeId>>, StorageError<NodeId>> {
        Ok(self.inner.borrow().committed)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>>,
    {
        let entries: Vec<Entry<TypeConfig>> = entries.into_iter().collect();
        let mut inner = self.inner.borrow_mut();
        let early = inner.flush_before_sync;
        let record = Record::Append(entries);
        let written = inner.write(&record, early);
        if let Err(e) = &written {
            callback.log_io_completed(Err(std::io::Error::new(e.kind(), e.to_string())));
            return Err(StorageIOError::write_logs(e).into());
        }
        let Record::Append(entries) = record else {
            unreachable!("built above")
        };
        for entry in entries {
            inner.log.insert(entry.log_id.index, entry);
        }
        // Correct: the callback fires after the sync in `write`. With the
        // planted bug the sync is still pending (see `group_commit`).
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        let mut inner = self.inner.borrow_mut();
        inner
            .write(&Record::Truncate(log_id.index), false)
            .map_err(|e| StorageIOError::write_logs(&e))?;
        inner.log.split_off(&log_id.index);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        let mut inner = self.inner.borrow_mut();
        inner
            .write(&Record::Purge(log_id), false)
            .map_err(|e| StorageIOError::write_logs(&e))?;
        let Inner {
            log, last_purged, ..
        } = &mut *inner;
        replay(log, last_purged, Record::Purge(log_id));
        Ok(())
    }
}

/// Replaces `dir/name` with `bytes` durably: a synced temporary file
/// renamed into place, then the directory synced.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, dir.join(name))?;
    fs::sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openraft::CommittedLeaderId;

    /// A restarted node must know what it had committed: a node that
    /// restarts as leader reads at `max(committed, …)` (see the module docs).
    #[test]
    fn the_committed_log_id_survives_a_restart() {
        let mut sim = turmoil::Builder::new().build();
        sim.client("n0", async {
            let dir = Path::new("/data/n0");
            let id = LogId::new(CommittedLeaderId::new(3, 1), 7);
            let mut store = LogStore::open(dir, false)?;
            assert_eq!(store.read_committed().await?, None);
            store.save_committed(Some(id)).await?;
            drop(store);
            let mut reopened = LogStore::open(dir, false)?;
            assert_eq!(reopened.read_committed().await?, Some(id));
            Ok(())
        });
        sim.run().expect("the simulation runs");
    }
}
