//! Core of ostore: the [`ObjectStore`] trait and the types every backend shares — paths,
//! payloads, options, results, errors, range coalescing — plus generic store adapters.
//!
//! The API follows the `object_store` crate (0.12): code written against it ports by
//! renaming the crate. Most users depend on the `ostore` facade crate instead of this one.

mod attributes;
mod error;
mod get;
mod options;
mod payload;
mod store;
mod upload;
mod util;

pub mod buffered;
pub mod chunked;
pub mod delimited;
pub mod limit;
pub mod list;
pub mod multipart;
pub mod path;
pub mod prefix;
pub mod throttle;

#[cfg(test)]
pub(crate) mod test_util;

pub use attributes::{Attribute, AttributeValue, Attributes, AttributesIter, TagSet};
pub use error::{BoxError, Error, Result};
pub use get::{GetResult, GetResultPayload, ListResult, ObjectMeta};
pub use http::{Extensions, HeaderMap, HeaderValue};
pub use multipart::{MultipartId, MultipartStore, PartId};
pub use options::{
    GetOptions, GetRange, InvalidGetRange, PutMode, PutMultipartOptions, PutOptions, PutResult,
    UpdateVersion,
};
pub use payload::{PutPayload, PutPayloadIntoIter, PutPayloadIter, PutPayloadMut};
pub use store::{DynObjectStore, ObjectStore};
pub use upload::{BufferedUpload, DEFAULT_CHUNK_SIZE, MultipartUpload, UploadPart, WriteMultipart};
pub use util::{
    OBJECT_STORE_COALESCE_DEFAULT, OBJECT_STORE_COALESCE_PARALLEL, coalesce_ranges, collect_bytes,
};
