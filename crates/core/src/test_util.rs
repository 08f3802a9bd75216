//! A minimal in-memory store for the adapter tests, counting the calls it receives.

use crate::multipart::{MultipartId, MultipartStore, PartId};
use crate::path::Path;
use crate::{
    Attributes, Error, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload,
    ObjectMeta, ObjectStore, PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult,
    Result, UploadPart,
};
use async_trait::async_trait;
use bytes::Bytes;
use chrono::Utc;
use futures::StreamExt;
use futures::stream::BoxStream;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const STORE: &str = "TestStore";

#[derive(Debug, Default)]
struct State {
    objects: BTreeMap<Path, (Bytes, ObjectMeta)>,
    uploads: HashMap<MultipartId, BTreeMap<usize, Bytes>>,
    next_etag: u64,
}

impl State {
    fn insert(&mut self, location: &Path, data: Bytes) -> PutResult {
        self.next_etag += 1;
        let e_tag = self.next_etag.to_string();
        let meta = ObjectMeta {
            location: location.clone(),
            last_modified: Utc::now(),
            size: data.len() as u64,
            e_tag: Some(e_tag.clone()),
            version: None,
        };
        self.objects.insert(location.clone(), (data, meta));
        PutResult {
            e_tag: Some(e_tag),
            version: None,
        }
    }

    fn entry(&self, location: &Path) -> Result<&(Bytes, ObjectMeta)> {
        self.objects
            .get(location)
            .ok_or_else(|| Error::not_found(location, "no such object"))
    }
}

/// Counters of the calls a [`TestStore`] received.
#[derive(Debug, Default)]
pub(crate) struct Calls {
    pub(crate) put_opts: AtomicUsize,
    pub(crate) put_multipart_opts: AtomicUsize,
    pub(crate) put_part: AtomicUsize,
    pub(crate) get_opts: AtomicUsize,
}

/// An in-memory store: a `BTreeMap` behind a mutex, never locked across an await.
#[derive(Debug, Default, Clone)]
pub(crate) struct TestStore {
    state: Arc<Mutex<State>>,
    pub(crate) calls: Arc<Calls>,
}

impl TestStore {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }
}

impl fmt::Display for TestStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TestStore")
    }
}

fn join(payload: PutPayload) -> Bytes {
    payload.into()
}

#[async_trait]
impl ObjectStore for TestStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.calls.put_opts.fetch_add(1, Ordering::SeqCst);
        let mut state = self.lock();
        match &opts.mode {
            PutMode::Overwrite => {}
            PutMode::Create => {
                if state.objects.contains_key(location) {
                    return Err(Error::AlreadyExists {
                        path: location.to_string(),
                        source: "object exists".into(),
                    });
                }
            }
            PutMode::Update(v) => {
                let current = state
                    .objects
                    .get(location)
                    .and_then(|(_, m)| m.e_tag.clone());
                if current.is_none() || current != v.e_tag {
                    return Err(Error::Precondition {
                        path: location.to_string(),
                        source: "e-tag mismatch".into(),
                    });
                }
            }
        }
        Ok(state.insert(location, join(payload)))
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        _opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.calls.put_multipart_opts.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(TestUpload {
            store: self.clone(),
            location: location.clone(),
            parts: Arc::new(Mutex::new(Vec::new())),
        }))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.calls.get_opts.fetch_add(1, Ordering::SeqCst);
        let (data, meta) = self.lock().entry(location)?.clone();
        options.check_preconditions(&meta)?;
        let range = match &options.range {
            Some(r) => r
                .as_range(meta.size)
                .map_err(|e| Error::generic(STORE, e))?,
            None => 0..meta.size,
        };
        let chunk = if options.head {
            Bytes::new()
        } else {
            data.slice(range.start as usize..range.end as usize)
        };
        Ok(GetResult {
            payload: GetResultPayload::Stream(futures::stream::iter([Ok(chunk)]).boxed()),
            meta,
            range,
            attributes: Attributes::new(),
        })
    }

    async fn delete(&self, location: &Path) -> Result<()> {
        self.lock().objects.remove(location);
        Ok(())
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let prefix = prefix.cloned().unwrap_or_default();
        let metas: Vec<Result<ObjectMeta>> = self
            .lock()
            .objects
            .values()
            .filter(|(_, m)| m.location.prefix_matches(&prefix) && m.location != prefix)
            .map(|(_, m)| Ok(m.clone()))
            .collect();
        futures::stream::iter(metas).boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let prefix = prefix.cloned().unwrap_or_default();
        let depth = prefix.parts_count();
        let mut prefixes = BTreeSet::new();
        let mut objects = Vec::new();
        for (_, meta) in self.lock().objects.values() {
            let Some(rest) = meta.location.prefix_match(&prefix) else {
                continue;
            };
            match rest.count() {
                0 => {}
                1 => objects.push(meta.clone()),
                _ => {
                    prefixes.insert(meta.location.parts().take(depth + 1).collect::<Path>());
                }
            }
        }
        Ok(ListResult {
            common_prefixes: prefixes.into_iter().collect(),
            objects,
        })
    }

    async fn copy(&self, from: &Path, to: &Path) -> Result<()> {
        let mut state = self.lock();
        let data = state.entry(from)?.0.clone();
        state.insert(to, data);
        Ok(())
    }

    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        let mut state = self.lock();
        let data = state.entry(from)?.0.clone();
        if state.objects.contains_key(to) {
            return Err(Error::AlreadyExists {
                path: to.to_string(),
                source: "object exists".into(),
            });
        }
        state.insert(to, data);
        Ok(())
    }
}

