//! The linearizability checker.
//!
//! 1. Pair each client invoke with its completion and group operations by
//!    key (module `ops`); nemesis events are ignored.
//! 2. Turn each operation into a model operation (a `fail` is dropped, a
//!    failed cas with error `cas-mismatch` is an observation, an `info` or
//!    unanswered operation returns "at the end of time").
//! 3. Search each key for a linearization (module `search`), keys in parallel,
//!    each under the time and memory budget.
//! 4. Merge the per-key verdicts; explain the first violation.
//!
//! ```
//! use results::check::{check_history, CheckOptions};
//! use results::{Event, History, Process};
//! use serde_json::json;
//!
//! let (a, b) = (Process::Client(0), Process::Client(1));
//! let mut h = History::new();
//! h.push(1, Event::invoke(a, "write", "x", json!(1)));
//! h.push(2, Event::ok(a, "write", "x", json!(1)));
//! h.push(3, Event::invoke(b, "read", "x", json!(null)));
//! h.push(4, Event::ok(b, "read", "x", json!(null))); // stale
//! let report = check_history(&h, &CheckOptions::default()).unwrap();
//! assert_eq!(report.verdict.exit_code(), 1);
//! ```

mod explain;
mod memo;
mod ops;
mod parallel;
mod prune;
mod search;
mod verify;

pub use ops::Source;
pub use verify::{verify_events, verify_events_with, verify_history};

use crate::history::{Event, FormatError, History};
use crate::model::{AppendKv, Model, ModelKind, Mutex, Register};
use crate::verdict::{Reason, Verdict};
use memo::Pool;
use ops::HistOp;
use search::{Budget, Found, Search, Span};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to check.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckOptions {
    /// The built-in model; `None` picks one from the operation names
    /// ([`ModelKind::detect`]). Ignored by [`check_events_with`], which is
    /// given its model.
    pub model: Option<ModelKind>,
    /// Wall-clock budget for the whole check; `None` for no limit.
    pub timeout: Option<Duration>,
    /// Memory budget for the memo tables of the keys checked at once.
    pub memory_bytes_max: usize,
    /// Threads to check keys on; 0 means one per core.
    pub threads: usize,
    /// Stop checking the other keys once one is not linearizable (as
    /// Porcupine does): the verdict is settled, and a hard valid key can
    /// take far longer than an easy violation. Keys stopped this way are
    /// reported as unknown with [`Reason::Cancelled`].
    pub stop_at_violation: bool,
    /// The register models' value before any write (`--initial`; `None`:
    /// null, never written). Only for register, cas-register and kv.
    pub initial: Option<i64>,
}

impl Default for CheckOptions {
    /// Detected model, no time limit, 1 GiB, all cores, stop at the first
    /// violation.
    fn default() -> Self {
        CheckOptions {
            model: None,
            timeout: None,
            memory_bytes_max: 1 << 30,
            threads: 0,
            stop_at_violation: true,
            initial: None,
        }
    }
}

/// The verdict on one key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyReport {
    /// The key.
    pub key: String,
    /// Client operations on it (including dropped `fail`s).
    pub ops: usize,
    /// Its verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Search time, in milliseconds.
    pub elapsed_ms: f64,
    /// Configurations the search memoised (a measure of its effort).
    pub memo_entries: usize,
    /// Search steps taken (another measure of effort).
    pub steps: u64,
    /// Operations on it that could have observed something: completed with
    /// a definite result some model state refuses ([`Model::observes`]).
    #[serde(default)]
    pub observations: usize,
    /// For a valid key, the linearization found, which
    /// [`verify_events_with`] can check apart from the search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<Witness>,
}

/// A linearization of one key, by the history indices of the operations'
/// invoke events. O(operations) in size.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness {
    /// Every operation that took effect, in the order it took effect:
    /// every completed one the model constrains, and the operations of
    /// unknown outcome (`info`, unanswered) taken to have happened.
    pub order: Vec<u64>,
    /// The operations of unknown outcome taken never to have happened.
    pub not_taken: Vec<u64>,
}

/// The witness of a key whose search placed `order` (operation numbers).
fn witness<M: Model>(p: &Prepared<'_, M>, order: &[u32]) -> Witness {
    let mut placed = vec![false; p.hist.len()];
    for &i in order {
        placed[i as usize] = true;
    }
    Witness {
        order: order
            .iter()
            .map(|&i| p.hist[i as usize].invoke.index)
            .collect(),
        not_taken: (0..p.hist.len())
            .filter(|&i| !placed[i] && p.spans[i].ret.is_none())
            .map(|i| p.hist[i].invoke.index)
            .collect(),
    }
}

