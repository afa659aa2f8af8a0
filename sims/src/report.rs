//! Run reports: metrics per algorithm, printed as a table and written as JSON.

use serde::Serialize;
use std::collections::BTreeMap;

/// Metric name -> value for one algorithm.
pub type MetricSet = BTreeMap<String, f64>;

/// What one run of a scenario measured.
///
/// `metrics` are deterministic functions of the scenario and seed (bit for bit); wall-clock
/// figures such as solve times go to `timings`, which are reported but not compared.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Algorithm name -> metric name -> value.
    pub metrics: BTreeMap<String, MetricSet>,
    /// Algorithm name -> timing name -> seconds (or per-step figures); not deterministic.
    pub timings: BTreeMap<String, MetricSet>,
}

impl Report {
    /// Records a metric of an algorithm.
    pub fn metric(&mut self, algorithm: &str, name: &str, value: f64) -> &mut Self {
        self.metrics
            .entry(algorithm.to_string())
            .or_default()
            .insert(name.to_string(), value);
        self
    }

    /// Records a wall-clock figure of an algorithm.
    pub fn timing(&mut self, algorithm: &str, name: &str, value: f64) -> &mut Self {
        self.timings
            .entry(algorithm.to_string())
            .or_default()
            .insert(name.to_string(), value);
        self
    }

    /// The value of a metric, if recorded.
    pub fn get(&self, algorithm: &str, name: &str) -> Option<f64> {
        self.metrics.get(algorithm)?.get(name).copied()
    }
}

/// Mean, sample standard deviation and the values of one metric over Monte Carlo runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1 in the denominator; 0 for a single run).
    pub std: f64,
    /// The value of each run, in run order.
    pub values: Vec<f64>,
}

impl Summary {
    /// Summarises values (in run order).
    pub fn of(values: Vec<f64>) -> Self {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n.max(1.0);
        let var = if values.len() > 1 {
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Self {
            mean,
            std: var.sqrt(),
            values,
        }
    }
}

/// Combines the reports of Monte Carlo runs metric by metric.
///
/// A metric missing from some run is summarised over the runs that have it.
pub fn summarise(reports: &[Report]) -> BTreeMap<String, BTreeMap<String, Summary>> {
    let mut collected: BTreeMap<String, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for report in reports {
        for (algorithm, metrics) in &report.metrics {
            for (name, value) in metrics {
                collected
                    .entry(algorithm.clone())
                    .or_default()
                    .entry(name.clone())
                    .or_default()
                    .push(*value);
            }
        }
    }
    collected
        .into_iter()
        .map(|(a, m)| (a, m.into_iter().map(|(k, v)| (k, Summary::of(v))).collect()))
        .collect()
}

/// Formats a metrics table: one row per algorithm, one column per metric (transposed when that
/// would be wider than [`MAX_TABLE_WIDTH`]).
pub fn format_table(
    metrics: &BTreeMap<String, MetricSet>,
    std: Option<&BTreeMap<String, MetricSet>>,
) -> String {
    let mut columns: Vec<&String> = metrics.values().flat_map(|m| m.keys()).collect();
    columns.sort();
    columns.dedup();
    let cell = |alg: &str, col: &str| -> String {
        match metrics.get(alg).and_then(|m| m.get(col)) {
            None => "-".to_string(),
            Some(v) => {
                let sd = std.and_then(|s| s.get(alg)).and_then(|m| m.get(col));
                match sd {
                    Some(sd) => format!("{} ± {}", fmt_number(*v), fmt_number(*sd)),
                    None => fmt_number(*v),
                }
            }
        }
    };
    let mut rows: Vec<Vec<String>> = vec![std::iter::once("algorithm".to_string())
        .chain(columns.iter().map(|c| c.to_string()))
        .collect()];
    for alg in metrics.keys() {
        rows.push(
            std::iter::once(alg.clone())
                .chain(columns.iter().map(|c| cell(alg, c)))
                .collect(),
        );
    }
    let width = |rows: &[Vec<String>]| -> Vec<usize> {
        (0..rows[0].len())
            .map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0))
            .collect()
    };
    let mut widths = width(&rows);
    // Too wide for a terminal (many metrics): one row per metric, one column per algorithm.
    if widths.iter().sum::<usize>() + 2 * widths.len() > MAX_TABLE_WIDTH && rows.len() > 1 {
        let mut transposed: Vec<Vec<String>> = (0..rows[0].len())
            .map(|j| rows.iter().map(|r| r[j].clone()).collect())
            .collect();
        transposed[0][0] = "metric".to_string();
        rows = transposed;
        widths = width(&rows);
    }
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(j, c)| {
                if j == 0 {
                    format!("{c:<w$}", w = widths[j])
                } else {
                    format!("{c:>w$}", w = widths[j])
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            out.push('\n');
        }
    }
    out
}

/// Tables wider than this many characters are printed transposed (metrics as rows).
const MAX_TABLE_WIDTH: usize = 160;

/// Four significant figures, scientific notation for very large or small magnitudes.
pub fn fmt_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let mag = v.abs().log10().floor() as i32;
    if (-3..6).contains(&mag) {
        let decimals = (3 - mag).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.3e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_uses_sample_std() {
        let s = Summary::of(vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn table_lists_every_metric() {
        let mut r = Report::default();
        r.metric("kf", "rmse", 0.5).metric("ekf", "nees", 2.0);
        let t = format_table(&r.metrics, None);
        assert!(
            t.contains("rmse") && t.contains("nees") && t.contains("0.5000"),
            "{t}"
        );
    }

    #[test]
    fn wide_tables_are_transposed() {
        let mut r = Report::default();
        for i in 0..30 {
            r.metric("gnn", &format!("metric_number_{i:02}"), i as f64);
            r.metric("jpda", &format!("metric_number_{i:02}"), 2.0 * i as f64);
        }
        let t = format_table(&r.metrics, None);
        let lines: Vec<&str> = t.lines().collect();
        // header, rule, then one line per metric with both algorithms' values
        assert_eq!(lines.len(), 32, "{t}");
        assert!(
            lines[0].starts_with("metric") && lines[0].contains("gnn") && lines[0].contains("jpda")
        );
        assert!(lines[2].starts_with("metric_number_00"), "{t}");
        assert!(
            lines.iter().all(|l| l.chars().count() <= MAX_TABLE_WIDTH),
            "{t}"
        );
        // narrow tables keep one row per algorithm
        let mut narrow = Report::default();
        narrow.metric("kf", "rmse", 0.5);
        assert!(format_table(&narrow.metrics, None).starts_with("algorithm"));
    }
}
