//! The network `tests/distributed.rs` and `tests/distributed_mpi.rs` cut
//! across processes, and how both run it: in one plain process, and as
//! one process's part returning the gathered whole.

use super::{spikes, traced, with_rule_family};
use spikeflow::distributed::{DistributedNetwork, Exchange};
use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use spikeflow::topology::{FixedIndegree, Sparse, WithDelays};
use spikeflow::NetworkBuilder;

pub const STEPS: usize = 40;
pub const BATCH: usize = 2;

fn uniform(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut r = Rng::seed_from_u64(seed);
    (0..n).map(|_| lo + (hi - lo) * r.uniform_f32()).collect()
}

/// Random `(pre, post, w)` synapses, `repeats` of them repeated (multapses).
fn triplets(n_pre: u32, n_post: u32, p: f32, repeats: bool, seed: u64) -> Vec<(u32, u32, f32)> {
    let mut r = Rng::seed_from_u64(seed);
    let mut t = Vec::new();
    for i in 0..n_pre {
        for j in 0..n_post {
            if r.uniform_f32() < p {
                t.push((i, j, 0.5 + r.uniform_f32()));
                if repeats && r.uniform_f32() < 0.3 {
                    t.push((i, j, 0.2 + r.uniform_f32()));
                }
            }
        }
    }
    t
}

/// A connection, with `late` its delay (in steps, beyond the one step
/// every connection takes) when the network's exchanged connections are
/// all delayed.
fn conn<T: spikeflow::topology::TopologySpec + 'static>(
    source: &str,
    target: &str,
    topology: T,
    late: Option<u16>,
) -> Connect {
    match late {
        Some(d) => Connect::new(source, target, WithDelays::new(topology, vec![d])),
        None => Connect::new(source, target, topology),
    }
}

/// The network: X `[2, 5]` input, P 12 Poisson trains, E 13 LIF, I 7
/// current-based LIF, D 13 Poisson trains driving E one to one; nine
/// connections, eight of them learning. Some connections between exchanged
/// populations have no delay, so the spikes cross processes every step.
pub fn builder() -> NetworkBuilder {
    network(false)
}

/// The same network with a delay of 2–5 steps on every connection that
/// crosses processes: they exchange spikes once per 3 steps.
pub fn builder_late() -> NetworkBuilder {
    network(true)
}

fn network(late: bool) -> NetworkBuilder {
    let delay = |d: u16| late.then_some(d);
    let mut b = Network::builder().batch_size(BATCH).seed(21);
    b.add_population("X", &[2, 5], Input, traced());
    let poisson = PoissonGenerator {
        rate_hz: 250.0,
        seed: 3,
        first_index: 0,
    };
    b.add_population("P", &[12], poisson, traced());
    let thresholds: Vec<f32> = (0..13).map(|k| -60.0 + 0.25 * k as f32).collect();
    let lif = LifNodes {
        thresh: thresholds.into(),
        refrac: 2.0.into(),
        ..Default::default()
    };
    let options = NodeOptions {
        tc_trace: Param::PerNeuron((0..13).map(|k| 10.0 + k as f32).collect()),
        ..traced()
    };
    b.add_population("E", &[13], lif, options);
    let current = CurrentLifNodes {
        lif: LifNodes {
            thresh: (-62.0).into(),
            ..Default::default()
        },
        ..Default::default()
    };
    b.add_population("I", &[7], current, traced());
    // A one-to-one drive: within each process's blocks, not exchanged.
    let drive = PoissonGenerator {
        rate_hz: 120.0,
        seed: 5,
        first_index: 0,
    };
    b.add_population("D", &[13], drive, traced());
    let bounded = |c: Connect, lo: f32, hi: f32| c.wmin(lo).wmax(hi);
    let nu = (2e-2, 3e-2);
    let conns = [
        bounded(
            conn(
                "X",
                "E",
                Dense::with_weights(uniform(10 * 13, 0.0, 3.0, 1)),
                delay(2),
            ),
            0.0,
            3.0,
        )
        .norm(15.0),
        bounded(
            Connect::new(
                "P",
                "E",
                WithDelays::new(Sparse::Triplets(triplets(12, 13, 0.4, false, 2)), vec![3]),
            ),
            0.0,
            2.0,
        ),
        bounded(
            Connect::new(
                "E",
                "E",
                WithDelays::new(
                    FixedIndegree {
                        indegree: 6,
                        weight: 1.5,
                        autapses: false,
                        seed: 9,
                    },
                    vec![2],
                ),
            ),
            0.0,
            4.0,
        ),
        bounded(
            conn(
                "E",
                "I",
                Sparse::Multapses(triplets(13, 7, 0.5, true, 4)),
                delay(4),
            ),
            0.0,
            3.0,
        ),
        bounded(
            conn(
                "I",
                "E",
                Dense::with_weights(uniform(7 * 13, -2.0, 0.0, 5)),
                delay(3),
            ),
            -3.0,
            0.0,
        ),
        bounded(
            conn(
                "X",
                "I",
                Dense::with_weights(uniform(10 * 7, 0.0, 2.0, 6)),
                delay(5),
            ),
            0.0,
            2.0,
        ),
        bounded(
            Connect::new(
                "I",
                "I",
                WithDelays::new(
                    Sparse::FromDense(uniform(49, -1.0, 0.0, 7)),
                    vec![if late { 2 } else { 1 }],
                ),
            ),
            -2.0,
            0.0,
        ),
        conn(
            "P",
            "I",
            Sparse::Triplets(triplets(12, 7, 0.3, false, 8)),
            delay(2),
        ),
        bounded(
            Connect::new(
                "D",
                "E",
                WithDelays::new(
                    Sparse::Triplets((0..13).map(|i| (i, i, 1.0 + 0.1 * i as f32)).collect()),
                    vec![1],
                ),
            ),
            0.0,
            3.0,
        ),
    ];
    // Families 0–5 and 7 (not Rmax: its SRM0 target draws from the
    // network's generator); the last connection stays static.
    for (c, family) in conns.into_iter().zip([0, 1, 2, 3, 4, 5, 7, 99, 2]) {
        b.connect(with_rule_family(c, family, nu));
    }
    b
}

