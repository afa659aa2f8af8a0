//! Network inputs: affine maps of the state, some wrapped through `sin`, then standardised.

use dfdx::prelude::*;
use nalgebra::{SMatrix, SVector};

use super::error::{first_non_finite, LearningError};

/// Input features `f = (g(A x + b) - mu) / sigma` of a state `x` of size `N`, `F` features.
///
/// Each row `k` is an affine function `z_k = a_k . x + b_k`; a *periodic* row passes through
/// `sin`, so angles enter a network as `sin(theta)` (`b_k = 0`) and `cos(theta)`
/// (`b_k = pi/2`) and the network never sees the 2 pi jump of a wrapped angle. Then every
/// feature is standardised with the mean `mu_k` and standard deviation `sigma_k` of the
/// training data ([`fit_standardization`](Self::fit_standardization); `mu = 0`, `sigma = 1`
/// until then). Cost: `O(N F)` per state.
///
/// ```
/// use nalgebra::{SMatrix, Vector2};
/// use kestrel::learning::PeriodicFeatures;
/// // [x, theta] -> [x, sin theta, cos theta]
/// let a = SMatrix::<f64, 3, 2>::new(1.0, 0.0, 0.0, 1.0, 0.0, 1.0);
/// let b = nalgebra::Vector3::new(0.0, 0.0, std::f64::consts::FRAC_PI_2);
/// let features = PeriodicFeatures::new(a, b, [false, true, true]).unwrap();
/// let f = features.eval(&Vector2::new(2.0, 0.5));
/// assert!((f[0] - 2.0).abs() < 1e-12 && (f[1] - 0.5f64.sin()).abs() < 1e-12);
/// assert!((f[2] - 0.5f64.cos()).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodicFeatures<const N: usize, const F: usize> {
    a: SMatrix<f64, F, N>,
    b: SVector<f64, F>,
    periodic: [bool; F],
    mean: SVector<f64, F>,
    std: SVector<f64, F>,
}

impl<const N: usize, const F: usize> PeriodicFeatures<N, F> {
    /// Features with rows `(a_k, b_k)`, `periodic[k]` choosing `sin`; not standardised yet.
    ///
    /// # Errors
    /// [`LearningError::NonFinite`] for a non-finite entry of `a` or `b`.
    pub fn new(
        a: SMatrix<f64, F, N>,
        b: SVector<f64, F>,
        periodic: [bool; F],
    ) -> Result<Self, LearningError> {
        if let Some(index) = first_non_finite(a.iter()) {
            return Err(LearningError::NonFinite {
                what: "feature matrix",
                index,
            });
        }
        if let Some(index) = first_non_finite(b.iter()) {
            return Err(LearningError::NonFinite {
                what: "feature offset",
                index,
            });
        }
        Ok(Self {
            a,
            b,
            periodic,
            mean: SVector::zeros(),
            std: SVector::repeat(1.0),
        })
    }

    /// The raw features `g(A x + b)` before standardisation.
    pub fn raw(&self, x: &SVector<f64, N>) -> SVector<f64, F> {
        let mut z = self.a * x + self.b;
        for (k, p) in self.periodic.iter().enumerate() {
            if *p {
                z[k] = z[k].sin();
            }
        }
        z
    }

    /// The standardised features `(g(A x + b) - mu) / sigma`.
    pub fn eval(&self, x: &SVector<f64, N>) -> SVector<f64, F> {
        (self.raw(x) - self.mean).component_div(&self.std)
    }

