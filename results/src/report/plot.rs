//! Plots drawn with `plotters` (SVG backend, no system fonts): latency over
//! time with fault windows shaded, and latency by percentile for A vs B.

use super::faults::FaultWindow;
use super::{fault_colour, outcome_colour};
use crate::compare::bootstrap::{bootstrap_values, Pairing};
use crate::compare::{Options, MIN_SEEDS, MIN_TAIL_OPS};
use crate::latency::by_fault::ALL;
use crate::latency::seeds::SeedLatencies;
use crate::latency::{CompletedOp, Latencies, Outcome};
use hdrhistogram::Histogram;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::collections::BTreeSet;
use std::io;

const NS_PER_MS: f64 = 1e6;
/// Lines per op kind in the percentile plot, cycled.
const KIND_COLOURS: [&str; 6] = [
    "#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f",
];

fn rgb(hex: &str) -> RGBColor {
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
    RGBColor(byte(1), byte(3), byte(5))
}

/// The series legend both plots share: boxed, on a translucent white.
fn draw_legend<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    position: SeriesLabelPosition,
) -> io::Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)
}

fn plot_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("plotting failed: {e}"))
}

/// Latency (log scale, ms) of each completed op against the simulated time
/// of its invoke, coloured by outcome, with `faults` shaded and the ops
/// touching a `highlight` event index ringed in black.
pub fn latency_scatter_svg(
    ops: &[CompletedOp],
    faults: &[FaultWindow],
    highlight: &[u64],
    end_ns: u64,
) -> io::Result<String> {
    let highlight: BTreeSet<u64> = highlight.iter().copied().collect();
    let ms = |ns: u64| ns as f64 / NS_PER_MS;
    let latencies_ms = ops.iter().map(|o| ms(o.latency_ns()));
    let y_max = latencies_ms.clone().fold(1.0, f64::max) * 2.0;
    // The log axis starts a little under the fastest op (at least 1 µs).
    let floor_ms = (latencies_ms.fold(f64::INFINITY, f64::min) / 2.0).clamp(0.001, 1.0);
    let x_max = ms(end_ns).max(1.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1200, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max, (floor_ms..y_max).log_scale())
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .x_desc("simulated time of invoke (ms)")
            .y_desc("latency (ms, log scale)")
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(faults.iter().map(|w| {
                let colour = rgb(fault_colour(&w.kind));
                let x1 = ms(w.end_ns).max(ms(w.start_ns) + x_max / 600.0);
                Rectangle::new(
                    [(ms(w.start_ns), floor_ms), (x1, y_max)],
                    colour.mix(0.18).filled(),
                )
            }))
            .map_err(plot_error)?;
        draw_ops(&mut chart, ops, &highlight, floor_ms)?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// The scatter's chart: linear ms across, log ms up.
type ScatterChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, LogCoord<f64>>>;

/// One dot per op, coloured by outcome, and a black ring on highlighted ops.
fn draw_ops(
    chart: &mut ScatterChart<'_, '_>,
    ops: &[CompletedOp],
    highlight: &BTreeSet<u64>,
    floor_ms: f64,
) -> io::Result<()> {
    let ms = |ns: u64| ns as f64 / NS_PER_MS;
    for outcome in Outcome::ALL {
        let colour = rgb(outcome_colour(outcome));
        let points = ops.iter().filter(|o| o.outcome == outcome).map(|o| {
            let y = ms(o.latency_ns()).max(floor_ms);
            Circle::new((ms(o.invoke_ns), y), 2, colour.filled())
        });
        chart
            .draw_series(points)
            .map_err(plot_error)?
            .label(outcome.as_str())
            .legend(move |(x, y)| Circle::new((x, y), 4, colour.filled()));
    }
    let lit = ops
        .iter()
        .filter(|o| highlight.contains(&o.invoke_index) || highlight.contains(&o.complete_index));
    chart
        .draw_series(lit.map(|o| {
            let y = ms(o.latency_ns()).max(floor_ms);
            Circle::new((ms(o.invoke_ns), y), 6, BLACK.stroke_width(2))
        }))
        .map_err(plot_error)?
        .label("highlighted")
        .legend(|(x, y)| Circle::new((x, y), 5, BLACK.stroke_width(2)));
    Ok(())
}

/// The x coordinate of quantile `q` in "nines": 0 at 0%, 1 at 90%, 2 at
/// 99%, 3 at 99.9%.
pub fn nines(q: f64) -> f64 {
    -(1.0 - q).max(1e-12).log10()
}

/// The axis label of `x` nines, e.g. `99.9%`.
pub fn nines_label(x: f64) -> String {
    let percent = 100.0 * (1.0 - 10f64.powf(-x));
    let decimals = (x.ceil() as i64 - 2).max(0) as usize;
    format!("{percent:.decimals$}%")
}

/// (nines, ms) points of `h`'s percentile curve, up to the last value below
/// 100%.
fn percentile_curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    h.iter_quantiles(5)
        .filter(|v| v.quantile_iterated_to() < 1.0)
        .map(|v| {
            (
                nines(v.quantile_iterated_to()),
                v.value_iterated_to() as f64 / NS_PER_MS,
            )
        })
        .collect()
}

