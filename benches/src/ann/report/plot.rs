//! The recall@10-vs-QPS chart of a run, written as SVG and PNG.
//!
//! One colour per target: a solid line with round markers for single-client QPS and a
//! dashed, lighter line with triangle markers for the multi-client QPS. The y axis is
//! logarithmic, so points with a non-positive QPS are left out.
//!
//! plotters is built with its `ab_glyph` text backend, which reads no system fonts by
//! itself: a TrueType font must be registered before anything with text is rasterised.
//! The SVG only needs the font's name (the viewer renders the text), so the chart avoids
//! every plotters feature that measures text (captions, built-in legends) and the SVG can
//! be written even where no font file exists; the PNG cannot.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::ann::result::*;

/// Size of both images, in pixels.
const SIZE: (u32, u32) = (1000, 700);
/// Height reserved for the title above the chart.
const TITLE_HEIGHT: u32 = 50;
/// Width reserved for the legend right of the chart.
const LEGEND_WIDTH: u32 = 240;
/// Font family the text is drawn in; the registered TrueType font is filed under it.
const FONT_FAMILY: &str = "sans-serif";
/// Environment variable naming a TTF/OTF file to use instead of the candidates below.
const FONT_ENV: &str = "QUIVER_BENCH_FONT";
/// TrueType fonts tried in order (Debian/Ubuntu, Fedora, Arch, then Liberation).
const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
];
/// Line colours, one per target, reused cyclically.
const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Draws the recall@10-vs-QPS chart of `r` into `svg` and `png`.
///
/// The SVG is always attempted first. When no usable font is installed the SVG is still
/// written, then an error naming the font package to install is returned instead of a PNG
/// without any text.
pub fn plot(r: &Report, png: &Path, svg: &Path) -> Result<(), String> {
    let font = ensure_font();
    let svg_area = SVGBackend::new(svg, SIZE).into_drawing_area();
    draw(&svg_area, r, FONT_FAMILY).map_err(|e| format!("writing {}: {e}", svg.display()))?;
    drop(svg_area);
    font.map_err(|e| format!("cannot write {}: {e}", png.display()))?;
    let png_area = BitMapBackend::new(png, SIZE).into_drawing_area();
    draw(&png_area, r, FONT_FAMILY).map_err(|e| format!("writing {}: {e}", png.display()))
}

/// Registers a system TrueType font as [`FONT_FAMILY`], once per process.
fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED.get_or_init(register_system_font).clone()
}

/// Registers the first readable, valid font of `$QUIVER_BENCH_FONT` and [`FONT_CANDIDATES`].
fn register_system_font() -> Result<(), String> {
    let from_env = std::env::var(FONT_ENV).ok().filter(|p| !p.is_empty());
    let candidates = from_env
        .iter()
        .map(String::as_str)
        .chain(FONT_CANDIDATES.iter().copied());
    for path in candidates {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        // plotters keeps the font for the life of the process and wants it `'static`.
        // This runs at most once per candidate file, so the leak is bounded.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        if register_font(FONT_FAMILY, FontStyle::Normal, bytes).is_ok() {
            return Ok(());
        }
    }
    Err(format!(
        "no TrueType font found for the chart's text (tried {}); install one with \
         `apt-get install fonts-dejavu-core` (package fonts-dejavu-core) or point {FONT_ENV} \
         at a .ttf file",
        FONT_CANDIDATES[0]
    ))
}

/// One target's series: single-client and multi-client (recall@10, QPS) points that can
/// be shown on a log scale.
struct Series<'a> {
    name: &'a str,
    color: RGBColor,
    single: Vec<(f64, f64)>,
    multi: Vec<(f64, f64)>,
}

fn series(r: &Report) -> Vec<Series<'_>> {
    r.targets
        .iter()
        .enumerate()
        .map(|(i, t)| Series {
            name: &t.name,
            color: PALETTE[i % PALETTE.len()],
            single: plottable(t.sweep.iter().map(|p| (p.recall_at_10, p.qps))),
            multi: plottable(t.sweep.iter().map(|p| (p.recall_at_10, p.multi_qps))),
        })
        .collect()
}

/// Keeps the points with a finite recall and a finite, positive QPS.
fn plottable(points: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    points
        .filter(|&(x, y)| x.is_finite() && y.is_finite() && y > 0.0)
        .collect()
}

