//! Two sets of latency histograms side by side: per op kind and outcome,
//! the percentiles of A and of B and the ratio B/A, and whether B is
//! *really* different: more than what other seeds of the same version
//! would give.
//!
//! Two modes, chosen by what each side holds:
//! - **Seeds** ([`compare_seeds`]), when both sides are sweeps with
//!   per-seed histograms: each percentile row gets a bootstrap confidence
//!   interval of B/A over seeds (see [`bootstrap`]), paired by seed when A
//!   and B ran the same seeds, unpaired otherwise. A row is *worse* only when
//!   its whole interval lies above the threshold, *better* only when it lies
//!   below 1/threshold; *no significant change* when it holds 1; else a
//!   difference smaller than the threshold. The `max` row has no interval
//!   (a bootstrap cannot bound a maximum: a resample never exceeds it).
//! - **Plain** ([`compare`], [`compare_runs`]), when a side is one run: the
//!   plain ratio, a row marked worse when it exceeds the threshold, with no
//!   way to tell a change from seed-to-seed noise.
//!
//! Both also split the `ok` ops by fault state (see
//! [`crate::latency::by_fault`]), when the inputs carry it.
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

pub mod bootstrap;
mod text;

use crate::latency::by_fault::{FaultLatencies, ALL};
use crate::latency::seeds::{Buckets, SeedLatencies};
use crate::latency::{Latencies, Outcome};
use bootstrap::{Pairing, RatioDistribution};
use hdrhistogram::Histogram;
use std::collections::BTreeSet;

/// The rows of every table: label and quantile (`None`: the maximum).
pub const ROWS: [(&str, Option<f64>); 5] = [
    ("p50", Some(0.5)),
    ("p90", Some(0.9)),
    ("p99", Some(0.99)),
    ("p99.9", Some(0.999)),
    ("max", None),
];
/// The rows of the by-fault-state tables.
pub const FAULT_ROWS: [(&str, Option<f64>); 2] = [("p50", Some(0.5)), ("p99", Some(0.99))];

/// The default `--threshold`: how far B/A must be from 1 to matter.
pub const DEFAULT_THRESHOLD: f64 = 1.1;
/// The default `--confidence` of each row's interval.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;
/// Fewest seeds with ops of a kind, on each side, for an interval: with
/// fewer, a bootstrap over seeds is known to give intervals too narrow.
pub const MIN_SEEDS: usize = 10;
/// Fewest ops beyond a percentile, on each side, for its interval (p99
/// needs 1,000 ops): with fewer, the percentile is one of the last few
/// ops, an extreme that a bootstrap does not bound well.
pub const MIN_TAIL_OPS: f64 = 10.0;

/// Knobs of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// How far from 1 a ratio must be, wholly, to be marked.
    pub threshold: f64,
    /// Confidence level of each interval.
    pub confidence: f64,
    /// Bootstrap replicates.
    pub resamples: usize,
    /// Seed of the resampling rng.
    pub bootstrap_seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: DEFAULT_THRESHOLD,
            confidence: DEFAULT_CONFIDENCE,
            resamples: bootstrap::DEFAULT_RESAMPLES,
            bootstrap_seed: bootstrap::DEFAULT_SEED,
        }
    }
}

/// How the sides were compared.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// A side is one run (or a sweep without per-seed histograms).
    Plain,
    /// Both sides ran these seeds: resampled by seed, both sides at once.
    Paired {
        /// Seeds (on each side).
        seeds: usize,
    },
    /// Seeds resampled on each side on its own.
    Unpaired {
        /// Seeds of A.
        seeds_a: usize,
        /// Seeds of B.
        seeds_b: usize,
    },
}

/// What a row's interval says.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// The interval lies wholly above the threshold.
    Worse,
    /// The interval lies wholly below 1/threshold.
    Better,
    /// The interval holds 1.
    NoChange,
    /// The interval excludes 1 but not the threshold's band.
    WithinThreshold,
    /// No interval (the reason): too few seeds or ops, or a maximum.
    NoInterval(&'static str),
    /// Plain mode: the ratio alone exceeds the threshold.
    PlainWorse,
    /// Plain mode: the ratio does not.
    Plain,
}

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
    /// The interval of B/A at the comparison's confidence.
    pub interval: Option<(f64, f64)>,
    /// What the interval (or, plain, the ratio) says.
    pub change: Change,
    /// The bootstrap distribution behind the interval.
    pub distribution: Option<RatioDistribution>,
    /// Marked worse: [`Change::Worse`] or [`Change::PlainWorse`].
    pub worse: bool,
}

