//! The MNIST data of a run: where it lives, how it is loaded, its
//! fingerprint (checked on resume) and the order of the training images.

use anyhow::{bail, Context, Result};
use spikeflow::datasets::{Mnist, Split};
use spikeflow::rng::Rng;
use std::path::{Path, PathBuf};

/// The shipped sample, located from this crate's source tree (as
/// `crates/spikeflow/…`, not `crates/spikeflow-cli/../spikeflow/…`: the
/// path is shown and recorded in `summary.json`).
pub fn default_data_dir() -> PathBuf {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate folder is inside crates/");
    crates.join("spikeflow/data/mnist-sample")
}

/// Loads MNIST from `dir` (or the shipped sample), with one-line errors.
pub fn load_mnist(dir: Option<&Path>) -> Result<(Mnist, PathBuf)> {
    let (dir, shipped) = match dir {
        Some(d) => (d.to_path_buf(), false),
        None => (default_data_dir(), true),
    };
    if !dir.is_dir() {
        if shipped {
            bail!(
                "the shipped MNIST sample is not at {} (pass --data-dir DIR with the four MNIST files)",
                dir.display()
            );
        }
        bail!("data folder {} does not exist", dir.display());
    }
    let m =
        Mnist::load(&dir).with_context(|| format!("cannot load MNIST from {}", dir.display()))?;
    Ok((m, dir))
}

/// CRC-32 of a split's images and labels (a checkpoint records the one of
/// the training images it was trained on).
pub(crate) fn crc_of_split(s: &Split<'_>) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(s.images());
    c.update(s.labels());
    c.sum()
}

/// The order in which an epoch shows the training images (`--order`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImageOrder {
    /// A seeded shuffle, another each epoch (BindsNET's
    /// `DataLoader(shuffle=True)`).
    Shuffled,
    /// The dataset's own order, every epoch (Diehl & Cook's script shows
    /// image `j % 60000` at its `j`-th presentation).
    Dataset,
}

impl ImageOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageOrder::Shuffled => "shuffled",
            ImageOrder::Dataset => "dataset",
        }
    }

    pub fn parse(s: &str) -> Option<ImageOrder> {
        match s {
            "shuffled" => Some(ImageOrder::Shuffled),
            "dataset" => Some(ImageOrder::Dataset),
            _ => None,
        }
    }
}

/// The order of the training images in `epoch`.
pub(super) fn epoch_order(len: usize, seed: u64, epoch: usize, how: ImageOrder) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    if how == ImageOrder::Dataset {
        return order;
    }
    let mut rng = Rng::seed_from_u64(
        seed ^ 0x0DA7_A0DE_5EED_0000 ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    for i in (1..len).rev() {
        let j = rng.below(i + 1);
        order.swap(i, j);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_order_is_the_identity_every_epoch() {
        for (seed, epoch) in [(0, 0), (7, 3), (u64::MAX, 14)] {
            let o = epoch_order(1000, seed, epoch, ImageOrder::Dataset);
            assert!(o.iter().enumerate().all(|(k, &i)| k == i), "{seed} {epoch}");
        }
    }

    #[test]
    fn shuffled_order_is_another_permutation_each_epoch() {
        let a = epoch_order(1000, 3, 0, ImageOrder::Shuffled);
        let b = epoch_order(1000, 3, 1, ImageOrder::Shuffled);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert!(sorted.iter().enumerate().all(|(k, &i)| k == i));
        assert_ne!(a, b);
        assert_ne!(a, epoch_order(1000, 3, 0, ImageOrder::Dataset));
        assert_eq!(a, epoch_order(1000, 3, 0, ImageOrder::Shuffled));
    }

    #[test]
    fn order_names_round_trip() {
        for o in [ImageOrder::Shuffled, ImageOrder::Dataset] {
            assert_eq!(ImageOrder::parse(o.as_str()), Some(o));
        }
        assert_eq!(ImageOrder::parse("sorted"), None);
    }
}
