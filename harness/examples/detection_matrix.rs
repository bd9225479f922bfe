//! The detection matrix: for each planted bug, how many seeds the harness
//! runs before the first linearizability violation, with the bug's natural
//! nemesis mix and with the default swarm mix.
//!
//! ```text
//! cargo run --release -p harness --example detection_matrix -- [--trials 5] [--cap 200] [--jobs 2] [--ops 3000] [--bug NAME]... [--natural-only]
//! cargo run --release -p harness --example detection_matrix -- --clean 200   # the natural mixes, no bug: no false alarms
//! cargo run --release -p harness --example detection_matrix -- --bug NAME --print-scenario SEED > s.json
//! harness run --scenario s.json
//! ```
//!
//! Each trial starts at a disjoint seed (`0, 1000, 2000, …`) and counts
//! seeds up to and including the first violation; a trial that reaches
//! `--cap` seeds without one counts as "not found". Prints a markdown
//! table (median and max over the trials) and exits 1 if a bug went
//! unfound with its natural mix in any trial.

use harness::cluster::{natural, Bug, Cluster};
use harness::{Scenario, Seeds};
use nemeses::NemesisConfig;
use results::check::{check_history, CheckOptions};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Client operations per run, by default: enough simulated time (about
/// 10 s) for a few dozen faults, and histories still quick to check.
const OPS: usize = 3_000;

/// The scenario of `seed` for `bug`: its natural mix, or the swarm mix
/// `harness run` draws by default.
fn scenario(bug: Bug, seed: u64, natural: bool, ops: usize) -> Scenario {
    let scenario = natural::scenario(bug, seed, ops);
    if natural {
        return scenario;
    }
    let base = Scenario::with_seed(seed);
    Scenario {
        nemesis: NemesisConfig::swarm(&mut Seeds::new(seed).stream("swarm", 0)),
        deadline_ms: base.deadline_ms,
        ..scenario
    }
}

/// True if the run of `scenario` is not linearizable.
fn violated(scenario: &Scenario) -> bool {
    let outcome = harness::runner::run(scenario, Cluster::for_scenario(scenario));
    let options = CheckOptions {
        timeout: Some(Duration::from_secs(30)),
        ..CheckOptions::default()
    };
    check_history(&outcome.history, &options).is_ok_and(|r| r.verdict.exit_code() == 1)
}

/// What `--clean` counts: how the seeds of a natural mix without its bug
/// ended.
#[derive(Default)]
struct CleanTally {
    valid: u64,
    violated: u64,
    unknown: u64,
    failed: u64,
}

/// Runs seeds `0..count` of `bug`'s natural mix with no bug on, on `jobs`
/// threads: a false alarm would show as anything but linearizable.
fn clean_tally(bug: Bug, count: u64, options: &Options) -> CleanTally {
    let next = AtomicU64::new(0);
    let tally = Mutex::new(CleanTally::default());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::SeqCst);
                if seed >= count {
                    return;
                }
                let scenario = Scenario {
                    bugs: Default::default(),
                    ..scenario(bug, seed, true, options.ops)
                };
                let outcome = harness::runner::run(&scenario, Cluster::for_scenario(&scenario));
                let options = CheckOptions {
                    timeout: Some(Duration::from_secs(30)),
                    ..CheckOptions::default()
                };
                let code =
                    check_history(&outcome.history, &options).map_or(3, |r| r.verdict.exit_code());
                let mut tally = tally.lock().expect("no panics while held");
                match code {
                    _ if outcome.error.is_some() || outcome.liveness.is_some() => {
                        eprintln!(
                            "seed {seed} of {bug}'s mix: {:?} {:?}",
                            outcome.error, outcome.liveness
                        );
                        tally.failed += 1
                    }
                    0 => tally.valid += 1,
                    1 => {
                        eprintln!("seed {seed} of {bug}'s mix: NOT linearizable without the bug");
                        tally.violated += 1
                    }
                    2 => tally.unknown += 1,
                    _ => tally.failed += 1,
                }
            });
        }
    });
    tally.into_inner().expect("no panics while held")
}

/// Seeds run from `start` up to and including the first violation, on
/// `jobs` threads (one simulation each); `None` if none within `cap`.
fn seeds_to_violation(bug: Bug, natural: bool, start: u64, options: &Options) -> Option<u64> {
    let (cap, jobs) = (options.cap, options.jobs);
    let next = AtomicU64::new(start);
    let first = Mutex::new(None::<u64>);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::SeqCst);
                let found = *first.lock().expect("no panics while held");
                if seed >= start + cap || found.is_some_and(|f| f < seed) {
                    return;
                }
                if violated(&scenario(bug, seed, natural, options.ops)) {
                    let mut first = first.lock().expect("no panics while held");
                    *first = Some(first.map_or(seed, |f: u64| f.min(seed)));
                }
            });
        }
    });
    let found = first.into_inner().expect("no panics while held");
    found.map(|seed| seed - start + 1)
}

