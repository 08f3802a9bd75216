//! Steps: named external commands run one after the other, each timed and reported.

use std::ffi::OsString;
use std::fmt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// One command of a sequence, with the environment variables it needs.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    name: String,
    program: OsString,
    args: Vec<String>,
    envs: Vec<(String, String)>,
}

impl Step {
    /// A step running `program` with `args`.
    pub(crate) fn new(name: &str, program: impl Into<OsString>, args: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            program: program.into(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            envs: Vec::new(),
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

    /// Runs the step in `dir`, inheriting stdio; fails unless it exits successfully.
    fn run(&self, dir: &Path) -> Result<(), String> {
        let status = Command::new(&self.program)
            .args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .current_dir(dir)
            .status()
            .map_err(|e| format!("could not start `{self}`: {e}"))?;
        if status.success() {
            Ok(())
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
pub(crate) fn run_steps(dir: &Path, steps: &[Step]) -> Result<(), String> {
    let total = Instant::now();
    let mut timings = Vec::with_capacity(steps.len());
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
            Ok(()) => eprintln!("<== {} ok in {}", step.name, seconds(elapsed)),
            Err(_) => eprintln!("<== {} FAILED after {}", step.name, seconds(elapsed)),
        }
        result?;
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
    Ok(())
}

fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}
