//! `harness sweep`: many seeds in parallel, for CI.
//!
//! 1. **Plan**: the shard's seeds of the range, the sweep directory, the
//!    scenario flags (checked once, up front).
//! 2. **Run**: `--jobs` threads, one whole seed per thread (run, check,
//!    keep the run directory of a failing seed); the progress bar and the
//!    tally advance as seeds finish. Ctrl-C or `--fail-fast` stop handing
//!    out seeds; seeds in progress finish.
//! 3. **Report**: merged latency histograms, `sweep.json` and the JUnit
//!    file, each written whole (temporary file, then rename); the summary
//!    with a replay command per failing seed; the exit code.

use super::registry::Systems;
use super::run::timed;
use super::scenario_args::ScenarioArgs;
use crate::rundir::write_run_dir;
use crate::sweep::shard::{SeedRange, Shard};
use crate::sweep::summary::{SeedResult, Stopped, SweepSummary};
use crate::sweep::verdict::{judge, SeedVerdict};
use crate::sweep::{junit, pool};
use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use results::latency::by_fault::FaultLatencies;
use results::latency::seeds::{SeedLines, SEEDS_FILE};
use results::latency::Latencies;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

pub use crate::sweep::summary::SUMMARY_FILE;

/// Arguments of `harness sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Seeds to run: `A..B` (B excluded) or `A..=B`.
    #[arg(long, required_unless_present = "count", conflicts_with = "count")]
    pub seeds: Option<SeedRange>,
    /// Number of seeds to run, from `--seed` on.
    #[arg(long)]
    pub count: Option<u64>,
    /// First seed with `--count`.
    #[arg(long, default_value_t = 0, requires = "count")]
    pub seed: u64,
    /// Simulations run at once (default: the number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Run only shard K of N (1-based, like a CI matrix index): seed
    /// `start + i` belongs to shard `i mod N + 1`.
    #[arg(long, default_value = "1/1")]
    pub shard: Shard,
    /// Stop handing out seeds after the first one that does not pass.
    #[arg(long)]
    pub fail_fast: bool,
    /// Also write a JUnit XML report (one test case per seed) to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// The sweep directory (default: `runs/sweep-A-B`, with the shard
    /// appended when there is more than one); it must not hold files yet.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Which seeds keep a full run directory.
    #[arg(long, value_enum, default_value_t = Keep::Failures)]
    pub keep: Keep,
    /// Shrink each failing seed once the sweep is done (as `harness
    /// shrink` does, with its default budget): its `seed-N-shrunk`
    /// directory goes beside `seed-N`.
    #[arg(long)]
    pub shrink: bool,
    /// The scenario flags (as `harness run`'s).
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}

/// Which seeds of a sweep keep their run directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Keep {
    /// Every seed.
    All,
    /// Only seeds that did not pass (not linearizable, unknown, liveness,
    /// error).
    Failures,
}

/// `harness sweep`: Ctrl-C stops handing out seeds (a second one exits at
/// once), then [`run_sweep`].
pub fn sweep(args: SweepArgs, systems: &Systems) -> anyhow::Result<ExitCode> {
    let stop = Arc::new(AtomicBool::new(false));
    let presses = AtomicUsize::new(0);
    let flag = stop.clone();
    ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            flag.store(true, Ordering::SeqCst);
            eprintln!("\ninterrupted: finishing the seeds in progress (Ctrl-C again to quit now)");
        } else {
            // Run directories in progress stay hidden temporary folders
            // (`.seed-N.tmp-PID`): never mistaken for whole runs.
            eprintln!("\ninterrupted twice: quitting without a summary");
            std::process::exit(i32::from(crate::sweep::summary::EXIT_INTERRUPTED));
        }
    })
    .context("cannot install the Ctrl-C handler")?;
    run_sweep(args, systems, &stop)
}