const CONNS: [&str; 9] = [
    "X -> E", "P -> E", "E -> E", "E -> I", "I -> E", "X -> I", "I -> I", "P -> I", "D -> E",
];

pub fn options(phase: usize) -> RunOptions {
    RunOptions {
        reward: Reward::PerStep((0..STEPS).map(|t| ((t + phase) % 3) as f32 - 0.8).collect()),
        clamp: vec![("E".into(), Mask::Always(vec![4]))],
        unclamp: vec![(
            "I".into(),
            Mask::PerStep((0..STEPS).map(|t| vec![t % 7]).collect()),
        )],
        ..Default::default()
    }
}

pub fn input(phase: usize) -> Tensor {
    let x = spikes(STEPS, BATCH, 10, 0.3, 100 + phase as u64);
    Tensor::new(vec![STEPS, BATCH, 2, 5], x.data().to_vec()).unwrap()
}

/// Everything compared: E's and I's spikes, E's voltage and trace per
/// step of each phase, and every connection's weights after each phase.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    pub records: Vec<Vec<u32>>,
    pub weights: Vec<Vec<u32>>,
}

fn bits(t: &Tensor) -> Vec<u32> {
    t.data().iter().map(|x| x.to_bits()).collect()
}

/// The last phase's steps of a recording `[time, batch, …]`.
fn last_phase(t: &Tensor) -> Vec<u32> {
    let all = bits(t);
    let per_step = all.len() / t.shape()[0];
    all[all.len() - STEPS * per_step..].to_vec()
}

pub fn watch(net: &mut Network) {
    net.add_monitor("e", MonitorSpec::new("E", &["s", "v", "x"]))
        .unwrap();
    net.add_monitor("i", MonitorSpec::new("I", &["s"])).unwrap();
}

/// The plain network's outcome over phases `phases`.
pub fn one_process(phases: std::ops::Range<usize>) -> Outcome {
    one_process_of(builder, phases)
}

/// [`one_process`] of the network `builder` gives.
pub fn one_process_of(builder: fn() -> NetworkBuilder, phases: std::ops::Range<usize>) -> Outcome {
    let mut net = builder().build().unwrap();
    watch(&mut net);
    let mut out = Outcome {
        records: Vec::new(),
        weights: Vec::new(),
    };
    for phase in phases {
        net.run(&[("X", &input(phase))], STEPS, &options(phase))
            .unwrap();
        for (m, var) in [("e", "s"), ("e", "v"), ("e", "x"), ("i", "s")] {
            out.records
                .push(last_phase(&net.monitor(m).unwrap().get(var).unwrap()));
        }
        for c in CONNS {
            out.weights.push(bits(&net.weights_tensor(c).unwrap()));
        }
    }
    out
}

/// One process's part, run over `phases`; every process returns the whole
/// outcome (gathered). With `restore`, the part is checkpointed after the
/// first phase and the second phase runs in a part built afresh (as after
/// a crash) from that checkpoint.
pub fn part(exchange: Box<dyn Exchange>, phases: std::ops::Range<usize>, restore: bool) -> Outcome {
    part_of(builder, exchange, phases, restore).outcome
}

/// What [`part_of`] returns.
pub struct PartRun {
    pub outcome: Outcome,
    /// Steps per spike exchange, and the exchanges run (by the last
    /// network built, when restored).
    pub interval: usize,
    pub exchanges: u64,
    /// The exchange, for another network.
    pub exchange: Box<dyn Exchange>,
}

