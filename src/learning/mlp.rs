//! The two network shapes (dfdx modules) and visitors over their parameters: global-norm
//! gradient clipping, and export / import of named weights.

use dfdx::nn::modules as m;
use dfdx::prelude::*;

use super::error::LearningError;

/// The emulator network: `N` state-change outputs from `F` state features and `M` actions,
/// two `tanh` hidden layers of `H` units. The first layer is
/// `W_f f + W_u u + b` (two linear maps added: a concatenation on stable dfdx).
pub type EmulatorNet<const F: usize, const M: usize, const H: usize, const N: usize> = (
    m::AddInto<(m::Linear<F, H, f32, Cpu>, m::UnbiasedLinear<M, H, f32, Cpu>)>,
    m::Tanh,
    m::Linear<H, H, f32, Cpu>,
    m::Tanh,
    m::Linear<H, N, f32, Cpu>,
);

/// The policy network: `M` outputs in `(-1, 1)` from `P` state features, two `tanh` hidden
/// layers of `H` units and a `tanh` output.
pub type PolicyNet<const P: usize, const H: usize, const M: usize> = (
    m::Linear<P, H, f32, Cpu>,
    m::Tanh,
    m::Linear<H, H, f32, Cpu>,
    m::Tanh,
    m::Linear<H, M, f32, Cpu>,
    m::Tanh,
);

/// Builds a network with dfdx's default initialisation (uniform in `+-1/sqrt(fan_in)`) drawn
/// from a device seeded with `seed`.
pub(crate) fn build<Net>(seed: u64) -> Result<(Cpu, Net), LearningError>
where
    Net: BuildModule<Cpu, f32>,
{
    let dev = Cpu::seed_from_u64(seed);
    let net = Net::try_build(&dev).map_err(LearningError::device)?;
    Ok((dev, net))
}

/// Computes the global gradient norm of a network's parameters, or scales them.
struct GradientNorm<'a> {
    grads: &'a mut Gradients<f32, Cpu>,
    sum_squares: f64,
    scale: Option<f32>,
    non_finite: bool,
}

impl TensorVisitor<f32, Cpu> for GradientNorm<'_> {
    type Viewer = ViewTensorRef;
    type Err = CpuError;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Cpu>,
        t: &Tensor<S, f32, Cpu>,
    ) -> Result<Option<Tensor<S, f32, Cpu>>, CpuError> {
        if !opts.do_gradient_update {
            return Ok(None);
        }
        let g = self.grads.get_or_alloc_mut(t)?;
        match self.scale {
            None => {
                for v in g.iter() {
                    self.non_finite |= !v.is_finite();
                    self.sum_squares += f64::from(*v) * f64::from(*v);
                }
            }
            Some(s) => g.iter_mut().for_each(|v| *v *= s),
        }
        Ok(None)
    }
}

/// Clips the gradients of `net` to global norm `max_norm` (`g <- g min(1, max_norm / |g|)`)
/// and returns the norm before clipping, or `None` when a gradient is not finite.
pub(crate) fn clip_gradients<Net>(
    net: &Net,
    grads: &mut Gradients<f32, Cpu>,
    max_norm: f64,
) -> Result<Option<f64>, LearningError>
where
    Net: TensorCollection<f32, Cpu>,
{
    let mut visitor = GradientNorm {
        grads,
        sum_squares: 0.0,
        scale: None,
        non_finite: false,
    };
    Net::iter_tensors(&mut RecursiveWalker {
        m: net,
        f: &mut visitor,
    })
    .map_err(LearningError::device)?;
    if visitor.non_finite {
        return Ok(None);
    }
    let norm = visitor.sum_squares.sqrt();
    if norm > max_norm {
        visitor.scale = Some((max_norm / norm) as f32);
        Net::iter_tensors(&mut RecursiveWalker {
            m: net,
            f: &mut visitor,
        })
        .map_err(LearningError::device)?;
    }
    Ok(Some(norm))
}

/// One named parameter tensor: name, shape, values.
pub(crate) type NamedTensor = (String, Vec<usize>, Vec<f32>);

/// Collects every parameter of a network with its dfdx path name (`"0.0.weight"`, ...).
struct Export(Vec<NamedTensor>);

impl TensorVisitor<f32, Cpu> for Export {
    type Viewer = (ViewTensorRef, ViewTensorName);
    type Err = CpuError;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        _opts: TensorOptions<S, f32, Cpu>,
        (t, name): (&Tensor<S, f32, Cpu>, String),
    ) -> Result<Option<Tensor<S, f32, Cpu>>, CpuError> {
        self.0.push((name, t.shape().concrete().into(), t.as_vec()));
        Ok(None)
    }
}

/// The parameters of `net`, named.
pub(crate) fn export<Net>(net: &Net) -> Result<Vec<NamedTensor>, LearningError>
where
    Net: TensorCollection<f32, Cpu>,
{
    let mut visitor = Export(Vec::new());
    Net::iter_tensors(&mut RecursiveWalker {
        m: (net, String::new()),
        f: &mut visitor,
    })
    .map_err(LearningError::device)?;
    Ok(visitor.0)
}

/// A lookup `name, shape -> values` that checks the shape.
pub(crate) type Lookup<'a> = dyn FnMut(&str, &[usize]) -> Result<Vec<f32>, LearningError> + 'a;

/// Fills every parameter of a network from a lookup.
struct Import<'a, 'b> {
    lookup: &'a mut Lookup<'b>,
}

impl TensorVisitor<f32, Cpu> for Import<'_, '_> {
    type Viewer = (ViewTensorMut, ViewTensorName);
    type Err = LearningError;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        _opts: TensorOptions<S, f32, Cpu>,
        (t, name): (&mut Tensor<S, f32, Cpu>, String),
    ) -> Result<Option<Tensor<S, f32, Cpu>>, LearningError> {
        let shape: Vec<usize> = t.shape().concrete().into();
        let values = (self.lookup)(&name, &shape)?;
        t.copy_from(&values);
        Ok(None)
    }
}

/// Sets the parameters of `net` from `lookup(name, shape)` (which checks shapes).
pub(crate) fn import<Net>(net: &mut Net, lookup: &mut Lookup<'_>) -> Result<(), LearningError>
where
    Net: TensorCollection<f32, Cpu>,
{
    Net::iter_tensors(&mut RecursiveWalker {
        m: (net, String::new()),
        f: &mut Import { lookup },
    })?;
    Ok(())
}
