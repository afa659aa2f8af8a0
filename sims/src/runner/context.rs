//! What a scenario run is given: its seed, its recording stream, progress reporting.

use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rerun::RecordingStream;

/// Everything one run needs besides its configuration.
pub struct RunContext {
    /// The run's seed; every random stream of the run derives from it.
    pub seed: u64,
    /// Where the run logs; disabled for headless and secondary Monte Carlo runs.
    pub rec: RecordingStream,
    /// Whether this run may draw its own progress bar (false inside Monte Carlo batches).
    pub show_progress: bool,
}

impl RunContext {
    /// A headless context (no recording, no progress bar), as tests use.
    pub fn headless(seed: u64) -> Self {
        Self {
            seed,
            rec: RecordingStream::disabled(),
            show_progress: false,
        }
    }

    /// An independent random stream for one part of the run (`stream` names the part: world,
    /// sensor, a filter), so that adding randomness in one part leaves the others unchanged.
    pub fn rng(&self, stream: u64) -> StdRng {
        StdRng::seed_from_u64(derive_seed(self.seed, stream))
    }

    /// A progress bar of `len` steps (hidden when this run should not draw one).
    pub fn progress(&self, len: u64, message: &str) -> ProgressBar {
        if !self.show_progress {
            return ProgressBar::hidden();
        }
        progress_bar(len, message)
    }
}

/// A progress bar drawn on stderr (hidden automatically when stderr is not a terminal).
pub fn progress_bar(len: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({elapsed}, eta {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message.to_string());
    bar
}

/// SplitMix64 of `base` and `index`: well-spread seeds for runs and streams.
pub fn derive_seed(base: u64, index: u64) -> u64 {
    let mut z = base
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(index.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
