//! Ready-made networks (Diehl & Cook 2015 and others).
