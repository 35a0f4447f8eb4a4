//! The pictures of `spikeflow train`/`eval`, as PNG files: receptive fields,
//! accuracy curve, spike raster, confusion matrix.
//!
//! Charts are drawn by plotters' bitmap backend into a buffer and encoded by
//! the `png` crate; text uses DejaVu Sans embedded in the binary (through
//! plotters' ab_glyph feature), so no system font or library is needed.

use anyhow::{Context, Result};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use spikeflow::evaluation::ConfusionMatrix;
use std::path::Path;
use std::sync::Once;

pub(crate) const FONT: &str = "sans-serif";

pub(crate) fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font parses; a failure would only lose the text.
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

/// Writes an RGB8 buffer (`w × h × 3`) as a PNG.
pub fn write_png(path: &Path, w: u32, h: u32, rgb: &[u8]) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc
        .write_header()
        .with_context(|| format!("cannot write {}", path.display()))?;
    writer
        .write_image_data(rgb)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writer
        .finish()
        .with_context(|| format!("cannot write {}", path.display()))
}

pub(crate) fn plotters_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing failed: {e:?}")
}

/// Matplotlib's `hot_r` colour map (white → yellow → red → black) at
/// `v ∈ [0, 1]`: the colour BindsNET's `plot_weights` uses.
fn hot_r(v: f32) -> [u8; 3] {
    let x = (1.0 - v.clamp(0.0, 1.0)) as f64;
    let r = (x / 0.365_079).min(1.0);
    let g = ((x - 0.365_079) / (0.746_032 - 0.365_079)).clamp(0.0, 1.0);
    let b = ((x - 0.746_032) / (1.0 - 0.746_032)).clamp(0.0, 1.0);
    [(r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8]
}

/// The receptive fields of `n` neurons as one picture: `weights` is the
/// learned input connection `[n_in × n]` (row-major, input-major), each
/// neuron's column reshaped to `side × side`, scaled to its own range, tiled
/// in a `⌈√n⌉`-wide grid (BindsNET's `get_square_weights` + `plot_weights`).
pub fn receptive_fields(path: &Path, weights: &[f32], n: usize, side: usize) -> Result<()> {
    let n_in = weights.len() / n.max(1);
    anyhow::ensure!(
        n > 0 && n_in == side * side && weights.len() == n_in * n,
        "receptive fields: {} weights are not {side}×{side} inputs × {n} neurons",
        weights.len()
    );
    let cols = (n as f64).sqrt().ceil() as usize;
    let rows = n.div_ceil(cols);
    let gap = 1;
    let tile = side + gap;
    // Scale so that small grids are still readable.
    let scale = (840 / (cols * tile)).clamp(1, 6);
    let (w, h) = ((cols * tile + gap) * scale, (rows * tile + gap) * scale);
    let mut rgb = vec![96u8; w * h * 3];
    for j in 0..n {
        let (gr, gc) = (j / cols, j % cols);
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for i in 0..n_in {
            let v = weights[i * n + j];
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let range = if hi > lo { hi - lo } else { 1.0 };
        for i in 0..n_in {
            let c = hot_r((weights[i * n + j] - lo) / range);
            let (py, px) = (gap + gr * tile + i / side, gap + gc * tile + i % side);
            for dy in 0..scale {
                for dx in 0..scale {
                    let o = ((py * scale + dy) * w + px * scale + dx) * 3;
                    rgb[o..o + 3].copy_from_slice(&c);
                }
            }
        }
    }
    write_png(path, w as u32, h as u32, &rgb)
}

/// The series' legend, boxed, at `position`.
pub fn legend<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, CT>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FONT, 14))
        .position(position)
        .draw()
        .map_err(plotters_err)
}