/// What a check found: the merged verdict and one entry per key. This is
/// what `verdict.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    /// The merged verdict: Invalid if any key is, else Unknown if any key
    /// is, else Valid. An Invalid verdict carries the first (by key order)
    /// counterexample.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The name of the model checked against: a [`ModelKind`]'s name for
    /// the built-in models, the caller's for [`check_events_with`].
    pub model: String,
    /// Client operations in the history.
    pub ops: usize,
    /// Distinct keys.
    pub keys: usize,
    /// Wall-clock time of the whole check, in milliseconds.
    pub elapsed_ms: f64,
    /// Per-key verdicts, in key order.
    pub per_key: Vec<KeyReport>,
    /// True when the history tested nothing (see
    /// [`CheckReport::tested_nothing`]); written only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tested_nothing: bool,
    /// The register's initial value the check assumed (`--initial`), which
    /// [`verify_events`] uses too; absent for null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<i64>,
}

/// Exit code of a check (or run) that tested nothing: no operation could
/// have observed anything, so "linearizable" would say nothing.
pub const EXIT_TESTED_NOTHING: u8 = 6;

impl CheckReport {
    /// True when the history tested nothing: no client operation completed
    /// with a definite result that some state of the model refuses (a
    /// read's value, a cas's expected value; [`Model::observes`]), and no
    /// key is invalid. That covers an empty history, one where every
    /// operation failed or timed out, and one of only writes: any such
    /// history is linearizable whatever the system did, so a "valid" would
    /// be vacuous. It gets a verdict of its own, exit code
    /// [`EXIT_TESTED_NOTHING`].
    pub fn tested_nothing(&self) -> bool {
        self.tested_nothing
    }

    /// The process exit code: the verdict's (0 valid, 1 invalid, 2
    /// unknown), or [`EXIT_TESTED_NOTHING`] for a history that tested
    /// nothing.
    pub fn exit_code(&self) -> u8 {
        if self.tested_nothing {
            EXIT_TESTED_NOTHING
        } else {
            self.verdict.exit_code()
        }
    }

    /// The word a summary line starts with: the verdict's, or `VACUOUS`
    /// for a history that tested nothing.
    pub fn word(&self) -> &'static str {
        if self.tested_nothing {
            "VACUOUS"
        } else {
            self.verdict.word()
        }
    }

    /// One line: verdict, operations, keys, time.
    pub fn summary(&self) -> String {
        format!(
            "{:<7} {} ops, {} keys, model {}, {:.1} ms",
            self.word(),
            self.ops,
            self.keys,
            self.model,
            self.elapsed_ms
        )
    }

    /// What a person needs beyond the summary: the counterexample of a
    /// violation, the reason for an unknown, and which other keys failed.
    pub fn details(&self) -> String {
        let mut out = String::new();
        if self.tested_nothing {
            out.push_str(&format!(
                "tested nothing: of {} client operations none completed with a result the model could refuse (a read's value, a cas); every one failed, timed out, or could not fail (a write)\n",
                self.ops
            ));
        }
        match &self.verdict {
            Verdict::Valid => {}
            Verdict::Invalid(c) => out.push_str(&format!("{c}\n")),
            Verdict::Unknown(r) => out.push_str(&format!("{r}\n")),
        }
        let names = |pick: &dyn Fn(&Verdict) -> bool| -> Vec<String> {
            self.per_key
                .iter()
                .filter(|k| pick(&k.verdict))
                .map(|k| format!("{:?}", k.key))
                .collect()
        };
        let bad = names(&|v| matches!(v, Verdict::Invalid(_)));
        let unknown = names(&|v| matches!(v, Verdict::Unknown(r) if *r != Reason::Cancelled));
        let cancelled = names(&|v| matches!(v, Verdict::Unknown(Reason::Cancelled)));
        let list = |keys: &[String]| {
            let shown = keys.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
            match keys.len() {
                n if n > 8 => format!("{shown} and {} more", n - 8),
                _ => shown,
            }
        };
        if bad.len() > 1 {
            out.push_str(&format!("keys not linearizable: {}\n", list(&bad)));
        }
        if unknown.len() > 1
            || (!unknown.is_empty() && !matches!(self.verdict, Verdict::Unknown(_)))
        {
            out.push_str(&format!("keys unknown: {}\n", list(&unknown)));
        }
        if !cancelled.is_empty() {
            out.push_str(&format!(
                "keys not checked to the end after the violation: {}\n",
                list(&cancelled)
            ));
        }
        out
    }
}

