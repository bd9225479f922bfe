//! `harness run` (one seeded simulation into a run directory) and
//! `harness replay` (run it again and compare the histories byte for byte).

use super::registry::Systems;
use super::scenario_args::ScenarioArgs;
use crate::rundir::{read_scenario, write_run_dir};
use crate::runner::RunOutcome;
use crate::scenario::Scenario;
use crate::sweep::verdict::{judge, SeedVerdict};
use anyhow::Context;
use clap::Args;
use results::check::CheckReport;
use results::{EventType, Process};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `harness run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Seed of the run; picked at random and printed when absent (with
    /// `--scenario`: the file's seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run the scenario in FILE instead of one built from the flags below:
    /// a run's `config.json`, perhaps edited, which holds every knob of
    /// every nemesis (e.g. `"leader_pct"` to aim pauses at the leader).
    #[arg(
        long = "scenario",
        value_name = "FILE",
        conflicts_with = "ScenarioArgs"
    )]
    pub scenario_file: Option<PathBuf>,
    /// The scenario flags (shared with `harness sweep`).
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Parent directory of run directories.
    #[arg(long, default_value = "runs")]
    pub out: PathBuf,
    /// Tracing filter, e.g. `info` or `harness=debug` (default: RUST_LOG).
    #[arg(long)]
    pub log: Option<String>,
}

/// Arguments of `harness replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A run directory written by `harness run`.
    pub dir: PathBuf,
    /// Tracing filter for the replay, e.g. `debug` (default: RUST_LOG, else
    /// `info`); `off` for none. At `info` the replay shows every fault
    /// start and heal, every client op's invoke and completion, and the
    /// nodes' own events, in time order.
    #[arg(long)]
    pub log: Option<String>,
    /// Trace only the client ops of this key (faults and node events are
    /// shown whatever their key).
    #[arg(long, value_name = "KEY")]
    pub log_key: Option<String>,
}

/// `harness run`: simulate, write the run directory, print a summary.
pub fn run(args: RunArgs, systems: &Systems) -> anyhow::Result<ExitCode> {
    crate::trace::init(args.log.as_deref()).map_err(anyhow::Error::msg)?;
    let scenario = match &args.scenario_file {
        Some(path) => {
            let scenario = read_scenario(path)?;
            Scenario {
                seed: args.seed.unwrap_or(scenario.seed),
                ..scenario
            }
        }
        None => args
            .scenario
            .to_scenario(args.seed.unwrap_or_else(random_seed), systems)?,
    };
    let system = systems
        .for_scenario(&scenario)
        .map_err(anyhow::Error::msg)?;
    print_scenario(&scenario);

    let (outcome, wall) = timed(|| system.run(&scenario));
    let (verdict, report) = judge(&outcome, 0);
    if report.is_none() {
        eprintln!("internal error: {}", verdict.detail());
    }
    let dir = write_run_dir(&args.out, &scenario, &outcome, report.as_ref())?;

    print_summary(&outcome, wall);
    print_verdict(scenario.seed, &outcome, report.as_ref(), Some(&dir));
    println!("run directory: {}", dir.display());
    println!("replay: harness replay {}", dir.display());
    Ok(ExitCode::from(verdict.exit_code()))
}

/// Prints what the run is (every dimension the swarm draws) before it runs.
fn print_scenario(scenario: &Scenario) {
    let w = &scenario.workload;
    println!(
        "seed {}: system {}, {} nodes, {} clients, {} {} ops over {} keys ({}% reads, {} values), \
         deadline {} ms, think up to {} ms",
        scenario.seed,
        scenario.system.name,
        scenario.nodes,
        scenario.clients,
        scenario.ops,
        w.kind,
        w.keys,
        w.reads_pct,
        w.values,
        scenario.deadline_ms,
        scenario.think_ms_max,
    );
    println!("nemesis: {}", scenario.nemesis.mix());
    let b = &scenario.nemesis.buggify;
    if b.is_on() {
        println!(
            "buggify: on ({}% of fault points active, firing {}% of passes)",
            b.sites_pct, b.fire_pct
        );
    }
}

/// Prints the verdict and, for a violation, its counterexample (and the
/// minimal one the run directory `dir` holds); and why a run did not
/// finish.
pub(crate) fn print_verdict(
    seed: u64,
    outcome: &RunOutcome,
    report: Option<&CheckReport>,
    dir: Option<&std::path::Path>,
) {
    if let Some(error) = &outcome.error {
        println!("ERROR: seed {seed} did not finish: {error}");
    }
    if let Some(liveness) = &outcome.liveness {
        println!("LIVENESS FAILURE: seed {seed}: {liveness}");
    }
    if let Some(invariant) = &outcome.invariant {
        println!("INVARIANT VIOLATED: seed {seed}: {invariant}");
    }
    if let Some(report) = report {
        println!("{}", report.summary());
        let details = report.details();
        if !details.is_empty() {
            print!("{details}");
        }
    }
    if let Some(minimal) = dir.and_then(crate::rundir::read_minimal) {
        print!("{}", minimal.text());
        for line in minimal.words(&outcome.history) {
            println!("{line}");
        }
    }
}

