//! Tracing output for replays: every line carries the simulated time and,
//! through turmoil's per-host span, the node.

use std::fmt;
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
