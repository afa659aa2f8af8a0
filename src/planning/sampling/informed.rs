//! Informed sampling (Gammell, Srinivasa and Barfoot 2014): once a solution of cost `c_best`
//! exists, only states `x` with `|x - start| + |x - goal| <= c_best` can lie on a better path,
//! and that set is a prolate hyperspheroid with foci at the start and the goal.

use nalgebra::SMatrix;
use rand::Rng;
use rand_distr::StandardNormal;

use super::space::{unit_ball_volume, Bounds, Problem, State};

/// Draws uniform samples from `{x in bounds : |x - s| + |x - g| <= c}`.
///
/// The hyperspheroid has transverse semi-axis `r1 = c / 2` along `(g - s) / |g - s|` and
/// conjugate semi-axes `r2 = sqrt(c^2 - c_min^2) / 2`, `c_min = |g - s|`; a uniform point of the
/// unit ball `u` maps to `x = (s + g) / 2 + H diag(r1, r2, ..) u` with `H` the Householder
/// reflection taking the first axis to the focal axis. Points outside the bounds are rejected.
pub(crate) struct InformedSampler<const D: usize> {
    centre: State<D>,
    c_min: f64,
    slack: f64,
    frame: SMatrix<f64, D, D>,
    bounds_volume: f64,
}

impl<const D: usize> InformedSampler<D> {
    /// For `problem`; the goal tolerance is added to the cost bound so that the ellipsoid still
    /// contains every state of a path that ends anywhere in the goal ball.
    pub(crate) fn new(problem: &Problem<D>) -> Self {
        let (s, g) = (problem.start(), problem.goal());
        let axis = g - s;
        let c_min = axis.norm();
        let mut frame = SMatrix::<f64, D, D>::identity();
        if c_min > 0.0 {
            let a1 = axis / c_min;
            let mut w = -a1;
            w[0] += 1.0;
            let ww = w.norm_squared();
            if ww > 1e-24 {
                frame -= w * w.transpose() * (2.0 / ww);
            }
        }
        Self {
            centre: (s + g) * 0.5,
            c_min,
            slack: problem.goal_tolerance(),
            frame,
            bounds_volume: problem.bounds().volume(),
        }
    }

    /// A sample of the informed set for best cost `c_best`, or of the whole bounds while the
    /// informed set is not smaller than them (or no state was accepted in 64 tries).
    #[inline]
    pub(crate) fn sample<R: Rng + ?Sized>(
        &self,
        c_best: f64,
        bounds: &Bounds<D>,
        rng: &mut R,
    ) -> State<D> {
        let c = c_best + self.slack;
        if !c.is_finite() || c <= self.c_min {
            return bounds.sample(rng);
        }
        let r1 = 0.5 * c;
        let r2 = 0.5 * (c * c - self.c_min * self.c_min).sqrt();
        let volume = unit_ball_volume(D) * r1 * r2.powi(D as i32 - 1);
        if volume >= self.bounds_volume {
            return bounds.sample(rng);
        }
        for _ in 0..64 {
            let mut u = State::<D>::from_fn(|_, _| rng.sample::<f64, _>(StandardNormal));
            let n = u.norm();
            if n == 0.0 {
                continue;
            }
            let radius = rng.random::<f64>().powf(1.0 / D as f64);
            u *= radius / n;
            u[0] *= r1;
            for k in 1..D {
                u[k] *= r2;
            }
            let x = self.centre + self.frame * u;
            if bounds.contains(&x) {
                return x;
            }
        }
        bounds.sample(rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector2;
    use rand::SeedableRng;

    #[test]
    fn samples_fill_the_ellipse_uniformly() {
        let bounds = Bounds::new(Vector2::new(-10.0, -10.0), Vector2::new(10.0, 10.0)).unwrap();
        let problem =
            Problem::new(bounds, Vector2::new(-1.0, -1.0), Vector2::new(2.0, 3.0)).unwrap();
        let sampler = InformedSampler::new(&problem);
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let c = 7.0; // c_min = 5: semi-axes 3.5 and sqrt(49 - 25) / 2 = 2.449
        let n = 40_000;
        let (mut inner, mut mean) = (0, Vector2::zeros());
        for _ in 0..n {
            let x = sampler.sample(c, &bounds, &mut rng);
            let d = (x - problem.start()).norm() + (x - problem.goal()).norm();
            assert!(d <= c + 1e-9);
            // The ellipse scaled by 1/2 about its centre holds 1/4 of a uniform sample.
            let y = sampler.centre + (x - sampler.centre) * 2.0;
            if (y - problem.start()).norm() + (y - problem.goal()).norm() <= c {
                inner += 1;
            }
            mean += x / n as f64;
        }
        let frac = inner as f64 / n as f64;
        assert!((frac - 0.25).abs() < 0.01, "{frac}");
        assert!((mean - sampler.centre).norm() < 0.03, "{mean}");
    }
}
