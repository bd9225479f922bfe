//! The test API: run a range of seeds against a system from `cargo test`,
//! in parallel, with the default swarm faults unless told otherwise; check
//! linearizability and liveness; on a failure, keep that seed's run
//! directory and panic with the counterexample and the lines that replay
//! it.
//!
//! ```no_run
//! # type MySystem = Never;
//! # struct Never;
//! # impl harness::System for Never { type Client = Never;
//! #   fn node(&self, _: harness::NodeCtx) -> impl std::future::Future<Output = turmoil::Result> + use<> + 'static { std::future::pending() }
//! #   fn client(&self, _: harness::ClientCtx) -> Never { Never } }
//! # impl harness::Client for Never {
//! #   async fn call(&mut self, _: &workloads::Op, _: std::time::Duration) -> workloads::Outcome { workloads::Outcome::Fail("".into()) }
//! #   fn reset(&mut self) {} }
//! # impl harness::NamedSystem for Never { const NAME: &'static str = "never"; const ABOUT: &'static str = "";
//! #   type Config = (); fn build(_: &harness::Scenario, _: &()) -> Result<Self, String> { Ok(Never) } }
//! #[test]
//! fn linearizable_under_faults() {
//!     // HARNESS_SEED=17 cargo test runs only seed 17.
//!     harness::testing::Check::<MySystem>::seeds(0..100).run();
//! }
//! ```
//!
//! A seed the checker cannot decide within [`TEST_CHECK_BUDGET`] (verdict
//! `unknown`: a history too wide to search, not a fault of the system) is
//! printed on stderr with its run directory but does not fail the test; a
//! definite failure (not linearizable, liveness, invariant, error, a run
//! that tested nothing) does.
//!
//! Also here: [`scripted`] scenarios (these faults at these times) and
//! [`completed_ops`], for targeted tests of a system's behaviour.

use crate::rundir::write_run_dir;
use crate::runner::RunOutcome;
use crate::scenario::{Scenario, SystemSpec};
use crate::sut::NamedSystem;
use crate::sweep::pool;
use crate::sweep::verdict::{judge_within, SeedVerdict};
use nemeses::{Fault, NemesisConfig, Timed};
use results::{EventType, History, Process};
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// How each seed's scenario is adjusted before it runs.
type Tweak = Arc<dyn Fn(&mut Scenario) + Send + Sync>;

/// The checker's wall-time budget per seed in a test: past it a seed is
/// `unknown`, reported and not counted as a failure.
pub const TEST_CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

/// A range of seeds to run against system `S`; see the module docs.
pub struct Check<S: NamedSystem> {
    seeds: Vec<u64>,
    /// A fixed configuration; `None` draws each seed's, as a sweep does.
    config: Option<S::Config>,
    bugs: Vec<String>,
    faults: Option<NemesisConfig>,
    tweaks: Vec<Tweak>,
    determinism: bool,
    jobs: usize,
    out: PathBuf,
    _system: PhantomData<fn() -> S>,
}

/// A seed that did not pass.
#[derive(Debug)]
pub struct Failure {
    /// The seed.
    pub seed: u64,
    /// What it came to.
    pub verdict: SeedVerdict,
    /// Its run directory (`None` if it could not be written).
    pub dir: Option<PathBuf>,
}

