//! The conformance suite against [`InMemory`]: every capability except versions.

use ostore_conformance::{Capabilities, Fixture, conformance_tests};
use ostore_memory::InMemory;

conformance_tests!(
    in_memory,
    || async { Fixture::with_multipart_store(InMemory::new()) },
    Capabilities::full().without_get_version("InMemory keeps no earlier versions")
);
