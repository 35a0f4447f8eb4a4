//! A network cut across processes (`spikeflow::distributed`) gives the
//! spikes, voltages, traces and weights of one process bit for bit: 1, 2
//! and 3 processes (threads of this test, `local_cluster`; uneven blocks at
//! 3) against a plain `Network`, with every rule family that can be cut
//! (PostPre, WeightDependentPostPre, Hebbian, DiehlAndCook, MSTDP, MSTDPET,
//! power-law STDP), delays on sparse and fixed in-degree connections,
//! multapses, Poisson generators, a batch of 2, external input, reward,
//! clamps, monitors and a checkpoint; a whole snapshot of W5's network
//! restored into another number of processes; what cannot be cut is
//! refused by name. The same network with every connection between
//! processes delayed exchanges once per 3 steps, with the same bits. The
//! paper model's network takes a rest in closed form in every process at
//! once, as one network does, and every process refuses alike when they
//! disagree on its length. The same over MPI ranks:
//! `tests/distributed_mpi.rs` (feature `mpi`, run by `.ci/run` under
//! `mpirun`).

mod support;

use spikeflow::distributed::{local_cluster, DistributedNetwork, Solo};
use spikeflow::prelude::*;
use spikeflow::topology::Bound;
use spikeflow::NetworkBuilder;
use support::distributed::{
    builder, builder_late, input, one_process, one_process_of, options, part, part_of,
    rest_network, rest_of, rest_part, Outcome, Rests, BATCH, STEPS,
};

