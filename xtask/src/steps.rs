//! Steps: named external commands run one after the other, each timed and reported.

use std::ffi::OsString;
use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One command of a sequence, with the environment variables it needs.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    name: String,
    program: OsString,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    count_tests: bool,
}

/// Test counts summed over the `test result:` lines of libtest.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TestCounts {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl TestCounts {
    /// Adds the counts of a libtest summary line such as
    /// `test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; ...`.
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim_start().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(kind), Some(n)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else { continue };
            match kind {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }

    fn merge(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.ignored += other.ignored;
    }
}

impl fmt::Display for TestCounts {
    /// The plain summary line: `tests: N passed, N failed[, N skipped]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tests: {} passed, {} failed", self.passed, self.failed)?;
        if self.ignored > 0 {
            write!(f, ", {} skipped", self.ignored)?;
        }
        Ok(())
    }
}

impl Step {
    /// A step running `program` with `args`.
    pub(crate) fn new(name: &str, program: impl Into<OsString>, args: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            program: program.into(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            envs: Vec::new(),
            count_tests: false,
        }
    }

    /// A step running the same `cargo` that runs xtask (`$CARGO`), or `cargo` from `PATH`.
    pub(crate) fn cargo(name: &str, args: &[&str]) -> Self {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Self::new(name, cargo, args)
    }

    /// Sets an environment variable for this step only.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.envs.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Counts the tests the step runs from its libtest output, which is still shown as it
    /// comes.
    pub(crate) fn counting_tests(mut self) -> Self {
        self.count_tests = true;
        self
    }

    /// Runs the step in `dir`; fails unless it exits successfully.
    fn run(&self, dir: &Path) -> Result<TestCounts, String> {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .current_dir(dir);
        let mut counts = TestCounts::default();
        let status = if self.count_tests {
            let mut child = command
                .stdout(Stdio::piped())
                .spawn()
                .map_err(|e| format!("could not start `{self}`: {e}"))?;
            if let Some(out) = child.stdout.take() {
                let mut stdout = std::io::stdout().lock();
                for line in BufReader::new(out).lines() {
                    let line = line.map_err(|e| format!("reading the output of `{self}`: {e}"))?;
                    counts.add_line(&line);
                    let _ = writeln!(stdout, "{line}");
                }
            }
            child.wait()
        } else {
            command.status()
        }
        .map_err(|e| format!("could not run `{self}`: {e}"))?;
        if status.success() {
            Ok(counts)
        } else {
            Err(format!(
                "step `{}` ({self}) exited with {status}",
                self.name
            ))
        }
    }
}

/// The command line as a shell would show it, environment first.
impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.envs {
            write!(f, "{key}={value:?} ")?;
        }
        let program = Path::new(&self.program);
        let program = program.file_name().unwrap_or(program.as_os_str());
        write!(f, "{}", program.to_string_lossy())?;
        for arg in &self.args {
            write!(f, " {arg}")?;
        }
        Ok(())
    }
}

/// Runs `steps` in order in `dir`, stopping at the first failure.
///
/// Prints a header before each step and its duration after it, then a summary, on stderr
/// so that stdout carries only the steps' own output (such as a benchmark report).
pub(crate) fn run_steps(dir: &Path, steps: &[Step]) -> Result<Option<TestCounts>, String> {
    let total = Instant::now();
    let mut timings = Vec::with_capacity(steps.len());
    let mut counts = TestCounts::default();
    for (index, step) in steps.iter().enumerate() {
        eprintln!(
            "\n==> [{}/{}] {}: {step}",
            index + 1,
            steps.len(),
            step.name
        );
        let start = Instant::now();
        let result = step.run(dir);
        let elapsed = start.elapsed();
        match &result {
            Ok(_) => eprintln!("<== {} ok in {}", step.name, seconds(elapsed)),
            Err(_) => eprintln!("<== {} FAILED after {}", step.name, seconds(elapsed)),
        }
        counts.merge(result?);
        timings.push((step.name.as_str(), elapsed));
    }
    if steps.len() > 1 {
        eprintln!(
            "\nAll {} steps passed in {}:",
            steps.len(),
            seconds(total.elapsed())
        );
        for (name, elapsed) in timings {
            eprintln!("  {name:<10} {}", seconds(elapsed));
        }
    }
    // The caller prints the counts last, after everything it still has to tear down.
    Ok(steps.iter().any(|s| s.count_tests).then_some(counts))
}

fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_libtest_summaries() {
        let mut c = TestCounts::default();
        c.add_line("test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s");
        c.add_line(
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        c.add_line("test foo ... ok");
        assert_eq!(c.to_string(), "tests: 15 passed, 2 failed, 1 skipped");
    }
}
