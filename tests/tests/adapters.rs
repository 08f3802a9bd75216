//! The conformance suite against every generic adapter wrapped around [`InMemory`]: an
//! adapter must not change the semantics of the store it wraps.

use ostore_conformance::{Capabilities, Fixture, conformance_tests};
use ostore_core::chunked::ChunkedStore;
use ostore_core::limit::LimitStore;
use ostore_core::prefix::PrefixStore;
use ostore_core::throttle::{ThrottleConfig, ThrottledStore};
use ostore_memory::InMemory;
use std::sync::Arc;
use std::time::Duration;

/// What InMemory supports, and so every adapter around it.
fn caps() -> Capabilities {
    Capabilities::full().without_get_version("InMemory keeps no earlier versions")
}

conformance_tests!(
    prefix_store,
    sync || Fixture::with_multipart_store(PrefixStore::new(InMemory::new(), "tenant/a b/c")),
    caps()
);

conformance_tests!(
    limit_store,
    sync || Fixture::with_multipart_store(LimitStore::new(InMemory::new(), 4)),
    caps()
);

conformance_tests!(
    throttled_store,
    sync || {
        // Small per-call waits on the cheap calls; none per entry, which would make the
        // 10 000-key listing slow without testing anything more.
        let config = ThrottleConfig {
            wait_delete_per_call: Duration::from_micros(10),
            wait_put_per_call: Duration::from_micros(10),
            wait_list_with_delimiter_per_call: Duration::from_micros(10),
            ..ThrottleConfig::default()
        };
        Fixture::with_multipart_store(ThrottledStore::new(InMemory::new(), config))
    },
    caps()
);

conformance_tests!(
    chunked_store,
    sync || Fixture::new(ChunkedStore::new(Arc::new(InMemory::new()), 7)).keep_alive(()),
    caps().without_multipart_store("ChunkedStore does not forward MultipartStore")
);
