//! The detection matrix: for each planted bug (and, with `--mutants`, each
//! mistake of the catalogue nobody planted), how many seeds the harness
//! runs before the first failure, with the bug's natural nemesis mix and
//! with the default exploration.
//!
//! ```text
//! cargo run --release -p raft-kv --example detection_matrix -- [--trials 5] [--cap 200] [--jobs 2] [--ops 3000] [--bug NAME]... [--natural-only]
//! cargo run --release -p raft-kv --example detection_matrix -- --mutants [--mutant NAME]...   # the catalogue, default exploration only
//! cargo run --release -p raft-kv --example detection_matrix -- --clean 200   # the natural mixes, no bug: no false alarms
//! cargo run --release -p raft-kv --example detection_matrix -- --bug NAME --print-scenario SEED > s.json
//! harness run --scenario s.json
//! ```
//!
//! Each trial starts at a disjoint seed (`0, 1000, 2000, …`) and counts
//! seeds up to and including the first failure; a trial that reaches
//! `--cap` seeds without one counts as "not found". The default column
//! runs exactly what `harness run --seed N --bug NAME` runs (for a mutant,
//! the same scenario with `system.config.mutant` set); `--ops` applies to
//! the natural mixes only. A failure is any verdict but linearizable and
//! unknown, as `harness sweep` judges it: the table says which check
//! caught it (not-linearizable, liveness, error — an assertion or a
//! stuck run —, or any other kind the sweep reports). Prints a markdown
//! table (median and max over the trials, and the median wall seconds to
//! the first failure) and exits 1 if a bug went unfound with its natural
//! mix in any trial.

use clap::Parser;
use harness::sweep::pool;
use harness::sweep::verdict::{judge, SeedVerdict};
use harness::Scenario;
use raft_kv::{
    default_run, default_run_with_mutant, natural, with_bugs, with_mutant, Bug, Cluster, Mutant,
};
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Seeds to the first failure of each planted bug or catalogue mistake,
/// or (`--clean`) how the natural mixes end without their bug.
#[derive(Debug, Parser)]
struct Options {
    /// Trials per row and mix, starting at seeds 0, 1000, 2000, …
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    trials: u64,
    /// Seeds a trial runs before it counts the row as not found.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    cap: u64,
    /// Simulations run at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Client operations per run of a natural mix: about 10 s simulated at
    /// 3,000, enough for a few dozen faults. The default column keeps the
    /// default scenario's own length.
    #[arg(long, default_value_t = 3_000)]
    ops: usize,
    /// Only these bugs (repeat the flag; default: all).
    #[arg(long = "bug", value_enum)]
    bugs: Vec<Bug>,
    /// The catalogue of mistakes nobody planted instead of the bugs (all
    /// of it, or the `--mutant`s named).
    #[arg(long)]
    mutants: bool,
    /// Only these mutants (repeat the flag; implies `--mutants`).
    #[arg(long = "mutant", value_enum)]
    mutant: Vec<Mutant>,
    /// Run only the natural mix, not the default exploration.
    #[arg(long)]
    natural_only: bool,
    /// For the catalogue, run one mix for every mutant instead of its
    /// natural mix (it has none): every nemesis at once every 100 ms,
    /// `--ops` ops, 80% reads over 100 values. It shows that a mutant can
    /// be found at all; only the default column says whether users find it.
    #[arg(long)]
    stress: bool,
    /// Add a column for guided exploration (`harness explore`: the same
    /// default scenarios, then mutants of the fault schedules of runs that
    /// reached something new), on the same budget of `--cap` runs.
    #[arg(long)]
    guided: bool,
    /// Print this seed's natural scenario (for `harness run --scenario`).
    #[arg(long, value_name = "SEED")]
    print_scenario: Option<u64>,
    /// Run this many seeds of each natural mix with no bug on instead.
    #[arg(long, value_name = "SEEDS")]
    clean: Option<u64>,
}

/// A row of the matrix.
#[derive(Clone, Copy, Debug)]
enum Row {
    Bug(Bug),
    Mutant(Mutant),
}

impl Row {
    fn name(self) -> String {
        match self {
            Row::Bug(b) => b.name().to_string(),
            Row::Mutant(m) => m.name().to_string(),
        }
    }
}

/// The scenario of `seed` for `row`: a bug's natural mix, or what
/// `harness run --seed SEED --bug BUG` runs (the default exploration).
fn scenario(row: Row, seed: u64, natural: bool, ops: usize) -> Scenario {
    match row {
        Row::Bug(bug) if natural => natural::scenario(bug, seed, ops),
        Row::Bug(bug) => default_run(seed, [bug]),
        Row::Mutant(m) if natural => with_mutant(stress(seed, ops), m),
        Row::Mutant(m) => default_run_with_mutant(seed, m),
    }
}

