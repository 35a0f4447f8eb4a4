//! Monitors: recordings of state variables, step by step.
//!
//! A monitor records, after every step (after learning), copies of the
//! chosen variables of one population (`"s"`, `"v"`, `"x"`, `"theta"`,
//! `"i"`, `"u"`, `"summed"`, `"s_prob"`, `"refrac_count"`) or connection
//! (`"w"`, `"firing_rates"`). It is unbounded, or a ring buffer keeping the
//! last `capacity` steps, or keeps only the running sum (spike counts);
//! reading never empties it.

use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// What to record.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorSpec {
    /// A population name, or a connection name `"X -> Y"`.
    pub target: String,
    /// Variables to record.
    pub vars: Vec<String>,
    /// Keep only the last `capacity` steps (`None`: keep all).
    pub capacity: Option<usize>,
    /// Keep only the running sum over steps (e.g. spike counts) instead of
    /// every step; `get` then returns one record.
    pub sum: bool,
}

impl MonitorSpec {
    /// Records `vars` of `target`, unbounded.
    pub fn new(target: &str, vars: &[&str]) -> Self {
        MonitorSpec {
            target: target.to_string(),
            vars: vars.iter().map(|s| s.to_string()).collect(),
            capacity: None,
            sum: false,
        }
    }
    /// Keeps the running sum over steps instead of every step (spike
    /// counts: `MonitorSpec::new("Ae", &["s"]).summed()`).
    pub fn summed(mut self) -> Self {
        self.sum = true;
        self
    }
    /// Keeps only the last `steps` steps.
    pub fn capacity(mut self, steps: usize) -> Self {
        self.capacity = Some(steps);
        self
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Track {
    pub var: String,
    /// Shape of one record.
    pub shape: Vec<usize>,
    /// Whether a record holds one block per batch row (`shape[0]` is the
    /// batch), rather than one value per neuron (`theta`) or synapse.
    per_row: bool,
    len: usize,
    data: Vec<f32>,
    /// Ring: index of the oldest record once full.
    head: usize,
    count: usize,
}

/// A monitor's recordings.
#[derive(Debug, Clone)]
pub struct Monitor {
    pub(crate) target: MonitorTarget,
    capacity: Option<usize>,
    sum: bool,
    pub(crate) tracks: Vec<Track>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MonitorTarget {
    Population(usize),
    Connection(usize),
}

impl Monitor {
    /// Values this monitor will hold after `steps` more steps (its records
    /// so far plus the new ones, up to its capacity), `None` on overflow.
    pub(crate) fn values_after(&self, steps: usize) -> Option<u128> {
        self.tracks.iter().try_fold(0u128, |acc, t| {
            let records = (t.count as u128).checked_add(steps as u128)?;
            let records = self.capacity.map_or(records, |c| records.min(c as u128));
            acc.checked_add(records.checked_mul(t.len as u128)?)
        })
    }

    pub(crate) fn new(
        target: MonitorTarget,
        capacity: Option<usize>,
        sum: bool,
        vars: Vec<(String, Vec<usize>, bool)>,
    ) -> Self {
        let capacity = if sum { Some(1) } else { capacity };
        let tracks = vars
            .into_iter()
            .map(|(var, shape, per_row)| {
                let len = shape.iter().product();
                Track {
                    var,
                    shape,
                    per_row,
                    len,
                    data: capacity.map_or_else(Vec::new, |c| vec![0.0; c * len]),
                    head: 0,
                    count: 0,
                }
            })
            .collect();
        Monitor {
            target,
            capacity,
            sum,
            tracks,
        }
    }

    /// Whether the monitor sums its variables over time.
    pub(crate) fn is_sum(&self) -> bool {
        self.sum
    }

    pub(crate) fn push(&mut self, var: usize, values: &[f32]) {
        let t = &mut self.tracks[var];
        if self.sum {
            for (a, &v) in t.data.iter_mut().zip(values) {
                *a += v;
            }
            t.count = 1;
            return;
        }
        match self.capacity {
            None => t.data.extend_from_slice(values),
            Some(0) => {}
            Some(c) => {
                let slot = (t.head + t.count) % c;
                t.data[slot * t.len..(slot + 1) * t.len].copy_from_slice(values);
                if t.count < c {
                    t.count += 1;
                } else {
                    t.head = (t.head + 1) % c;
                }
                return;
            }
        }
        t.count += 1;
    }

    /// An empty monitor like this one for the batch rows `rows` of `batch`
    /// (a lane of the batch, see `network/lanes.rs`); a summed monitor
    /// starts from this one's sums, so that the lane adds each step's
    /// values in the same order.
    pub(crate) fn lane(&self, rows: &std::ops::Range<usize>, batch: usize) -> Monitor {
        let vars = self.tracks.iter().map(|t| {
            let mut shape = t.shape.clone();
            if t.per_row {
                shape[0] = rows.len();
            }
            (t.var.clone(), shape, t.per_row)
        });
        let mut lane = Monitor::new(self.target, self.capacity, self.sum, vars.collect());
        if self.sum {
            for (l, t) in lane.tracks.iter_mut().zip(&self.tracks) {
                let row = t.len / batch;
                l.data.copy_from_slice(if t.per_row {
                    &t.data[rows.start * row..rows.end * row]
                } else {
                    &t.data
                });
                l.count = t.count;
            }
        }
        lane
    }

    /// Takes back what `lanes` (from [`lane`](Self::lane), in row order)
    /// recorded: the sums, or each recorded step with the rows put
    /// together (per-neuron records from the first lane: they are the same
    /// in every lane while learning is off).
    pub(crate) fn absorb_lanes(&mut self, lanes: &[&Monitor]) {
        let Some(first) = lanes.first() else { return };
        if self.sum {
            for (k, t) in self.tracks.iter_mut().enumerate() {
                if t.per_row {
                    let mut at = 0;
                    for l in lanes {
                        let d = &l.tracks[k].data;
                        t.data[at..at + d.len()].copy_from_slice(d);
                        at += d.len();
                    }
                } else {
                    t.data.copy_from_slice(&first.tracks[k].data);
                }
                t.count = first.tracks[k].count;
            }
            return;
        }
        let mut record = Vec::new();
        for r in 0..first.len() {
            for k in 0..self.tracks.len() {
                record.clear();
                let parts = if self.tracks[k].per_row {
                    lanes
                } else {
                    &lanes[..1]
                };
                for l in parts {
                    record.extend_from_slice(l.record(k, r));
                }
                self.push(k, &record);
            }
        }
    }

    /// Record `r` (oldest first) of track `k`.
    fn record(&self, k: usize, r: usize) -> &[f32] {
        let t = &self.tracks[k];
        let slot = match self.capacity {
            None => r,
            Some(c) => (t.head + r) % c,
        };
        &t.data[slot * t.len..(slot + 1) * t.len]
    }

    /// Number of steps currently held.
    pub fn len(&self) -> usize {
        self.tracks.first().map_or(0, |t| t.count)
    }

    /// Whether nothing was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The recording of `var`, `[steps, *record shape]` (oldest first); for
    /// a summed monitor `[1, *record shape]`.
    ///
    /// # Errors
    /// [`Error::Name`] if the monitor does not record `var`.
    pub fn get(&self, var: &str) -> Result<Tensor> {
        let t = self
            .tracks
            .iter()
            .find(|t| t.var == var)
            .ok_or_else(|| Error::Name(format!("monitor does not record {var:?}")))?;
        let mut shape = vec![t.count];
        shape.extend_from_slice(&t.shape);
        let data = match self.capacity {
            None => t.data.clone(),
            Some(c) => {
                let mut d = Vec::with_capacity(t.count * t.len);
                for k in 0..t.count {
                    let slot = (t.head + k) % c.max(1);
                    d.extend_from_slice(&t.data[slot * t.len..(slot + 1) * t.len]);
                }
                d
            }
        };
        Tensor::new(shape, data)
    }

    /// Forgets every record.
    pub fn clear(&mut self) {
        for t in &mut self.tracks {
            if self.capacity.is_none() {
                t.data.clear();
            }
            if self.sum {
                t.data.fill(0.0);
            }
            t.head = 0;
            t.count = 0;
        }
    }
}