/// `harness replay DIR`: re-run from `DIR/config.json` and compare; an
/// identical replay of a run that tested nothing exits 6, as the run did.
pub fn replay(args: ReplayArgs, systems: &Systems) -> anyhow::Result<ExitCode> {
    let config = args.dir.join("config.json");
    let scenario = read_scenario(&config)?;
    let system = systems
        .for_scenario(&scenario)
        .map_err(|e| anyhow::anyhow!("{}: {e}", config.display()))?;
    if scenario.harness_version != crate::scenario::HARNESS_VERSION {
        eprintln!(
            "warning: recorded by harness {}, replaying with {}",
            scenario.harness_version,
            crate::scenario::HARNESS_VERSION
        );
    }
    let history_path = args.dir.join("history.jsonl");
    let recorded = std::fs::read_to_string(&history_path)
        .with_context(|| format!("cannot read {}", history_path.display()))?;

    let filter = args
        .log
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or("info".into());
    crate::trace::init(Some(&filter)).map_err(anyhow::Error::msg)?;
    if let Some(key) = &args.log_key {
        crate::trace::only_key(key);
    }
    println!(
        "replaying seed {} from {}",
        scenario.seed,
        args.dir.display()
    );
    let (outcome, wall) = timed(|| system.run(&scenario));
    print_summary(&outcome, wall);
    if let Some(error) = &outcome.error {
        eprintln!("error: the replay did not finish: {error}");
    }

    match results::history::first_difference(&recorded, &outcome.history.to_jsonl()) {
        None => {
            println!("identical: the history is byte-for-byte the recorded one");
            // A faithful replay of a run that tested nothing reproduces
            // nothing: say so, with the run's own exit code.
            let (verdict, _) = judge(&outcome, 0);
            if let SeedVerdict::TestedNothing { detail } = &verdict {
                println!("VACUOUS: the run tested nothing: {detail}");
                return Ok(ExitCode::from(verdict.exit_code()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(diff) => {
            println!("DIFFERENT: {diff}");
            Ok(ExitCode::from(1))
        }
    }
}

fn print_summary(outcome: &RunOutcome, wall: Duration) {
    let count = |kind| {
        outcome
            .history
            .events()
            .iter()
            .filter(|e| e.kind == kind && matches!(e.process, Process::Client(_)))
            .count()
    };
    let invoked = count(EventType::Invoke);
    println!(
        "{invoked} ops: {} ok, {} fail, {} info; {:.3} s simulated in {:.3} s wall ({:.0}x)",
        count(EventType::Ok),
        count(EventType::Fail),
        count(EventType::Info),
        outcome.sim_time.as_secs_f64(),
        wall.as_secs_f64(),
        outcome.sim_time.as_secs_f64() / wall.as_secs_f64().max(1e-9),
    );
    println!("faults injected: {}", faults_started(&outcome.history));
}

/// What the nemeses actually did, per kind: `pause×3 crash×1`, or `none`
/// (the mix printed before the run gives weights, not what happened),
/// then how many were triggered by which event, and the fault points that
/// fired: `pause×3 crash×1; triggered 2 (became-leader×1 persisted×1);
/// buggify slow-sync×4`.
pub(crate) fn faults_started(history: &results::History) -> String {
    use std::collections::BTreeMap;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut triggered: BTreeMap<&str, usize> = BTreeMap::new();
    let mut points: BTreeMap<&str, usize> = BTreeMap::new();
    for e in history.events() {
        if e.process != Process::Nemesis {
            continue;
        }
        if let Some(kind) = e.f.strip_suffix("-start") {
            *counts.entry(kind).or_default() += 1;
            if let Some(on) = e.value.pointer("/trigger/on").and_then(|v| v.as_str()) {
                *triggered.entry(on).or_default() += 1;
            }
        } else if e.f == "buggify" {
            if let Some(point) = e.value.get("point").and_then(|v| v.as_str()) {
                *points.entry(point).or_default() += 1;
            }
        }
    }
    let list = |counts: &BTreeMap<&str, usize>| -> String {
        let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k}×{n}")).collect();
        parts.join(" ")
    };
    let mut line = if counts.is_empty() {
        "none".to_string()
    } else {
        list(&counts)
    };
    if !triggered.is_empty() {
        let total: usize = triggered.values().sum();
        line.push_str(&format!("; triggered {total} ({})", list(&triggered)));
    }
    if !points.is_empty() {
        line.push_str(&format!("; buggify {}", list(&points)));
    }
    line
}

/// A seed for a run that was given none: wall-clock entropy, outside the
/// simulation, printed so the run can be replayed.
#[allow(clippy::disallowed_methods)] // entropy for the seed itself, never inside a run
fn random_seed() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (now.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32)) % 1_000_000_000
}

/// Runs `f` and measures its wall time (for the summary only).
#[allow(clippy::disallowed_methods)] // wall time is reported to the user, never fed to the run
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = std::time::Instant::now();
    let value = f();
    (value, start.elapsed())
}