/// Checks a history built in memory (error lines are event positions + 1)
/// against the built-in model `opts.model` (or the detected one).
pub fn check_history(history: &History, opts: &CheckOptions) -> Result<CheckReport, FormatError> {
    check_events(history.events(), &IN_MEMORY, opts)
}

/// Checks a history built in memory against a model of the caller's own
/// (`opts.model` is ignored); `model_name` goes into the report.
pub fn check_history_with<M: Model>(
    history: &History,
    model: &M,
    model_name: &str,
    opts: &CheckOptions,
) -> Result<CheckReport, FormatError> {
    check_events_with(history.events(), &IN_MEMORY, model, model_name, opts)
}

const IN_MEMORY: Source<'static> = Source {
    file: "<history>",
    lines: None,
};

/// Checks events read from `src` (which names file and lines in errors)
/// against the built-in model `opts.model` (or the detected one).
pub fn check_events(
    events: &[Event],
    src: &Source<'_>,
    opts: &CheckOptions,
) -> Result<CheckReport, FormatError> {
    let kind = opts.model.unwrap_or_else(|| {
        let fs = events
            .iter()
            .filter(|e| matches!(e.process, crate::history::Process::Client(_)))
            .map(|e| e.f.as_str());
        ModelKind::detect(fs)
    });
    let name = kind.name();
    if opts.initial.is_some() && !kind.has_initial_value() {
        return Err(FormatError {
            file: src.file.to_string(),
            line: 0,
            message: format!(
                "an initial value applies to the register, cas-register and kv models only, not {name}"
            ),
        });
    }
    let report = match kind {
        ModelKind::Register => {
            let model = Register::PLAIN.starting_at(opts.initial);
            check_events_with(events, src, &model, name, opts)
        }
        ModelKind::CasRegister | ModelKind::Kv => {
            let model = Register::CAS.starting_at(opts.initial);
            check_events_with(events, src, &model, name, opts)
        }
        ModelKind::AppendKv => check_events_with(events, src, &AppendKv, name, opts),
        ModelKind::Mutex => check_events_with(events, src, &Mutex, name, opts),
    };
    report.map(|r| CheckReport {
        initial: opts.initial,
        ..r
    })
}

