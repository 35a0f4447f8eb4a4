//! Reading out what a network learned: label assignment, classifiers, confusion matrices.
