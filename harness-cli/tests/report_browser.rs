//! The report of a shrunk run, rendered by headless Chromium: the node
//! lanes, the fault shading and the stated minimal counterexample are in
//! the page the browser built. Skips (with a message) where no browser is
//! installed; `.ci/run` installs one from the distribution's packages.

mod cli_support;

use cli_support::harness_in;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The browser: `$CHROMIUM`, else the first of the usual names on disk.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Runs the browser headless on `page` with `args` (a fresh profile, no
/// network chatter).
fn headless(browser: &Path, profile: &Path, page: &Path, args: &[&str]) -> std::process::Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("the browser starts")
}

#[test]
fn the_shrunk_report_shows_lanes_faults_and_the_counterexample_in_a_browser() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED: no Chromium (set CHROMIUM or `apt-get install -y chromium`; .ci/run does)"
        );
        return;
    };
    let cwd = cli_support::scratch("harness-report-browser", "pb32");
    let args = [
        "run",
        "--seed",
        "32",
        "--system",
        "primary-backup",
        "--bug",
        "reply-after-first-ack",
    ];
    assert_eq!(harness_in(&cwd, &args).status.code(), Some(1));
    let shrink = harness_in(&cwd, &["shrink", "runs/seed-32", "--time", "60"]);
    assert_eq!(shrink.status.code(), Some(1), "{shrink:?}");
    let page = cwd.join("runs/seed-32-shrunk/report.html");
    assert!(page.exists(), "the shrunk run has a report");

    let dom = headless(&browser, &cwd.join("profile-dom"), &page, &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    for node in ["n1", "n2", "n3"] {
        assert!(
            dom.contains(&format!("data-node=\"{node}\"")),
            "a lane for {node} in the rendered page"
        );
    }
    assert!(dom.contains("lane lane-leader"), "the leader is drawn");
    assert!(
        dom.contains("lane lane-crashed"),
        "the crash is on its node's lane"
    );
    assert!(dom.contains("<rect class=\"fault\""), "faults are shaded");
    let top = dom
        .find("id=\"minimal-counterexample\"")
        .expect("the counterexample section");
    let lanes = dom.find("class=\"lanes\"").expect("the lanes figure");
    assert!(top < lanes, "the counterexample is stated first");
    assert!(dom.contains("cannot come next") && dom.contains("class=\"words\""));

    let shot = cwd.join("report.png");
    let out = headless(
        &browser,
        &cwd.join("profile-shot"),
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1400",
            "--hide-scrollbars",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    // Kept where a person can look at it.
    let keep = std::env::temp_dir().join("harness-shrunk-report.png");
    let _ = std::fs::copy(&shot, &keep);
    eprintln!("screenshot: {}", keep.display());
}