impl<S: NamedSystem> Check<S>
where
    S::Config: Send + Sync,
{
    /// These seeds (`HARNESS_SEED=N` in the environment runs only seed
    /// N), the default scenario with each seed's swarm fault mix and the
    /// system configuration each seed draws (`NamedSystem::swarm_config`),
    /// every core: what `harness sweep` runs.
    pub fn seeds(seeds: impl IntoIterator<Item = u64>) -> Self {
        Check {
            seeds: crate::test_seeds(seeds),
            config: None,
            bugs: Vec::new(),
            faults: None,
            tweaks: Vec::new(),
            determinism: false,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            out: std::env::var_os("HARNESS_OUT")
                .map(PathBuf::from)
                .unwrap_or_else(|| std::env::temp_dir().join("harness-runs")),
            _system: PhantomData,
        }
    }

    /// This configuration of the system for every seed, instead of the
    /// one each seed draws.
    pub fn config(mut self, config: S::Config) -> Self {
        self.config = Some(config);
        self
    }

    /// These planted bugs on, over each seed's configuration (what
    /// `harness sweep --bug NAME` runs). Panics on a name the system does
    /// not have.
    pub fn bugs(mut self, bugs: &[&str]) -> Self {
        self.bugs = bugs.iter().map(|b| b.to_string()).collect();
        if let Err(e) = S::config_with_bugs(S::Config::default(), &self.bugs) {
            panic!("Check::bugs: {e}");
        }
        self
    }

    /// The system configuration seed `seed` runs.
    pub fn config_of(&self, seed: u64) -> S::Config {
        let base = match &self.config {
            Some(config) => config.clone(),
            None => crate::swarm::system_config::<S>(seed),
        };
        S::config_with_bugs(base, &self.bugs).expect("bug names checked by Check::bugs")
    }

    /// These faults for every seed instead of the seed's swarm mix
    /// (`NemesisConfig::none()` for none).
    pub fn faults(mut self, faults: NemesisConfig) -> Self {
        self.faults = Some(faults);
        self
    }

    /// Client operations per seed (default 1,000).
    pub fn ops(self, ops: usize) -> Self {
        self.scenario(move |s| s.ops = ops)
    }

    /// Any other change to each seed's scenario.
    pub fn scenario(mut self, tweak: impl Fn(&mut Scenario) + Send + Sync + 'static) -> Self {
        self.tweaks.push(Arc::new(tweak));
        self
    }

    /// Runs every seed twice and fails on the first seed whose two
    /// histories differ, naming the first differing event (as madsim's
    /// check-determinism mode does).
    pub fn check_determinism(mut self) -> Self {
        self.determinism = true;
        self
    }

    /// Simulations at once (default: the number of cores).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// Where failing seeds' run directories go (default: `$HARNESS_OUT`,
    /// else `harness-runs` in the temporary directory).
    pub fn out(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out = dir.into();
        self
    }

    /// The scenario of `seed`, as this check runs it.
    pub fn scenario_of(&self, seed: u64) -> Scenario {
        self.scenario_with(seed, &self.config_of(seed))
    }

    /// The scenario of `seed` running the system configured by `config`.
    fn scenario_with(&self, seed: u64, config: &S::Config) -> Scenario {
        let mut scenario = Scenario::with_seed(seed);
        if let Some(faults) = &self.faults {
            scenario.nemesis = faults.clone();
        }
        scenario.system = SystemSpec::of::<S>(config).unwrap_or_else(|e| panic!("{e}"));
        for tweak in &self.tweaks {
            tweak(&mut scenario);
        }
        scenario
    }

    fn run_one(&self, seed: u64) -> Option<Failure> {
        let config = self.config_of(seed);
        let scenario = self.scenario_with(seed, &config);
        let outcome = S::run_with_config(&scenario, &config);
        if self.determinism {
            if let Some(failure) = self.compare_rerun(&scenario, &config, &outcome) {
                return Some(failure);
            }
        }
        let (verdict, report) = judge_within(&outcome, 1, TEST_CHECK_BUDGET);
        if verdict.is_pass() {
            return None;
        }
        let dir = write_run_dir(&self.out, &scenario, &outcome, report.as_ref()).ok();
        if matches!(verdict, SeedVerdict::Unknown { .. }) {
            let at = dir
                .as_ref()
                .map_or(String::new(), |d| format!(" ({})", d.display()));
            eprintln!(
                "seed {seed}: unknown, the checker could not decide{at}: not counted as a failure"
            );
            return None;
        }
        Some(Failure { seed, verdict, dir })
    }

    fn compare_rerun(
        &self,
        scenario: &Scenario,
        config: &S::Config,
        first: &RunOutcome,
    ) -> Option<Failure> {
        let again = S::run_with_config(scenario, config);
        let diff = results::history::first_difference(
            &first.history.to_jsonl(),
            &again.history.to_jsonl(),
        )?;
        let detail = format!("not deterministic: two runs of the same seed differ: {diff}");
        Some(Failure {
            seed: scenario.seed,
            verdict: SeedVerdict::Error { detail },
            dir: write_run_dir(&self.out, scenario, first, None).ok(),
        })
    }

    /// Runs every seed and returns the failures, in seed order (no panic).
    pub fn failures(self) -> Vec<Failure> {
        let mut failures = Vec::new();
        let stop = AtomicBool::new(false);
        pool::run(
            &self.seeds,
            self.jobs,
            &stop,
            |seed| self.run_one(seed),
            |_, failure| failures.extend(failure),
        );
        failures.sort_by_key(|f| f.seed);
        failures
    }

    /// Runs every seed; panics on the first failing one (by seed), with
    /// the counterexample, its run directory and the lines that replay it.
    pub fn run(self) {
        let name = S::NAME;
        let test = std::thread::current()
            .name()
            .filter(|n| *n != "main")
            .map(str::to_string);
        let count = self.seeds.len();
        let failures = self.failures();
        let Some(first) = failures.first() else {
            return;
        };
        let mut message = format!(
            "{} of {count} seeds failed against system {name}; the first, seed {}:\n{}\n{}\n",
            failures.len(),
            first.seed,
            first.verdict.label(),
            first.verdict.detail()
        );
        message.push_str(&format!(
            "rerun it alone: HARNESS_SEED={} cargo test {}\n",
            first.seed,
            test.as_deref().unwrap_or("")
        ));
        if let Some(dir) = &first.dir {
            message.push_str(&format!(
                "replay it: harness replay {}   (with a binary that registers system {name:?})\n",
                dir.display()
            ));
        }
        let others: Vec<String> = failures
            .iter()
            .skip(1)
            .map(|f| f.seed.to_string())
            .collect();
        if !others.is_empty() {
            message.push_str(&format!("other failing seeds: {}\n", others.join(", ")));
        }
        panic!("{message}");
    }
}

