//! Multipart uploads into one staging file: each part is written at its own offset, so
//! parts are written concurrently and finish in any order; completion renames the file into
//! place.

use crate::blocking;
use crate::error::{generic, io_error};
use crate::fs::{Commit, Config, StagingGuard, commit, stamp};
use async_trait::async_trait;
use ostore_core::{MultipartUpload, PutPayload, PutResult, Result, UploadPart};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// What the upload and its part writes share.
#[derive(Debug)]
struct Shared {
    file: File,
    dest: PathBuf,
    location: String,
    config: Arc<Config>,
    /// Bytes of the parts written so far.
    written: AtomicU64,
    /// Part writes hold it shared; completion and abort take it exclusively, which waits for
    /// writes in flight and shuts out later ones (`true` once closed).
    closed: RwLock<bool>,
    /// The staging file, removed on drop unless committed.
    staging: Mutex<StagingGuard>,
}

/// A multipart upload of a [`LocalFileSystem`](crate::LocalFileSystem).
#[derive(Debug)]
pub(crate) struct LocalUpload {
    shared: Arc<Shared>,
    /// The offset of the next part: the sum of the lengths of the parts so far.
    offset: u64,
    /// Completed or aborted.
    finished: bool,
}

impl LocalUpload {
    /// An upload of the object `location` (file `dest`) through the open staging file.
    pub(crate) fn new(
        file: File,
        staging: StagingGuard,
        dest: PathBuf,
        location: String,
        config: Arc<Config>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                file,
                dest,
                location,
                config,
                written: AtomicU64::new(0),
                closed: RwLock::new(false),
                staging: Mutex::new(staging),
            }),
            offset: 0,
            finished: false,
        }
    }
}

#[async_trait]
impl MultipartUpload for LocalUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let len = data.content_length() as u64;
        let offset = self.offset;
        self.offset += len;
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            blocking(move || {
                let closed = shared.closed.read().unwrap_or_else(PoisonError::into_inner);
                if *closed {
                    return Err(generic("multipart upload already completed or aborted"));
                }
                let mut at = offset;
                for chunk in &data {
                    shared.file.write_all_at(chunk, at).map_err(|e| {
                        let staging = shared
                            .staging
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner);
                        io_error("write part", &shared.location, staging.path(), e)
                    })?;
                    at += chunk.len() as u64;
                }
                shared.written.fetch_add(len, Ordering::AcqRel);
                Ok(())
            })
            .await?
        })
    }

    async fn complete(&mut self) -> Result<PutResult> {
        if self.finished {
            return Err(generic("multipart upload already completed or aborted"));
        }
        let expected = self.offset;
        let shared = Arc::clone(&self.shared);
        let result = blocking(move || {
            let mut closed = shared
                .closed
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let written = shared.written.load(Ordering::Acquire);
            if written != expected {
                return Err(generic(format!(
                    "multipart upload to {} is incomplete: {written} of {expected} bytes of \
                     its parts were written (a part failed or was not awaited)",
                    shared.location
                )));
            }
            let mut staging = shared
                .staging
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let (loc, path) = (&shared.location, staging.path().to_path_buf());
            // Best effort, as for puts.
            let _ = stamp(&shared.file);
            let fsync = shared.config.fsync;
            if fsync {
                shared
                    .file
                    .sync_all()
                    .map_err(|e| io_error("fsync", loc, &path, e))?;
            }
            let meta = shared
                .file
                .metadata()
                .map_err(|e| io_error("stat", loc, &path, e))?;
            commit(&path, &shared.dest, loc, &Commit::Overwrite, fsync)?;
            staging.defuse();
            *closed = true;
            Ok(PutResult {
                e_tag: Some(crate::fs::e_tag(&meta)),
                version: None,
            })
        })
        .await?;
        if result.is_ok() {
            self.finished = true;
        }
        result
    }

    async fn abort(&mut self) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        let shared = Arc::clone(&self.shared);
        blocking(move || {
            let mut closed = shared
                .closed
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            *closed = true;
            let mut staging = shared
                .staging
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let path = staging.path().to_path_buf();
            staging.defuse();
            match std::fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io_error("remove staging file", &shared.location, &path, e)),
            }
        })
        .await?
    }
}

impl Drop for LocalUpload {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // Removing the staging file is the guard's drop; run it off the async threads when
        // there is a runtime. Part writes still in flight hold `shared` and end up in the
        // removed file, which is harmless.
        let guard = std::mem::replace(
            &mut *self
                .shared
                .staging
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            StagingGuard::none(),
        );
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => drop(handle.spawn_blocking(move || drop(guard))),
            Err(_) => drop(guard),
        }
    }
}
