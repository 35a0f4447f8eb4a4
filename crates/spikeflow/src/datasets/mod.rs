//! Datasets in the MNIST (IDX) format.
