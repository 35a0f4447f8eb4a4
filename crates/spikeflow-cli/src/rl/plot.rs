//! `returns.png`: the return of every episode and its moving average.

use crate::plots::{fonts, legend, plotters_err, write_png, FONT};
use anyhow::Result;
use plotters::prelude::*;
use spikeflow::rl::EpisodeRecorder;
use std::path::Path;

/// Return per episode (thin, light) and its trailing `window`-episode mean
/// (thick).
pub fn returns(path: &Path, title: &str, rec: &EpisodeRecorder, window: usize) -> Result<()> {
    fonts();
    let (w, h) = (900u32, 520u32);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    let r = rec.returns();
    let ma = rec.moving_average(window);
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plotters_err)?;
        let lo = r.iter().copied().fold(0.0f32, f32::min) as f64;
        let hi = r.iter().copied().fold(1.0f32, f32::max) as f64;
        let pad = 0.05 * (hi - lo).max(1.0);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..(r.len().max(2) - 1) as f64, (lo - pad)..(hi + pad))
            .map_err(plotters_err)?;
        chart
            .configure_mesh()
            .x_desc("episode")
            .y_desc("return")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style((FONT, 14))
            .draw()
            .map_err(plotters_err)?;
        let light = RGBColor(160, 190, 220);
        let dark = RGBColor(214, 39, 40);
        chart
            .draw_series(LineSeries::new(
                r.iter().enumerate().map(|(k, &v)| (k as f64, f64::from(v))),
                light.stroke_width(1),
            ))
            .map_err(plotters_err)?
            .label("return")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], light.stroke_width(2))
            });
        let label = format!("mean of the last {window}");
        chart
            .draw_series(LineSeries::new(
                ma.iter()
                    .enumerate()
                    .map(|(k, &v)| (k as f64, f64::from(v))),
                dark.stroke_width(3),
            ))
            .map_err(plotters_err)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], dark.stroke_width(3))
            });
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(plotters_err)?;
    }
    write_png(path, w, h, &buf)
}

/// `weights.png` of the distal-reward task: the chosen synapse's weight
/// and the mean excitatory weight, once per simulated second.
pub fn weights_over_time(
    path: &Path,
    title: &str,
    chosen: &[f32],
    mean: &[f32],
    w_max: f32,
) -> Result<()> {
    fonts();
    let (w, h) = (900u32, 520u32);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plotters_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(
                0.0..(chosen.len().max(2)) as f64 / 60.0,
                0.0..f64::from(w_max) * 1.05,
            )
            .map_err(plotters_err)?;
        chart
            .configure_mesh()
            .x_desc("simulated time (min)")
            .y_desc("synaptic weight")
            .label_style((FONT, 14))
            .draw()
            .map_err(plotters_err)?;
        let series = [
            ("rewarded synapse", chosen, RGBColor(214, 39, 40), 3),
            ("mean excitatory weight", mean, RGBColor(31, 119, 180), 2),
        ];
        for (name, v, c, width) in series {
            chart
                .draw_series(LineSeries::new(
                    v.iter()
                        .enumerate()
                        .map(|(k, &y)| ((k + 1) as f64 / 60.0, f64::from(y))),
                    c.stroke_width(width),
                ))
                .map_err(plotters_err)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(width))
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(plotters_err)?;
    }
    write_png(path, w, h, &buf)
}

/// One line per `(label, values)`, all against `x` (the XOR task's output
/// rates per pattern, and its fraction of runs solved, per epoch).
pub fn lines(
    path: &Path,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    x: &[f64],
    series: &[(String, Vec<f32>)],
) -> Result<()> {
    fonts();
    let (w, h) = (900u32, 520u32);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    let colors = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
        RGBColor(255, 127, 14),
    ];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plotters_err)?;
        let x_max = x.iter().copied().fold(1.0f64, f64::max);
        let y_max = series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .fold(1e-6f32, f32::max);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..x_max, 0.0..f64::from(y_max) * 1.08)
            .map_err(plotters_err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style((FONT, 14))
            .draw()
            .map_err(plotters_err)?;
        for (k, (name, v)) in series.iter().enumerate() {
            let c = colors[k % colors.len()];
            chart
                .draw_series(LineSeries::new(
                    x.iter().zip(v).map(|(&x, &y)| (x, f64::from(y))),
                    c.stroke_width(2),
                ))
                .map_err(plotters_err)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(plotters_err)?;
    }
    write_png(path, w, h, &buf)
}
