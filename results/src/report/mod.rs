//! Reports: a self-contained HTML page for one run (`report.html`, with the
//! op timeline and the latency-over-time plot inline as SVG, fault windows
//! shaded, chosen ops highlighted; no scripts, no fonts, no network), and the
//! percentile plot that `compare` draws for two runs.
//!
//! ```
//! use results::report::{Report, ReportInput};
//! use results::{Event, History, Process};
//! use serde_json::json;
//!
//! let mut h = History::new();
//! h.push(0, Event::invoke(Process::Client(0), "write", "x", json!(1)));
//! h.push(1_000_000, Event::nemesis("pause-start", json!({"node": "n1"})));
//! h.push(2_000_000, Event::ok(Process::Client(0), "write", "x", json!(1)));
//! h.push(3_000_000, Event::nemesis("pause-end", json!({"node": "n1"})));
//! let input = ReportInput { title: "run 7", history: &h, highlight: &[0], verdict: None, minimal: None };
//! let report = Report::render(&input).unwrap();
//! assert!(report.html.contains(r#"class="fault""#));
//! assert!(report.html.contains("op ok highlight"));
//! // The write overlapped the pause: it is in the pause row, none in `none`.
//! assert!(report.html.contains("<tr><td>write</td><td>pause</td><td class=\"num\">1</td>"));
//! ```

mod by_fault;
mod faults;
mod html;
pub mod lanes;
mod plot;
mod timeline;

pub use faults::{fault_windows, FaultWindow, LEADER_EVENT};
pub use html::{Report, ReportInput, HTML_FILE, LATENCY_SVG_FILE, TIMELINE_SVG_FILE};
pub use plot::{
    comparison_plot_svg, latency_scatter_svg, nines, nines_label, percentile_plot_svg, PlotSide,
};
pub use timeline::timeline_svg;

use crate::latency::Outcome;

/// Fill of an op that never completed.
const PENDING_COLOUR: &str = "#9e9e9e";

/// Fill of an op with this outcome.
fn outcome_colour(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "#43a047",
        Outcome::Fail => "#e53935",
        Outcome::Info => "#fb8c00",
    }
}

/// Shade of a fault kind: fixed for the known ones, else picked from the
/// name so that it is stable across reports.
fn fault_colour(kind: &str) -> &'static str {
    const OTHERS: [&str; 4] = ["#3949ab", "#c0ca33", "#d81b60", "#5d4037"];
    match kind {
        "pause" => "#1e88e5",
        "partition" => "#8e24aa",
        "crash" => "#6d4c41",
        "clock" => "#00897b",
        "delay" => "#f9a825",
        "timeout" => "#546e7a",
        other => OTHERS[other.bytes().map(usize::from).sum::<usize>() % OTHERS.len()],
    }
}

/// `pause n2: 100.000–900.000 ms (#3–#9)`.
fn fault_title(w: &FaultWindow) -> String {
    let ms = |ns: u64| ns as f64 / 1e6;
    match w.end_index {
        Some(end) if w.is_instant() => {
            format!("{}: at {:.3} ms (#{end})", w.label(), ms(w.start_ns))
        }
        Some(end) => format!(
            "{}: {:.3}–{:.3} ms (#{}–#{end})",
            w.label(),
            ms(w.start_ns),
            ms(w.end_ns),
            w.start_index
        ),
        None => format!(
            "{}: {:.3} ms to the end, never ended (#{})",
            w.label(),
            ms(w.start_ns),
            w.start_index
        ),
    }
}

/// About ten evenly spaced ticks over `0..=end_ns`, at 1, 2 or 5 times a
/// power of ten, labelled in s, ms or fractions of a ms.
fn time_ticks(end_ns: u64) -> Vec<(u64, String)> {
    let raw = (end_ns / 10).max(1);
    let magnitude = 10u64.pow(raw.ilog10());
    let step = [1, 2, 5, 10]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10 * magnitude);
    let label = |t: u64| {
        if step >= 1_000_000_000 {
            format!("{} s", t / 1_000_000_000)
        } else if step >= 1_000_000 {
            format!("{} ms", t / 1_000_000)
        } else {
            let decimals = 6 - step.ilog10() as usize; // step < 1 ms here
            format!("{:.decimals$} ms", t as f64 / 1e6)
        }
    };
    (0..=end_ns / step)
        .map(|i| (i * step, label(i * step)))
        .collect()
}

/// Escapes text for HTML and SVG content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_labelled_in_a_fitting_unit() {
        let labels = |end| -> Vec<String> { time_ticks(end).into_iter().map(|t| t.1).collect() };
        assert_eq!(labels(10_000_000_000)[..3], ["0 s", "1 s", "2 s"]);
        assert_eq!(labels(3_000_000_000)[..3], ["0 ms", "500 ms", "1000 ms"]);
        assert_eq!(labels(1_000_000)[..3], ["0.0 ms", "0.1 ms", "0.2 ms"]);
        assert_eq!(time_ticks(0), vec![(0, "0.000000 ms".to_string())]);
    }

    #[test]
    fn escape_covers_markup_characters() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