/// One side of the comparison plot.
pub struct PlotSide<'a> {
    /// Its label (the directory).
    pub name: &'a str,
    /// Its merged histograms.
    pub latencies: &'a Latencies,
    /// Its per-seed histograms, when it is a sweep that kept them: the
    /// curve then gets a band, the bootstrap interval over seeds of each
    /// percentile.
    pub seeds: Option<&'a SeedLatencies>,
}

/// Latency by percentile of the `ok` ops of each kind, A dashed and B solid,
/// on an x axis in percentile nines (the HdrHistogram plot).
pub fn percentile_plot_svg(
    a: &Latencies,
    b: &Latencies,
    name_a: &str,
    name_b: &str,
) -> io::Result<String> {
    let side = |name, latencies| PlotSide {
        name,
        latencies,
        seeds: None,
    };
    comparison_plot_svg(&[side(name_a, a), side(name_b, b)], &Options::default())
}

/// One curve of the plot, with its band (nines, low ms, high ms).
struct Curve {
    label: String,
    colour: RGBColor,
    dashed: bool,
    points: Vec<(f64, f64)>,
    band: Vec<(f64, f64, f64)>,
}

/// The band of one side's curve: at nines 0, 0.1, 0.2, … while at least
/// [`MIN_TAIL_OPS`] ops lie beyond, the central `confidence` share of the
/// bootstrap replicates of that percentile, seeds resampled.
fn band(seeds: &SeedLatencies, kind: &str, options: &Options) -> Vec<(f64, f64, f64)> {
    let hists = seeds.row(ALL, kind, Outcome::Ok);
    let count: u64 = hists.iter().flatten().map(|h| h.len()).sum();
    let with_ops = hists.iter().flatten().filter(|h| !h.is_empty()).count();
    if with_ops < MIN_SEEDS {
        return Vec::new();
    }
    let grid: Vec<f64> = (0..=70)
        .map(|i| f64::from(i) / 10.0)
        .take_while(|x| count as f64 * 10f64.powf(-x) >= MIN_TAIL_OPS)
        .collect();
    let quantiles: Vec<f64> = grid.iter().map(|x| 1.0 - 10f64.powf(-x)).collect();
    let name = format!("plot/{kind}.ok");
    let Some((_, replicates)) = bootstrap_values(
        &hists,
        &hists,
        Pairing::Unpaired,
        &quantiles,
        options.resamples,
        options.bootstrap_seed,
        &name,
    ) else {
        return Vec::new();
    };
    let tail = (1.0 - options.confidence) / 2.0;
    grid.iter()
        .enumerate()
        .filter_map(|(qi, &x)| {
            let mut values: Vec<u64> = replicates.iter().flatten().map(|(a, _)| a[qi]).collect();
            if values.is_empty() {
                return None;
            }
            values.sort_unstable();
            let n = values.len();
            let low = values[((tail * n as f64) as usize).min(n - 1)];
            let high = values[(((1.0 - tail) * n as f64).ceil() as usize).clamp(1, n) - 1];
            Some((x, low as f64 / NS_PER_MS, high as f64 / NS_PER_MS))
        })
        .collect()
}

