//! The network of `tests/distributed.rs` over MPI ranks (feature `mpi`):
//! every rank runs it as its part and also alone, as one plain process,
//! and the two must agree bit for bit, a checkpoint included. Run under
//! `mpirun -np K` (`.ci/run` runs K = 2 and 3); without `mpirun` it is
//! one rank. One test function: MPI starts once per process, and the
//! ranks must call the collectives in the same order. Twice: the network
//! exchanging every step, and with every connection between ranks delayed,
//! once per 3 steps. Then the paper model's network takes a rest in closed
//! form on every rank at once (`DistributedNetwork::relax`), as one
//! network does.

mod support;

use spikeflow::distributed::{Exchange, MpiExchange};
use support::distributed::{
    builder, builder_late, one_process_of, part_of, rest_network, rest_of, rest_part,
};

#[test]
fn mpi_ranks_give_the_one_process_run_bit_for_bit() {
    let mpi = MpiExchange::start().unwrap();
    let (rank, ranks) = (mpi.rank(), mpi.ranks());
    let mut exchange: Box<dyn Exchange> = Box::new(mpi);
    // Spikes exchanged every step, then (every connection between ranks
    // delayed) once per 3 steps.
    for (network, interval) in [(builder as fn() -> _, 1), (builder_late, 3)] {
        let one = one_process_of(network, 0..2);
        let got = part_of(network, exchange, 0..2, true);
        assert!(
            got.outcome == one,
            "rank {rank} of {ranks} differs from one process (interval {interval})"
        );
        assert_eq!(got.interval, interval);
        exchange = got.exchange;
    }
    let (one, relaxed_at) = rest_of(&mut rest_network());
    assert!(relaxed_at.is_some(), "one process never relaxed");
    let (got, at) = rest_of(&mut rest_part(exchange));
    assert_eq!(at, relaxed_at, "rank {rank} of {ranks} relaxed elsewhere");
    assert!(got == one, "rank {rank} of {ranks} relaxed otherwise");
    eprintln!(
        "rank {rank} of {ranks}: the same spikes, voltages, traces and weights as one process, \
         exchanging every step and every 3 steps, and relaxing a rest"
    );
}
