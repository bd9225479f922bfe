//! What a sweep found: one result per finished seed, the seeds it never
//! ran, the counts by verdict, and the exit code. Printed at the end and
//! saved as `sweep.json` at the top of the sweep directory.

use super::shard::{SeedRange, Shard};
use super::verdict::SeedVerdict;
use results::latency::{Latencies, Summary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// Exit code of a sweep stopped by Ctrl-C before every seed ran (and none
/// failed): 128 + SIGINT, as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

/// The name of the file at the top of a sweep directory that records every
/// seed: this summary as JSON.
pub const SUMMARY_FILE: &str = "sweep.json";

/// Failing seeds the printed summary lists (each was also printed when it
/// finished; `sweep.json` has them all).
pub const FAILURES_SHOWN: usize = 20;

/// One finished seed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// What it came to.
    #[serde(flatten)]
    pub verdict: SeedVerdict,
    /// Its run directory, if one was kept.
    pub dir: Option<PathBuf>,
    /// Wall time of the run and its check, in seconds.
    pub wall_s: f64,
    /// Simulated time of the run, in seconds.
    pub sim_s: f64,
}

/// Why a sweep ended before running every seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stopped {
    /// Ctrl-C (or its stop flag).
    Interrupted,
    /// `--fail-fast` after the first seed that did not pass.
    FailFast,
}

/// The whole sweep, as `sweep.json` holds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepSummary {
    /// The seed range, e.g. `0..1000`.
    pub range: String,
    /// This machine's shard, e.g. `2/4`.
    pub shard: String,
    /// Worker threads.
    pub jobs: usize,
    /// Wall time of the whole sweep, in seconds.
    pub wall_s: f64,
    /// Why it ended early, if it did.
    pub stopped: Option<Stopped>,
    /// Finished seeds by verdict label.
    pub counts: BTreeMap<String, usize>,
    /// Finished seeds, in seed order.
    pub results: Vec<SeedResult>,
    /// Seeds of the shard that never started.
    pub not_run: Vec<u64>,
    /// The scenario flags every seed ran with (`harness run --seed N`
    /// followed by these reruns one seed).
    #[serde(default)]
    pub flags: Vec<String>,
}

impl SweepSummary {
    /// Collects the results (in any order) of a sweep over `shard` of
    /// `range`.
    pub fn new(
        range: SeedRange,
        shard: Shard,
        jobs: usize,
        wall: Duration,
        mut results: Vec<SeedResult>,
        not_run: Vec<u64>,
        stopped: Option<Stopped>,
    ) -> Self {
        results.sort_by_key(|r| r.seed);
        let mut counts: BTreeMap<String, usize> = SeedVerdict::LABELS
            .iter()
            .map(|&l| (l.to_string(), 0))
            .collect();
        for r in &results {
            *counts.entry(r.verdict.label().to_string()).or_default() += 1;
        }
        SweepSummary {
            range: range.to_string(),
            shard: shard.to_string(),
            jobs,
            wall_s: wall.as_secs_f64(),
            stopped: stopped.filter(|_| !not_run.is_empty()),
            counts,
            results,
            not_run,
            flags: Vec::new(),
        }
    }

    /// The `harness run` line that reruns `seed` alone with the sweep's
    /// flags.
    pub fn run_command(&self, seed: u64) -> String {
        format!("harness run --seed {seed} {}", self.flags.join(" "))
    }

    /// The seeds that did not pass, in seed order.
    pub fn failures(&self) -> impl Iterator<Item = &SeedResult> {
        self.results.iter().filter(|r| !r.verdict.is_pass())
    }

    /// 0 only if every seed of the shard ran and was linearizable; else the
    /// code of the worst verdict (1 not linearizable, 3 error, 4 liveness,
    /// 2 unknown),
    /// or [`EXIT_INTERRUPTED`] if all that ran passed but some never ran.
    pub fn exit_code(&self) -> u8 {
        match self.failures().max_by_key(|r| r.verdict.rank()) {
            Some(worst) => worst.verdict.exit_code(),
            None if !self.not_run.is_empty() => EXIT_INTERRUPTED,
            None => 0,
        }
    }

    /// The human summary: counts, each failing seed with its replay
    /// commands (`rerun` gives the `harness run` line of a seed), and the
    /// merged latency percentiles.
    pub fn to_text(&self, rerun: &dyn Fn(u64) -> String, latencies: &Latencies) -> String {
        let mut out = String::new();
        let ran = self.results.len();
        let _ = writeln!(
            out,
            "sweep {} shard {}: {ran} seeds in {:.1} s wall with {} jobs ({:.2} seeds/s)",
            self.range,
            self.shard,
            self.wall_s,
            self.jobs,
            ran as f64 / self.wall_s.max(1e-9)
        );
        let counts: Vec<String> = SeedVerdict::LABELS
            .iter()
            .map(|l| format!("{} {l}", self.counts.get(*l).copied().unwrap_or(0)))
            .collect();
        let _ = writeln!(out, "  {}", counts.join(", "));
        if let Some(why) = self.stopped {
            let why = match why {
                Stopped::Interrupted => "interrupted",
                Stopped::FailFast => "stopped by --fail-fast",
            };
            let _ = writeln!(out, "  {why}: {} seeds not run", self.not_run.len());
        }
        let failures: Vec<&SeedResult> = self.failures().collect();
        if !failures.is_empty() {
            let _ = writeln!(out, "failing seeds:");
        }
        for r in failures.iter().take(FAILURES_SHOWN) {
            let _ = writeln!(out, "  seed {}: {}", r.seed, r.verdict);
            if let Some(dir) = &r.dir {
                let _ = writeln!(out, "    harness replay {}", dir.display());
            }
            let _ = writeln!(out, "    {}", rerun(r.seed));
        }
        if failures.len() > FAILURES_SHOWN {
            let more = failures.len() - FAILURES_SHOWN;
            let _ = writeln!(out, "  and {more} more (all are in {SUMMARY_FILE})");
        }
        out + &latency_table(latencies)
    }
}

