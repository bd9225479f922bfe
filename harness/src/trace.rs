//! Tracing output for replays: every line carries the simulated time and,
//! through turmoil's per-host span, the node.

use std::fmt;
use std::sync::OnceLock;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::EnvFilter;

/// Formats the simulated time of the current host (or `-` outside a host,
/// e.g. in the driver loop) as seconds with microseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimTime;

impl FormatTime for SimTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        match turmoil::sim_elapsed() {
            Some(t) => write!(w, "{:>4}.{:06}s", t.as_secs(), t.subsec_micros()),
            None => write!(w, "{:>12}", "-"),
        }
    }
}

/// Turns on tracing to stderr with `filter` (an `EnvFilter` directive such
/// as `info` or `harness=debug`), or else `RUST_LOG`; does nothing when
/// neither is set. Returns an error for a malformed filter.
pub fn init(filter: Option<&str>) -> Result<(), String> {
    let directive = match filter {
        Some(f) => f.to_string(),
        None => match std::env::var("RUST_LOG") {
            Ok(v) if !v.is_empty() => v,
            _ => return Ok(()),
        },
    };
    let filter =
        EnvFilter::try_new(&directive).map_err(|e| format!("bad log filter {directive:?}: {e}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_timer(SimTime)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init()
        .map_err(|e| format!("tracing already initialised: {e}"))
}

/// The one key whose client ops are traced (`--log-key`); all when unset.
static LOG_KEY: OnceLock<String> = OnceLock::new();

/// Traces only the client ops of `key` from now on (`replay --log-key`).
/// Faults and node events are traced whatever their key.
pub fn only_key(key: &str) {
    let _ = LOG_KEY.set(key.to_string());
}

/// Traces client event `index` of `history` (target `harness::op`): its
/// index, process, op, key, and value, as an `info` line.
pub fn op_event(history: &results::History, index: u64) {
    if !tracing::enabled!(target: "harness::op", tracing::Level::INFO) {
        return;
    }
    let Some(event) = history.events().get(index as usize) else {
        return;
    };
    if LOG_KEY
        .get()
        .is_some_and(|k| event.key.as_deref() != Some(k.as_str()))
    {
        return;
    }
    let key = event.key.as_deref().unwrap_or("-");
    let error = event.error.as_deref().unwrap_or("");
    let process = match event.process {
        results::Process::Client(n) => format!("p{n}"),
        results::Process::Nemesis => "nemesis".into(),
    };
    let kind = format!("{:?}", event.kind).to_lowercase();
    tracing::info!(
        target: "harness::op",
        index,
        key,
        "{process} {kind} {} {} {} {error}",
        event.f,
        key,
        event.value
    );
}

/// Traces one fault start or end (target `harness::nemesis`) at simulated
/// time `at` (the driver runs outside any host, so the line's own time is
/// `-`).
pub fn fault_event(index: u64, at: std::time::Duration, f: &str, value: &serde_json::Value) {
    tracing::info!(
        target: "harness::nemesis",
        index,
        at_ms = at.as_millis() as u64,
        "{f} at {:.3} s: {value}",
        at.as_secs_f64()
    );
}