/// Axis ranges covering every point: recall from just below the lowest value to 1.0,
/// QPS with half a step of headroom on each side of the log axis.
fn ranges(all: &[Series]) -> (Range<f64>, Range<f64>) {
    let points = || all.iter().flat_map(|s| s.single.iter().chain(&s.multi));
    let (mut x_lo, mut y_lo, mut y_hi) = (f64::INFINITY, f64::INFINITY, 0.0_f64);
    for &(x, y) in points() {
        x_lo = x_lo.min(x);
        y_lo = y_lo.min(y);
        y_hi = y_hi.max(y);
    }
    if !x_lo.is_finite() {
        return (0.0..1.0, 1.0..10.0);
    }
    let x_hi = points().map(|p| p.0).fold(1.0_f64, f64::max);
    let margin = ((x_hi - x_lo) * 0.05).max(0.01);
    ((x_lo - margin).max(0.0)..x_hi, y_lo / 1.5..y_hi * 1.5)
}

/// "<dataset> — recall@10 vs QPS (<method> <options>)".
fn title(r: &Report) -> String {
    let index = format!(
        "{} {}",
        r.config.index_method,
        r.config.index_options.trim()
    );
    format!("{} — recall@10 vs QPS ({})", r.dataset.name, index.trim())
}

/// Draws the whole chart on `root` and presents it (writes the file).
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &Report,
    family: &str,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let title_style =
        TextStyle::from((family, 22).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
    let mid = (SIZE.0 / 2) as i32;
    root.draw(&Text::new(
        title(r),
        (mid, (TITLE_HEIGHT / 2) as i32),
        title_style,
    ))
    .map_err(err)?;
    let body = root.margin(TITLE_HEIGHT, 10, 10, 10);
    let (chart_area, legend_area) = body.split_horizontally(SIZE.0 - 20 - LEGEND_WIDTH);
    let all = series(r);
    draw_chart(&chart_area, &all, r.config.clients, family)?;
    draw_legend(&legend_area, &all, r.config.clients, family).map_err(err)?;
    root.present().map_err(err)
}