/// Checks events read from `src` against any [`Model`], one key at a time:
/// the entry point for a model from outside this crate. `model_name` names
/// it in the report (and in `verdict.json`); `opts.model` is ignored.
///
/// A grow-only counter, checked per key:
///
/// ```
/// use results::check::{check_history_with, CheckOptions};
/// use results::model::{Call, Model, Outcome};
/// use results::{Event, History, Process};
/// use serde_json::json;
///
/// /// `add N` and `read -> total`.
/// struct Counter;
///
/// #[derive(Debug, PartialEq, Eq, Hash)]
/// enum CounterOp {
///     Add(i64),
///     Read(i64),
/// }
///
/// impl Model for Counter {
///     type State = i64;
///     type Op = CounterOp;
///
///     fn init(&self) -> i64 {
///         0
///     }
///     fn step(&self, total: &i64, op: &CounterOp) -> Option<i64> {
///         match *op {
///             CounterOp::Add(n) => Some(total + n),
///             CounterOp::Read(seen) => (seen == *total).then_some(*total),
///         }
///     }
///     fn is_read_only(&self, op: &CounterOp) -> bool {
///         matches!(op, CounterOp::Read(_))
///     }
///     fn op(&self, call: &Call<'_>) -> Result<Option<CounterOp>, String> {
///         let int = |v: &serde_json::Value| v.as_i64().ok_or("expected an integer");
///         match (call.f, call.outcome) {
///             (_, Outcome::Fail(_)) => Ok(None), // it did not happen
///             ("add", _) => Ok(Some(CounterOp::Add(int(call.arg)?))),
///             ("read", Outcome::Ok(v)) => Ok(Some(CounterOp::Read(int(v)?))),
///             ("read", _) => Ok(None), // a read with no answer constrains nothing
///             (f, _) => Err(format!("expected add or read, got {f}")),
///         }
///     }
///     fn describe_op(&self, op: &CounterOp) -> String {
///         format!("{op:?}")
///     }
///     fn describe_state(&self, total: &i64) -> String {
///         total.to_string()
///     }
///     fn refusal(&self, total: &i64, op: &CounterOp) -> String {
///         format!("the total is {total}, not what {op:?} saw")
///     }
/// }
///
/// let (a, b) = (Process::Client(0), Process::Client(1));
/// let mut h = History::new();
/// h.push(1, Event::invoke(a, "add", "c", json!(2)));
/// h.push(2, Event::ok(a, "add", "c", json!(2)));
/// h.push(3, Event::invoke(b, "read", "c", json!(null)));
/// h.push(4, Event::ok(b, "read", "c", json!(2)));
/// let report = check_history_with(&h, &Counter, "counter", &CheckOptions::default()).unwrap();
/// assert!(report.verdict.is_valid());
/// assert_eq!(report.model, "counter");
///
/// h.push(5, Event::invoke(b, "read", "c", json!(null)));
/// h.push(6, Event::ok(b, "read", "c", json!(5)));
/// let report = check_history_with(&h, &Counter, "counter", &CheckOptions::default()).unwrap();
/// assert_eq!(report.verdict.exit_code(), 1);
/// ```
pub fn check_events_with<M: Model>(
    events: &[Event],
    src: &Source<'_>,
    model: &M,
    model_name: &str,
    opts: &CheckOptions,
) -> Result<CheckReport, FormatError> {
    let start = Instant::now();
    let by_key = ops::operations_by_key(events, src)?;
    let per_key = run(model, &by_key, src, opts, start)?;
    let verdict = per_key
        .iter()
        .fold(Verdict::Valid, |v, k| v.merge(k.verdict.clone()));
    let observed = per_key.iter().any(|k| k.observations > 0);
    let tested_nothing = !observed && !matches!(verdict, Verdict::Invalid(_));
    Ok(CheckReport {
        initial: None,
        tested_nothing,
        verdict,
        model: model_name.to_string(),
        ops: by_key.values().map(Vec::len).sum(),
        keys: by_key.len(),
        elapsed_ms: start.elapsed().as_secs_f64() * 1e3,
        per_key,
    })
}

/// One key, ready to search: the operations kept (dropped `fail`s gone),
/// their model form and their spans.
struct Prepared<'a, M: Model> {
    key: &'a str,
    total: usize,
    /// Operations with a definite result that [`Model::observes`].
    observations: usize,
    hist: Vec<HistOp<'a>>,
    ops: Vec<M::Op>,
    spans: Vec<Span>,
}

fn prepare<'a, M: Model>(
    model: &M,
    key: &'a str,
    all: &[HistOp<'a>],
    src: &Source<'_>,
) -> Result<Prepared<'a, M>, FormatError> {
    let mut p = Prepared {
        key,
        total: all.len(),
        observations: 0,
        hist: Vec::new(),
        ops: Vec::new(),
        spans: Vec::new(),
    };
    for h in all {
        let op = model.op(&h.call()).map_err(|message| {
            let pos = h.completion.map_or(h.invoke_pos, |(_, pos)| pos);
            src.error(pos, message)
        })?;
        if let Some(op) = op {
            if h.return_pos().is_some() && model.observes(&op) {
                p.observations += 1;
            }
            p.hist.push(*h);
            p.ops.push(op);
            p.spans.push(Span {
                call: h.invoke_pos,
                ret: h.return_pos(),
            });
        }
    }
    let unknown: Vec<bool> = p.spans.iter().map(|s| s.ret.is_none()).collect();
    let drop = model.unobservable(&p.ops, &unknown);
    if drop.contains(&true) {
        drop_marked(&mut p.hist, &drop);
        drop_marked(&mut p.ops, &drop);
        drop_marked(&mut p.spans, &drop);
    }
    Ok(p)
}

/// Removes the items whose `drop` flag is set.
fn drop_marked<T>(items: &mut Vec<T>, drop: &[bool]) {
    let mut i = 0;
    items.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
}