/// Percentiles of the merged histograms, one row per op kind and outcome.
pub fn latency_table(latencies: &Latencies) -> String {
    if latencies.is_empty() {
        return String::new();
    }
    let mut out = String::from("latency, all seeds merged (simulated ms):\n");
    let _ = writeln!(
        out,
        "  {:<8} {:<5} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "op", "", "count", "p50", "p90", "p99", "p99.9", "max"
    );
    for (f, by_outcome) in latencies.summaries() {
        for (outcome, s) in by_outcome {
            let Summary {
                count,
                p50_ms,
                p90_ms,
                p99_ms,
                p99_9_ms,
                max_ms,
                ..
            } = s;
            let _ = writeln!(
                out,
                "  {f:<8} {:<5} {count:>9} {p50_ms:>8.2} {p90_ms:>8.2} {p99_ms:>8.2} {p99_9_ms:>8.2} {max_ms:>8.2}",
                outcome.as_str()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(seed: u64, verdict: SeedVerdict) -> SeedResult {
        SeedResult {
            seed,
            verdict,
            dir: None,
            wall_s: 0.1,
            sim_s: 1.0,
        }
    }

    fn summary(results: Vec<SeedResult>, not_run: Vec<u64>) -> SweepSummary {
        let range = SeedRange { start: 0, end: 10 };
        let stopped = Some(Stopped::Interrupted);
        SweepSummary::new(
            range,
            Shard::ALL,
            2,
            Duration::from_secs(1),
            results,
            not_run,
            stopped,
        )
    }

    #[test]
    fn the_worst_verdict_sets_the_exit_code() {
        let error = || SeedVerdict::Error {
            detail: "panic: boom".into(),
        };
        let unknown = || SeedVerdict::Unknown {
            detail: "timeout".into(),
        };
        let invalid = || SeedVerdict::NotLinearizable {
            detail: "key x".into(),
        };
        let ok = || SeedVerdict::Linearizable;
        assert_eq!(summary(vec![result(1, ok())], vec![]).exit_code(), 0);
        assert_eq!(
            summary(vec![result(1, ok())], vec![2]).exit_code(),
            EXIT_INTERRUPTED
        );
        assert_eq!(
            summary(vec![result(1, unknown()), result(2, ok())], vec![]).exit_code(),
            2
        );
        assert_eq!(
            summary(vec![result(1, unknown()), result(2, error())], vec![]).exit_code(),
            3
        );
        let all = vec![
            result(3, error()),
            result(1, invalid()),
            result(2, unknown()),
        ];
        let s = summary(all, vec![4]);
        assert_eq!(s.exit_code(), 1);
        assert_eq!(s.counts["error"], 1);
        assert_eq!(s.counts["linearizable"], 0);
        assert_eq!(
            s.results.iter().map(|r| r.seed).collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }

    #[test]
    fn the_text_names_each_failure_with_its_replay_line() {
        let mut failing = result(
            7,
            SeedVerdict::Error {
                detail: "panic: boom\nmore".into(),
            },
        );
        failing.dir = Some(PathBuf::from("runs/sweep-0-10/seed-7"));
        let s = summary(vec![result(1, SeedVerdict::Linearizable), failing], vec![]);
        let text = s.to_text(
            &|seed| format!("harness run --seed {seed}"),
            &Latencies::new(),
        );
        assert!(text.contains("1 linearizable"), "{text}");
        assert!(text.contains("seed 7: error: panic: boom\n"), "{text}");
        assert!(
            text.contains("harness replay runs/sweep-0-10/seed-7"),
            "{text}"
        );
        assert!(text.contains("harness run --seed 7"), "{text}");
        assert!(!text.contains("seed 1:"), "{text}");
        assert!(
            !text.contains("interrupted"),
            "nothing was left unrun: {text}"
        );
    }

    #[test]
    fn a_long_list_of_failures_is_cut_short() {
        let failing = |seed| {
            result(
                seed,
                SeedVerdict::Unknown {
                    detail: "budget".into(),
                },
            )
        };
        let s = summary((0..25).map(failing).collect(), vec![]);
        let text = s.to_text(
            &|seed| format!("harness run --seed {seed}"),
            &Latencies::new(),
        );
        assert!(text.contains("seed 19: unknown"), "{text}");
        assert!(!text.contains("seed 20: unknown"), "{text}");
        assert!(
            text.contains("and 5 more (all are in sweep.json)"),
            "{text}"
        );
    }
}
