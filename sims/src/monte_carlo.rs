//! Monte Carlo: one scenario run many times with derived seeds, in parallel on all cores.

use crate::report::{summarise, Report, Summary};
use crate::runner::{derive_seed, progress_bar, RunContext, Runnable};
use rayon::prelude::*;
use rerun::RecordingStream;
use std::collections::BTreeMap;

/// The seed of run `index` of a batch: run 0 uses the base seed itself (so it reproduces a single
/// run with that seed), later runs use SplitMix64-derived seeds.
pub fn run_seed(base: u64, index: usize) -> u64 {
    if index == 0 {
        base
    } else {
        derive_seed(base, index as u64)
    }
}

/// The result of a batch.
pub struct Batch {
    /// Seeds, in run order.
    pub seeds: Vec<u64>,
    /// Each run's report, in run order.
    pub reports: Vec<Report>,
    /// Per algorithm and metric: mean, standard deviation, values.
    pub summary: BTreeMap<String, BTreeMap<String, Summary>>,
}

/// Runs `runs` copies of a scenario in parallel. Run 0 logs to `rec`; the others record nothing.
/// Results do not depend on the number of threads: each run owns its random streams.
pub fn run_batch(
    scenario: &dyn Runnable,
    base_seed: u64,
    runs: usize,
    rec: RecordingStream,
    show_progress: bool,
) -> anyhow::Result<Batch> {
    let seeds: Vec<u64> = (0..runs).map(|i| run_seed(base_seed, i)).collect();
    let bar = if show_progress {
        progress_bar(runs as u64, "runs")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let reports: anyhow::Result<Vec<Report>> = seeds
        .par_iter()
        .enumerate()
        .map(|(i, &seed)| {
            let ctx = RunContext {
                seed,
                rec: if i == 0 {
                    rec.clone()
                } else {
                    RecordingStream::disabled()
                },
                show_progress: false,
            };
            let report = scenario
                .run(&ctx)
                .map_err(|e| e.context(format!("run {i} (seed {seed})")));
            bar.inc(1);
            report
        })
        .collect();
    bar.finish_and_clear();
    let reports = reports?;
    let summary = summarise(&reports);
    Ok(Batch {
        seeds,
        reports,
        summary,
    })
}
