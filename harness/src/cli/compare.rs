//! `harness compare A B`: latency percentiles of two runs (or sweeps) side
//! by side, B/A ratios, regressions marked, an optional p99 gate for CI and
//! an optional SVG percentile plot.
//!
//! Exit codes: 0 when no p99 ratio exceeds `--fail-above` (or no gate was
//! asked for), 1 when one does, 3 for unusable input.

use anyhow::{bail, Context};
use clap::Args;
use results::compare::{compare as compare_latencies, DEFAULT_THRESHOLD};
use results::latency::{Latencies, HDR_FILE};
use results::report::percentile_plot_svg;
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
    /// Mark rows where B/A exceeds this ratio.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD, value_parser = positive_ratio)]
    pub threshold: f64,
    /// Exit 1 when any op kind's p99 ratio B/A exceeds this.
    #[arg(long, value_parser = positive_ratio)]
    pub fail_above: Option<f64>,
    /// Also draw both runs' latency by percentile into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

fn positive_ratio(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!("expected a positive ratio such as 1.2, got {s:?}")),
    }
}

/// Runs `harness compare`.
pub fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let a = load(&args.a)?;
    let b = load(&args.b)?;
    let (name_a, name_b) = (args.a.display().to_string(), args.b.display().to_string());
    let cmp = compare_latencies(&a, &b, args.threshold);
    print!("{}", cmp.to_text(&name_a, &name_b));
    if let Some(path) = &args.plot {
        let svg = percentile_plot_svg(&a, &b, &name_a, &name_b)?;
        std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))?;
        println!("\nplot: {}", path.display());
    }
    let Some(limit) = args.fail_above else {
        return Ok(ExitCode::SUCCESS);
    };
    let over = cmp.over(limit);
    if over.is_empty() {
        println!("\nOK: no p99 ratio above {limit}");
        return Ok(ExitCode::SUCCESS);
    }
    println!();
    for t in over {
        let ratio = t
            .p99_ratio()
            .expect("`over` keeps only tables with a p99 ratio");
        println!("FAIL: {} {} p99 ratio {ratio:.2} > {limit}", t.f, t.outcome);
    }
    Ok(ExitCode::from(1))
}

/// The latencies of a run or sweep directory: its `latency.hdr`, else
/// computed from its `history.jsonl`, else the merge of its subdirectories'
/// (a sweep that ended before writing its merged file).
pub fn load(dir: &Path) -> anyhow::Result<Latencies> {
    if let Some(lat) = load_one(dir)? {
        return Ok(lat);
    }
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    subdirs.sort();
    let mut merged = Latencies::new();
    let mut found = 0;
    for sub in subdirs {
        if let Some(lat) = load_one(&sub)? {
            merged.merge(&lat);
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

fn load_one(dir: &Path) -> anyhow::Result<Option<Latencies>> {
    let hdr = dir.join(HDR_FILE);
    if hdr.is_file() {
        return Ok(Some(Latencies::read_hdr_file(&hdr)?));
    }
    let history = dir.join("history.jsonl");
    if history.is_file() {
        let text = std::fs::read_to_string(&history)
            .with_context(|| format!("cannot read {}", history.display()))?;
        let h = History::from_jsonl(&text, &history.display().to_string())?;
        return Ok(Some(Latencies::from_history(&h)));
    }
    Ok(None)
}
