//! Silent steps in closed form: a network with nothing in flight and no
//! neuron able to spike only relaxes — each population's state decays, and
//! so do the learning rules' traces, as each can say in closed form — so
//! many such steps can be taken at once.

use super::Network;
use crate::monitor::{Monitor, MonitorTarget};

impl Network {
    /// Advances `steps` steps without input in closed form where nothing
    /// in them can spike, and returns `true`; returns `false`, changing
    /// nothing, where that cannot be shown:
    ///
    /// * learning is on and some connection's weights would move without
    ///   spikes (weight decay) or its rule cannot take spike-free steps in
    ///   closed form ([`ConnectionRule::quiet`](crate::learning::ConnectionRule::quiet);
    ///   adaptive thresholds decay in closed form with the populations);
    /// * some population spiked at the last step (its spikes are still to
    ///   be delivered), or could spike in the `steps` steps, or has no
    ///   closed form ([`Population::quiet`](crate::nodes::Population::quiet));
    /// * some connection holds input in flight (a delay ring), has a bias
    ///   or other state a step changes
    ///   ([`Topology::silent_skippable`](crate::topology::Topology::silent_skippable));
    /// * a monitor records per step (only spike counts summed over time,
    ///   which silent steps leave as they are, are allowed);
    /// * the network is a part of a distributed one (its populations
    ///   exchange spikes with the other parts, which must keep in step:
    ///   [`DistributedNetwork::relax`](crate::distributed::DistributedNetwork::relax)
    ///   relaxes all parts together).
    ///
    /// The state afterwards is the stepped one up to rounding and to the
    /// conductances each model neglects (for [`ConductanceLifNodes`](crate::nodes::ConductanceLifNodes):
    /// below 10⁻⁶, moving `v` by ~10⁻⁶ mV), not bit for bit: use it where
    /// a protocol only waits for the state to settle (the paper model's
    /// rest between images, [`DiehlCookPaper::closed_form_rest`](crate::models::diehl_cook_paper::DiehlCookPaper::closed_form_rest)
    /// and [`closed_form_training_rest`](crate::models::diehl_cook_paper::DiehlCookPaper::closed_form_training_rest)).
    ///
    /// ```
    /// use spikeflow::prelude::*;
    /// let mut b = Network::builder().dt(0.5);
    /// b.add_population("X", &[2], Input, NodeOptions::default());
    /// b.add_population("Y", &[3], ConductanceLifNodes::default(), NodeOptions::default());
    /// b.connect(Connect::new("X", "Y", Dense::with_weights(vec![0.1; 6])));
    /// let mut net = b.build()?;
    /// net.set_learning(false);
    /// assert!(net.relax(300)); // silent from the start: v relaxes to v_rest
    /// # Ok::<(), spikeflow::Error>(())
    /// ```
    pub fn relax(&mut self, steps: usize) -> bool {
        if !self.relax_possible(steps, &[]) {
            return false;
        }
        self.relax_now(steps);
        true
    }

    /// Whether [`relax`](Self::relax) may go ahead, the populations
    /// `mirrored` (a distributed part's mirrors of other parts, whose
    /// silence the parts establish together) excused from being
    /// [`quiet`](crate::nodes::Population::quiet) but not from being silent.
    pub(crate) fn relax_possible(&self, steps: usize, mirrored: &[usize]) -> bool {
        let learning = self.learning;
        self.late.is_none()
            && self.monitors.iter().all(|(_, m)| unchanged_by_silence(m))
            && self.pops.iter().enumerate().all(|(k, p)| {
                p.core().silent() && (mirrored.contains(&k) || p.quiet(steps, learning))
            })
            && self
                .conns
                .iter()
                .all(|c| c.topology.silent_skippable() && (!learning || c.learning_quiet()))
    }

    /// Takes `steps` silent steps in closed form, once
    /// [`relax_possible`](Self::relax_possible) said so.
    pub(crate) fn relax_now(&mut self, steps: usize) {
        let learning = self.learning;
        for p in &mut self.pops {
            p.relax(steps, learning);
        }
        for c in &mut self.conns {
            c.topology.skip_silent(steps);
            if learning {
                c.relax_learning(steps, self.dt);
            }
        }
    }
}

/// A monitor that sums spikes over time records nothing new in a step
/// without spikes.
fn unchanged_by_silence(m: &Monitor) -> bool {
    m.is_sum()
        && matches!(m.target, MonitorTarget::Population(_))
        && m.tracks.iter().all(|t| t.var == "s")
}
