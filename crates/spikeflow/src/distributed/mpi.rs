//! [`MpiExchange`]: the all-gather over MPI ranks (rsmpi), feature `mpi`.

use super::exchange::Exchange;
use crate::error::{Error, Result};
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::Communicator;
use mpi::traits::CommunicatorCollectives;
use mpi::Count;

/// This process as one rank of `MPI_COMM_WORLD`. MPI starts with the first
/// [`MpiExchange::start`] and ends (`MPI_Finalize`) when the exchange is
/// dropped, once per process.
///
/// MPI's default error handler ends every rank when a collective fails,
/// and `mpirun` ends the job when a rank exits with an error, so a rank
/// that fails does not leave the others waiting; [`abort`](Self::abort)
/// ends every rank at once with a code, for errors found by one rank.
pub struct MpiExchange {
    universe: Universe,
    counts: Vec<Count>,
    displs: Vec<Count>,
}

impl std::fmt::Debug for MpiExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MpiExchange")
            .field("rank", &self.rank())
            .field("ranks", &self.ranks())
            .finish()
    }
}

impl MpiExchange {
    /// Starts MPI in this process.
    ///
    /// # Errors
    /// MPI already started, or no thread level allowing calls from a thread
    /// other than the main one, one at a time (`MPI_THREAD_SERIALIZED`).
    pub fn start() -> Result<Self> {
        let (universe, level) = mpi::initialize_with_threading(mpi::Threading::Serialized)
            .ok_or_else(|| Error::Unsupported("MPI was already started in this process".into()))?;
        if level < mpi::Threading::Serialized {
            return Err(Error::Unsupported(format!(
                "this MPI offers thread level {level:?}; spikeflow needs Serialized"
            )));
        }
        Ok(MpiExchange {
            universe,
            counts: Vec::new(),
            displs: Vec::new(),
        })
    }

    /// Ends every rank of the job with `code` (`MPI_Abort`), after the
    /// caller has printed why.
    pub fn abort(&self, code: i32) -> ! {
        self.universe.world().abort(code)
    }
}

impl Exchange for MpiExchange {
    fn rank(&self) -> usize {
        self.universe.world().rank() as usize
    }
    fn ranks(&self) -> usize {
        self.universe.world().size() as usize
    }
    fn all_gather(&mut self, local: &[u32], out: &mut Vec<u32>, counts: &mut Vec<usize>) {
        let world = self.universe.world();
        let ranks = world.size() as usize;
        self.counts.resize(ranks, 0);
        let mine = Count::try_from(local.len()).unwrap_or_else(|_| {
            eprintln!(
                "spikeflow: {} words to exchange exceed MPI's count",
                local.len()
            );
            world.abort(2)
        });
        world.all_gather_into(&mine, &mut self.counts[..]);
        self.displs.clear();
        let mut total: usize = 0;
        for &c in &self.counts {
            self.displs.push(total as Count);
            total += c as usize;
        }
        out.clear();
        out.resize(total, 0);
        {
            let mut parts = PartitionMut::new(&mut out[..], &self.counts[..], &self.displs[..]);
            world.all_gather_varcount_into(local, &mut parts);
        }
        counts.clear();
        counts.extend(self.counts.iter().map(|&c| c as usize));
    }
}
