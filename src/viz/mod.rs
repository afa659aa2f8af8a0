//! Conversions from library types to Rerun archetypes and small logging helpers.
//!
//! Algorithms never log; the scenario runner (or the user's own program) calls these helpers.
