//! GET bodies that survive a broken connection: when the body of a download fails (or ends
//! early) the rest is fetched with a ranged request that only succeeds while the object still
//! has the e-tag of the first answer, so every byte handed out belongs to one version.

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, stream};
use ostore_core::{Error, GetResult, GetResultPayload, Result};
use std::ops::Range;
use std::sync::Arc;

/// Fetches the bytes `range` of the object, on condition that its e-tag is still the given
/// one (`If-Match`), and returns their stream. A store builds it from its own request code;
/// a changed object must fail (typically with [`Error::Precondition`]).
pub type FetchRest = Arc<
    dyn Fn(Range<u64>, String) -> BoxFuture<'static, Result<BoxStream<'static, Result<Bytes>>>>
        + Send
        + Sync,
>;

/// Wraps the `body` of a download of the bytes `range` so that a failure part-way resumes
/// from the first byte not yet handed out, at most `max_resumes` times.
///
/// Without an e-tag nothing can prove that the rest comes from the same version, so the body
/// is returned as it is. A body that ends before `range.end` counts as a failure; one that
/// runs past it is cut there.
pub fn resumable(
    store: &'static str,
    body: BoxStream<'static, Result<Bytes>>,
    range: Range<u64>,
    e_tag: Option<String>,
    max_resumes: usize,
    fetch_rest: FetchRest,
) -> BoxStream<'static, Result<Bytes>> {
    let Some(e_tag) = e_tag else {
        return body;
    };
    let state = State {
        store,
        body,
        next: range.start,
        end: range.end,
        e_tag,
        resumes_left: max_resumes,
        fetch_rest,
        failed: false,
    };
    // Fused: polling after the end yields `None` again instead of panicking.
    stream::unfold(state, State::advance).fuse().boxed()
}

/// Makes the streamed body of `result` [`resumable`]: a store's `get_opts` passes its
/// answer through this. A `File` payload, or a result of a `head` request, is returned as
/// it is.
pub fn resumable_result(
    store: &'static str,
    mut result: GetResult,
    max_resumes: usize,
    fetch_rest: FetchRest,
) -> GetResult {
    if let GetResultPayload::Stream(body) = result.payload {
        result.payload = GetResultPayload::Stream(resumable(
            store,
            body,
            result.range.clone(),
            result.meta.e_tag.clone(),
            max_resumes,
            fetch_rest,
        ));
    }
    result
}

/// Where a resumable download stands.
struct State {
    store: &'static str,
    body: BoxStream<'static, Result<Bytes>>,
    /// The next byte to hand out.
    next: u64,
    end: u64,
    e_tag: String,
    resumes_left: usize,
    fetch_rest: FetchRest,
    /// An error was handed out: the stream is over.
    failed: bool,
}

impl State {
    async fn advance(mut self) -> Option<(Result<Bytes>, Self)> {
        if self.failed {
            return None;
        }
        loop {
            let failure = match self.body.next().await {
                // Everything asked for was handed out; anything more is not wanted.
                Some(Ok(_)) | None if self.next >= self.end => return None,
                Some(Ok(chunk)) => {
                    let left = self.end - self.next;
                    let chunk = if chunk.len() as u64 > left {
                        chunk.slice(..left as usize)
                    } else {
                        chunk
                    };
                    self.next += chunk.len() as u64;
                    return Some((Ok(chunk), self));
                }
                None => Error::generic(
                    self.store,
                    format!("the body ended {} bytes early", self.end - self.next),
                ),
                Some(Err(e)) => e,
            };
            if self.resumes_left == 0 {
                self.failed = true;
                return Some((Err(failure), self));
            }
            self.resumes_left -= 1;
            tracing::info!(
                offset = self.next,
                end = self.end,
                error = %failure,
                "download broke off; resuming with a ranged request"
            );
            match (self.fetch_rest)(self.next..self.end, self.e_tag.clone()).await {
                Ok(rest) => self.body = rest,
                Err(e) => {
                    self.failed = true;
                    return Some((Err(e), self));
                }
            }
        }
    }
}
