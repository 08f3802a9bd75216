//! ostore on the local disk: write, list, read ranges, update conditionally and copy.
//!
//! Run with `cargo run --example quickstart [DIR]`. Objects are written under DIR (default:
//! a fresh directory in the system temp dir), which is left in place so you can look at it.

use futures::TryStreamExt;
use ostore::local::LocalFileSystem;
use ostore::path::Path;
use ostore::{Error, ObjectStore, PutMode, PutPayload, UpdateVersion};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = match std::env::args_os().nth(1) {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("ostore-quickstart-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let store: Arc<dyn ObjectStore> =
        Arc::new(LocalFileSystem::new_with_prefix(&dir)?.with_automatic_cleanup(true));
    println!("store: {store} (objects are files under {})", dir.display());

    // Writes are atomic: the object appears whole or not at all.
    for (name, body) in [
        ("logs/2026/11/26.log", "first line\nsecond line\n"),
        ("logs/2026/11/25.log", "yesterday\n"),
        ("logs/index.txt", "two days of logs\n"),
        ("readme.txt", "hello from ostore\n"),
    ] {
        let result = store.put(&Path::from(name), PutPayload::from(body)).await?;
        println!(
            "put   {name:<22} {:>3} bytes  e-tag {}",
            body.len(),
            show(&result.e_tag)
        );
    }

    // Listing returns keys in the same order S3 would.
    println!("list  logs/ (recursive):");
    let mut listing = store.list(Some(&Path::from("logs")));
    while let Some(meta) = listing.try_next().await? {
        println!(
            "        {:<22} {:>3} bytes",
            meta.location.as_ref(),
            meta.size
        );
    }
    let level = store.list_with_delimiter(Some(&Path::from("logs"))).await?;
    let dirs: Vec<&str> = level.common_prefixes.iter().map(|p| p.as_ref()).collect();
    let files: Vec<&str> = level.objects.iter().map(|m| m.location.as_ref()).collect();
    println!("list  logs/ (one level): directories {dirs:?}, objects {files:?}");

    // Ranged and vectored reads fetch only the bytes asked for.
    let log = Path::from("logs/2026/11/26.log");
    let first = store.get_range(&log, 0..10).await?;
    println!(
        "range logs/2026/11/26.log 0..10 = {:?}",
        String::from_utf8_lossy(&first)
    );
    let parts = store.get_ranges(&log, &[11..17, 18..22]).await?;
    let parts: Vec<_> = parts.iter().map(|b| String::from_utf8_lossy(b)).collect();
    println!("ranges logs/2026/11/26.log [11..17, 18..22] = {parts:?}");

    // Compare-and-swap: an update only succeeds against the version it read.
    let counter = Path::from("counter");
    let created = store
        .put_opts(&counter, "0".into(), PutMode::Create.into())
        .await?;
    let stale = UpdateVersion::from(created.clone());
    let bumped = store
        .put_opts(&counter, "1".into(), PutMode::Update(created.into()).into())
        .await?;
    println!(
        "cas   counter 0 -> 1                 e-tag {}",
        show(&bumped.e_tag)
    );
    match store
        .put_opts(&counter, "2".into(), PutMode::Update(stale).into())
        .await
    {
        Err(Error::Precondition { .. }) => {
            println!("cas   counter with the stale e-tag  rejected (Precondition), as it must be")
        }
        other => return Err(format!("stale update was not rejected: {other:?}").into()),
    }
    match store
        .put_opts(&counter, "again".into(), PutMode::Create.into())
        .await
    {
        Err(Error::AlreadyExists { .. }) => {
            println!("put   counter with PutMode::Create   rejected (AlreadyExists)")
        }
        other => return Err(format!("create over an object succeeded: {other:?}").into()),
    }

    // Copies and renames, optionally refusing to overwrite.
    store
        .copy(&Path::from("readme.txt"), &Path::from("backup/readme.txt"))
        .await?;
    println!("copy  readme.txt -> backup/readme.txt");
    match store
        .copy_if_not_exists(&Path::from("readme.txt"), &Path::from("backup/readme.txt"))
        .await
    {
        Err(Error::AlreadyExists { .. }) => {
            println!("copy  again with copy_if_not_exists  rejected (AlreadyExists)")
        }
        other => return Err(format!("copy_if_not_exists overwrote: {other:?}").into()),
    }
    store
        .rename(&Path::from("logs/index.txt"), &Path::from("index.txt"))
        .await?;
    println!("move  logs/index.txt -> index.txt");

    let all: Vec<_> = store.list(None).try_collect().await?;
    println!("final contents ({} objects):", all.len());
    for meta in &all {
        println!(
            "        {:<22} {:>3} bytes",
            meta.location.as_ref(),
            meta.size
        );
    }
    Ok(())
}

fn show(e_tag: &Option<String>) -> &str {
    e_tag.as_deref().unwrap_or("-")
}
