//! `harness schedule DIR`: a run's faults written out as an explicit
//! schedule, as a scenario that `harness run --scenario` runs to the same
//! history.

use crate::faults::with_explicit_schedule;
use crate::rundir::read_scenario;
use anyhow::Context;
use clap::Args;
use results::History;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `harness schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// A run directory written by `harness run` or `harness sweep`.
    pub dir: PathBuf,
    /// Where the scenario goes (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Writes the run's scenario with every fault that started scripted (time,
/// target, duration) and nothing drawn.
pub fn schedule(args: ScheduleArgs) -> anyhow::Result<ExitCode> {
    let scenario = read_scenario(&args.dir.join("config.json"))?;
    let path = args.dir.join("history.jsonl");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let history = History::from_jsonl(&text, &path.display().to_string())?;
    let explicit = with_explicit_schedule(&scenario, &history);
    let json = serde_json::to_string_pretty(&explicit)? + "\n";
    match &args.out {
        Some(out) => {
            std::fs::write(out, json).with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!(
                "{} faults written out to {}; run it with harness run --scenario {}",
                explicit.nemesis.script.len(),
                out.display(),
                out.display()
            );
        }
        None => print!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}
