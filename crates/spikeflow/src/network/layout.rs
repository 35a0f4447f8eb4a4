//! Writing a connection's weights given in BindsNET's layout
//! ([`Network::weights_tensor`]'s: dense `[n_pre, n_post]` also for sparse,
//! local and mean-field connections, `[out, in, *kernel]` for convolutions)
//! for every topology, whatever its own storage.
//!
//! The layout of a topology is found by asking it: its weights are set to
//! `1, 2, 3, …` (exact in `f32` up to 2^24) and read back in BindsNET's
//! layout, where each cell then names the stored weight it shows (0: no
//! synapse). Writing is the reverse: each stored weight takes the value of
//! its cells — which must agree where several cells show one weight (a
//! shared kernel, the single weight of an "all but self" connection) — and
//! a non-zero value where there is no synapse is refused: the connection
//! keeps its structure. A connection with multapses (several synapses
//! between one pair, whose cell shows their sum) is refused too.

use super::Network;
use crate::error::{Error, Result};
use crate::Tensor;

/// Largest number of stored weights whose indices `f32` holds exactly.
const EXACT: usize = 1 << 24;

/// Where each cell of BindsNET's layout lives in a topology's storage.
struct Cells {
    shape: Vec<usize>,
    /// Per cell: the stored weight it shows, or `None` (no synapse).
    index: Vec<Option<usize>>,
    /// Number of stored weights.
    stored: usize,
}

impl Network {
    /// Probes connection `i`'s layout (its weights are put back).
    fn cells(&mut self, i: usize) -> Result<Cells> {
        let c = &mut self.conns[i];
        c.flush_learning();
        let name = c.name.clone();
        let unsupported = || Error::Unsupported(format!("connection {name} has no weights"));
        if c.topology.multapses() {
            return Err(Error::Unsupported(format!(
                "connection {name} has multapses (several synapses between one pair): BindsNET's \
                 layout shows their sums and cannot say which synapse a value is for; write the \
                 weights per synapse (Network::weights_mut)"
            )));
        }
        let stored = c.topology.weights_mut().ok_or_else(unsupported)?;
        let n = stored.len();
        if n >= EXACT {
            return Err(Error::Unsupported(format!(
                "connection {name}: {n} weights in BindsNET's layout (at most {EXACT})"
            )));
        }
        let saved = stored.to_vec();
        for (k, x) in stored.iter_mut().enumerate() {
            *x = (k + 1) as f32;
        }
        let dense = c.topology.weights_dense();
        if let Some(stored) = c.topology.weights_mut() {
            stored.copy_from_slice(&saved);
        }
        let (shape, cells) = dense.ok_or_else(unsupported)?;
        let index = cells
            .iter()
            .map(|&v| (v != 0.0).then(|| v as usize - 1))
            .collect();
        Ok(Cells {
            shape,
            index,
            stored: n,
        })
    }

    fn check_shape(&self, i: usize, what: &str, given: &[usize], want: &[usize]) -> Result<()> {
        if given == want {
            return Ok(());
        }
        Err(Error::shape(
            format!("{what} of {}", self.conns[i].name),
            format!("shape {given:?} given, expected {want:?}"),
        ))
    }

    /// Overwrites a connection's weights from `w` in BindsNET's layout
    /// (the shape [`weights_tensor`](Self::weights_tensor) gives). Bounds
    /// are enforced again at the next learning step.
    ///
    /// # Errors
    /// Unknown connection or one without weights; `w` of another shape or
    /// not finite; a non-zero weight where the connection has no synapse;
    /// different values for cells that show one stored weight. Nothing
    /// changes on error.
    pub fn set_weights_tensor(&mut self, connection: &str, w: &Tensor) -> Result<()> {
        let i = self.conn_index(connection)?;
        let cells = self.cells(i)?;
        self.check_shape(i, "weights", w.shape(), &cells.shape)?;
        let name = self.conns[i].name.clone();
        let what = format!("weights of {name}");
        if let Some(bad) = w.data().iter().find(|v| !v.is_finite()) {
            return Err(Error::param(what, format!("{bad} is not finite")));
        }
        let mut new: Vec<Option<f32>> = vec![None; cells.stored];
        for (pos, (&k, &v)) in cells.index.iter().zip(w.data()).enumerate() {
            match (k, new.get(k.unwrap_or(0)).copied().flatten()) {
                (None, _) if v != 0.0 => {
                    return Err(Error::param(
                        what,
                        format!(
                            "weight {v} at {pos} (flat) where the connection has no synapse; it \
                             keeps its structure (build it with that synapse instead)"
                        ),
                    ))
                }
                (None, _) => {}
                (Some(_), Some(old)) if old != v => {
                    return Err(Error::param(
                        what,
                        format!(
                            "cells showing one shared weight differ ({old} and {v} at {pos}, flat)"
                        ),
                    ))
                }
                (Some(k), _) => new[k] = Some(v),
            }
        }
        let c = &mut self.conns[i];
        if let Some(stored) = c.topology.weights_mut() {
            for (x, v) in stored.iter_mut().zip(new) {
                if let Some(v) = v {
                    *x = v;
                }
            }
        }
        c.dirty = true;
        Ok(())
    }

    /// A mask given in BindsNET's layout (BindsNET's run-time `masks`:
    /// `w[mask] = 0` after every step) as one flag per stored weight, for
    /// [`RunOptions::weight_masks`](crate::RunOptions::weight_masks). Cells
    /// without a synapse are ignored (their weight is 0 already).
    ///
    /// # Errors
    /// Unknown connection or one without weights, a mask of another
    /// shape, or one that masks some but not all cells of a shared weight.
    pub fn weight_mask_from_layout(
        &mut self,
        connection: &str,
        shape: &[usize],
        mask: &[bool],
    ) -> Result<Vec<bool>> {
        let i = self.conn_index(connection)?;
        let cells = self.cells(i)?;
        self.check_shape(i, "mask", shape, &cells.shape)?;
        if mask.len() != cells.index.len() {
            return Err(Error::shape(
                format!("mask of {}", self.conns[i].name),
                format!("{} values for shape {shape:?}", mask.len()),
            ));
        }
        let mut out: Vec<Option<bool>> = vec![None; cells.stored];
        for (&k, &m) in cells.index.iter().zip(mask) {
            let Some(k) = k else { continue };
            if out[k].is_some_and(|o| o != m) {
                return Err(Error::param(
                    format!("mask of {}", self.conns[i].name),
                    "masks some but not all cells of one shared weight",
                ));
            }
            out[k] = Some(m);
        }
        Ok(out.into_iter().map(|m| m.unwrap_or(false)).collect())
    }
}
