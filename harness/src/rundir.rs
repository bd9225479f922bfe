//! Run directories: everything one run leaves behind, written whole.
//!
//! `config.json` (the scenario: replays the run), `history.jsonl`,
//! `latency.json` and `latency.hdr`, `verdict.json` when the history was
//! checked, and `report.html` when the run failed. The directory is
//! written under a temporary name and renamed into place, so a reader
//! never sees half of one; a failing run's report is added after the
//! rename, titled with the directory's final name.

use crate::runner::RunOutcome;
use crate::scenario::Scenario;
use anyhow::Context;
use results::check::CheckReport;
use results::latency::{self, by_fault::FaultLatencies};
use results::store::RunDirWriter;
use std::path::{Path, PathBuf};

/// Writes the run directory `parent/seed-N` of `scenario`'s run. Returns
/// where it landed.
pub fn write_run_dir(
    parent: &Path,
    scenario: &Scenario,
    outcome: &RunOutcome,
    report: Option<&CheckReport>,
) -> anyhow::Result<PathBuf> {
    let writer = RunDirWriter::create(parent, &format!("seed-{}", scenario.seed))
        .with_context(|| format!("cannot create a run directory in {}", parent.display()))?;
    let context = || format!("cannot write the run directory in {}", parent.display());
    let by_fault = FaultLatencies::from_history(&outcome.history);
    let latencies = &by_fault.all;
    writer
        .write(
            "config.json",
            serde_json::to_string_pretty(scenario)? + "\n",
        )
        .with_context(context)?;
    writer
        .write("history.jsonl", outcome.history.to_jsonl())
        .with_context(context)?;
    writer
        .write(latency::JSON_FILE, by_fault.to_json())
        .with_context(context)?;
    writer
        .write(latency::HDR_FILE, latencies.to_hdr())
        .with_context(context)?;
    if let Some(report) = report {
        let mut value = serde_json::to_value(report)?;
        if let (Some(violated), serde_json::Value::Object(map)) = (&outcome.invariant, &mut value) {
            map.insert("invariant".into(), serde_json::json!(violated));
        }
        writer
            .write("verdict.json", serde_json::to_string_pretty(&value)? + "\n")
            .with_context(context)?;
    }
    let failed = outcome.error.is_some()
        || outcome.liveness.is_some()
        || outcome.invariant.is_some()
        || report.is_none_or(|r| !r.verdict.is_valid());
    let dir = writer.commit().with_context(context)?;
    // The report is written in place, once the directory has its final
    // name: that name is its title.
    if failed {
        crate::cli::write_report(&dir, &[])?;
    }
    Ok(dir)
}

/// Reads a run directory's `config.json` (or any scenario file); errors
/// name the file, and the line and column where the JSON is wrong.
pub fn read_scenario(path: &Path) -> anyhow::Result<Scenario> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let scenario = Scenario::from_json(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not a run configuration as `harness run` writes: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    scenario
        .validate()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(scenario)
}