/// Runs the sweep until done or until `stop` is set (what Ctrl-C sets),
/// writes the sweep directory and prints the summary.
pub fn run_sweep(
    args: SweepArgs,
    systems: &Systems,
    stop: &AtomicBool,
) -> anyhow::Result<ExitCode> {
    // 1. Plan.
    let range = match (args.seeds, args.count) {
        (Some(range), _) => range,
        (None, Some(count)) => {
            SeedRange::from_count(args.seed, count).map_err(anyhow::Error::msg)?
        }
        (None, None) => anyhow::bail!("give the seeds to run: --seeds A..B or --count N"),
    };
    let seeds: Vec<u64> = args.shard.seeds(range).collect();
    args.scenario.to_scenario(range.start, systems)?;
    let jobs = args.jobs.unwrap_or_else(default_jobs).max(1);
    let out = sweep_dir(args.out.as_deref(), range, args.shard)?;
    // Checked before any seed runs: a sweep directory that cannot be made
    // would otherwise fail only after the whole sweep.
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    println!(
        "sweep {range} shard {}: {} seeds, {jobs} jobs, into {}",
        args.shard,
        seeds.len(),
        out.display()
    );
    let plan = Plan {
        systems,
        system: systems
            .get(args.scenario.system.as_deref())
            .map_err(anyhow::Error::msg)?,
        scenario: &args.scenario,
        out: &out,
        keep: args.keep,
    };

    // 2. Run.
    let progress = Progress::new(seeds.len() as u64);
    let mut results = Vec::with_capacity(seeds.len());
    let mut latencies = Latencies::new();
    // Encoded at once: decoded, a seed's histograms take about 10 MB.
    let mut per_seed = SeedLines::new();
    let mut encode_error = None;
    let mut failures = 0usize;
    let (not_run, wall) = timed(|| {
        let done = |_, (result, lat): (SeedResult, FaultLatencies)| {
            latencies.merge(&lat.all);
            if !lat.all.is_empty() {
                if let Err(e) = per_seed.insert(result.seed, &lat) {
                    // The sweep fails below: start no more seeds for it.
                    encode_error.get_or_insert(e);
                    stop.store(true, Ordering::SeqCst);
                }
            }
            if !result.verdict.is_pass() {
                failures += 1;
                progress.failure(&result, &args.scenario);
                if args.fail_fast {
                    stop.store(true, Ordering::SeqCst);
                }
            }
            results.push(result);
            progress.seed_done(failures);
        };
        pool::run(&seeds, jobs, stop, |seed| plan.run_seed_guarded(seed), done)
    });
    progress.bar.finish_and_clear();
    if let Some(e) = encode_error {
        anyhow::bail!("cannot encode the per-seed histograms: {e}");
    }

    // 3. Report.
    let mut failing: Vec<PathBuf> = results
        .iter()
        .filter(|r| !r.verdict.is_pass())
        .filter_map(|r| r.dir.clone())
        .collect();
    failing.sort();
    let stopped = match (args.fail_fast && failures > 0, stop.load(Ordering::SeqCst)) {
        (true, _) => Some(Stopped::FailFast),
        (false, true) => Some(Stopped::Interrupted),
        (false, false) => None,
    };
    let mut summary = SweepSummary::new(range, args.shard, jobs, wall, results, not_run, stopped);
    summary.flags = args.scenario.flags();
    let outputs = Outputs {
        latencies: &latencies,
        per_seed: &per_seed,
        junit: args.junit.as_deref(),
    };
    finish(&out, &summary, &outputs)?;
    if args.shrink {
        let opts = crate::shrink::ShrinkOptions {
            jobs,
            ..crate::shrink::ShrinkOptions::default()
        };
        for dir in &failing {
            println!();
            if let Err(e) = super::shrink::shrink_dir(dir, &out, systems, &opts) {
                println!("cannot shrink {}: {e:#}", dir.display());
            }
        }
    }
    Ok(ExitCode::from(summary.exit_code()))
}