/// `median / max` of the trials, "not found" counted as above the cap.
fn cell(counts: &[Option<u64>], cap: u64) -> String {
    let mut sorted: Vec<u64> = counts.iter().map(|c| c.unwrap_or(cap + 1)).collect();
    sorted.sort_unstable();
    let show = |n: u64| {
        if n > cap {
            format!(">{cap} (not found)")
        } else {
            n.to_string()
        }
    };
    let missed = counts.iter().filter(|c| c.is_none()).count();
    let misses = if missed > 0 {
        format!(", {missed} of {} not found", counts.len())
    } else {
        String::new()
    };
    format!(
        "{} / {}{misses}",
        show(sorted[sorted.len() / 2]),
        show(*sorted.last().expect("at least one trial"))
    )
}

struct Options {
    trials: u64,
    cap: u64,
    jobs: usize,
    ops: usize,
    bugs: Vec<Bug>,
    /// Print this seed's natural scenario (for `harness run --scenario`).
    print: Option<u64>,
    /// Which mixes to run: both, or only the natural one.
    natural_only: bool,
    /// Run this many seeds of each natural mix with no bug instead.
    clean: Option<u64>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        trials: 5,
        cap: 200,
        jobs: 2,
        ops: OPS,
        bugs: Vec::new(),
        print: None,
        natural_only: false,
        clean: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--natural-only" {
            options.natural_only = true;
            continue;
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag}: expected a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: expected a number, got {value:?}"))
        };
        match flag.as_str() {
            "--trials" => options.trials = number()?.max(1),
            "--cap" => options.cap = number()?.max(1),
            "--jobs" => options.jobs = number()?.max(1) as usize,
            "--ops" => options.ops = number()?.max(1) as usize,
            "--print-scenario" => options.print = Some(number()?),
            "--clean" => options.clean = Some(number()?),
            "--bug" => options.bugs.push(
                Bug::ALL
                    .into_iter()
                    .find(|b| b.name() == value)
                    .ok_or_else(|| format!("--bug: unknown bug {value:?}"))?,
            ),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if options.bugs.is_empty() {
        options.bugs = Bug::ALL.to_vec();
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(3);
        }
    };
    if let Some(seed) = options.print {
        for &bug in &options.bugs {
            let scenario = scenario(bug, seed, true, options.ops);
            let json = serde_json::to_string_pretty(&scenario).expect("a scenario serializes");
            println!("{json}");
        }
        return ExitCode::SUCCESS;
    }
    if let Some(count) = options.clean {
        println!("{count} seeds of each natural mix, no bug on: every one must be linearizable\n");
        println!("| natural mix of | linearizable | not | unknown | error or liveness |");
        println!("|---|---|---|---|---|");
        let mut clean = true;
        for &bug in &options.bugs {
            let t = clean_tally(bug, count, &options);
            clean &= t.violated == 0 && t.failed == 0;
            println!(
                "| `{bug}` | {} | {} | {} | {} |",
                t.valid, t.violated, t.unknown, t.failed
            );
        }
        return if clean {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    let (trials, cap) = (options.trials, options.cap);
    println!(
        "{} ops per run, {trials} trials from seeds 0, 1000, …; cap {cap} seeds; \
         cells: median / max seeds to the first violation\n",
        options.ops
    );
    println!("| bug | natural mix | natural | default swarm mix | wall |");
    println!("|---|---|---|---|---|");
    let mut all_found = true;
    for &bug in &options.bugs {
        #[allow(clippy::disallowed_methods)] // wall time of the benchmark, not simulated
        let wall = Instant::now();
        let mut row = Vec::new();
        let mixes: &[bool] = if options.natural_only {
            &[true]
        } else {
            &[true, false]
        };
        for &natural in mixes {
            let counts: Vec<Option<u64>> = (0..trials)
                .map(|t| seeds_to_violation(bug, natural, t * 1_000, &options))
                .collect();
            all_found &= !natural || counts.iter().all(Option::is_some);
            row.push(cell(&counts, cap));
        }
        println!(
            "| `{bug}` | {} | {} | {} | {:.0} s |",
            natural::describe(bug),
            row[0],
            row.get(1).map_or("(not run)", String::as_str),
            wall.elapsed().as_secs_f64()
        );
    }
    if all_found {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
