//! `kestrel train`: training pipelines for the learned models. Each writes safetensors weights,
//! a JSON summary and a Rerun recording of the training (loss curves, per-lesson success,
//! example episodes).

pub mod truck;
pub mod truck_lookahead;
pub mod truck_models;

use std::path::PathBuf;

use anyhow::Context;

use crate::sink::Sink;

/// What `kestrel train` can train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Task {
    /// The truck backer-upper: emulator and curriculum-trained controller.
    Truck,
}

impl Task {
    /// The task's name in file names.
    pub fn name(self) -> &'static str {
        match self {
            Task::Truck => "truck",
        }
    }
}

/// Options of `kestrel train`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// Where the JSON summary (and by default the recording) go.
    pub out: PathBuf,
    /// Base seed (overrides the `seed` of the config file when given).
    pub seed: Option<u64>,
    /// Weights directory (default: the committed one).
    pub weights: Option<PathBuf>,
    /// Time this many steps instead of training.
    pub bench_steps: Option<usize>,
    /// Unroll length of the timed steps.
    pub bench_unroll: usize,
    /// Override of the steps per lesson.
    pub lesson_iterations: Option<usize>,
    /// A JSON file of settings overriding the defaults.
    pub config: Option<PathBuf>,
}

/// Runs `kestrel train <task>`.
pub fn run(task: Task, options: &TrainOptions, sink: &Sink) -> anyhow::Result<()> {
    match task {
        Task::Truck => run_truck(options, sink),
    }
}

/// The truck settings of `options`: the defaults, overridden by the `--config` file, then by
/// `--seed` and `--lesson-iterations` when given.
fn truck_config(options: &TrainOptions) -> anyhow::Result<truck::TrainConfig> {
    let mut config = match &options.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_str::<truck::TrainConfig>(&text)
                .with_context(|| format!("{}: invalid training settings", path.display()))?
        }
        None => truck::TrainConfig::default(),
    };
    if let Some(seed) = options.seed {
        config.seed = seed;
    }
    if let Some(n) = options.lesson_iterations {
        anyhow::ensure!(n >= 1, "--lesson-iterations must be at least 1");
        config.lesson_iterations = n;
    }
    Ok(config)
}

fn run_truck(options: &TrainOptions, sink: &Sink) -> anyhow::Result<()> {
    let config = truck_config(options)?;
    if let Some(steps) = options.bench_steps {
        anyhow::ensure!(
            steps >= 1 && options.bench_unroll >= 1,
            "--bench-steps and --bench-unroll must be at least 1"
        );
        let times = truck::bench_steps(&config, steps + 1, options.bench_unroll)?;
        // the first step warms the allocator's caches
        let mut t: Vec<f64> = times[1..].to_vec();
        t.sort_by(f64::total_cmp);
        let median = t[t.len() / 2];
        let mean = t.iter().sum::<f64>() / t.len() as f64;
        let h = truck_models::CONTROLLER_HIDDEN;
        println!(
            "BPTT training step, batch {} x unroll {} (emulator 6+1-45-45-4, controller 8-{h}-{h}-1), {} steps: median {median:.2} ms, mean {mean:.2} ms, min {:.2} ms",
            config.batch_size,
            options.bench_unroll,
            t.len(),
            t[0]
        );
        return Ok(());
    }
    let weights = options
        .weights
        .clone()
        .unwrap_or_else(truck_models::default_weights_dir);
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("cannot create {}", options.out.display()))?;
    let rec = sink.open(
        "kestrel_train_truck",
        &format!("train_truck-seed{}", config.seed),
    )?;
    rec.log_static(
        "training",
        &rerun::TextDocument::from_markdown(format!(
            "# kestrel train truck\n\nseed {}\n\n```\n{:#?}\n```",
            config.seed, config
        )),
    )?;
    let summary = truck::train(&config, &rec, &weights)?;
    rec.flush_blocking()
        .map_err(|e| anyhow::anyhow!("cannot finish the recording: {e}"))?;
    let json = options.out.join("train_truck.json");
    std::fs::write(&json, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("cannot write {}", json.display()))?;
    println!("emulator (held-out): {:?}", summary.emulator);
    for l in &summary.lessons {
        println!(
            "{}  loss {:.4}  success own {:.1} %  evaluation region {:.1} %",
            l.name,
            l.final_loss,
            100.0 * l.own.success_rate,
            100.0 * l.evaluation.success_rate
        );
    }
    println!("timings (s): {:?}", summary.timings_s);
    println!("wrote {}, {}", weights.display(), json.display());
    if let Sink::Save(path) = sink {
        println!("wrote {}  (view: rerun {})", path.display(), path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(config: Option<PathBuf>, seed: Option<u64>) -> TrainOptions {
        TrainOptions {
            out: PathBuf::from("runs"),
            seed,
            weights: None,
            bench_steps: None,
            bench_unroll: 100,
            lesson_iterations: None,
            config,
        }
    }

    #[test]
    fn the_config_files_seed_holds_unless_seed_is_given() {
        let path = std::env::temp_dir().join(format!("kestrel_seed_{}.json", std::process::id()));
        std::fs::write(&path, r#"{"seed": 5, "arena_rear_y": 9.25}"#).unwrap();
        let from_file = truck_config(&options(Some(path.clone()), None)).unwrap();
        assert_eq!(from_file.seed, 5);
        assert_eq!(from_file.arena_rear_y, 9.25);
        let overridden = truck_config(&options(Some(path.clone()), Some(8))).unwrap();
        assert_eq!(overridden.seed, 8);
        assert_eq!(overridden.arena_rear_y, 9.25);
        assert_eq!(truck_config(&options(None, None)).unwrap().seed, 1);
        std::fs::write(&path, r#"{"sead": 5}"#).unwrap();
        let err = format!(
            "{:#}",
            truck_config(&options(Some(path.clone()), None)).unwrap_err()
        );
        assert!(err.contains("unknown field `sead`"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }
}
