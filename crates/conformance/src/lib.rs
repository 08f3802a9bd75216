//! The conformance suite every ostore [`ObjectStore`] must pass: public async test functions
//! taking the store under test and its [`Capabilities`], and the [`conformance_tests!`] macro
//! that turns them into one `#[test]` each.
//!
//! ```no_run
//! use ostore_conformance::{Capabilities, conformance_tests};
//! # #[derive(Debug, Default)] struct MyStore;
//! # impl std::fmt::Display for MyStore { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("MyStore") } }
//! # #[async_trait::async_trait] impl ostore_core::ObjectStore for MyStore {
//! #   async fn put_opts(&self, _: &ostore_core::path::Path, _: ostore_core::PutPayload, _: ostore_core::PutOptions) -> ostore_core::Result<ostore_core::PutResult> { unimplemented!() }
//! #   async fn put_multipart_opts(&self, _: &ostore_core::path::Path, _: ostore_core::PutMultipartOptions) -> ostore_core::Result<Box<dyn ostore_core::MultipartUpload>> { unimplemented!() }
//! #   async fn get_opts(&self, _: &ostore_core::path::Path, _: ostore_core::GetOptions) -> ostore_core::Result<ostore_core::GetResult> { unimplemented!() }
//! #   async fn delete(&self, _: &ostore_core::path::Path) -> ostore_core::Result<()> { unimplemented!() }
//! #   fn list(&self, _: Option<&ostore_core::path::Path>) -> futures::stream::BoxStream<'static, ostore_core::Result<ostore_core::ObjectMeta>> { unimplemented!() }
//! #   async fn list_with_delimiter(&self, _: Option<&ostore_core::path::Path>) -> ostore_core::Result<ostore_core::ListResult> { unimplemented!() }
//! #   async fn copy(&self, _: &ostore_core::path::Path, _: &ostore_core::path::Path) -> ostore_core::Result<()> { unimplemented!() }
//! #   async fn copy_if_not_exists(&self, _: &ostore_core::path::Path, _: &ostore_core::path::Path) -> ostore_core::Result<()> { unimplemented!() }
//! # }
//! // In `tests/my_store.rs`: one test per conformance test, each on a fresh store.
//! conformance_tests!(
//!     my_store,
//!     || async { MyStore::default() },
//!     Capabilities::full()
//!         .without_get_version("no versioning")
//!         .without_multipart_store("not a MultipartStore")
//! );
//! ```
//!
//! Every test writes below its own unique prefix (`ostore-conformance/<test>-<id>/`) and
//! asserts exact results there, so the tests also pass against a shared, non-empty store.
//! Unsupported behaviours are not skipped: the test checks that the store refuses them with
//! a typed error.

mod basic;
mod caps;
mod copy;
mod fixture;
mod get;
mod list;
mod multipart;
mod put;
mod util;

pub use basic::{
    delete_stream_many, empty_and_large_objects, missing_objects, put_get_delete_list,
    special_characters,
};
pub use caps::{Capabilities, DeleteMissing, Support};
pub use copy::{copy_if_not_exists, copy_rename, rename_if_not_exists};
pub use fixture::Fixture;
pub use get::{
    get_opts_preconditions, get_opts_ranges, get_ranges_random, get_version, stream_get,
};
pub use list::{
    list_many_keys, list_order, list_prefix_is_segment_wise, list_with_delimiter, list_with_offset,
    nested_object_and_prefix,
};
pub use multipart::{
    multipart_concurrent_same_path, multipart_store, multipart_upload, write_multipart_small_chunks,
};
pub use put::{attributes_round_trip, concurrent_update_counter, put_modes};

use futures::future::BoxFuture;
use ostore_core::ObjectStore;

/// Calls `$callback!` with the names of every test of signature
/// `(&dyn ObjectStore, &Capabilities)`, so the macro and [`run_all`] cannot drift apart.
#[doc(hidden)]
#[macro_export]
macro_rules! __for_each_test {
    ($callback:path { $($args:tt)* }) => {
        $callback! {
            { $($args)* }
            put_get_delete_list,
            missing_objects,
            special_characters,
            empty_and_large_objects,
            delete_stream_many,
            get_opts_ranges,
            get_opts_preconditions,
            get_version,
            stream_get,
            get_ranges_random,
            put_modes,
            concurrent_update_counter,
            attributes_round_trip,
            list_prefix_is_segment_wise,
            nested_object_and_prefix,
            list_with_delimiter,
            list_with_offset,
            list_order,
            list_many_keys,
            copy_rename,
            copy_if_not_exists,
            rename_if_not_exists,
            multipart_upload,
            multipart_concurrent_same_path,
            write_multipart_small_chunks,
        }
    };
}

/// A conformance test of the common signature.
pub type TestFn = for<'a> fn(&'a dyn ObjectStore, &'a Capabilities) -> BoxFuture<'a, ()>;