/// One line of the accuracy curve.
pub struct Series<'a> {
    /// Legend.
    pub name: &'a str,
    /// `(samples seen, accuracy in [0, 1])`.
    pub points: Vec<(f64, f64)>,
    /// Error bars `(samples seen, low, high)` in [0, 1] (an accuracy's 95 %
    /// interval), drawn as whiskers in the series' colour; may be empty.
    pub bars: Vec<(f64, f64, f64)>,
}

/// Series with at most this many points get a dot at each (an accuracy
/// per epoch); longer ones (an accuracy every few hundred images) stay
/// lines.
const DOTS_UP_TO: usize = 40;

/// The accuracy axis for accuracies `lo..=hi` in percent: the
/// data's range widened on each side by 5 % of it, at least one
/// percentage point, rounded out to whole percents and kept within 0–100
/// — so that a curve which settles (94.3–94.7 % over twelve epochs) is not
/// a flat line under the top of a 0–100 axis.
fn accuracy_axis(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let (lo, hi) = (lo.clamp(0.0, 100.0), hi.clamp(0.0, 100.0));
    let margin = (0.05 * (hi - lo)).max(1.0);
    let bottom = (lo - margin).floor().max(0.0);
    let top = (hi + margin).ceil().min(100.0);
    bottom..top
}

/// How many labels the accuracy axis `y` (whole percents, as
/// [`accuracy_axis`] gives) asks for, and their decimals: a span under 5
/// points is labelled in tenths (plotters picks steps of 0.1–0.5 for up to
/// 11 labels); wider ones ask for at most one label per point, so that
/// plotters' steps stay whole and whole numbers print them exactly.
fn accuracy_labels(y: &std::ops::Range<f64>) -> (usize, usize) {
    let span = y.end - y.start;
    if span < 5.0 {
        (11, 1)
    } else {
        ((span as usize + 1).min(11), 0)
    }
}

/// Each series' finite points `(x, percent)` and finite bars `(x, low %,
/// high %)`: plotters would put a NaN at the axis' bottom, where it would
/// read as a value.
#[allow(clippy::type_complexity)]
fn in_percent(series: &[Series<'_>]) -> (Vec<Vec<(f64, f64)>>, Vec<Vec<(f64, f64, f64)>>) {
    let points = series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .map(|&(x, y)| (x, 100.0 * y))
                .collect()
        })
        .collect();
    let bars = series
        .iter()
        .map(|s| {
            s.bars
                .iter()
                .filter(|b| b.0.is_finite() && b.1.is_finite() && b.2.is_finite())
                .map(|&(x, lo, hi)| (x, 100.0 * lo, 100.0 * hi))
                .collect()
        })
        .collect();
    (points, bars)
}

/// The curve's axes: x from 0 to 3 % right of the last point or bar (so
/// that its dot is whole), y the [`accuracy_axis`] of every point and bar
/// end (0–100 % when there is none).
fn curve_axes(
    points: &[Vec<(f64, f64)>],
    bars: &[Vec<(f64, f64, f64)>],
) -> (f64, std::ops::Range<f64>) {
    let points = points.iter().flatten();
    let bars = bars.iter().flatten();
    let xs = points.clone().map(|p| p.0).chain(bars.clone().map(|b| b.0));
    let x_max = 1.03 * xs.fold(1.0, f64::max);
    let ys = points.map(|p| p.1).chain(bars.flat_map(|b| [b.1, b.2]));
    let y = match ys.fold(None, |r: Option<(f64, f64)>, a| {
        Some(r.map_or((a, a), |(l, h)| (l.min(a), h.max(a))))
    }) {
        Some((lo, hi)) => accuracy_axis(lo, hi),
        None => 0.0..100.0,
    };
    (x_max, y)
}