/// The rows of one group, op kind and outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// `all`, `none` or a fault kind (see [`crate::latency::by_fault`]).
    pub group: String,
    /// Op kind.
    pub f: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Operations in A.
    pub count_a: u64,
    /// Operations in B.
    pub count_b: u64,
    /// Seeds of A with such an op (seeds mode).
    pub seeds_a: usize,
    /// Seeds of B with such an op (seeds mode).
    pub seeds_b: usize,
    /// [`ROWS`] (or [`FAULT_ROWS`]), in that order.
    pub rows: Vec<Row>,
}

impl Table {
    /// B/A at the 99th percentile, when both sides have data.
    pub fn p99_ratio(&self) -> Option<f64> {
        self.row("p99")?.ratio
    }

    /// The row labelled `label`.
    pub fn row(&self, label: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.label == label)
    }
}

/// A whole comparison of A with B.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The knobs used.
    pub options: Options,
    /// Plain, paired or unpaired.
    pub mode: Mode,
    /// One table per op kind and outcome present in A or B (all ops),
    /// ordered by kind then outcome.
    pub tables: Vec<Table>,
    /// The `ok` ops by fault state: per kind, `none` first, then each
    /// fault kind present on either side.
    pub fault_tables: Vec<Table>,
}

/// A failed `--fail-above` gate's row.
#[derive(Clone, Debug, PartialEq)]
pub struct Regression<'a> {
    /// Its table.
    pub table: &'a Table,
    /// The row.
    pub row: &'a Row,
    /// The interval at the gate's (family-wise) level; `None` in plain mode.
    pub interval: Option<(f64, f64)>,
}

/// What the `--fail-above` gate found.
#[derive(Clone, Debug, PartialEq)]
pub struct Gate<'a> {
    /// Rows the gate tested.
    pub tested: usize,
    /// Rows of a gated percentile that had no interval (never a failure).
    pub untested: usize,
    /// Confidence of each tested row's interval: the comparison's, divided
    /// among the tested rows (Bonferroni), so that the whole gate fails a
    /// same-version pair at most 1 − confidence of the time.
    pub row_confidence: f64,
    /// The rows whose interval lies wholly above the limit (plain: whose
    /// ratio does).
    pub failures: Vec<Regression<'a>>,
}

/// Plain comparison of two merged histogram sets; rows with B/A above
/// `threshold` are marked worse.
pub fn compare(a: &Latencies, b: &Latencies, threshold: f64) -> Comparison {
    let wrap = |l: &Latencies| FaultLatencies {
        all: l.clone(),
        groups: Default::default(),
    };
    compare_runs(&wrap(a), &wrap(b), threshold)
}

