//! [`MultipartStore`]: multipart uploads addressed by id, whose parts may come from
//! different processes in any order. Each part is a staging file of its own, next to the
//! upload's staging file; completion concatenates them in the order given.

use crate::error::{generic, io_error, not_found};
use crate::fs::{Commit, RESERVED_PREFIX, Staged, parent};
use crate::{LocalFileSystem, blocking};
use async_trait::async_trait;
use ostore_core::path::Path;
use ostore_core::{MultipartId, MultipartStore, PartId, PutPayload, PutResult, Result};
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::PathBuf;

/// The file of part `idx` of upload `id` in `dir`.
fn part_file(dir: &std::path::Path, id: &str, idx: &str) -> PathBuf {
    dir.join(format!("{id}.part{idx}"))
}

/// Removes the part files of upload `id` in `dir`.
fn remove_parts(dir: &std::path::Path, id: &str) {
    let prefix = format!("{id}.part");
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix))
        {
            // Best effort: leftover part files are invisible.
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl LocalFileSystem {
    /// The object file of `path` and the staging file of upload `id`, checking that `id` is
    /// one of ours (a staging file name, so it cannot point anywhere else).
    fn upload_files(&self, path: &Path, id: &str) -> Result<(PathBuf, PathBuf)> {
        let dest = self.path_to_filesystem(path)?;
        if !id.starts_with(RESERVED_PREFIX) || id.contains('/') || id.contains('\0') {
            return Err(not_found(path.as_ref(), "no multipart upload with this id"));
        }
        let staging = parent(&dest).join(id);
        Ok((dest, staging))
    }
}

#[async_trait]
impl MultipartStore for LocalFileSystem {
    async fn create_multipart(&self, path: &Path) -> Result<MultipartId> {
        let dest = self.path_to_filesystem(path)?;
        let location = path.to_string();
        let fsync = self.config.fsync;
        blocking(move || {
            let mut staged = Staged::create(&dest, &location, fsync)?;
            let id = staged.guard.path().file_name().and_then(|n| n.to_str());
            let id = id
                .ok_or_else(|| generic("staging file name is not UTF-8"))?
                .to_string();
            // The empty staging file marks the upload as open until completion or abort.
            staged.guard.defuse();
            Ok(id)
        })
        .await?
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> Result<PartId> {
        let (_, staging) = self.upload_files(path, id)?;
        let (location, id) = (path.to_string(), id.clone());
        blocking(move || {
            if !staging.is_file() {
                return Err(not_found(&location, "no multipart upload with this id"));
            }
            let idx = part_idx.to_string();
            let file = part_file(parent(&staging), &id, &idx);
            let mut f =
                File::create(&file).map_err(|e| io_error("create part", &location, &file, e))?;
            for chunk in &data {
                f.write_all(chunk)
                    .map_err(|e| io_error("write part", &location, &file, e))?;
            }
            Ok(PartId { content_id: idx })
        })
        .await?
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult> {
        let (dest, staging) = self.upload_files(path, id)?;
        let (location, id) = (path.to_string(), id.clone());
        let fsync = self.config.fsync;
        blocking(move || {
            let dir = parent(&staging).to_path_buf();
            let mut file = match OpenOptions::new().write(true).truncate(true).open(&staging) {
                Ok(f) => f,
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    return Err(not_found(&location, "no multipart upload with this id"));
                }
                Err(e) => return Err(io_error("open", &location, &staging, e)),
            };
            for part in &parts {
                if part.content_id.parse::<usize>().is_err() {
                    return Err(generic(format!(
                        "not a part of this store: {}",
                        part.content_id
                    )));
                }
                let pf = part_file(&dir, &id, &part.content_id);
                let mut src =
                    File::open(&pf).map_err(|e| io_error("open part", &location, &pf, e))?;
                std::io::copy(&mut src, &mut file)
                    .map_err(|e| io_error("copy part", &location, &staging, e))?;
            }
            // Whatever the outcome, the upload is over: a failed completion removes the
            // staging file (the guard of `staged`) and the parts.
            let staged = Staged::adopt(file, staging);
            let result = staged.finish(&dest, &location, &Commit::Overwrite, fsync);
            remove_parts(&dir, &id);
            result
        })
        .await?
    }

    async fn abort_multipart(&self, path: &Path, id: &MultipartId) -> Result<()> {
        let (_, staging) = self.upload_files(path, id)?;
        let (location, id) = (path.to_string(), id.clone());
        blocking(move || {
            remove_parts(parent(&staging), &id);
            match std::fs::remove_file(&staging) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io_error("remove staging file", &location, &staging, e)),
            }
        })
        .await?
    }
}