/// Accuracy over training (percent against samples seen), with each
/// series' error bars as whiskers.
pub fn accuracy_curve(path: &Path, title: &str, series: &[Series<'_>]) -> Result<()> {
    fonts();
    let (w, h) = (900u32, 520u32);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plotters_err)?;
        let (points, bars) = in_percent(series);
        let (x_max, y) = curve_axes(&points, &bars);
        let (y_labels, decimals) = accuracy_labels(&y);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            // Room for the x axis' last label, centred on the edge.
            .margin_right(30)
            .build_cartesian_2d(0.0..x_max, y)
            .map_err(plotters_err)?;
        chart
            .configure_mesh()
            .x_desc("training samples")
            .y_desc("accuracy (%)")
            // Whole samples: no more labels than samples on the axis.
            .x_labels((x_max as usize + 1).min(10))
            .y_labels(y_labels)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.decimals$}"))
            .label_style((FONT, 14))
            .draw()
            .map_err(plotters_err)?;
        let colours = [
            RGBColor(31, 119, 180),
            RGBColor(255, 127, 14),
            RGBColor(44, 160, 44),
        ];
        for (k, (s, points)) in series.iter().zip(&points).enumerate() {
            let c = colours[k % colours.len()];
            chart
                .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
                .map_err(plotters_err)?
                .label(s.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
            if points.len() <= DOTS_UP_TO {
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 4, c.filled())))
                    .map_err(plotters_err)?;
            }
            // A whisker per bar, its caps 0.6 % of the axis wide.
            let cap = 0.006 * x_max;
            let whisker = |&(x, lo, hi): &(f64, f64, f64)| {
                [
                    vec![(x, lo), (x, hi)],
                    vec![(x - cap, lo), (x + cap, lo)],
                    vec![(x - cap, hi), (x + cap, hi)],
                ]
            };
            chart
                .draw_series(
                    bars[k]
                        .iter()
                        .flat_map(whisker)
                        .map(|line| PathElement::new(line, c.stroke_width(1))),
                )
                .map_err(plotters_err)?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present().map_err(plotters_err)?;
    }
    write_png(path, w, h, &buf)
}

/// A spike raster of one presentation: each population's spikes
/// (`[steps × n]`) stacked bottom to top, time in ms on the x axis.
pub fn raster(path: &Path, title: &str, pops: &[(String, usize, Vec<f32>)], dt: f32) -> Result<()> {
    fonts();
    let (w, h) = (1000u32, 640u32);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plotters_err)?;
        let n = pops.len().max(1);
        let areas = root
            .titled(title, (FONT, 20))
            .map_err(plotters_err)?
            .split_evenly((n, 1));
        let colours = [
            RGBColor(40, 40, 40),
            RGBColor(200, 30, 30),
            RGBColor(30, 60, 200),
        ];
        for (k, ((name, size, spikes), area)) in pops.iter().zip(areas.iter()).enumerate() {
            let steps = spikes.len() / (*size).max(1);
            let t_max = (steps as f64 * f64::from(dt)).max(f64::from(dt));
            let count = spikes.iter().filter(|&&s| s != 0.0).count();
            let mut chart = ChartBuilder::on(area)
                .caption(
                    format!("{name}: {size} neurons, {count} spikes"),
                    (FONT, 14),
                )
                .margin(6)
                .x_label_area_size(if k + 1 == n { 30 } else { 18 })
                .y_label_area_size(50)
                .build_cartesian_2d(0.0..t_max, 0.0..(*size as f64))
                .map_err(plotters_err)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc(if k + 1 == n { "time (ms)" } else { "" })
                .y_desc("neuron")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .label_style((FONT, 12))
                .draw()
                .map_err(plotters_err)?;
            let c = colours[k % colours.len()];
            let r = if *size > 200 { 1 } else { 2 };
            chart
                .draw_series(
                    spikes
                        .iter()
                        .enumerate()
                        .filter(|(_, &s)| s != 0.0)
                        .map(|(i, _)| {
                            let (t, j) = (i / size, i % size);
                            Circle::new(
                                ((t as f64 + 0.5) * f64::from(dt), j as f64 + 0.5),
                                r,
                                c.filled(),
                            )
                        }),
                )
                .map_err(plotters_err)?;
        }
        root.present().map_err(plotters_err)?;
    }
    write_png(path, w, h, &buf)
}

