//! The conformance suite against [`LocalFileSystem`] in a fresh temporary directory per test,
//! with fsync off and on, and with automatic cleanup of empty directories.

use ostore_conformance::{Capabilities, DeleteMissing, Fixture, conformance_tests};
use ostore_local::LocalFileSystem;

/// What a file system cannot do.
fn caps() -> Capabilities {
    Capabilities::full()
        .without_nested_object_and_prefix("a file and a directory cannot share a name")
        .without_attributes("a file has nowhere to keep attributes")
        .without_get_version("a file has no earlier versions")
        .with_delete_missing(DeleteMissing::NotFound)
}

/// A store in a new temporary directory, which lives as long as the store.
fn store(configure: fn(LocalFileSystem) -> LocalFileSystem) -> Fixture {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let store = LocalFileSystem::new_with_prefix(dir.path()).expect("opening the store");
    Fixture::with_multipart_store(configure(store)).keep_alive(dir)
}

conformance_tests!(no_fsync, sync || store(|s| s.with_fsync(false)), caps());

conformance_tests!(fsync, sync || store(|s| s.with_fsync(true)), caps());

conformance_tests!(
    automatic_cleanup,
    sync || store(|s| s.with_automatic_cleanup(true)),
    caps()
);
