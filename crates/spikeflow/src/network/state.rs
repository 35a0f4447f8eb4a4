//! Saving and restoring a network's complete state (checkpoints).

use super::Network;
use crate::error::{Error, Result};
use crate::rng::Rng;
use std::borrow::Cow;

/// Every array of a network's state by name, plus its generator's state.
///
/// Names: `pop/<name>/<var>` (spikes `s`, trace `x`, `summed` and the
/// model's variables), `conn/<source -> target>/w`, `conn/…/<topology
/// state>` and `conn/…/rule/<rule state>`. Restoring into a network built
/// from the same configuration continues the run bit for bit.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Named arrays.
    pub arrays: Vec<(String, Vec<f32>)>,
    /// The network generator's state.
    pub rng: [u64; 4],
}

impl Network {
    /// Captures the whole state.
    pub fn snapshot(&self) -> Snapshot {
        let mut arrays = Vec::new();
        for (name, p) in self.names.iter().zip(&self.pops) {
            let core = p.core();
            arrays.push((format!("pop/{name}/s"), core.spikes().values().to_vec()));
            if let Some(x) = core.trace() {
                arrays.push((format!("pop/{name}/x"), x.to_vec()));
            }
            if let Some(x) = core.summed() {
                arrays.push((format!("pop/{name}/summed"), x.to_vec()));
            }
            for v in p.variable_names() {
                if let Some(x) = p.variable(v) {
                    arrays.push((format!("pop/{name}/{v}"), x.to_vec()));
                }
            }
        }
        for c in &self.conns {
            if let Some(w) = c.topology.weights() {
                arrays.push((format!("conn/{}/w", c.name), w.to_vec()));
            }
            for v in c.topology.variable_names() {
                if let Some(x) = c.topology.variable(v) {
                    arrays.push((format!("conn/{}/{v}", c.name), x.to_vec()));
                }
            }
            if let Some(l) = &c.learner {
                for (k, v) in l.save() {
                    arrays.push((format!("conn/{}/rule/{k}", c.name), v));
                }
            }
        }
        Snapshot {
            arrays,
            rng: self.rng.state(),
        }
    }

    /// How the snapshot array `array` of connection `conn` (`"w"`, a
    /// topology variable, or with `rule` an array its rule saved) stands to
    /// the whole connection's when this network is one process's part of a
    /// [distributed](crate::distributed) one; `None`: unknown.
    pub(crate) fn part_layout(
        &self,
        conn: &str,
        array: &str,
        rule: bool,
    ) -> Option<crate::distributed::PartLayout> {
        let c = self.conns.iter().find(|c| c.name == conn)?;
        if rule {
            c.learner.as_ref()?.part_layout(array)
        } else {
            c.topology.part_layout(array)
        }
    }

    /// The synapse count of each source's compressed row of connection
    /// `conn` (`None`: not compressed rows).
    pub(crate) fn synapse_row_lengths(&self, conn: &str) -> Option<Vec<u32>> {
        let c = self.conns.iter().find(|c| c.name == conn)?;
        match c.topology.synapses()? {
            crate::topology::SynapseMap::Sparse(csr) => Some(
                (0..csr.n_pre())
                    .map(|i| csr.row(i).1.len() as u32)
                    .collect(),
            ),
            _ => None,
        }
    }

    /// Restores a snapshot taken from a network of the same configuration.
    /// Either everything is restored or nothing is changed.
    ///
    /// # Errors
    /// [`Error::Format`] naming the first missing, unknown or mis-sized
    /// array.
    pub fn restore(&mut self, snap: &Snapshot) -> Result<()> {
        let bad = |m: String| Error::format("snapshot", m);
        let mine = self.snapshot();
        let snap = &with_added_later(&mine, snap);
        if mine.arrays.len() != snap.arrays.len() {
            return Err(bad(format!(
                "{} arrays, this network has {}",
                snap.arrays.len(),
                mine.arrays.len()
            )));
        }
        for ((a, va), (b, vb)) in mine.arrays.iter().zip(&snap.arrays) {
            if a != b || va.len() != vb.len() {
                return Err(bad(format!(
                    "array {b} ({} values) does not match this network's {a} ({} values)",
                    vb.len(),
                    va.len()
                )));
            }
            if vb.iter().any(|x| x.is_nan()) {
                return Err(bad(format!("array {b} holds NaN")));
            }
        }
        let mut it = snap.arrays.iter().map(|(_, v)| v.as_slice());
        let mut next = || it.next().expect("checked: same layout");
        for p in &mut self.pops {
            let s = next();
            p.core_mut().spikes_mut().set_values(s);
            if let Some(x) = p.core_mut().trace_mut() {
                x.copy_from_slice(next());
            }
            if let Some(x) = p.core_mut().summed_mut() {
                x.copy_from_slice(next());
            }
            for v in p.variable_names() {
                if let Some(x) = p.variable_mut(v) {
                    x.copy_from_slice(next());
                }
            }
        }
        for c in &mut self.conns {
            if let Some(w) = c.topology.weights_mut() {
                w.copy_from_slice(next());
            }
            for v in c.topology.variable_names() {
                if let Some(x) = c.topology.variable_mut(v) {
                    x.copy_from_slice(next());
                }
            }
            if let Some(l) = &mut c.learner {
                let n = l.save().len();
                let vals: Vec<Vec<f32>> = (0..n).map(|_| next().to_vec()).collect();
                let names: Vec<&str> = l.save().into_iter().map(|(k, _)| k).collect();
                let mut lookup =
                    |k: &str| names.iter().position(|n| *n == k).map(|i| vals[i].clone());
                l.load(&mut lookup)
                    .map_err(|m| bad(format!("connection {}: {m}", c.name)))?;
            }
            c.dirty = true;
        }
        self.rng = Rng::from_state(snap.rng);
        Ok(())
    }
}

/// State arrays that snapshots gained after checkpoints had been written
/// without them; a snapshot that lacks one restores it as zeros, the state
/// it stood for before it was saved (`theta_low`: the part of a conductance
/// neuron's θ below its f32 image, 0 when θ was read back from f32).
const ADDED_LATER: &[&str] = &["theta_low"];

/// `snap` with zeros for the [`ADDED_LATER`] arrays of `mine` it lacks.
fn with_added_later<'a>(mine: &Snapshot, snap: &'a Snapshot) -> Cow<'a, Snapshot> {
    let later = |name: &str| {
        ADDED_LATER
            .iter()
            .any(|a| name.rsplit('/').next() == Some(a))
    };
    let lacks = |name: &str| later(name) && !snap.arrays.iter().any(|(n, _)| n == name);
    if !mine.arrays.iter().any(|(n, _)| lacks(n)) {
        return Cow::Borrowed(snap);
    }
    let mut given = snap.arrays.iter().peekable();
    let mut arrays = Vec::with_capacity(mine.arrays.len());
    for (name, v) in &mine.arrays {
        if lacks(name) {
            arrays.push((name.clone(), vec![0.0; v.len()]));
        } else if let Some(a) = given.next() {
            arrays.push(a.clone());
        }
    }
    arrays.extend(given.cloned());
    Cow::Owned(Snapshot {
        arrays,
        rng: snap.rng,
    })
}
