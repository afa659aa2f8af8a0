//! The `kestrel` command: `run`, `list`, `check`, `train`.

use crate::monte_carlo::run_batch;
use crate::report::{format_table, MetricSet, Summary};
use crate::runner::{self, RunContext};
use crate::scenario::Source;
use crate::sink::{Sink, DEFAULT_CONNECT_URL};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Prints to stdout; a closed pipe (`kestrel list | head`) is not an error worth a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Prints without a newline, as [`say!`].
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

/// Kestrel: robot state estimation, tracking, mapping, planning and learned control.
#[derive(Debug, Parser)]
#[command(name = "kestrel", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario: print its metrics, write <out>/<name>.json and a Rerun recording.
    Run(RunArgs),
    /// List scenario files under a directory with their descriptions.
    List {
        /// Directory to search (recursively).
        #[arg(default_value = "scenarios")]
        dir: PathBuf,
    },
    /// Parse and validate scenario files without running them.
    Check {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Train a learned model: weights (safetensors), <out>/train_<task>.json and a recording.
    Train(TrainArgs),
}

#[derive(Debug, Args)]
struct TrainArgs {
    /// What to train.
    #[arg(value_enum)]
    task: crate::train::Task,
    /// Output directory for train_<task>.json and train_<task>.rrd.
    #[arg(long, default_value = "runs")]
    out: PathBuf,
    /// Seed [default: the `seed` of --config, else 1, which trained the committed weights].
    #[arg(long)]
    seed: Option<u64>,
    /// Directory for the weights files [default: weights/<task> at the repository root].
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Time this many training steps of the final lesson's size (batch, unroll) and exit.
    #[arg(long)]
    bench_steps: Option<usize>,
    /// Unroll length of the timed steps.
    #[arg(long, default_value_t = 200)]
    bench_unroll: usize,
    /// Training steps per curriculum lesson (default: the pipeline's own).
    #[arg(long)]
    lesson_iterations: Option<usize>,
    /// JSON file overriding training settings (any field of the task's TrainConfig).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    viz: VizArgs,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// Seed (defaults to the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Output directory for <name>.json and <name>.rrd.
    #[arg(long, default_value = "runs")]
    out: PathBuf,
    /// Monte Carlo runs (seeds derived from the base seed), run in parallel on all cores.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    #[command(flatten)]
    viz: VizArgs,
}

#[derive(Debug, Args)]
#[group(multiple = false)]
struct VizArgs {
    /// Write the recording to this .rrd file instead of <out>/<name>.rrd.
    #[arg(long)]
    save: Option<PathBuf>,
    /// Start a Rerun viewer and stream to it (needs `rerun` on PATH).
    #[arg(long)]
    spawn: bool,
    /// Stream to a running Rerun viewer [default URL: rerun+http://127.0.0.1:9876/proxy].
    #[arg(long, num_args = 0..=1, default_missing_value = DEFAULT_CONNECT_URL)]
    connect: Option<String>,
    /// Do not record.
    #[arg(long)]
    no_viz: bool,
}

impl VizArgs {
    fn sink(&self, out: &Path, name: &str) -> Sink {
        if let Some(path) = &self.save {
            Sink::Save(path.clone())
        } else if self.spawn {
            Sink::Spawn
        } else if let Some(url) = &self.connect {
            Sink::Connect(url.clone())
        } else if self.no_viz {
            Sink::Disabled
        } else {
            Sink::Save(out.join(format!("{name}.rrd")))
        }
    }
}

/// The JSON written next to each recording.
#[derive(Debug, Serialize)]
struct RunRecord {
    scenario: String,
    kind: String,
    file: String,
    description: String,
    seed: u64,
    kestrel_version: &'static str,
    wall_time_s: f64,
    runs: usize,
    /// Algorithm -> metric -> value (the mean over runs when runs > 1).
    metrics: BTreeMap<String, MetricSet>,
    /// Wall-clock figures of run 0 (not deterministic).
    timings: BTreeMap<String, MetricSet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    monte_carlo: Option<MonteCarloRecord>,
}

#[derive(Debug, Serialize)]
struct MonteCarloRecord {
    seeds: Vec<u64>,
    /// Algorithm -> metric -> {mean, std, values}.
    metrics: BTreeMap<String, BTreeMap<String, Summary>>,
}

