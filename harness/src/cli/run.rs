//! `harness run` and `harness replay`.

use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `harness run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The seed (picked and printed when absent).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Arguments of `harness replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A run directory written by `harness run`.
    pub dir: PathBuf,
}

pub fn run(_args: RunArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}

pub fn replay(_args: ReplayArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