fn on_threads(ranks: usize, phases: std::ops::Range<usize>, restore: bool) -> Vec<Outcome> {
    let handles: Vec<_> = local_cluster(ranks)
        .into_iter()
        .map(|x| {
            let phases = phases.clone();
            std::thread::spawn(move || part(Box::new(x), phases, restore))
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// Builds each rank's part on its own thread; what each build returned.
fn on_cluster(
    ranks: usize,
    builder: fn(usize) -> NetworkBuilder,
) -> Vec<spikeflow::Result<DistributedNetwork>> {
    let handles: Vec<_> = local_cluster(ranks)
        .into_iter()
        .enumerate()
        .map(|(r, x)| std::thread::spawn(move || DistributedNetwork::build(builder(r), x)))
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn any_number_of_processes_gives_the_one_process_run_bit_for_bit() {
    let one = one_process(0..2);
    let spikes_e: f32 = f32::from_bits(0)
        + one.records[0]
            .iter()
            .map(|&b| f32::from_bits(b))
            .sum::<f32>();
    let spikes_i: f32 = one.records[3].iter().map(|&b| f32::from_bits(b)).sum();
    assert!(
        spikes_e > 20.0 && spikes_i > 5.0,
        "too few spikes: E {spikes_e}, I {spikes_i}"
    );
    assert_eq!(part(Box::new(Solo), 0..2, false), one, "1 process (Solo)");
    // Only what crosses processes is exchanged: not the one-to-one drive.
    let net = DistributedNetwork::build(builder(), Solo).unwrap();
    let names = net.network().population_names();
    assert!(names.iter().any(|n| n == "E@all"), "{names:?}");
    assert!(!names.iter().any(|n| n == "D@all"), "{names:?}");
    for ranks in [1, 2, 3] {
        for (rank, got) in on_threads(ranks, 0..2, false).into_iter().enumerate() {
            assert!(
                got == one,
                "{ranks} processes: rank {rank} differs from one process"
            );
        }
    }
}

#[test]
fn processes_relax_a_rest_together_as_one_network() {
    let (one, relaxed_at) = rest_of(&mut rest_network());
    // The rest relaxed after its delayed input and depression were done,
    // and the second input made `Ae` fire (the relaxed state matters).
    assert!(matches!(relaxed_at, Some(10..=100)), "{relaxed_at:?}");
    let fired: f32 = one.records[0].iter().map(|&b| f32::from_bits(b)).sum();
    assert!(fired > 0.0, "Ae silent after the rest");
    let (stepped, _) = rest_of(&mut Stepped(rest_network()));
    assert!(stepped != one, "relaxing changed nothing");
    for ranks in [1, 2, 3] {
        let handles: Vec<_> = local_cluster(ranks)
            .into_iter()
            .map(|x| std::thread::spawn(move || rest_of(&mut rest_part(Box::new(x)))))
            .collect();
        for (rank, h) in handles.into_iter().enumerate() {
            let (got, at) = h.join().unwrap();
            assert_eq!(at, relaxed_at, "{ranks} processes: rank {rank}");
            assert!(
                got == one,
                "{ranks} processes: rank {rank} relaxed otherwise"
            );
        }
    }
}

/// A network whose rests are always stepped: what relaxing is compared to.
struct Stepped(Network);

impl Rests for Stepped {
    fn drive(&mut self, x: &Tensor) {
        self.0.drive(x);
    }
    fn idle(&mut self, steps: usize) {
        self.0.idle(steps);
    }
    fn relax(&mut self, _steps: usize) -> bool {
        false
    }
    fn watch(&mut self) {
        self.0.watch();
    }
    fn outcome(&mut self) -> Outcome {
        self.0.outcome()
    }
}

#[test]
fn delayed_connections_exchange_once_per_interval_with_the_same_bits() {
    // Every connection crossing processes delayed by 2–5 steps: each run
    // of 40 steps exchanges ⌈40 / 3⌉ = 14 times, and learning (every rule
    // family, reward, clamps, traces) replays late at each interval's end.
    let one = one_process_of(builder_late, 0..2);
    assert_ne!(one, one_process(0..2), "the delays changed nothing");
    for ranks in [1, 2, 3] {
        let handles: Vec<_> = local_cluster(ranks)
            .into_iter()
            .map(|x| std::thread::spawn(move || part_of(builder_late, Box::new(x), 0..2, false)))
            .collect();
        for (rank, h) in handles.into_iter().enumerate() {
            let got = h.join().unwrap();
            assert_eq!(
                (got.interval, got.exchanges),
                (3, 2 * 14),
                "{ranks} processes"
            );
            assert!(
                got.outcome == one,
                "{ranks} processes: rank {rank} differs from one process"
            );
        }
    }
    // A checkpoint between the runs, restored into a part built afresh.
    let got = part_of(builder_late, Box::new(Solo), 0..2, true);
    assert!(got.outcome == one, "restored: differs from one process");
    // Without delays on some crossing connection: every step.
    let got = part_of(builder, Box::new(Solo), 0..1, false);
    assert_eq!((got.interval, got.exchanges), (1, STEPS as u64));
    // Learning off: the interval only delays the crossing spikes' hand-over.
    let mut net = DistributedNetwork::build(builder_late(), Solo).unwrap();
    let mut plain = builder_late().build().unwrap();
    net.network_mut().set_learning(false);
    plain.set_learning(false);
    net.add_monitor("e", MonitorSpec::new("E", &["v"])).unwrap();
    plain
        .add_monitor("e", MonitorSpec::new("E", &["v"]))
        .unwrap();
    net.run_inputs(&[("X", RunInput::from(&input(1)))], STEPS, &options(1))
        .unwrap();
    plain.run(&[("X", &input(1))], STEPS, &options(1)).unwrap();
    assert_eq!(net.exchanges(), 14);
    let v = |t: Tensor| t.data().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        v(net.gather_recording("e", "v").unwrap()),
        v(plain.monitor("e").unwrap().get("v").unwrap())
    );
    // A monitor of a crossing connection's weights reads them every step:
    // its runs exchange every step, with the same weights.
    let mut net = DistributedNetwork::build(builder_late(), Solo).unwrap();
    net.add_monitor("w", MonitorSpec::new("E -> E", &["w"]))
        .unwrap();
    net.run_inputs(&[("X", RunInput::from(&input(0)))], STEPS, &options(0))
        .unwrap();
    assert_eq!(net.exchanges(), STEPS as u64);
    let mut plain = builder_late().build().unwrap();
    plain.run(&[("X", &input(0))], STEPS, &options(0)).unwrap();
    let bits = |w: &[f32]| w.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(net.gather_weights("E -> E").unwrap().data()),
        bits(plain.weights_tensor("E -> E").unwrap().data())
    );
}

#[test]
fn spike_rasters_and_values_give_the_same_parts() {
    // Each process takes its neurons of the whole input, as values or as
    // a raster of the same spikes.
    let handles: Vec<_> = local_cluster(3)
        .into_iter()
        .map(|x| {
            std::thread::spawn(move || {
                let mut net = DistributedNetwork::build(builder(), x).unwrap();
                support::distributed::watch(net.network_mut());
                let t = support::distributed::input(0);
                let raster = SpikeRaster::new(
                    t.shape().to_vec(),
                    t.data().iter().map(|&v| v != 0.0).collect(),
                )
                .unwrap();
                net.run_inputs(&[("X", RunInput::from(&t))], STEPS, &options(0))
                    .unwrap();
                net.run_inputs(&[("X", RunInput::from(&raster))], STEPS, &options(0))
                    .unwrap();
                let s = net.gather_recording("e", "s").unwrap();
                let half = s.data().len() / 2;
                (s.data()[..half].to_vec(), s.data()[half..].to_vec())
            })
        })
        .collect();
    let one = {
        let mut net = builder().build().unwrap();
        support::distributed::watch(&mut net);
        let t = support::distributed::input(0);
        net.run(&[("X", &t)], STEPS, &options(0)).unwrap();
        let raster = SpikeRaster::new(
            t.shape().to_vec(),
            t.data().iter().map(|&v| v != 0.0).collect(),
        )
        .unwrap();
        net.run_inputs(&[("X", RunInput::from(&raster))], STEPS, &options(0))
            .unwrap();
        net.monitor("e").unwrap().get("s").unwrap().data().to_vec()
    };
    for h in handles {
        let (values, spikes) = h.join().unwrap();
        assert_eq!([values, spikes].concat(), one);
    }
}

#[test]
fn a_checkpoint_restores_each_part_and_refuses_another_partition() {
    let one = one_process(0..2);
    for (rank, got) in on_threads(2, 0..2, true).into_iter().enumerate() {
        assert!(got == one, "restored at 2 processes: rank {rank} differs");
    }
    // A part's snapshot in a part of another partition.
    let snap = DistributedNetwork::build(builder(), Solo)
        .unwrap()
        .snapshot();
    let handles: Vec<_> = local_cluster(2)
        .into_iter()
        .map(|x| {
            let snap = snap.clone();
            std::thread::spawn(move || {
                let mut net = DistributedNetwork::build(builder(), x).unwrap();
                net.restore(&snap).unwrap_err().to_string()
            })
        })
        .collect();
    for h in handles {
        let e = h.join().unwrap();
        assert!(e.contains("rank 0 of 1") && e.contains("of 2"), "{e}");
    }
}

#[test]
fn what_cannot_be_cut_is_refused_by_name() {
    let refused = |b: NetworkBuilder, ranks: usize| {
        let x = local_cluster(ranks).into_iter().next().unwrap();
        DistributedNetwork::build(b, x).unwrap_err().to_string()
    };
    let mut b = Network::builder();
    b.add_population(
        "Z",
        &[8],
        IzhikevichNodes::default(),
        NodeOptions::default(),
    );
    let e = refused(b, 1);
    assert!(e.contains("Z") && e.contains("IzhikevichNodes"), "{e}");

    let mut b = Network::builder();
    b.add_population("A", &[4], Input, NodeOptions::default());
    b.add_population("B", &[4], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new("A", "B", Dense::default()));
    let e = refused(b, 2);
    assert!(
        e.contains("A -> B") && e.contains("cannot be distributed"),
        "{e}"
    );

    let mut b = Network::builder();
    b.add_population("A", &[2], Input, NodeOptions::default());
    let e = refused(b, 3);
    assert!(e.contains("population A") && e.contains("2 neurons"), "{e}");

    let mut b = Network::builder();
    b.add_population("A", &[4], Input, NodeOptions::default());
    b.add_population("B", &[4], LifNodes::default(), NodeOptions::default());
    b.connect(
        Connect::new("A", "B", Dense::with_weights(vec![1.0; 16]))
            .wmin(Bound::PerSynapse(vec![0.0; 16])),
    );
    let e = refused(b, 1);
    assert!(e.contains("per-synapse"), "{e}");

    // A whole-connection rule that cannot be cut by target.
    #[derive(Debug)]
    struct Uncut;
    impl spikeflow::learning::ConnectionRule for Uncut {
        fn name(&self) -> &str {
            "Uncut"
        }
        fn update(&mut self, _c: spikeflow::learning::WholeConnection<'_>) {}
        fn restrict_targets(
            &self,
            _n_pre: usize,
            _n_post: usize,
            _targets: std::ops::Range<usize>,
        ) -> spikeflow::learning::RulePart {
            spikeflow::learning::RulePart::Refused
        }
    }
    let mut b = Network::builder();
    b.add_population("A", &[4], Input, NodeOptions::default());
    b.add_population("B", &[4], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new("A", "B", Dense::with_weights(vec![1.0; 16])).connection_rule(Uncut));
    let e = refused(b, 2);
    assert!(
        e.contains("A -> B") && e.contains("rule Uncut cannot be cut"),
        "{e}"
    );

    // A synapse outside the ends is refused on every process, not dropped
    // by the process that does not own its (missing) target.
    fn bad_synapse(_rank: usize) -> NetworkBuilder {
        let mut b = Network::builder();
        b.add_population("A", &[4], Input, NodeOptions::default());
        b.add_population("B", &[4], LifNodes::default(), NodeOptions::default());
        let t = vec![(0, 1, 1.0), (2, 4, 1.0)];
        b.connect(Connect::new(
            "A",
            "B",
            spikeflow::topology::Sparse::Triplets(t),
        ));
        b
    }
    for e in on_cluster(2, bad_synapse) {
        assert!(e.unwrap_err().to_string().contains("A -> B"));
    }
    // Processes given different networks refuse them alike.
    fn other(rank: usize) -> NetworkBuilder {
        let mut b = builder();
        if rank == 1 {
            b.add_population("Z", &[3], Input, NodeOptions::default());
        }
        b
    }
    for e in on_cluster(2, other) {
        let e = e.unwrap_err().to_string();
        assert!(e.contains("rank 1 was given another network"), "{e}");
    }

    let mut net = DistributedNetwork::build(builder(), Solo).unwrap();
    // State whose parts' layout no topology or rule gives is not put
    // together into a whole snapshot (checkpoints of parts still work).
    let e = net.whole_snapshot().unwrap_err().to_string();
    assert!(e.contains("cannot be put together"), "{e}");
    let one_step = RunOptions {
        one_step: true,
        ..Default::default()
    };
    let e = net.run(3, &one_step).unwrap_err().to_string();
    assert!(e.contains("one_step"), "{e}");
    let bad = Tensor::zeros(vec![STEPS, BATCH, 9]);
    let e = net
        .run_inputs(&[("X", RunInput::from(&bad))], STEPS, &options(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("input of X"), "{e}");
}

/// NEST's `hpc_benchmark` (fixed in-degree with delays, power-law STDP on
/// compressed rows): put together from 2 processes, the snapshot is one
/// process's, bit for bit; restored into 3 processes (uneven blocks), it
/// runs on as one process does.
#[test]
fn a_whole_snapshot_of_compressed_rows_restores_into_another_number_of_processes() {
    use spikeflow::models::HpcBenchmark;
    let model = HpcBenchmark {
        scale: 0.02,
        seed: 3,
        plastic: true,
    };
    let (first, then) = (40, 30);
    let run = RunOptions::default();
    let mut one = model.build().unwrap();
    one.run(&[], first, &run).unwrap();
    let at_first = one.snapshot();
    one.run(&[], then, &run).unwrap();
    let at_end = one.snapshot();
    assert!(
        at_end
            .arrays
            .iter()
            .zip(&at_first.arrays)
            .any(|(a, b)| a != b),
        "nothing changed in the second run"
    );
    let on = |ranks: usize,
              job: fn(&mut DistributedNetwork, &spikeflow::Snapshot) -> spikeflow::Snapshot,
              snap: &spikeflow::Snapshot| {
        let handles: Vec<_> = local_cluster(ranks)
            .into_iter()
            .map(|x| {
                let (model, snap) = (model.clone(), snap.clone());
                std::thread::spawn(move || {
                    let mut net = DistributedNetwork::build(model.builder().unwrap(), x).unwrap();
                    job(&mut net, &snap)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    };
    let same = |got: &spikeflow::Snapshot, want: &spikeflow::Snapshot, what: &str| {
        let names =
            |s: &spikeflow::Snapshot| s.arrays.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(got), names(want), "{what}");
        for ((name, a), (_, b)) in got.arrays.iter().zip(&want.arrays) {
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert!(bits(a) == bits(b), "{what}: {name} differs");
        }
    };
    for snap in on(
        2,
        |net, _| {
            net.run(40, &RunOptions::default()).unwrap();
            net.whole_snapshot().unwrap()
        },
        &at_first,
    ) {
        same(&snap, &at_first, "2 processes after the first run");
    }
    for snap in on(
        3,
        |net, snap| {
            net.restore_whole(snap).unwrap();
            net.run(30, &RunOptions::default()).unwrap();
            net.whole_snapshot().unwrap()
        },
        &at_first,
    ) {
        same(
            &snap,
            &at_end,
            "3 processes restored from it, after the second",
        );
    }
}

/// A part's profile times what it does at each interval's end — the
/// collective, the late connections' learning and propagation — as well as
/// its steps, so that its phases add up to the run (before, they left the
/// interval's end out: 40 % of rank 0's wall time on W5 at scale 1 over 2
/// ranks). A plain network exchanges nothing.
#[test]
fn a_part_profiles_the_exchange_and_the_late_connections() {
    let build_with = |delay: Option<u16>| {
        let mut b = Network::builder().dt(0.1).seed(3);
        let drive = spikeflow::nodes::PoissonGenerator {
            rate_hz: 400.0,
            seed: 1,
            first_index: 0,
        };
        b.add_population("P", &[400], drive, NodeOptions::default());
        b.add_population("E", &[100], LifNodes::default(), NodeOptions::default());
        let synapses = spikeflow::topology::FixedIndegree {
            indegree: 200,
            weight: 2.0,
            autapses: true,
            seed: 5,
        };
        let rule = spikeflow::learning::StdpPowerLaw {
            dendritic_delay_steps: 5,
            ..Default::default()
        };
        let c = match delay {
            Some(d) => Connect::new(
                "P",
                "E",
                spikeflow::topology::WithDelays::new(synapses, vec![d]),
            ),
            None => Connect::new("P", "E", synapses),
        };
        b.connect(c.rule(rule).nu(0.1).wmin(0.0));
        b
    };
    // Delayed by 4 steps: P's spikes cross once per 5 steps, and the
    // connection learns and propagates at the interval's end.
    let build = || build_with(Some(4));
    let mut net = DistributedNetwork::build(build(), Solo).unwrap();
    net.set_profiling(true);
    let t0 = std::time::Instant::now();
    net.run(300, &RunOptions::default()).unwrap();
    let wall = t0.elapsed();
    assert_eq!(net.exchanges(), 60);
    let phases = net.profile();
    let of = |name: &str| phases.iter().find(|(n, _)| *n == name).unwrap().1;
    assert!(of("exchange") > std::time::Duration::ZERO, "{phases:?}");
    let profiled: std::time::Duration = phases.iter().map(|(_, d)| *d).sum();
    assert!(profiled <= wall, "{phases:?} over {wall:?}");
    // What is left out is the loop around the steps: a few per cent.
    assert!(
        profiled.as_secs_f64() > 0.7 * wall.as_secs_f64(),
        "{phases:?} cover {profiled:?} of {wall:?}"
    );

    // Without delays, every step: the collective runs inside P's mirror's
    // update, and is moved from `integrate` to `exchange`.
    let mut net = DistributedNetwork::build(build_with(None), Solo).unwrap();
    net.set_profiling(true);
    net.run(300, &RunOptions::default()).unwrap();
    assert_eq!(net.exchanges(), 300);
    let phases = net.profile();
    assert!(phases[5].1 > std::time::Duration::ZERO, "{phases:?}");

    let mut plain = build().build().unwrap();
    plain.set_profiling(true);
    plain.run(&[], 300, &RunOptions::default()).unwrap();
    let phases = plain.profile();
    assert_eq!(phases[5], ("exchange", std::time::Duration::ZERO));
}
