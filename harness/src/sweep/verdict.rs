//! The verdict on one seed of a sweep, and the sweep's exit code.
//!
//! A seed whose run did not finish (a panic, a simulation error, the
//! simulated time limit) is an `error`, and one whose healed cluster did
//! not answer every key in time is a `liveness` failure, one that broke
//! the system's own invariants ([`crate::System::invariants`]) an
//! `invariant` failure, and one whose history tested nothing (no operation
//! could have observed anything; see [`CheckReport::tested_nothing`]) is
//! `tested-nothing`: each a failure with its own label, never a pass,
//! whatever the history looks like.

use crate::cli::{EXIT_ERROR, EXIT_INVARIANT, EXIT_LIVENESS, EXIT_TESTED_NOTHING};
use crate::runner::RunOutcome;
use results::check::{CheckOptions, CheckReport};
use results::Verdict;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Wall-clock budget of the linearizability check of one run's history
/// (by `harness run` or `harness sweep`); past it the verdict is unknown.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// What one seed came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum SeedVerdict {
    /// The history is linearizable.
    Linearizable,
    /// The history is not linearizable.
    NotLinearizable {
        /// The checker's one-line summary and its counterexample.
        detail: String,
    },
    /// The checker ran out of budget.
    Unknown {
        /// Why it gave up.
        detail: String,
    },
    /// After the final heal, the system did not answer a read of every key
    /// in time (the history itself was linearizable or unknown).
    Liveness {
        /// Which keys went unanswered, and the checker's summary.
        detail: String,
    },
    /// The system broke one of its own invariants (the history itself was
    /// linearizable or unknown).
    Invariant {
        /// The violations, and the checker's summary.
        detail: String,
    },
    /// The run did not finish, or its history could not be checked or
    /// written.
    Error {
        /// What went wrong.
        detail: String,
    },
    /// The history is linearizable only vacuously: no client operation
    /// completed with a result the model could refuse (all failed or timed
    /// out, or only writes), so nothing was tested.
    TestedNothing {
        /// The checker's summary and the count of operations by outcome.
        detail: String,
    },
}

impl SeedVerdict {
    /// Every label, in the order a summary lists them.
    pub const LABELS: [&'static str; 7] = [
        "linearizable",
        "not-linearizable",
        "unknown",
        "liveness",
        "error",
        "tested-nothing",
        "invariant",
    ];

    /// `linearizable`, `not-linearizable`, `unknown`, `liveness`, `error`,
    /// `tested-nothing` or `invariant`.
    pub fn label(&self) -> &'static str {
        match self {
            SeedVerdict::Linearizable => Self::LABELS[0],
            SeedVerdict::NotLinearizable { .. } => Self::LABELS[1],
            SeedVerdict::Unknown { .. } => Self::LABELS[2],
            SeedVerdict::Liveness { .. } => Self::LABELS[3],
            SeedVerdict::Error { .. } => Self::LABELS[4],
            SeedVerdict::TestedNothing { .. } => Self::LABELS[5],
            SeedVerdict::Invariant { .. } => Self::LABELS[6],
        }
    }

    /// True only for [`SeedVerdict::Linearizable`].
    pub fn is_pass(&self) -> bool {
        matches!(self, SeedVerdict::Linearizable)
    }

    /// What went wrong; empty for a pass.
    pub fn detail(&self) -> &str {
        match self {
            SeedVerdict::Linearizable => "",
            SeedVerdict::NotLinearizable { detail }
            | SeedVerdict::Unknown { detail }
            | SeedVerdict::Liveness { detail }
            | SeedVerdict::Invariant { detail }
            | SeedVerdict::Error { detail }
            | SeedVerdict::TestedNothing { detail } => detail,
        }
    }

    /// The exit code of a sweep that saw only this verdict: 0
    /// linearizable, 1 not linearizable, 2 unknown, 3 error, 4 liveness,
    /// 5 invariant, 6 tested nothing.
    pub fn exit_code(&self) -> u8 {
        match self {
            SeedVerdict::Linearizable => 0,
            SeedVerdict::NotLinearizable { .. } => 1,
            SeedVerdict::Unknown { .. } => 2,
            SeedVerdict::Error { .. } => EXIT_ERROR,
            SeedVerdict::Liveness { .. } => EXIT_LIVENESS,
            SeedVerdict::TestedNothing { .. } => EXIT_TESTED_NOTHING,
            SeedVerdict::Invariant { .. } => EXIT_INVARIANT,
        }
    }

    /// How bad it is, for the sweep's exit code: not linearizable over
    /// error over invariant over liveness over tested nothing over unknown
    /// over linearizable.
    pub fn rank(&self) -> u8 {
        match self {
            SeedVerdict::Linearizable => 0,
            SeedVerdict::Unknown { .. } => 1,
            SeedVerdict::TestedNothing { .. } => 2,
            SeedVerdict::Liveness { .. } => 3,
            SeedVerdict::Invariant { .. } => 4,
            SeedVerdict::Error { .. } => 5,
            SeedVerdict::NotLinearizable { .. } => 6,
        }
    }
}

