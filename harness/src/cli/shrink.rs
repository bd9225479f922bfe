//! `harness shrink DIR`: the smallest run found that still fails the way
//! DIR's run did, written as a new run directory (see [`crate::shrink`]).

use super::registry::{SystemEntry, Systems};
use super::run::{print_verdict, timed};
use crate::rundir::{read_scenario, write_run_dir_named};
use crate::shrink::{shrink as search, Failure, ShrinkOptions, Size};
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use results::{EventType, History, Process};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `harness shrink`.
#[derive(Debug, Args)]
pub struct ShrinkArgs {
    /// A failing run directory (written by `harness run` or `harness sweep`).
    pub dir: PathBuf,
    /// Wall-clock budget in seconds; past it the best run so far is kept.
    #[arg(long, value_name = "SECONDS", default_value_t = 120.0)]
    pub time: f64,
    /// Most candidate runs.
    #[arg(long, default_value_t = 2_000)]
    pub attempts: usize,
    /// Simulations run at once (default: the number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Parent directory of the shrunk run directory (default: DIR's own
    /// parent); it is named after DIR, with `-shrunk` appended.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl ShrinkArgs {
    /// The budget these arguments give.
    pub fn options(&self) -> anyhow::Result<ShrinkOptions> {
        anyhow::ensure!(
            self.time.is_finite() && self.time > 0.0 && self.time <= 86_400.0,
            "--time must be a number of seconds from 0 to 86400, got {}",
            self.time
        );
        anyhow::ensure!(self.attempts >= 1, "--attempts must be at least 1");
        let mut opts = ShrinkOptions {
            time: Duration::from_secs_f64(self.time),
            attempts: self.attempts,
            ..ShrinkOptions::default()
        };
        if let Some(jobs) = self.jobs {
            opts.jobs = jobs.max(1);
        }
        Ok(opts)
    }
}

/// `harness shrink`: exits with the shrunk run's verdict code (the same
/// failure as DIR's), or 3 when DIR does not fail.
pub fn shrink(args: ShrinkArgs, systems: &Systems) -> anyhow::Result<ExitCode> {
    let opts = args.options()?;
    let parent = match &args.out {
        Some(out) => out.clone(),
        None => args
            .dir
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    let (_, code) = shrink_dir(&args.dir, &parent, systems, &opts)?;
    Ok(ExitCode::from(code))
}

/// Shrinks the run in `dir` into `parent/<dir's name>-shrunk`, printing
/// before → after and the counterexample. Returns the new directory and
/// its verdict's exit code.
pub fn shrink_dir(
    dir: &Path,
    parent: &Path,
    systems: &Systems,
    opts: &ShrinkOptions,
) -> anyhow::Result<(PathBuf, u8)> {
    let config = dir.join("config.json");
    let scenario = read_scenario(&config)?;
    let system: &dyn SystemEntry = systems
        .for_scenario(&scenario)
        .map_err(|e| anyhow::anyhow!("{}: {e}", config.display()))?;
    let path = dir.join("history.jsonl");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let history = History::from_jsonl(&text, &path.display().to_string())?;

    let bar = progress_bar();
    let (shrunk, wall) = timed(|| {
        search(
            &|s| system.run(s),
            &scenario,
            &history,
            opts,
            &mut |size, attempts| {
                bar.set_message(format!("{size} (after {attempts} runs)"));
            },
        )
    });
    bar.finish_and_clear();
    let shrunk = shrunk.map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let best = &shrunk.best;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("seed-{}", scenario.seed));
    let out = write_run_dir_named(
        parent,
        &format!("{name}-shrunk"),
        &best.scenario,
        &best.outcome,
        best.report.as_ref(),
    )?;

    println!(
        "shrunk {} in {:.1} s: {} candidate runs on {} jobs{}",
        dir.display(),
        wall.as_secs_f64(),
        shrunk.attempts,
        opts.jobs,
        if shrunk.cut_short {
            " (budget spent: the best so far)"
        } else {
            ""
        }
    );
    println!("  verdict    {}", best.verdict.label());
    let (a, b) = (Counts::of(&shrunk.original), Counts::of(best));
    println!("  faults     {} → {}", a.faults, b.faults);
    println!("  ops        {} → {}", a.ops, b.ops);
    println!("  clients    {} → {}", a.size.clients, b.size.clients);
    println!("  keys       {} → {}", a.size.keys, b.size.keys);
    println!("  nodes      {} → {}", a.size.nodes, b.size.nodes);
    println!(
        "  simulated  {:.3} s → {:.3} s",
        shrunk.original.outcome.sim_time.as_secs_f64(),
        best.outcome.sim_time.as_secs_f64()
    );
    print_verdict(
        best.scenario.seed,
        &best.outcome,
        best.report.as_ref(),
        Some(&out),
    );
    println!("shrunk run directory: {}", out.display());
    println!("replay: harness replay {}", out.display());
    Ok((out, best.verdict.exit_code()))
}

/// What a run did, for before → after: the faults that started and the
/// client ops invoked (final reads included).
struct Counts {
    size: Size,
    faults: usize,
    ops: usize,
}

impl Counts {
    fn of(f: &Failure) -> Counts {
        let events = f.outcome.history.events();
        let count =
            |pick: &dyn Fn(&results::Event) -> bool| events.iter().filter(|e| pick(e)).count();
        Counts {
            size: Size::of(&f.scenario),
            faults: count(&|e| e.process == Process::Nemesis && e.f.ends_with("-start")),
            ops: count(&|e| e.kind == EventType::Invoke && matches!(e.process, Process::Client(_))),
        }
    }
}

/// A line on stderr with the current size, when it is a terminal.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    }
    let style = ProgressStyle::with_template("{spinner} shrinking [{elapsed}]: {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let bar = ProgressBar::new_spinner().with_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