/// What every worker needs to run one seed.
struct Plan<'a> {
    systems: &'a Systems,
    /// The system every seed runs (`to_scenario` has checked each seed's
    /// configuration builds it).
    system: &'a dyn super::registry::SystemEntry,
    scenario: &'a ScenarioArgs,
    out: &'a Path,
    keep: Keep,
}

impl Plan<'_> {
    /// [`Plan::run_seed`], with a panic outside the simulation (which the
    /// runner already catches), e.g. in the checker or the latency summary,
    /// reported as an error of that seed rather than ending the sweep.
    fn run_seed_guarded(&self, seed: u64) -> (SeedResult, FaultLatencies) {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_seed(seed)))
            .unwrap_or_else(|panic| {
                let message = crate::runner::panic_message(panic.as_ref());
                let detail = format!("internal error: the harness panicked: {message}");
                (error_result(seed, detail), FaultLatencies::default())
            })
    }

    /// Runs and judges one seed; writes its run directory if it is kept.
    fn run_seed(&self, seed: u64) -> (SeedResult, FaultLatencies) {
        let scenario = match self.scenario.to_scenario(seed, self.systems) {
            Ok(s) => s,
            Err(e) => {
                return (
                    error_result(seed, format!("{e:#}")),
                    FaultLatencies::default(),
                )
            }
        };
        let ((outcome, (mut verdict, report)), wall) = timed(|| {
            let outcome = self.system.run(&scenario);
            let judged = judge(&outcome, 1);
            (outcome, judged)
        });
        let mut dir = None;
        if self.keep == Keep::All || !verdict.is_pass() {
            match write_run_dir(self.out, &scenario, &outcome, report.as_ref()) {
                Ok(d) => dir = Some(d),
                Err(e) => {
                    verdict = SeedVerdict::Error {
                        detail: format!("{verdict}, and its run directory was not written: {e:#}"),
                    }
                }
            }
        }
        let result = SeedResult {
            seed,
            verdict,
            dir,
            wall_s: wall.as_secs_f64(),
            sim_s: outcome.sim_time.as_secs_f64(),
        };
        (result, FaultLatencies::from_history(&outcome.history))
    }
}

fn error_result(seed: u64, detail: String) -> SeedResult {
    let verdict = SeedVerdict::Error { detail };
    SeedResult {
        seed,
        verdict,
        dir: None,
        wall_s: 0.0,
        sim_s: 0.0,
    }
}

/// Seeds done, failures so far and the ETA: a bar on stderr when it is a
/// terminal; otherwise (a CI log) a line at every tenth of the seeds.
struct Progress {
    bar: ProgressBar,
    log_every: Option<u64>,
}

