//! S3 workloads: ostore's `AmazonS3` and object_store's `aws::AmazonS3` on the same S3
//! server and bucket (SeaweedFS, found through `OSTORE_S3_SEAWEEDFS_URL`).
//!
//! Each side works under its own prefix of the bucket `ostore-bench`. Every round runs, for
//! each side in turn: a multipart upload of the big object, a streamed GET of it (which
//! checks what the upload stored), the small PUTs and GETs at each concurrency, and a
//! listing of the small objects; the server is given time to settle after each write.
//! Both sides sign the SHA-256 of payloads (their default). Everything the sides wrote is
//! deleted at the end.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::http::{CONCURRENCIES, Fingerprint, SMALL_SIZE, Samples, cpu_time, median_rate};
use crate::workloads::{BoxResult, human_size};
use crate::{format_duration, median, pattern};

/// The variable holding the endpoint of the SeaweedFS S3 server.
pub(crate) const URL_VAR: &str = "OSTORE_S3_SEAWEEDFS_URL";

/// The bucket the benchmarks use (`cargo xtask emulators start` creates it).
const BUCKET: &str = "ostore-bench";

/// The region, access key and secret key the emulators accept.
const REGION: &str = "us-east-1";
const ACCESS_KEY_ID: &str = "AKIDTEST";
const SECRET_ACCESS_KEY: &str = "SECRETTEST";

/// Size of each part of the multipart upload.
const PART_SIZE: usize = 16 << 20;

/// How many parts of the multipart upload are in flight at most.
const PARTS_IN_FLIGHT: usize = 4;

/// The pause after each write measurement, once the server's data is flushed.
const SETTLE: Duration = Duration::from_millis(500);

/// Sizes of the S3 workloads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    big: usize,
    small_count: usize,
}

impl Sizes {
    /// 1 GiB and 10 000 objects, or 256 MiB and 2 000 with `--quick`.
    pub(crate) fn new(quick: bool) -> Self {
        if quick {
            Self {
                big: 256 << 20,
                small_count: 2_000,
            }
        } else {
            Self {
                big: 1 << 30,
                small_count: 10_000,
            }
        }
    }

    /// The measurements of a round, in the order they run.
    fn measures(self) -> Vec<Measure> {
        let mut all = vec![Measure::Multipart, Measure::GetBig];
        all.extend(CONCURRENCIES.map(Measure::Put));
        all.extend(CONCURRENCIES.map(Measure::Get));
        all.push(Measure::List);
        all
    }

    /// The name of measurement `measure` in the report.
    fn name(self, measure: Measure) -> String {
        let small = |op: &str, c: usize| {
            format!(
                "s3 {op} {} × {}, c={c}",
                human_size(SMALL_SIZE),
                self.small_count
            )
        };
        match measure {
            Measure::Multipart => format!(
                "s3 multipart put {} ({} parts, {PARTS_IN_FLIGHT} in flight)",
                human_size(self.big),
                human_size(PART_SIZE)
            ),
            Measure::GetBig => format!("s3 get {}", human_size(self.big)),
            Measure::Put(c) => small("put", c),
            Measure::Get(c) => small("get", c),
            Measure::List => format!("s3 list {} keys", self.small_count),
        }
    }

    /// The names of the timed measurements.
    pub(crate) fn rows(self) -> Vec<String> {
        self.measures().into_iter().map(|m| self.name(m)).collect()
    }
}

/// One timed measurement of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measure {
    /// The big object, uploaded with `WriteMultipart` in [`PART_SIZE`] parts.
    Multipart,
    /// The big object, streamed and fingerprinted.
    GetBig,
    /// The small objects PUT by this many tasks.
    Put(usize),
    /// The small objects read back by this many tasks.
    Get(usize),
    /// A `list` of the prefix holding the small objects.
    List,
}

/// What the sides write and what they must read back.
pub(crate) struct Data {
    big: Bytes,
    expected: Fingerprint,
    small: Bytes,
    small_count: usize,
}

/// Wall and CPU time (of this whole process) since it started.
struct Timer {
    start: Instant,
    cpu: Duration,
}

impl Timer {
    fn start() -> Self {
        Self {
            cpu: cpu_time(libc::RUSAGE_SELF),
            start: Instant::now(),
        }
    }

    fn stop(self) -> (Duration, Duration) {
        let elapsed = self.start.elapsed();
        (
            elapsed,
            cpu_time(libc::RUSAGE_SELF).saturating_sub(self.cpu),
        )
    }
}

