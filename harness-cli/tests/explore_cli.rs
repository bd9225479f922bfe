//! `harness explore`: the same flags explore the same runs on any number
//! of cores, and a failure it finds replays byte for byte.

mod cli_support;

use cli_support::harness_in;

/// The lines of an exploration's output that must not depend on the cores
/// (the first and the wall time aside).
fn outcome_lines(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.starts_with("explore from"))
        .map(|l| match l.find(" in ") {
            Some(at) if l.starts_with("explored") => {
                let tail = l[at..].split_once(':').map_or("", |(_, t)| t);
                format!("{}:{tail}", &l[..at])
            }
            _ => l.to_string(),
        })
        .collect()
}

#[test]
fn an_exploration_is_the_same_on_one_core_and_on_two() {
    let cwd = cli_support::scratch("harness-explore-cli", "cores");
    let run = |jobs: &str, out: &str| {
        harness_in(
            &cwd,
            &[
                "explore", "--runs", "24", "--seed", "5", "-j", jobs, "--out", out,
            ],
        )
    };
    let (one, two) = (run("1", "one"), run("2", "two"));
    assert_eq!(one.status.code(), two.status.code(), "{one:?} {two:?}");
    assert_eq!(outcome_lines(&one.stdout), outcome_lines(&two.stdout));
    let text = String::from_utf8_lossy(&one.stdout);
    assert!(
        text.contains("explored 24 runs") || text.contains("first failure"),
        "{text}"
    );
}

#[test]
fn a_failure_found_by_exploring_replays_identically() {
    let cwd = cli_support::scratch("harness-explore-cli", "found");
    let out = harness_in(
        &cwd,
        &[
            "explore",
            "--runs",
            "40",
            "--bug",
            "ack-before-commit",
            "--out",
            "found",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{text}");
    let dir = text
        .lines()
        .find_map(|l| l.strip_prefix("replay: harness replay "))
        .expect("a replay line");
    let replay = harness_in(&cwd, &["replay", dir]);
    assert!(replay.status.success(), "{replay:?}");
}
