//! The network's monitor registry: adding monitors (checked against the
//! populations' and connections' variables) and reading them.

use super::Network;
use crate::error::{Error, Result};
use crate::monitor::{Monitor, MonitorSpec, MonitorTarget};

impl Network {
    /// Adds a monitor under `name`.
    ///
    /// # Errors
    /// Unknown target or variable, or a duplicate monitor name.
    pub fn add_monitor(&mut self, name: &str, spec: MonitorSpec) -> Result<()> {
        if spec.capacity == Some(0) {
            return Err(Error::param(
                format!("monitor {name:?}"),
                "capacity must be ≥ 1 step",
            ));
        }
        if self.monitors.iter().any(|(n, _)| n == name) {
            return Err(Error::Name(format!(
                "a monitor named {name:?} exists already"
            )));
        }
        let (target, mut vars) = (MonitorTarget::Population(0), Vec::new());
        let target = if spec.target.contains("->") {
            let ci = self.conn_index(&spec.target)?;
            let c = &self.conns[ci];
            for v in &spec.vars {
                let shape = match v.as_str() {
                    "w" => c.topology.weights_dense().map(|(s, _)| s),
                    other => c.topology.variable(other).map(|x| vec![x.len()]),
                };
                let shape = shape.ok_or_else(|| {
                    Error::Name(format!("connection {} has no variable {v:?}", c.name))
                })?;
                vars.push((v.clone(), shape, false));
            }
            if spec.vars.iter().any(|v| v == "w") {
                self.conns[ci].weights_watched = true;
            }
            MonitorTarget::Connection(ci)
        } else {
            let pi = self.pop_index(&spec.target)?;
            let p = &self.pops[pi];
            for v in &spec.vars {
                let mut shape = vec![self.batch];
                shape.extend_from_slice(p.core().shape());
                let per_row = v != "theta";
                if !per_row {
                    shape.remove(0);
                }
                if p.core().variable(v).is_none() && p.variable(v).is_none() {
                    return Err(Error::Name(format!(
                        "population {:?} ({}) has no variable {v:?}; it has s, {:?}{}",
                        spec.target,
                        p.type_name(),
                        p.variable_names(),
                        if p.core().trace().is_some() {
                            ", x"
                        } else {
                            ""
                        }
                    )));
                }
                vars.push((v.clone(), shape, per_row));
            }
            let _ = target;
            MonitorTarget::Population(pi)
        };
        self.monitors.push((
            name.to_string(),
            Monitor::new(target, spec.capacity, spec.sum, vars),
        ));
        Ok(())
    }

    /// A monitor by name.
    ///
    /// # Errors
    /// [`Error::Name`] for an unknown monitor.
    pub fn monitor(&self, name: &str) -> Result<&Monitor> {
        self.monitors
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m)
            .ok_or_else(|| Error::Name(format!("no monitor named {name:?}")))
    }
}
