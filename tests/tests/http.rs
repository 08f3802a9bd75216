//! The conformance suite against [`HttpStore`] on both WebDAV servers `cargo xtask test`
//! starts: Apache 2.4 `mod_dav_fs` and `rclone serve webdav`. Built only with the
//! `emulators` feature; a missing or unreachable server fails the tests, never skips them.
//! Every test writes below its own unique prefix (the suite's `scratch`), which also keeps
//! concurrent runs on the shared servers apart.
#![cfg(feature = "emulators")]

use ostore_conformance::{Capabilities, DeleteMissing, conformance_tests};
use ostore_http::{ClientOptions, HttpBuilder, HttpStore};

/// A store on the server whose base URL is in `var`; panics with what to do if unset, and
/// fails if the server does not answer.
async fn store(var: &str, conditional_put: bool) -> HttpStore {
    let url = std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: run these tests through `cargo xtask test`, or export the \
             variables `cargo xtask emulators start` prints"
        )
    });
    let store = HttpBuilder::new()
        .with_url(url.clone())
        .with_client_options(ClientOptions::new().with_allow_http(true))
        .with_conditional_put(conditional_put)
        .build()
        .unwrap_or_else(|e| panic!("building a store for {var}={url}: {e}"));
    // Fail early and clearly if the server is not there.
    use ostore_core::ObjectStore;
    store
        .list_with_delimiter(None)
        .await
        .unwrap_or_else(|e| panic!("the WebDAV server {var}={url} does not answer: {e}"));
    store
}

/// What any WebDAV server lacks.
fn webdav() -> Capabilities {
    Capabilities::full()
        .without_attributes("a WebDAV server keeps no attributes (it derives the content type)")
        .without_nested_object_and_prefix("a file and a collection cannot share a name")
        .without_get_version("WebDAV has no object versions")
        .without_multipart_store("WebDAV has no multipart API (uploads are buffered parts)")
        .with_delete_missing(DeleteMissing::NotFound)
        // Every key is one PUT (plus MKCOLs) on a small local server: keep it quick.
        .with_many_keys(1000)
}

conformance_tests!(
    apache,
    || store("OSTORE_WEBDAV_APACHE_URL", false),
    webdav()
        // mod_dav_fs checks If-None-Match / If-Match, then truncates and rewrites the file
        // in place without a lock: eight concurrent compare-and-swap loops lost 38 of 200
        // updates and read a torn "9\0". A check that is not atomic guarantees nothing, so
        // the store is built with_conditional_put(false) and refuses both modes.
        .without_put_create("mod_dav_fs conditional PUT is not atomic: with_conditional_put(false)")
        .without_put_update(
            "mod_dav_fs conditional PUT is not atomic: with_conditional_put(false)"
        )
);

conformance_tests!(
    rclone,
    || store("OSTORE_WEBDAV_RCLONE_URL", false),
    webdav()
        .without_put_create("rclone ignores If-None-Match on PUT: with_conditional_put(false)")
        .without_put_update("rclone ignores If-Match on PUT: with_conditional_put(false)")
);
