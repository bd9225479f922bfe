//! `harness check FILE...`: judge history files.
//!
//! One line per file (verdict, operations, keys, time), then the
//! counterexample of a violation. The exit code is the worst over all files:
//! 0 all linearizable, 1 one is not, 2 one is unknown, 3 one could not be
//! read or its witness does not verify (`EXIT_ERROR`), 6 one tested nothing
//! (`VACUOUS`: no client operation completed with a result the model could
//! refuse, e.g. an empty file or one where every op timed out; see
//! `CheckReport::tested_nothing`). The order of badness is 1, 3, 6, 2, 0.
//! Errors go to stderr; one file's error never hides the other files'
//! verdicts.

use super::{EXIT_ERROR, EXIT_TESTED_NOTHING};
use clap::Args;
use results::check::{check_events, verify_events};
use results::formats::{load_file_within, Format, LoadError};
use results::{CheckOptions, ModelKind};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Arguments of `harness check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// History files to check (JSONL, Jepsen EDN, Porcupine logs).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The model: register, cas-register, kv, append-kv or mutex (default:
    /// from the operation names).
    #[arg(long, value_parser = str::parse::<ModelKind>)]
    pub model: Option<ModelKind>,
    /// The registers' value before any write, for the register,
    /// cas-register and kv models (default: null, never written; Knossos's
    /// tests start at 0).
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
    pub initial: Option<i64>,
    /// The file format: jsonl, edn, porcupine-etcd or porcupine-kv
    /// (default: detected from the content).
    #[arg(long, value_parser = str::parse::<Format>)]
    pub format: Option<Format>,
    /// Time budget per file, in seconds, reading the file included; when it
    /// runs out the verdict is unknown (exit code 2).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Verify each valid verdict's witness (the linearization found) apart
    /// from the search: replay the model along it and check real time. A
    /// witness that does not verify is an internal error (exit code 3).
    #[arg(long)]
    pub verify: bool,
}

/// The minimal counterexample of a violation and its words (empty for a
/// valid or unknown verdict), checked with the same options.
fn minimal_text(
    history: &results::History,
    source: &results::check::Source<'_>,
    report: &results::CheckReport,
    opts: &CheckOptions,
) -> String {
    let results::Verdict::Invalid(found) = &report.verdict else {
        return String::new();
    };
    let check = |events: &[results::Event]| check_events(events, source, opts).ok();
    let timeout = crate::rundir::MINIMAL_TIMEOUT;
    match results::minimal::minimal_counterexample(history.events(), found, &check, timeout) {
        Some(m) => {
            let mut out = m.text();
            for line in m.words(history) {
                out.push_str(&line);
                out.push('\n');
            }
            out
        }
        None => String::new(),
    }
}

/// Checks every file and returns the worst exit code.
#[allow(clippy::disallowed_methods)] // the --timeout budget is wall time, outside any simulation
pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let timeout = match args.timeout {
        Some(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s)),
        Some(s) => anyhow::bail!("--timeout must be a positive number of seconds, got {s}"),
        None => None,
    };
    let mut worst = 0u8;
    for path in &args.files {
        let start = Instant::now();
        let deadline = timeout.map(|t| start + t);
        let checked = load_file_within(path, args.format, deadline).and_then(|loaded| {
            // What reading left of the budget.
            let opts = CheckOptions {
                model: args.model,
                initial: args.initial,
                timeout: timeout.map(|t| t.saturating_sub(start.elapsed())),
                ..CheckOptions::default()
            };
            let report = check_events(loaded.history.events(), &loaded.source(), &opts)?;
            let verified = (args.verify && report.verdict.is_valid())
                .then(|| verify_events(loaded.history.events(), &loaded.source(), &report));
            let minimal = minimal_text(&loaded.history, &loaded.source(), &report, &opts);
            Ok((report, loaded.format, verified, minimal))
        });
        let code = match checked {
            Err(LoadError::OutOfTime { file, line }) => {
                println!(
                    "{file}: unknown  the time budget of {} ms ran out while reading, at line {line}",
                    timeout.unwrap_or_default().as_millis()
                );
                2
            }
            Err(e) => {
                eprintln!("error: {e}");
                EXIT_ERROR
            }
            Ok((report, format, verified, minimal)) => {
                println!("{}: {} ({format})", path.display(), report.summary());
                print!("{}", report.details());
                print!("{minimal}");
                match verified {
                    None => report.exit_code(),
                    Some(Ok(keys)) => {
                        println!("witness verified: {keys} keys");
                        report.exit_code()
                    }
                    Some(Err(e)) => {
                        eprintln!(
                            "error: {}: the witness does not verify: {e}",
                            path.display()
                        );
                        EXIT_ERROR
                    }
                }
            }
        };
        if rank(code) > rank(worst) {
            worst = code;
        }
    }
    Ok(ExitCode::from(worst))
}

/// How bad an exit code is, for the worst over several files: not
/// linearizable over an error over tested nothing over unknown over valid.
fn rank(code: u8) -> u8 {
    match code {
        0 => 0,
        2 => 1,
        EXIT_TESTED_NOTHING => 2,
        EXIT_ERROR => 3,
        _ => 4,
    }
}
