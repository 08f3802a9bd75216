//! Helpers shared by stores: joining streamed chunks and coalescing vectored range reads.

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use std::ops::Range;

/// Ranges whose gap is at most this many bytes are fetched with one request by
/// [`coalesce_ranges`] (1 MiB).
pub const OBJECT_STORE_COALESCE_DEFAULT: u64 = 1024 * 1024;

/// How many coalesced ranges [`coalesce_ranges`] fetches at once.
pub const OBJECT_STORE_COALESCE_PARALLEL: usize = 10;

/// Collects a stream of chunks into one [`Bytes`].
///
/// A stream of a single chunk is returned as that chunk, without copying; otherwise one buffer
/// of `size_hint` bytes (or the growing total) is filled.
///
/// ```
/// # futures::executor::block_on(async {
/// use bytes::Bytes;
/// let chunks = futures::stream::iter(vec![
///     Ok::<_, std::io::Error>(Bytes::from_static(b"ab")),
///     Ok(Bytes::from_static(b"cd")),
/// ]);
/// let all = ostore_core::collect_bytes(chunks, Some(4)).await.unwrap();
/// assert_eq!(&all[..], b"abcd");
/// # });
/// ```
pub async fn collect_bytes<S, E>(mut stream: S, size_hint: Option<u64>) -> Result<Bytes, E>
where
    E: Send,
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
{
    // A stream must not be polled again once it has ended, so each end is checked.
    let Some(first) = stream.next().await.transpose()? else {
        return Ok(Bytes::new());
    };
    let Some(second) = stream.next().await.transpose()? else {
        return Ok(first);
    };
    let capacity = size_hint
        .and_then(|h| usize::try_from(h).ok())
        .unwrap_or(first.len() + second.len())
        .max(first.len() + second.len());
    let mut buf = Vec::with_capacity(capacity);
    buf.extend_from_slice(&first);
    buf.extend_from_slice(&second);
    while let Some(chunk) = stream.next().await.transpose()? {
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.into())
}

/// Merges `ranges` whose gaps are at most `coalesce` bytes, fetches the merged ranges with
/// `fetch` (up to [`OBJECT_STORE_COALESCE_PARALLEL`] at once) and returns the bytes of each
/// requested range, in the order requested.
///
/// The returned slices share the fetched buffers; nothing is copied. Overlapping and
/// unsorted ranges are fine; an empty range yields empty bytes without a fetch. If a fetch
/// returns fewer bytes than asked (the object ends earlier), the affected ranges are cut
/// short, as [`GetRange::Bounded`](crate::GetRange::Bounded) is.
///
/// ```
/// # futures::executor::block_on(async {
/// use bytes::Bytes;
/// let data = Bytes::from_static(b"0123456789");
/// let fetch = |r: std::ops::Range<u64>| {
///     let d = data.slice(r.start as usize..r.end as usize);
///     async move { Ok::<_, std::io::Error>(d) }
/// };
/// let out = ostore_core::coalesce_ranges(&[5..7, 0..2, 1..3], fetch, 1).await.unwrap();
/// assert_eq!(out, vec![Bytes::from_static(b"56"), Bytes::from_static(b"01"), Bytes::from_static(b"12")]);
/// # });
/// ```
pub async fn coalesce_ranges<F, E, Fut>(
    ranges: &[Range<u64>],
    mut fetch: F,
    coalesce: u64,
) -> Result<Vec<Bytes>, E>
where
    F: Send + FnMut(Range<u64>) -> Fut,
    E: Send,
    Fut: Future<Output = Result<Bytes, E>> + Send,
{
    let merged = merge_ranges(ranges, coalesce);
    let fetched: Vec<Bytes> = futures::stream::iter(merged.iter().cloned())
        .map(&mut fetch)
        .buffered(OBJECT_STORE_COALESCE_PARALLEL)
        .try_collect()
        .await?;

    Ok(ranges
        .iter()
        .map(|r| {
            if r.start >= r.end {
                return Bytes::new();
            }
            // The merged range holding `r` is the last one starting at or before it.
            let idx = merged.partition_point(|m| m.start <= r.start) - 1;
            let (m, data) = (&merged[idx], &fetched[idx]);
            let len = data.len() as u64;
            let start = (r.start - m.start).min(len) as usize;
            let end = (r.end - m.start).min(len) as usize;
            data.slice(start..end)
        })
        .collect())
}

