//! What a replay runs on: one [`Network`], or one process's part of a
//! [`DistributedNetwork`] — built from the same case, run by the same
//! protocol, compared against the same expected states.

use crate::distributed::DistributedNetwork;
use crate::error::Result;
use crate::monitor::MonitorSpec;
use crate::network::{Network, RunInput, RunOptions};
use crate::tensor::Tensor;

/// A network a case can be replayed on and read back from. Over processes,
/// every read is a collective (every process replays the case and compares
/// alike).
pub(crate) trait Engine {
    fn batch_size(&self) -> usize;
    /// A population's neuron count and model name.
    fn population_info(&self, name: &str) -> Result<(usize, &'static str)>;
    fn add_monitor(&mut self, name: &str, spec: MonitorSpec) -> Result<()>;
    fn run(&mut self, inputs: &[(&str, &Tensor)], steps: usize, options: &RunOptions)
        -> Result<()>;
    /// What monitor `monitor` recorded of `var`, `[time, batch, *shape]`.
    fn recording(&self, monitor: &str, var: &str) -> Result<Tensor>;
    /// A connection's weights in BindsNET's layout.
    fn weights(&self, connection: &str) -> Result<Tensor>;
    /// A connection's rule state (`"pre_trace"`, `"post_trace"`,
    /// `"eligibility"`), as one network holds it.
    fn connection_state(&self, connection: &str, var: &str) -> Result<Vec<f32>>;
    /// A population's spikes of the last step, `[batch × n]`.
    fn spikes(&self, pop: &str) -> Result<Vec<f32>>;
}

impl Engine for Network {
    fn batch_size(&self) -> usize {
        Network::batch_size(self)
    }
    fn population_info(&self, name: &str) -> Result<(usize, &'static str)> {
        let p = self.population(name)?;
        Ok((p.core().n(), p.type_name()))
    }
    fn add_monitor(&mut self, name: &str, spec: MonitorSpec) -> Result<()> {
        Network::add_monitor(self, name, spec)
    }
    fn run(
        &mut self,
        inputs: &[(&str, &Tensor)],
        steps: usize,
        options: &RunOptions,
    ) -> Result<()> {
        Network::run(self, inputs, steps, options)
    }
    fn recording(&self, monitor: &str, var: &str) -> Result<Tensor> {
        self.monitor(monitor)?.get(var)
    }
    fn weights(&self, connection: &str) -> Result<Tensor> {
        self.weights_tensor(connection)
    }
    fn connection_state(&self, connection: &str, var: &str) -> Result<Vec<f32>> {
        Ok(Network::connection_state(self, connection, var)?.to_vec())
    }
    fn spikes(&self, pop: &str) -> Result<Vec<f32>> {
        Ok(self.population(pop)?.core().spikes().values().to_vec())
    }
}

impl Engine for DistributedNetwork {
    fn batch_size(&self) -> usize {
        self.network().batch_size()
    }
    fn population_info(&self, name: &str) -> Result<(usize, &'static str)> {
        let n = self.population_len(name)?;
        Ok((n, self.network().population(name)?.type_name()))
    }
    fn add_monitor(&mut self, name: &str, spec: MonitorSpec) -> Result<()> {
        DistributedNetwork::add_monitor(self, name, spec)
    }
    fn run(
        &mut self,
        inputs: &[(&str, &Tensor)],
        steps: usize,
        options: &RunOptions,
    ) -> Result<()> {
        let inputs: Vec<_> = inputs
            .iter()
            .map(|&(n, t)| (n, RunInput::Values(t)))
            .collect();
        self.run_inputs(&inputs, steps, options)
    }
    fn recording(&self, monitor: &str, var: &str) -> Result<Tensor> {
        self.gather_recording(monitor, var)
    }
    fn weights(&self, connection: &str) -> Result<Tensor> {
        self.gather_weights(connection)
    }
    fn connection_state(&self, connection: &str, var: &str) -> Result<Vec<f32>> {
        self.gather_connection_state(connection, var)
    }
    fn spikes(&self, pop: &str) -> Result<Vec<f32>> {
        Ok(self.gather_population(pop, "s")?.into_data())
    }
}
