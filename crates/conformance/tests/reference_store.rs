//! Runs the suite against a minimal, obviously-correct store defined here, so that the
//! suite itself is checked independently of the real stores.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use ostore_conformance::{Capabilities, DeleteMissing, Fixture, conformance_tests};
use ostore_core::path::Path;
use ostore_core::{
    Attributes, Error, GetOptions, GetResult, GetResultPayload, ListResult, MultipartId,
    MultipartStore, MultipartUpload, ObjectMeta, ObjectStore, PartId, PutMode, PutMultipartOptions,
    PutOptions, PutPayload, PutResult, Result, UploadPart,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
struct Entry {
    data: Bytes,
    modified: DateTime<Utc>,
    etag: u64,
    attributes: Attributes,
    /// Earlier contents by version (= e-tag) when versioning.
    history: Vec<(u64, Bytes)>,
}

#[derive(Default)]
struct State {
    next: u64,
    objects: BTreeMap<Path, Entry>,
    uploads: HashMap<String, BTreeMap<usize, Bytes>>,
}

/// A store keeping everything under one mutex; `versioned` keeps old contents.
#[derive(Default, Clone)]
struct Reference {
    state: Arc<Mutex<State>>,
    versioned: bool,
}

impl std::fmt::Debug for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reference")
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reference")
    }
}

fn not_found(path: &Path) -> Error {
    Error::NotFound {
        path: path.to_string(),
        source: "no such object".into(),
    }
}

fn meta(path: &Path, e: &Entry, versioned: bool) -> ObjectMeta {
    ObjectMeta {
        location: path.clone(),
        last_modified: e.modified,
        size: e.data.len() as u64,
        e_tag: Some(format!("\"{}\"", e.etag)),
        version: versioned.then(|| e.etag.to_string()),
    }
}

impl Reference {
    fn write(&self, path: &Path, data: Bytes, opts: PutOptions) -> Result<PutResult> {
        let mut s = self.state.lock().unwrap();
        s.next += 1;
        let etag = s.next;
        let old = s.objects.get(path);
        match &opts.mode {
            PutMode::Overwrite => {}
            PutMode::Create if old.is_some() => {
                return Err(Error::AlreadyExists {
                    path: path.to_string(),
                    source: "exists".into(),
                });
            }
            PutMode::Create => {}
            PutMode::Update(v) => {
                let current = old.map(|e| format!("\"{}\"", e.etag));
                if current.is_none() || current != v.e_tag {
                    return Err(Error::Precondition {
                        path: path.to_string(),
                        source: "stale".into(),
                    });
                }
            }
        }
        let mut history = old.map(|e| e.history.clone()).unwrap_or_default();
        if let (true, Some(old)) = (self.versioned, old) {
            history.push((old.etag, old.data.clone()));
        }
        let entry = Entry {
            data,
            modified: Utc::now(),
            etag,
            attributes: opts.attributes,
            history,
        };
        s.objects.insert(path.clone(), entry);
        Ok(PutResult {
            e_tag: Some(format!("\"{etag}\"")),
            version: self.versioned.then(|| etag.to_string()),
        })
    }

    fn copy_impl(&self, from: &Path, to: &Path, create: bool) -> Result<()> {
        let e = self.state.lock().unwrap().objects.get(from).cloned();
        let e = e.ok_or_else(|| not_found(from))?;
        let mode = if create {
            PutMode::Create
        } else {
            PutMode::Overwrite
        };
        let opts = PutOptions {
            mode,
            attributes: e.attributes,
            ..Default::default()
        };
        self.write(to, e.data, opts).map(|_| ())
    }
}

#[async_trait]
impl ObjectStore for Reference {
    async fn put_opts(
        &self,
        path: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.write(path, payload.into(), opts)
    }

    async fn put_multipart_opts(
        &self,
        path: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        Ok(Box::new(Upload {
            store: self.clone(),
            path: path.clone(),
            attributes: opts.attributes,
            parts: Arc::new(Mutex::new(BTreeMap::new())),
            next: 0,
        }))
    }

    async fn get_opts(&self, path: &Path, options: GetOptions) -> Result<GetResult> {
        let e = self.state.lock().unwrap().objects.get(path).cloned();
        let e = e.ok_or_else(|| not_found(path))?;
        let mut m = meta(path, &e, self.versioned);
        let mut data = e.data.clone();
        if let Some(v) = &options.version {
            if !self.versioned {
                return Err(Error::NotSupported {
                    source: "no versions".into(),
                });
            }
            if *v != e.etag.to_string() {
                let old = e.history.iter().find(|(t, _)| t.to_string() == *v);
                let (t, d) = old.ok_or_else(|| not_found(path))?;
                data = d.clone();
                m.version = Some(t.to_string());
                m.e_tag = Some(format!("\"{t}\""));
                m.size = d.len() as u64;
            }
        }
        options.check_preconditions(&m)?;
        let range = match &options.range {
            Some(r) => r
                .as_range(m.size)
                .map_err(|e| Error::generic("Reference", e))?,
            None => 0..m.size,
        };
        let chunk = data.slice(range.start as usize..range.end as usize);
        Ok(GetResult {
            payload: GetResultPayload::Stream(futures::stream::iter([Ok(chunk)]).boxed()),
            meta: m,
            range,
            attributes: e.attributes,
        })
    }