/// A confusion matrix as a heat map with counts (rows: true label, columns:
/// prediction, last column: no prediction).
pub fn confusion(path: &Path, title: &str, cm: &ConfusionMatrix) -> Result<()> {
    fonts();
    let k = cm.n_labels();
    let cell = 56u32;
    let (left, top) = (70u32, 70u32);
    let (w, h) = (
        left + cell * (k as u32 + 1) + 20,
        top + cell * k as u32 + 50,
    );
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plotters_err)?;
        let text = |s: &str, x: i32, y: i32, size: u32, colour: &RGBColor| {
            root.draw(&Text::new(
                s.to_string(),
                (x, y),
                (FONT, size)
                    .into_font()
                    .color(colour)
                    .pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Center,
                        plotters::style::text_anchor::VPos::Center,
                    )),
            ))
        };
        text(title, (w / 2) as i32, 18, 18, &BLACK).map_err(plotters_err)?;
        text(
            "predicted",
            (left + cell * (k as u32 + 1) / 2) as i32,
            38,
            14,
            &BLACK,
        )
        .map_err(plotters_err)?;
        text("true", 18, (top + cell * k as u32 / 2) as i32, 14, &BLACK).map_err(plotters_err)?;
        for t in 0..k {
            let support = cm.support(t).max(1) as f64;
            text(
                &t.to_string(),
                (left - 16) as i32,
                (top + cell * t as u32 + cell / 2) as i32,
                14,
                &BLACK,
            )
            .map_err(plotters_err)?;
            for p in 0..=k {
                let c = if p < k {
                    cm.count(t, p)
                } else {
                    cm.unpredicted(t)
                };
                let v = c as f64 / support;
                let shade = (255.0 * (1.0 - v)) as u8;
                let colour = if p == t {
                    RGBColor(shade, shade, 255)
                } else {
                    RGBColor(255, shade, shade)
                };
                let (x0, y0) = (
                    (left + cell * p as u32) as i32,
                    (top + cell * t as u32) as i32,
                );
                root.draw(&Rectangle::new(
                    [(x0, y0), (x0 + cell as i32 - 1, y0 + cell as i32 - 1)],
                    colour.filled(),
                ))
                .map_err(plotters_err)?;
                let ink = if v > 0.6 { WHITE } else { BLACK };
                text(
                    &c.to_string(),
                    x0 + cell as i32 / 2,
                    y0 + cell as i32 / 2,
                    13,
                    &ink,
                )
                .map_err(plotters_err)?;
            }
        }
        for p in 0..=k {
            let label = if p < k { p.to_string() } else { "none".into() };
            text(
                &label,
                (left + cell * p as u32 + cell / 2) as i32,
                (top - 12) as i32,
                14,
                &BLACK,
            )
            .map_err(plotters_err)?;
        }
        text(
            &format!(
                "accuracy {:.2}% ({}/{})",
                100.0 * cm.accuracy(),
                cm.correct(),
                cm.total()
            ),
            (w / 2) as i32,
            (top + cell * k as u32 + 25) as i32,
            15,
            &BLACK,
        )
        .map_err(plotters_err)?;
        root.present().map_err(plotters_err)?;
    }
    write_png(path, w, h, &buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_axis_frames_the_data_in_whole_percents() {
        // The first 6400-neuron run's all-activity accuracies, 90.18–94.70 %.
        assert_eq!(accuracy_axis(90.18, 94.70), 89.0..96.0);
        // A margin of a whole point: 94.50 % → 96 (half a point: 95).
        assert_eq!(accuracy_axis(90.18, 94.50), 89.0..96.0);
        // A wide span gets 5 % of it as margin; the axis stays within 0–100.
        assert_eq!(accuracy_axis(10.0, 95.0), 5.0..100.0);
        assert_eq!(accuracy_axis(0.0, 100.0), 0.0..100.0);
        // One value still spans the axis.
        assert_eq!(accuracy_axis(50.0, 50.0), 49.0..51.0);
        assert_eq!(accuracy_axis(100.0, 100.0), 99.0..100.0);
    }

    #[test]
    fn accuracy_labels_are_whole_steps_or_tenths() {
        // 89..94: one label per point, whole numbers (11 labels would be
        // steps of 0.5, printed as 89 90 90 90 91 …).
        assert_eq!(accuracy_labels(&(89.0..94.0)), (6, 0));
        assert_eq!(accuracy_labels(&(89.0..96.0)), (8, 0));
        assert_eq!(accuracy_labels(&(0.0..100.0)), (11, 0));
        // Under 5 points: tenths.
        assert_eq!(accuracy_labels(&(93.0..97.0)), (11, 1));
        assert_eq!(accuracy_labels(&(99.0..100.0)), (11, 1));
    }

    #[test]
    fn accuracy_curve_writes_a_png_whatever_its_points() {
        let dir = std::env::temp_dir().join(format!("spikeflow-plots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let epochs = Series {
            name: "all activity",
            points: vec![(60000.0, 0.9018), (120000.0, 0.9409), (180000.0, 0.9453)],
            bars: vec![(60000.0, 0.8958, 0.9074), (180000.0, 0.9407, 0.9496)],
        };
        let empty = Series {
            name: "none",
            points: vec![],
            bars: vec![],
        };
        // A point that is not a number: left out of the axis and the drawing.
        let not_a_number = Series {
            name: "NaN",
            points: vec![(1.0, 0.5), (2.0, f64::NAN)],
            bars: vec![(1.0, 0.4, 0.6), (2.0, f64::NAN, 0.7)],
        };
        // Longer than DOTS_UP_TO: a line without dots.
        let long = Series {
            name: "every 250 images",
            points: (1..=240).map(|k| (250.0 * k as f64, 0.9)).collect(),
            bars: vec![],
        };
        for (k, s) in [[epochs], [empty], [not_a_number], [long]]
            .iter()
            .enumerate()
        {
            let png = dir.join(format!("curve{k}.png"));
            accuracy_curve(&png, "test", s).unwrap();
            let bytes = std::fs::read(&png).unwrap();
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn error_bars_are_drawn() {
        let dir = std::env::temp_dir().join(format!("spikeflow-bars-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let curve = |bars: Vec<(f64, f64, f64)>| {
            let s = Series {
                name: "all activity",
                points: vec![(60000.0, 0.9018), (120000.0, 0.9409)],
                bars,
            };
            let png = dir.join("bars.png");
            accuracy_curve(&png, "test", &[s]).unwrap();
            std::fs::read(&png).unwrap()
        };
        // A bar inside the points' axis (89–96 %) changes the picture.
        assert_ne!(curve(vec![]), curve(vec![(60000.0, 0.9000, 0.9050)]));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_axes_take_in_finite_bars_only() {
        let s = |bars| Series {
            name: "all activity",
            points: vec![(60000.0, 0.9018), (120000.0, 0.9409)],
            bars,
        };
        let axes = |series: Series<'_>| {
            let (points, bars) = in_percent(&[series]);
            curve_axes(&points, &bars)
        };
        let (x, y) = axes(s(vec![]));
        assert_eq!((x, y), (1.03 * 120000.0, 89.0..96.0));
        // A bar's low end widens y; a bar past the last point widens x.
        let (x, y) = axes(s(vec![(130000.0, 0.80, 0.9409)]));
        assert_eq!((x, y), (1.03 * 130000.0, 79.0..96.0));
        // A bar that is not a number is left out.
        let (x, y) = axes(s(vec![(130000.0, f64::NAN, 0.99)]));
        assert_eq!((x, y), (1.03 * 120000.0, 89.0..96.0));
    }
}
