//! MNIST and the data sets in its format (Fashion-MNIST, KMNIST).

use std::io;
use std::path::{Path, PathBuf};

use super::idx::{read_images, read_labels};
use super::Dataset;
use crate::{Error, Result};

/// File name (without `.gz`) of the training images.
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
/// File name (without `.gz`) of the training labels.
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
/// File name (without `.gz`) of the test images.
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
/// File name (without `.gz`) of the test labels.
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";

/// Number of classes of MNIST-format data sets.
const N_CLASSES: usize = 10;

/// An MNIST-format data set held in memory: training and test images (`u8`,
/// `[n, rows, cols]`, 28×28 for MNIST and Fashion-MNIST) and labels `0..10`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    shape: [usize; 2],
    train_images: Vec<u8>,
    train_labels: Vec<u8>,
    test_images: Vec<u8>,
    test_labels: Vec<u8>,
}

/// One split of an [`Mnist`] data set (training, validation, test or a slice
/// of one), borrowed without copying. Implements [`Dataset`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split<'a> {
    name: &'static str,
    shape: &'a [usize; 2],
    images: &'a [u8],
    labels: &'a [u8],
}

impl Mnist {
    /// Loads the four files from `dir`, each under its canonical name
    /// ([`TRAIN_IMAGES`], [`TRAIN_LABELS`], [`TEST_IMAGES`], [`TEST_LABELS`]),
    /// uncompressed or with a `.gz` suffix (the uncompressed file is preferred
    /// when both exist; gzip is recognised by content either way).
    ///
    /// Errors: a missing file ([`Error::Io`], naming the path tried), any
    /// malformed file ([`Error::Format`], see [`idx`](super::idx)), image
    /// and label counts that differ, train and test images of different sizes.
    pub fn load(dir: &Path) -> Result<Mnist> {
        Mnist::from_files(
            &find(dir, TRAIN_IMAGES)?,
            &find(dir, TRAIN_LABELS)?,
            &find(dir, TEST_IMAGES)?,
            &find(dir, TEST_LABELS)?,
        )
    }

    /// Loads a data set from four explicitly named IDX files (raw or gzip).
    pub fn from_files(
        train_images: &Path,
        train_labels: &Path,
        test_images: &Path,
        test_labels: &Path,
    ) -> Result<Mnist> {
        let (train_shape, train_images, train_labels) = load_pair(train_images, train_labels)?;
        let (test_shape, test_images, test_labels) = load_pair(test_images, test_labels)?;
        // Empty splits carry their declared shape; compare only real images.
        if train_shape != test_shape && !train_labels.is_empty() && !test_labels.is_empty() {
            return Err(Error::shape(
                "MNIST",
                format!(
                    "training images are {}×{}, test images {}×{}",
                    train_shape[0], train_shape[1], test_shape[0], test_shape[1]
                ),
            ));
        }
        let shape = if train_labels.is_empty() {
            test_shape
        } else {
            train_shape
        };
        Ok(Mnist {
            shape,
            train_images,
            train_labels,
            test_images,
            test_labels,
        })
    }

    /// Image shape `[rows, cols]`.
    pub fn image_shape(&self) -> [usize; 2] {
        self.shape
    }

    /// The whole training split.
    pub fn train(&self) -> Split<'_> {
        Split {
            name: "train",
            shape: &self.shape,
            images: &self.train_images,
            labels: &self.train_labels,
        }
    }

    /// The test split.
    pub fn test(&self) -> Split<'_> {
        Split {
            name: "test",
            shape: &self.shape,
            images: &self.test_images,
            labels: &self.test_labels,
        }
    }

    /// Splits the training set deterministically into (training, validation):
    /// the validation split is the **last** `n_val` training items, the
    /// training split everything before them (for MNIST, `n_val = 10000`
    /// gives 50 000 / 10 000). Fails if `n_val` exceeds the training set.
    pub fn split_validation(&self, n_val: usize) -> Result<(Split<'_>, Split<'_>)> {
        let n = self.train_labels.len();
        if n_val > n {
            return Err(Error::param(
                "MNIST validation split",
                format!("n_val = {n_val} exceeds the {n} training items"),
            ));
        }
        let train = self.train().slice(0, n - n_val)?;
        let mut val = self.train().slice(n - n_val, n)?;
        val.name = "validation";
        Ok((train, val))
    }
}

