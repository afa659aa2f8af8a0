//! Weights files: safetensors with the model kind and sizes in the metadata, every tensor's
//! shape and element type checked on load.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::error::LearningError;

/// The metadata key naming the model kind.
pub(crate) const MODEL_KEY: &str = "kestrel.model";
/// The metadata key holding the sizes (`"N=4 M=1 F=6 H=45"`).
pub(crate) const SIZES_KEY: &str = "kestrel.sizes";

/// Collects tensors and writes them as one safetensors file.
#[derive(Default)]
pub(crate) struct Writer {
    tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)>,
    metadata: HashMap<String, String>,
}

impl Writer {
    pub(crate) fn new(model: &str, sizes: String) -> Self {
        let mut metadata = HashMap::new();
        metadata.insert(MODEL_KEY.to_string(), model.to_string());
        metadata.insert(SIZES_KEY.to_string(), sizes);
        Self {
            tensors: Vec::new(),
            metadata,
        }
    }

    pub(crate) fn f32(&mut self, name: &str, shape: Vec<usize>, values: &[f32]) {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.tensors
            .push((name.to_string(), Dtype::F32, shape, bytes));
    }

    pub(crate) fn f64(&mut self, name: &str, shape: Vec<usize>, values: &[f64]) {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.tensors
            .push((name.to_string(), Dtype::F64, shape, bytes));
    }

    pub(crate) fn write(&self, path: &Path) -> Result<(), LearningError> {
        let corrupt = |e: safetensors::SafeTensorError| LearningError::Corrupt {
            path: path.to_path_buf(),
            message: format!("{e:?}"),
        };
        let mut views = Vec::with_capacity(self.tensors.len());
        for (name, dtype, shape, bytes) in &self.tensors {
            views.push((
                name.clone(),
                TensorView::new(*dtype, shape.clone(), bytes).map_err(corrupt)?,
            ));
        }
        let bytes =
            safetensors::tensor::serialize(views, &Some(self.metadata.clone())).map_err(corrupt)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| LearningError::Io {
                path: dir.to_path_buf(),
                message: e.to_string(),
            })?;
        }
        std::fs::write(path, bytes).map_err(|e| LearningError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }
}

/// A safetensors file read and validated against a model kind and sizes.
pub(crate) struct Reader {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl Reader {
    /// Reads `path` and checks that it is a safetensors file of `model` with `sizes`.
    pub(crate) fn open(path: &Path, model: &str, sizes: &str) -> Result<Self, LearningError> {
        let bytes = std::fs::read(path).map_err(|e| LearningError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let (_, metadata) =
            SafeTensors::read_metadata(&bytes).map_err(|e| LearningError::Corrupt {
                path: path.to_path_buf(),
                message: format!("{e:?}"),
            })?;
        // Validates every tensor's offsets against the buffer.
        SafeTensors::deserialize(&bytes).map_err(|e| LearningError::Corrupt {
            path: path.to_path_buf(),
            message: format!("{e:?}"),
        })?;
        let meta = metadata.metadata().clone().unwrap_or_default();
        let found = meta.get(MODEL_KEY).cloned().unwrap_or_default();
        if found != model {
            return Err(LearningError::WrongModel {
                path: path.to_path_buf(),
                expected: model.to_string(),
                found,
            });
        }
        let found_sizes = meta.get(SIZES_KEY).cloned().unwrap_or_default();
        if found_sizes != sizes {
            return Err(LearningError::WrongModel {
                path: path.to_path_buf(),
                expected: format!("{model} with {sizes}"),
                found: format!("{found} with {found_sizes}"),
            });
        }
        Ok(Self {
            path: path.to_path_buf(),
            bytes,
        })
    }

    fn view<T>(
        &self,
        name: &str,
        shape: &[usize],
        dtype: Dtype,
        read: impl Fn(&[u8]) -> T,
        finite: impl Fn(&T) -> bool,
    ) -> Result<Vec<T>, LearningError> {
        let tensors =
            SafeTensors::deserialize(&self.bytes).map_err(|e| LearningError::Corrupt {
                path: self.path.clone(),
                message: format!("{e:?}"),
            })?;
        let view = tensors
            .tensor(name)
            .map_err(|_| LearningError::MissingTensor {
                path: self.path.clone(),
                name: name.to_string(),
            })?;
        if view.dtype() != dtype || view.shape() != shape {
            return Err(LearningError::WrongShape(Box::new(
                super::error::ShapeMismatch {
                    path: self.path.clone(),
                    name: name.to_string(),
                    expected: shape.to_vec(),
                    found: view.shape().to_vec(),
                    dtype: format!("{:?}", view.dtype()),
                    expected_dtype: format!("{dtype:?}"),
                },
            )));
        }
        let size = dtype.size();
        let values: Vec<T> = view.data().chunks_exact(size).map(read).collect();
        if !values.iter().all(finite) {
            return Err(LearningError::NonFiniteWeights {
                path: self.path.clone(),
                name: name.to_string(),
            });
        }
        Ok(values)
    }

    /// An `F32` tensor of exactly `shape`, all finite.
    pub(crate) fn f32(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, LearningError> {
        self.view(
            name,
            shape,
            Dtype::F32,
            |b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            |v| v.is_finite(),
        )
    }

    /// An `F64` tensor of exactly `shape`, all finite.
    pub(crate) fn f64(&self, name: &str, shape: &[usize]) -> Result<Vec<f64>, LearningError> {
        self.view(
            name,
            shape,
            Dtype::F64,
            |b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            |v| v.is_finite(),
        )
    }
}
