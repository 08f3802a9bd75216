//! Benchmarks of ostore against the `object_store` crate on the same workloads.
//!
//! Both sides run in one process, interleaved round by round (the side that goes first
//! alternates), and the report gives the median time of each side per measurement and the
//! ratio `object_store / ostore`: above 1 means ostore is faster.
//!
//! The HTTP rows (ostore's `HttpStore` vs object_store's, with `curl` as a ceiling) run
//! against the Apache WebDAV server named by `OSTORE_WEBDAV_APACHE_URL`, which
//! `cargo xtask bench` starts. The S3 rows (ostore's `AmazonS3` vs object_store's) run
//! against the SeaweedFS server named by `OSTORE_S3_SEAWEEDFS_URL`, which it starts too.
//!
//! Run it with `cargo xtask bench [--quick]`; `--help` lists the options.

mod http;
mod s3;
mod workloads;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use workloads::{Backend, BoxResult, Workload};

const USAGE: &str = "\
Usage: ostore-bench [--quick] [--rounds N] [--filter TEXT]

  --quick        About a tenth of the sizes and counts: a smoke run.
  --rounds N     Measured rounds per side (default 5), after one warm-up round.
  --filter TEXT  Only the workloads whose name contains TEXT (`http` for the HTTP rows,
                 `s3` for the S3 rows).

The HTTP rows run when OSTORE_WEBDAV_APACHE_URL is set. The S3 rows need
OSTORE_S3_SEAWEEDFS_URL (with --quick: 256 MiB and 2 000 objects instead of 1 GiB and
10 000); without it the run fails unless --filter leaves them out. `cargo xtask bench`
starts both servers and sets both variables.
";

/// The command line options.
#[derive(Debug)]
struct Options {
    quick: bool,
    rounds: usize,
    filter: Option<String>,
}

impl Options {
    /// Parses the arguments; `Ok(None)` means help was asked for.
    fn parse(args: impl Iterator<Item = String>) -> Result<Option<Self>, String> {
        let mut quick = false;
        let mut rounds = None;
        let mut filter = None;
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => quick = true,
                "--rounds" => {
                    let value = args.next().ok_or("--rounds needs a value")?;
                    let value = value
                        .parse::<usize>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("--rounds: `{value}` is not a positive integer"))?;
                    rounds = Some(value);
                }
                "--filter" => filter = Some(args.next().ok_or("--filter needs a value")?),
                "--help" | "-h" => return Ok(None),
                other => return Err(format!("unknown option `{other}`")),
            }
        }
        let rounds = rounds.unwrap_or(5);
        Ok(Some(Self {
            quick,
            rounds,
            filter,
        }))
    }
}

/// The workloads of the comparison; `--quick` divides the sizes and counts by about 10.
fn workloads(quick: bool) -> Vec<Workload> {
    let scale = |n: usize| if quick { n / 10 } else { n };
    let big = if quick { 32 << 20 } else { 256 << 20 };
    let mem_count = scale(100_000);
    let local_count = scale(20_000);
    let mut all: Vec<Workload> = [1, 16]
        .into_iter()
        .map(|concurrency| Workload::PutGet {
            backend: Backend::Memory,
            count: mem_count,
            size: 1024,
            concurrency,
        })
        .collect();
    all.extend([
        Workload::List {
            backend: Backend::Memory,
            count: mem_count,
            dirs: 100,
        },
        Workload::ListWithDelimiter {
            backend: Backend::Memory,
            count: mem_count,
            dirs: scale(1_000),
            listed: 10,
        },
        Workload::PutGet {
            backend: Backend::Local,
            count: local_count,
            size: 4096,
            concurrency: 16,
        },
        Workload::PutGet {
            backend: Backend::Local,
            count: 1,
            size: big,
            concurrency: 1,
        },
        Workload::GetRanges {
            backend: Backend::Local,
            object_size: big,
            ranges: scale(1_000),
            range_size: 4096,
        },
        Workload::List {
            backend: Backend::Local,
            count: local_count,
            dirs: 100,
        },
    ]);
    all
}

/// Which crate a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Theirs,
}

/// Runs one workload once on one side, in a fresh directory under `tmp` that is removed
/// afterwards.
async fn run_once(
    side: Side,
    workload: &Workload,
    data: &Bytes,
    tmp: &Path,
    run_id: usize,
) -> BoxResult<Vec<Duration>> {
    let dir = tmp.join(format!("run-{run_id}"));
    if workload.backend() == Backend::Local {
        std::fs::create_dir_all(&dir)?;
    }
    let result = match side {
        Side::Ours => workloads::ours::run(workload, data, &dir).await,
        Side::Theirs => workloads::theirs::run(workload, data, &dir).await,
    };
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    result
}

/// One line of the report: the samples of both sides for one measurement.
#[derive(Debug)]
struct Row {
    name: String,
    ours: Vec<Duration>,
    theirs: Vec<Duration>,
}

