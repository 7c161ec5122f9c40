//! The report's charts: line charts drawn as SVG.

use plotters::prelude::*;

/// A line chart of named series over the days, as SVG; `None` below two days.
pub(super) fn chart(
    title: &str,
    days: &[String],
    series: &[(&str, Vec<f64>, RGBColor)],
    max: f64,
) -> Option<String> {
    if days.len() < 2 {
        return None;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 260)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d(0..days.len() - 1, 0.0..max.max(1.0))
            .ok()?;
        chart
            .configure_mesh()
            .x_labels(6)
            .x_label_formatter(&|i| days.get(*i).map(|d| d[5..].to_owned()).unwrap_or_default())
            .draw()
            .ok()?;
        for (name, values, color) in series {
            let color = *color;
            chart
                .draw_series(LineSeries::new(
                    values.iter().copied().enumerate(),
                    color.stroke_width(2),
                ))
                .ok()?
                .label(*name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.9))
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    Some(svg)
}