macro_rules! test_table {
    ({} $($name:ident,)*) => {
        /// Every conformance test taking `(&dyn ObjectStore, &Capabilities)`, by name, in
        /// the order [`run_all`] runs them. ([`multipart_store`] is run separately.)
        pub const TESTS: &[(&str, TestFn)] = &[
            $((stringify!($name), |store, caps| Box::pin($name(store, caps))),)*
        ];
    };
}
__for_each_test!(test_table {});

/// Runs the whole suite, each test on a fresh fixture from `factory`, printing each name;
/// panics at the first failure. Prefer [`conformance_tests!`], which reports every test
/// separately.
pub async fn run_all<F, Fut, T>(factory: F, caps: &Capabilities)
where
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
    T: Into<Fixture>,
{
    for (name, test) in TESTS {
        println!("conformance: {name}");
        let fixture: Fixture = factory().await.into();
        test(fixture.store(), caps).await;
    }
    println!("conformance: multipart_store");
    let fixture: Fixture = factory().await.into();
    __private::multipart_store_test(&fixture, caps).await;
}

/// Expands to a module `$name` with one `#[test]` per conformance test, each running on a
/// multi-threaded tokio runtime with a fresh store.
///
/// Arguments: the module name; a closure returning a future of the store (`|| async {
/// InMemory::new() }`, or an `async` closure) — or `sync <closure>` for a closure returning
/// the store directly; and the [`Capabilities`]. The store may be anything converting into
/// a [`Fixture`]: any `ObjectStore`, or a `Fixture` built to expose a `MultipartStore` or to
/// keep a temporary directory alive. Items of the enclosing module are in scope.
///
/// ```no_run
/// use ostore_conformance::{Capabilities, Fixture, conformance_tests};
/// use ostore_memory::InMemory;
///
/// conformance_tests!(
///     memory,
///     || async { Fixture::with_multipart_store(InMemory::new()) },
///     Capabilities::full().without_get_version("InMemory keeps no earlier versions")
/// );
/// // A store built without awaiting, wrapped to keep its directory alive:
/// // conformance_tests!(local, sync || {
/// //     let dir = tempfile::tempdir().unwrap();
/// //     Fixture::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap()).keep_alive(dir)
/// // }, Capabilities::full().without_attributes("a file has no place for them"));
/// ```
#[macro_export]
macro_rules! conformance_tests {
    ($name:ident, sync $factory:expr, $caps:expr $(,)?) => {
        $crate::conformance_tests!(@module $name, (async { ($factory)() }), $caps);
    };
    ($name:ident, $factory:expr, $caps:expr $(,)?) => {
        $crate::conformance_tests!(@module $name, (($factory)()), $caps);
    };
    (@module $name:ident, $make:expr, $caps:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $crate::__for_each_test!($crate::__conformance_test { $make, $caps });

            #[test]
            fn multipart_store() {
                $crate::__private::block_on(async {
                    let fixture: $crate::Fixture = ($make).await.into();
                    let caps: $crate::Capabilities = $caps;
                    $crate::__private::multipart_store_test(&fixture, &caps).await;
                });
            }
        }
    };
}

/// One `#[test]` per name; used by [`conformance_tests!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_test {
    ({ $make:expr, $caps:expr } $($test:ident,)*) => {
        $(
            #[test]
            fn $test() {
                $crate::__private::block_on(async {
                    let fixture: $crate::Fixture = ($make).await.into();
                    let caps: $crate::Capabilities = $caps;
                    $crate::$test(fixture.store(), &caps).await;
                });
            }
        )*
    };
}

#[doc(hidden)]
pub mod __private {
    use crate::{Capabilities, Fixture, Support};

    /// Runs `fut` to completion on a fresh multi-threaded runtime, as
    /// `#[tokio::test(flavor = "multi_thread")]` does.
    pub fn block_on<F: Future<Output = ()>>(fut: F) {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("building the test runtime")
            .block_on(fut)
    }

    /// Runs [`multipart_store`](crate::multipart_store) if the capability says the fixture
    /// must expose a `MultipartStore`.
    pub async fn multipart_store_test(fixture: &Fixture, caps: &Capabilities) {
        match (&caps.multipart_store, fixture.multipart_store()) {
            (Support::Full, Some(m)) => crate::multipart_store(fixture.store(), m, caps).await,
            (Support::Full, None) => panic!(
                "Capabilities::multipart_store is Full but the fixture exposes no MultipartStore: \
                 build it with Fixture::with_multipart_store"
            ),
            (Support::Unsupported(_), Some(_)) => panic!(
                "the fixture exposes a MultipartStore but Capabilities::multipart_store says \
                 it is unsupported"
            ),
            (Support::Unsupported(why), None) => {
                println!("multipart_store: not a MultipartStore ({why}); nothing to check")
            }
        }
    }
}
