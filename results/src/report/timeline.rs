//! The op timeline: one row per client process, a bar per operation from
//! invoke to completion coloured by outcome, fault windows shaded across all
//! rows, and the highlighted operations outlined.
//!
//! Drawn as plain SVG rather than with a plotting crate so that each bar can
//! carry a `<title>` (a hover tooltip, no JavaScript) and a class that tests
//! and stylesheets can find: `op ok|fail|info|pending`, `highlight`,
//! `fault`.

use super::faults::FaultWindow;
use super::{escape, fault_colour, outcome_colour, time_ticks, PENDING_COLOUR};
use crate::history::{Event, History, Process};
use crate::latency::completed_ops;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

const WIDTH: f64 = 1200.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 36.0;

/// One bar of the timeline.
struct Bar<'a> {
    invoke: &'a Event,
    complete: Option<&'a Event>,
}

/// Renders the timeline of `history` as a standalone `<svg>` element.
/// `highlight` holds event indices: an op is outlined when its invoke or
/// completion is one of them.
pub fn timeline_svg(history: &History, faults: &[FaultWindow], highlight: &[u64]) -> String {
    let highlight: BTreeSet<u64> = highlight.iter().copied().collect();
    let rows = bars_by_process(history);
    let end_ns = history.events().last().map_or(0, |e| e.time).max(1);
    let row_h = (600.0 / rows.len().max(1) as f64).clamp(4.0, 16.0);
    let plot_h = row_h * rows.len().max(1) as f64;
    let height = TOP + plot_h + BOTTOM;
    let x = |t: u64| LEFT + (t as f64 / end_ns as f64) * (WIDTH - LEFT - RIGHT);

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect x="{LEFT}" y="{TOP}" width="{}" height="{plot_h}" fill="#fafafa" stroke="#ccc"/>"##,
        WIDTH - LEFT - RIGHT
    );
    axis(&mut svg, end_ns, TOP + plot_h, &x);
    faults_layer(&mut svg, faults, TOP, plot_h, &x);
    for (row, (process, bars)) in rows.iter().enumerate() {
        let y = TOP + row as f64 * row_h;
        if row_h >= 9.0 || row % 5 == 0 {
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">p{process}</text>"#,
                LEFT - 6.0,
                y + row_h / 2.0
            );
        }
        for bar in bars {
            bar_rect(&mut svg, bar, y, row_h, end_ns, &highlight, &x);
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// Client ops grouped by process; an op never completed has no completion.
fn bars_by_process(history: &History) -> BTreeMap<u64, Vec<Bar<'_>>> {
    let events = history.events();
    let by_index: HashMap<u64, &Event> = events.iter().map(|e| (e.index, e)).collect();
    let mut rows: BTreeMap<u64, Vec<Bar<'_>>> = BTreeMap::new();
    let mut completed: BTreeSet<u64> = BTreeSet::new();
    for op in completed_ops(history) {
        completed.insert(op.invoke_index);
        rows.entry(op.process).or_default().push(Bar {
            invoke: by_index[&op.invoke_index],
            complete: Some(by_index[&op.complete_index]),
        });
    }
    for e in events {
        if let (Process::Client(p), crate::EventType::Invoke) = (e.process, e.kind) {
            if !completed.contains(&e.index) {
                rows.entry(p).or_default().push(Bar {
                    invoke: e,
                    complete: None,
                });
            }
        }
    }
    rows
}

fn axis(svg: &mut String, end_ns: u64, bottom: f64, x: &dyn Fn(u64) -> f64) {
    for (t, label) in time_ticks(end_ns) {
        let tx = x(t);
        let _ = writeln!(
            svg,
            r##"<line x1="{tx:.1}" y1="{TOP}" x2="{tx:.1}" y2="{bottom}" stroke="#e0e0e0"/><text x="{tx:.1}" y="{}" text-anchor="middle">{label}</text>"##,
            bottom + 14.0
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">simulated time</text>"#,
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        bottom + 30.0
    );
}

fn faults_layer(
    svg: &mut String,
    faults: &[FaultWindow],
    top: f64,
    plot_h: f64,
    x: &dyn Fn(u64) -> f64,
) {
    for (i, w) in faults.iter().enumerate() {
        let (x0, x1) = (x(w.start_ns), x(w.end_ns));
        let colour = fault_colour(&w.kind);
        let title = escape(&super::fault_title(w));
        let _ = writeln!(
            svg,
            r#"<rect class="fault" data-kind="{}" x="{x0:.1}" y="{top}" width="{:.1}" height="{plot_h}" fill="{colour}" fill-opacity="0.18" stroke="{colour}" stroke-opacity="0.6"><title>{title}</title></rect>"#,
            escape(&w.kind),
            (x1 - x0).max(1.5),
        );
        let _ = writeln!(
            svg,
            r#"<text x="{x0:.1}" y="{}" fill="{colour}">{}</text>"#,
            top - 6.0 - (i % 2) as f64 * 12.0,
            escape(&w.label())
        );
    }
}

fn bar_rect(
    svg: &mut String,
    bar: &Bar<'_>,
    y: f64,
    row_h: f64,
    end_ns: u64,
    highlight: &BTreeSet<u64>,
    x: &dyn Fn(u64) -> f64,
) {
    let inv = bar.invoke;
    let (class, colour, end) = match bar.complete {
        Some(c) => {
            let outcome = crate::latency::Outcome::of(c.kind).expect("a completion");
            (outcome.as_str(), outcome_colour(outcome), c.time)
        }
        None => ("pending", PENDING_COLOUR, end_ns),
    };
    let lit = highlight.contains(&inv.index)
        || bar.complete.is_some_and(|c| highlight.contains(&c.index));
    let (x0, x1) = (x(inv.time), x(end));
    let pad = if row_h >= 8.0 { 2.0 } else { 0.5 };
    let stroke = if lit {
        r##" stroke="#000" stroke-width="2""##
    } else {
        ""
    };
    let _ = writeln!(
        svg,
        r#"<rect class="op {class}{}" data-index="{}" x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"{stroke}><title>{}</title></rect>"#,
        if lit { " highlight" } else { "" },
        inv.index,
        y + pad,
        (x1 - x0).max(1.5),
        (row_h - 2.0 * pad).max(1.0),
        escape(&op_title(inv, bar.complete)),
    );
}

/// Tooltip text: `#12 p3 write x 3 → ok 2.100 ms`.
fn op_title(invoke: &Event, complete: Option<&Event>) -> String {
    let key = invoke.key.as_deref().unwrap_or("");
    let mut title = format!(
        "#{} p{} {} {} {}",
        invoke.index, invoke.process, invoke.f, key, invoke.value
    );
    match complete {
        Some(c) => {
            let _ = write!(
                title,
                " → #{} {} {} {:.3} ms",
                c.index,
                crate::latency::Outcome::of(c.kind).map_or("invoke", |o| o.as_str()),
                c.value,
                c.time.saturating_sub(invoke.time) as f64 / 1e6
            );
            if let Some(err) = &c.error {
                let _ = write!(title, " ({err})");
            }
        }
        None => title.push_str(" → never completed"),
    }
    title
}
