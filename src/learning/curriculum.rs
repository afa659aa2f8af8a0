//! Curriculum training: lessons of widening start distributions, each a run of BPTT steps.

use nalgebra::SVector;
use rand::RngCore;

use super::bptt::{BpttStep, PolicyTrainer};
use super::emulator::MlpDynamics;
use super::error::LearningError;
use super::objective::EpisodeObjective;
use super::policy::MlpPolicy;

/// A distribution of episode starts.
pub trait StartDistribution<const N: usize> {
    /// One start, drawn with `rng`.
    fn sample(&self, rng: &mut dyn RngCore) -> SVector<f64, N>;
}

impl<const N: usize, F> StartDistribution<N> for F
where
    F: Fn(&mut dyn RngCore) -> SVector<f64, N>,
{
    fn sample(&self, rng: &mut dyn RngCore) -> SVector<f64, N> {
        self(rng)
    }
}

/// One lesson: `iterations` training steps on minibatches of `batch_size` starts drawn from
/// `starts`, each episode unrolled for at most `max_steps`, at learning rate `learning_rate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesson<S> {
    /// A name for logs.
    pub name: String,
    /// Where the lesson's episodes start.
    pub starts: S,
    /// Training steps.
    pub iterations: usize,
    /// Episodes per step.
    pub batch_size: usize,
    /// Unroll limit of an episode.
    pub max_steps: usize,
    /// Adam learning rate during the lesson.
    pub learning_rate: f64,
}

/// Sees a curriculum's progress (for progress bars, logs and evaluation between lessons).
pub trait CurriculumObserver<const N: usize, const M: usize, const P: usize, const H: usize> {
    /// After every training step.
    fn step(&mut self, lesson: usize, iteration: usize, step: &BpttStep) {
        let _ = (lesson, iteration, step);
    }
    /// After every training step (after [`step`](Self::step)), with the policy as it is then:
    /// the place to validate it every few steps and keep the best one.
    ///
    /// # Errors
    /// Whatever the observer's own work reports; it stops the curriculum.
    fn checkpoint(
        &mut self,
        lesson: usize,
        iteration: usize,
        policy: &MlpPolicy<N, M, P, H>,
    ) -> Result<(), LearningError> {
        let _ = (lesson, iteration, policy);
        Ok(())
    }
    /// After the last step of a lesson, with the policy as it is then.
    ///
    /// # Errors
    /// Whatever the observer's own work (an evaluation) reports; it stops the curriculum.
    fn lesson_end(
        &mut self,
        lesson: usize,
        policy: &MlpPolicy<N, M, P, H>,
    ) -> Result<(), LearningError> {
        let _ = (lesson, policy);
        Ok(())
    }
}

/// Runs the lessons in order with one trainer (its Adam moments carry over from lesson to
/// lesson), drawing every start from `rng`. Reproductions of the truck backer-upper that work
/// all train this way: the first lessons start near the goal, where a short unroll already
/// reaches it and the gradient is informative; later lessons widen the start region until it
/// covers the task (Nguyen & Widrow 1990 trained their controller lesson by lesson too).
///
/// Returns the mean loss of the last tenth of each lesson's steps.
///
/// # Errors
/// [`LearningError::InvalidParameter`] for a lesson with no steps, episodes or unroll;
/// the trainer's errors; the observer's errors.
#[allow(clippy::too_many_arguments)]
pub fn train_curriculum<
    S,
    O,
    const N: usize,
    const M: usize,
    const P: usize,
    const H: usize,
    const F: usize,
    const HE: usize,
    const K: usize,
>(
    lessons: &[Lesson<S>],
    trainer: &mut PolicyTrainer<N, M, P, H>,
    policy: &mut MlpPolicy<N, M, P, H>,
    emulator: &MlpDynamics<N, M, F, HE>,
    objective: &EpisodeObjective<N, K>,
    rng: &mut dyn RngCore,
    observer: &mut O,
) -> Result<Vec<f64>, LearningError>
where
    S: StartDistribution<N>,
    O: CurriculumObserver<N, M, P, H> + ?Sized,
{
    for (i, lesson) in lessons.iter().enumerate() {
        if lesson.iterations == 0 || lesson.batch_size == 0 || lesson.max_steps == 0 {
            return Err(LearningError::InvalidParameter {
                name: "lesson",
                reason: format!(
                    "lesson {i} ({}) needs iterations, batch_size and max_steps >= 1",
                    lesson.name
                ),
            });
        }
    }
    let mut summary = Vec::with_capacity(lessons.len());
    let mut starts = Vec::new();
    for (index, lesson) in lessons.iter().enumerate() {
        trainer.set_learning_rate(lesson.learning_rate);
        let tail = (lesson.iterations / 10).max(1);
        let mut tail_sum = 0.0;
        for iteration in 0..lesson.iterations {
            starts.clear();
            starts.extend((0..lesson.batch_size).map(|_| lesson.starts.sample(rng)));
            let step = trainer.step(policy, emulator, objective, &starts, lesson.max_steps)?;
            observer.step(index, iteration, &step);
            observer.checkpoint(index, iteration, policy)?;
            if iteration + tail >= lesson.iterations {
                tail_sum += step.loss;
            }
        }
        observer.lesson_end(index, policy)?;
        summary.push(tail_sum / tail as f64);
    }
    Ok(summary)
}