/// Latency (log scale) by percentile (nines) of the `ok` ops of each kind
/// for both sides, A dashed and B solid; each sweep side with per-seed
/// histograms gets a shaded band (its bootstrap interval over seeds at
/// `options.confidence`). The legend stands to the right of the chart.
pub fn comparison_plot_svg(sides: &[PlotSide<'_>; 2], options: &Options) -> io::Result<String> {
    let kinds: BTreeSet<&str> = sides.iter().flat_map(|s| s.latencies.kinds()).collect();
    let mut curves = Vec::new();
    for (k, kind) in kinds.iter().enumerate() {
        let colour = rgb(KIND_COLOURS[k % KIND_COLOURS.len()]);
        for (i, side) in sides.iter().enumerate() {
            if let Some(h) = side.latencies.get(kind, Outcome::Ok) {
                curves.push(Curve {
                    label: format!("{kind} ok, {}", short(side.name)),
                    colour,
                    dashed: i == 0,
                    points: percentile_curve(h),
                    band: side.seeds.map_or_else(Vec::new, |s| band(s, kind, options)),
                });
            }
        }
    }
    let ys = curves.iter().flat_map(|c| {
        c.points
            .iter()
            .map(|p| p.1)
            .chain(c.band.iter().flat_map(|b| [b.1, b.2]))
    });
    let (y_min, y_max) = ys.fold((f64::INFINITY, 0.001f64), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    let y_floor = (y_min / 1.5).clamp(0.001, 1.0);
    let x_max = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .fold(1.0f64, f64::max)
        .ceil()
        .min(7.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1200, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let (plot_area, legend_area) = root.split_horizontally(860);
        let mut chart = ChartBuilder::on(&plot_area)
            .caption("latency by percentile (ok ops)", ("sans-serif", 18))
            .margin(12)
            .margin_right(40) // the last nines label is centred on the edge
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max, (y_floor..y_max * 1.5).log_scale())
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_labels(x_max as usize + 1)
            .x_label_formatter(&|x| nines_label(*x))
            .y_label_formatter(&|y| format!("{y}"))
            .x_desc("percentile")
            .y_desc("latency (ms of simulated time, log scale)")
            .draw()
            .map_err(plot_error)?;
        for c in &curves {
            if c.band.len() > 1 {
                let upper = c.band.iter().map(|b| (b.0, b.2));
                let lower = c.band.iter().rev().map(|b| (b.0, b.1));
                let outline: Vec<(f64, f64)> = upper.chain(lower).collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        outline,
                        c.colour.mix(0.15).filled(),
                    )))
                    .map_err(plot_error)?;
            }
        }
        for c in &curves {
            let style = c.colour.stroke_width(2);
            let points = c.points.iter().map(|&(x, y)| (x, y.max(y_floor)));
            if c.dashed {
                chart.draw_series(DashedLineSeries::new(points, 6, 4, style))
            } else {
                chart.draw_series(LineSeries::new(points, style))
            }
            .map_err(plot_error)?;
        }
        draw_side_legend(&legend_area, &curves, options)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// `name` cut to its last 30 characters (behind `…`), to fit the legend.
fn short(name: &str) -> String {
    let n = name.chars().count();
    if n <= 30 {
        return name.to_string();
    }
    let tail: String = name.chars().skip(n - 29).collect();
    format!("…{tail}")
}

/// The legend, in its own area right of the chart: one line sample and
/// label per curve, and what the bands are.
fn draw_side_legend(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    curves: &[Curve],
    options: &Options,
) -> io::Result<()> {
    let font = ("sans-serif", 13).into_font();
    let mut y = 50;
    for c in curves {
        let style = c.colour.stroke_width(2);
        let gap = if c.dashed { 6 } else { 0 };
        area.draw(&PathElement::new(vec![(8, y), (18, y)], style))
            .map_err(plot_error)?;
        area.draw(&PathElement::new(vec![(18 + gap, y), (34, y)], style))
            .map_err(plot_error)?;
        area.draw(&Text::new(c.label.clone(), (40, y - 7), font.clone()))
            .map_err(plot_error)?;
        y += 22;
    }
    if curves.iter().any(|c| !c.band.is_empty()) {
        let note = format!(
            "bands: {:.0}% bootstrap interval over seeds",
            options.confidence * 100.0
        );
        area.draw(&Text::new(note, (8, y + 4), font.clone()))
            .map_err(plot_error)?;
        y += 22;
    }
    area.draw(&Text::new("A dashed, B solid", (8, y + 4), font))
        .map_err(plot_error)?;
    Ok(())
}
