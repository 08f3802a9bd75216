//! What a store under test supports: [`Capabilities`], one [`Support`] per optional behaviour.

/// Whether a store offers one optional behaviour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Support {
    /// The behaviour is offered and must work exactly as documented.
    Full,
    /// The behaviour is not offered, for the given reason. The conformance test then checks
    /// that the store refuses it with a typed error (`NotImplemented` or `NotSupported`)
    /// and leaves the store unchanged, instead of skipping.
    Unsupported(&'static str),
}

impl Support {
    /// Whether the behaviour is offered.
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full)
    }
}

/// What `delete` (and `delete_stream`) of a path holding no object returns.
///
/// S3-like stores report success; a file system reports `NotFound`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteMissing {
    /// Deleting a missing object succeeds.
    Succeeds,
    /// Deleting a missing object fails with `Error::NotFound` naming the path.
    NotFound,
}

/// The optional behaviours a store under test offers.
///
/// Start from [`Capabilities::full`] and remove what the store lacks, giving the reason:
///
/// ```
/// use ostore_conformance::{Capabilities, DeleteMissing};
/// let caps = Capabilities::full()
///     .without_attributes("no place to keep them")
///     .with_delete_missing(DeleteMissing::NotFound);
/// assert!(!caps.attributes.is_full());
/// assert!(caps.put_create.is_full());
/// ```
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct Capabilities {
    /// `PutMode::Create`: fails with `AlreadyExists` if the object exists.
    pub put_create: Support,
    /// `PutMode::Update`: compare-and-swap on the e-tag / version.
    pub put_update: Support,
    /// Storing [`Attributes`](ostore_core::Attributes) with `put_opts` and
    /// `put_multipart_opts`, and returning them from `get`.
    pub attributes: Support,
    /// `copy_if_not_exists`.
    pub copy_if_not_exists: Support,
    /// `rename_if_not_exists`.
    pub rename_if_not_exists: Support,
    /// `put_multipart` / `put_multipart_opts` (and so [`WriteMultipart`](ostore_core::WriteMultipart)).
    pub multipart: Support,
    /// The store implements [`MultipartStore`](ostore_core::MultipartStore) and the fixture
    /// exposes it.
    pub multipart_store: Support,
    /// An object `a` and an object `a/b` can exist at the same time (true of S3; a file
    /// system cannot have a file and a directory of one name).
    pub nested_object_and_prefix: Support,
    /// Reading an earlier version of an object with `GetOptions::version`; when unsupported,
    /// a get naming a version must fail rather than return the current object.
    pub get_version: Support,
    /// `list_with_offset` (natively or through the default filter).
    pub list_with_offset: Support,
    /// `list` and `list_with_offset` yield keys in strict lexicographic (byte) order, as S3
    /// does. When unsupported, listings are compared as sets.
    pub sorted_list: Support,
    /// What deleting a missing object returns.
    pub delete_missing: DeleteMissing,
    /// The smallest size of any part but the last of a multipart upload (S3: 5 MiB); `0` if
    /// parts may be of any size. Multipart tests use parts at least this large.
    pub min_part_size: usize,
    /// How many keys `list_many_keys` writes and lists.
    pub many_keys: usize,
    /// The store reports a content type of its own choosing for an object written without
    /// one (S3 servers assign `binary/octet-stream`, or sniff the content); such a
    /// reported content type is then not compared.
    pub assigns_content_type: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Self::full()
    }
}

macro_rules! without {
    ($($(#[$doc:meta])* $fn:ident => $field:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $fn(mut self, reason: &'static str) -> Self {
                self.$field = Support::Unsupported(reason);
                self
            }
        )*
    };
}

impl Capabilities {
    /// Everything supported, S3 semantics: deleting a missing object succeeds, parts of any
    /// size, 10 000 keys listed.
    pub fn full() -> Self {
        Self {
            put_create: Support::Full,
            put_update: Support::Full,
            attributes: Support::Full,
            copy_if_not_exists: Support::Full,
            rename_if_not_exists: Support::Full,
            multipart: Support::Full,
            multipart_store: Support::Full,
            nested_object_and_prefix: Support::Full,
            get_version: Support::Full,
            list_with_offset: Support::Full,
            sorted_list: Support::Full,
            delete_missing: DeleteMissing::Succeeds,
            min_part_size: 0,
            many_keys: 10_000,
            assigns_content_type: false,
        }
    }

    without! {
        /// `PutMode::Create` is refused.
        without_put_create => put_create;
        /// `PutMode::Update` is refused.
        without_put_update => put_update;
        /// Attributes are refused.
        without_attributes => attributes;
        /// `copy_if_not_exists` is refused.
        without_copy_if_not_exists => copy_if_not_exists;
        /// `rename_if_not_exists` is refused.
        without_rename_if_not_exists => rename_if_not_exists;
        /// Multipart uploads are refused.
        without_multipart => multipart;
        /// The store has no [`MultipartStore`](ostore_core::MultipartStore).
        without_multipart_store => multipart_store;
        /// `a` and `a/b` cannot both exist: writing one while the other exists fails.
        without_nested_object_and_prefix => nested_object_and_prefix;
        /// No versions: a get naming a version fails with a typed error.
        without_get_version => get_version;
        /// `list_with_offset` is refused.
        without_list_with_offset => list_with_offset;
        /// Listings come in no particular order.
        without_sorted_list => sorted_list;
    }

    /// Sets what deleting a missing object returns.
    pub fn with_delete_missing(mut self, delete_missing: DeleteMissing) -> Self {
        self.delete_missing = delete_missing;
        self
    }

    /// Sets the smallest size of a non-final multipart part.
    pub fn with_min_part_size(mut self, min_part_size: usize) -> Self {
        self.min_part_size = min_part_size;
        self
    }

    /// Sets [`assigns_content_type`](Self::assigns_content_type).
    pub fn with_assigned_content_type(mut self) -> Self {
        self.assigns_content_type = true;
        self
    }

    /// Sets how many keys `list_many_keys` writes and lists.
    pub fn with_many_keys(mut self, many_keys: usize) -> Self {
        self.many_keys = many_keys;
        self
    }
}
