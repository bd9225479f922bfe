//! Plots drawn with `plotters` (SVG backend, no system fonts): latency over
//! time with fault windows shaded, and latency by percentile for A vs B.

use super::faults::FaultWindow;
use super::{fault_colour, outcome_colour};
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

/// Latency by percentile of the `ok` ops of each kind, A dashed and B solid,
/// on an x axis in percentile nines (the HdrHistogram plot).
pub fn percentile_plot_svg(
    a: &Latencies,
    b: &Latencies,
    name_a: &str,
    name_b: &str,
) -> io::Result<String> {
    let kinds: BTreeSet<&str> = a.kinds().into_iter().chain(b.kinds()).collect();
    let mut curves = Vec::new();
    for (k, kind) in kinds.iter().enumerate() {
        let colour = rgb(KIND_COLOURS[k % KIND_COLOURS.len()]);
        for (side, lat, name) in [(0, a, name_a), (1, b, name_b)] {
            if let Some(h) = lat.get(kind, Outcome::Ok) {
                curves.push((
                    format!("{kind} ok, {name}"),
                    colour,
                    side,
                    percentile_curve(h),
                ));
            }
        }
    }
    let all = curves.iter().flat_map(|c| c.3.iter());
    let (x_max, y_max) = all.fold((1.0f64, 0.001f64), |(x, y), p| (x.max(p.0), y.max(p.1)));
    let x_max = x_max.ceil().min(7.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("latency by percentile (ok ops)", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max * 1.05)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_labels(x_max as usize + 1)
            .x_label_formatter(&|x| nines_label(*x))
            .x_desc("percentile")
            .y_desc("latency (ms of simulated time)")
            .draw()
            .map_err(plot_error)?;
        for (label, colour, side, points) in curves {
            let style = colour.stroke_width(2);
            let drawn = if side == 0 {
                chart.draw_series(DashedLineSeries::new(points, 6, 4, style))
            } else {
                chart.draw_series(LineSeries::new(points, style))
            };
            let gap = if side == 0 { 6 } else { 0 };
            drawn
                .map_err(plot_error)?
                .label(label)
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (7, 0)], style)
                        + PathElement::new(vec![(7 + gap, 0), (20, 0)], style)
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}
