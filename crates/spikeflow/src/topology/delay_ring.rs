//! Spikes in flight on delayed synapses: a ring of future input, shared by
//! [`Delayed`](super::Delayed) and [`WithDelays`](super::WithDelays).
//!
//! `slots = d_max + 1` slots of `[batch × n_post]`; a spike delayed by `d`
//! steps is added to slot `(head + d) mod slots`, and each step the slot at
//! `head` is delivered, cleared, and `head` moves on. Ring and head are the
//! topology's state (saved in snapshots, cleared by `reset_state`).

/// The ring and its head.
#[derive(Debug)]
pub(super) struct DelayRing {
    pub slots: usize,
    /// The slot delivered at the next step (a whole number; an `f32` so
    /// that snapshots save it with the ring).
    pub head: [f32; 1],
    /// `[slots × batch × n_post]` future input.
    pub ring: Vec<f32>,
}

impl DelayRing {
    /// An empty ring for delays up to `slots − 1` steps.
    pub fn new(slots: usize, slot_len: usize) -> Self {
        DelayRing {
            slots,
            head: [0.0],
            ring: vec![0.0; slots * slot_len],
        }
    }

    /// The slot delivered this step.
    pub fn head(&self) -> usize {
        (self.head[0] as usize).min(self.slots - 1)
    }

    /// Adds the slot at `head` to `out`, clears it and moves on.
    pub fn deliver(&mut self, out: &mut [f32], slot_len: usize) {
        let head = self.head();
        let now = &mut self.ring[head * slot_len..(head + 1) * slot_len];
        for (o, x) in out[..slot_len].iter_mut().zip(now.iter_mut()) {
            *o += *x;
            *x = 0.0;
        }
        self.head[0] = ((head + 1) % self.slots) as f32;
    }

    /// Whether no input is in flight.
    pub fn is_empty(&self) -> bool {
        self.ring.iter().all(|&x| x == 0.0)
    }

    /// `steps` deliveries of an empty ring: only the head moves.
    pub fn skip(&mut self, steps: usize) {
        debug_assert!(self.is_empty());
        self.head[0] = ((self.head() + steps % self.slots) % self.slots) as f32;
    }

    /// The state's names: without them a restored run would lose the input
    /// of the next `d_max` steps.
    pub const NAMES: &'static [&'static str] = &["ring", "head"];

    pub fn variable(&self, name: &str) -> Option<&[f32]> {
        match name {
            "ring" => Some(&self.ring),
            "head" => Some(&self.head),
            _ => None,
        }
    }

    pub fn variable_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        match name {
            "ring" => Some(&mut self.ring),
            "head" => Some(&mut self.head),
            _ => None,
        }
    }

    pub fn reset(&mut self) {
        self.ring.fill(0.0);
        self.head = [0.0];
    }
}
