//! The one-run HTML report: a summary, the op timeline, latency over time,
//! and tables of the fault windows, the highlighted events and the latency
//! percentiles. Everything is inline; the page loads nothing.

use super::faults::{fault_windows, FaultWindow};
use super::plot::latency_scatter_svg;
use super::timeline::timeline_svg;
use super::{escape, fault_colour, fault_title, outcome_colour, PENDING_COLOUR};
use crate::history::{Event, History};
use crate::latency::by_fault::FaultLatencies;
use crate::latency::{completed_ops, Latencies, Outcome};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;
use std::io;
use std::path::Path;

/// File name of the HTML report in a run directory.
pub const HTML_FILE: &str = "report.html";
/// File name of the timeline SVG.
pub const TIMELINE_SVG_FILE: &str = "timeline.svg";
/// File name of the latency-over-time SVG.
pub const LATENCY_SVG_FILE: &str = "latency-over-time.svg";

/// What a report is made from.
#[derive(Clone, Copy, Debug)]
pub struct ReportInput<'a> {
    /// Page heading, e.g. the run directory.
    pub title: &'a str,
    /// The run's history.
    pub history: &'a History,
    /// Event indices to highlight (a counterexample's operations); an op
    /// is highlighted when its invoke or its completion is listed.
    pub highlight: &'a [u64],
    /// One line about the verdict, shown under the heading, if known.
    pub verdict: Option<&'a str>,
    /// The minimal counterexample, stated at the top (in words, then op
    /// by op) and its events highlighted, if there is one.
    pub minimal: Option<&'a crate::minimal::MinimalCounterexample>,
}

