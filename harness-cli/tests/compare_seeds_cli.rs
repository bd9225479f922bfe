//! `harness compare` on two sweeps that kept per-seed histograms: paired
//! and unpaired intervals, the significance gate, the planted slowdown, and
//! `harness merge` keeping `seeds.hdr`.

mod cli_support;

use cli_support::harness_in;
use std::path::Path;
use std::process::Output;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn marked_worse(text: &str) -> bool {
    text.lines().any(|l| l.trim_end().ends_with("<< worse"))
}

fn sweep(cwd: &Path, out: &str, seeds: &str, extra: &[&str]) {
    let mut args = vec![
        "sweep",
        "--seeds",
        seeds,
        "--nemesis",
        "none",
        "--jobs",
        "1",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    let run = harness_in(cwd, &args);
    assert_eq!(run.status.code(), Some(0), "{}", stdout(&run));
    assert!(cwd.join(out).join("seeds.hdr").is_file());
}

#[test]
fn sweeps_compare_as_samples_of_seeds() {
    let cwd = cli_support::scratch("compare_seeds_cli", "sweeps");
    sweep(&cwd, "a", "0..12", &[]);
    sweep(&cwd, "b", "12..24", &[]);
    sweep(&cwd, "slow", "0..12", &["--bug", "slow-append"]);

    let same = harness_in(&cwd, &["compare", "a", "a", "--fail-above", "1.1"]);
    let text = stdout(&same);
    assert_eq!(same.status.code(), Some(0), "{text}");
    assert!(
        text.contains("paired by seed: A and B ran the same 12 seeds"),
        "{text}"
    );
    assert!(
        text.contains("OK: no p99 significantly above 1.1"),
        "{text}"
    );
    assert!(!marked_worse(&text), "{text}");

    let other = harness_in(&cwd, &["compare", "a", "b", "--fail-above", "1.1"]);
    let text = stdout(&other);
    assert_eq!(other.status.code(), Some(0), "{text}");
    assert!(
        text.contains("unpaired: A has 12 seeds, B has 12"),
        "{text}"
    );

    let slow = harness_in(
        &cwd,
        &[
            "compare",
            "a",
            "slow",
            "--fail-above",
            "1.1",
            "--plot",
            "p.svg",
        ],
    );
    let text = stdout(&slow);
    assert_eq!(slow.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL: write ok p99"), "{text}");
    assert!(marked_worse(&text), "{text}");
    let svg = std::fs::read_to_string(cwd.join("p.svg")).unwrap();
    assert!(svg.contains("bootstrap interval over seeds") && svg.contains("99.9%"));

    // The same inputs and bootstrap seed, the same text; another seed may
    // move an interval but not the verdict.
    let again = harness_in(
        &cwd,
        &[
            "compare",
            "a",
            "slow",
            "--fail-above",
            "1.1",
            "--plot",
            "p.svg",
        ],
    );
    assert_eq!(stdout(&again), text);
    let reseeded = harness_in(
        &cwd,
        &[
            "compare",
            "a",
            "slow",
            "--fail-above",
            "1.1",
            "--bootstrap-seed",
            "9",
        ],
    );
    assert_eq!(reseeded.status.code(), Some(1));

    // A run directory on one side: plain ratios, said so.
    let run = harness_in(
        &cwd,
        &["run", "--seed", "3", "--nemesis", "none", "--out", "run3"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stdout(&run));
    let plain = stdout(&harness_in(&cwd, &["compare", "run3", "a"]));
    assert!(plain.contains("plain ratios: a side is one run"), "{plain}");

    // Bad knobs are refused as unusable input.
    for bad in [
        ["--confidence", "1.5"],
        ["--gate-on", "max"],
        ["--resamples", "5"],
    ] {
        let out = harness_in(&cwd, &["compare", "a", "b", bad[0], bad[1]]);
        assert_eq!(out.status.code(), Some(3), "{bad:?}");
    }
    // A damaged seeds.hdr is an error naming the file, not a panic.
    std::fs::write(
        cwd.join("b").join("seeds.hdr"),
        "Tag=1/all/read.ok,0,0,1,AAAA\n",
    )
    .unwrap();
    let out = harness_in(&cwd, &["compare", "a", "b"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("seeds.hdr"));
    std::fs::remove_dir_all(&cwd).unwrap();
}
