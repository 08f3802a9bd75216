//! Copies and renames, overwriting and conditional.

use crate::util::*;
use crate::{Capabilities, Support};
use ostore_core::path::Path;
use ostore_core::{Error, ObjectStore, Result};

/// `copy` and `rename` replace an existing destination, create missing parent "directories",
/// and handle large objects. After `copy` both objects exist and are independent; after
/// `rename` the source is gone.
pub async fn copy_rename(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("copy_rename");
    let (p1, p2) = (base.child("one"), base.child("two"));
    write(store, &p1, "cats").await;
    write(store, &p2, "dogs").await;
    store.copy(&p1, &p2).await.unwrap();
    assert_content(store, &p2, b"cats").await;
    assert_content(store, &p1, b"cats").await;
    write(store, &p1, "mice").await;
    assert_content(store, &p2, b"cats").await;

    let nested = join(&base, "new/nested/dir/copy");
    store.copy(&p1, &nested).await.unwrap();
    assert_content(store, &nested, b"mice").await;

    write(store, &p2, "dogs").await;
    store.rename(&p1, &p2).await.unwrap();
    assert_content(store, &p2, b"mice").await;
    assert_absent(store, &p1, "rename source").await;

    let moved = join(&base, "other/nested/moved");
    store.rename(&p2, &moved).await.unwrap();
    assert_content(store, &moved, b"mice").await;
    assert_absent(store, &p2, "rename source").await;

    let big = data(3 * 1024 * 1024 + 17, 3);
    let big_path = base.child("big");
    write(store, &big_path, big.clone()).await;
    let big_copy = base.child("big-copy");
    store.copy(&big_path, &big_copy).await.unwrap();
    assert!(
        read(store, &big_copy).await == big,
        "copy of a large object differs"
    );

    let want = {
        let mut v = vec![big_path, big_copy, nested, moved];
        v.sort();
        v
    };
    let s = caps.sorted_list.is_full();
    assert_listing(
        list_paths(store, Some(&base)).await,
        &want,
        s,
        "after copies",
    );
}

#[track_caller]
fn assert_already_exists(result: Result<()>, to: &Path, what: &str) {
    match result {
        Err(Error::AlreadyExists { path, .. }) => assert!(
            path.ends_with(to.as_ref()),
            "{what}: AlreadyExists names {path:?}, not {to}"
        ),
        other => panic!("{what} onto an existing object: expected AlreadyExists, got {other:?}"),
    }
}

/// `copy_if_not_exists` fails with `AlreadyExists` when the destination exists (changing
/// nothing) and copies otherwise, also into a new nested "directory". Unsupported: it fails
/// with a typed error and changes nothing.
pub async fn copy_if_not_exists(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("copy_if_not_exists");
    let (from, to) = (base.child("from"), join(&base, "nested/to"));
    write(store, &from, "cats").await;
    write(store, &to, "dogs").await;
    match &caps.copy_if_not_exists {
        Support::Full => {
            let result = store.copy_if_not_exists(&from, &to).await;
            assert_already_exists(result, &to, "copy_if_not_exists");
            assert_content(store, &to, b"dogs").await;
            store.delete(&to).await.unwrap();
            store.copy_if_not_exists(&from, &to).await.unwrap();
            assert_content(store, &to, b"cats").await;
            assert_content(store, &from, b"cats").await;
        }
        Support::Unsupported(why) => {
            let result = store.copy_if_not_exists(&from, &to).await;
            assert_unsupported(result, "copy_if_not_exists", why);
            let fresh = base.child("fresh");
            let result = store.copy_if_not_exists(&from, &fresh).await;
            assert_unsupported(result, "copy_if_not_exists", why);
            assert_absent(store, &fresh, "refused copy_if_not_exists").await;
            assert_content(store, &to, b"dogs").await;
        }
    }
}

/// `rename_if_not_exists` fails with `AlreadyExists` when the destination exists (both
/// objects unchanged) and moves the object otherwise. Unsupported: it fails with a typed
/// error and changes nothing.
pub async fn rename_if_not_exists(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("rename_if_not_exists");
    let (from, to) = (base.child("from"), join(&base, "nested/to"));
    write(store, &from, "cats").await;
    write(store, &to, "dogs").await;
    match &caps.rename_if_not_exists {
        Support::Full => {
            let result = store.rename_if_not_exists(&from, &to).await;
            assert_already_exists(result, &to, "rename_if_not_exists");
            assert_content(store, &to, b"dogs").await;
            assert_content(store, &from, b"cats").await;
            store.delete(&to).await.unwrap();
            store.rename_if_not_exists(&from, &to).await.unwrap();
            assert_content(store, &to, b"cats").await;
            assert_absent(store, &from, "rename_if_not_exists source").await;
        }
        Support::Unsupported(why) => {
            let result = store.rename_if_not_exists(&from, &to).await;
            assert_unsupported(result, "rename_if_not_exists", why);
            let fresh = base.child("fresh");
            let result = store.rename_if_not_exists(&from, &fresh).await;
            assert_unsupported(result, "rename_if_not_exists", why);
            assert_absent(store, &fresh, "refused rename_if_not_exists").await;
            assert_content(store, &from, b"cats").await;
            assert_content(store, &to, b"dogs").await;
        }
    }
}
