//! Crash safety: a child process (this test binary running the same test, see `crash_child`) keeps
//! writing large objects with puts, multipart uploads and copies while the parent kills it
//! with SIGKILL at random moments. After each kill every listed object must read back whole
//! with exactly the content it was written with, and no staging file may be listed.

use futures::TryStreamExt;
use ostore_core::path::Path;
use ostore_core::{Error, ObjectStore};
use ostore_local::LocalFileSystem;
use rand::Rng;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_DIR: &str = "OSTORE_LOCAL_CRASH_DIR";
const CHILD_FSYNC: &str = "OSTORE_LOCAL_CRASH_FSYNC";

/// The repeating block of object bodies; a prime length, so parts of a power-of-two size
/// that landed at a wrong offset would not line up with it.
const BLOCK: usize = 4093;
/// Objects are about this large.
const SIZE: usize = 4 << 20;
/// Multipart uploads use parts of this size.
const PART: usize = 1 << 20;

fn block(seed: u64) -> Vec<u8> {
    (0..BLOCK)
        .map(|i| (seed.rotate_left((i % 64) as u32) as u8) ^ (i as u8))
        .collect()
}

/// A self-describing object: a header with the seed and the total length, then the block
/// of the seed repeated.
fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&seed.to_le_bytes());
    out.extend_from_slice(&(len as u64).to_le_bytes());
    let block = block(seed);
    while out.len() < len {
        let n = (len - out.len()).min(BLOCK);
        out.extend_from_slice(&block[..n]);
    }
    out
}

/// Checks that `data` is exactly a whole object written by [`content`].
fn verify(key: &str, data: &[u8]) {
    assert!(
        data.len() >= 16,
        "{key}: {} bytes, shorter than the header",
        data.len()
    );
    let seed = u64::from_le_bytes(data[..8].try_into().unwrap());
    let len = u64::from_le_bytes(data[8..16].try_into().unwrap()) as usize;
    assert_eq!(data.len(), len, "{key}: partial object");
    let block = block(seed);
    for (i, chunk) in data[16..].chunks(BLOCK).enumerate() {
        assert!(
            chunk == &block[..chunk.len()],
            "{key}: wrong bytes in block {i}"
        );
    }
}

/// Runs as the parent; run again by itself with `CHILD_DIR` set, it is the child.
#[test]
fn objects_survive_sigkill_whole_or_not_at_all() {
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        return crash_child(dir);
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    let mut rng = rand::rng();
    let started = Instant::now();
    let (mut verified, mut staging_seen) = (0, 0);
    for round in 0..30 {
        let mut child = Command::new(&exe)
            .args([
                "objects_survive_sigkill_whole_or_not_at_all",
                "--exact",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_FSYNC, if round % 4 == 3 { "1" } else { "0" })
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(40..250)));
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // SAFETY: kill has no memory effects; the pid is our own unreaped child.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
        let status = child.wait().unwrap();
        assert!(!status.success(), "the child should have been killed");

        staging_seen += std::fs::read_dir(dir.path().join("f"))
            .map(|rd| {
                rd.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(".ostore#"))
                })
                .count()
            })
            .unwrap_or(0);
        runtime.block_on(async {
            let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
            for meta in listed {
                let key = meta.location.to_string();
                assert!(!key.contains(".ostore#"), "staging file listed: {key}");
                let data = store
                    .get(&meta.location)
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                assert_eq!(data.len() as u64, meta.size, "{key}");
                verify(&key, &data);
                verified += 1;
            }
        });
    }
    assert!(verified > 0, "the child never completed a write");
    eprintln!(
        "crash test: {verified} object reads verified, {staging_seen} leftover staging files \
         seen, {:?}",
        started.elapsed()
    );
}

/// The writer killed by `objects_survive_sigkill_whole_or_not_at_all`: loops until killed.
fn crash_child(dir: String) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(crash_child_writes(dir));
}

async fn crash_child_writes(dir: String) {
    let fsync = std::env::var(CHILD_FSYNC).is_ok_and(|v| v == "1");
    let store = LocalFileSystem::new_with_prefix(dir)
        .unwrap()
        .with_fsync(fsync);
    let mut rng = rand::rng();
    for n in 0u64.. {
        let seed: u64 = rng.random();
        let len = SIZE - rng.random_range(0..100_000);
        let data = content(seed, len);
        match n % 4 {
            0 | 1 => {
                let path = Path::from(format!("f/{}", n % 6));
                store.put(&path, data.into()).await.unwrap();
            }
            2 => {
                let path = Path::from(format!("m/{}", n % 5));
                let mut upload = store.put_multipart(&path).await.unwrap();
                let bytes = bytes::Bytes::from(data);
                let parts: Vec<_> = (0..len)
                    .step_by(PART)
                    .map(|at| upload.put_part(bytes.slice(at..(at + PART).min(len)).into()))
                    .collect();
                // Finish the parts in reverse order.
                for part in parts.into_iter().rev() {
                    part.await.unwrap();
                }
                upload.complete().await.unwrap();
            }
            _ => {
                let from = Path::from(format!("f/{}", n % 6));
                let to = Path::from(format!("c/{}", n % 3));
                match store.copy(&from, &to).await {
                    Ok(()) | Err(Error::NotFound { .. }) => {}
                    Err(e) => panic!("copy failed: {e}"),
                }
            }
        }
    }
}