/// A rendered report: the page, and its two plots as standalone SVG.
#[derive(Clone, Debug)]
pub struct Report {
    /// `report.html`, with both plots inline.
    pub html: String,
    /// The op timeline.
    pub timeline_svg: String,
    /// Latency over time.
    pub latency_svg: String,
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}\
figure{margin:0 0 1.5em 0;overflow-x:auto}figure svg{max-width:100%;height:auto}\
table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}\
td.num{text-align:right;font-variant-numeric:tabular-nums}.legend span{display:inline-block;margin-right:1.2em}\
.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}\
.lit{outline:2px solid #000}";

impl Report {
    /// Renders the report of `input`.
    pub fn render(input: &ReportInput<'_>) -> io::Result<Report> {
        let history = input.history;
        let faults = fault_windows(history);
        let ops = completed_ops(history);
        let end_ns = history.events().last().map_or(0, |e| e.time);
        let timeline_svg = timeline_svg(history, &faults, input.highlight);
        let latency_svg = latency_scatter_svg(&ops, &faults, input.highlight, end_ns)?;

        let mut html = String::new();
        let title = escape(input.title);
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>harness report: {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        );
        summary(&mut html, input, &faults);
        if let Some(m) = input.minimal {
            minimal_section(&mut html, m, history);
        }
        if let Some(lanes) = super::lanes::lanes_svg(history) {
            html.push_str("<h2>Nodes</h2>\n");
            lanes_legend(&mut html);
            let _ = writeln!(html, "<figure>\n{lanes}</figure>");
        }
        html.push_str("<h2>Operations by process</h2>\n");
        legend(&mut html, &faults);
        let _ = writeln!(html, "<figure>\n{timeline_svg}</figure>");
        html.push_str("<h2>Latency over time</h2>\n");
        let _ = writeln!(html, "<figure>\n{latency_svg}\n</figure>");
        fault_table(&mut html, &faults);
        highlight_table(&mut html, history, input.highlight);
        let by_fault = FaultLatencies::from_history(history);
        latency_table(&mut html, &by_fault.all);
        super::by_fault::by_fault_table(&mut html, &by_fault);
        html.push_str("</body>\n</html>\n");
        Ok(Report {
            html,
            timeline_svg,
            latency_svg,
        })
    }

    /// Writes `report.html`, `timeline.svg` and `latency-over-time.svg`
    /// into `dir`.
    pub fn write_to(&self, dir: &Path) -> io::Result<()> {
        std::fs::write(dir.join(HTML_FILE), &self.html)?;
        std::fs::write(dir.join(TIMELINE_SVG_FILE), &self.timeline_svg)?;
        std::fs::write(dir.join(LATENCY_SVG_FILE), &self.latency_svg)
    }
}

fn summary(html: &mut String, input: &ReportInput<'_>, faults: &[FaultWindow]) {
    let ops = completed_ops(input.history);
    let count = |o: Outcome| ops.iter().filter(|op| op.outcome == o).count();
    let invokes = input
        .history
        .events()
        .iter()
        .filter(|e| e.kind == crate::EventType::Invoke)
        .count();
    let _ = writeln!(
        html,
        "<p class=\"summary\">{} events; {invokes} operations: {} ok, {} fail, {} info, {} never completed; {} fault windows; {} highlighted events.</p>",
        input.history.len(),
        count(Outcome::Ok),
        count(Outcome::Fail),
        count(Outcome::Info),
        invokes.saturating_sub(ops.len()),
        faults.len(),
        input.highlight.len(),
    );
    if let Some(verdict) = input.verdict {
        let _ = writeln!(
            html,
            "<p class=\"verdict\">Verdict: {}</p>",
            escape(verdict)
        );
    }
}

/// The minimal counterexample: its sentences, then its ops and the
/// model's state before the one that cannot come next.
fn minimal_section(
    html: &mut String,
    m: &crate::minimal::MinimalCounterexample,
    history: &History,
) {
    html.push_str("<section id=\"minimal-counterexample\">\n<h2>Minimal counterexample</h2>\n");
    for sentence in m.words(history) {
        let _ = writeln!(html, "<p class=\"words\">{}</p>", escape(&sentence));
    }
    let _ = writeln!(html, "<pre class=\"minimal\">{}</pre>", escape(&m.text()));
    html.push_str("</section>\n");
}

fn lanes_legend(html: &mut String) {
    let items: Vec<String> = super::lanes::Role::ALL
        .iter()
        .map(|r| {
            format!(
                "<span><i class=\"swatch\" style=\"background:{}\"></i>{}</span>",
                r.colour(),
                r.name()
            )
        })
        .collect();
    let _ = writeln!(html, "<p class=\"legend\">{}</p>", items.join(""));
}

fn legend(html: &mut String, faults: &[FaultWindow]) {
    let swatch = |colour: &str, label: &str, extra: &str| {
        format!("<span><i class=\"swatch{extra}\" style=\"background:{colour}\"></i>{label}</span>")
    };
    let mut items: Vec<String> = Outcome::ALL
        .iter()
        .map(|&o| swatch(outcome_colour(o), o.as_str(), ""))
        .collect();
    items.push(swatch(PENDING_COLOUR, "never completed", ""));
    items.push(swatch("#fff", "highlighted", " lit"));
    let kinds: BTreeSet<&str> = faults.iter().map(|w| w.kind.as_str()).collect();
    for kind in kinds {
        items.push(swatch(
            fault_colour(kind),
            &format!("{} (fault)", escape(kind)),
            "",
        ));
    }
    let _ = writeln!(
        html,
        "<p class=\"legend\">{}<br><small>Hover a bar for its events.</small></p>",
        items.join("")
    );
}

fn fault_table(html: &mut String, faults: &[FaultWindow]) {
    html.push_str("<h2>Fault windows</h2>\n");
    if faults.is_empty() {
        html.push_str("<p>No nemesis events.</p>\n");
        return;
    }
    html.push_str("<table class=\"faults\">\n<tr><th>fault</th><th>nodes</th><th>start ms</th><th>end ms</th><th>events</th></tr>\n");
    for w in faults {
        let end = match w.end_index {
            Some(_) => format!("{:.3}", w.end_ns as f64 / 1e6),
            None => "never ended".to_string(),
        };
        let _ = writeln!(
            html,
            "<tr class=\"fault-window\"><td>{}</td><td>{}</td><td class=\"num\">{:.3}</td><td class=\"num\">{end}</td><td>{}</td></tr>",
            escape(&w.kind),
            escape(w.target.as_deref().unwrap_or("")),
            w.start_ns as f64 / 1e6,
            escape(&fault_title(w)),
        );
    }
    html.push_str("</table>\n");
}

fn highlight_table(html: &mut String, history: &History, highlight: &[u64]) {
    if highlight.is_empty() {
        return;
    }
    let by_index: HashMap<u64, &Event> = history.events().iter().map(|e| (e.index, e)).collect();
    html.push_str("<h2>Highlighted events</h2>\n<table class=\"highlighted\">\n<tr><th>index</th><th>time ms</th><th>process</th><th>type</th><th>f</th><th>key</th><th>value</th><th>error</th></tr>\n");
    let wanted: BTreeSet<u64> = highlight.iter().copied().collect();
    for index in wanted {
        let Some(e) = by_index.get(&index) else {
            let _ = writeln!(
                html,
                "<tr><td>{index}</td><td colspan=\"7\">not in this history</td></tr>"
            );
            continue;
        };
        let _ = writeln!(
            html,
            "<tr class=\"highlighted-event\"><td>{index}</td><td class=\"num\">{:.3}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.time as f64 / 1e6,
            e.process,
            serde_json::to_value(e.kind).map_or(String::new(), |v| v.as_str().unwrap_or("").to_string()),
            escape(&e.f),
            escape(e.key.as_deref().unwrap_or("")),
            escape(&e.value.to_string()),
            escape(e.error.as_deref().unwrap_or("")),
        );
    }
    html.push_str("</table>\n");
}

fn latency_table(html: &mut String, latencies: &Latencies) {
    html.push_str("<h2>Latency percentiles (ms of simulated time)</h2>\n");
    if latencies.is_empty() {
        html.push_str("<p>No completed operations.</p>\n");
        return;
    }
    html.push_str("<table class=\"latency\">\n<tr><th>f</th><th>outcome</th><th>count</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n");
    for (f, by_outcome) in latencies.summaries() {
        for (outcome, s) in by_outcome {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{outcome}</td><td class=\"num\">{}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td></tr>",
                escape(&f),
                s.count,
                s.mean_ms,
                s.p50_ms,
                s.p90_ms,
                s.p99_ms,
                s.p99_9_ms,
                s.max_ms
            );
        }
    }
    html.push_str("</table>\n");
}
