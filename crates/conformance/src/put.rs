//! Writes: put modes (overwrite, create, compare-and-swap update), a contended counter, and
//! attributes.

use crate::util::*;
use crate::{Capabilities, Support};
use ostore_core::path::Path;
use ostore_core::{
    Attribute, Attributes, Error, ObjectStore, PutMode, PutMultipartOptions, PutOptions,
    UpdateVersion,
};

fn mode(mode: PutMode) -> PutOptions {
    mode.into()
}

/// `PutMode::Overwrite` replaces; `PutMode::Create` fails with `AlreadyExists` on an existing
/// object and leaves it unchanged; `PutMode::Update` replaces only when the given e-tag (and
/// version) is current, fails with `Precondition` for a stale one and for a missing object.
/// Unsupported modes fail with a typed error and change nothing.
pub async fn put_modes(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("put_modes");
    let path = base.child("obj");

    let r0 = store
        .put_opts(&path, "zero".into(), mode(PutMode::Overwrite))
        .await
        .unwrap();
    let r1 = store
        .put_opts(&path, "one".into(), mode(PutMode::Overwrite))
        .await
        .unwrap();
    assert_content(store, &path, b"one").await;
    assert_ne!(
        r0.e_tag, r1.e_tag,
        "overwrite with new content must change the e-tag"
    );

    let created = base.child("created");
    match &caps.put_create {
        Support::Full => {
            let c = store
                .put_opts(&created, "a".into(), mode(PutMode::Create))
                .await
                .unwrap();
            assert_eq!(store.head(&created).await.unwrap().e_tag, c.e_tag);
            let err = store
                .put_opts(&created, "b".into(), mode(PutMode::Create))
                .await;
            match err {
                Err(Error::AlreadyExists { path: p, .. }) => assert!(
                    p.ends_with(created.as_ref()),
                    "AlreadyExists names {p:?}, not {created}"
                ),
                other => {
                    panic!("Create on an existing object: expected AlreadyExists, got {other:?}")
                }
            }
            assert_content(store, &created, b"a").await;
        }
        Support::Unsupported(why) => {
            let result = store
                .put_opts(&created, "a".into(), mode(PutMode::Create))
                .await;
            assert_unsupported(result, "PutMode::Create", why);
            assert_absent(store, &created, "a refused Create wrote the object").await;
            let result = store
                .put_opts(&path, "b".into(), mode(PutMode::Create))
                .await;
            assert_unsupported(result, "PutMode::Create", why);
            assert_content(store, &path, b"one").await;
        }
    }

    let update = |r: &ostore_core::PutResult| mode(PutMode::Update(UpdateVersion::from(r.clone())));
    match &caps.put_update {
        Support::Full => {
            let r2 = store
                .put_opts(&path, "two".into(), update(&r1))
                .await
                .unwrap();
            assert_content(store, &path, b"two").await;
            assert_eq!(store.head(&path).await.unwrap().e_tag, r2.e_tag);

            let stale = store.put_opts(&path, "stale".into(), update(&r1)).await;
            assert!(
                matches!(stale, Err(Error::Precondition { .. })),
                "Update with a stale e-tag: expected Precondition, got {stale:?}"
            );
            assert_content(store, &path, b"two").await;

            store
                .put_opts(&path, "three".into(), update(&r2))
                .await
                .unwrap();
            assert_content(store, &path, b"three").await;

            let missing = base.child("missing");
            let result = store.put_opts(&missing, "x".into(), update(&r2)).await;
            assert!(
                matches!(result, Err(Error::Precondition { .. })),
                "Update of a missing object: expected Precondition, got {result:?}"
            );
            assert_absent(store, &missing, "a failed Update created the object").await;
        }
        Support::Unsupported(why) => {
            let result = store.put_opts(&path, "two".into(), update(&r1)).await;
            assert_unsupported(result, "PutMode::Update", why);
            assert_content(store, &path, b"one").await;
        }
    }
}

/// Eight concurrent tasks each add 1 to a counter object 25 times with a read /
/// `PutMode::Update` loop, retrying on `Precondition`: the final value is exactly 200, and
/// exactly 200 updates succeed. (Unsupported updates must fail with a typed error.)
pub async fn concurrent_update_counter(store: &dyn ObjectStore, caps: &Capabilities) {
    const TASKS: usize = 8;
    const INCREMENTS: usize = 25;
    let path = scratch("concurrent_update_counter").child("counter");
    let first = store.put(&path, "0".into()).await.unwrap();
    if let Support::Unsupported(why) = &caps.put_update {
        let result = store
            .put_opts(&path, "1".into(), mode(PutMode::Update(first.into())))
            .await;
        assert_unsupported(result, "PutMode::Update", why);
        return;
    }

    let path = &path;
    let task = move |_| async move {
        let mut conflicts = 0usize;
        for _ in 0..INCREMENTS {
            loop {
                let got = store.get(path).await.unwrap();
                let version = UpdateVersion {
                    e_tag: got.meta.e_tag.clone(),
                    version: got.meta.version.clone(),
                };
                let body = got.bytes().await.unwrap();
                let value: usize = std::str::from_utf8(&body)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("counter holds {:?}", preview(&body)));
                // Let the other tasks run between the read and the write.
                tokio::task::yield_now().await;
                let next = (value + 1).to_string();
                match store
                    .put_opts(path, next.into(), mode(PutMode::Update(version)))
                    .await
                {
                    Ok(_) => break,
                    Err(Error::Precondition { .. }) => conflicts += 1,
                    Err(e) => panic!("update of the counter failed: {e}"),
                }
            }
        }
        conflicts
    };
    let conflicts: usize = futures::future::join_all((0..TASKS).map(task))
        .await
        .into_iter()
        .sum();
    let body = read(store, path).await;
    assert_eq!(
        std::str::from_utf8(&body).unwrap(),
        (TASKS * INCREMENTS).to_string(),
        "lost updates ({conflicts} conflicts were retried)"
    );
}

