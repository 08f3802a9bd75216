//! Core of ostore: the [`ObjectStore`] trait and the types every backend shares.
pub mod path;
