//! Concurrent writers: compare-and-swap within a process and across processes, and races
//! of `PutMode::Create`.
//!
//! The cross-process test runs this test binary again, running the same test, with an
//! environment variable that makes it the child.

use ostore_core::path::Path;
use ostore_core::{Error, ObjectStore, PutMode, PutOptions, UpdateVersion};
use ostore_local::LocalFileSystem;
use std::process::{Command, Stdio};
use std::sync::Arc;

const CHILD_DIR: &str = "OSTORE_LOCAL_TEST_CHILD_DIR";
const CHILD_INCREMENTS: &str = "OSTORE_LOCAL_TEST_CHILD_INCREMENTS";

fn counter() -> Path {
    Path::from("counters/c")
}

/// Adds one to the counter object with a compare-and-swap loop; returns the retries.
async fn increment(store: &LocalFileSystem) -> usize {
    let path = counter();
    let mut retries = 0;
    loop {
        let got = store.get(&path).await.unwrap();
        let version = UpdateVersion {
            e_tag: got.meta.e_tag.clone(),
            version: None,
        };
        let bytes = got.bytes().await.unwrap();
        let n: u64 = std::str::from_utf8(&bytes).unwrap().parse().unwrap();
        let opts = PutOptions::from(PutMode::Update(version));
        match store
            .put_opts(&path, (n + 1).to_string().into(), opts)
            .await
        {
            Ok(_) => return retries,
            Err(Error::Precondition { .. }) => retries += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
}

async fn counter_value(store: &LocalFileSystem) -> u64 {
    let bytes = store.get(&counter()).await.unwrap().bytes().await.unwrap();
    std::str::from_utf8(&bytes).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cas_increments_from_tasks_sum_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap());
    store.put(&counter(), "0".into()).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut retries = 0;
                for _ in 0..50 {
                    retries += increment(&store).await;
                }
                retries
            })
        })
        .collect();
    let mut retries = 0;
    for t in tasks {
        retries += t.await.unwrap();
    }
    assert_eq!(counter_value(&store).await, 400, "{retries} retries");
}

/// Runs as the parent; run again by itself with `CHILD_DIR` set, it is one of the children.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cas_increments_from_processes_sum_exactly() {
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        return child_increments(dir).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    store.put(&counter(), "0".into()).await.unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "cas_increments_from_processes_sum_exactly",
                    "--exact",
                    "--test-threads=1",
                ])
                .env(CHILD_DIR, dir.path())
                .env(CHILD_INCREMENTS, "30")
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for _ in 0..30 {
        increment(&store).await;
    }
    for mut child in children {
        let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        assert!(status.success(), "child failed: {status}");
    }
    assert_eq!(counter_value(&store).await, 120);
}

/// The child process of `cas_increments_from_processes_sum_exactly`.
/// One child of `cas_increments_from_processes_sum_exactly`: its share of the increments.
async fn child_increments(dir: String) {
    let n: usize = std::env::var(CHILD_INCREMENTS).unwrap().parse().unwrap();
    let store = LocalFileSystem::new_with_prefix(dir).unwrap();
    for _ in 0..n {
        increment(&store).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_concurrent_create_wins() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap());
    for round in 0..5 {
        let path = Path::from(format!("race/{round}"));
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let (store, path) = (Arc::clone(&store), path.clone());
                tokio::spawn(async move {
                    let opts = PutOptions::from(PutMode::Create);
                    (i, store.put_opts(&path, i.to_string().into(), opts).await)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                (i, Ok(_)) => winners.push(i),
                (_, Err(Error::AlreadyExists { .. })) => {}
                (_, Err(e)) => panic!("unexpected error: {e}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}");
        let bytes = store.get(&path).await.unwrap().bytes().await.unwrap();
        assert_eq!(bytes, winners[0].to_string().as_bytes());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_concurrent_rename_if_not_exists_wins() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap());
    for i in 0..8 {
        store
            .put(&Path::from(format!("src/{i}")), i.to_string().into())
            .await
            .unwrap();
    }
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let from = Path::from(format!("src/{i}"));
                store.rename_if_not_exists(&from, &Path::from("dst")).await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(Error::AlreadyExists { .. }) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(ok, 1);
}
