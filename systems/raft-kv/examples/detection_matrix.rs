//! The detection matrix: for each planted bug, how many seeds the harness
//! runs before the first linearizability violation, with the bug's natural
//! nemesis mix and with the default swarm mix.
//!
//! ```text
//! cargo run --release -p raft-kv --example detection_matrix -- [--trials 5] [--cap 200] [--jobs 2] [--ops 3000] [--bug NAME]... [--natural-only]
//! cargo run --release -p raft-kv --example detection_matrix -- --clean 200   # the natural mixes, no bug: no false alarms
//! cargo run --release -p raft-kv --example detection_matrix -- --bug NAME --print-scenario SEED > s.json
//! harness run --scenario s.json
//! ```
//!
//! Each trial starts at a disjoint seed (`0, 1000, 2000, …`) and counts
//! seeds up to and including the first violation; a trial that reaches
//! `--cap` seeds without one counts as "not found". Prints a markdown
//! table (median and max over the trials) and exits 1 if a bug went
//! unfound with its natural mix in any trial. Seeds are judged as
//! `harness sweep` judges them.

use clap::Parser;
use harness::sweep::pool;
use harness::sweep::verdict::{judge, SeedVerdict};
use harness::Scenario;
use raft_kv::{natural, with_bugs, Bug, Cluster};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Seeds to the first violation of each planted bug, or (`--clean`) how
/// the natural mixes end without their bug.
#[derive(Debug, Parser)]
struct Options {
    /// Trials per bug and mix, starting at seeds 0, 1000, 2000, …
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    trials: u64,
    /// Seeds a trial runs before it counts the bug as not found.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    cap: u64,
    /// Simulations run at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Client operations per run: about 10 s simulated at 3,000, enough
    /// for a few dozen faults, with histories still quick to check.
    #[arg(long, default_value_t = 3_000)]
    ops: usize,
    /// Only these bugs (repeat the flag; default: all).
    #[arg(long = "bug", value_enum)]
    bugs: Vec<Bug>,
    /// Run only the natural mix, not the default swarm mix.
    #[arg(long)]
    natural_only: bool,
    /// Print this seed's natural scenario (for `harness run --scenario`).
    #[arg(long, value_name = "SEED")]
    print_scenario: Option<u64>,
    /// Run this many seeds of each natural mix with no bug on instead.
    #[arg(long, value_name = "SEEDS")]
    clean: Option<u64>,
}

/// The scenario of `seed` for `bug`: its natural mix, or what `harness run
/// --seed SEED --bug BUG` runs (the swarm mix drawn for the seed).
fn scenario(bug: Bug, seed: u64, natural: bool, ops: usize) -> Scenario {
    if natural {
        return natural::scenario(bug, seed, ops);
    }
    // The swarm draws the run's length too: `--ops` is the natural mixes'.
    with_bugs(Scenario::with_seed(seed), [bug])
}

/// Runs `scenario` and judges it as a sweep does (one checker thread: the
/// seeds already run in parallel).
fn verdict(scenario: &Scenario) -> SeedVerdict {
    let outcome = harness::runner::run(scenario, Cluster::for_scenario(scenario));
    judge(&outcome, 1).0
}

/// Seeds `0..count` of `bug`'s natural mix with no bug on, counted by
/// verdict (in the order of [`SeedVerdict::LABELS`]); anything but
/// linearizable is printed as it comes.
fn clean_tally(bug: Bug, count: u64, options: &Options) -> [u64; SeedVerdict::LABELS.len()] {
    let seeds: Vec<u64> = (0..count).collect();
    let mut tally = [0; SeedVerdict::LABELS.len()];
    let work = |seed| verdict(&with_bugs(scenario(bug, seed, true, options.ops), []));
    pool::run(
        &seeds,
        options.jobs,
        &AtomicBool::new(false),
        work,
        |seed, v| {
            if !v.is_pass() {
                eprintln!("seed {seed} of {bug}'s mix without the bug: {}", v.label());
            }
            let column = SeedVerdict::LABELS.iter().position(|&l| l == v.label());
            tally[column.expect("every verdict has a label")] += 1;
        },
    );
    tally
}

/// Seeds run from `start` up to and including the first violation; `None`
/// if none within the cap. Seeds start in order, so when a violation stops
/// the pool every lower seed has started and is reported too.
fn seeds_to_violation(bug: Bug, natural: bool, start: u64, options: &Options) -> Option<u64> {
    let seeds: Vec<u64> = (start..start + options.cap).collect();
    let stop = AtomicBool::new(false);
    let mut first = None::<u64>;
    let work = |seed| {
        matches!(
            verdict(&scenario(bug, seed, natural, options.ops)),
            SeedVerdict::NotLinearizable { .. } | SeedVerdict::Invariant { .. }
        )
    };
    pool::run(&seeds, options.jobs, &stop, work, |seed, violated| {
        if violated {
            first = Some(first.map_or(seed, |f| f.min(seed)));
            stop.store(true, Ordering::SeqCst);
        }
    });
    first.map(|seed| seed - start + 1)
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

/// Prints the `--clean` table; true if no seed was a violation or an error.
fn print_clean(count: u64, options: &Options) -> bool {
    println!("{count} seeds of each natural mix, no bug on: every one must be linearizable\n");
    println!("| natural mix of | {} |", SeedVerdict::LABELS.join(" | "));
    println!("|---|{}", "---|".repeat(SeedVerdict::LABELS.len()));
    let mut clean = true;
    for &bug in &options.bugs {
        let tally = clean_tally(bug, count, options);
        // Unknown (a checker budget ran out) is not a false alarm.
        clean &= tally[1] == 0 && tally[3] == 0 && tally[4] == 0 && tally[5] == 0;
        let cells: Vec<String> = tally.iter().map(u64::to_string).collect();
        println!("| `{bug}` | {} |", cells.join(" | "));
    }
    clean
}

/// Prints the matrix; true if every bug was found with its natural mix in
/// every trial.
fn print_matrix(options: &Options) -> bool {
    let (trials, cap) = (options.trials, options.cap);
    println!(
        "{} ops per run, {trials} trials from seeds 0, 1000, …; cap {cap} seeds; \
         cells: median / max seeds to the first violation\n",
        options.ops
    );
    println!("| bug | natural mix | natural | default swarm mix | wall |");
    println!("|---|---|---|---|---|");
    let mixes: &[bool] = if options.natural_only {
        &[true]
    } else {
        &[true, false]
    };
    let mut all_found = true;
    for &bug in &options.bugs {
        #[allow(clippy::disallowed_methods)] // wall time of the benchmark, not simulated
        let wall = Instant::now();
        let mut row = Vec::new();
        for &natural in mixes {
            let counts: Vec<Option<u64>> = (0..trials)
                .map(|t| seeds_to_violation(bug, natural, t * 1_000, options))
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
    all_found
}

fn main() -> ExitCode {
    let mut options = Options::parse();
    if options.bugs.is_empty() {
        options.bugs = Bug::ALL.to_vec();
    }
    let ok = if let Some(seed) = options.print_scenario {
        for &bug in &options.bugs {
            let scenario = scenario(bug, seed, true, options.ops);
            let json = serde_json::to_string_pretty(&scenario).expect("a scenario serializes");
            println!("{json}");
        }
        true
    } else if let Some(count) = options.clean {
        print_clean(count, &options)
    } else {
        print_matrix(&options)
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
