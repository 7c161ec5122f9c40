//! Charts drawn by plotters into an SVG string, then put in the page. The SVG
//! uses presentation attributes (`fill`, `stroke`), never `style`, so the
//! strict CSP holds. Each chart also carries a text alternative.
//!
//! Drawing is a split point ([`draw`]): plotters and this module's drawing
//! code load with the first chart, beside the data it shows, not with the app.

use chrono::{Duration, NaiveDate};
use leptos::prelude::*;
use model::api as json;
use plotters::prelude::*;

/// One line of a chart: its name, colour and one value per day.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend's name.
    pub name: &'static str,
    /// Its colour, as `#rrggbb` (the CSS tokens' values).
    pub color: &'static str,
    /// The values, one per day of the chart.
    pub values: Vec<f64>,
}

/// `#rrggbb` as a plotters colour (grey when malformed).
fn rgb(hex: &str) -> RGBColor {
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(0x80);
    RGBColor(byte(1), byte(3), byte(5))
}

/// Text colour of axis labels (`--text-muted`).
const LABEL: &str = "#5b6474";
/// Grid lines (`--border`).
const GRID: &str = "#e2e5ea";

/// Lines over `days` (in order, gaps allowed: the x axis is time), y from 0
/// to `y_max`, as SVG.
fn daily_svg(days: &[NaiveDate], series: &[Series], y_max: f64, y_suffix: &str, size: (u32, u32)) -> String {
    let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
        return String::new();
    };
    let x = |day: NaiveDate| (day - first).num_days() as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let label_font = ("sans-serif", 13).into_font().color(&rgb(LABEL));
        let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(26)
            .y_label_area_size(46)
            .build_cartesian_2d(0f64..x(last).max(1.0), 0f64..y_max)
        else {
            return String::new();
        };
        let x_label = |x: &f64| crate::format::day_month(first + Duration::days(x.round() as i64));
        let y_label = |y: &f64| format!("{y:.0}{y_suffix}");
        let drawn = chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(rgb(GRID))
            .axis_style(rgb(GRID))
            .x_labels(days.len().min(5))
            .y_labels(5)
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .label_style(label_font)
            .draw();
        if drawn.is_err() {
            return String::new();
        }
        for line in series {
            let color = rgb(line.color);
            let points: Vec<(f64, f64)> = days
                .iter()
                .zip(&line.values)
                .map(|(day, y)| (x(*day), *y))
                .collect();
            let _ = chart.draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)));
            // A single day still shows as a dot.
            if points.len() == 1 {
                let _ = chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled())));
            }
        }
        let _ = root.present();
    }
    svg
}

