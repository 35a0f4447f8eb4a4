//! Spike encoders: turn data into spike trains `[steps, *shape]`.