    async fn delete(&self, path: &Path) -> Result<()> {
        self.state.lock().unwrap().objects.remove(path);
        Ok(())
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let prefix = prefix.cloned().unwrap_or_default();
        let s = self.state.lock().unwrap();
        let out: Vec<_> = s
            .objects
            .iter()
            .filter(|(k, _)| k.prefix_matches(&prefix) && **k != prefix)
            .map(|(k, e)| Ok(meta(k, e, self.versioned)))
            .collect();
        futures::stream::iter(out).boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let prefix = prefix.cloned().unwrap_or_default();
        let s = self.state.lock().unwrap();
        let mut prefixes = BTreeSet::new();
        let mut objects = vec![];
        for (k, e) in &s.objects {
            let Some(mut rest) = k.prefix_match(&prefix) else {
                continue;
            };
            let Some(first) = rest.next() else { continue };
            if rest.next().is_some() {
                prefixes.insert(prefix.child(first));
            } else {
                objects.push(meta(k, e, self.versioned));
            }
        }
        Ok(ListResult {
            common_prefixes: prefixes.into_iter().collect(),
            objects,
        })
    }

    async fn copy(&self, from: &Path, to: &Path) -> Result<()> {
        self.copy_impl(from, to, false)
    }

    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        self.copy_impl(from, to, true)
    }
}

#[derive(Debug)]
struct Upload {
    store: Reference,
    path: Path,
    attributes: Attributes,
    parts: Arc<Mutex<BTreeMap<usize, Bytes>>>,
    next: usize,
}

#[async_trait]
impl MultipartUpload for Upload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let (parts, idx) = (self.parts.clone(), self.next);
        self.next += 1;
        Box::pin(async move {
            parts.lock().unwrap().insert(idx, data.into());
            Ok(())
        })
    }

    async fn complete(&mut self) -> Result<PutResult> {
        let data: Vec<u8> = self
            .parts
            .lock()
            .unwrap()
            .values()
            .flat_map(|b| b.to_vec())
            .collect();
        let opts = PutOptions {
            attributes: self.attributes.clone(),
            ..Default::default()
        };
        self.store.write(&self.path, data.into(), opts)
    }

    async fn abort(&mut self) -> Result<()> {
        self.parts.lock().unwrap().clear();
        Ok(())
    }
}

#[async_trait]
impl MultipartStore for Reference {
    async fn create_multipart(&self, _path: &Path) -> Result<MultipartId> {
        let mut s = self.state.lock().unwrap();
        s.next += 1;
        let id = format!("upload-{}", s.next);
        s.uploads.insert(id.clone(), BTreeMap::new());
        Ok(id)
    }

    async fn put_part(
        &self,
        _: &Path,
        id: &MultipartId,
        idx: usize,
        data: PutPayload,
    ) -> Result<PartId> {
        let mut s = self.state.lock().unwrap();
        let parts = s
            .uploads
            .get_mut(id)
            .ok_or_else(|| Error::generic("Reference", "no upload"))?;
        parts.insert(idx, data.into());
        Ok(PartId {
            content_id: idx.to_string(),
        })
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult> {
        let uploaded = self.state.lock().unwrap().uploads.remove(id);
        let uploaded = uploaded.ok_or_else(|| Error::generic("Reference", "no upload"))?;
        let mut data = Vec::new();
        for p in parts {
            let idx: usize = p.content_id.parse().unwrap();
            data.extend_from_slice(&uploaded[&idx]);
        }
        self.write(path, data.into(), PutOptions::default())
    }

    async fn abort_multipart(&self, _: &Path, id: &MultipartId) -> Result<()> {
        self.state.lock().unwrap().uploads.remove(id);
        Ok(())
    }
}

conformance_tests!(
    reference,
    || async { Fixture::with_multipart_store(Reference::default()) },
    Capabilities::full().without_get_version("the plain reference store keeps no versions")
);

conformance_tests!(
    reference_versioned,
    sync || Fixture::with_multipart_store(Reference {
        versioned: true,
        ..Default::default()
    }),
    Capabilities::full().with_many_keys(1000)
);

/// A store claiming fewer capabilities than it has must fail the suite: check one case.
#[test]
#[should_panic(expected = "NotImplemented or NotSupported")]
fn overclaimed_unsupported_is_caught() {
    let caps = Capabilities::full().without_put_update("pretend");
    ostore_conformance::__private::block_on(async move {
        ostore_conformance::put_modes(&Reference::default(), &caps).await;
    });
}

/// `DeleteMissing::NotFound` is enforced.
#[test]
#[should_panic(expected = "expected NotFound")]
fn delete_missing_is_enforced() {
    let caps = Capabilities::full().with_delete_missing(DeleteMissing::NotFound);
    ostore_conformance::__private::block_on(async move {
        ostore_conformance::missing_objects(&Reference::default(), &caps).await;
    });
}

/// `run_all` runs every test, each on a fresh store.
#[test]
fn run_all_passes_on_the_reference_store() {
    let caps = Capabilities::full()
        .without_get_version("no versions")
        .with_many_keys(500);
    ostore_conformance::__private::block_on(async move {
        let factory = || async { Fixture::with_multipart_store(Reference::default()) };
        ostore_conformance::run_all(factory, &caps).await;
    });
}
