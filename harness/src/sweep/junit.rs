//! The JUnit XML report of a sweep, for CI systems: one test case per seed
//! of the shard. A seed that did not pass is a `failure` (not linearizable,
//! liveness, unknown) or an `error` (the run did not finish), whose message is the
//! command that replays it; a seed that never ran is `skipped`.

use super::summary::{Stopped, SweepSummary};
use super::verdict::SeedVerdict;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// The report of `summary`; `rerun` gives the `harness run` line of a seed.
pub fn report(summary: &SweepSummary, rerun: &dyn Fn(u64) -> String) -> Report {
    let name = format!("harness sweep {} shard {}", summary.range, summary.shard);
    let mut suite = TestSuite::new(name.clone());
    suite.set_time(Duration::from_secs_f64(summary.wall_s));
    for r in &summary.results {
        let status = if r.verdict.is_pass() {
            TestCaseStatus::success()
        } else {
            let kind = match r.verdict {
                SeedVerdict::Error { .. } => NonSuccessKind::Error,
                _ => NonSuccessKind::Failure,
            };
            let replay = match &r.dir {
                Some(dir) => format!("harness replay {}", dir.display()),
                None => rerun(r.seed),
            };
            let mut status = TestCaseStatus::non_success(kind);
            status
                .set_type(r.verdict.label())
                .set_message(format!("{}; replay: {replay}", r.verdict))
                .set_description(format!("{}\n{}\n", r.verdict.detail(), rerun(r.seed)));
            status
        };
        let mut case = test_case(r.seed, status);
        case.set_time(Duration::from_secs_f64(r.wall_s));
        suite.add_test_case(case);
    }
    let why = match summary.stopped {
        Some(Stopped::FailFast) => "not run: --fail-fast stopped the sweep",
        _ => "not run: the sweep was interrupted",
    };
    for &seed in &summary.not_run {
        let mut status = TestCaseStatus::skipped();
        status.set_message(why);
        suite.add_test_case(test_case(seed, status));
    }
    let mut report = Report::new(name);
    report.set_time(Duration::from_secs_f64(summary.wall_s));
    report.add_test_suite(suite);
    report
}

fn test_case(seed: u64, status: TestCaseStatus) -> TestCase {
    let mut case = TestCase::new(format!("seed-{seed}"), status);
    case.set_classname("harness.sweep");
    case
}
