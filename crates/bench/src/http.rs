//! HTTP workloads: ostore's `HttpStore` and object_store's against the same local WebDAV
//! server (Apache `mod_dav_fs`, found through `OSTORE_WEBDAV_APACHE_URL`), with `curl` on the
//! same URLs as a ceiling.
//!
//! Objects are written once per side, untimed, each side under its own collection; the
//! rounds then time only GETs, interleaved with a rotating order, and the collections are
//! deleted at the end.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::workloads::{BoxResult, check};
use crate::{format_duration, median, pattern};

/// The variable holding the base URL of the Apache WebDAV server.
pub(crate) const URL_VAR: &str = "OSTORE_WEBDAV_APACHE_URL";

/// Size of each small object (the S3 rows use it too).
pub(crate) const SMALL_SIZE: usize = 4096;

/// The concurrencies of the small GETs (and of the S3 rows' small PUTs).
pub(crate) const CONCURRENCIES: [usize; 3] = [1, 16, 64];

/// Distance between the bytes the body fingerprint samples (a prime, so that it does not
/// line up with chunk or pattern boundaries).
const SAMPLE_STRIDE: u64 = 4093;

/// Sizes of the HTTP workloads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    big: usize,
    small_count: usize,
}

impl Sizes {
    /// 1 GiB and 10 000 objects, or 64 MiB and 1 000 with `--quick`.
    pub(crate) fn new(quick: bool) -> Self {
        if quick {
            Self {
                big: 64 << 20,
                small_count: 1_000,
            }
        } else {
            Self {
                big: 1 << 30,
                small_count: 10_000,
            }
        }
    }

    /// The names of the timed measurements: the big GET, then one per concurrency.
    pub(crate) fn rows(&self) -> Vec<String> {
        let mut rows = vec![format!(
            "http get {}",
            crate::workloads::human_size(self.big)
        )];
        rows.extend(CONCURRENCIES.iter().map(|c| {
            format!(
                "http get {} × {}, c={c}",
                crate::workloads::human_size(SMALL_SIZE),
                self.small_count
            )
        }));
        rows
    }
}

/// Length and sampled bytes of a body: a cheap check that a GET returned the right data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    len: u64,
    sum: u64,
}

impl Fingerprint {
    /// Adds the next `chunk` of the body.
    pub(crate) fn update(&mut self, chunk: &[u8]) {
        let first = (SAMPLE_STRIDE - self.len % SAMPLE_STRIDE) % SAMPLE_STRIDE;
        for offset in (first as usize..chunk.len()).step_by(SAMPLE_STRIDE as usize) {
            let at = self.len + offset as u64;
            self.sum = self
                .sum
                .wrapping_mul(0x100_0000_01B3)
                .wrapping_add(at ^ u64::from(chunk[offset]));
        }
        self.len += chunk.len() as u64;
    }

    /// The fingerprint of the whole of `data`.
    pub(crate) fn of(data: &[u8]) -> Self {
        let mut fingerprint = Self::default();
        fingerprint.update(data);
        fingerprint
    }
}

