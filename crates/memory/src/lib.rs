//! In-memory object store (being written).
