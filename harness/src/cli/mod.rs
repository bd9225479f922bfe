//! The command line: one file per subcommand, for any systems.
//!
//! A user's binary registers their systems and calls one entry point:
//!
//! ```no_run
//! # struct MySystem;
//! # impl harness::System for MySystem {
//! #     type Client = MyClient;
//! #     fn node(&self, _: harness::NodeCtx) -> impl std::future::Future<Output = turmoil::Result> + use<> + 'static { std::future::pending() }
//! #     fn client(&self, _: harness::ClientCtx) -> MyClient { MyClient }
//! # }
//! # struct MyClient;
//! # impl harness::Client for MyClient {
//! #     async fn call(&mut self, _: &workloads::Op, _: std::time::Duration) -> workloads::Outcome { workloads::Outcome::Fail("".into()) }
//! #     fn reset(&mut self) {}
//! # }
//! # impl harness::NamedSystem for MySystem {
//! #     const NAME: &'static str = "mine";
//! #     const ABOUT: &'static str = "";
//! #     type Config = ();
//! #     fn build(_: &harness::Scenario, _: &()) -> Result<Self, String> { Ok(MySystem) }
//! # }
//! fn main() -> std::process::ExitCode {
//!     harness::cli::App::new().system::<MySystem>().main()
//! }
//! ```
//!
//! The project's own `harness` binary is exactly that, with the built-in
//! systems registered.

mod check;
mod compare;
mod explore;
mod merge;
pub mod registry;
mod report;
mod run;
pub mod scenario_args;
mod schedule;
pub mod shrink;
pub mod sweep;

pub use registry::{SystemEntry, Systems};
pub use report::write_report;

use crate::sut::NamedSystem;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

/// Exit code for unusable input or an internal error (0, 1 and 2 are
/// verdicts: linearizable, not linearizable, unknown).
pub const EXIT_ERROR: u8 = 3;

/// Exit code of a run whose healed cluster did not answer every key in
/// time (a liveness failure), when its history is not also invalid.
pub const EXIT_LIVENESS: u8 = 4;

/// Exit code of a run that broke one of the system's own invariants
/// ([`crate::System::invariants`]), when its history is not also invalid.
pub const EXIT_INVARIANT: u8 = 5;

/// Exit code of a run or check that tested nothing: no client operation
/// completed with a result the model could refuse (see
/// [`results::CheckReport::tested_nothing`]).
pub const EXIT_TESTED_NOTHING: u8 = results::check::EXIT_TESTED_NOTHING;

/// Deterministic fault-injection testing of distributed systems.
///
/// Every run is reproducible from its seed: `harness replay DIR` re-runs a
/// saved run and checks the history is byte-identical.
#[derive(Debug, Parser)]
#[command(name = "harness", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one seeded simulation and write a run directory.
    Run(run::RunArgs),
    /// Run many seeds in parallel (a range, or one shard of it for a CI
    /// matrix); exit 0 only if every seed is linearizable.
    Sweep(sweep::SweepArgs),
    /// Re-run a saved run from its config.json and compare the histories.
    Replay(run::ReplayArgs),
    /// Guided exploration: blind seeds, then mutants of the fault
    /// schedules of runs that reached something new, until a failure.
    Explore(explore::ExploreArgs),
    /// Write a run's faults out as an explicit schedule: a scenario that
    /// `run --scenario` runs to the same history, to edit or shrink.
    Schedule(schedule::ScheduleArgs),
    /// Shrink a failing run: delta debugging with deterministic re-runs
    /// for the smallest scenario that fails the same way (fewer and shorter
    /// faults, fewer ops, clients, keys and nodes); writes DIR-shrunk.
    Shrink(shrink::ShrinkArgs),
    /// Combine the sweep directories of N shards into one, as if one
    /// machine had run the whole range.
    Merge(merge::MergeArgs),
    /// Check history files for linearizability.
    Check(check::CheckArgs),
    /// Compare the latency percentiles of two runs or sweeps (B against A).
    Compare(compare::CompareArgs),
    /// Write DIR/report.html: op timeline, fault windows, latency over time.
    Report(report::ReportArgs),
}

/// A command line for a set of systems: every verb, for each of them.
#[derive(Clone, Default)]
pub struct App {
    systems: Systems,
}

impl App {
    /// An app with no system yet.
    pub fn new() -> Self {
        App::default()
    }

    /// Registers `S` under its name; the first registered is the default
    /// of `--system`.
    pub fn system<S: NamedSystem>(mut self) -> Self {
        self.systems.add::<S>();
        self
    }

    /// The registered systems.
    pub fn systems(&self) -> &Systems {
        &self.systems
    }

    /// Parses the process's command line, runs the subcommand, and
    /// returns its exit code; see [`App::main_from`].
    pub fn main(self) -> ExitCode {
        self.main_from(std::env::args_os())
    }

    /// Parses `args` (the program name first), runs the subcommand, and
    /// maps errors to exit code 3 with a message on stderr. A malformed
    /// command line is an error too (3, not clap's usual 2, which here
    /// means "unknown" verdict); `--help` and `--version` exit 0.
    pub fn main_from<I, T>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let help = self.systems.help();
        let command = Cli::command()
            .mut_subcommand("run", |c| c.after_help(help.clone()))
            .mut_subcommand("sweep", |c| c.after_help(help.clone()))
            .mut_subcommand("explore", |c| c.after_help(help.clone()));
        let parsed = command
            .try_get_matches_from(args)
            .and_then(|matches| Cli::from_arg_matches(&matches));
        let cli = match parsed {
            Ok(cli) => cli,
            Err(err) => {
                let _ = err.print(); // best effort: stdout/stderr may be closed
                return match err.kind() {
                    clap::error::ErrorKind::DisplayHelp
                    | clap::error::ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                    _ => ExitCode::from(EXIT_ERROR),
                };
            }
        };
        if let Some(problem) = crate::runner::build_problem() {
            eprintln!("error: {problem}");
            return ExitCode::from(EXIT_ERROR);
        }
        let systems = &self.systems;
        let result = match cli.command {
            Command::Run(args) => run::run(args, systems),
            Command::Sweep(args) => sweep::sweep(args, systems),
            Command::Replay(args) => run::replay(args, systems),
            Command::Merge(args) => merge::merge(args),
            Command::Schedule(args) => schedule::schedule(args),
            Command::Shrink(args) => shrink::shrink(args, systems),
            Command::Explore(args) => explore::explore_cmd(args, systems),
            Command::Check(args) => check::check(args),
            Command::Compare(args) => compare::compare(args),
            Command::Report(args) => report::report(args),
        };
        match result {
            Ok(code) => code,
            Err(err) => {
                eprintln!("error: {err:#}");
                ExitCode::from(EXIT_ERROR)
            }
        }
    }
}
