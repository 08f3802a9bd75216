//! [`newline_delimited_stream`]: regroups a byte stream so that no record of a
//! newline-delimited format (CSV, JSON lines) is split across chunks.

use crate::{Error, Result};
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Store name of the errors of this module.
const STORE: &str = "LineDelimiter";

const QUOTE: u8 = b'"';
const ESCAPE: u8 = b'\\';
const NEWLINE: u8 = b'\n';

/// Tracks where records end across the chunks of a stream.
///
/// A record ends at a newline that is outside double quotes and not escaped by a
/// backslash; a backslash escapes the byte after it, inside quotes or not.
#[derive(Debug, Default)]
struct LineDelimiter {
    /// The start of an unfinished record, carried over from earlier chunks.
    remainder: BytesMut,
    /// Chunks ready to be yielded; each ends at a record end.
    complete: VecDeque<Bytes>,
    in_quote: bool,
    escaped: bool,
}

impl LineDelimiter {
    /// Scans `chunk`, returning the offsets just past its first and last record ends.
    fn record_ends(&mut self, chunk: &[u8]) -> Option<(usize, usize)> {
        let mut ends: Option<(usize, usize)> = None;
        for (i, &b) in chunk.iter().enumerate() {
            if self.escaped {
                self.escaped = false;
            } else if b == ESCAPE {
                self.escaped = true;
            } else if b == QUOTE {
                self.in_quote = !self.in_quote;
            } else if b == NEWLINE && !self.in_quote {
                ends = Some(match ends {
                    None => (i + 1, i + 1),
                    Some((first, _)) => (first, i + 1),
                });
            }
        }
        ends
    }

    /// Adds a chunk of input. Whole records are sliced out of it without copying; only a
    /// record that began in an earlier chunk is copied together.
    fn push(&mut self, chunk: Bytes) {
        let Some((first, last)) = self.record_ends(&chunk) else {
            self.remainder.extend_from_slice(&chunk);
            return;
        };
        let start = if self.remainder.is_empty() {
            0
        } else {
            self.remainder.extend_from_slice(&chunk[..first]);
            self.complete.push_back(self.remainder.split().freeze());
            first
        };
        if last > start {
            self.complete.push_back(chunk.slice(start..last));
        }
        if last < chunk.len() {
            self.remainder.extend_from_slice(&chunk[last..]);
        }
    }

    /// Ends the input: the unterminated last record becomes a chunk of its own, unless the
    /// input ended inside a quoted field.
    fn finish(&mut self) -> Result<()> {
        if self.in_quote {
            return Err(Error::generic(
                STORE,
                "the stream ended inside a quoted field (unterminated string)",
            ));
        }
        if !self.remainder.is_empty() {
            self.complete.push_back(self.remainder.split().freeze());
        }
        Ok(())
    }
}

/// The stream returned by [`newline_delimited_stream`].
struct NewlineDelimited<S> {
    inner: S,
    delimiter: LineDelimiter,
    done: bool,
}