/// Expands, for one crate, the code one side runs.
macro_rules! s3_side {
    ($(#[$attr:meta])* $module:ident, $krate:ident, build: $build:expr $(,)?) => {
        $(#[$attr])*
        pub(crate) mod $module {
            use super::{Data, Fingerprint, Measure, PART_SIZE, PARTS_IN_FLIGHT, SMALL_SIZE, Timer};
            use crate::workloads::{BoxResult, check, for_each_parallel};
            use futures::{StreamExt, TryStreamExt};
            use std::sync::Arc;
            use std::time::Duration;
            use $krate::{ObjectMeta, ObjectStore, PutPayload, WriteMultipart, path::Path};

            /// One side's store and the prefix its objects live under.
            pub(crate) struct Side {
                store: Arc<dyn ObjectStore>,
                prefix: String,
            }

            impl Side {
                /// A store on the bucket at `url`, with objects under `prefix`.
                pub(crate) fn new(url: &str, prefix: &str) -> BoxResult<Self> {
                    let store: Arc<dyn ObjectStore> = Arc::new(($build)(url)?);
                    Ok(Self { store, prefix: prefix.to_owned() })
                }

                fn big_path(&self) -> Path {
                    Path::from(format!("{}/big", self.prefix))
                }

                fn small_prefix(&self) -> Path {
                    Path::from(format!("{}/small", self.prefix))
                }

                fn small_paths(&self, count: usize) -> Arc<[Path]> {
                    (0..count).map(|i| Path::from(format!("{}/small/o{i:05}", self.prefix))).collect()
                }

                /// Runs `measure` once and checks its result; returns its wall and CPU time.
                pub(crate) async fn run(&self, measure: Measure, data: &Data) -> BoxResult<(Duration, Duration)> {
                    match measure {
                        Measure::Multipart => self.multipart(data).await,
                        Measure::GetBig => self.get_big(data.expected).await,
                        Measure::Put(c) => self.put_small(data, c).await,
                        Measure::Get(c) => self.get_small(data, c).await,
                        Measure::List => self.list(data.small_count).await,
                    }
                }

                /// Uploads the big object in parts with at most [`PARTS_IN_FLIGHT`] in
                /// flight, then checks its size.
                async fn multipart(&self, data: &Data) -> BoxResult<(Duration, Duration)> {
                    let path = self.big_path();
                    let timer = Timer::start();
                    let upload = self.store.put_multipart(&path).await?;
                    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
                    let mut rest = data.big.clone();
                    while !rest.is_empty() {
                        writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                        writer.put(rest.split_to(rest.len().min(PART_SIZE)));
                    }
                    writer.finish().await?;
                    let times = timer.stop();
                    let size = self.store.head(&path).await?.size;
                    check(size == data.big.len() as u64, || {
                        format!("multipart upload stored {size} bytes, not {}", data.big.len())
                    })?;
                    Ok(times)
                }

                /// GETs the big object, streaming it through a fingerprint.
                async fn get_big(&self, expected: Fingerprint) -> BoxResult<(Duration, Duration)> {
                    let timer = Timer::start();
                    let mut fingerprint = Fingerprint::default();
                    let mut body = self.store.get(&self.big_path()).await?.into_stream();
                    while let Some(chunk) = body.try_next().await? {
                        fingerprint.update(&chunk);
                    }
                    let times = timer.stop();
                    check(fingerprint == expected, || {
                        format!("big GET: got {fingerprint:?}, expected {expected:?}")
                    })?;
                    Ok(times)
                }

                /// PUTs the small objects with `concurrency` tasks.
                async fn put_small(&self, data: &Data, concurrency: usize) -> BoxResult<(Duration, Duration)> {
                    let paths = self.small_paths(data.small_count);
                    let (store, small) = (Arc::clone(&self.store), data.small.clone());
                    let timer = Timer::start();
                    for_each_parallel(data.small_count, concurrency, move |i| {
                        let (store, paths) = (Arc::clone(&store), Arc::clone(&paths));
                        let payload = PutPayload::from(small.clone());
                        async move {
                            store.put(&paths[i], payload).await?;
                            Ok(())
                        }
                    })
                    .await?;
                    Ok(timer.stop())
                }

                /// GETs the small objects with `concurrency` tasks, checking each body.
                async fn get_small(&self, data: &Data, concurrency: usize) -> BoxResult<(Duration, Duration)> {
                    let paths = self.small_paths(data.small_count);
                    let (store, small) = (Arc::clone(&self.store), data.small.clone());
                    let timer = Timer::start();
                    for_each_parallel(data.small_count, concurrency, move |i| {
                        let (store, paths, small) = (Arc::clone(&store), Arc::clone(&paths), small.clone());
                        async move {
                            let bytes = store.get(&paths[i]).await?.bytes().await?;
                            check(bytes == small, || {
                                format!("GET {}: {} bytes, not the {SMALL_SIZE} written", paths[i], bytes.len())
                            })
                        }
                    })
                    .await?;
                    Ok(timer.stop())
                }

                /// Lists the prefix of the small objects and checks that all are there.
                async fn list(&self, count: usize) -> BoxResult<(Duration, Duration)> {
                    let prefix = self.small_prefix();
                    let timer = Timer::start();
                    let listed: Vec<ObjectMeta> = self.store.list(Some(&prefix)).try_collect().await?;
                    let times = timer.stop();
                    check(
                        listed.len() == count && listed.iter().all(|m| m.size == SMALL_SIZE as u64),
                        || format!("list {prefix}: {} objects, expected {count} of {SMALL_SIZE} bytes", listed.len()),
                    )?;
                    Ok(times)
                }

                /// Deletes every object under the side's prefix; returns how many.
                pub(crate) async fn delete_all(&self) -> BoxResult<usize> {
                    let prefix = Path::from(self.prefix.as_str());
                    let locations = self.store.list(Some(&prefix)).map_ok(|meta| meta.location).boxed();
                    let deleted: Vec<Path> = self.store.delete_stream(locations).try_collect().await?;
                    Ok(deleted.len())
                }
            }
        }
    };
}

s3_side!(
    /// ostore's `AmazonS3`.
    ours,
    ostore_core,
    build: |url: &str| ostore_aws::AmazonS3Builder::new()
        .with_endpoint(url)
        .with_bucket_name(super::BUCKET)
        .with_region(super::REGION)
        .with_access_key_id(super::ACCESS_KEY_ID)
        .with_secret_access_key(super::SECRET_ACCESS_KEY)
        .with_allow_http(true)
        .build(),
);

s3_side!(
    /// object_store's `aws::AmazonS3`, path-style like ours with an endpoint.
    theirs,
    object_store,
    build: |url: &str| object_store::aws::AmazonS3Builder::new()
        .with_endpoint(url)
        .with_bucket_name(super::BUCKET)
        .with_region(super::REGION)
        .with_access_key_id(super::ACCESS_KEY_ID)
        .with_secret_access_key(super::SECRET_ACCESS_KEY)
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .build(),
);

/// Which store runs a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runner {
    Ours,
    Theirs,
}

/// Runs the S3 workloads against the server at `url` and returns their report section.
pub(crate) async fn run(url: &str, quick: bool, rounds: usize) -> BoxResult<String> {
    let url = url.trim_end_matches('/').to_owned();
    let sizes = Sizes::new(quick);
    let unique = format!(
        "bench-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    let ours = ours::Side::new(&url, &format!("{unique}-ostore"))?;
    let theirs = theirs::Side::new(&url, &format!("{unique}-object_store"))?;
    let big = pattern(sizes.big);
    let data = Data {
        expected: Fingerprint::of(&big),
        // Not a prefix of the big object, so that a small GET answered with the wrong
        // object's first bytes fails.
        small: big.slice(SMALL_SIZE + 1..2 * SMALL_SIZE + 1),
        big,
        small_count: sizes.small_count,
    };
    // One LIST first (the prefix is new, so nothing is deleted): a missing server or bucket
    // fails here, before anything is written.
    ours.delete_all().await.map_err(|e| {
        format!("the S3 server at {url} does not answer a list of bucket {BUCKET}: {e}")
    })?;
    let start = Instant::now();
    let samples = measure(&ours, &theirs, sizes, &data, rounds).await;
    let elapsed = start.elapsed();

    // Clean up whatever happened.
    for (name, deleted) in [
        ("ostore", ours.delete_all().await),
        ("object_store", theirs.delete_all().await),
    ] {
        match deleted {
            Ok(n) => eprintln!("==> s3: deleted the {n} objects {name} wrote"),
            Err(e) => eprintln!("ostore-bench: s3: could not delete what {name} wrote: {e}"),
        }
    }
    let samples = samples.map_err(|e| format!("on the S3 server at {url}: {e}"))?;
    eprintln!(
        "==> s3: {} rounds in {}",
        rounds + 1,
        format_duration(elapsed)
    );
    Ok(report(&url, sizes, &samples, elapsed))
}

/// The interleaved rounds; returns the samples per measurement, ostore's then
/// object_store's.
async fn measure(
    ours: &ours::Side,
    theirs: &theirs::Side,
    sizes: Sizes,
    data: &Data,
    rounds: usize,
) -> BoxResult<Vec<[Samples; 2]>> {
    let measures = sizes.measures();
    let mut samples: Vec<[Samples; 2]> = measures.iter().map(|_| Default::default()).collect();
    // Round 0 warms up (connections, the server's caches) and writes the objects the
    // later measurements read; it is not recorded.
    for round in 0..=rounds {
        // Alternate which side goes first, so that neither always runs on a warmer machine.
        let order = if round % 2 == 0 {
            [Runner::Ours, Runner::Theirs]
        } else {
            [Runner::Theirs, Runner::Ours]
        };
        for (&m, cells) in measures.iter().zip(&mut samples) {
            for runner in order {
                let (time, cpu) = match runner {
                    Runner::Ours => ours.run(m, data).await,
                    Runner::Theirs => theirs.run(m, data).await,
                }
                .map_err(|e| format!("{runner:?} on `{}`: {e}", sizes.name(m)))?;
                eprintln!(
                    "round {round}/{rounds} {:<6} {:<55} {}{}",
                    format!("{runner:?}"),
                    sizes.name(m),
                    format_duration(time),
                    if round == 0 { " (warm-up)" } else { "" }
                );
                if matches!(m, Measure::Multipart | Measure::Put(_)) {
                    settle().await;
                }
                if round > 0 {
                    let cell = &mut cells[runner as usize];
                    cell.time.push(time);
                    cell.cpu.push(cpu);
                }
            }
        }
    }
    Ok(samples)
}

/// Lets the server finish writing before the next measurement (untimed): flushes the
/// dirty pages of what it stored, then leaves it a moment for its own background work.
/// Without this, whichever side runs right after a write is measured while the server is
/// still busy with the other side's data.
async fn settle() {
    let _ = std::process::Command::new("sync").status();
    tokio::time::sleep(SETTLE).await;
}

/// The S3 section of the report.
fn report(url: &str, sizes: Sizes, samples: &[[Samples; 2]], elapsed: Duration) -> String {
    let mut out = format!(
        "\n### S3: SeaweedFS at {url}, bucket {BUCKET}\n\n\
         - both stores path-style, payload SHA-256 signed (both defaults), the same \
         `WriteMultipart` part size and parts in flight\n\
         - after each write measurement, untimed: `sync` and a {SETTLE:?} pause, so that \
         the next one does not pay for the server's flushing\n\
         - cells: median time; CPU: median CPU time of this process (the server's not \
         counted); ratio = object_store / ostore (> 1: ostore is faster or cheaper)\n\
         - the section took {} ({} rounds per side with the warm-up)\n\n\
         | workload | ostore | object_store | ratio | ostore CPU | object_store CPU | CPU ratio |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        format_duration(elapsed),
        samples.first().map_or(0, |s| s[0].time.len() + 1),
    );
    let ratio = |ours: &[Duration], theirs: &[Duration]| {
        let (o, t) = (median(ours), median(theirs));
        t.as_secs_f64() / o.as_secs_f64().max(f64::MIN_POSITIVE)
    };
    let measures = sizes.measures();
    for (&m, [ours, theirs]) in measures.iter().zip(samples) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} | {} | {} | {:.2} |",
            sizes.name(m),
            format_duration(median(&ours.time)),
            format_duration(median(&theirs.time)),
            ratio(&ours.time, &theirs.time),
            format_duration(median(&ours.cpu)),
            format_duration(median(&theirs.cpu)),
            ratio(&ours.cpu, &theirs.cpu),
        );
    }
    // Rates of the big transfers: MiB per second of wall time and per CPU-second.
    let _ = writeln!(
        out,
        "\n| big transfer | rate | ostore | object_store | ratio |\n|---|---|---:|---:|---:|"
    );
    let show = |r: Option<f64>| r.map_or("n/a".to_owned(), |r| format!("{r:.0}"));
    for (&m, [ours, theirs]) in measures.iter().zip(samples) {
        if !matches!(m, Measure::Multipart | Measure::GetBig) {
            continue;
        }
        for (label, o, t) in [
            ("MiB/s", &ours.time, &theirs.time),
            ("MiB per CPU-second", &ours.cpu, &theirs.cpu),
        ] {
            let (o, t) = (median_rate(sizes.big, o), median_rate(sizes.big, t));
            let ratio = match (o, t) {
                (Some(o), Some(t)) => format!("{:.2}", o / t.max(f64::MIN_POSITIVE)),
                _ => "n/a".to_owned(),
            };
            let _ = writeln!(
                out,
                "| {} | {label} | {} | {} | {ratio} |",
                sizes.name(m),
                show(o),
                show(t)
            );
        }
    }
    out
}
