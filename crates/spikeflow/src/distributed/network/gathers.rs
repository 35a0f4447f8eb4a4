//! The whole network's arrays read from every process's part: the
//! gathers (collectives) of a distributed network.

use super::{lock, DistributedNetwork, MIRROR};
use crate::error::{Error, Result};
use crate::Tensor;

impl DistributedNetwork {
    /// Every process's `local` values, in rank order.
    pub(super) fn gather(&self, local: &[f32]) -> Vec<Vec<f32>> {
        let words: Vec<u32> = local.iter().map(|x| x.to_bits()).collect();
        self.gather_words(&words)
            .into_iter()
            .map(|w| w.into_iter().map(f32::from_bits).collect())
            .collect()
    }

    /// Every process's `local` words, in rank order.
    pub(super) fn gather_words(&self, local: &[u32]) -> Vec<Vec<u32>> {
        let (all, counts) = lock(&self.hub).all_gather(local);
        let mut at = 0;
        counts
            .iter()
            .map(|&c| {
                at += c;
                all[at - c..at].to_vec()
            })
            .collect()
    }

    /// Arrays whose rows hold one value per neuron of this process's part
    /// of `pop`, as the whole population's rows (every process's part side
    /// by side).
    pub(super) fn gather_rows(&self, pop: &str, local: &[f32]) -> Result<Vec<f32>> {
        let part = self.part(pop)?;
        let all = self.gather(local);
        let rows = local.len() / part.ranges[self.rank].len();
        let mut whole = vec![0.0; rows * part.n];
        for (range, values) in part.ranges.iter().zip(&all) {
            for (r, row) in values.chunks_exact(range.len()).enumerate() {
                whole[r * part.n + range.start..r * part.n + range.end].copy_from_slice(row);
            }
        }
        Ok(whole)
    }

    /// A variable of a whole population (`"s"`, `"x"`, `"v"`, …), shaped
    /// `[batch, *shape]`. A collective.
    ///
    /// # Errors
    /// An unknown population or variable (on every process alike).
    pub fn gather_population(&self, pop: &str, var: &str) -> Result<Tensor> {
        let p = self.net.population(pop)?;
        let local = p
            .core()
            .variable(var)
            .or_else(|| p.variable(var))
            .ok_or_else(|| Error::Name(format!("population {pop} has no variable {var:?}")))?;
        let whole = self.gather_rows(pop, local)?;
        let mut shape = vec![self.net.batch_size()];
        shape.extend_from_slice(&self.part(pop)?.shape);
        Tensor::new(shape, whole)
    }

    /// What monitor `monitor` recorded of `var`: of a population, the whole
    /// population's `[time, batch, *shape]` (summed monitors: their shape
    /// with the whole population); of a connection, its whole weights
    /// `[time, n_pre, n_post]` (`"w"` only). A collective.
    ///
    /// # Errors
    /// An unknown monitor or variable, a monitor of a mirror, or a
    /// connection variable other than `"w"`.
    pub fn gather_recording(&self, monitor: &str, var: &str) -> Result<Tensor> {
        if let Some(local) = self.net.monitored_connection(monitor)? {
            let whole = self
                .conns
                .iter()
                .find(|(_, l)| l == local)
                .map(|(w, _)| w.clone())
                .ok_or_else(|| Error::Name(format!("monitor {monitor}: connection {local}")))?;
            if var != "w" {
                return Err(Error::Unsupported(format!(
                    "{var:?} of connection {whole} over processes (only \"w\" is gathered)"
                )));
            }
            let recorded = self.net.monitor(monitor)?.get(var)?;
            let records = recorded.shape().first().copied().unwrap_or(0);
            return self.whole_weights(&whole, recorded.data(), records);
        }
        let watched = self.net.monitored_population(monitor)?;
        let pop = watched
            .filter(|p| self.part(p).is_ok())
            .ok_or_else(|| {
                Error::Unsupported(format!(
                    "monitor {monitor} does not watch a population of the whole network"
                ))
            })?
            .to_string();
        let part = self.part(&pop)?;
        let local = self.net.monitor(monitor)?.get(var)?;
        let whole = self.gather_rows(&pop, local.data())?;
        let mut shape = local.shape().to_vec();
        shape.pop();
        shape.extend_from_slice(&part.shape);
        Tensor::new(shape, whole)
    }

