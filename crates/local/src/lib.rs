//! Local filesystem object store (being written).