/// Axes, grid and the lines and markers of every series.
fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    all: &[Series],
    clients: usize,
    family: &str,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (x, y) = ranges(all);
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y.clone().log_scale().with_key_points(log_ticks(&y)))
        .map_err(err)?;
    let multi_desc = format!("queries per second (log scale; dashed: {clients} clients)");
    chart
        .configure_mesh()
        .x_desc("recall@10")
        .y_desc(multi_desc)
        .label_style((family, 15))
        .axis_desc_style((family, 16))
        .bold_line_style(BLACK.mix(0.15))
        .light_line_style(BLACK.mix(0.04))
        .x_label_formatter(&|v| format!("{v:.2}"))
        .y_label_formatter(&|v| format_qps(*v))
        .draw()
        .map_err(err)?;
    for s in all {
        let light = s.color.mix(0.55);
        chart
            .draw_series(LineSeries::new(
                s.single.iter().copied(),
                s.color.stroke_width(2),
            ))
            .map_err(err)?;
        chart
            .draw_series(
                s.single
                    .iter()
                    .map(|&p| Circle::new(p, 4, s.color.filled())),
            )
            .map_err(err)?;
        chart
            .draw_series(DashedLineSeries::new(
                s.multi.iter().copied(),
                8,
                5,
                light.stroke_width(2),
            ))
            .map_err(err)?;
        chart
            .draw_series(
                s.multi
                    .iter()
                    .map(|&p| TriangleMarker::new(p, 5, light.filled())),
            )
            .map_err(err)?;
    }
    if all
        .iter()
        .all(|s| s.single.is_empty() && s.multi.is_empty())
    {
        let (w, h) = area.dim_in_pixel();
        let style =
            TextStyle::from((family, 18).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new(
            "no sweep points with QPS > 0",
            ((w / 2) as i32, (h / 2) as i32),
            style,
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// Legend drawn by hand (plotters' own legend measures text, which needs a font even in SVG):
/// two entries per target, a sample of the line and marker followed by its label.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    all: &[Series],
    clients: usize,
    family: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let label_style =
        TextStyle::from((family, 14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let mut y = 30;
    for s in all {
        let light = s.color.mix(0.55);
        area.draw(&PathElement::new(
            vec![(10, y), (50, y)],
            s.color.stroke_width(2),
        ))?;
        area.draw(&Circle::new((30, y), 4, s.color.filled()))?;
        area.draw(&Text::new(
            format!("{} (1 client)", s.name),
            (60, y),
            label_style.clone(),
        ))?;
        y += 24;
        area.draw(&DashedPathElement::new(
            vec![(10, y), (50, y)],
            8,
            5,
            light.stroke_width(2),
        ))?;
        area.draw(&TriangleMarker::new((30, y), 5, light.filled()))?;
        let multi = format!("{} ({clients} clients)", s.name);
        area.draw(&Text::new(multi, (60, y), label_style.clone()))?;
        y += 34;
    }
    Ok(())
}

/// Tick label for a QPS value: whole numbers from 1 up, two decimals below.
/// Tick values 1, 2 and 5 × 10^k inside `r` (a log axis's labels).
fn log_ticks(r: &Range<f64>) -> Vec<f64> {
    if !(r.start > 0.0 && r.end > r.start && r.end.is_finite()) {
        return Vec::new();
    }
    let (lo, hi) = (r.start.log10().floor() as i32, r.end.log10().ceil() as i32);
    (lo..=hi)
        .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
        .filter(|v| r.contains(v))
        .collect()
}

fn format_qps(v: f64) -> String {
    if v >= 1.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ann::report::markdown::tests::sample_report;
    use std::path::PathBuf;

    #[test]
    fn log_ticks_are_one_two_five() {
        assert_eq!(log_ticks(&(90.0..1100.0)), vec![100.0, 200.0, 500.0, 1000.0]);
        assert!(log_ticks(&(0.0..10.0)).is_empty());
    }

    /// A fresh directory for one test's output files.
    fn out_dir(test: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("quiver-bench-plot-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        dir
    }

    fn render(r: &Report, test: &str) -> (Vec<u8>, String) {
        let dir = out_dir(test);
        let (png, svg) = (dir.join("chart.png"), dir.join("chart.svg"));
        plot(r, &png, &svg).expect("plot");
        let png_bytes = std::fs::read(&png).expect("read png");
        let svg_text = std::fs::read_to_string(&svg).expect("read svg");
        let _ = std::fs::remove_dir_all(&dir);
        (png_bytes, svg_text)
    }

    #[test]
    fn writes_png_and_svg() {
        let (png, svg) = render(&sample_report(), "both");
        assert!(png.len() > 1000);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(svg.contains("<svg"));
        assert!(svg.contains("quiver (1 client)"));
        assert!(svg.contains("pgvector (4 clients)"));
        assert!(
            svg.contains("synthetic-1000x8 — recall@10 vs QPS (hnsw m = 16, ef_construction = 64)")
        );
    }

    #[test]
    fn handles_empty_single_and_zero_qps() {
        let mut r = sample_report();
        r.targets[0].sweep.truncate(1);
        r.targets[0].sweep[0].multi_qps = 0.0;
        r.targets[1].sweep.clear();
        let (png, svg) = render(&r, "edge");
        assert!(png.starts_with(b"\x89PNG"));
        assert!(svg.contains("pgvector (1 client)"));

        r.targets.iter_mut().for_each(|t| t.sweep.clear());
        let (png, svg) = render(&r, "empty");
        assert!(png.starts_with(b"\x89PNG"));
        assert!(svg.contains("no sweep points"));
    }

    #[test]
    fn svg_needs_no_font() {
        // A family nobody registered: text measurement would fail, so this proves the SVG
        // path never measures text.
        let mut buf = String::new();
        let area = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        draw(&area, &sample_report(), "no-such-font-family").expect("svg without font");
        drop(area);
        assert!(buf.contains("<svg") && buf.contains("quiver (1 client)"));
    }

    #[test]
    fn ranges_cover_points() {
        let report = sample_report();
        let all = series(&report);
        let (x, y) = ranges(&all);
        assert!((x.start - (0.80 - 0.01)).abs() < 1e-9, "{x:?}");
        assert_eq!(x.end, 1.0);
        assert!(y.start < 900.0 && y.end > 20000.0, "{y:?}");
        assert_eq!(ranges(&[]), (0.0..1.0, 1.0..10.0));
    }
}
