//! Spike encoders.
