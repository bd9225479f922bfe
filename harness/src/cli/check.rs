//! `harness check FILE...`: judge history files. (Filled in by the checker work.)

use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `harness check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// History files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn check(_args: CheckArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the checker is not built yet")
}
