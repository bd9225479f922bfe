//! An interrupted sweep leaves only whole run directories and a summary of
//! what finished. The interrupt goes through the stop flag that the Ctrl-C
//! handler sets.

use clap::{Args, Command, FromArgMatches};
use harness::cli::sweep::{run_sweep, SweepArgs, SUMMARY_FILE};
use harness::Scenario;

/// The systems of the `harness` binary.
fn systems() -> harness::cli::Systems {
    harness::cli::App::new()
        .system::<raft_kv::Cluster>()
        .systems()
        .clone()
}
use results::{EventType, History, Process};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn args(argv: &[&str]) -> SweepArgs {
    let command = SweepArgs::augment_args(Command::new("sweep"));
    let matches =
        command.try_get_matches_from(std::iter::once("sweep").chain(argv.iter().copied()));
    SweepArgs::from_arg_matches(&matches.unwrap()).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("harness-sweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn seed_dirs(out: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return vec![];
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect()
}

/// Checks that `out` holds only the sweep's own files and whole run
/// directories, one per seed `sweep.json` lists with a directory; returns
/// `sweep.json`.
fn assert_only_whole_runs(out: &Path) -> Value {
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(SUMMARY_FILE)).unwrap()).unwrap();
    let mut listed = BTreeSet::new();
    for r in summary["results"].as_array().unwrap() {
        if let Some(dir) = r["dir"].as_str() {
            listed.insert(PathBuf::from(dir));
        }
    }
    for entry in std::fs::read_dir(out).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with('.'),
            "a temporary file or folder was left: {name}"
        );
        if !entry.path().is_dir() {
            assert!(
                ["sweep.json", "latency.hdr", "latency.json", "seeds.hdr"].contains(&name.as_str()),
                "{name}"
            );
            continue;
        }
        let seed: u64 = name.strip_prefix("seed-").unwrap().parse().unwrap();
        let config = std::fs::read_to_string(entry.path().join("config.json")).unwrap();
        let scenario: Scenario = serde_json::from_str(&config).unwrap();
        assert_eq!(scenario.seed, seed);
        let jsonl = std::fs::read_to_string(entry.path().join("history.jsonl")).unwrap();
        let history = History::from_jsonl(&jsonl, &name).unwrap();
        let invokes = history
            .events()
            .iter()
            .filter(|e| e.kind == EventType::Invoke && matches!(e.process, Process::Client(_)))
            .count();
        assert!(
            invokes >= scenario.ops,
            "{name}: {invokes} ops of {}",
            scenario.ops
        );
        assert!(listed.remove(&entry.path()), "{name} is not in sweep.json");
    }
    assert!(
        listed.is_empty(),
        "sweep.json names directories that do not exist: {listed:?}"
    );
    summary
}

#[test]
fn a_sweep_stopped_midway_keeps_only_whole_runs_and_a_summary() {
    let out = scratch("interrupt");
    let out_arg = out.display().to_string();
    let argv = [
        "--seeds", "0..3000", "--ops", "100", "--jobs", "2", "--keep", "all", "--out", &out_arg,
    ];
    let stop = AtomicBool::new(false);
    let code = std::thread::scope(|scope| {
        let sweep = scope.spawn(|| run_sweep(args(&argv), &systems(), &stop).unwrap());
        // Ctrl-C once a few seeds have finished.
        while seed_dirs(&out).len() < 3 && !sweep.is_finished() {
            std::thread::sleep(Duration::from_millis(2));
        }
        stop.store(true, Ordering::SeqCst);
        sweep.join().unwrap()
    });
    assert_eq!(
        code,
        std::process::ExitCode::from(130),
        "interrupted, no failures"
    );
    let summary = assert_only_whole_runs(&out);
    let ran = summary["results"].as_array().unwrap().len();
    let not_run = summary["not_run"].as_array().unwrap().len();
    assert_eq!(ran + not_run, 3000);
    assert!(ran >= 3 && not_run > 0, "{ran} ran, {not_run} not run");
    assert_eq!(summary["stopped"], "interrupted");
    assert_eq!(summary["counts"]["linearizable"], ran);
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn a_sweep_stopped_before_it_starts_runs_nothing_and_says_so() {
    let out = scratch("stopped");
    let out_arg = out.display().to_string();
    let stop = AtomicBool::new(true);
    let code = run_sweep(
        args(&["--count", "5", "--seed", "40", "--out", &out_arg]),
        &systems(),
        &stop,
    )
    .unwrap();
    assert_eq!(code, std::process::ExitCode::from(130));
    let summary = assert_only_whole_runs(&out);
    assert_eq!(summary["results"].as_array().unwrap().len(), 0);
    assert_eq!(summary["not_run"], serde_json::json!([40, 41, 42, 43, 44]));
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn an_out_directory_with_files_is_refused() {
    let out = scratch("taken");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep-me"), "x").unwrap();
    let out_arg = out.display().to_string();
    let err = run_sweep(
        args(&["--seeds", "0..2", "--out", &out_arg]),
        &systems(),
        &AtomicBool::new(false),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("already holds files"), "{err}");
    std::fs::remove_dir_all(out).unwrap();
}