    /// Sets `mu` and `sigma` to the mean and standard deviation of the raw features over
    /// `samples` (a feature whose deviation is below `1e-9` keeps `sigma = 1`).
    ///
    /// # Errors
    /// [`LearningError::LengthMismatch`] for no samples, [`LearningError::NonFinite`] for a
    /// non-finite sample (its index is reported).
    pub fn fit_standardization(
        &mut self,
        samples: &[SVector<f64, N>],
    ) -> Result<(), LearningError> {
        if samples.is_empty() {
            return Err(LearningError::LengthMismatch {
                what: "standardisation samples",
                expected: 1,
                found: 0,
            });
        }
        if let Some(index) = samples
            .iter()
            .position(|x| first_non_finite(x.iter()).is_some())
        {
            return Err(LearningError::NonFinite {
                what: "standardisation sample",
                index,
            });
        }
        let n = samples.len() as f64;
        let mean = samples.iter().map(|x| self.raw(x)).sum::<SVector<f64, F>>() / n;
        let var = samples
            .iter()
            .map(|x| (self.raw(x) - mean).map(|v| v * v))
            .sum::<SVector<f64, F>>()
            / n;
        self.mean = mean;
        self.std = var.map(|v| if v.sqrt() > 1e-9 { v.sqrt() } else { 1.0 });
        Ok(())
    }

    /// Sets the standardisation explicitly.
    ///
    /// # Errors
    /// [`LearningError::NonFinite`] for non-finite values, [`LearningError::InvalidParameter`]
    /// for a non-positive `sigma`.
    pub fn set_standardization(
        &mut self,
        mean: SVector<f64, F>,
        std: SVector<f64, F>,
    ) -> Result<(), LearningError> {
        if let Some(index) = first_non_finite(mean.iter().chain(std.iter())) {
            return Err(LearningError::NonFinite {
                what: "feature standardisation",
                index,
            });
        }
        if let Some(k) = std.iter().position(|s| *s <= 0.0) {
            return Err(LearningError::InvalidParameter {
                name: "feature std",
                reason: format!("entry {k} must be > 0, got {}", std[k]),
            });
        }
        self.mean = mean;
        self.std = std;
        Ok(())
    }

    /// The feature means `mu`.
    pub fn mean(&self) -> &SVector<f64, F> {
        &self.mean
    }

    /// The feature standard deviations `sigma`.
    pub fn std(&self) -> &SVector<f64, F> {
        &self.std
    }

    /// The affine rows `A`.
    pub fn matrix(&self) -> &SMatrix<f64, F, N> {
        &self.a
    }

    /// The offsets `b`.
    pub fn offset(&self) -> &SVector<f64, F> {
        &self.b
    }

    /// Which rows pass through `sin`.
    pub fn periodic(&self) -> &[bool; F] {
        &self.periodic
    }

    /// The constant tensors that evaluate these features on a batch.
    pub(crate) fn tensors(&self, dev: &Cpu) -> FeatureTensors<N, F> {
        let mut at = [[0f32; F]; N];
        for (i, row) in at.iter_mut().enumerate() {
            for (k, v) in row.iter_mut().enumerate() {
                *v = self.a[(k, i)] as f32;
            }
        }
        let vector = |f: &dyn Fn(usize) -> f64| {
            let mut v = [0f32; F];
            for (k, out) in v.iter_mut().enumerate() {
                *out = f(k) as f32;
            }
            dev.tensor(v)
        };
        let any_periodic = self.periodic.iter().any(|p| *p);
        FeatureTensors {
            at: dev.tensor(at),
            b: vector(&|k| self.b[k]),
            sin_weight: vector(&|k| {
                if self.periodic[k] {
                    1.0 / self.std[k]
                } else {
                    0.0
                }
            }),
            lin_weight: vector(&|k| {
                if self.periodic[k] {
                    0.0
                } else {
                    1.0 / self.std[k]
                }
            }),
            shift: vector(&|k| -self.mean[k] / self.std[k]),
            any_periodic,
        }
    }
}

/// [`PeriodicFeatures`] as constant tensors: `f = sin(z) w_sin + z w_lin + c`, `z = x A^T + b`.
#[derive(Debug, Clone)]
pub(crate) struct FeatureTensors<const N: usize, const F: usize> {
    at: Tensor<Rank2<N, F>, f32, Cpu>,
    b: Tensor<Rank1<F>, f32, Cpu>,
    sin_weight: Tensor<Rank1<F>, f32, Cpu>,
    lin_weight: Tensor<Rank1<F>, f32, Cpu>,
    shift: Tensor<Rank1<F>, f32, Cpu>,
    any_periodic: bool,
}

