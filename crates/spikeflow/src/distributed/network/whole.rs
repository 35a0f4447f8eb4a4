//! A distributed network's parts put together into the snapshot one
//! process would take, and a whole snapshot cut again for any number of
//! processes.

use super::{DistributedNetwork, MIRROR};
use crate::distributed::PartLayout;
use crate::error::{Error, Result};
use crate::network::Snapshot;

impl DistributedNetwork {
    /// The snapshot one process running the whole network would take now:
    /// the same arrays in the same order under the whole network's names,
    /// put together from every process's part (the mirrors left out). It
    /// restores into a [`Network`](crate::Network) built from the same description, or into
    /// any number of processes ([`restore_whole`](Self::restore_whole)). A
    /// collective.
    ///
    /// # Errors
    /// [`Error::Unsupported`], on every process alike, for an array whose
    /// parts cannot be put together: a connection state whose topology or
    /// rule does not say how its parts stand to the whole
    /// ([`Topology::part_layout`](crate::topology::Topology::part_layout),
    /// [`ConnectionRule::part_layout`](crate::learning::ConnectionRule::part_layout)),
    /// or state other than the weights of a connection that stays within
    /// each process's blocks.
    pub fn whole_snapshot(&self) -> Result<Snapshot> {
        let local = self.net.snapshot();
        let mut arrays = Vec::new();
        for (name, values) in &local.arrays {
            let whole = match self.array_part(name)? {
                ArrayPart::Mirror(_) => continue,
                ArrayPart::Population(pop) => self.gather_rows(&pop, values)?,
                ArrayPart::Whole => values.clone(),
                ArrayPart::TargetColumns(target, rows) => {
                    let n_local = self.part(&target)?.ranges[self.rank].len();
                    if values.len() != rows * n_local {
                        return Err(Error::Unsupported(format!(
                            "snapshot array {name}: {} values, not the {rows} rows of {n_local} \
                             targets its layout gives",
                            values.len()
                        )));
                    }
                    self.gather_rows(&target, values)?
                }
                ArrayPart::SourceBlocks => self.gather(values).concat(),
                ArrayPart::SynapseRows(lens, rows) => {
                    let all_lens = self.gather_words(&lens);
                    let parts = self.gather(values);
                    interleave_rows(name, &all_lens, &parts, rows)?
                }
            };
            arrays.push((self.whole_array_name(name), whole));
        }
        Ok(Snapshot {
            arrays,
            rng: local.rng,
        })
    }

    /// Restores a snapshot of the whole network (one process's, or
    /// [`whole_snapshot`](Self::whole_snapshot)'s with any number of
    /// processes): each process takes its part. A collective.
    ///
    /// # Errors
    /// As [`whole_snapshot`](Self::whole_snapshot); a snapshot without an
    /// array this part needs, or of another size; then as
    /// [`Network::restore`](crate::Network::restore) (nothing is changed).
    pub fn restore_whole(&mut self, snap: &Snapshot) -> Result<()> {
        let bad = |m: String| Error::format("snapshot", m);
        let mine = self.net.snapshot();
        let mut arrays = Vec::with_capacity(mine.arrays.len());
        for (name, values) in &mine.arrays {
            let part = self.array_part(name)?;
            let whole_name = match &part {
                // A mirror holds the whole population's state.
                ArrayPart::Mirror(pop) => {
                    name.replacen(&format!("pop/{pop}{MIRROR}/"), &format!("pop/{pop}/"), 1)
                }
                _ => self.whole_array_name(name),
            };
            let whole = snap
                .arrays
                .iter()
                .find(|(n, _)| *n == whole_name)
                .map(|(_, v)| v.as_slice())
                .ok_or_else(|| bad(format!("no array {whole_name}")))?;
            let cut = |pop: &str| -> Result<Vec<f32>> {
                let p = self.part(pop)?;
                let mine = p.ranges[self.rank].clone();
                let rows = values.len() / mine.len().max(1);
                if whole.len() != rows * p.n {
                    return Err(bad(format!(
                        "array {whole_name} has {} values, not {rows} × {}",
                        whole.len(),
                        p.n
                    )));
                }
                Ok(crate::topology::columns(whole, p.n, &mine))
            };
            let local = match &part {
                ArrayPart::Mirror(_) | ArrayPart::Whole => whole.to_vec(),
                ArrayPart::Population(pop) => cut(pop)?,
                ArrayPart::TargetColumns(target, _) => cut(target)?,
                ArrayPart::SourceBlocks => {
                    let lens = self.gather_count(values.len() as u64);
                    let at: u64 = lens[..self.rank].iter().sum();
                    let total: u64 = lens.iter().sum();
                    if whole.len() as u64 != total {
                        return Err(bad(format!(
                            "array {whole_name} has {} values, the parts {total}",
                            whole.len()
                        )));
                    }
                    whole[at as usize..at as usize + values.len()].to_vec()
                }
                ArrayPart::SynapseRows(lens, rows) => {
                    let all_lens = self.gather_words(lens);
                    cut_rows(&whole_name, whole, &all_lens, self.rank, *rows)?
                }
            };
            arrays.push((name.clone(), local));
        }
        self.net.restore(&Snapshot {
            arrays,
            rng: snap.rng,
        })
    }

    /// The whole network's name of an array of this process's snapshot.
    fn whole_array_name(&self, name: &str) -> String {
        name.replacen(&format!("{MIRROR} -> "), " -> ", 1)
    }

