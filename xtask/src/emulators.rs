//! Storage emulators (WebDAV server, S3-compatible servers, ...) that integration tests
//! run against.
//!
//! None exists yet. To add one: install it if missing, start it in [`Emulators::start`],
//! wait until it accepts connections, export the variables the tests read to find it,
//! and keep its [`Child`] in the returned guard so that it is stopped when the guard
//! drops, whether the tests passed or not.

use std::path::Path;
use std::process::Child;

/// The running emulators; dropping this stops them.
#[derive(Debug, Default)]
pub(crate) struct Emulators {
    running: Vec<(String, Child)>,
}

impl Emulators {
    /// Starts every emulator the test suite needs, from the repository at `_root`.
    ///
    /// Fails with a message naming the emulator that could not be started; those already
    /// started are stopped again.
    pub(crate) fn start(_root: &Path) -> Result<Self, String> {
        Ok(Self::default())
    }
}

impl Drop for Emulators {
    fn drop(&mut self) {
        // Stop in reverse order of start, so later emulators may depend on earlier ones.
        while let Some((name, mut child)) = self.running.pop() {
            eprintln!("==> stopping emulator {name}");
            if let Err(e) = child.kill() {
                eprintln!("xtask: could not stop emulator {name}: {e}");
            }
            let _ = child.wait();
        }
    }
}
