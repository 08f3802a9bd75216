//! Amazon S3 support for ostore — **in progress**.
//!
//! This crate will hold the S3 backend (`AmazonS3`, its builder and credential chain). For
//! now it provides only the request signing every S3 call rests on: AWS Signature Version 4
//! for `Authorization` headers and for presigned URLs, see [`credential`].

pub mod credential;

pub use credential::{
    AwsAuthorizer, AwsCredential, EMPTY_SHA256_HASH, UNSIGNED_PAYLOAD, hex_sha256,
};