    /// What an array of this process's snapshot is a part of.
    fn array_part(&self, name: &str) -> Result<ArrayPart> {
        let unsupported = |why: &str| {
            Err(Error::Unsupported(format!(
                "the parts of snapshot array {} cannot be put together: {why}",
                self.whole_array_name(name)
            )))
        };
        if let Some(rest) = name.strip_prefix("pop/") {
            let (pop, var) = rest.rsplit_once('/').unwrap_or((rest, ""));
            return Ok(match pop.strip_suffix(MIRROR) {
                Some(whole) => ArrayPart::Mirror(whole.to_string()),
                None if self.net.population(pop)?.shared_variables().contains(&var) => {
                    ArrayPart::Whole
                }
                None => ArrayPart::Population(pop.to_string()),
            });
        }
        let Some(rest) = name.strip_prefix("conn/") else {
            return unsupported("not a population's or a connection's");
        };
        let (conn, array, rule) = match rest.split_once("/rule/") {
            Some((c, a)) => (c, a, true),
            None => match rest.rsplit_once('/') {
                Some((c, a)) => (c, a, false),
                None => return unsupported("no array name"),
            },
        };
        let target = || conn.split("->").nth(1).map(str::trim).unwrap_or_default();
        if !conn.contains(MIRROR) {
            // Within blocks: each process holds its block of sources'
            // synapses, which the whole connection keeps in source order;
            // its targets are the process's block too (a delay ring), but
            // a rule's source side is the block, not every source.
            if rule {
                return unsupported("a rule's state on a connection within each process's blocks");
            }
            return match (array, self.net.part_layout(conn, array, rule)) {
                ("w", _) => Ok(ArrayPart::SourceBlocks),
                (_, Some(PartLayout::Whole)) => Ok(ArrayPart::Whole),
                (_, Some(PartLayout::TargetColumns { rows })) => {
                    Ok(ArrayPart::TargetColumns(target().to_string(), rows))
                }
                _ => unsupported("state of a connection within each process's blocks"),
            };
        }
        match self.net.part_layout(conn, array, rule) {
            Some(PartLayout::Whole) => Ok(ArrayPart::Whole),
            Some(PartLayout::TargetColumns { rows }) => {
                Ok(ArrayPart::TargetColumns(target().to_string(), rows))
            }
            Some(PartLayout::SynapseRows { rows }) => match self.net.synapse_row_lengths(conn) {
                Some(lens) => Ok(ArrayPart::SynapseRows(lens, rows)),
                None => unsupported("its topology has no compressed rows"),
            },
            None => {
                unsupported("its topology or rule does not say how the parts stand to the whole")
            }
        }
    }
}

/// What an array of a process's snapshot is a part of (see
/// [`DistributedNetwork::whole_snapshot`]).
enum ArrayPart {
    /// A mirror's state: the whole population's, not saved.
    Mirror(String),
    /// One value per neuron of the process's block of a population, per row.
    Population(String),
    /// A connection's array every process holds whole.
    Whole,
    /// Rows of one value per target of the process's block (target, rows).
    TargetColumns(String, usize),
    /// The synapses of the process's block of sources (a connection within
    /// blocks), concatenated in rank order.
    SourceBlocks,
    /// Copies of one value per synapse of compressed rows, each row holding
    /// the process's targets' synapses (the process's row lengths, copies).
    SynapseRows(Vec<u32>, usize),
}

/// The whole array of a [`PartLayout::SynapseRows`] layout from every
/// process's part (`parts[r]`, `rows` copies of its synapses) and row
/// lengths (`lens[r]`): each copy, row by row, the parts' segments in rank
/// order.
fn interleave_rows(
    name: &str,
    lens: &[Vec<u32>],
    parts: &[Vec<f32>],
    rows: usize,
) -> Result<Vec<f32>> {
    let nnz: Vec<usize> = lens
        .iter()
        .map(|l| l.iter().map(|&x| x as usize).sum())
        .collect();
    let n_pre = lens.first().map_or(0, Vec::len);
    if lens.iter().any(|l| l.len() != n_pre)
        || parts.iter().zip(&nnz).any(|(p, &k)| p.len() != rows * k)
    {
        return Err(Error::Unsupported(format!(
            "snapshot array {name}: the parts' synapse rows do not match their values"
        )));
    }
    let mut whole = Vec::with_capacity(rows * nnz.iter().sum::<usize>());
    let mut at: Vec<usize> = vec![0; parts.len()];
    for copy in 0..rows {
        for (a, &k) in at.iter_mut().zip(&nnz) {
            *a = copy * k;
        }
        for i in 0..n_pre {
            for (r, part) in parts.iter().enumerate() {
                let len = lens[r][i] as usize;
                whole.extend_from_slice(&part[at[r]..at[r] + len]);
                at[r] += len;
            }
        }
    }
    Ok(whole)
}

/// Process `rank`'s part of the whole array `whole` of a
/// [`PartLayout::SynapseRows`] layout (every process's row lengths `lens`).
fn cut_rows(
    name: &str,
    whole: &[f32],
    lens: &[Vec<u32>],
    rank: usize,
    rows: usize,
) -> Result<Vec<f32>> {
    let total: usize = lens.iter().flatten().map(|&x| x as usize).sum();
    let n_pre = lens[rank].len();
    if lens.iter().any(|l| l.len() != n_pre) || whole.len() != rows * total {
        return Err(Error::format(
            "snapshot",
            format!(
                "array {name} has {} values, not {rows} × the parts' {total} synapses",
                whole.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(rows * lens[rank].iter().map(|&x| x as usize).sum::<usize>());
    let mut at = 0;
    for _ in 0..rows {
        for i in 0..n_pre {
            for (r, l) in lens.iter().enumerate() {
                let len = l[i] as usize;
                if r == rank {
                    out.extend_from_slice(&whole[at..at + len]);
                }
                at += len;
            }
        }
    }
    Ok(out)
}
