//! Hand-computed micro-cases for every learning rule's equations, plus
//! property tests of the shared machinery (bounds, batch reduction, `nu`,
//! reward forms, weight decay, rule-state reset).
//!
//! The micro-cases use the pair example of the BindsNET semantics (§5.3):
//! two inputs with weights `[20, 0.5]` onto one LIF neuron; input 0 spikes at
//! step 0, which makes the neuron spike at step 1 (one step of synaptic
//! delay); input 1 spikes at step 2. With the default trace (`tc_trace` 20,
//! `dt` 1) a trace set at step `t` is worth `d = e^{-1/20}` at step `t + 1`.
//!
//! Property tests loop over seeded random networks drawn with
//! [`spikeflow::rng::Rng`] (no proptest dependency).

mod common;
mod machinery;
mod properties;
mod random_nets;
mod reward;
mod two_factor;