/// [`part`] of the network `builder` gives.
pub fn part_of(
    builder: fn() -> NetworkBuilder,
    exchange: Box<dyn Exchange>,
    phases: std::ops::Range<usize>,
    restore: bool,
) -> PartRun {
    let mut net = DistributedNetwork::build(builder(), exchange).unwrap();
    watch(net.network_mut());
    let mut out = Outcome {
        records: Vec::new(),
        weights: Vec::new(),
    };
    for phase in phases {
        let x = input(phase);
        net.run_inputs(&[("X", RunInput::from(&x))], STEPS, &options(phase))
            .unwrap();
        for (m, var) in [("e", "s"), ("e", "v"), ("e", "x"), ("i", "s")] {
            out.records
                .push(last_phase(&net.gather_recording(m, var).unwrap()));
        }
        for c in CONNS {
            out.weights.push(bits(&net.gather_weights(c).unwrap()));
        }
        if restore && phase == 0 {
            let snap = net.snapshot();
            let exchange = net.into_exchange();
            net = DistributedNetwork::build(builder(), exchange).unwrap();
            watch(net.network_mut());
            net.restore(&snap).unwrap();
        }
    }
    PartRun {
        outcome: out,
        interval: net.exchange_interval(),
        exchanges: net.exchanges(),
        exchange: net.into_exchange(),
    }
}

/// What [`rest_of`] runs the scenario on: one plain network, or one
/// process's part of it.
pub trait Rests {
    fn drive(&mut self, x: &Tensor);
    fn idle(&mut self, steps: usize);
    /// [`Network::relax`], or the parts' collective relax.
    fn relax(&mut self, steps: usize) -> bool;
    /// Records `Ae`'s spikes and voltages from now on (a recording would
    /// keep the network from relaxing).
    fn watch(&mut self);
    /// `Ae`'s spikes and voltages of the last [`rest_of`] drive, and the
    /// input weights, all whole.
    fn outcome(&mut self) -> Outcome;
}

impl Rests for Network {
    fn drive(&mut self, x: &Tensor) {
        let steps = x.shape()[0];
        self.run_inputs(&[("X", RunInput::from(x))], steps, &RunOptions::default())
            .unwrap();
    }
    fn idle(&mut self, steps: usize) {
        self.run(&[], steps, &RunOptions::default()).unwrap();
    }
    fn relax(&mut self, steps: usize) -> bool {
        Network::relax(self, steps)
    }
    fn watch(&mut self) {
        self.add_monitor("ae", MonitorSpec::new("Ae", &["s", "v"]))
            .unwrap();
    }
    fn outcome(&mut self) -> Outcome {
        let m = self.monitor("ae").unwrap();
        Outcome {
            records: ["s", "v"].map(|v| bits(&m.get(v).unwrap())).to_vec(),
            weights: vec![bits(&self.weights_tensor("X -> Ae").unwrap())],
        }
    }
}

impl Rests for DistributedNetwork {
    fn drive(&mut self, x: &Tensor) {
        let steps = x.shape()[0];
        self.run_inputs(&[("X", RunInput::from(x))], steps, &RunOptions::default())
            .unwrap();
    }
    fn idle(&mut self, steps: usize) {
        self.run(steps, &RunOptions::default()).unwrap();
    }
    /// First asks with steps that differ between the processes, which
    /// every process must refuse alike (changing nothing), then as asked.
    fn relax(&mut self, steps: usize) -> bool {
        if self.ranks() > 1 {
            let rank = self.rank();
            assert!(
                !DistributedNetwork::relax(self, steps + rank),
                "rank {rank} relaxed where the processes disagreed on the steps"
            );
        }
        DistributedNetwork::relax(self, steps)
    }
    fn watch(&mut self) {
        self.add_monitor("ae", MonitorSpec::new("Ae", &["s", "v"]))
            .unwrap();
    }
    fn outcome(&mut self) -> Outcome {
        Outcome {
            records: ["s", "v"]
                .map(|v| bits(&self.gather_recording("ae", v).unwrap()))
                .to_vec(),
            weights: vec![bits(&self.gather_weights("X -> Ae").unwrap())],
        }
    }
}

/// The paper model's network (12 excitatory neurons, learning on): input
/// for 40 steps, then idle 10 steps at a time until the rest of 300 steps
/// can be taken in closed form, then input again for 40 steps with `Ae`
/// recorded. Returns the outcome and after how many idle steps the rest
/// relaxed (`None`: never). `net` is [`rest_network`]'s network or a part
/// of its builder.
pub fn rest_of(net: &mut impl Rests) -> (Outcome, Option<usize>) {
    let x = |seed| spikes(40, 1, 784, 0.02, seed);
    net.drive(&x(1));
    let mut relaxed_at = None;
    for idle in (0..300).step_by(10) {
        if net.relax(300 - idle) {
            relaxed_at = Some(idle);
            break;
        }
        net.idle(10);
    }
    net.watch();
    net.drive(&x(2));
    (net.outcome(), relaxed_at)
}

/// The network [`rest_of`] runs: its builder, for a plain network or a
/// part.
pub fn rest_builder() -> NetworkBuilder {
    spikeflow::models::diehl_cook_paper::DiehlCookPaper {
        n_neurons: 12,
        seed: 4,
        ..Default::default()
    }
    .builder()
    .unwrap()
}

/// [`rest_builder`]'s plain network.
pub fn rest_network() -> Network {
    rest_builder().build().unwrap()
}

/// One process's part of [`rest_builder`]'s network.
pub fn rest_part(exchange: Box<dyn Exchange>) -> DistributedNetwork {
    DistributedNetwork::build(rest_builder(), exchange).unwrap()
}