fn run<M: Model>(
    model: &M,
    by_key: &BTreeMap<&str, Vec<HistOp<'_>>>,
    src: &Source<'_>,
    opts: &CheckOptions,
    start: Instant,
) -> Result<Vec<KeyReport>, FormatError> {
    let prepared: Vec<Prepared<M>> = by_key
        .iter()
        .map(|(key, ops)| prepare(model, key, ops, src))
        .collect::<Result<_, _>>()?;
    // Spawning threads costs more than checking a small history.
    let ops: usize = prepared.iter().map(|p| p.ops.len()).sum();
    let requested = if opts.threads == 0 && ops < 1_000 {
        1
    } else {
        opts.threads
    };
    let threads = parallel::threads(requested, prepared.len());
    let cancel = AtomicBool::new(false);
    // Keys are searched side by side, so their memos share one budget.
    let pool: Pool = Arc::new(AtomicUsize::new(opts.memory_bytes_max));
    let budget = Budget {
        deadline: opts.timeout.map(|t| start + t),
        timeout: opts.timeout.unwrap_or(Duration::MAX),
        memory_bytes: opts.memory_bytes_max,
        cancel: opts.stop_at_violation.then_some(&cancel),
        pool: Some(&pool),
    };
    let tasks: Vec<KeyTask<M>> = prepared
        .iter()
        .map(|p| KeyTask {
            p,
            search: None,
            elapsed: Duration::ZERO,
        })
        .collect();
    Ok(parallel::run_fair(tasks, threads, |task, steps| {
        if budget.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Some(task.cancelled());
        }
        let report = task.turn(model, &budget, steps)?;
        if matches!(report.verdict, Verdict::Invalid(_)) {
            cancel.store(true, Ordering::Relaxed);
        }
        Some(report)
    }))
}

/// One key's search between its turns.
struct KeyTask<'p, 'a, M: Model> {
    p: &'p Prepared<'a, M>,
    /// Started at the key's first turn, dropped (and its memory given back)
    /// once decided.
    search: Option<Search<'p, M>>,
    elapsed: Duration,
}

impl<'p, M: Model> KeyTask<'p, '_, M> {
    /// The report of a key stopped by another key's violation, with the
    /// effort it had spent (a key cancelled before its first turn spent
    /// none).
    fn cancelled(&self) -> KeyReport {
        let stats = self.search.as_ref().map(Search::stats).unwrap_or_default();
        KeyReport {
            key: self.p.key.to_string(),
            ops: self.p.total,
            verdict: Verdict::Unknown(Reason::Cancelled),
            elapsed_ms: self.elapsed.as_secs_f64() * 1e3,
            memo_entries: stats.memo_entries,
            steps: stats.steps,
            observations: self.p.observations,
            witness: None,
        }
    }

    /// Runs the search `steps` further: the key's report once decided.
    fn turn(&mut self, model: &'p M, budget: &Budget<'p>, steps: u64) -> Option<KeyReport> {
        let start = Instant::now();
        let p = self.p;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let search = self
                .search
                .get_or_insert_with(|| Search::new(model, &p.ops, &p.spans, *budget));
            let found = search.run(steps)?;
            let witness = (found == Found::Linearizable).then(|| witness(p, &search.order()));
            Some((found, search.stats(), witness))
        }));
        self.elapsed += start.elapsed();
        let (verdict, stats, witness) = match outcome {
            Ok(None) => return None,
            Ok(Some((found, stats, witness))) => {
                (self.verdict(model, found, budget), stats, witness)
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".into());
                (
                    Verdict::Unknown(Reason::CheckerPanic { message }),
                    search::Stats::default(),
                    None,
                )
            }
        };
        self.search = None;
        Some(KeyReport {
            key: p.key.to_string(),
            ops: p.total,
            verdict,
            elapsed_ms: self.elapsed.as_secs_f64() * 1e3,
            memo_entries: stats.memo_entries,
            steps: stats.steps,
            observations: p.observations,
            witness,
        })
    }

    fn verdict(&self, model: &M, found: Found<M::State>, budget: &Budget) -> Verdict {
        let p = self.p;
        match found {
            Found::Linearizable => Verdict::Valid,
            Found::NotLinearizable(stuck) => Verdict::Invalid(Box::new(explain::counterexample(
                model, p.key, &p.hist, &p.ops, &stuck,
            ))),
            Found::OutOfTime => Verdict::Unknown(Reason::Timeout {
                budget_ms: budget.timeout.as_millis().min(u128::from(u64::MAX)) as u64,
            }),
            Found::OutOfMemory => Verdict::Unknown(Reason::Memory {
                budget_bytes: budget.memory_bytes as u64,
            }),
            Found::Cancelled => Verdict::Unknown(Reason::Cancelled),
        }
    }
}
