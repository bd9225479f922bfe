//! Run directories, written atomically: files go into a hidden temporary
//! folder beside the target, which is renamed into place only when complete,
//! so an interrupted run or sweep leaves only whole run directories.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Temporary folders made by this process so far (with the pid, a name no
/// other writer can pick).
static TEMPORARIES: AtomicU64 = AtomicU64::new(0);

/// How many names (`seed-7`, `seed-7-2`, …) a commit tries before giving up.
const NAMES_TRIED: u32 = 10_000;

/// True if `name` (a file name in a runs folder) is a run directory still
/// being written, or left by a writer killed before its commit: hidden,
/// `.NAME.tmp-…`. Every reader of run and sweep folders (compare, report,
/// merge) must skip these.
pub fn is_temporary(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// The entries of `dir` that are not [temporary](is_temporary), sorted by
/// name.
pub fn finished_entries(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if !is_temporary(&entry.file_name().to_string_lossy()) {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

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
        // Unique to this process and call; `create_dir` fails rather than
        // reuse a folder another writer might own.
        let tmp = loop {
            let n = TEMPORARIES.fetch_add(1, Ordering::Relaxed);
            let tmp = parent.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
            match fs::create_dir(&tmp) {
                Ok(()) => break tmp,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        };
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
    /// an earlier run. Safe against writers committing the same name at
    /// once: a rename that finds the name taken by then tries the next.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        let name = self
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for n in 1..=NAMES_TRIED {
            let target = match n {
                1 => self.target.clone(),
                n => self.target.with_file_name(format!("{name}-{n}")),
            };
            // A name seen taken is skipped at once; one taken between the
            // look and the rename makes the rename fail (a directory is
            // only ever replaced if it is empty), and the next is tried.
            if target.exists() {
                continue;
            }
            match fs::rename(&self.tmp, &target) {
                Ok(()) => {
                    self.committed = true;
                    return Ok(target);
                }
                Err(e) if is_taken(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other(format!(
            "{}: every name up to {name}-{NAMES_TRIED} is taken",
            self.target.display()
        )))
    }
}

impl Drop for RunDirWriter {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp); // best effort: it is only scratch
        }
    }
}

/// True if a rename failed because its target exists and is not empty.
fn is_taken(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::AlreadyExists | io::ErrorKind::DirectoryNotEmpty
    )
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
    fn writers_of_one_name_at_once_lose_no_run() {
        let parent = scratch("race");
        let dirs: Vec<PathBuf> = std::thread::scope(|s| {
            let writers: Vec<_> = (0..30)
                .map(|i| {
                    let parent = &parent;
                    s.spawn(move || {
                        let w = RunDirWriter::create(parent, "seed-7").unwrap();
                        w.write("a.txt", format!("{i}")).unwrap();
                        w.commit().unwrap()
                    })
                })
                .collect();
            writers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut contents: Vec<String> = dirs
            .iter()
            .map(|d| fs::read_to_string(d.join("a.txt")).unwrap())
            .collect();
        contents.sort();
        contents.dedup();
        assert_eq!(contents.len(), 30, "every run kept, each in its own folder");
        assert_eq!(finished_entries(&parent).unwrap().len(), 30);
        fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn temporaries_are_recognised_and_skipped() {
        assert!(is_temporary(".seed-7.tmp-1234"));
        assert!(is_temporary(".seed-7.tmp-1234-5"));
        assert!(!is_temporary("seed-7"));
        assert!(!is_temporary(".hidden"));
        let parent = scratch("listing");
        fs::create_dir_all(parent.join(".seed-3.tmp-99")).unwrap();
        fs::create_dir_all(parent.join("seed-3")).unwrap();
        assert_eq!(finished_entries(&parent).unwrap(), [parent.join("seed-3")]);
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