/// Runs the command line.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args),
        Command::List { dir } => list(&dir),
        Command::Check { scenarios } => check(&scenarios),
        Command::Train(args) => {
            let sink = args
                .viz
                .sink(&args.out, &format!("train_{}", args.task.name()));
            crate::train::run(
                args.task,
                &crate::train::TrainOptions {
                    out: args.out,
                    seed: args.seed,
                    weights: args.weights,
                    bench_steps: args.bench_steps,
                    bench_unroll: args.bench_unroll,
                    lesson_iterations: args.lesson_iterations,
                    config: args.config,
                },
                &sink,
            )
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let loaded = runner::load(&args.scenario)?;
    let seed = args.seed.unwrap_or(loaded.header.seed);
    let runs = args.runs as usize;
    let sink = args.viz.sink(&args.out, &loaded.name);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;

    let rec = sink.open(
        &format!("kestrel_{}", loaded.header.kind),
        &format!("{}-seed{seed}", loaded.name),
    )?;
    if let Some(blueprint) = loaded.scenario.blueprint() {
        blueprint.send(
            &rec,
            rerun::blueprint::BlueprintActivation {
                make_active: true,
                make_default: true,
            },
        )?;
    }
    rec.log_static(
        "scenario",
        &rerun::TextDocument::from_markdown(format!(
            "# {}\n\n{}\n\nseed {seed}\n\n```toml\n{}\n```",
            loaded.name, loaded.header.description, loaded.source.text
        )),
    )?;

    let start = Instant::now();
    let (metrics, timings, monte_carlo) = if runs == 1 {
        let ctx = RunContext {
            seed,
            rec: rec.clone(),
            show_progress: true,
        };
        let report = loaded.scenario.run(&ctx)?;
        (report.metrics, report.timings, None)
    } else {
        let batch = run_batch(loaded.scenario.as_ref(), seed, runs, rec.clone(), true)?;
        let means = batch
            .summary
            .iter()
            .map(|(a, m)| {
                (
                    a.clone(),
                    m.iter().map(|(k, s)| (k.clone(), s.mean)).collect(),
                )
            })
            .collect();
        let timings = batch.reports[0].timings.clone();
        (
            means,
            timings,
            Some(MonteCarloRecord {
                seeds: batch.seeds,
                metrics: batch.summary,
            }),
        )
    };
    let wall_time_s = start.elapsed().as_secs_f64();
    rec.flush_blocking()
        .map_err(|e| anyhow::anyhow!("cannot finish the recording: {e}"))?;

    let std: Option<BTreeMap<String, MetricSet>> = monte_carlo.as_ref().map(|mc| {
        mc.metrics
            .iter()
            .map(|(a, m)| {
                (
                    a.clone(),
                    m.iter().map(|(k, s)| (k.clone(), s.std)).collect(),
                )
            })
            .collect()
    });
    say!(
        "{} (seed {seed}{}) in {wall_time_s:.2} s\n",
        loaded.name,
        if runs > 1 {
            format!(", {runs} runs: mean ± std")
        } else {
            String::new()
        }
    );
    say_raw!("{}", format_table(&metrics, std.as_ref()));
    if !timings.is_empty() {
        say!("\ntimings (wall clock, run 0)");
        say_raw!("{}", format_table(&timings, None));
    }

    let record = RunRecord {
        scenario: loaded.name.clone(),
        kind: loaded.header.kind.clone(),
        file: loaded.source.path.display().to_string(),
        description: loaded.header.description.clone(),
        seed,
        kestrel_version: env!("CARGO_PKG_VERSION"),
        wall_time_s,
        runs,
        metrics,
        timings,
        monte_carlo,
    };
    let json_path = args.out.join(format!("{}.json", loaded.name));
    std::fs::write(&json_path, serde_json::to_string_pretty(&record)? + "\n")
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    say!("\nwrote {}", json_path.display());
    if let Sink::Save(path) = &sink {
        say!("wrote {}  (view: rerun {})", path.display(), path.display());
    }
    Ok(())
}

/// Scenario files under `dir`, sorted.
pub fn scenario_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)
            .with_context(|| format!("cannot read directory {}", d.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn list(dir: &Path) -> anyhow::Result<()> {
    let files = scenario_files(dir)?;
    let rows: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let shown = f.strip_prefix(dir).unwrap_or(f).with_extension("");
            let desc = Source::read(f)
                .and_then(|s| s.header())
                .map(|h| format!("[{}] {}", h.kind, h.description))
                .unwrap_or_else(|e| format!("(invalid: {e})"));
            (shown.display().to_string(), desc)
        })
        .collect();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    for (name, desc) in rows {
        say!("{name:<width$}  {desc}");
    }
    Ok(())
}

fn check(files: &[PathBuf]) -> anyhow::Result<()> {
    let mut failed = 0;
    for file in files {
        match runner::load(file) {
            Ok(loaded) => say!("ok   {} [{}]", file.display(), loaded.header.kind),
            Err(e) => {
                failed += 1;
                eprintln!("FAIL {e}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} scenario files are invalid", files.len());
    }
    Ok(())
}
