//! Measurement models.
