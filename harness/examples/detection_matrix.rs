//! The detection matrix: for each planted bug, how many seeds the harness
//! runs before the first linearizability violation, with the bug's natural
//! nemesis mix and with the default swarm mix.
//!
//! ```text
//! cargo run --release -p harness --example detection_matrix -- [--trials 5] [--cap 200] [--jobs 2] [--ops 3000] [--bug NAME]...
//! ```
//!
//! Each trial starts at a disjoint seed (`0, 1000, 2000, …`) and counts
//! seeds up to and including the first violation; a trial that reaches
//! `--cap` seeds without one counts as "not found". Prints a markdown
//! table (median and max over the trials) and exits 1 if a bug went
//! unfound with its natural mix in any trial.

use harness::cluster::{Bug, Cluster};
use harness::{Scenario, Seeds};
use nemeses::{Kind, NemesisConfig};
use results::check::{check_history, CheckOptions};
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Client operations per run, by default: enough simulated time (about
/// 10 s) for a few dozen faults, and histories still quick to check.
const OPS: usize = 3_000;

/// The nemeses that make `bug` show, and their mean interval (ms).
fn natural_mix(bug: Bug) -> (&'static [Kind], u64) {
    match bug {
        Bug::StaleFollowerRead => (&[Kind::Partition], 300),
        Bug::LeaseReadSkew => (&[Kind::Clock, Kind::Partition], 300),
        Bug::LeaseReadPause => (&[Kind::Pause, Kind::Partition], 200),
        Bug::AckBeforeCommit => (&[Kind::Partition, Kind::Crash], 300),
        Bug::OldTermCommit => (&[Kind::Partition, Kind::Crash], 200),
        Bug::RetryDuplicate => (&[Kind::Delay, Kind::Pause], 200),
        Bug::AckBeforeFsync => (&[Kind::Crash], 200),
    }
}

/// The client deadline (ms) of `bug`'s natural mix. A stale lease read
/// needs one client to move to the new leader (after a timeout) while
/// another still reads from the old one, so clients give up fast.
fn natural_deadline_ms(bug: Bug) -> Option<u64> {
    match bug {
        Bug::LeaseReadSkew => Some(300),
        _ => None,
    }
}

/// The nemesis of `bug`'s natural mix, with the knobs that make it show:
/// for `lease-read-skew` the leader is cut off (`isolate-leader`) while
/// its wall clock jumps back (a bump, or a strobe's return) by up to 2 s.
pub fn natural_nemesis(bug: Bug) -> NemesisConfig {
    let (kinds, interval_ms) = natural_mix(bug);
    let mut nemesis = NemesisConfig {
        interval_ms,
        ..NemesisConfig::with_kinds(kinds)
    };
    if bug == Bug::LeaseReadSkew {
        nemesis.partition.shapes = vec!["isolate-leader".into()];
        (nemesis.partition.ms_min, nemesis.partition.ms_max) = (300, 1_500);
        nemesis.clock.bump_ms_max = 2_000;
        nemesis.clock.drift_ppm_max = 1_000;
        (nemesis.clock.ms_min, nemesis.clock.ms_max) = (500, 2_000);
    }
    nemesis
}

/// The scenario of `seed` for `bug`: its natural mix, or the swarm mix
/// `harness run` draws by default.
pub fn scenario(bug: Bug, seed: u64, natural: bool, ops: usize) -> Scenario {
    let base = Scenario::with_seed(seed);
    let (nemesis, deadline_ms) = if natural {
        let deadline_ms = natural_deadline_ms(bug).unwrap_or(base.deadline_ms);
        (natural_nemesis(bug), deadline_ms)
    } else {
        let swarm = NemesisConfig::swarm(&mut Seeds::new(seed).stream("swarm", 0));
        (swarm, base.deadline_ms)
    };
    Scenario {
        ops,
        nemesis,
        deadline_ms,
        bugs: BTreeSet::from([bug]),
        ..base
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
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        trials: 5,
        cap: 200,
        jobs: 2,
        ops: OPS,
        bugs: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
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
        for natural in [true, false] {
            let counts: Vec<Option<u64>> = (0..trials)
                .map(|t| seeds_to_violation(bug, natural, t * 1_000, &options))
                .collect();
            all_found &= !natural || counts.iter().all(Option::is_some);
            row.push(cell(&counts, cap));
        }
        let (kinds, interval_ms) = natural_mix(bug);
        let kinds: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        let deadline = natural_deadline_ms(bug)
            .map(|ms| format!(", tuned knobs, deadline {ms} ms"))
            .unwrap_or_default();
        println!(
            "| `{bug}` | {} every {interval_ms} ms{deadline} | {} | {} | {:.0} s |",
            kinds.join("+"),
            row[0],
            row[1],
            wall.elapsed().as_secs_f64()
        );
    }
    if all_found {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
