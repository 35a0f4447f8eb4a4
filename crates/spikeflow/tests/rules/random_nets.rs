//! Seeded random networks for the property tests: one per bounded rule.

//! The shared machinery: weight decay, clamping, reductions, nu, rewards, reset.

use super::common::*;
use spikeflow::prelude::*;
use spikeflow::rng::Rng;

/// The seven rules with a bound: their names and how to attach them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    PostPre,
    Wdpp,
    Hebbian,
    DiehlCook,
    Mstdp,
    MstdpEt,
    Rmax,
}

pub(crate) const ALL_KINDS: [Kind; 7] = [
    Kind::PostPre,
    Kind::Wdpp,
    Kind::Hebbian,
    Kind::DiehlCook,
    Kind::Mstdp,
    Kind::MstdpEt,
    Kind::Rmax,
];

impl Kind {
    pub(crate) fn attach(self, c: Connect, nu: (f32, f32)) -> Connect {
        match self {
            Kind::PostPre => c.rule(PostPre).nu(nu),
            Kind::Wdpp => c.rule(WeightDependentPostPre).nu(nu),
            Kind::Hebbian => c.rule(Hebbian).nu(nu),
            Kind::DiehlCook => c
                .rule(DiehlAndCook {
                    x_tar: 0.3,
                    mu: 1.5,
                })
                .nu(nu),
            Kind::Mstdp => c.rule(Mstdp::default()).nu(nu),
            Kind::MstdpEt => c.rule(MstdpEt::default()).nu(nu),
            Kind::Rmax => c.rule(Rmax::default()).nu(nu),
        }
    }
    /// Bounds wide enough never to be reached in the tests that compare
    /// updates (soft-bounded rules approach them but never cross).
    pub(crate) fn wide(self, c: Connect) -> Connect {
        match self {
            Kind::Wdpp => c.wmin(-10.0).wmax(10.0),
            Kind::DiehlCook => c.wmin(-100.0).wmax(6.0),
            _ => c.wmin(-100.0).wmax(100.0),
        }
    }
}

/// A random two-population network for property tests.
pub(crate) struct RandomNet {
    pub(crate) net: Network,
    pub(crate) x: Tensor,
    pub(crate) cur: Tensor,
    pub(crate) reward: Tensor,
    pub(crate) steps: usize,
    /// Bounds per weight, in the topology's weight order.
    pub(crate) lo: Vec<f32>,
    pub(crate) hi: Vec<f32>,
}

pub(crate) fn random_net(seed: u64, kind: Kind, bounded: bool) -> R<RandomNet> {
    let mut rng = Rng::seed_from_u64(seed);
    let n_pre = 1 + rng.below(10);
    let n_post = 1 + rng.below(6);
    let batch = 1 + rng.below(3);
    let steps = 30;
    let sparse = rng.below(2) == 1;
    let mut w: Vec<f32> = (0..n_pre * n_post)
        .map(|_| uniform(&mut rng, -3.0, 3.0))
        .collect();
    if sparse {
        for x in w.iter_mut() {
            if rng.uniform_f32() < 0.4 {
                *x = 0.0;
            }
        }
    }
    let present: Vec<usize> = (0..w.len()).filter(|&k| !sparse || w[k] != 0.0).collect();
    let n_w = present.len();
    let (lo, hi): (Vec<f32>, Vec<f32>) = if !bounded {
        (vec![-10.0; n_w], vec![10.0; n_w])
    } else if rng.below(2) == 0 {
        let a = uniform(&mut rng, -1.0, 0.5);
        let b = a + uniform(&mut rng, 0.0, 2.0);
        (vec![a; n_w], vec![b; n_w])
    } else {
        (0..n_w)
            .map(|_| {
                let a = uniform(&mut rng, -1.0, 0.5);
                (a, a + uniform(&mut rng, 0.0, 2.0))
            })
            .unzip()
    };
    let per_synapse = lo.windows(2).any(|p| p[0] != p[1]) || hi.windows(2).any(|p| p[0] != p[1]);
    let (bmin, bmax) = if per_synapse {
        (Bound::PerSynapse(lo.clone()), Bound::PerSynapse(hi.clone()))
    } else {
        (
            Bound::Scalar(lo.first().copied().unwrap_or(0.0)),
            Bound::Scalar(hi.first().copied().unwrap_or(0.0)),
        )
    };
    let nu = (uniform(&mut rng, 0.0, 1.5), uniform(&mut rng, 0.0, 1.5));
    let reduction = if rng.below(2) == 0 {
        Reduction::Mean
    } else {
        Reduction::Sum
    };
    let decay = if rng.below(3) == 0 { 0.05 } else { 0.0 };
    let mut b = Network::builder().batch_size(batch).seed(seed);
    b.add_population(
        "X",
        &[n_pre],
        Input,
        if kind == Kind::Rmax {
            additive()
        } else {
            traced()
        },
    );
    if kind == Kind::Rmax {
        b.add_population("Y", &[n_post], Srm0Nodes::default(), traced());
    } else {
        let lif = LifNodes {
            thresh: (-60.0).into(),
            refrac: 1.0.into(),
            tc_decay: 20.0.into(),
            ..LifNodes::default()
        };
        b.add_population("Y", &[n_post], lif, traced());
    }
    let topo: Box<dyn Fn(Vec<f32>) -> Connect> = if sparse {
        Box::new(|w| Connect::new("X", "Y", Sparse::FromDense(w)))
    } else {
        Box::new(|w| Connect::new("X", "Y", Dense::with_weights(w)))
    };
    let c = kind
        .attach(topo(w), nu)
        .wmin(bmin)
        .wmax(bmax)
        .reduction(reduction)
        .weight_decay(decay);
    b.connect(c);
    let net = b.build()?;
    let x = poisson(&mut rng, steps, batch, n_pre, 0.3);
    let cur = currents(&mut rng, steps, batch, n_post, 0.2, 20.0);
    let r = (0..steps * batch)
        .map(|_| uniform(&mut rng, -2.0, 2.0))
        .collect();
    let reward = Tensor::new(vec![steps, batch], r)?;
    Ok(RandomNet {
        net,
        x,
        cur,
        reward,
        steps,
        lo,
        hi,
    })
}