/// Plain comparison, with the by-fault-state tables.
pub fn compare_runs(a: &FaultLatencies, b: &FaultLatencies, threshold: f64) -> Comparison {
    let options = Options {
        threshold,
        ..Options::default()
    };
    let plain = |group: &str, rows: &[(&'static str, Option<f64>)]| {
        let (la, lb) = (group_of(a, group), group_of(b, group));
        keys(&[la, lb], group != ALL)
            .into_iter()
            .map(|(f, outcome)| {
                let (ha, hb) = (
                    la.and_then(|l| l.get(&f, outcome)),
                    lb.and_then(|l| l.get(&f, outcome)),
                );
                let rows = rows
                    .iter()
                    .map(|&(label, q)| plain_row(label, value(ha, q), value(hb, q), threshold))
                    .collect();
                table(group, f, outcome, [ha, hb], [0, 0], rows)
            })
            .collect::<Vec<_>>()
    };
    let tables = plain(ALL, &ROWS);
    let fault_tables = fault_groups(a.groups.keys().chain(b.groups.keys()))
        .iter()
        .flat_map(|g| plain(g, &FAULT_ROWS))
        .collect();
    let mut cmp = Comparison {
        options,
        mode: Mode::Plain,
        tables,
        fault_tables,
    };
    sort_fault_tables(&mut cmp.fault_tables);
    cmp
}

/// Compares B against A as samples of seeds, with a bootstrap interval on
/// every percentile row (see the module docs).
pub fn compare_seeds(a: &SeedLatencies, b: &SeedLatencies, options: &Options) -> Comparison {
    let seeds_a: Vec<u64> = a.seeds().collect();
    let seeds_b: Vec<u64> = b.seeds().collect();
    let (pairing, mode) = if seeds_a == seeds_b {
        (
            Pairing::Paired,
            Mode::Paired {
                seeds: seeds_a.len(),
            },
        )
    } else {
        let mode = Mode::Unpaired {
            seeds_a: seeds_a.len(),
            seeds_b: seeds_b.len(),
        };
        (Pairing::Unpaired, mode)
    };
    let (merged_a, merged_b) = (a.merged(), b.merged());
    let per_group = |group: &str, rows: &[(&'static str, Option<f64>)]| {
        let (la, lb) = (group_of(&merged_a, group), group_of(&merged_b, group));
        keys(&[la, lb], group != ALL)
            .into_iter()
            .map(|(f, outcome)| {
                let (sa, sb) = (a.row(group, &f, outcome), b.row(group, &f, outcome));
                let (ha, hb) = (
                    la.and_then(|l| l.get(&f, outcome)),
                    lb.and_then(|l| l.get(&f, outcome)),
                );
                let with_ops = |s: &[Option<&Buckets>]| {
                    s.iter()
                        .filter(|h| h.is_some_and(|h| !h.is_empty()))
                        .count()
                };
                let seeds = [with_ops(&sa), with_ops(&sb)];
                let name = format!("{group}/{f}.{outcome}");
                let rows =
                    interval_rows(rows, [&sa, &sb], [ha, hb], seeds, pairing, options, &name);
                table(group, f, outcome, [ha, hb], seeds, rows)
            })
            .collect::<Vec<_>>()
    };
    let tables = per_group(ALL, &ROWS);
    let groups = fault_groups(merged_a.groups.keys().chain(merged_b.groups.keys()));
    let mut fault_tables: Vec<Table> = groups
        .iter()
        .flat_map(|g| per_group(g, &FAULT_ROWS))
        .collect();
    sort_fault_tables(&mut fault_tables);
    Comparison {
        options: options.clone(),
        mode,
        tables,
        fault_tables,
    }
}

/// The rows of one table with intervals (where the data allow one).
fn interval_rows(
    rows: &[(&'static str, Option<f64>)],
    sides: [&[Option<&Buckets>]; 2],
    merged: [Option<&Histogram<u64>>; 2],
    seeds_with_ops: [usize; 2],
    pairing: Pairing,
    options: &Options,
    name: &str,
) -> Vec<Row> {
    let quantiles: Vec<f64> = rows.iter().filter_map(|r| r.1).collect();
    let distributions = bootstrap::bootstrap(
        sides[0],
        sides[1],
        pairing,
        &quantiles,
        options.resamples,
        options.bootstrap_seed,
        name,
    );
    let counts = merged.map(|h| h.map_or(0, Histogram::len));
    rows.iter()
        .map(|&(label, q)| {
            let (a_ns, b_ns) = (value(merged[0], q), value(merged[1], q));
            let mut row = plain_row(label, a_ns, b_ns, options.threshold);
            row.worse = false;
            let reason = match q {
                None => Some("a maximum has no bootstrap interval"),
                Some(_) if row.ratio.is_none() => Some("a side has no such op"),
                Some(_) if seeds_with_ops.iter().any(|&s| s < MIN_SEEDS) => {
                    Some("too few seeds with such ops")
                }
                Some(q) if counts.iter().any(|&n| n as f64 * (1.0 - q) < MIN_TAIL_OPS) => {
                    Some("too few ops beyond this percentile")
                }
                Some(_) => None,
            };
            let distribution = q.and_then(|q| distributions.iter().find(|d| d.quantile == q));
            let interval = distribution.and_then(|d| d.interval(options.confidence));
            row.change = match (reason, interval) {
                (Some(reason), _) => Change::NoInterval(reason),
                (None, None) => Change::NoInterval("too many resamples without such ops"),
                (None, Some(interval)) => classify(interval, options.threshold),
            };
            if !matches!(row.change, Change::NoInterval(_)) {
                row.interval = interval;
                row.distribution = distribution.cloned();
            }
            row.worse = row.change == Change::Worse;
            row
        })
        .collect()
}

fn classify((low, high): (f64, f64), threshold: f64) -> Change {
    if low > threshold {
        Change::Worse
    } else if high < 1.0 / threshold {
        Change::Better
    } else if low <= 1.0 && 1.0 <= high {
        Change::NoChange
    } else {
        Change::WithinThreshold
    }
}

fn plain_row(label: &'static str, a_ns: Option<u64>, b_ns: Option<u64>, threshold: f64) -> Row {
    let ratio = match (a_ns, b_ns) {
        (Some(0), Some(0)) => Some(1.0),
        (Some(a), Some(b)) => Some(b as f64 / a as f64),
        _ => None,
    };
    let worse = ratio.is_some_and(|r| r > threshold);
    Row {
        label,
        a_ns,
        b_ns,
        ratio,
        interval: None,
        change: if worse {
            Change::PlainWorse
        } else {
            Change::Plain
        },
        distribution: None,
        worse,
    }
}

fn value(h: Option<&Histogram<u64>>, q: Option<f64>) -> Option<u64> {
    h.map(|h| q.map_or(h.max(), |q| h.value_at_quantile(q)))
}

fn table(
    group: &str,
    f: String,
    outcome: Outcome,
    merged: [Option<&Histogram<u64>>; 2],
    seeds: [usize; 2],
    rows: Vec<Row>,
) -> Table {
    Table {
        group: group.to_string(),
        f,
        outcome,
        count_a: merged[0].map_or(0, Histogram::len),
        count_b: merged[1].map_or(0, Histogram::len),
        seeds_a: seeds[0],
        seeds_b: seeds[1],
        rows,
    }
}

/// Group `group` of `lat` (`all` included).
fn group_of<'a>(lat: &'a FaultLatencies, group: &str) -> Option<&'a Latencies> {
    lat.group(group)
}

/// The (kind, outcome) keys of either side; `ok_only` for fault tables.
fn keys(sides: &[Option<&Latencies>], ok_only: bool) -> BTreeSet<(String, Outcome)> {
    sides
        .iter()
        .flatten()
        .flat_map(|l| l.iter())
        .filter(|(_, o, _)| !ok_only || *o == Outcome::Ok)
        .map(|(f, o, _)| (f.to_string(), o))
        .collect()
}

/// `none` first, then the fault kinds in order.
fn fault_groups<'a>(names: impl Iterator<Item = &'a String>) -> Vec<String> {
    let names: BTreeSet<&String> = names.collect();
    let none = crate::latency::by_fault::NO_FAULT;
    let mut out: Vec<String> = names
        .iter()
        .filter(|n| n.as_str() == none)
        .map(|n| n.to_string())
        .collect();
    out.extend(
        names
            .iter()
            .filter(|n| n.as_str() != none)
            .map(|n| n.to_string()),
    );
    out
}

/// By op kind, then `none` first, then fault kinds (stable).
fn sort_fault_tables(tables: &mut [Table]) {
    let none = crate::latency::by_fault::NO_FAULT;
    tables.sort_by(|x, y| {
        (x.f.as_str(), x.group != none, x.group.as_str()).cmp(&(
            y.f.as_str(),
            y.group != none,
            y.group.as_str(),
        ))
    });
}

impl Comparison {
    /// The tables whose p99 ratio exceeds `fail_above` (the plain
    /// `--fail-above` gate). A kind or outcome missing on either side is
    /// never over.
    pub fn over(&self, fail_above: f64) -> Vec<&Table> {
        self.tables
            .iter()
            .filter(|t| t.p99_ratio().is_some_and(|r| r > fail_above))
            .collect()
    }

    /// The `--fail-above` gate on the rows labelled `labels` (say `p99`) of
    /// the all-ops tables. Seeds mode: a row fails when its interval, at
    /// [`Gate::row_confidence`], lies wholly above `fail_above`. Plain
    /// mode: when its ratio does.
    pub fn gate(&self, fail_above: f64, labels: &[&str]) -> Gate<'_> {
        let gated = || {
            self.tables.iter().flat_map(|t| {
                t.rows
                    .iter()
                    .filter(|r| labels.contains(&r.label))
                    .map(move |r| (t, r))
            })
        };
        if self.mode == Mode::Plain {
            let failures: Vec<Regression<'_>> = gated()
                .filter(|(_, r)| r.ratio.is_some_and(|x| x > fail_above))
                .map(|(table, row)| Regression {
                    table,
                    row,
                    interval: None,
                })
                .collect();
            let tested = gated().filter(|(_, r)| r.ratio.is_some()).count();
            return Gate {
                tested,
                untested: gated().count() - tested,
                row_confidence: 0.0,
                failures,
            };
        }
        let tested = gated().filter(|(_, r)| r.distribution.is_some()).count();
        let row_confidence = 1.0 - (1.0 - self.options.confidence) / tested.max(1) as f64;
        let failures = gated()
            .filter_map(|(table, row)| {
                let interval = row.distribution.as_ref()?.interval(row_confidence)?;
                (interval.0 > fail_above).then_some(Regression {
                    table,
                    row,
                    interval: Some(interval),
                })
            })
            .collect();
        Gate {
            tested,
            untested: gated().count() - tested,
            row_confidence,
            failures,
        }
    }

    /// True when any row is marked worse.
    pub fn any_worse(&self) -> bool {
        self.tables.iter().any(|t| t.rows.iter().any(|r| r.worse))
    }
}