/// A scenario of `seed` with exactly these faults at these times (ms after
/// the start), `ops` client operations and this client deadline.
pub fn scripted(seed: u64, ops: usize, deadline_ms: u64, script: &[(u64, Fault)]) -> Scenario {
    let script = script
        .iter()
        .map(|(at_ms, fault)| Timed {
            at_ms: *at_ms,
            fault: fault.clone(),
        })
        .collect();
    Scenario {
        ops,
        deadline_ms,
        nemesis: NemesisConfig::scripted(script),
        ..Scenario::without_faults(seed)
    }
}

/// One client op of a history: when it was invoked and completed, and how.
#[derive(Clone, Debug)]
pub struct CompletedOp {
    /// Invoke time, ns.
    pub invoked_ns: u64,
    /// Completion time, ns.
    pub done_ns: u64,
    /// `ok`, `fail` or `info`.
    pub kind: EventType,
    /// The op's name.
    pub f: String,
    /// Its key.
    pub key: String,
    /// The completion's value.
    pub value: serde_json::Value,
    /// The completion's error, if any.
    pub error: Option<String>,
}

/// Every completed client op, in order of completion.
pub fn completed_ops(history: &History) -> Vec<CompletedOp> {
    let mut open: BTreeMap<u64, u64> = BTreeMap::new();
    let mut done = Vec::new();
    for e in history.events() {
        let Process::Client(p) = e.process else {
            continue;
        };
        if e.kind == EventType::Invoke {
            open.insert(p, e.time);
        } else if let Some(invoked_ns) = open.remove(&p) {
            done.push(CompletedOp {
                invoked_ns,
                done_ns: e.time,
                kind: e.kind,
                f: e.f.clone(),
                key: e.key.clone().unwrap_or_default(),
                value: e.value.clone(),
                error: e.error.clone(),
            });
        }
    }
    done
}
