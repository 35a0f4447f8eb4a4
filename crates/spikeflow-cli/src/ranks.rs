//! Whether this process is one rank of an MPI job (`mpirun -np K
//! spikeflow …`), and joining it.

use anyhow::{bail, Result};
use spikeflow::distributed::Exchange;

/// The job's size when a launcher started this process (OpenMPI's
/// `OMPI_COMM_WORLD_SIZE`, MPICH's and Slurm's `PMI_SIZE`), else `None`.
fn launched_ranks() -> Option<usize> {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.parse().ok())
}

/// Joins the MPI job this process was started in (on the main thread,
/// before the worker pool): `Some(exchange)` under `mpirun`, `None` when
/// started alone.
///
/// # Errors
/// Started by `mpirun` with more than one rank but built without the
/// feature `mpi` (every rank says so and exits, so the job ends rather
/// than running K copies of the whole network), or MPI failing to start.
#[cfg(feature = "mpi")]
pub fn join() -> Result<Option<Box<dyn Exchange>>> {
    if launched_ranks().is_none() {
        return Ok(None);
    }
    let mpi = spikeflow::distributed::MpiExchange::start()?;
    Ok(Some(Box::new(mpi)))
}

/// See the `mpi` build's `join`: without MPI, only a lone process runs.
#[cfg(not(feature = "mpi"))]
pub fn join() -> Result<Option<Box<dyn Exchange>>> {
    match launched_ranks() {
        Some(k) if k > 1 => bail!(
            "started by mpirun with {k} ranks, but this spikeflow was built without MPI: \
             build it with `cargo build --release -p spikeflow-cli --features mpi`"
        ),
        _ => Ok(None),
    }
}

/// Refuses a command that does not run over ranks when this process is one
/// of several.
pub fn refuse_many(ranks: &Option<Box<dyn Exchange>>, what: &str) -> Result<()> {
    match ranks {
        Some(x) if x.ranks() > 1 => {
            bail!("{what} runs in one process; only `spikeflow bench w5` runs over MPI ranks")
        }
        _ => Ok(()),
    }
}
