//! `harness compare A B`: latency percentiles of two runs (or sweeps) side
//! by side, B/A ratios with bootstrap intervals over seeds when both sides
//! are sweeps with per-seed histograms (`seeds.hdr`), regressions marked
//! only when significant, a gate for CI and an optional SVG plot.
//!
//! Exit codes: 0 when no gated percentile (p99 unless `--gate-on` says
//! otherwise) is a significant regression beyond `--fail-above` (or no gate
//! was asked for), 1 when one is, 3 for unusable input.

use anyhow::{bail, Context};
use clap::Args;
use results::compare::bootstrap::{DEFAULT_RESAMPLES, DEFAULT_SEED};
use results::compare::{
    compare_runs, compare_seeds, Comparison, Mode, Options, DEFAULT_CONFIDENCE, DEFAULT_THRESHOLD,
    ROWS,
};
use results::latency::by_fault::FaultLatencies;
use results::latency::seeds::{SeedLatencies, SEEDS_FILE};
use results::latency::{Latencies, HDR_FILE};
use results::report::{comparison_plot_svg, PlotSide};
use results::History;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `harness compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline: a run directory or a sweep directory.
    pub a: PathBuf,
    /// The candidate, compared against A.
    pub b: PathBuf,
    /// Mark a row worse only when its whole interval lies above this ratio
    /// (better: below its inverse); with a run on either side, when the
    /// plain ratio exceeds it.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD, value_parser = positive_ratio)]
    pub threshold: f64,
    /// Exit 1 when a gated percentile (see --gate-on) of any op kind and
    /// outcome is a significant regression beyond this ratio: its interval
    /// lies wholly above it, at a confidence shared among the rows tested
    /// (Bonferroni), so that a same-version pair fails at most
    /// 1 - --confidence of the time.
    #[arg(long, value_parser = positive_ratio)]
    pub fail_above: Option<f64>,
    /// The percentiles --fail-above gates on, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "p99", value_parser = gate_label)]
    pub gate_on: Vec<String>,
    /// Confidence level of each interval (and of the gate as a whole).
    #[arg(long, default_value_t = DEFAULT_CONFIDENCE, value_parser = confidence)]
    pub confidence: f64,
    /// Bootstrap resamples per table.
    #[arg(long, default_value_t = DEFAULT_RESAMPLES, value_parser = resamples)]
    pub resamples: usize,
    /// Seed of the bootstrap's rng: the same inputs and seed give the same
    /// intervals.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub bootstrap_seed: u64,
    /// Also draw both sides' latency by percentile (with the bootstrap's
    /// bands when there are seeds) into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

fn positive_ratio(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!("expected a positive ratio such as 1.2, got {s:?}")),
    }
}

fn resamples(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (100..=1_000_000).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of resamples from 100 to 1000000, got {s:?}"
        )),
    }
}

fn confidence(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(c) if c > 0.0 && c < 1.0 => Ok(c),
        _ => Err(format!(
            "expected a confidence level between 0 and 1 such as 0.95, got {s:?}"
        )),
    }
}

fn gate_label(s: &str) -> Result<String, String> {
    let labels: Vec<&str> = ROWS.iter().filter(|r| r.1.is_some()).map(|r| r.0).collect();
    if labels.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "expected one of {} (a maximum has no interval), got {s:?}",
            labels.join(", ")
        ))
    }
}

/// What one side of a comparison holds.
pub enum Loaded {
    /// A sweep's per-seed histograms.
    Seeds(SeedLatencies),
    /// One run, or a sweep without per-seed histograms.
    Run(FaultLatencies),
}

impl Loaded {
    fn merged(&self) -> FaultLatencies {
        match self {
            Loaded::Seeds(s) => s.merged(),
            Loaded::Run(r) => r.clone(),
        }
    }
}

/// Runs `harness compare`.
pub fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let a = load_side(&args.a)?;
    let b = load_side(&args.b)?;
    let (name_a, name_b) = (args.a.display().to_string(), args.b.display().to_string());
    let options = Options {
        threshold: args.threshold,
        confidence: args.confidence,
        resamples: args.resamples,
        bootstrap_seed: args.bootstrap_seed,
    };
    let cmp = match (&a, &b) {
        (Loaded::Seeds(sa), Loaded::Seeds(sb)) => compare_seeds(sa, sb, &options),
        _ => compare_runs(&a.merged(), &b.merged(), args.threshold),
    };
    print!("{}", cmp.to_text(&name_a, &name_b));
    if let Some(path) = &args.plot {
        let (ma, mb) = (a.merged(), b.merged());
        let sides = [
            PlotSide {
                name: &name_a,
                latencies: &ma.all,
                seeds: seeds_of(&a),
            },
            PlotSide {
                name: &name_b,
                latencies: &mb.all,
                seeds: seeds_of(&b),
            },
        ];
        let svg = comparison_plot_svg(&sides, &options)?;
        std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))?;
        println!("\nplot: {}", path.display());
    }
    let Some(limit) = args.fail_above else {
        return Ok(ExitCode::SUCCESS);
    };
    Ok(gate(&cmp, limit, &args.gate_on))
}

fn seeds_of(side: &Loaded) -> Option<&SeedLatencies> {
    match side {
        Loaded::Seeds(s) => Some(s),
        Loaded::Run(_) => None,
    }
}

/// Prints the gate's verdict; exit 1 on a (significant) regression.
fn gate(cmp: &Comparison, limit: f64, labels: &[String]) -> ExitCode {
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let names = labels.join(", ");
    let gate = cmp.gate(limit, &labels);
    println!();
    if cmp.mode == Mode::Plain {
        println!(
            "gate (plain ratios: no interval with a single run on a side): {} rows tested",
            gate.tested
        );
    } else {
        println!(
            "gate: {} {names} rows tested, each at {:.2}% confidence ({:.0}% for the gate as a whole); {} without an interval, not gated",
            gate.tested,
            gate.row_confidence * 100.0,
            cmp.options.confidence * 100.0,
            gate.untested
        );
    }
    if gate.failures.is_empty() {
        println!("OK: no {names} significantly above {limit}");
        return ExitCode::SUCCESS;
    }
    for f in &gate.failures {
        let ratio = f.row.ratio.unwrap_or(f64::NAN);
        match f.interval {
            Some((lo, hi)) => println!(
                "FAIL: {} {} {} ratio {ratio:.2}, interval [{lo:.3}, {hi:.3}] lies above {limit}",
                f.table.f, f.table.outcome, f.row.label
            ),
            None => println!(
                "FAIL: {} {} {} ratio {ratio:.2} > {limit}",
                f.table.f, f.table.outcome, f.row.label
            ),
        }
    }
    ExitCode::from(1)
}

/// One side: a sweep directory's `seeds.hdr` when it has one, else [`load`]
/// with the fault-state groups where a history is at hand.
pub fn load_side(dir: &Path) -> anyhow::Result<Loaded> {
    let seeds = dir.join(SEEDS_FILE);
    if seeds.is_file() {
        let s = SeedLatencies::read_file(&seeds)?;
        if !s.is_empty() {
            return Ok(Loaded::Seeds(s));
        }
    }
    if let Some(lat) = load_one(dir)? {
        return Ok(Loaded::Run(lat));
    }
    Ok(Loaded::Run(FaultLatencies {
        all: load(dir)?,
        groups: Default::default(),
    }))
}

/// The latencies of a run or sweep directory: its `latency.hdr`, else
/// computed from its `history.jsonl`, else the merge of its subdirectories'
/// (a sweep that ended before writing its merged file).
pub fn load(dir: &Path) -> anyhow::Result<Latencies> {
    if let Some(lat) = load_one(dir)? {
        return Ok(lat.all);
    }
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    // A hidden `.seed-N.tmp-…` folder (a run killed mid-write) is never a
    // run: finished_entries leaves it out.
    let subdirs: Vec<PathBuf> = results::store::finished_entries(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    let mut merged = Latencies::new();
    let mut found = 0;
    for sub in subdirs {
        if let Some(lat) = load_one(&sub)? {
            merged.merge(&lat.all);
            found += 1;
        }
    }
    if found == 0 {
        bail!(
            "{} has no {HDR_FILE} or history.jsonl, nor any run directory that has one: expected a run or sweep directory",
            dir.display()
        );
    }
    Ok(merged)
}

/// A run directory's latencies: its `latency.hdr` (else those of its
/// `history.jsonl`) for all ops, and the fault-state groups from its
/// `history.jsonl` when it has one.
fn load_one(dir: &Path) -> anyhow::Result<Option<FaultLatencies>> {
    let history = dir.join("history.jsonl");
    let from_history = if history.is_file() {
        let text = std::fs::read_to_string(&history)
            .with_context(|| format!("cannot read {}", history.display()))?;
        let h = History::from_jsonl(&text, &history.display().to_string())?;
        Some(FaultLatencies::from_history(&h))
    } else {
        None
    };
    let hdr = dir.join(HDR_FILE);
    if hdr.is_file() {
        let all = Latencies::read_hdr_file(&hdr)?;
        let groups = from_history.map(|l| l.groups).unwrap_or_default();
        return Ok(Some(FaultLatencies { all, groups }));
    }
    Ok(from_history)
}
