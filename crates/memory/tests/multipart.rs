//! Multipart uploads into `InMemory`: `put_multipart` uploads and the id-based `MultipartStore`.

use bytes::Bytes;
use ostore_core::path::Path;
use ostore_core::{
    Attribute, Attributes, Error, MultipartStore, ObjectStore, PartId, PutMultipartOptions,
    WriteMultipart,
};
use ostore_memory::InMemory;

async fn read(store: &InMemory, path: &Path) -> Bytes {
    store.get(path).await.unwrap().bytes().await.unwrap()
}

#[tokio::test]
async fn parts_finishing_out_of_order_keep_their_index() {
    let store = InMemory::new();
    let path = Path::from("up/load");
    let mut attributes = Attributes::new();
    attributes.insert(Attribute::ContentType, "text/plain".into());
    let opts = PutMultipartOptions::from(attributes.clone());
    let mut upload = store.put_multipart_opts(&path, opts).await.unwrap();
    let futures: Vec<_> = ["aa", "bb", "cc", "dd"]
        .into_iter()
        .map(|part| upload.put_part(part.into()))
        .collect();
    assert!(
        store.head(&path).await.is_err(),
        "nothing visible before complete"
    );
    for f in futures.into_iter().rev() {
        f.await.unwrap();
    }
    let result = upload.complete().await.unwrap();
    let got = store.get(&path).await.unwrap();
    assert_eq!(got.meta.e_tag, result.e_tag);
    assert_eq!(got.attributes, attributes);
    assert_eq!(&got.bytes().await.unwrap()[..], b"aabbccdd");
}

#[tokio::test]
async fn zero_parts_make_an_empty_object_and_abort_writes_nothing() {
    let store = InMemory::new();
    let mut upload = store.put_multipart(&Path::from("empty")).await.unwrap();
    upload.complete().await.unwrap();
    assert_eq!(store.head(&Path::from("empty")).await.unwrap().size, 0);

    let mut upload = store.put_multipart(&Path::from("gone")).await.unwrap();
    upload.put_part("data".into()).await.unwrap();
    upload.abort().await.unwrap();
    assert!(matches!(
        store.head(&Path::from("gone")).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn write_multipart_in_small_parts() {
    let store = InMemory::new();
    let path = Path::from("big");
    let upload = store.put_multipart(&path).await.unwrap();
    let mut write = WriteMultipart::new_with_chunk_size(upload, 7);
    let data: Vec<u8> = (0..100u8).collect();
    for chunk in data.chunks(9) {
        write.write(chunk);
    }
    write.finish().await.unwrap();
    assert_eq!(&read(&store, &path).await[..], &data[..]);
}

#[tokio::test]
async fn single_part_is_not_copied() {
    let store = InMemory::new();
    let path = Path::from("one");
    let data = Bytes::from(vec![3u8; 1000]);
    let mut upload = store.put_multipart(&path).await.unwrap();
    upload.put_part(data.clone().into()).await.unwrap();
    upload.complete().await.unwrap();
    assert_eq!(read(&store, &path).await.as_ptr(), data.as_ptr());
}

#[tokio::test]
async fn multipart_store_assembles_listed_parts_in_list_order() {
    let store = InMemory::new();
    let path = Path::from("mp");
    let id = store.create_multipart(&path).await.unwrap();
    // Uploaded out of order; index 1 uploaded twice (the second wins).
    let p2 = store.put_part(&path, &id, 2, "cc".into()).await.unwrap();
    let p0 = store.put_part(&path, &id, 0, "aa".into()).await.unwrap();
    store.put_part(&path, &id, 1, "xx".into()).await.unwrap();
    let p1 = store.put_part(&path, &id, 1, "bb".into()).await.unwrap();
    assert_eq!(p0.content_id, "0");
    assert!(store.head(&path).await.is_err());

    let result = store
        .complete_multipart(&path, &id, vec![p0, p1, p2])
        .await
        .unwrap();
    assert_eq!(&read(&store, &path).await[..], b"aabbcc");
    assert_eq!(store.head(&path).await.unwrap().e_tag, result.e_tag);
    assert_eq!(result.version, None);

    // The upload is gone once completed.
    let err = store
        .put_part(&path, &id, 3, "dd".into())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Generic {
                store: "InMemory",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains(&id), "{err}");
}

#[tokio::test]
async fn multipart_store_errors_and_abort() {
    let store = InMemory::new();
    let path = Path::from("mp");
    let unknown = "12345".to_string();
    for err in [
        store
            .put_part(&path, &unknown, 0, "a".into())
            .await
            .unwrap_err(),
        store
            .complete_multipart(&path, &unknown, vec![])
            .await
            .unwrap_err(),
        store.abort_multipart(&path, &unknown).await.unwrap_err(),
        store
            .abort_multipart(&path, &"not-a-number".into())
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                Error::Generic {
                    store: "InMemory",
                    ..
                }
            ),
            "{err}"
        );
    }

    let id = store.create_multipart(&path).await.unwrap();
    let p0 = store.put_part(&path, &id, 0, "aa".into()).await.unwrap();
    let missing = PartId {
        content_id: "9".into(),
    };
    let err = store
        .complete_multipart(&path, &id, vec![p0.clone(), missing])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Generic { .. }), "{err}");
    assert!(store.head(&path).await.is_err());
    // The failed completion left the upload in place.
    store
        .complete_multipart(&path, &id, vec![p0])
        .await
        .unwrap();
    assert_eq!(&read(&store, &path).await[..], b"aa");

    let id = store.create_multipart(&path).await.unwrap();
    store.put_part(&path, &id, 0, "zz".into()).await.unwrap();
    store.abort_multipart(&path, &id).await.unwrap();
    assert!(store.complete_multipart(&path, &id, vec![]).await.is_err());
    assert_eq!(&read(&store, &path).await[..], b"aa");
}

#[tokio::test]
async fn multipart_store_with_no_parts_writes_an_empty_object() {
    let store = InMemory::new();
    let path = Path::from("mp");
    let id = store.create_multipart(&path).await.unwrap();
    store.complete_multipart(&path, &id, vec![]).await.unwrap();
    assert_eq!(store.head(&path).await.unwrap().size, 0);
}
