//! `harness explore`: guided exploration ([`crate::explore`]) from the
//! command line: blind seeds first, then mutants of the fault schedules of
//! runs that reached something new, until the first failure or the budget.

use super::registry::Systems;
use super::run::timed;
use super::scenario_args::ScenarioArgs;
use crate::explore::{explore, Explored, Options};
use crate::rundir::write_run_dir;
use crate::sweep::verdict::judge;
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `harness explore`.
#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// Runs to try in all, blind seeds and mutants together.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub runs: u64,
    /// The first blind seed (later ones count up from it); it also seeds
    /// every choice of the exploration, so the same flags explore the same
    /// runs.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Once the corpus has runs, the share of fresh blind seeds (percent).
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub blind_pct: u32,
    /// Simulations run at once (default: the number of cores); the result
    /// does not depend on it.
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Where the first failing run's directory goes (default:
    /// `runs/explore-SEED`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The scenario flags (as `harness run`'s).
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}

/// Explores, prints what it reached, and writes the first failing run's
/// directory; exits with that run's verdict code (0 if none failed).
pub fn explore_cmd(args: ExploreArgs, systems: &Systems) -> anyhow::Result<ExitCode> {
    args.scenario.to_scenario(args.seed, systems)?;
    let system = systems
        .get(args.scenario.system.as_deref())
        .map_err(anyhow::Error::msg)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("runs/explore-{}", args.seed)));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    println!(
        "explore from seed {}: up to {} runs, {jobs} jobs, {}% blind seeds, into {}",
        args.seed,
        args.runs,
        args.blind_pct,
        out.display()
    );
    let options = Options {
        start: args.seed,
        runs: args.runs,
        jobs,
        blind_pct: args.blind_pct,
    };
    let base = |seed: u64| {
        args.scenario
            .to_scenario(seed, systems)
            .expect("the flags were checked on the first seed")
    };
    let run = |scenario: &crate::Scenario| {
        let outcome = system.run(scenario);
        let (verdict, _) = judge(&outcome, 1);
        (verdict, outcome.history)
    };
    let bar = progress_bar(args.runs);
    let (explored, wall) = timed(|| {
        explore(&options, &base, &run, &mut |s: &Explored| {
            bar.set_position(s.runs);
            bar.set_message(format!("corpus {}, {} features", s.corpus, s.features));
        })
    });
    bar.finish_and_clear();
    println!(
        "explored {} runs ({} blind seeds, {} mutants) in {:.1} s: corpus {} runs, {} features",
        explored.runs,
        explored.blind,
        explored.runs - explored.blind,
        wall.as_secs_f64(),
        explored.corpus,
        explored.features
    );
    let Some(found) = explored.found else {
        println!("no failure");
        return Ok(ExitCode::SUCCESS);
    };
    println!(
        "first failure at run {} ({}): {}",
        found.run, found.origin, found.verdict
    );
    // Re-run the failing scenario for its run directory: the same history,
    // since every run is deterministic.
    let outcome = system.run(&found.scenario);
    let (verdict, report) = judge(&outcome, 1);
    let dir = write_run_dir(&out, &found.scenario, &outcome, report.as_ref())?;
    if verdict.label() != found.verdict.label() {
        eprintln!(
            "warning: the re-run judged {} where the exploration saw {}",
            verdict.label(),
            found.verdict.label()
        );
    }
    println!("replay: harness replay {}", dir.display());
    println!(
        "rerun:  harness run --scenario {}",
        dir.join("config.json").display()
    );
    Ok(ExitCode::from(found.verdict.exit_code()))
}

fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let style =
        ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} runs, {msg}, ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(len).with_style(style)
}
