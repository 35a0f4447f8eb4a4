//! The rules' own per-neuron traces: decay every step, increment (or set)
//! on spikes. Shared by the per-synapse learner and whole-connection rules.

use crate::learning::TraceSpec;
use crate::spikes::Spikes;

/// Decays rule traces, or increments them with spikes.
/// `r ← r·decay` for every rule trace. A trace that decays below the
/// smallest normal f32 (1.2e-38) is set to 0: subnormal arithmetic is ~100×
/// slower on x86 and long silences (rest periods) drive every trace there.
pub(crate) fn decay_traces(tr: &mut [f32], specs: &[TraceSpec], decays: &[f32]) {
    #[inline]
    fn decay(x: &mut f32, d: f32) {
        *x = decayed(*x, d);
    }
    match decays {
        [] => {}
        // One trace per neuron: a flat loop that vectorises.
        [d] => tr.iter_mut().for_each(|x| decay(x, *d)),
        _ => {
            for chunk in tr.chunks_exact_mut(specs.len()) {
                for (x, &d) in chunk.iter_mut().zip(decays) {
                    decay(x, d);
                }
            }
        }
    }
}

/// [`decay_traces`] `steps` times in closed form: `r ← r·decay^steps` (in
/// f64, rounded once; not the stepped rounding, bit for bit), flushed to 0
/// below the smallest normal f32 as a step flushes.
pub(crate) fn relax_traces(tr: &mut [f32], specs: &[TraceSpec], decays: &[f32], steps: usize) {
    if decays.is_empty() {
        return;
    }
    let factors: Vec<f64> = decays
        .iter()
        .map(|&d| f64::from(d).powf(steps as f64))
        .collect();
    for chunk in tr.chunks_exact_mut(specs.len()) {
        for (x, &f) in chunk.iter_mut().zip(&factors) {
            *x = flush_subnormal((f64::from(*x) * f) as f32);
        }
    }
}

/// One step's decay of one rule trace, as [`decay_traces`] applies it (the
/// deferred log recomputes silent sources' traces with it, bit for bit).
#[inline]
pub(crate) fn decayed(x: f32, d: f32) -> f32 {
    flush_subnormal(x * d)
}

/// `v`, or 0 where it is below the smallest normal f32 (see
/// [`decay_traces`]).
#[inline]
fn flush_subnormal(v: f32) -> f32 {
    if v.abs() < f32::MIN_POSITIVE {
        0.0
    } else {
        v
    }
}

pub(crate) fn increment_traces(tr: &mut [f32], specs: &[TraceSpec], spikes: &Spikes) {
    let k = specs.len();
    if k == 0 {
        return;
    }
    let n = spikes.n();
    for b in 0..spikes.batch() {
        let vals = spikes.row(b);
        for &i in spikes.active(b) {
            let base = (b * n + i as usize) * k;
            for (t, spec) in specs.iter().enumerate() {
                let s = vals[i as usize];
                tr[base + t] = if spec.additive {
                    tr[base + t] + spec.amplitude * s
                } else {
                    spec.amplitude
                };
            }
        }
    }
}
