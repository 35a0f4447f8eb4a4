//! Datasets in the MNIST (IDX) format.
//!
//! * [`idx`]: the IDX file reader (raw or gzip, fully validated).
//! * [`Mnist`]: MNIST and every data set in the same format (Fashion-MNIST,
//!   KMNIST): `train`/`test` splits and a deterministic validation split.
//! * [`Dataset`]: what a labelled image data set offers (length, image,
//!   label, shape); the MNIST splits implement it, and so can other sources.
//!
//! Pixels are kept as the `u8` values of the files; [`Dataset::image_f32`]
//! gives them as `f32` in `[0, 1]` (`pixel / 255`). BindsNET's MNIST scripts
//! feed `ToTensor() · intensity` to the Poisson encoder, i.e.
//! `intensity · pixel / 255`: multiply the `f32` image by the intensity.
//!
//! A small sample of MNIST (the first 2000 training and 500 test items) ships
//! with the crate in `data/mnist-sample/`:
//!
//! ```
//! use spikeflow::datasets::{Dataset, Mnist};
//! let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-sample");
//! let mnist = Mnist::load(&dir)?;
//! let (train, val) = mnist.split_validation(500)?;
//! assert_eq!((train.len(), val.len(), mnist.test().len()), (1500, 500, 500));
//! assert_eq!(train.label(0), 5);
//! assert_eq!(train.shape(), &[28, 28]);
//! # Ok::<(), spikeflow::Error>(())
//! ```

pub mod idx;
mod mnist;

pub use mnist::{Mnist, Split, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS};

/// A labelled data set of equally shaped `u8` images.
///
/// Indices run over `0..len()`; like slice indexing, [`image`](Self::image)
/// and [`label`](Self::label) panic on an index out of range (use
/// [`get`](Self::get) to check).
pub trait Dataset {
    /// Number of items.
    fn len(&self) -> usize;

    /// Whether there are no items.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Shape of one image (e.g. `[28, 28]`); the product is
    /// [`image_len`](Self::image_len).
    fn shape(&self) -> &[usize];

    /// Number of classes; every label is below it.
    fn n_classes(&self) -> usize;

    /// Image `i`, row-major, `image_len()` pixels. Panics if `i >= len()`.
    fn image(&self, i: usize) -> &[u8];

    /// Label of item `i`. Panics if `i >= len()`.
    fn label(&self, i: usize) -> u8;

    /// Number of pixels of one image.
    fn image_len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Image and label of item `i`, or `None` if `i >= len()`.
    fn get(&self, i: usize) -> Option<(&[u8], u8)> {
        (i < self.len()).then(|| (self.image(i), self.label(i)))
    }

    /// Image `i` as `f32` in `[0, 1]` (`pixel / 255`). Panics if `i >= len()`.
    fn image_f32(&self, i: usize) -> Vec<f32> {
        self.image(i)
            .iter()
            .map(|&p| f32::from(p) / 255.0)
            .collect()
    }

    /// Writes image `i` as `f32` in `[0, 1]` into `out` (no allocation).
    /// Panics if `i >= len()` or `out.len() != image_len()`.
    fn image_f32_into(&self, i: usize, out: &mut [f32]) {
        let image = self.image(i);
        assert_eq!(
            out.len(),
            image.len(),
            "image_f32_into: output has the wrong length"
        );
        for (o, &p) in out.iter_mut().zip(image) {
            *o = f32::from(p) / 255.0;
        }
    }

    /// Number of items per class (`n_classes()` entries).
    fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_classes()];
        for i in 0..self.len() {
            if let Some(c) = counts.get_mut(usize::from(self.label(i))) {
                *c += 1;
            }
        }
        counts
    }
}
