//! Porcupine's own test histories: every file gets the verdict Porcupine's
//! tests expect (`verdicts.tsv`). Skips, saying so, when the shared folder
//! is absent. Every valid verdict's witness is verified. Checked on one thread, where keys take turns: no file may
//! need more than `STEPS_MAX` search steps in all (before keys took turns,
//! `kv/c50-bad.txt` searched a hard valid key for 86 million steps before
//! reaching its easy violation).

use results::check::{check_events, verify_events};
use results::formats::load_file;
use results::{CheckOptions, Verdict};
use std::path::PathBuf;

const STEPS_MAX: u64 = 5_000_000;

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/histories/porcupine")
}

#[test]
fn every_file_gets_its_expected_verdict() {
    let dir = folder();
    let Ok(table) = std::fs::read_to_string(dir.join("verdicts.tsv")) else {
        println!(
            "SKIPPED: {} not found; Porcupine's histories are not checked",
            dir.display()
        );
        return;
    };
    let mut wrong = Vec::new();
    let mut checked = 0;
    for line in table.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let (file, expected) = line
            .split_once('\t')
            .expect("verdicts.tsv rows are `file<TAB>expected`");
        let loaded = load_file(&dir.join(file), None).unwrap_or_else(|e| panic!("{e}"));
        let one_thread = CheckOptions {
            threads: 1,
            ..CheckOptions::default()
        };
        let report = check_events(loaded.history.events(), &loaded.source(), &one_thread)
            .unwrap_or_else(|e| panic!("{e}"));
        if report.verdict.is_valid() {
            if let Err(e) = verify_events(loaded.history.events(), &loaded.source(), &report) {
                wrong.push(format!("{file}: the witness does not verify: {e}"));
            }
        }
        let steps: u64 = report.per_key.iter().map(|k| k.steps).sum();
        if steps > STEPS_MAX {
            wrong.push(format!("{file}: {steps} search steps on one thread"));
        }
        let got = match report.verdict {
            Verdict::Valid => "ok",
            Verdict::Invalid(_) => "illegal",
            Verdict::Unknown(_) => "unknown",
        };
        if got != expected {
            wrong.push(format!("{file}: expected {expected}, got {got}"));
        }
        checked += 1;
    }
    assert!(checked >= 100, "only {checked} files listed");
    assert!(
        wrong.is_empty(),
        "{} wrong verdicts:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
