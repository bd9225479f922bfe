//! The report's "latency by fault state" table: for each op kind's `ok`
//! ops, the percentiles of those that overlapped each fault kind (on any
//! node) against those that overlapped none.

use super::escape;
use crate::latency::by_fault::{FaultLatencies, ALL, NO_FAULT};
use crate::latency::{Outcome, Summary};
use std::fmt::Write;

/// Appends the table (nothing when no op completed).
pub(super) fn by_fault_table(html: &mut String, lat: &FaultLatencies) {
    if lat.all.is_empty() {
        return;
    }
    html.push_str("<h2>Latency by fault state (ok ops, ms of simulated time)</h2>\n");
    html.push_str("<p><code>none</code>: ops that overlapped no fault; a fault kind: ops that overlapped at least one fault of that kind, on any node (the history does not say which node served an op); an op counts under every kind it overlapped. ×none: p99 over the p99 of <code>none</code>.</p>\n");
    html.push_str("<table class=\"latency by-fault\">\n<tr><th>f</th><th>state</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>max</th><th>×none p99</th></tr>\n");
    for f in lat.all.kinds() {
        let summary = |group: &str| -> Option<Summary> {
            lat.group(group)?.get(f, Outcome::Ok).map(Summary::of)
        };
        let none = summary(NO_FAULT);
        for (group, _) in lat.iter().filter(|(g, _)| *g != ALL) {
            let Some(s) = summary(group) else { continue };
            let over = none
                .as_ref()
                .filter(|n| n.p99_ms > 0.0)
                .map_or("-".to_string(), |n| format!("{:.2}", s.p99_ms / n.p99_ms));
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{over}</td></tr>",
                escape(f),
                escape(group),
                s.count,
                s.p50_ms,
                s.p90_ms,
                s.p99_ms,
                s.max_ms
            );
        }
    }
    html.push_str("</table>\n");
}
