//! `harness merge DIR...`: the sweep directories of N shards into one.

use crate::sweep::merge::{copy_run_dir, merge as merge_shards, read_shard};
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `harness merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' sweep directories (`harness sweep --shard K/N --out
    /// DIR`), in any order.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the merged sweep directory goes; it must not hold files yet.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write a JUnit XML report (one test case per seed) to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// Reads every shard, merges, writes the merged directory and prints its
/// summary; the exit code is the merged sweep's.
pub fn merge(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let is_free = std::fs::read_dir(&args.out).map_or(true, |mut d| d.next().is_none());
    anyhow::ensure!(
        is_free,
        "--out {} already holds files: give a new or empty directory",
        args.out.display()
    );
    let shards = args
        .dirs
        .iter()
        .map(|d| read_shard(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (mut summary, latencies) = merge_shards(&shards)?;
    // Each shard's per-seed histograms, kept encoded (seeds never overlap).
    let mut per_seed = results::latency::seeds::SeedLines::new();
    for shard in &shards {
        let path = shard.dir.join(results::latency::seeds::SEEDS_FILE);
        if path.is_file() {
            let bytes = results::latency::seeds::read_bounded(&path)?;
            per_seed.add_hdr(&bytes, &path.display().to_string())?;
        }
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    // Kept run directories move along with their results.
    for result in &mut summary.results {
        let Some(dir) = &result.dir else { continue };
        let Some(name) = dir.file_name() else {
            continue;
        };
        let to = args.out.join(name);
        copy_run_dir(dir, &to)?;
        result.dir = Some(to);
    }
    println!("merged {} sweep directories", shards.len());
    let outputs = super::sweep::Outputs {
        latencies: &latencies,
        per_seed: &per_seed,
        junit: args.junit.as_deref(),
    };
    super::sweep::finish(&args.out, &summary, &outputs)?;
    Ok(ExitCode::from(summary.exit_code()))
}