impl RandomNet {
    pub(crate) fn step(&mut self, t: usize) -> R {
        let r = Tensor::new(
            vec![1, self.reward.shape()[1]],
            self.reward.slab(t).to_vec(),
        )?;
        let o = RunOptions {
            reward: Reward::PerStepRow(r),
            ..Default::default()
        };
        let (x, cur) = (slab(&self.x, t), slab(&self.cur, t));
        let inputs: Vec<(&str, &Tensor)> = if self.net.population("Y")?.type_name() == "SRM0Nodes" {
            vec![("X", &x)]
        } else {
            vec![("X", &x), ("Y", &cur)]
        };
        self.net.run(&inputs, 1, &o)
    }
}

pub(crate) fn synced_deltas(a: &mut RandomNet, b: &mut RandomNet) -> R<Vec<StepDeltas>> {
    let mut out = Vec::new();
    for t in 0..a.steps {
        let w0 = a.net.weights(XY)?.to_vec();
        b.net.weights_mut(XY)?.copy_from_slice(&w0);
        a.step(t)?;
        b.step(t)?;
        assert_eq!(
            a.net.population("Y")?.core().spikes().values(),
            b.net.population("Y")?.core().spikes().values(),
            "step {t}: same weights, same spikes"
        );
        let da = a
            .net
            .weights(XY)?
            .iter()
            .zip(&w0)
            .map(|(x, y)| x - y)
            .collect();
        let db = b
            .net
            .weights(XY)?
            .iter()
            .zip(&w0)
            .map(|(x, y)| x - y)
            .collect();
        out.push((w0, da, db));
    }
    Ok(out)
}

/// A batch-3 network with a given reduction; rows of the input identical or not.
pub(crate) fn batch3_net(
    seed: u64,
    kind: Kind,
    reduction: Reduction,
    identical_rows: bool,
) -> R<RandomNet> {
    let mut rng = Rng::seed_from_u64(seed);
    let (n_pre, n_post, batch, steps) = (8, 5, 3, 30);
    let w: Vec<f32> = (0..n_pre * n_post)
        .map(|_| uniform(&mut rng, 0.0, 4.0))
        .collect();
    let mut b = Network::builder().batch_size(batch).seed(seed);
    b.add_population(
        "X",
        &[n_pre],
        Input,
        if kind == Kind::Rmax {
            additive()
        } else {
            traced()
        },
    );
    if kind == Kind::Rmax {
        b.add_population("Y", &[n_post], Srm0Nodes::default(), traced());
    } else {
        let lif = LifNodes {
            thresh: (-60.0).into(),
            refrac: 1.0.into(),
            tc_decay: 20.0.into(),
            ..LifNodes::default()
        };
        b.add_population("Y", &[n_post], lif, traced());
    }
    // Wide bounds: never reached, so that only the reduction differs.
    b.connect(
        kind.wide(kind.attach(Connect::new("X", "Y", Dense::with_weights(w)), (0.02, 0.03)))
            .reduction(reduction),
    );
    let net = b.build()?;
    let (x, cur, reward) = if identical_rows {
        let x1 = poisson(&mut rng, steps, 1, n_pre, 0.3);
        let c1 = currents(&mut rng, steps, 1, n_post, 0.2, 20.0);
        let r1: Vec<f32> = (0..steps).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let rep = |t: &Tensor, n: usize| {
            let d: Vec<f32> = (0..steps).flat_map(|s| t.slab(s).repeat(batch)).collect();
            Tensor::new(vec![steps, batch, n], d).unwrap()
        };
        let r: Vec<f32> = r1.iter().flat_map(|&v| [v; 3]).collect();
        (
            rep(&x1, n_pre),
            rep(&c1, n_post),
            Tensor::new(vec![steps, batch], r)?,
        )
    } else {
        let r = (0..steps * batch)
            .map(|_| uniform(&mut rng, -1.0, 1.0))
            .collect();
        (
            poisson(&mut rng, steps, batch, n_pre, 0.3),
            currents(&mut rng, steps, batch, n_post, 0.2, 20.0),
            Tensor::new(vec![steps, batch], r)?,
        )
    };
    Ok(RandomNet {
        net,
        x,
        cur,
        reward,
        steps,
        lo: vec![],
        hi: vec![],
    })
}

/// Per step: the weights before it, and the change each network made.
pub(crate) type StepDeltas = (Vec<f32>, Vec<f32>, Vec<f32>);
