//! Pictures as SVG: the training report's loss and accuracy per epoch, and
//! the musicality report's feature distributions.

use std::fmt::Write;

use crate::training::report::TrainingReport;

const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 240.0;
const MARGIN: f64 = 44.0;

/// One panel: several named series over epochs, with axes and a legend.
fn panel(x0: f64, title: &str, series: &[(&str, &str, Vec<f64>)]) -> String {
    let values = series
        .iter()
        .flat_map(|(_, _, v)| v.iter().copied())
        .filter(|v| v.is_finite());
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (low, high) = if low.is_finite() && high > low {
        (low, high)
    } else {
        (low.min(0.0), low.max(0.0) + 1.0)
    };
    let epochs = series
        .iter()
        .map(|(_, _, v)| v.len())
        .max()
        .unwrap_or(0)
        .max(2);
    let x = |i: usize| x0 + MARGIN + (WIDTH - 1.5 * MARGIN) * i as f64 / (epochs - 1) as f64;
    let y = |v: f64| HEIGHT - MARGIN - (HEIGHT - 1.7 * MARGIN) * (v - low) / (high - low);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<text x="{tx}" y="18" font-size="13" font-weight="bold">{title}</text><line x1="{ax}" y1="{top}" x2="{ax}" y2="{bottom}" stroke="#555"/><line x1="{ax}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#555"/><text x="{lx}" y="{ly_hi}" font-size="10" text-anchor="end">{high:.3}</text><text x="{lx}" y="{ly_lo}" font-size="10" text-anchor="end">{low:.3}</text><text x="{right}" y="{ey}" font-size="10" text-anchor="end">epoch {epochs_shown}</text><text x="{ax}" y="{ey}" font-size="10">1</text>"##,
        tx = x0 + MARGIN,
        ax = x0 + MARGIN,
        top = 0.7 * MARGIN,
        bottom = HEIGHT - MARGIN,
        right = x0 + WIDTH - 0.5 * MARGIN,
        lx = x0 + MARGIN - 4.0,
        ly_hi = y(high) + 4.0,
        ly_lo = y(low),
        ey = HEIGHT - MARGIN + 14.0,
        epochs_shown = series.iter().map(|(_, _, v)| v.len()).max().unwrap_or(0),
    );
    for (index, (name, colour, values)) in series.iter().enumerate() {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| format!("{:.1},{:.1}", x(i), y(v)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/><text x="{}" y="{}" font-size="11" fill="{colour}">{name}</text>"#,
            points.join(" "),
            x0 + MARGIN + 8.0 + 110.0 * index as f64,
            HEIGHT - 8.0,
        );
    }
    svg
}

/// Loss (training and validation) and validation accuracy per epoch.
pub fn training_curves(report: &TrainingReport) -> String {
    let pick = |f: fn(&crate::training::report::EpochRecord) -> f64| {
        report.history.iter().map(f).collect::<Vec<_>>()
    };
    let loss = panel(
        0.0,
        "loss (nats per event)",
        &[
            ("training", "#c0392b", pick(|r| r.train_loss)),
            ("validation", "#2471a3", pick(|r| r.valid_loss)),
        ],
    );
    let accuracy = panel(
        WIDTH,
        "validation top-1 accuracy",
        &[("validation", "#2471a3", pick(|r| r.valid_accuracy))],
    );
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>{loss}{accuracy}</svg>"#,
        w = 2.0 * WIDTH,
        h = HEIGHT,
    )
}

/// Each musical feature's density over generated pieces (red) and held-out
/// excerpts (blue), one small panel per feature.
pub fn feature_distributions(tables: &crate::training::eval::FeatureTables) -> String {
    use crate::music::musicality::{FEATURES, column, densities};
    const COLUMNS: usize = 5;
    const W: f64 = 230.0;
    const H: f64 = 150.0;
    let rows = FEATURES.len().div_ceil(COLUMNS);
    let mut svg = String::new();
    for (i, name) in FEATURES.iter().enumerate() {
        let (x0, y0) = ((i % COLUMNS) as f64 * W, 24.0 + (i / COLUMNS) as f64 * H);
        let (generated, real) = (column(&tables.generated, i), column(&tables.real, i));
        let (grid, curves) = densities(&[&generated, &real]);
        let top = curves
            .iter()
            .flatten()
            .copied()
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE);
        let _ = write!(
            svg,
            r##"<text x="{tx}" y="{ty}" font-size="11">{name}</text><line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#555"/>"##,
            tx = x0 + 10.0,
            ty = y0 + 14.0,
            l = x0 + 10.0,
            r = x0 + W - 10.0,
            b = y0 + H - 24.0,
        );
        if let (Some(first), Some(last)) = (grid.first(), grid.last()) {
            let _ = write!(
                svg,
                r#"<text x="{l}" y="{ly}" font-size="9">{first:.2}</text><text x="{r}" y="{ly}" font-size="9" text-anchor="end">{last:.2}</text>"#,
                l = x0 + 10.0,
                r = x0 + W - 10.0,
                ly = y0 + H - 12.0,
            );
            for (curve, colour) in curves.iter().zip(["#c0392b", "#2471a3"]) {
                let points: Vec<String> = grid
                    .iter()
                    .zip(curve)
                    .step_by(4)
                    .map(|(x, d)| {
                        format!(
                            "{:.1},{:.1}",
                            x0 + 10.0 + (W - 20.0) * (x - first) / (last - first),
                            y0 + H - 24.0 - (H - 48.0) * d / top
                        )
                    })
                    .collect();
                let _ = write!(
                    svg,
                    r#"<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{}"/>"#,
                    points.join(" ")
                );
            }
        }
    }
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/><text x="10" y="16" font-size="13" font-weight="bold"><tspan fill="#c0392b">generated</tspan> and <tspan fill="#2471a3">held-out</tspan> pieces: density of each feature</text>{svg}</svg>"##,
        w = COLUMNS as f64 * W,
        h = 24.0 + rows as f64 * H,
    )
}