impl Progress {
    fn new(len: u64) -> Self {
        if !std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
            return Progress {
                bar,
                log_every: Some((len / 10).max(1)),
            };
        }
        let template = "{bar:30.cyan/blue} {pos}/{len} seeds, {msg}, {rate}, ETA {eta}";
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.1} seeds/s", state.per_sec());
                },
            );
        let bar = ProgressBar::new(len).with_style(style);
        bar.set_message("0 failing");
        Progress {
            bar,
            log_every: None,
        }
    }

    /// One more seed finished; `failures` so far.
    fn seed_done(&self, failures: usize) {
        self.bar.inc(1);
        self.bar.set_message(format!("{failures} failing"));
        let (done, len) = (self.bar.position(), self.bar.length().unwrap_or(0));
        if self.log_every.is_some_and(|n| done % n == 0 || done == len) {
            eprintln!("{done}/{len} seeds done, {failures} failing");
        }
    }

    /// Prints a failing seed as soon as it is known (CI logs show it even
    /// if the sweep is killed later), above the bar.
    fn failure(&self, result: &SeedResult, scenario: &ScenarioArgs) {
        self.bar.suspend(|| {
            eprintln!("seed {}: {}", result.seed, result.verdict);
            if let Some(dir) = &result.dir {
                eprintln!("  harness replay {}", dir.display());
            }
            eprintln!("  {}", scenario.run_command(result.seed));
        });
    }
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The sweep directory: `--out` if it is new or empty, else an error; by
/// default `runs/sweep-A-B[-shard-K-of-N]`, suffixed `-2`, `-3`, … rather
/// than mixed with an earlier sweep.
fn sweep_dir(out: Option<&Path>, range: SeedRange, shard: Shard) -> anyhow::Result<PathBuf> {
    let is_free = |p: &Path| std::fs::read_dir(p).map_or(true, |mut d| d.next().is_none());
    if let Some(out) = out {
        anyhow::ensure!(
            is_free(out),
            "--out {} already holds files: give a new or empty directory",
            out.display()
        );
        return Ok(out.to_path_buf());
    }
    let mut name = format!("runs/sweep-{}-{}", range.start, range.end);
    if shard.count() > 1 {
        name += &format!("-shard-{}-of-{}", shard.index(), shard.count());
    }
    let base = PathBuf::from(name);
    let found = std::iter::once(base.clone())
        .chain((2..).map(|n| PathBuf::from(format!("{}-{n}", base.display()))))
        .find(|p| is_free(p));
    Ok(found.unwrap_or(base)) // the chain is endless: `find` returns Some
}

/// What a sweep (or a merge of sweeps) writes beside `sweep.json`.
pub(crate) struct Outputs<'a> {
    /// The merged latency histograms.
    pub latencies: &'a Latencies,
    /// Each seed's histograms (`seeds.hdr`).
    pub per_seed: &'a SeedLines,
    /// Where the JUnit report goes, if anywhere.
    pub junit: Option<&'a Path>,
}

/// Writes the sweep directory's files and prints the summary, with the
/// `harness run` line of each failing seed.
pub(crate) fn finish(
    out: &Path,
    summary: &SweepSummary,
    outputs: &Outputs<'_>,
) -> anyhow::Result<()> {
    let rerun = |seed| summary.run_command(seed);
    write_outputs(out, summary, outputs, &rerun)?;
    print!("{}", summary.to_text(&rerun, outputs.latencies));
    println!("sweep directory: {}", out.display());
    Ok(())
}

/// Writes the merged latencies, the per-seed ones (`seeds.hdr`),
/// `sweep.json` and the JUnit file.
fn write_outputs(
    out: &Path,
    summary: &SweepSummary,
    outputs: &Outputs<'_>,
    rerun: &dyn Fn(u64) -> String,
) -> anyhow::Result<()> {
    let (latencies, per_seed, junit_path) = (outputs.latencies, outputs.per_seed, outputs.junit);
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let hdr = out.join(results::latency::HDR_FILE);
    write_whole(&hdr, &latencies.to_hdr())?;
    // Each seed's histograms, so that `compare` can resample seeds.
    let mut seeds_hdr = Vec::new();
    per_seed.write_hdr(&mut seeds_hdr)?;
    write_whole(&out.join(SEEDS_FILE), &seeds_hdr)?;
    let json = out.join(results::latency::JSON_FILE);
    let json_text = if per_seed.is_empty() {
        latencies.to_json()
    } else {
        per_seed.merged().to_json() // with the by-fault-state groups
    };
    write_whole(&json, json_text.as_bytes())?;
    let text = serde_json::to_string_pretty(summary)? + "\n";
    write_whole(&out.join(SUMMARY_FILE), text.as_bytes())?;
    if let Some(path) = junit_path {
        let xml = junit::report(summary, rerun)
            .to_string()
            .with_context(|| format!("cannot serialise the JUnit report for {}", path.display()))?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        write_whole(path, xml.as_bytes())?;
    }
    Ok(())
}

/// Writes `path` through a temporary file beside it, renamed into place:
/// an interrupted write leaves the old file or none, never half a file.
fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}