/// Runs every round of every workload, interleaving the two sides.
async fn run_all(options: &Options, workloads: &[Workload], tmp: &Path) -> BoxResult<Vec<Row>> {
    let data = pattern(
        workloads
            .iter()
            .map(Workload::max_payload)
            .max()
            .unwrap_or(0),
    );
    let mut rows: Vec<Vec<Row>> = workloads
        .iter()
        .map(|w| {
            w.rows()
                .into_iter()
                .map(|name| Row {
                    name,
                    ours: Vec::new(),
                    theirs: Vec::new(),
                })
                .collect()
        })
        .collect();
    let mut run_id = 0;
    // Round 0 warms up (allocator, page cache, lazy statics) and is not recorded.
    for round in 0..=options.rounds {
        // Alternate which side goes first, so that neither always runs on a warmer machine.
        let order = if round % 2 == 0 {
            [Side::Ours, Side::Theirs]
        } else {
            [Side::Theirs, Side::Ours]
        };
        for (workload, rows) in workloads.iter().zip(&mut rows) {
            for side in order {
                run_id += 1;
                let times = run_once(side, workload, &data, tmp, run_id)
                    .await
                    .map_err(|e| format!("{side:?} on `{}`: {e}", rows[0].name))?;
                if workload.backend() == Backend::Local {
                    // Flush the run's dirty pages now rather than during the next run.
                    let _ = std::process::Command::new("sync").status();
                }
                if round == 0 {
                    continue;
                }
                for (row, time) in rows.iter_mut().zip(times) {
                    eprintln!(
                        "round {round}/{} {:<6} {:<55} {}",
                        options.rounds,
                        format!("{side:?}"),
                        row.name,
                        format_duration(time)
                    );
                    match side {
                        Side::Ours => row.ours.push(time),
                        Side::Theirs => row.theirs.push(time),
                    }
                }
            }
        }
    }
    Ok(rows.into_iter().flatten().collect())
}

/// `len` bytes of a non-repeating pattern, so that range checks catch wrong offsets.
fn pattern(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i ^ (i >> 8) ^ (i >> 16) ^ (i >> 24)) as u8)
        .collect::<Vec<u8>>()
        .into()
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.3} s")
    } else if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.1} µs", secs * 1e6)
    }
}

/// The markdown report: machine, settings, then one table line per measurement.
fn report(options: &Options, rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("## ostore vs object_store 0.12\n\n");
    out.push_str(&format!(
        "- date: {}\n- machine: {} CPUs, {}\n- settings: {} rounds per side after a warm-up, interleaved{}\n\
         - cells: median time; ratio = object_store / ostore (> 1: ostore is faster)\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        options.rounds,
        if options.quick { ", --quick sizes" } else { "" },
    ));
    if rows.is_empty() {
        return out;
    }
    out.push_str("| workload | ostore | object_store | ratio |\n|---|---:|---:|---:|\n");
    for row in rows {
        let (ours, theirs) = (median(&row.ours), median(&row.theirs));
        let ratio = theirs.as_secs_f64() / ours.as_secs_f64().max(f64::MIN_POSITIVE);
        out.push_str(&format!(
            "| {} | {} | {} | {ratio:.2} |\n",
            row.name,
            format_duration(ours),
            format_duration(theirs)
        ));
    }
    out
}

/// The CPU model from `/proc/cpuinfo`, or `unknown CPU`.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprint!("ostore-bench: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let selected = |name: &str| match &options.filter {
        Some(text) => name.contains(text.as_str()),
        None => true,
    };
    let workloads: Vec<Workload> = workloads(options.quick)
        .into_iter()
        .filter(|w| w.rows().iter().any(|name| selected(name)))
        .collect();
    let http_selected = http::Sizes::new(options.quick)
        .rows()
        .iter()
        .any(|name| selected(name));
    let s3_selected = s3::Sizes::new(options.quick)
        .rows()
        .iter()
        .any(|name| selected(name));
    if workloads.is_empty() && !http_selected && !s3_selected {
        eprintln!("ostore-bench: no workload matches the filter");
        return ExitCode::from(2);
    }
    let http_url = std::env::var(http::URL_VAR)
        .ok()
        .filter(|url| !url.is_empty());
    let s3_url = std::env::var(s3::URL_VAR)
        .ok()
        .filter(|url| !url.is_empty());
    if s3_selected && s3_url.is_none() {
        eprintln!(
            "ostore-bench: the S3 rows need {} (the endpoint of a SeaweedFS server with the \
             bucket ostore-bench): run `cargo xtask bench`, which starts one, or leave the S3 \
             rows out with --filter",
            s3::URL_VAR
        );
        return ExitCode::FAILURE;
    }

    // The workspace's target directory: this crate is at `crates/bench`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2);
    let tmp: PathBuf = root.unwrap_or(Path::new(".")).join("target/bench-tmp");
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Into::into)
        .and_then(|runtime| {
            runtime.block_on(async {
                let rows = if workloads.is_empty() {
                    Vec::new()
                } else {
                    run_all(&options, &workloads, &tmp).await?
                };
                let http = match (&http_url, http_selected) {
                    (Some(url), true) => {
                        http::run(url, options.quick, options.rounds, &tmp.join("http"))
                            .await
                            .map_err(|e| format!("http: {e}"))?
                    }
                    (None, true) => format!(
                        "\nHTTP rows not run: {} is not set (`cargo xtask bench` starts Apache \
                         and sets it).\n",
                        http::URL_VAR
                    ),
                    (_, false) => String::new(),
                };
                let s3 = match &s3_url {
                    Some(url) if s3_selected => s3::run(url, options.quick, options.rounds)
                        .await
                        .map_err(|e| format!("s3: {e}"))?,
                    _ => String::new(),
                };
                Ok::<_, workloads::BoxError>((rows, http + &s3))
            })
        });
    // Remove the temporary directory whatever happened; runs already removed their own.
    if let Err(e) = std::fs::remove_dir_all(&tmp)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!("ostore-bench: could not remove {}: {e}", tmp.display());
    }
    match result {
        Ok((rows, http)) => {
            print!("{}{http}", report(&options, &rows));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ostore-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
