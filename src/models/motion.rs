//! Motion models.