/// User plus system CPU time of this process (`RUSAGE_SELF`) or of its waited-for
/// children (`RUSAGE_CHILDREN`).
pub(crate) fn cpu_time(who: libc::c_int) -> Duration {
    // SAFETY: `getrusage` only writes the struct we pass, which is plain data.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; `who` is one of the two constants the callers pass.
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Expands, for one crate, the code that writes and reads the objects of one side.
macro_rules! http_side {
    ($(#[$attr:meta])* $module:ident, $krate:ident, build: $build:expr $(,)?) => {
        $(#[$attr])*
        pub(crate) mod $module {
            use super::{Fingerprint, SMALL_SIZE, cpu_time};
            use crate::workloads::{BoxResult, check, for_each_parallel};
            use bytes::Bytes;
            use futures::{StreamExt, TryStreamExt};
            use std::sync::Arc;
            use std::time::{Duration, Instant};
            use $krate::{ObjectStore, PutPayload, path::Path};

            /// One side's store and the collection its objects live in.
            pub(crate) struct Side {
                store: Arc<dyn ObjectStore>,
                prefix: String,
            }

            impl Side {
                /// A store on `url`, with objects under `prefix`.
                pub(crate) fn new(url: &str, prefix: &str) -> BoxResult<Self> {
                    let store: Arc<dyn ObjectStore> = Arc::new(($build)(url)?);
                    Ok(Self { store, prefix: prefix.to_owned() })
                }

                fn big_path(&self) -> Path {
                    Path::from(super::big_path(&self.prefix))
                }

                /// Writes the big object and `count` small ones (untimed).
                pub(crate) async fn write(&self, big: Bytes, small: Bytes, count: usize) -> BoxResult<()> {
                    self.store.put(&self.big_path(), PutPayload::from(big)).await?;
                    // The first object alone: object_store fails when two PUTs race to
                    // create the parent collection (MKCOL answers 405 to the loser).
                    let first = Path::from(super::small_path(&self.prefix, 0));
                    self.store.put(&first, PutPayload::from(small.clone())).await?;
                    let (store, prefix) = (Arc::clone(&self.store), self.prefix.clone());
                    for_each_parallel(count.saturating_sub(1), 16, move |i| {
                        let i = i + 1;
                        let store = Arc::clone(&store);
                        let path = Path::from(super::small_path(&prefix, i));
                        let payload = PutPayload::from(small.clone());
                        async move {
                            store.put(&path, payload).await?;
                            Ok(())
                        }
                    })
                    .await
                }

                /// GETs the big object, streaming it through a fingerprint; returns the
                /// elapsed time and this process's CPU time.
                pub(crate) async fn get_big(&self, expected: Fingerprint) -> BoxResult<(Duration, Duration)> {
                    let cpu = cpu_time(libc::RUSAGE_SELF);
                    let start = Instant::now();
                    let mut fingerprint = Fingerprint::default();
                    let mut body = self.store.get(&self.big_path()).await?.into_stream();
                    while let Some(chunk) = body.try_next().await? {
                        fingerprint.update(&chunk);
                    }
                    let elapsed = start.elapsed();
                    let cpu = cpu_time(libc::RUSAGE_SELF).saturating_sub(cpu);
                    check(fingerprint == expected, || {
                        format!("big GET: got {fingerprint:?}, expected {expected:?}")
                    })?;
                    Ok((elapsed, cpu))
                }

                /// GETs the `count` small objects with `concurrency` tasks.
                pub(crate) async fn get_small(&self, count: usize, concurrency: usize) -> BoxResult<Duration> {
                    let paths: Arc<[Path]> =
                        (0..count).map(|i| Path::from(super::small_path(&self.prefix, i))).collect();
                    let store = Arc::clone(&self.store);
                    let start = Instant::now();
                    for_each_parallel(count, concurrency, move |i| {
                        let (store, paths) = (Arc::clone(&store), Arc::clone(&paths));
                        async move {
                            let bytes = store.get(&paths[i]).await?.bytes().await?;
                            check(bytes.len() == SMALL_SIZE, || {
                                format!("GET {} returned {} bytes, not {SMALL_SIZE}", paths[i], bytes.len())
                            })
                        }
                    })
                    .await?;
                    Ok(start.elapsed())
                }

                /// Deletes every object of the side through the store (used when `curl`,
                /// which deletes the whole collection at once, is missing).
                pub(crate) async fn delete_all(&self) -> BoxResult<()> {
                    let prefix = Path::from(self.prefix.as_str());
                    let locations = self.store.list(Some(&prefix)).map_ok(|meta| meta.location).boxed();
                    self.store.delete_stream(locations).try_collect::<Vec<_>>().await?;
                    Ok(())
                }
            }
        }
    };
}

http_side!(
    /// ostore's `HttpStore`.
    ours,
    ostore_core,
    build: |url: &str| ostore_http::HttpBuilder::new()
        .with_url(url)
        .with_client_options(ostore_http::ClientOptions::new().with_allow_http(true))
        .build(),
);

http_side!(
    /// object_store's `http::HttpStore`.
    theirs,
    object_store,
    build: |url: &str| object_store::http::HttpBuilder::new()
        .with_url(url)
        .with_client_options(object_store::ClientOptions::new().with_allow_http(true))
        .build(),
);

fn big_path(prefix: &str) -> String {
    format!("{prefix}/big")
}

fn small_path(prefix: &str, i: usize) -> String {
    format!("{prefix}/small/o{i:05}")
}

/// Who runs a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runner {
    Ours,
    Theirs,
    Curl,
}

/// The samples of one measurement: wall time, and CPU time where it is measured.
#[derive(Debug, Default)]
pub(crate) struct Samples {
    /// Wall time of each round.
    pub(crate) time: Vec<Duration>,
    /// CPU time of this process (or of curl) in each round.
    pub(crate) cpu: Vec<Duration>,
}

/// `curl` on the objects ostore wrote (the bytes are the same on both sides).
struct Curl {
    base: String,
    prefix: String,
    list: std::path::PathBuf,
}

impl Curl {
    /// `curl -s -o /dev/null -w '%{time_total}'` on the big object: the time curl reports
    /// and the CPU time of the curl process.
    fn get_big(&self, size: usize) -> BoxResult<(Duration, Duration)> {
        let cpu = cpu_time(libc::RUSAGE_CHILDREN);
        let output = Command::new("curl")
            .args([
                "-s",
                "-f",
                "-o",
                "/dev/null",
                "-w",
                "%{time_total} %{size_download}",
            ])
            .arg(format!("{}/{}", self.base, big_path(&self.prefix)))
            .stderr(Stdio::inherit())
            .output()?;
        let cpu = cpu_time(libc::RUSAGE_CHILDREN).saturating_sub(cpu);
        check(output.status.success(), || {
            format!("curl big GET: {}", output.status)
        })?;
        let text = String::from_utf8_lossy(&output.stdout);
        let mut words = text.split_whitespace();
        let time: f64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(-1.0);
        let downloaded: Option<usize> = words.next().and_then(|w| w.parse().ok());
        check(time >= 0.0 && downloaded == Some(size), || {
            format!("curl big GET printed `{text}`, expected a time and {size} bytes")
        })?;
        Ok((Duration::from_secs_f64(time), cpu))
    }

    /// `curl --parallel --parallel-max N -K list` on the small objects, the whole process
    /// timed.
    fn get_small(&self, count: usize, concurrency: usize) -> BoxResult<Duration> {
        let start = Instant::now();
        let output = Command::new("curl")
            .args([
                "-s",
                "-f",
                "--no-progress-meter",
                "-w",
                "%{size_download}\\n",
                "--parallel",
                "--parallel-max",
            ])
            .arg(concurrency.to_string())
            .arg("-K")
            .arg(&self.list)
            .stderr(Stdio::inherit())
            .output()?;
        let elapsed = start.elapsed();
        check(output.status.success(), || {
            format!("curl small GETs: {}", output.status)
        })?;
        let text = String::from_utf8_lossy(&output.stdout);
        let sizes: Vec<&str> = text.lines().collect();
        let expected = SMALL_SIZE.to_string();
        check(
            sizes.len() == count && sizes.iter().all(|s| *s == expected),
            || {
                format!(
                    "curl small GETs: {} transfers, sizes not all {SMALL_SIZE}",
                    sizes.len()
                )
            },
        )?;
        Ok(elapsed)
    }
}

/// Whether `curl` is on the PATH.
fn curl_available() -> bool {
    Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the HTTP workloads against `base` and returns their report section.
pub(crate) async fn run(base: &str, quick: bool, rounds: usize, tmp: &Path) -> BoxResult<String> {
    let base = base.trim_end_matches('/').to_owned();
    let sizes = Sizes::new(quick);
    let names = sizes.rows();
    let unique = format!(
        "bench-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    let ours = ours::Side::new(&base, &format!("{unique}-ostore"))?;
    let theirs = theirs::Side::new(&base, &format!("{unique}-object_store"))?;
    let curl = if curl_available() {
        std::fs::create_dir_all(tmp)?;
        let prefix = format!("{unique}-ostore");
        let list = tmp.join("curl-small.txt");
        let mut text = String::new();
        for i in 0..sizes.small_count {
            let _ = writeln!(
                text,
                "url = \"{base}/{}\"\noutput = \"/dev/null\"",
                small_path(&prefix, i)
            );
        }
        std::fs::write(&list, text)?;
        Some(Curl {
            base: base.clone(),
            prefix,
            list,
        })
    } else {
        eprintln!("ostore-bench: curl not found: the curl column is not run");
        None
    };

    eprintln!(
        "==> http: writing {} and {} × {} per side (untimed)",
        crate::workloads::human_size(sizes.big),
        sizes.small_count,
        crate::workloads::human_size(SMALL_SIZE)
    );
    let big = pattern(sizes.big);
    let expected = Fingerprint::of(&big);
    let small = big.slice(..SMALL_SIZE);
    let result = async {
        ours.write(big.clone(), small.clone(), sizes.small_count)
            .await
            .map_err(|e| format!("ostore writing: {e}"))?;
        theirs
            .write(big, small, sizes.small_count)
            .await
            .map_err(|e| format!("object_store writing: {e}"))?;
        measure(
            &ours,
            &theirs,
            curl.as_ref(),
            sizes,
            expected,
            rounds,
            &names,
        )
        .await
    }
    .await;

    // Clean up whatever happened: one DELETE per collection with curl, else per object.
    for (prefix, name) in [
        (format!("{unique}-ostore"), "ostore"),
        (format!("{unique}-object_store"), "object_store"),
    ] {
        let deleted = if curl.is_some() {
            Command::new("curl")
                .args(["-s", "-f", "-o", "/dev/null", "-X", "DELETE"])
                .arg(format!("{base}/{prefix}/"))
                .status()
                .map_err(|e| e.to_string())
                .and_then(|s| s.success().then_some(()).ok_or(s.to_string()))
        } else if name == "ostore" {
            ours.delete_all().await.map_err(|e| e.to_string())
        } else {
            theirs.delete_all().await.map_err(|e| e.to_string())
        };
        if let Err(e) = deleted {
            eprintln!("ostore-bench: could not delete {base}/{prefix}/: {e}");
        }
    }
    let samples = result?;
    Ok(report(&base, sizes, &names, &samples))
}

/// The interleaved rounds; returns the samples per measurement and runner.
async fn measure(
    ours: &ours::Side,
    theirs: &theirs::Side,
    curl: Option<&Curl>,
    sizes: Sizes,
    expected: Fingerprint,
    rounds: usize,
    names: &[String],
) -> BoxResult<Vec<[Samples; 3]>> {
    let mut samples: Vec<[Samples; 3]> = names.iter().map(|_| Default::default()).collect();
    let runners = [Runner::Ours, Runner::Theirs, Runner::Curl];
    // Round 0 warms up (connections, page cache) and is not recorded.
    for round in 0..=rounds {
        // Rotate who goes first, so that none always runs on a warmer machine.
        let order: Vec<Runner> = (0..3).map(|k| runners[(round + k) % 3]).collect();
        for (m, name) in names.iter().enumerate() {
            for &runner in &order {
                let (time, cpu) = match (runner, m) {
                    (Runner::Ours, 0) => ours.get_big(expected).await?,
                    (Runner::Theirs, 0) => theirs.get_big(expected).await?,
                    (Runner::Curl, 0) => match curl {
                        Some(curl) => curl.get_big(sizes.big)?,
                        None => continue,
                    },
                    (runner, m) => {
                        let (count, c) = (sizes.small_count, CONCURRENCIES[m - 1]);
                        let time = match runner {
                            Runner::Ours => ours.get_small(count, c).await?,
                            Runner::Theirs => theirs.get_small(count, c).await?,
                            Runner::Curl => match curl {
                                Some(curl) => curl.get_small(count, c)?,
                                None => continue,
                            },
                        };
                        (time, Duration::ZERO)
                    }
                };
                if round == 0 {
                    continue;
                }
                eprintln!(
                    "round {round}/{rounds} {:<6} {name:<40} {}",
                    format!("{runner:?}"),
                    format_duration(time)
                );
                let cell = &mut samples[m][runner as usize];
                cell.time.push(time);
                cell.cpu.push(cpu);
            }
        }
    }
    Ok(samples)
}

/// The HTTP section of the report.
fn report(base: &str, sizes: Sizes, names: &[String], samples: &[[Samples; 3]]) -> String {
    let mut out = format!(
        "\n### HTTP: Apache mod_dav_fs at {base}, curl as a ceiling\n\n\
         - cells: median time (rates: median of the per-round rates); ratio = object_store / \
         ostore on times, ostore / object_store on rates (> 1: ostore is better)\n\
         - curl: `%{{time_total}}` for the big GET, the whole process for the small GETs; \
         its CPU rate counts the curl process\n\n\
         | workload | ostore | object_store | ratio | curl |\n|---|---:|---:|---:|---:|\n"
    );
    let cell = |s: &Samples| {
        if s.time.is_empty() {
            "n/a".to_owned()
        } else {
            format_duration(median(&s.time))
        }
    };
    for (name, [ours, theirs, curl]) in names.iter().zip(samples) {
        let (o, t) = (median(&ours.time), median(&theirs.time));
        let ratio = t.as_secs_f64() / o.as_secs_f64().max(f64::MIN_POSITIVE);
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {ratio:.2} | {} |",
            cell(ours),
            cell(theirs),
            cell(curl)
        );
    }
    // Rates of the big GET: MiB per second of wall time and per CPU-second.
    let rate = |durations: &[Duration]| median_rate(sizes.big, durations);
    let show = |r: Option<f64>| r.map_or("n/a".to_owned(), |r| format!("{r:.0}"));
    let [ours, theirs, curl] = &samples[0];
    for (label, pick) in [
        (
            "MiB/s",
            (|s: &Samples| s.time.clone()) as fn(&Samples) -> Vec<Duration>,
        ),
        ("MiB per CPU-second", |s: &Samples| s.cpu.clone()),
    ] {
        let (o, t, c) = (rate(&pick(ours)), rate(&pick(theirs)), rate(&pick(curl)));
        let ratio = match (o, t) {
            (Some(o), Some(t)) => format!("{:.2}", o / t.max(f64::MIN_POSITIVE)),
            _ => "n/a".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {}, {label} | {} | {} | {ratio} | {} |",
            names[0],
            show(o),
            show(t),
            show(c)
        );
    }
    out
}

/// The median over `durations` of the rate of moving `bytes` in each, in MiB per second;
/// `None` without samples.
pub(crate) fn median_rate(bytes: usize, durations: &[Duration]) -> Option<f64> {
    let mib = bytes as f64 / f64::from(1 << 20);
    let mut rates: Vec<f64> = durations
        .iter()
        .map(|d| mib / d.as_secs_f64().max(1e-9))
        .collect();
    rates.sort_by(f64::total_cmp);
    match rates.len() {
        0 => None,
        n if n % 2 == 1 => Some(rates[n / 2]),
        n => Some((rates[n / 2 - 1] + rates[n / 2]) / 2.0),
    }
}
