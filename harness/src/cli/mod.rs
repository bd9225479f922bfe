//! The `harness` command line: one file per subcommand.

mod check;
mod compare;
mod report;
mod run;
pub mod scenario_args;
pub mod sweep;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code for unusable input or an internal error (0, 1 and 2 are
/// verdicts: linearizable, not linearizable, unknown).
pub const EXIT_ERROR: u8 = 3;

/// Exit code of a run whose healed cluster did not answer every key in
/// time (a liveness failure), when its history is not also invalid.
pub const EXIT_LIVENESS: u8 = 4;

/// Deterministic fault-injection testing of a replicated key-value store.
///
/// Every run is reproducible from its seed: `harness replay DIR` re-runs a
/// saved run and checks the history is byte-identical.
#[derive(Debug, Parser)]
#[command(name = "harness", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one seeded simulation and write a run directory.
    Run(run::RunArgs),
    /// Run many seeds in parallel (a range, or one shard of it for a CI
    /// matrix); exit 0 only if every seed is linearizable.
    Sweep(sweep::SweepArgs),
    /// Re-run a saved run from its config.json and compare the histories.
    Replay(run::ReplayArgs),
    /// Check history files for linearizability.
    Check(check::CheckArgs),
    /// Compare the latency percentiles of two runs or sweeps (B against A).
    Compare(compare::CompareArgs),
    /// Write DIR/report.html: op timeline, fault windows, latency over time.
    Report(report::ReportArgs),
}

/// Parses the command line, runs the subcommand, and maps errors to exit
/// code 3 with a message on stderr. A malformed command line is an error
/// too (3, not clap's usual 2, which here means "unknown" verdict);
/// `--help` and `--version` exit 0.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print(); // best effort: stdout/stderr may be closed
            return match err.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(EXIT_ERROR),
            };
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Replay(args) => run::replay(args),
        Command::Check(args) => check::check(args),
        Command::Compare(args) => compare::compare(args),
        Command::Report(args) => report::report(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
