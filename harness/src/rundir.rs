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
use results::check::{CheckOptions, CheckReport};
use results::latency::{self, by_fault::FaultLatencies};
use results::minimal::{minimal_counterexample, MinimalCounterexample};
use results::store::RunDirWriter;
use results::{Event, History, Verdict};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Writes the run directory `parent/seed-N` of `scenario`'s run. Returns
/// where it landed.
pub fn write_run_dir(
    parent: &Path,
    scenario: &Scenario,
    outcome: &RunOutcome,
    report: Option<&CheckReport>,
) -> anyhow::Result<PathBuf> {
    let name = format!("seed-{}", scenario.seed);
    write_run_dir_named(parent, &name, scenario, outcome, report)
}

/// Writes the run directory `parent/name` (`name-2`, … if that is taken),
/// as [`write_run_dir`] does. Returns where it landed.
pub fn write_run_dir_named(
    parent: &Path,
    name: &str,
    scenario: &Scenario,
    outcome: &RunOutcome,
    report: Option<&CheckReport>,
) -> anyhow::Result<PathBuf> {
    let writer = RunDirWriter::create(parent, name)
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
        writer
            .write("verdict.json", verdict_json(outcome, report)? + "\n")
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

/// Wall-clock budget of the search for a minimal counterexample.
pub const MINIMAL_TIMEOUT: Duration = Duration::from_secs(20);

/// The checker's report as `verdict.json` holds it; for a violation, with
/// the minimal counterexample under `minimal_counterexample`.
/// `verdict.json`: the checker's report, with the broken invariant and the
/// minimal counterexample where there are.
fn verdict_json(outcome: &RunOutcome, report: &CheckReport) -> anyhow::Result<String> {
    let mut value = serde_json::to_value(report)?;
    if let serde_json::Value::Object(map) = &mut value {
        if let Some(violated) = &outcome.invariant {
            map.insert("invariant".into(), serde_json::json!(violated));
        }
        if let Some(minimal) = minimal_of(outcome, report) {
            map.insert(MINIMAL_FIELD.to_string(), serde_json::to_value(&minimal)?);
        }
    }
    Ok(serde_json::to_string_pretty(&value)?)
}

/// The field of `verdict.json` with the minimal counterexample.
pub const MINIMAL_FIELD: &str = "minimal_counterexample";

/// The minimal counterexample of a violation in `outcome`'s history (see
/// [`results::minimal`]), checked with the run's own checker; `None` for
/// a valid or unknown verdict.
pub fn minimal_of(outcome: &RunOutcome, report: &CheckReport) -> Option<MinimalCounterexample> {
    let Verdict::Invalid(found) = &report.verdict else {
        return None;
    };
    let checker = outcome.checker.as_ref()?;
    let opts = CheckOptions {
        timeout: Some(Duration::from_secs(10)),
        threads: 1,
        ..CheckOptions::default()
    };
    let check = |events: &[Event]| {
        checker
            .check(&History::from_events(events.to_vec()), &opts)
            .ok()
    };
    minimal_counterexample(outcome.history.events(), found, &check, MINIMAL_TIMEOUT)
}

/// The minimal counterexample a run directory's `verdict.json` holds.
pub fn read_minimal(dir: &Path) -> Option<MinimalCounterexample> {
    let text = std::fs::read_to_string(dir.join("verdict.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    serde_json::from_value(value.get(MINIMAL_FIELD)?.clone()).ok()
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