/// A multipart upload of [`TestStore`]: parts are kept in call order and joined on completion.
#[derive(Debug)]
struct TestUpload {
    store: TestStore,
    location: Path,
    parts: Arc<Mutex<Vec<Option<Bytes>>>>,
}

#[async_trait]
impl MultipartUpload for TestUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        self.store.calls.put_part.fetch_add(1, Ordering::SeqCst);
        let parts = Arc::clone(&self.parts);
        let idx = {
            let mut p = parts.lock().unwrap();
            p.push(None);
            p.len() - 1
        };
        Box::pin(async move {
            tokio::task::yield_now().await;
            parts.lock().unwrap()[idx] = Some(join(data));
            Ok(())
        })
    }

    async fn complete(&mut self) -> Result<PutResult> {
        let parts = std::mem::take(&mut *self.parts.lock().unwrap());
        let mut data = Vec::new();
        for part in parts {
            let part = part.ok_or_else(|| Error::generic(STORE, "part not finished"))?;
            data.extend_from_slice(&part);
        }
        Ok(self.store.lock().insert(&self.location, data.into()))
    }

    async fn abort(&mut self) -> Result<()> {
        self.parts.lock().unwrap().clear();
        Ok(())
    }
}

#[async_trait]
impl MultipartStore for TestStore {
    async fn create_multipart(&self, path: &Path) -> Result<MultipartId> {
        let mut state = self.lock();
        state.next_etag += 1;
        let id = format!("{path}#{}", state.next_etag);
        state.uploads.insert(id.clone(), BTreeMap::new());
        Ok(id)
    }

    async fn put_part(
        &self,
        _path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> Result<PartId> {
        let mut state = self.lock();
        let upload = state
            .uploads
            .get_mut(id)
            .ok_or_else(|| Error::generic(STORE, "no such upload"))?;
        upload.insert(part_idx, join(data));
        Ok(PartId {
            content_id: part_idx.to_string(),
        })
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult> {
        let mut state = self.lock();
        let upload = state
            .uploads
            .remove(id)
            .ok_or_else(|| Error::generic(STORE, "no such upload"))?;
        let mut data = Vec::new();
        for part in parts {
            let idx: usize = part
                .content_id
                .parse()
                .map_err(|e| Error::generic(STORE, e))?;
            let bytes = upload
                .get(&idx)
                .ok_or_else(|| Error::generic(STORE, "missing part"))?;
            data.extend_from_slice(bytes);
        }
        Ok(state.insert(path, data.into()))
    }

    async fn abort_multipart(&self, _path: &Path, id: &MultipartId) -> Result<()> {
        self.lock().uploads.remove(id);
        Ok(())
    }
}

/// Deterministic test data: `len` bytes of a repeating non-trivial pattern.
pub(crate) fn pattern(len: usize) -> Bytes {
    (0..len).map(|i| (i % 251) as u8).collect::<Vec<_>>().into()
}
