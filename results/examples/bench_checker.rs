//! Benchmark of the linearizability checker.
//!
//! ```text
//! cargo run --release -p results --example bench_checker [PORCUPINE_DIR] [--porcupine-only | --long-only] [--threads N]
//! ```
//!
//! `--threads 1` checks on one thread and compares with Porcupine's
//! one-core figures (`baseline-1core.tsv`), file by file: a file is `SLOW`
//! if it took more than twice Porcupine's time or 1 ms, whichever is larger.
//!
//! 1. Every file of Porcupine's test data (default
//!    `../shared/histories/porcupine` from the crate): best-of-3 check time
//!    per file (parsing excluded, as in Porcupine's own `CheckEvents` figures),
//!    the verdict against `verdicts.tsv`, and the ratio of the total to
//!    Porcupine's `baseline.tsv`.
//! 2. A generated linearizable history of 100,000 ops over 10 keys at
//!    concurrency 10 (1% `info`): check time and memo size.
//! 3. Long histories: 1,000,000 ops on one key at concurrency 10 (1%
//!    `info`; target <= 5 s and <= 1 GiB peak resident memory, as the
//!    process's `VmHWM`), and 100,000 ops over 10 keys at concurrency 10
//!    (target <= 1 s), each on one thread.
//! 4. A generated linearizable append-kv history of 20,000 ops over 10 keys
//!    at concurrency about 10, 5% `info` (half of them never took effect).

#[path = "../tests/support/generate.rs"]
mod generate;

use results::formats::load_file;
use results::{check::check_events, CheckOptions, Event, History, Process, Verdict};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn table(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("file\t"))
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Some((cols.first()?.to_string(), cols.last()?.to_string()))
        })
        .collect()
}

fn word(v: &Verdict) -> &'static str {
    match v {
        Verdict::Valid => "ok",
        Verdict::Invalid(_) => "illegal",
        Verdict::Unknown(_) => "unknown",
    }
}

fn porcupine(dir: &Path, threads: usize) {
    let expected = table(&dir.join("verdicts.tsv"));
    let one_core = threads == 1;
    let baseline = table(&dir.join(if one_core {
        "baseline-1core.tsv"
    } else {
        "baseline.tsv"
    }));
    let mut slow = 0;
    let mut files: Vec<String> = expected.keys().cloned().collect();
    if dir.join("jepsen/etcd_095.log").exists() {
        files.push("jepsen/etcd_095.log".into());
    }
    files.sort();
    let opts = CheckOptions {
        threads,
        ..CheckOptions::default()
    };
    let (mut ours_s, mut theirs_s, mut wrong) = (0.0, 0.0, 0);
    let mut group: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    println!(
        "{:<22} {:>6} {:>8} {:>11} {:>11} {:>7} {:>9}",
        "file", "events", "verdict", "ours_ms", "porcupine_ms", "ratio", "steps"
    );
    for f in &files {
        let loaded = match load_file(&dir.join(f), None) {
            Ok(l) => l,
            Err(e) => {
                println!("{f:<22} skipped: {e}");
                continue;
            }
        };
        let mut best = f64::MAX;
        let mut verdict = Verdict::Valid;
        let mut steps = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let report = check_events(loaded.history.events(), &loaded.source(), &opts)
                .expect("well-formed");
            best = best.min(t.elapsed().as_secs_f64());
            verdict = report.verdict;
            steps = report.per_key.iter().map(|k| k.steps).sum::<u64>();
        }
        let got = word(&verdict);
        let want = expected.get(f).map_or("-", String::as_str);
        if want != "-" && want != got {
            wrong += 1;
        }
        let theirs: f64 = baseline.get(f).and_then(|s| s.parse().ok()).unwrap_or(0.0);
        ours_s += best;
        theirs_s += theirs;
        let g = group
            .entry(if f.starts_with("jepsen") {
                "jepsen"
            } else {
                "kv"
            })
            .or_default();
        g.0 += best;
        g.1 += theirs;
        let ratio = if theirs > 0.0 {
            format!("{:.3}", best / theirs)
        } else {
            "-".into()
        };
        let too_slow = one_core && best > (2.0 * theirs).max(1e-3);
        slow += usize::from(too_slow);
        let mark = match (want == "-" || want == got, too_slow) {
            (false, _) => "  WRONG",
            (true, true) => "  SLOW",
            (true, false) => "",
        };
        println!(
            "{f:<22} {:>6} {got:>8} {:>11.3} {:>11.3} {ratio:>7} {steps:>9}{mark}",
            loaded.history.len(),
            best * 1e3,
            theirs * 1e3
        );
    }
    for (g, (ours, theirs)) in &group {
        println!(
            "{g:<22} total ours {:.2} ms, porcupine {:.2} ms, ratio {:.3}",
            ours * 1e3,
            theirs * 1e3,
            ours / theirs
        );
    }
    println!(
        "TOTAL {} files{}: ours {:.2} ms, porcupine {:.2} ms, ratio {:.3} (target <= 0.1); wrong verdicts: {wrong}{}",
        files.len(),
        if one_core { " on one thread" } else { "" },
        ours_s * 1e3,
        theirs_s * 1e3,
        ours_s / theirs_s,
        if one_core {
            format!("; slower than max(2x porcupine, 1 ms): {slow}")
        } else {
            String::new()
        }
    );
}