/// A batch of row vectors of size `C`.
pub(crate) type Batch<const C: usize, T = NoneTape> = Tensor<(usize, Const<C>), f32, Cpu, T>;

impl<const N: usize, const F: usize> FeatureTensors<N, F> {
    /// The features of a batch of states (rows), on the batch's tape.
    pub(crate) fn forward<T: Tape<f32, Cpu>>(
        &self,
        x: Batch<N, T>,
    ) -> Result<Batch<F, T>, LearningError> {
        let shape = (x.shape().0, Const::<F>);
        let z = x
            .try_matmul(self.at.clone())
            .map_err(LearningError::device)?
            .try_add(
                self.b
                    .clone()
                    .try_broadcast_like(&shape)
                    .map_err(LearningError::device)?,
            )
            .map_err(LearningError::device)?;
        let lin = self
            .lin_weight
            .clone()
            .try_broadcast_like(&shape)
            .map_err(LearningError::device)?;
        let mixed = if self.any_periodic {
            let z_lin = z.with_empty_tape();
            let sin_w = self
                .sin_weight
                .clone()
                .try_broadcast_like(&shape)
                .map_err(LearningError::device)?;
            let s = z
                .try_sin()
                .map_err(LearningError::device)?
                .try_mul(sin_w)
                .map_err(LearningError::device)?;
            s.try_add(z_lin.try_mul(lin).map_err(LearningError::device)?)
                .map_err(LearningError::device)?
        } else {
            z.try_mul(lin).map_err(LearningError::device)?
        };
        mixed
            .try_add(
                self.shift
                    .clone()
                    .try_broadcast_like(&shape)
                    .map_err(LearningError::device)?,
            )
            .map_err(LearningError::device)
    }
}

impl<const N: usize, const F: usize> PeriodicFeatures<N, F> {
    /// Writes the features under `prefix` (`prefix.a`, `.b`, `.periodic`, `.mean`, `.std`).
    pub(crate) fn write(&self, w: &mut super::io::Writer, prefix: &str) {
        let a: Vec<f64> = (0..F)
            .flat_map(|k| (0..N).map(move |i| (k, i)))
            .map(|(k, i)| self.a[(k, i)])
            .collect();
        w.f64(&format!("{prefix}.a"), vec![F, N], &a);
        w.f64(&format!("{prefix}.b"), vec![F], self.b.as_slice());
        let periodic: Vec<f64> = self
            .periodic
            .iter()
            .map(|p| f64::from(u8::from(*p)))
            .collect();
        w.f64(&format!("{prefix}.periodic"), vec![F], &periodic);
        w.f64(&format!("{prefix}.mean"), vec![F], self.mean.as_slice());
        w.f64(&format!("{prefix}.std"), vec![F], self.std.as_slice());
    }

    /// Reads features written by [`write`](Self::write).
    pub(crate) fn read(r: &super::io::Reader, prefix: &str) -> Result<Self, LearningError> {
        let a = r.f64(&format!("{prefix}.a"), &[F, N])?;
        let b = r.f64(&format!("{prefix}.b"), &[F])?;
        let p = r.f64(&format!("{prefix}.periodic"), &[F])?;
        let mean = r.f64(&format!("{prefix}.mean"), &[F])?;
        let std = r.f64(&format!("{prefix}.std"), &[F])?;
        let mut periodic = [false; F];
        for (k, v) in p.iter().enumerate() {
            periodic[k] = *v != 0.0;
        }
        let mut features = Self::new(
            SMatrix::from_row_slice(&a),
            SVector::from_column_slice(&b),
            periodic,
        )?;
        features.set_standardization(
            SVector::from_column_slice(&mean),
            SVector::from_column_slice(&std),
        )?;
        Ok(features)
    }
}
