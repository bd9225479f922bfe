//! Run directories, written atomically: files go into a hidden temporary
//! folder beside the target, which is renamed into place only when complete,
//! so an interrupted run or sweep leaves only whole run directories.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A run directory being written. Dropped without [`RunDirWriter::commit`],
/// it removes its temporary folder.
#[derive(Debug)]
pub struct RunDirWriter {
    tmp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl RunDirWriter {
    /// Starts writing the run directory `parent/name` (created on commit).
    pub fn create(parent: &Path, name: &str) -> io::Result<Self> {
        fs::create_dir_all(parent)?;
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir(&tmp)?;
        Ok(RunDirWriter {
            tmp,
            target: parent.join(name),
            committed: false,
        })
    }

    /// Writes one file into the directory.
    pub fn write(&self, file: &str, contents: impl AsRef<[u8]>) -> io::Result<()> {
        fs::write(self.tmp.join(file), contents)
    }

    /// The unfinished directory itself (for writers that take a folder).
    pub fn dir(&self) -> &Path {
        &self.tmp
    }

    /// Where a file of the unfinished directory is (to write it streaming).
    pub fn path_of(&self, file: &str) -> PathBuf {
        self.tmp.join(file)
    }

    /// Moves the finished directory into place and returns its path. If
    /// the name is taken, `-2`, `-3`, … is appended rather than overwriting
    /// an earlier run.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        let target = free_name(&self.target);
        fs::rename(&self.tmp, &target)?;
        self.committed = true;
        Ok(target)
    }
}

impl Drop for RunDirWriter {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp); // best effort: it is only scratch
        }
    }
}

fn free_name(target: &Path) -> PathBuf {
    if !target.exists() {
        return target.to_path_buf();
    }
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (2..)
        .map(|n| target.with_file_name(format!("{name}-{n}")))
        .find(|candidate| !candidate.exists())
        .expect("some suffix is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("results-store-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_committed_dir_is_whole_and_never_overwritten() {
        let parent = scratch("commit");
        let w = RunDirWriter::create(&parent, "seed-1").unwrap();
        w.write("a.txt", "one").unwrap();
        assert!(!parent.join("seed-1").exists(), "invisible until committed");
        assert_eq!(w.commit().unwrap(), parent.join("seed-1"));

        let w = RunDirWriter::create(&parent, "seed-1").unwrap();
        w.write("a.txt", "two").unwrap();
        assert_eq!(w.commit().unwrap(), parent.join("seed-1-2"));
        assert_eq!(
            fs::read_to_string(parent.join("seed-1/a.txt")).unwrap(),
            "one"
        );
        fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn an_abandoned_dir_leaves_nothing() {
        let parent = scratch("abandon");
        {
            let w = RunDirWriter::create(&parent, "seed-2").unwrap();
            w.write("a.txt", "partial").unwrap();
        }
        assert_eq!(fs::read_dir(&parent).unwrap().count(), 0);
        fs::remove_dir_all(parent).unwrap();
    }
}