/// The process's peak resident memory, in MiB (Linux), or 0.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

fn long(ops: usize, keys: usize, target_ms: f64) {
    let shape = generate::Shape {
        ops,
        keys,
        concurrency: 10,
        info_rate: 0.01,
        values: 5,
    };
    let history = generate::linearizable(&shape, 13);
    let opts = CheckOptions {
        threads: 1,
        ..CheckOptions::default()
    };
    let t = Instant::now();
    let report = results::check_history(&history, &opts).expect("well-formed");
    let elapsed = t.elapsed();
    let memo: usize = report.per_key.iter().map(|k| k.memo_entries).sum();
    println!(
        "LONG {} ops, {} keys, concurrency 10, 1% info, one thread: {} in {:.1} ms (target <= {target_ms} ms; {memo} memo entries; peak RSS so far {} MiB)",
        report.ops,
        report.keys,
        report.verdict.word(),
        elapsed.as_secs_f64() * 1e3,
        peak_rss_mib()
    );
}

fn generated() {
    let shape = generate::Shape {
        ops: 100_000,
        keys: 10,
        concurrency: 10,
        info_rate: 0.01,
        values: 5,
    };
    let history = generate::linearizable(&shape, 7);
    let t = Instant::now();
    let report = results::check_history(&history, &CheckOptions::default()).expect("well-formed");
    let elapsed = t.elapsed();
    let memo: usize = report.per_key.iter().map(|k| k.memo_entries).sum();
    println!(
        "GENERATED {} ops, {} keys, concurrency {}: {} in {:.1} ms ({} memo entries in all; target < 2000 ms)",
        report.ops,
        report.keys,
        shape.concurrency,
        report.verdict.word(),
        elapsed.as_secs_f64() * 1e3,
        memo
    );
}

/// Append-kv operations taking effect one after another every 10 ticks,
/// each invoked up to `10 * concurrency` ticks before and completed up to as
/// long after; every operation has its own process. Appends add unique
/// text, so every order gives a different string.
fn append_history(ops: u64, keys: u64, concurrency: u64, info_rate: f64, seed: u64) -> History {
    let mut rng = generate::Rng::new(seed);
    let mut strings = vec![String::new(); keys as usize];
    let mut events: Vec<(u64, u64, Event)> = Vec::new();
    // An operation lasts `spread` ticks on average, one starts every 10.
    let spread = 10 * concurrency;
    for i in 0..ops {
        let (at, p, key) = (spread + 10 * i, Process::Client(i), rng.below(keys));
        let (key, s) = (format!("k{key}"), &mut strings[key as usize]);
        let (f, arg) = match rng.below(20) {
            0 => ("put", json!(format!("p{i} "))),
            1..=9 => ("append", json!(format!("a{i} "))),
            _ => ("get", Value::Null),
        };
        let info = rng.chance(info_rate);
        if !info || rng.chance(0.5) {
            match f {
                "put" => *s = arg.as_str().unwrap_or_default().to_string(),
                "append" => s.push_str(arg.as_str().unwrap_or_default()),
                _ => {}
            }
        }
        let result = if f == "get" {
            json!(s.clone())
        } else {
            arg.clone()
        };
        events.push((
            at - rng.below(spread),
            i,
            Event::invoke(p, f, &key, arg.clone()),
        ));
        let done = if info {
            Event::info(p, f, &key, arg, "timeout")
        } else {
            Event::ok(p, f, &key, result)
        };
        events.push((at + 1 + rng.below(spread), i, done));
    }
    events.sort_by_key(|(t, i, _)| (*t, *i));
    let mut h = History::new();
    for (t, _, e) in events {
        h.push(t, e);
    }
    h
}

fn generated_append() {
    let history = append_history(20_000, 10, 10, 0.05, 11);
    let t = Instant::now();
    let report = results::check_history(&history, &CheckOptions::default()).expect("well-formed");
    let steps: u64 = report.per_key.iter().map(|k| k.steps).sum();
    println!(
        "GENERATED append-kv {} ops, {} keys, 5% info: {} in {:.1} ms ({steps} steps)",
        report.ops,
        report.keys,
        report.verdict.word(),
        t.elapsed().as_secs_f64() * 1e3,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only = args.iter().any(|a| a == "--porcupine-only");
    let threads = match args.iter().position(|a| a == "--threads") {
        Some(i) => args
            .get(i + 1)
            .and_then(|n| n.parse().ok())
            .expect("--threads takes a number"),
        None => 0,
    };
    let dir = args
        .iter()
        .enumerate()
        .find(|(i, a)| {
            !a.starts_with("--") && args.get(i.wrapping_sub(1)).is_none_or(|p| p != "--threads")
        })
        .map(|(_, a)| a)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/histories/porcupine")
        });
    if dir.join("verdicts.tsv").exists() {
        porcupine(&dir, threads);
    } else {
        println!("SKIP porcupine: {} not found", dir.display());
    }
    if args.iter().any(|a| a == "--long-only") {
        long(1_000_000, 1, 5000.0);
        return;
    }
    if !only {
        long(100_000, 10, 1000.0);
        long(1_000_000, 1, 5000.0);
        generated();
        generated_append();
    }
}
