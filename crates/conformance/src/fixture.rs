//! [`Fixture`]: a store under test, with what must outlive it (e.g. a temporary directory).

use ostore_core::{MultipartStore, ObjectStore};
use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// A store under test, as built by the factory given to
/// [`conformance_tests!`](crate::conformance_tests) or [`run_all`](crate::run_all).
///
/// Any [`ObjectStore`] converts into a fixture. Use
/// [`with_multipart_store`](Self::with_multipart_store) for a store that also implements
/// [`MultipartStore`], and [`keep_alive`](Self::keep_alive) for a value that must live as
/// long as the store, such as the temporary directory a local store writes to.
///
/// ```
/// # use ostore_conformance::Fixture;
/// # fn demo(store: impl ostore_core::ObjectStore, dir: std::path::PathBuf) {
/// let fixture = Fixture::new(store).keep_alive(dir);
/// assert!(fixture.multipart_store().is_none());
/// # }
/// ```
pub struct Fixture {
    // Declared first so that it is dropped before the guard.
    store: Arc<dyn ObjectStore>,
    multipart: Option<Arc<dyn MultipartStore>>,
    guard: Option<Box<dyn Any + Send + Sync>>,
}

impl fmt::Debug for Fixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixture")
            .field("store", &self.store)
            .field("multipart_store", &self.multipart.is_some())
            .finish_non_exhaustive()
    }
}

impl Fixture {
    /// A fixture of a plain store.
    pub fn new(store: impl ObjectStore) -> Self {
        Self {
            store: Arc::new(store),
            multipart: None,
            guard: None,
        }
    }

    /// A fixture of a store that is also a [`MultipartStore`].
    pub fn with_multipart_store<S: ObjectStore + MultipartStore>(store: S) -> Self {
        let store = Arc::new(store);
        Self {
            store: store.clone(),
            multipart: Some(store),
            guard: None,
        }
    }

    /// Keeps `guard` alive until after the store is dropped.
    pub fn keep_alive(mut self, guard: impl Any + Send + Sync) -> Self {
        self.guard = Some(Box::new(guard));
        self
    }

    /// The store under test.
    pub fn store(&self) -> &dyn ObjectStore {
        &*self.store
    }

    /// The store as a [`MultipartStore`], if it is one.
    pub fn multipart_store(&self) -> Option<&dyn MultipartStore> {
        self.multipart.as_deref()
    }
}

impl<S: ObjectStore> From<S> for Fixture {
    fn from(store: S) -> Self {
        Self::new(store)
    }
}
