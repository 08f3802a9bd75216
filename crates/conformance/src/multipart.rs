//! Multipart uploads: [`MultipartUpload`](ostore_core::MultipartUpload),
//! [`WriteMultipart`] and [`MultipartStore`].

use crate::util::*;
use crate::{Capabilities, Support};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use ostore_core::path::Path;
use ostore_core::{MultipartStore, ObjectStore, PutPayload, WriteMultipart};

/// The size of the parts the tests upload: small unless the store needs bigger ones.
fn part_size(caps: &Capabilities) -> usize {
    caps.min_part_size.max(64 * 1024)
}

/// The parts of one test upload: `n` parts of `size` bytes, the last one shorter.
fn parts(n: usize, size: usize, seed: u64) -> Vec<Bytes> {
    (0..n)
        .map(|i| {
            data(
                if i + 1 == n { size / 2 + 1 } else { size },
                seed * 100 + i as u64,
            )
        })
        .collect()
}

async fn assert_invisible(store: &dyn ObjectStore, base: &Path, path: &Path, what: &str) {
    assert_absent(store, path, what).await;
    assert!(
        list_paths(store, Some(base)).await.is_empty(),
        "{what}: upload listed"
    );
}

/// `put_multipart`: parts written in order, parts whose futures finish out of order (the
/// object is assembled in `put_part` call order), parts uploaded concurrently; nothing is
/// visible before `complete`; completing replaces an existing object; `abort` (with or
/// without parts) leaves nothing, and leaves an existing object untouched; an upload with no
/// parts yields an empty object. Unsupported: `put_multipart` fails with a typed error.
pub async fn multipart_upload(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("multipart_upload");
    let path = base.child("obj");
    if let Support::Unsupported(why) = &caps.multipart {
        assert_unsupported(store.put_multipart(&path).await, "put_multipart", why);
        assert_absent(store, &path, "refused multipart upload").await;
        return;
    }
    let size = part_size(caps);

    // In order.
    let data = parts(3, size, 1);
    let mut upload = store.put_multipart(&path).await.unwrap();
    for part in &data {
        upload.put_part(part.clone().into()).await.unwrap();
    }
    assert_invisible(store, &base, &path, "before complete").await;
    let done = upload.complete().await.unwrap();
    assert_content(store, &path, &data.concat()).await;
    assert_eq!(
        store.head(&path).await.unwrap().e_tag,
        done.e_tag,
        "e-tag of complete"
    );

    // Futures finishing out of order, replacing the object.
    let data = parts(3, size, 2);
    let mut upload = store.put_multipart(&path).await.unwrap();
    let f1 = upload.put_part(data[0].clone().into());
    let f2 = upload.put_part(data[1].clone().into());
    let f3 = upload.put_part(data[2].clone().into());
    f2.await.unwrap();
    f3.await.unwrap();
    f1.await.unwrap();
    upload.complete().await.unwrap();
    assert_content(store, &path, &data.concat()).await;

    // Concurrently.
    let data = parts(6, size, 3);
    let mut upload = store.put_multipart(&path).await.unwrap();
    let uploads: Vec<_> = data
        .iter()
        .map(|p| upload.put_part(p.clone().into()))
        .collect();
    futures::future::try_join_all(uploads).await.unwrap();
    upload.complete().await.unwrap();
    assert_content(store, &path, &data.concat()).await;

    // Abort leaves an existing object alone, and a new path empty.
    let before = data.concat();
    let mut upload = store.put_multipart(&path).await.unwrap();
    upload
        .put_part(parts(1, size, 4)[0].clone().into())
        .await
        .unwrap();
    upload.abort().await.unwrap();
    assert_content(store, &path, &before).await;
    let fresh_base = base.child("fresh");
    let fresh = fresh_base.child("obj");
    let mut upload = store.put_multipart(&fresh).await.unwrap();
    upload.abort().await.unwrap();
    assert_invisible(store, &fresh_base, &fresh, "after aborting an empty upload").await;
    let mut upload = store.put_multipart(&fresh).await.unwrap();
    upload
        .put_part(parts(2, size, 5)[0].clone().into())
        .await
        .unwrap();
    upload.abort().await.unwrap();
    assert_invisible(store, &fresh_base, &fresh, "after aborting an upload").await;

    // No parts: an empty object.
    let empty = base.child("empty");
    let mut upload = store.put_multipart(&empty).await.unwrap();
    upload.complete().await.unwrap();
    assert_eq!(store.head(&empty).await.unwrap().size, 0);
    assert!(read(store, &empty).await.is_empty());
}

/// Two uploads to the same path with interleaved parts: the upload completed last wins, and
/// the object holds exactly its parts, never a mix. Checked in both completion orders.
pub async fn multipart_concurrent_same_path(store: &dyn ObjectStore, caps: &Capabilities) {
    let path = scratch("multipart_concurrent_same_path").child("obj");
    if let Support::Unsupported(why) = &caps.multipart {
        assert_unsupported(store.put_multipart(&path).await, "put_multipart", why);
        return;
    }
    let size = part_size(caps);
    for first_wins in [false, true] {
        let (a, b) = (parts(4, size, 10), parts(4, size, 11));
        let mut up_a = store.put_multipart(&path).await.unwrap();
        let mut up_b = store.put_multipart(&path).await.unwrap();
        for (pa, pb) in a.iter().zip(&b) {
            up_a.put_part(pa.clone().into()).await.unwrap();
            up_b.put_part(pb.clone().into()).await.unwrap();
        }
        let winner = if first_wins {
            up_b.complete().await.unwrap();
            up_a.complete().await.unwrap();
            &a
        } else {
            up_a.complete().await.unwrap();
            up_b.complete().await.unwrap();
            &b
        };
        assert_content(store, &path, &winner.concat()).await;
    }
}

