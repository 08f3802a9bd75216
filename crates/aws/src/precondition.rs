//! How the store makes conditional writes on S3-compatible servers: [`S3ConditionalPut`] for
//! `put_opts` with `PutMode::Create`/`Update`, [`S3CopyIfNotExists`] for `copy_if_not_exists`.

use http::StatusCode;

/// How `put_opts` with [`PutMode::Create`](ostore_core::PutMode::Create) and
/// [`PutMode::Update`](ostore_core::PutMode::Update) is carried out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum S3ConditionalPut {
    /// `If-None-Match: *` for Create and `If-Match: <e-tag>` for Update, as AWS S3 and most
    /// S3-compatible servers support.
    #[default]
    ETagMatch,
    /// Conditional puts are refused with `NotImplemented`.
    Disabled,
}

/// How `copy_if_not_exists` / `rename_if_not_exists` are carried out (none by default).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum S3CopyIfNotExists {
    /// Send this header with CopyObject; the server answers 412 if the destination exists.
    Header(String, String),
    /// Send this header with CopyObject; the server answers the given status if the
    /// destination exists.
    HeaderWithStatus(String, String, StatusCode),
    /// Copy through a multipart upload completed with `If-None-Match: *`.
    Multipart,
    /// Send `If-None-Match: *` with CopyObject (servers that support conditional copies).
    IfNoneMatch,
}