impl<'a> Split<'a> {
    /// `"train"`, `"validation"` or `"test"`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// All images, concatenated row-major (`len() · rows · cols` bytes).
    pub fn images(&self) -> &'a [u8] {
        self.images
    }

    /// All labels.
    pub fn labels(&self) -> &'a [u8] {
        self.labels
    }

    /// All images as `f32` in `[0, 1]` (`pixel / 255`), concatenated.
    pub fn images_f32(&self) -> Vec<f32> {
        self.images.iter().map(|&p| f32::from(p) / 255.0).collect()
    }

    /// Items `start..end` of this split (same name). Fails if the range is
    /// empty-reversed or goes past the end.
    pub fn slice(&self, start: usize, end: usize) -> Result<Split<'a>> {
        if start > end || end > self.labels.len() {
            return Err(Error::param(
                format!("MNIST {} split", self.name),
                format!(
                    "range {start}..{end} is not within 0..{}",
                    self.labels.len()
                ),
            ));
        }
        let px = self.shape[0] * self.shape[1];
        Ok(Split {
            name: self.name,
            shape: self.shape,
            images: &self.images[start * px..end * px],
            labels: &self.labels[start..end],
        })
    }

    /// The first `min(n, len())` items.
    pub fn take(&self, n: usize) -> Split<'a> {
        let n = n.min(self.labels.len());
        let px = self.shape[0] * self.shape[1];
        Split {
            images: &self.images[..n * px],
            labels: &self.labels[..n],
            ..*self
        }
    }
}

impl Dataset for Split<'_> {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn shape(&self) -> &[usize] {
        self.shape
    }

    fn n_classes(&self) -> usize {
        N_CLASSES
    }

    fn image(&self, i: usize) -> &[u8] {
        let px = self.shape[0] * self.shape[1];
        &self.images[i * px..(i + 1) * px]
    }

    fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }
}

/// `dir/name`, or `dir/name.gz` if only that exists.
fn find(dir: &Path, name: &str) -> Result<PathBuf> {
    let plain = dir.join(name);
    if plain.is_file() {
        return Ok(plain);
    }
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    Err(Error::io(
        plain.display().to_string(),
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("neither {name} nor {name}.gz exists in this folder"),
        ),
    ))
}

/// Reads an image file and its label file and checks they agree.
fn load_pair(images: &Path, labels: &Path) -> Result<([usize; 2], Vec<u8>, Vec<u8>)> {
    let array = read_images(images)?;
    let (n, shape) = (array.dims()[0], [array.dims()[1], array.dims()[2]]);
    let labels_data = read_labels(labels, N_CLASSES)?;
    if labels_data.len() != n {
        return Err(Error::format(
            labels.display().to_string(),
            format!(
                "{} labels, but {} has {n} images",
                labels_data.len(),
                images.display()
            ),
        ));
    }
    Ok((shape, array.into_data(), labels_data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Mnist {
        // 4 training images of 1×2 pixels, 1 test image.
        Mnist {
            shape: [1, 2],
            train_images: vec![0, 255, 1, 2, 3, 4, 5, 6],
            train_labels: vec![3, 1, 4, 1],
            test_images: vec![9, 9],
            test_labels: vec![7],
        }
    }

    #[test]
    fn splits() {
        let m = tiny();
        let t = m.train();
        assert_eq!(t.len(), 4);
        assert_eq!(t.image(1), &[1, 2]);
        assert_eq!(t.image_f32(0), vec![0.0, 1.0]);
        assert_eq!(t.class_counts(), vec![0, 2, 0, 1, 1, 0, 0, 0, 0, 0]);
        let (tr, va) = m.split_validation(1).unwrap();
        assert_eq!((tr.len(), va.len(), va.name()), (3, 1, "validation"));
        assert_eq!((va.image(0), va.label(0)), (&[5u8, 6][..], 1));
        assert_eq!(tr.labels(), &[3, 1, 4]);
        let (tr, va) = m.split_validation(0).unwrap();
        assert_eq!((tr.len(), va.len()), (4, 0));
        assert!(m.split_validation(5).is_err());
        assert_eq!(m.test().get(0), Some((&[9u8, 9][..], 7)));
        assert_eq!(m.test().get(1), None);
        assert_eq!(t.slice(1, 3).unwrap().labels(), &[1, 4]);
        assert!(t.slice(3, 2).is_err() && t.slice(0, 5).is_err());
        assert_eq!(t.take(10).len(), 4);
        assert_eq!(t.take(2).images(), &[0, 255, 1, 2]);
        let mut buf = [0.0f32; 2];
        t.image_f32_into(3, &mut buf);
        assert_eq!(buf, [5.0 / 255.0, 6.0 / 255.0]);
    }

    #[test]
    fn missing_files_named() {
        let dir =
            std::env::temp_dir().join(format!("spikeflow-mnist-missing-{}", std::process::id()));
        let e = Mnist::load(&dir).unwrap_err().to_string();
        assert!(
            e.contains("train-images-idx3-ubyte") && e.contains("neither"),
            "{e}"
        );
    }
}