    /// A connection's weights, dense `[n_pre, n_post]` as
    /// [`Network::weights_tensor`](crate::Network::weights_tensor) gives them for the whole network (pairs'
    /// multapses summed in their order). A collective; every process holds
    /// the whole matrix, so keep it to connections that fit.
    ///
    /// # Errors
    /// An unknown connection or one without weights.
    pub fn gather_weights(&self, connection: &str) -> Result<Tensor> {
        let local = self
            .net
            .weights_tensor(self.local_connection(connection)?)?;
        let whole = self.whole_weights(connection, local.data(), 1)?;
        let mut shape = whole.shape().to_vec();
        shape.remove(0);
        Tensor::new(shape, whole.into_data())
    }

    /// `records` dense weight matrices of this process's part of
    /// `connection`, gathered into the whole connection's `[records, n_pre,
    /// n_post]`.
    fn whole_weights(&self, connection: &str, local: &[f32], records: usize) -> Result<Tensor> {
        let name = self.local_connection(connection)?;
        let mut ends = connection.split("->").map(str::trim);
        let (source, target) = (
            ends.next().unwrap_or_default(),
            ends.next().unwrap_or_default(),
        );
        let (src, tgt) = (self.part(source)?, self.part(target)?);
        if name.contains(MIRROR) {
            // From the whole source: every process holds whole rows.
            let whole = self.gather_rows(target, local)?;
            return Tensor::new(vec![records, src.n, tgt.n], whole);
        }
        // Within blocks: each process holds its diagonal block.
        let size = src.n * tgt.n;
        let mut whole = vec![0.0; records * size];
        for (r, values) in self.gather(local).iter().enumerate() {
            let (rows, cols) = (&src.ranges[r], &tgt.ranges[r]);
            let block = rows.len() * cols.len();
            for (t, m) in values.chunks_exact(block.max(1)).enumerate() {
                for (a, row) in m.chunks_exact(cols.len()).enumerate() {
                    let at = t * size + (rows.start + a) * tgt.n + cols.start;
                    whole[at..at + cols.len()].copy_from_slice(row);
                }
            }
        }
        Tensor::new(vec![records, src.n, tgt.n], whole)
    }

    /// A connection's rule state as one network holds it: `"pre_trace"`
    /// (`[batch × n_pre]`), `"post_trace"` (`[batch × n_post]`), or a dense
    /// connection's `"eligibility"` (`[batch × n_pre × n_post]`). A
    /// collective.
    ///
    /// # Errors
    /// An unknown connection or state; another state, or the eligibility
    /// of a connection whose parts are not dense rows (`Unsupported`).
    pub fn gather_connection_state(&self, connection: &str, var: &str) -> Result<Vec<f32>> {
        let name = self.local_connection(connection)?;
        let local = self.net.connection_state(name, var)?;
        let mut ends = connection.split("->").map(str::trim);
        let (source, target) = (
            ends.next().unwrap_or_default(),
            ends.next().unwrap_or_default(),
        );
        let from_mirror = name.contains(MIRROR);
        let n_local = self.part(target)?.ranges[self.rank].len();
        let dense_rows = self.net.weights(name)?.len() == self.part(source)?.n * n_local;
        match var {
            // From the mirror every process holds the whole source's trace.
            "pre_trace" if from_mirror => Ok(local.to_vec()),
            "pre_trace" => self.gather_rows(source, local),
            "post_trace" => self.gather_rows(target, local),
            "eligibility" if from_mirror && dense_rows => self.gather_rows(target, local),
            _ => Err(Error::Unsupported(format!(
                "state {var:?} of connection {connection} over processes"
            ))),
        }
    }

    /// The sum of a connection's weights, the same to the last bit for any
    /// number of processes: each target's weights summed in `f64` in the
    /// connection's order, then the targets' sums in target order. A
    /// collective.
    ///
    /// # Errors
    /// An unknown connection or one without weights.
    pub fn weight_sum(&self, connection: &str) -> Result<f64> {
        let per_target = self
            .net
            .weight_sums_by_target(self.local_connection(connection)?)?;
        let words: Vec<u32> = per_target
            .iter()
            .flat_map(|x| {
                let b = x.to_bits();
                [b as u32, (b >> 32) as u32]
            })
            .collect();
        let (all, _) = lock(&self.hub).all_gather(&words);
        Ok(all
            .chunks_exact(2)
            .map(|w| f64::from_bits(u64::from(w[0]) | (u64::from(w[1]) << 32)))
            .sum())
    }

    /// Every process's `local` number (a count, bytes of memory), in rank
    /// order. A collective.
    pub fn gather_count(&self, local: u64) -> Vec<u64> {
        let (all, _) = lock(&self.hub).all_gather(&[local as u32, (local >> 32) as u32]);
        all.chunks_exact(2)
            .map(|w| u64::from(w[0]) | (u64::from(w[1]) << 32))
            .collect()
    }
}
