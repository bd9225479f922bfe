//! Combining the sweep directories of N shards into one: the summary, the
//! JUnit report and the merged latency, as one machine running the whole
//! range writes them, and every failing seed's run directory.

use super::summary::{SweepSummary, SUMMARY_FILE};
use anyhow::{bail, Context};
use results::latency::{Latencies, HDR_FILE};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One shard's sweep directory, read.
pub struct ShardDir {
    /// Where it is.
    pub dir: PathBuf,
    /// Its `sweep.json`.
    pub summary: SweepSummary,
    /// Its merged latency histograms.
    pub latencies: Latencies,
}

/// Reads a sweep directory; errors name the file.
pub fn read_shard(dir: &Path) -> anyhow::Result<ShardDir> {
    let path = dir.join(SUMMARY_FILE);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let summary: SweepSummary = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not a sweep summary as `harness sweep` writes: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    let latencies = Latencies::read_hdr_file(&dir.join(HDR_FILE))?;
    Ok(ShardDir {
        dir: dir.to_path_buf(),
        summary,
        latencies,
    })
}

/// The one summary and latency of `shards`: the results of every seed, in
/// seed order, as one sweep over their common range. Refuses shards of
/// different ranges or flags, and a seed that two shards both ran.
pub fn merge(shards: &[ShardDir]) -> anyhow::Result<(SweepSummary, Latencies)> {
    let Some(first) = shards.first() else {
        bail!("give at least one sweep directory to merge");
    };
    let mut seen = BTreeSet::new();
    let mut latencies = Latencies::new();
    let mut results = Vec::new();
    let mut not_run = Vec::new();
    let (mut wall_s, mut jobs, mut stopped) = (0f64, 0usize, None);
    for shard in shards {
        let s = &shard.summary;
        if s.range != first.summary.range || s.flags != first.summary.flags {
            bail!(
                "{} is a sweep of {} with flags {:?}, but {} is of {} with {:?}: only shards of one sweep merge",
                shard.dir.display(),
                s.range,
                s.flags,
                first.dir.display(),
                first.summary.range,
                first.summary.flags
            );
        }
        for r in &s.results {
            if !seen.insert(r.seed) {
                bail!(
                    "seed {} is in more than one of the directories (again in {}): the same shard given twice?",
                    r.seed,
                    shard.dir.display()
                );
            }
        }
        results.extend(s.results.iter().cloned());
        not_run.extend(s.not_run.iter().copied());
        latencies.merge(&shard.latencies);
        wall_s = wall_s.max(s.wall_s);
        jobs += s.jobs;
        stopped = stopped.or(s.stopped);
    }
    not_run.sort_unstable();
    let range = first
        .summary
        .range
        .parse()
        .map_err(|e: String| anyhow::anyhow!("{}: range: {e}", first.dir.display()))?;
    let mut summary = SweepSummary::new(
        range,
        super::shard::Shard::new(1, 1).map_err(anyhow::Error::msg)?,
        jobs,
        std::time::Duration::from_secs_f64(wall_s),
        results,
        not_run,
        stopped,
    );
    summary.flags = first.summary.flags.clone();
    Ok((summary, latencies))
}

/// Copies the run directory `from` to `to` (files only, one level: a run
/// directory holds no folders).
pub fn copy_run_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}