impl fmt::Display for SeedVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail().lines().next() {
            Some(first) => write!(f, "{}: {first}", self.label()),
            None => f.write_str(self.label()),
        }
    }
}

/// Judges one run: an error if it did not finish, else the checker's
/// verdict on its history, checked on `threads` threads (0: every core;
/// a sweep passes 1, since it already runs one seed per core). The
/// checker's report comes too, for the run directory's `verdict.json`;
/// there is none if the history could not be checked.
pub fn judge(outcome: &RunOutcome, threads: usize) -> (SeedVerdict, Option<CheckReport>) {
    judge_within(outcome, threads, CHECK_TIMEOUT)
}

/// [`judge`] with a checker budget of `budget` (wall time) instead of
/// [`CHECK_TIMEOUT`].
pub fn judge_within(
    outcome: &RunOutcome,
    threads: usize,
    budget: Duration,
) -> (SeedVerdict, Option<CheckReport>) {
    let options = CheckOptions {
        timeout: Some(budget),
        threads,
        ..CheckOptions::default()
    };
    let Some(checker) = &outcome.checker else {
        let detail = format!(
            "the run did not start: {}",
            outcome.error.as_deref().unwrap_or("no workload was built")
        );
        return (SeedVerdict::Error { detail }, None);
    };
    let report = match checker.check(&outcome.history, &options) {
        Ok(report) => report,
        Err(e) => {
            let detail = format!("the history cannot be checked: {e}");
            return (SeedVerdict::Error { detail }, None);
        }
    };
    let detail = format!("{}\n{}", report.summary(), report.details());
    let verdict = match (&outcome.error, &report.verdict, &outcome.liveness) {
        (Some(error), _, _) => SeedVerdict::Error {
            detail: format!("the run did not finish: {error}\n{detail}"),
        },
        (None, Verdict::Invalid(_), _) => SeedVerdict::NotLinearizable { detail },
        (None, _, _) if outcome.invariant.is_some() => SeedVerdict::Invariant {
            detail: format!(
                "invariant violated: {}\n{detail}",
                outcome.invariant.as_deref().unwrap_or_default()
            ),
        },
        (None, _, Some(liveness)) => SeedVerdict::Liveness {
            detail: format!("{liveness}\n{detail}"),
        },
        (None, _, None) if report.tested_nothing() => SeedVerdict::TestedNothing {
            detail: format!("{}\n{detail}", op_counts(&outcome.history)),
        },
        (None, Verdict::Valid, None) => SeedVerdict::Linearizable,
        (None, Verdict::Unknown(_), None) => SeedVerdict::Unknown { detail },
    };
    (verdict, Some(report))
}

/// `N client ops: A ok, B fail, C info, D unanswered`: why a run tested
/// nothing, at a glance.
pub fn op_counts(history: &results::History) -> String {
    use results::{EventType, Process};
    let (mut invoked, mut ok, mut fail, mut info) = (0, 0, 0, 0);
    for e in history.events() {
        if !matches!(e.process, Process::Client(_)) {
            continue;
        }
        match e.kind {
            EventType::Invoke => invoked += 1,
            EventType::Ok => ok += 1,
            EventType::Fail => fail += 1,
            EventType::Info => info += 1,
        }
    }
    let unanswered = invoked - (ok + fail + info).min(invoked);
    format!("{invoked} client ops: {ok} ok, {fail} fail, {info} info, {unanswered} unanswered")
}
