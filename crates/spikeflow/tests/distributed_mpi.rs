//! The network of `tests/distributed.rs` over MPI ranks (feature `mpi`):
//! every rank runs it as its part and also alone, as one plain process,
//! and the two must agree bit for bit, a checkpoint included. Run under
//! `mpirun -np K` (`.ci/run` runs K = 2 and 3); without `mpirun` it is
//! one rank. One test function: MPI starts once per process, and the
//! ranks must call the collectives in the same order.

mod support;

use spikeflow::distributed::{Exchange, MpiExchange};
use support::distributed::{one_process, part};

#[test]
fn mpi_ranks_give_the_one_process_run_bit_for_bit() {
    let mpi = MpiExchange::start().unwrap();
    let (rank, ranks) = (mpi.rank(), mpi.ranks());
    let one = one_process(0..2);
    let got = part(Box::new(mpi), 0..2, true);
    assert!(
        got == one,
        "rank {rank} of {ranks} differs from one process"
    );
    eprintln!(
        "rank {rank} of {ranks}: the same spikes, voltages, traces and weights as one process"
    );
}
