//! The terminal form of a [`Comparison`]: one table per op kind and
//! outcome, then the `ok` ops by fault state.

use super::{Change, Comparison, Mode, Row, Table};
use crate::latency::by_fault::NO_FAULT;
use std::fmt::Write;

impl Comparison {
    /// A plain-text table per op kind and outcome, values in ms, for the
    /// terminal. `name_a` and `name_b` label the two sides.
    pub fn to_text(&self, name_a: &str, name_b: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "A = {name_a}\nB = {name_b}");
        let t = self.options.threshold;
        match &self.mode {
            Mode::Plain => {
                let _ = writeln!(
                    out,
                    "plain ratios: a side is one run (or a sweep without {}), so there is no interval and no telling a change from seed-to-seed noise",
                    crate::latency::seeds::SEEDS_FILE
                );
                let _ = writeln!(
                    out,
                    "latency in ms of simulated time; `<< worse` marks B/A > {t}"
                );
            }
            Mode::Paired { seeds } => {
                let _ = writeln!(out, "paired by seed: A and B ran the same {seeds} seeds");
            }
            Mode::Unpaired { seeds_a, seeds_b } => {
                let _ = writeln!(
                    out,
                    "unpaired: A has {seeds_a} seeds, B has {seeds_b}, not the same ones"
                );
            }
        }
        if self.mode != Mode::Plain {
            let o = &self.options;
            let _ = writeln!(
                out,
                "latency in ms of simulated time; B/A with a {:.0}% bootstrap interval over seeds ({} resamples, bootstrap seed {});\n`<< worse`: the interval lies wholly above {t}; `>> better`: wholly below 1/{t} = {:.3}",
                o.confidence * 100.0,
                o.resamples,
                o.bootstrap_seed,
                1.0 / t
            );
        }
        for table in &self.tables {
            self.write_table(&mut out, table);
        }
        if self.mode != Mode::Plain {
            self.write_tally(&mut out);
        }
        self.write_fault_tables(&mut out);
        out
    }

    fn write_table(&self, out: &mut String, t: &Table) {
        if self.mode == Mode::Plain {
            let _ = writeln!(
                out,
                "\n{} {}  (A: {} ops, B: {} ops)",
                t.f, t.outcome, t.count_a, t.count_b
            );
            let _ = writeln!(
                out,
                "  {:<6} {:>12} {:>12} {:>8}",
                "", "A ms", "B ms", "B/A"
            );
            for r in &t.rows {
                let _ = writeln!(
                    out,
                    "  {:<6} {:>12} {:>12} {:>8}{}",
                    r.label,
                    ms(r.a_ns),
                    ms(r.b_ns),
                    ratio(r.ratio),
                    if r.worse { "  << worse" } else { "" }
                );
            }
            return;
        }
        let _ = writeln!(
            out,
            "\n{} {}  (A: {} ops in {} seeds, B: {} ops in {} seeds)",
            t.f, t.outcome, t.count_a, t.seeds_a, t.count_b, t.seeds_b
        );
        let level = format!("{:.0}% interval", self.options.confidence * 100.0);
        let _ = writeln!(
            out,
            "  {:<6} {:>10} {:>10} {:>7}  {:<16}",
            "", "A ms", "B ms", "B/A", level
        );
        for r in &t.rows {
            let _ = writeln!(
                out,
                "  {:<6} {:>10} {:>10} {:>7}  {:<16}  {}",
                r.label,
                ms(r.a_ns),
                ms(r.b_ns),
                ratio(r.ratio),
                interval(r),
                mark(&r.change)
            );
        }
    }

    fn write_tally(&self, out: &mut String) {
        let rows = || self.tables.iter().flat_map(|t| t.rows.iter());
        let count = |f: &dyn Fn(&Change) -> bool| rows().filter(|r| f(&r.change)).count();
        let _ = writeln!(
            out,
            "\n{} rows: {} worse, {} better, {} no significant change, {} changed by less than the threshold, {} without an interval",
            rows().count(),
            count(&|c| *c == Change::Worse),
            count(&|c| *c == Change::Better),
            count(&|c| *c == Change::NoChange),
            count(&|c| *c == Change::WithinThreshold),
            count(&|c| matches!(c, Change::NoInterval(_))),
        );
    }

    fn write_fault_tables(&self, out: &mut String) {
        if self.fault_tables.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\nlatency by fault state, ok ops: `none` overlapped no fault; a fault kind, ops that overlapped one (on any node: the history does not say which node served an op); an op counts under every kind it overlapped. ×none: this state's p99 over `none`'s, on the same side."
        );
        let mut kind = "";
        for t in &self.fault_tables {
            if t.f != kind {
                kind = &t.f;
                let _ = writeln!(out, "\n{} ok by fault state", t.f);
                let _ = writeln!(
                    out,
                    "  {:<10} {:>7} {:>9} {:>9} {:>6}  {:>7} {:>9} {:>9} {:>6}  {:>7}  {:<16}",
                    "",
                    "A ops",
                    "A p50",
                    "A p99",
                    "×none",
                    "B ops",
                    "B p50",
                    "B p99",
                    "×none",
                    "B/A p99",
                    ""
                );
            }
            let none = self
                .fault_tables
                .iter()
                .find(|n| n.f == t.f && n.group == NO_FAULT);
            let p99 = |t: &Table, side: usize| {
                t.row("p99")
                    .and_then(|r| if side == 0 { r.a_ns } else { r.b_ns })
            };
            let p50 = |t: &Table, side: usize| {
                t.row("p50")
                    .and_then(|r| if side == 0 { r.a_ns } else { r.b_ns })
            };
            let over_none = |side: usize| match (p99(t, side), none.and_then(|n| p99(n, side))) {
                (Some(x), Some(n)) if n > 0 => format!("{:.2}", x as f64 / n as f64),
                _ => "-".into(),
            };
            let row = t.row("p99").expect("fault tables have a p99 row");
            let _ = writeln!(
                out,
                "  {:<10} {:>7} {:>9} {:>9} {:>6}  {:>7} {:>9} {:>9} {:>6}  {:>7}  {:<16}  {}",
                t.group,
                t.count_a,
                ms(p50(t, 0)),
                ms(p99(t, 0)),
                over_none(0),
                t.count_b,
                ms(p50(t, 1)),
                ms(p99(t, 1)),
                over_none(1),
                ratio(row.ratio),
                interval(row),
                if self.mode == Mode::Plain {
                    String::new()
                } else {
                    mark(&row.change)
                }
            );
        }
    }
}

fn ms(ns: Option<u64>) -> String {
    ns.map_or("-".to_string(), |ns| format!("{:.3}", ns as f64 / 1e6))
}

fn ratio(r: Option<f64>) -> String {
    r.map_or("-".to_string(), |x| format!("{x:.2}"))
}

fn interval(r: &Row) -> String {
    r.interval
        .map_or(String::new(), |(lo, hi)| format!("[{lo:.3}, {hi:.3}]"))
}

fn mark(change: &Change) -> String {
    match change {
        Change::Worse => "<< worse".into(),
        Change::Better => ">> better".into(),
        Change::NoChange => "no significant change".into(),
        Change::WithinThreshold => "changed by less than the threshold".into(),
        Change::NoInterval(reason) => format!("(no interval: {reason})"),
        Change::PlainWorse => "<< worse".into(),
        Change::Plain => String::new(),
    }
}
