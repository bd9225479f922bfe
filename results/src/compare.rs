//! Two sets of latency histograms side by side: per op kind and outcome,
//! the percentiles of A and of B and the ratio B/A, with the rows that got
//! worse than a threshold marked, and a p99 gate for CI.
//!
//! ```
//! use results::compare::compare;
//! use results::latency::{Latencies, Outcome};
//!
//! let (mut a, mut b) = (Latencies::new(), Latencies::new());
//! a.record("read", Outcome::Ok, 1_000_000);
//! b.record("read", Outcome::Ok, 3_000_000);
//! let cmp = compare(&a, &b, 1.1);
//! let ratio = cmp.tables[0].p99_ratio().unwrap(); // 3, to 3 significant digits
//! assert!((ratio - 3.0).abs() < 0.01);
//! assert_eq!(cmp.over(2.0).len(), 1);
//! ```

use crate::latency::{Latencies, Outcome};
use hdrhistogram::Histogram;
use std::collections::BTreeSet;
use std::fmt::Write;

/// The rows of every table: label and quantile (`None`: the maximum).
pub const ROWS: [(&str, Option<f64>); 5] = [
    ("p50", Some(0.5)),
    ("p90", Some(0.9)),
    ("p99", Some(0.99)),
    ("p99.9", Some(0.999)),
    ("max", None),
];

/// The default `--threshold`: rows where B/A exceeds it are marked.
pub const DEFAULT_THRESHOLD: f64 = 1.1;

/// One percentile of A and B.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// `p50`, `p90`, `p99`, `p99.9` or `max`.
    pub label: &'static str,
    /// A's value in ns; `None` when A has no such histogram.
    pub a_ns: Option<u64>,
    /// B's value in ns; `None` when B has no such histogram.
    pub b_ns: Option<u64>,
    /// B/A; infinite when A is 0 ns and B is not, `None` when a side is missing.
    pub ratio: Option<f64>,
    /// The ratio exceeds the comparison's threshold.
    pub worse: bool,
}

/// The rows of one op kind and outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Op kind.
    pub f: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Operations in A.
    pub count_a: u64,
    /// Operations in B.
    pub count_b: u64,
    /// p50, p90, p99, p99.9, max, in that order.
    pub rows: Vec<Row>,
}

impl Table {
    /// B/A at the 99th percentile, when both sides have data.
    pub fn p99_ratio(&self) -> Option<f64> {
        self.rows.iter().find(|r| r.label == "p99")?.ratio
    }
}

/// A whole comparison of A with B.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Ratio above which a row is marked worse.
    pub threshold: f64,
    /// One table per op kind and outcome present in A or B, ordered by kind
    /// then outcome.
    pub tables: Vec<Table>,
}

/// Compares B against A; rows with B/A above `threshold` are marked worse.
pub fn compare(a: &Latencies, b: &Latencies, threshold: f64) -> Comparison {
    let keys: BTreeSet<(&str, Outcome)> = a
        .iter()
        .chain(b.iter())
        .map(|(f, outcome, _)| (f, outcome))
        .collect();
    let tables = keys
        .into_iter()
        .map(|(f, outcome)| table(f, outcome, a.get(f, outcome), b.get(f, outcome), threshold))
        .collect();
    Comparison { threshold, tables }
}

fn table(
    f: &str,
    outcome: Outcome,
    a: Option<&Histogram<u64>>,
    b: Option<&Histogram<u64>>,
    threshold: f64,
) -> Table {
    let value = |h: Option<&Histogram<u64>>, q: Option<f64>| {
        h.map(|h| q.map_or(h.max(), |q| h.value_at_quantile(q)))
    };
    let rows = ROWS
        .iter()
        .map(|&(label, q)| {
            let (a_ns, b_ns) = (value(a, q), value(b, q));
            let ratio = match (a_ns, b_ns) {
                (Some(0), Some(0)) => Some(1.0),
                (Some(a), Some(b)) => Some(b as f64 / a as f64),
                _ => None,
            };
            Row {
                label,
                a_ns,
                b_ns,
                ratio,
                worse: ratio.is_some_and(|r| r > threshold),
            }
        })
        .collect();
    Table {
        f: f.to_string(),
        outcome,
        count_a: a.map_or(0, Histogram::len),
        count_b: b.map_or(0, Histogram::len),
        rows,
    }
}

impl Comparison {
    /// The tables whose p99 ratio exceeds `fail_above` (the `--fail-above`
    /// gate). A kind or outcome missing on either side is never over.
    pub fn over(&self, fail_above: f64) -> Vec<&Table> {
        self.tables
            .iter()
            .filter(|t| t.p99_ratio().is_some_and(|r| r > fail_above))
            .collect()
    }

    /// True when any row is marked worse.
    pub fn any_worse(&self) -> bool {
        self.tables.iter().any(|t| t.rows.iter().any(|r| r.worse))
    }

    /// A plain-text table per op kind and outcome, values in ms, for the
    /// terminal. `name_a` and `name_b` label the two sides.
    pub fn to_text(&self, name_a: &str, name_b: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "A = {name_a}\nB = {name_b}");
        let _ = writeln!(
            out,
            "latency in ms of simulated time; `<< worse` marks B/A > {}",
            self.threshold
        );
        for t in &self.tables {
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
                    r.ratio.map_or("-".to_string(), |x| format!("{x:.2}")),
                    if r.worse { "  << worse" } else { "" }
                );
            }
        }
        out
    }
}

fn ms(ns: Option<u64>) -> String {
    ns.map_or("-".to_string(), |ns| format!("{:.3}", ns as f64 / 1e6))
}