/// The one mix `--stress` runs every mutant under: all nemeses, often,
/// with the detection workload.
fn stress(seed: u64, ops: usize) -> Scenario {
    let base = Scenario::without_faults(seed);
    Scenario {
        ops,
        workload: workloads::WorkloadConfig {
            values: 100,
            reads_pct: 80,
            ..base.workload.clone()
        },
        nemesis: nemeses::NemesisConfig {
            interval_ms: 100,
            ..nemeses::NemesisConfig::with_kinds(&nemeses::Kind::ALL)
        },
        ..base
    }
}

/// Runs `scenario` and judges it as a sweep does (one checker thread: the
/// seeds already run in parallel).
fn verdict(scenario: &Scenario) -> SeedVerdict {
    let outcome = harness::runner::run(scenario, Cluster::for_scenario(scenario));
    judge(&outcome, 1).0
}

/// A failure, as the matrix counts one: anything a sweep fails on except
/// a checker that ran out of budget.
fn is_failure(v: &SeedVerdict) -> bool {
    !v.is_pass() && v.label() != "unknown"
}

/// Seeds `0..count` of `bug`'s natural mix with no bug on, counted by
/// verdict label; anything but linearizable is printed as it comes.
fn clean_tally(bug: Bug, count: u64, options: &Options) -> Vec<u64> {
    let seeds: Vec<u64> = (0..count).collect();
    let mut tally = vec![0; SeedVerdict::LABELS.len()];
    let work = |seed| verdict(&with_bugs(natural::scenario(bug, seed, options.ops), []));
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

/// One trial's first failure: how many seeds it took, what caught it, and
/// the wall seconds it took.
struct Found {
    seeds: u64,
    label: &'static str,
    wall_s: f64,
}

/// Seeds run from `start` up to and including the first failure; `None`
/// if none within the cap. Seeds start in order, so when a failure stops
/// the pool every lower seed has started and is reported too.
fn first_failure(row: Row, natural: bool, start: u64, options: &Options) -> Option<Found> {
    let seeds: Vec<u64> = (start..start + options.cap).collect();
    let stop = AtomicBool::new(false);
    let mut first = None::<(u64, &'static str)>;
    #[allow(clippy::disallowed_methods)] // wall time of the benchmark, not simulated
    let wall = Instant::now();
    let work = |seed| verdict(&scenario(row, seed, natural, options.ops));
    pool::run(&seeds, options.jobs, &stop, work, |seed, v| {
        if is_failure(&v) && first.is_none_or(|(f, _)| seed < f) {
            first = Some((seed, v.label()));
            stop.store(true, Ordering::SeqCst);
        }
    });
    let wall_s = wall.elapsed().as_secs_f64();
    first.map(|(seed, label)| Found {
        seeds: seed - start + 1,
        label,
        wall_s,
    })
}

/// Guided exploration from `start` with the default scenarios of `row`, as
/// `harness explore --seed START --runs CAP` runs it: runs up to and
/// including the first failure, `None` if none within the cap.
fn first_failure_guided(row: Row, start: u64, options: &Options) -> Option<Found> {
    let explore_options = harness::explore::Options {
        start,
        runs: options.cap,
        jobs: options.jobs,
        blind_pct: 25,
    };
    let base = |seed| scenario(row, seed, false, options.ops);
    let run = |s: &Scenario| {
        let outcome = harness::runner::run(s, Cluster::for_scenario(s));
        (judge(&outcome, 1).0, outcome.history)
    };
    #[allow(clippy::disallowed_methods)] // wall time of the benchmark, not simulated
    let wall = Instant::now();
    let explored = harness::explore::explore(&explore_options, &base, &run, &mut |_| {});
    let wall_s = wall.elapsed().as_secs_f64();
    explored.found.map(|f| Found {
        seeds: f.run,
        label: f.verdict.label(),
        wall_s,
    })
}

/// `median / max` of the trials, "not found" counted as above the cap,
/// then what caught it and the median wall seconds of the trials.
fn cell(trials: &[Option<Found>], cap: u64) -> String {
    let mut sorted: Vec<u64> = trials
        .iter()
        .map(|t| t.as_ref().map_or(cap + 1, |f| f.seeds))
        .collect();
    sorted.sort_unstable();
    let show = |n: u64| {
        if n > cap {
            format!(">{cap}")
        } else {
            n.to_string()
        }
    };
    let missed = trials.iter().filter(|t| t.is_none()).count();
    let misses = if missed > 0 {
        format!(" ({missed} of {} not found)", trials.len())
    } else {
        String::new()
    };
    let caught: BTreeSet<&str> = trials.iter().flatten().map(|f| f.label).collect();
    let mut walls: Vec<f64> = trials.iter().flatten().map(|f| f.wall_s).collect();
    walls.sort_by(f64::total_cmp);
    let wall = walls
        .get(walls.len() / 2)
        .map_or("—".to_string(), |w| format!("{w:.1} s"));
    format!(
        "{} / {}{misses} | {} | {wall}",
        show(sorted[sorted.len() / 2]),
        show(*sorted.last().expect("at least one trial")),
        if caught.is_empty() {
            "—".to_string()
        } else {
            caught.into_iter().collect::<Vec<_>>().join(", ")
        }
    )
}

/// Prints the `--clean` table; true if no seed was a failure.
fn print_clean(count: u64, options: &Options) -> bool {
    println!("{count} seeds of each natural mix, no bug on: every one must be linearizable\n");
    println!("| natural mix of | {} |", SeedVerdict::LABELS.join(" | "));
    println!("|---|{}", "---|".repeat(SeedVerdict::LABELS.len()));
    let mut clean = true;
    for &bug in &options.bugs {
        let tally = clean_tally(bug, count, options);
        // Unknown (a checker budget ran out) is not a false alarm.
        clean &= SeedVerdict::LABELS
            .iter()
            .zip(&tally)
            .all(|(label, &n)| n == 0 || matches!(*label, "linearizable" | "unknown"));
        let cells: Vec<String> = tally.iter().map(u64::to_string).collect();
        println!("| `{bug}` | {} |", cells.join(" | "));
    }
    clean
}

/// Prints the matrix; true if every bug was found with its natural mix in
/// every trial.
fn print_matrix(rows: &[Row], options: &Options) -> bool {
    let (trials, cap) = (options.trials, options.cap);
    println!(
        "{trials} trials from seeds 0, 1000, …; cap {cap} seeds; cells: median / max seeds to \
         the first failure, what caught it, median wall seconds to it ({} jobs); natural \
         mixes run {} ops\n",
        options.jobs, options.ops
    );
    let guided_head = if options.guided {
        " guided | caught by | wall |"
    } else {
        ""
    };
    println!("| row | natural mix | natural | caught by | wall | default | caught by | wall |{guided_head}");
    println!(
        "|---|---|---|---|---|---|---|---|{}",
        if options.guided { "---|---|---|" } else { "" }
    );
    let mut all_found = true;
    for &row in rows {
        let mut cells = Vec::new();
        let natural_too = matches!(row, Row::Bug(_)) || options.stress;
        for natural in [true, false] {
            let skip = (natural && !natural_too) || (!natural && options.natural_only);
            if skip {
                cells.push("(not run) | | ".to_string());
                continue;
            }
            let found: Vec<Option<Found>> = (0..trials)
                .map(|t| first_failure(row, natural, t * 1_000, options))
                .collect();
            all_found &= !natural || found.iter().all(Option::is_some);
            cells.push(cell(&found, cap));
        }
        if options.guided {
            let found: Vec<Option<Found>> = (0..trials)
                .map(|t| first_failure_guided(row, t * 1_000, options))
                .collect();
            cells.push(format!("{} |", cell(&found, cap)));
        }
        let mix = match row {
            Row::Bug(bug) => natural::describe(bug),
            Row::Mutant(m) if options.stress => format!("stress mix ({})", m.class()),
            Row::Mutant(m) => format!("(catalogue: {})", m.class()),
        };
        println!(
            "| `{}` | {mix} | {} | {} |{}",
            row.name(),
            cells[0],
            cells[1],
            cells.get(2).map_or("", String::as_str)
        );
    }
    all_found
}

fn main() -> ExitCode {
    let mut options = Options::parse();
    if options.bugs.is_empty() {
        options.bugs = Bug::ALL.to_vec();
    }
    let rows: Vec<Row> = if options.mutants || !options.mutant.is_empty() {
        let chosen = if options.mutant.is_empty() {
            Mutant::ALL.to_vec()
        } else {
            options.mutant.clone()
        };
        chosen.into_iter().map(Row::Mutant).collect()
    } else {
        options.bugs.iter().copied().map(Row::Bug).collect()
    };
    let ok = if let Some(seed) = options.print_scenario {
        for &row in &rows {
            let scenario = scenario(row, seed, matches!(row, Row::Bug(_)), options.ops);
            let json = serde_json::to_string_pretty(&scenario).expect("a scenario serializes");
            println!("{json}");
        }
        true
    } else if let Some(count) = options.clean {
        print_clean(count, &options)
    } else {
        print_matrix(&rows, &options)
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