/// Horizontal bars from 0 to 100 %, one per label, the first on top.
fn bars_svg(labels: &[String], percents: &[f64], color: &str, size: (u32, u32)) -> String {
    let n = labels.len() as u32;
    if n == 0 {
        return String::new();
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let label_font = ("sans-serif", 13).into_font().color(&rgb(LABEL));
        let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(24)
            .y_label_area_size(150)
            .build_cartesian_2d(0f64..100f64, (0u32..n).into_segmented())
        else {
            return String::new();
        };
        // Segment 0 is at the bottom: the first label goes in the last one.
        let name = |value: &SegmentValue<u32>| match value {
            SegmentValue::CenterOf(i) => labels.get((n - 1 - i) as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let x_label = |x: &f64| format!("{x:.0}%");
        let drawn = chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(rgb(GRID))
            .axis_style(rgb(GRID))
            .x_labels(5)
            .y_labels(labels.len())
            .x_label_formatter(&x_label)
            .y_label_formatter(&name)
            .label_style(label_font)
            .draw();
        if drawn.is_err() {
            return String::new();
        }
        let bars = Histogram::horizontal(&chart)
            .style(rgb(color).filled())
            .margin(5)
            .data(percents.iter().enumerate().map(|(i, p)| (n - 1 - i as u32, *p)));
        let _ = chart.draw_series(bars);
        let _ = root.present();
    }
    svg
}

/// Vertical bars, one per bin of `width` points from 0, each coloured by
/// `color_of(bin)`, with an x label every `label_every` bins.
fn histogram_svg(
    counts: &[i64],
    width: u32,
    label_every: u32,
    color_of: fn(u32) -> &'static str,
    size: (u32, u32),
) -> String {
    let n = counts.len() as u32;
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let label_font = ("sans-serif", 13).into_font().color(&rgb(LABEL));
        let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(24)
            .y_label_area_size(46)
            .build_cartesian_2d((0u32..n).into_segmented(), 0f64..top)
        else {
            return String::new();
        };
        let x_label = |value: &SegmentValue<u32>| match value {
            SegmentValue::CenterOf(i) if i % label_every == 0 => format!("{}", i * width),
            _ => String::new(),
        };
        let y_label = |y: &f64| format!("{y:.0}");
        let drawn = chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(rgb(GRID))
            .axis_style(rgb(GRID))
            .x_labels(counts.len())
            .y_labels(5)
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .label_style(label_font)
            .draw();
        if drawn.is_err() {
            return String::new();
        }
        let bars = Histogram::vertical(&chart)
            .style_func(|bin, _| {
                let bin = match bin {
                    SegmentValue::Exact(i) | SegmentValue::CenterOf(i) => *i,
                    SegmentValue::Last => n.saturating_sub(1),
                };
                rgb(color_of(bin)).filled()
            })
            .margin(2)
            .data(counts.iter().enumerate().map(|(i, c)| (i as u32, *c as f64)));
        let _ = chart.draw_series(bars);
        let _ = root.present();
    }
    svg
}

/// A chart to draw: the arguments of one of this module's drawing functions.
#[derive(Debug, Clone)]
pub enum Drawing {
    /// Lines over days, y from 0 to `y_max` ([`daily_svg`]).
    Daily {
        /// The days, oldest first.
        days: Vec<NaiveDate>,
        /// The lines.
        series: Vec<Series>,
        /// The top of the y axis.
        y_max: f64,
        /// After each y label, e.g. `%`.
        y_suffix: &'static str,
    },
    /// Horizontal bars from 0 to 100 %, one per label ([`bars_svg`]).
    Bars {
        /// The bars' labels, the first on top.
        labels: Vec<String>,
        /// Their percentages.
        percents: Vec<f64>,
        /// Their colour.
        color: &'static str,
    },
    /// Vertical bars, one per bin of `width` points ([`histogram_svg`]).
    Histogram {
        /// Each bin's count.
        counts: Vec<i64>,
        /// Points a bin.
        width: u32,
        /// An x label every so many bins.
        label_every: u32,
        /// A bin's colour.
        color_of: fn(u32) -> &'static str,
    },
}

/// `drawing` as SVG of `size` pixels. The one way in to plotters: the
/// code behind it is a chunk of its own, fetched when the first chart is drawn.
#[lazy]
pub fn draw(drawing: Drawing, size: (u32, u32)) -> String {
    match drawing {
        Drawing::Daily {
            days,
            series,
            y_max,
            y_suffix,
        } => daily_svg(&days, &series, y_max, y_suffix, size),
        Drawing::Bars {
            labels,
            percents,
            color,
        } => bars_svg(&labels, &percents, color, size),
        Drawing::Histogram {
            counts,
            width,
            label_every,
            color_of,
        } => histogram_svg(&counts, width, label_every, color_of, size),
    }
}

/// Starts fetching the charts' code, for a screen that will draw charts once
/// its data arrive: the code then loads beside the data, not after them.
pub fn preload() {
    leptos::task::spawn_local(__preload_draw());
}

/// An SVG chart with its legend and a text alternative for screen readers.
#[component]
pub fn Chart(
    /// What the chart shows, in words (its accessible name).
    #[prop(into)]
    description: String,
    /// What to draw.
    drawing: Drawing,
    /// Its size in pixels.
    size: (u32, u32),
    /// `(name, colour)` per legend entry.
    #[prop(optional)]
    legend: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    let svg = LocalResource::new(move || draw(drawing.clone(), size));
    view! {
        <figure class="chart">
            <div
                class="chart-canvas"
                role="img"
                aria-label=description
                inner_html=move || svg.get().unwrap_or_default()
            ></div>
            {(!legend.is_empty())
                .then(|| {
                    view! {
                        <figcaption class="chart-legend">
                            {legend
                                .into_iter()
                                .map(|(name, color)| {
                                    view! {
                                        <span>
                                            <span class="legend-swatch" style:background-color=color></span>
                                            {name}
                                        </span>
                                    }
                                })
                                .collect_view()}
                        </figcaption>
                    }
                })}
        </figure>
    }
}

/// Lines over days ([`daily_svg`]) in a [`Chart`].
#[component]
pub fn DailyChart(
    /// What the chart shows, in words (its accessible name).
    #[prop(into)]
    description: String,
    /// The days, oldest first.
    days: Vec<NaiveDate>,
    /// The lines.
    series: Vec<Series>,
    /// The top of the y axis.
    y_max: f64,
    /// After each y label, e.g. `%`.
    #[prop(default = "")]
    y_suffix: &'static str,
) -> impl IntoView {
    let legend = series.iter().map(|line| (line.name, line.color)).collect();
    let drawing = Drawing::Daily {
        days,
        series,
        y_max,
        y_suffix,
    };
    view! { <Chart description drawing size=(560, 230) legend /> }
}

/// Owner coverage of agents and credentials, one point per day of
/// `history`, in its card: the Overview's and My teams' trend.
#[component]
pub fn CoverageTrend(
    /// The days, oldest first (today's last, from live figures).
    history: Vec<json::PosturePoint>,
) -> impl IntoView {
    let days: Vec<NaiveDate> = history.iter().map(|p| p.day).collect();
    let since = days.first().map(|d| crate::format::day(*d)).unwrap_or_default();
    let percent = |share: json::Share| share.percent() as f64;
    let today = history
        .last()
        .map_or((0, 0), |p| (p.agents.percent(), p.credentials.percent()));
    let series = vec![
        Series {
            name: "Agents with an owner",
            color: "#0e7490",
            values: history.iter().map(|p| percent(p.agents)).collect(),
        },
        Series {
            name: "Credentials with an owner",
            color: "#b45309",
            values: history.iter().map(|p| percent(p.credentials)).collect(),
        },
    ];
    view! {
        <section class="card section" data-testid="coverage-trend">
            <h2>"Owner coverage since " {since.clone()}</h2>
            <DailyChart
                description=format!(
                    "Owner coverage since {since}: agents {}%, credentials {}% today",
                    today.0,
                    today.1,
                )
                days
                series
                y_max=100.0
                y_suffix="%"
            />
        </section>
    }
}
