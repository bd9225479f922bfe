//! `harness report DIR`: writes `DIR/report.html` (self-contained: op
//! timeline, fault windows, latency over time) and its two plots as SVG
//! files, from `DIR/history.jsonl`. When `DIR/verdict.json` holds a
//! violation, the counterexample's operations are highlighted.

use anyhow::Context;
use clap::Args;
use results::report::{Report, ReportInput, HTML_FILE};
use results::{CheckReport, History, Verdict};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `harness report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory (with `history.jsonl`).
    pub dir: PathBuf,
    /// Also highlight these event indices (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub highlight: Vec<u64>,
}

/// Runs `harness report`.
pub fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let path = write_report(&args.dir, &args.highlight)?;
    println!("report: {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes the report of the run in `dir`, highlighting `extra` event
/// indices besides the counterexample's; returns the HTML file's path.
/// `harness run` can call this after a violation.
pub fn write_report(dir: &Path, extra: &[u64]) -> anyhow::Result<PathBuf> {
    let history_path = dir.join("history.jsonl");
    let text = std::fs::read_to_string(&history_path)
        .with_context(|| format!("cannot read {}", history_path.display()))?;
    let history = History::from_jsonl(&text, &history_path.display().to_string())?;
    let verdict = read_verdict(dir);
    let mut highlight: BTreeSet<u64> = extra.iter().copied().collect();
    if let Some(report) = &verdict {
        highlight.extend(counterexample_events(&report.verdict));
    }
    let minimal = crate::rundir::read_minimal(dir);
    if let Some(m) = &minimal {
        highlight.extend(m.events.iter().map(|e| e.index));
    }
    let highlight: Vec<u64> = highlight.into_iter().collect();
    let summary = verdict.as_ref().map(CheckReport::summary);
    let title = dir.display().to_string();
    let input = ReportInput {
        title: &title,
        history: &history,
        highlight: &highlight,
        verdict: summary.as_deref(),
        minimal: minimal.as_ref(),
    };
    Report::render(&input)?
        .write_to(dir)
        .with_context(|| format!("cannot write the report into {}", dir.display()))?;
    Ok(dir.join(HTML_FILE))
}

/// `DIR/verdict.json`, when present and readable; a file of another shape
/// is reported on stderr and otherwise ignored (the report needs only the
/// history).
fn read_verdict(dir: &Path) -> Option<CheckReport> {
    let path = dir.join("verdict.json");
    let text = std::fs::read_to_string(&path).ok()?;
    match serde_json::from_str(&text) {
        Ok(report) => Some(report),
        Err(e) => {
            eprintln!(
                "warning: {}: not a checker report ({e}); nothing highlighted",
                path.display()
            );
            None
        }
    }
}

/// The events of a violation's counterexample: the invoke and completion of
/// every operation it shows (the end of the linearized prefix and the ops
/// that cannot come next) and the completion that closes the window.
fn counterexample_events(verdict: &Verdict) -> Vec<u64> {
    let Verdict::Invalid(c) = verdict else {
        return Vec::new();
    };
    let ops = c.prefix_tail.iter().chain(c.stuck.iter().map(|s| &s.op));
    ops.flat_map(|op| [Some(op.invoke_index), op.complete_index])
        .flatten()
        .chain([c.closed_by])
        .collect()
}