/// [`WriteMultipart`] with small part sizes (1, 7, 1000 and 64 Ki bytes, or the store's
/// minimum): any mix of `write` and `put` of any sizes, with bounded concurrency,
/// reassembles exactly; `finish` with nothing written gives an empty object; `abort` leaves
/// nothing.
pub async fn write_multipart_small_chunks(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("write_multipart_small_chunks");
    if let Support::Unsupported(why) = &caps.multipart {
        let path = base.child("obj");
        assert_unsupported(store.put_multipart(&path).await, "put_multipart", why);
        return;
    }
    let sizes: Vec<(usize, usize)> = if caps.min_part_size == 0 {
        vec![(1, 300), (7, 2_000), (1000, 50_000), (64 * 1024, 400_000)]
    } else {
        vec![(caps.min_part_size, caps.min_part_size * 2 + 100)]
    };
    let mut rng = Rng::new(7);
    for (chunk, total) in sizes {
        let path = base.child(format!("chunk-{chunk}"));
        let expected = data(total, chunk as u64);
        let upload = store.put_multipart(&path).await.unwrap();
        let mut writer = WriteMultipart::new_with_chunk_size(upload, chunk);
        let mut at = 0;
        while at < total {
            let n = (rng.below(3 * chunk as u64 + 2) as usize).min(total - at);
            let piece = expected.slice(at..at + n);
            if rng.below(2) == 0 {
                writer.write(&piece);
            } else {
                writer.put(piece);
            }
            at += n;
            writer.wait_for_capacity(4).await.unwrap();
        }
        writer.finish().await.unwrap();
        assert_content(store, &path, &expected).await;
    }

    let empty = base.child("empty");
    let writer =
        WriteMultipart::new_with_chunk_size(store.put_multipart(&empty).await.unwrap(), 10);
    writer.finish().await.unwrap();
    assert_eq!(store.head(&empty).await.unwrap().size, 0);

    let aborted_base = base.child("aborted");
    let aborted = aborted_base.child("obj");
    let mut writer =
        WriteMultipart::new_with_chunk_size(store.put_multipart(&aborted).await.unwrap(), 10);
    writer.write(&[1u8; 35]);
    writer.abort().await.unwrap();
    assert_invisible(
        store,
        &aborted_base,
        &aborted,
        "after WriteMultipart::abort",
    )
    .await;
}

/// [`MultipartStore`]: parts uploaded concurrently and out of order are assembled in the
/// order of the list given to `complete_multipart`; nothing is visible before; an upload
/// with no parts yields an empty object; `abort_multipart` leaves nothing, and the aborted
/// upload cannot be completed; of two uploads to one path the one completed last wins.
pub async fn multipart_store(
    store: &dyn ObjectStore,
    multipart: &dyn MultipartStore,
    caps: &Capabilities,
) {
    let base = scratch("multipart_store");
    let path = base.child("obj");
    let size = part_size(caps);
    let data = parts(3, size, 20);

    let id = multipart.create_multipart(&path).await.unwrap();
    let put = |idx: usize| multipart.put_part(&path, &id, idx, PutPayload::from(data[idx].clone()));
    let (p2, p0, p1) = futures::future::try_join3(put(2), put(0), put(1))
        .await
        .unwrap();
    assert_invisible(store, &base, &path, "before complete_multipart").await;
    let done = multipart
        .complete_multipart(&path, &id, vec![p0, p1, p2])
        .await
        .unwrap();
    assert_content(store, &path, &data.concat()).await;
    assert_eq!(store.head(&path).await.unwrap().e_tag, done.e_tag);

    // Two uploads to one path: the one completed last wins.
    let (a, b) = (parts(2, size, 21), parts(2, size, 22));
    let id_a = multipart.create_multipart(&path).await.unwrap();
    let id_b = multipart.create_multipart(&path).await.unwrap();
    assert_ne!(id_a, id_b, "upload ids must be distinct");
    let upload = async |id: &String, data: &[Bytes]| {
        futures::stream::iter(data.iter().enumerate())
            .then(|(i, d)| multipart.put_part(&path, id, i, d.clone().into()))
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
    };
    let parts_b = upload(&id_b, &b).await;
    let parts_a = upload(&id_a, &a).await;
    multipart
        .complete_multipart(&path, &id_b, parts_b)
        .await
        .unwrap();
    multipart
        .complete_multipart(&path, &id_a, parts_a)
        .await
        .unwrap();
    assert_content(store, &path, &a.concat()).await;

    // Abort.
    let aborted_base = base.child("aborted");
    let aborted = aborted_base.child("obj");
    let id = multipart.create_multipart(&aborted).await.unwrap();
    let part = multipart
        .put_part(&aborted, &id, 0, data[0].clone().into())
        .await
        .unwrap();
    multipart.abort_multipart(&aborted, &id).await.unwrap();
    assert_invisible(store, &aborted_base, &aborted, "after abort_multipart").await;
    let result = multipart
        .complete_multipart(&aborted, &id, vec![part])
        .await;
    assert!(
        result.is_err(),
        "completing an aborted upload must fail: {result:?}"
    );
    assert_invisible(
        store,
        &aborted_base,
        &aborted,
        "after completing an aborted upload",
    )
    .await;

    // No parts.
    let empty = base.child("empty");
    let id = multipart.create_multipart(&empty).await.unwrap();
    multipart
        .complete_multipart(&empty, &id, vec![])
        .await
        .unwrap();
    assert_eq!(store.head(&empty).await.unwrap().size, 0);
}