/// Sorts and merges the non-empty `ranges` whose gaps are at most `coalesce` bytes.
fn merge_ranges(ranges: &[Range<u64>], coalesce: u64) -> Vec<Range<u64>> {
    let mut sorted: Vec<Range<u64>> = ranges.iter().filter(|r| r.start < r.end).cloned().collect();
    sorted.sort_unstable_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match merged.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(coalesce) => {
                last.end = last.end.max(r.end);
            }
            _ => merged.push(r),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use std::sync::Mutex;

    #[test]
    fn merge() {
        assert_eq!(merge_ranges(&[], 0), Vec::<Range<u64>>::new());
        assert_eq!(merge_ranges(&[0..1, 1..2], 0), vec![0..2]);
        assert_eq!(merge_ranges(&[0..1, 2..3], 0), vec![0..1, 2..3]);
        assert_eq!(merge_ranges(&[0..1, 2..3], 1), vec![0..3]);
        assert_eq!(merge_ranges(&[5..9, 0..10, 3..4], 0), vec![0..10]);
        assert_eq!(merge_ranges(&[3..3, 1..2], 0), vec![1..2]);
    }

    #[tokio::test]
    async fn random_ranges_agree_with_slicing() {
        let data: Bytes = (0..10_000u32)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<_>>()
            .into();
        let mut rng = rand::rng();
        for _ in 0..200 {
            let n = rng.random_range(0..20);
            let ranges: Vec<Range<u64>> = (0..n)
                .map(|_| {
                    let a = rng.random_range(0..10_000u64);
                    let b = rng.random_range(a..=10_000u64);
                    a..b
                })
                .collect();
            let coalesce = rng.random_range(0..2_000);
            let calls = Mutex::new(Vec::new());
            let out = coalesce_ranges(
                &ranges,
                |r: Range<u64>| {
                    calls.lock().unwrap().push(r.clone());
                    let d = data.slice(r.start as usize..r.end as usize);
                    async move { Ok::<_, ()>(d) }
                },
                coalesce,
            )
            .await
            .unwrap();
            for (r, b) in ranges.iter().zip(&out) {
                assert_eq!(&b[..], &data[r.start as usize..r.end as usize]);
            }
            let calls = calls.into_inner().unwrap();
            assert!(calls.len() <= ranges.len());
        }
    }

    #[tokio::test]
    async fn collect_bytes_never_polls_an_ended_stream() {
        // `unfold` panics when polled after it ended.
        let empty = futures::stream::unfold((), |()| async { None::<(Result<Bytes, ()>, ())> });
        assert!(
            collect_bytes(Box::pin(empty), None)
                .await
                .unwrap()
                .is_empty()
        );
        let one = futures::stream::unfold(true, |first| async move {
            first.then(|| (Ok::<_, ()>(Bytes::from_static(b"x")), false))
        });
        assert_eq!(&collect_bytes(Box::pin(one), None).await.unwrap()[..], b"x");
    }

    #[tokio::test]
    async fn short_fetch_is_cut_not_panicking() {
        let out = coalesce_ranges(
            &[0..4, 8..20],
            |_r| async { Ok::<_, ()>(Bytes::from_static(b"0123456789")) },
            100,
        )
        .await
        .unwrap();
        assert_eq!(&out[0][..], b"0123");
        assert_eq!(&out[1][..], b"89");
    }
}