impl<S> Stream for NewlineDelimited<S>
where
    S: Stream<Item = Result<Bytes>> + Unpin,
{
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(chunk) = this.delimiter.complete.pop_front() {
                return Poll::Ready(Some(Ok(chunk)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            match ready!(this.inner.poll_next_unpin(cx)) {
                Some(Ok(chunk)) => this.delimiter.push(chunk),
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => {
                    this.done = true;
                    if let Err(e) = this.delimiter.finish() {
                        return Poll::Ready(Some(Err(e)));
                    }
                }
            }
        }
    }
}

/// Regroups a stream of bytes into chunks that each end at the end of a record, so that a
/// record is never split between two chunks.
///
/// Records are separated by newlines. A newline inside a double-quoted field (CSV style)
/// does not end a record, nor does one escaped with a backslash; a backslash escapes the
/// byte after it, so `\"` does not open or close a quote. A chunk may hold several records.
/// The last record needs no trailing newline: it is yielded when the input ends. If the
/// input ends inside a quoted field, the stream yields an [`Error::Generic`] (store
/// `"LineDelimiter"`). Errors of the input are passed on as they come.
///
/// ```
/// # futures::executor::block_on(async {
/// use bytes::Bytes;
/// use futures::TryStreamExt;
/// use ostore_core::delimited::newline_delimited_stream;
///
/// let input = futures::stream::iter([
///     Ok(Bytes::from_static(b"id,text\n1,\"two\nlines\"\n2,sh")),
///     Ok(Bytes::from_static(b"ort\n3,last")),
/// ]);
/// let chunks: Vec<Bytes> = newline_delimited_stream(input).try_collect().await.unwrap();
/// assert_eq!(chunks, [
///     &b"id,text\n1,\"two\nlines\"\n"[..],
///     &b"2,short\n"[..],
///     &b"3,last"[..],
/// ]);
/// # });
/// ```
pub fn newline_delimited_stream<S>(s: S) -> impl Stream<Item = Result<Bytes>>
where
    S: Stream<Item = Result<Bytes>> + Unpin,
{
    NewlineDelimited {
        inner: s,
        delimiter: LineDelimiter::default(),
        done: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;
    use rand::Rng;

    async fn delimit(chunks: &[&'static [u8]]) -> Result<Vec<Bytes>> {
        let input = chunks.iter().map(|c| Ok(Bytes::from_static(c)));
        newline_delimited_stream(futures::stream::iter(input))
            .try_collect()
            .await
    }

    /// Feeds `text` one byte at a time, which makes every record a chunk of its own.
    async fn records(text: &'static [u8]) -> Vec<Bytes> {
        let bytes: Vec<&'static [u8]> = text.chunks(1).collect();
        delimit(&bytes).await.unwrap()
    }

    #[tokio::test]
    async fn whole_records_in_one_chunk() {
        assert_eq!(delimit(&[b"a\nb\nc"]).await.unwrap(), ["a\nb\n", "c"]);
        assert_eq!(delimit(&[b"a\nb\n"]).await.unwrap(), ["a\nb\n"]);
        assert!(delimit(&[]).await.unwrap().is_empty());
        assert!(delimit(&[b"", b""]).await.unwrap().is_empty());
        assert_eq!(delimit(&[b"\n\n"]).await.unwrap(), ["\n\n"]);
    }

    #[tokio::test]
    async fn records_split_across_chunks_are_joined() {
        assert_eq!(
            delimit(&[b"a\nb", b"c", b"d\ne\nf", b"\n"]).await.unwrap(),
            ["a\n", "bcd\n", "e\n", "f\n"]
        );
        assert_eq!(delimit(&[b"ab", b"cd"]).await.unwrap(), ["abcd"]);
    }

    #[tokio::test]
    async fn quotes_and_escapes() {
        assert_eq!(records(b"a,\"x\ny\"\nb\n").await, ["a,\"x\ny\"\n", "b\n"]);
        // An escaped quote opens nothing, so the newline after it ends the record.
        assert_eq!(records(b"a\\\"b\nc\n").await, ["a\\\"b\n", "c\n"]);
        // An escaped quote inside quotes does not close them.
        assert_eq!(records(b"\"a\\\"\nb\"\nc").await, ["\"a\\\"\nb\"\n", "c"]);
        // An escaped newline does not end a record.
        assert_eq!(records(b"a\\\nb\nc").await, ["a\\\nb\n", "c"]);
        // A quote opened in one chunk and closed in another.
        assert_eq!(
            delimit(&[b"1,\"a\n", b"b\"\n2\n"]).await.unwrap(),
            ["1,\"a\nb\"\n", "2\n"]
        );
    }

    #[tokio::test]
    async fn unterminated_quote_is_an_error() {
        let err = delimit(&[b"a\n\"b\n", b"c\n"]).await.unwrap_err();
        assert!(matches!(
            err,
            Error::Generic {
                store: "LineDelimiter",
                ..
            }
        ));
        // The records before the open quote are still delivered.
        let input = futures::stream::iter([Ok(Bytes::from_static(b"a\n\"b\n"))]);
        let mut s = newline_delimited_stream(input);
        assert_eq!(s.try_next().await.unwrap().unwrap(), "a\n");
        assert!(s.try_next().await.is_err());
        assert!(s.try_next().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn input_errors_pass_through() {
        let input = futures::stream::iter([
            Ok(Bytes::from_static(b"a\nb")),
            Err(Error::generic("Test", "broken")),
        ]);
        let mut s = newline_delimited_stream(input);
        assert_eq!(s.try_next().await.unwrap().unwrap(), "a\n");
        assert!(matches!(
            s.try_next().await,
            Err(Error::Generic { store: "Test", .. })
        ));
    }

    #[tokio::test]
    async fn random_splits_keep_records_whole() {
        let mut rng = rand::rng();
        let pieces: [&[u8]; 6] = [b"ab", b",", b"\"q\nq\"", b"\\\"", b"\\\n", b"\n"];
        for _ in 0..100 {
            let mut text = Vec::new();
            for _ in 0..rng.random_range(0..60) {
                text.extend_from_slice(pieces[rng.random_range(0..pieces.len())]);
            }
            let text = Bytes::from(text);
            // Where records end, from a byte-at-a-time run.
            let bytes: Vec<_> = (0..text.len()).map(|i| Ok(text.slice(i..i + 1))).collect();
            let singles: Vec<Bytes> = newline_delimited_stream(futures::stream::iter(bytes))
                .try_collect()
                .await
                .unwrap();
            let ends: Vec<usize> = singles
                .iter()
                .scan(0, |at, c| {
                    *at += c.len();
                    Some(*at)
                })
                .collect();

            let mut input = Vec::new();
            let mut at = 0;
            while at < text.len() {
                let n = rng.random_range(1..=8).min(text.len() - at);
                input.push(Ok(text.slice(at..at + n)));
                at += n;
            }
            let chunks: Vec<Bytes> = newline_delimited_stream(futures::stream::iter(input))
                .try_collect()
                .await
                .unwrap();
            assert_eq!(chunks.concat(), text);
            let mut at = 0;
            for chunk in &chunks {
                assert!(!chunk.is_empty());
                at += chunk.len();
                assert!(
                    ends.contains(&at),
                    "chunk ends mid-record at {at} in {text:?}"
                );
            }
        }
    }
}