fn all_attributes() -> Attributes {
    Attributes::from_iter([
        (Attribute::CacheControl, "max-age=3600, must-revalidate"),
        (
            Attribute::ContentDisposition,
            "attachment; filename=\"report 1.csv\"",
        ),
        (Attribute::ContentEncoding, "gzip"),
        (Attribute::ContentLanguage, "de-CH"),
        (Attribute::ContentType, "text/csv; charset=utf-8"),
        (Attribute::Metadata("owner".into()), "team-a"),
        (
            Attribute::Metadata("note".into()),
            "two  spaces and ünïcode",
        ),
    ])
}

/// Attributes (every standard one plus user metadata) round-trip through `put_opts` and
/// `put_multipart_opts` and come back from `get` and `get_opts(head)`; an overwrite without
/// attributes clears them; `copy` keeps them. Unsupported: writes carrying attributes fail
/// with a typed error and write nothing.
pub async fn attributes_round_trip(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("attributes_round_trip");
    let path = base.child("put");
    let attrs = all_attributes();
    let opts = PutOptions::from(attrs.clone());
    let multipart_path = base.child("multipart");
    match &caps.attributes {
        Support::Full => {
            store.put_opts(&path, "body".into(), opts).await.unwrap();
            assert_attributes(store, caps, &path, &attrs, "put_opts").await;

            let copy = base.child("copy");
            store.copy(&path, &copy).await.unwrap();
            assert_attributes(store, caps, &copy, &attrs, "copy").await;

            store.put(&path, "plain".into()).await.unwrap();
            assert_attributes(
                store,
                caps,
                &path,
                &Attributes::new(),
                "overwrite without attributes",
            )
            .await;

            if caps.multipart.is_full() {
                let opts = PutMultipartOptions::from(attrs.clone());
                let mut upload = store
                    .put_multipart_opts(&multipart_path, opts)
                    .await
                    .unwrap();
                upload.put_part("multi".into()).await.unwrap();
                upload.complete().await.unwrap();
                assert_attributes(store, caps, &multipart_path, &attrs, "put_multipart_opts").await;
            }
        }
        Support::Unsupported(why) => {
            let result = store.put_opts(&path, "body".into(), opts).await;
            assert_unsupported(result, "put_opts with attributes", why);
            assert_absent(
                store,
                &path,
                "a put refused for its attributes wrote the object",
            )
            .await;
            store.put(&path, "plain".into()).await.unwrap();
            assert_attributes(store, caps, &path, &Attributes::new(), "plain put").await;

            if caps.multipart.is_full() {
                let opts = PutMultipartOptions::from(attrs);
                // Refused when the upload starts or, at the latest, when it completes.
                let result = match store.put_multipart_opts(&multipart_path, opts).await {
                    Ok(mut upload) => match upload.put_part("multi".into()).await {
                        Ok(()) => upload.complete().await.map(|_| ()),
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e),
                };
                assert_unsupported(result, "put_multipart_opts with attributes", why);
                assert_absent(store, &multipart_path, "a refused multipart upload").await;
            }
        }
    }
}

/// `got`, without a content type the store chose itself when `want` names none.
fn comparable(caps: &Capabilities, got: &Attributes, want: &Attributes) -> Attributes {
    let mut got = got.clone();
    if caps.assigns_content_type && want.get(&Attribute::ContentType).is_none() {
        got.remove(&Attribute::ContentType);
    }
    got
}

async fn assert_attributes(
    store: &dyn ObjectStore,
    caps: &Capabilities,
    path: &Path,
    want: &Attributes,
    what: &str,
) {
    let got = store.get(path).await.unwrap();
    let got_attributes = comparable(caps, &got.attributes, want);
    assert_eq!(&got_attributes, want, "attributes from get after {what}");
    let opts = ostore_core::GetOptions {
        head: true,
        ..Default::default()
    };
    let got = store.get_opts(path, opts).await.unwrap();
    assert_eq!(
        &comparable(caps, &got.attributes, want),
        want,
        "attributes from get_opts(head) after {what}"
    );
}
