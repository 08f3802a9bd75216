//! Process plumbing for the emulators: installing packages, picking free ports, probing a
//! server for readiness and stopping a server with every process it forked.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How often readiness and exit are polled.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Where Debian installs the Apache binary.
pub(super) const APACHE_BIN: &str = "/usr/sbin/apache2";

/// Installs `apache2` and `rclone` with apt when either is missing.
///
/// Needs root. After installing, stops the system Apache service in case the package
/// started it on port 80: ours runs from its own configuration.
pub(super) fn install_missing() -> Result<(), String> {
    let mut missing = Vec::new();
    if !Path::new(APACHE_BIN).exists() {
        missing.push("apache2");
    }
    if find_in_path("rclone").is_none() {
        missing.push("rclone");
    }
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "the WebDAV emulators need {} but they are not installed and xtask is not \
             root; install them with `sudo apt-get install --no-install-recommends \
             apache2 rclone`",
            missing.join(" and ")
        ));
    }
    let start = Instant::now();
    eprintln!(
        "==> installing {} (apt-get update, apt-get install)",
        missing.join(" ")
    );
    run_quiet(Command::new("apt-get").args(["update", "-qq"]))?;
    run_quiet(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    // The package may have started the system service; it is not ours and must not
    // hold port 80. Both commands are harmless when nothing runs.
    if missing.contains(&"apache2") {
        for stop in [&["apache2ctl", "stop"][..], &["service", "apache2", "stop"]] {
            let _ = Command::new(stop[0])
                .args(&stop[1..])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
    eprintln!(
        "<== installed {} in {:.1}s",
        missing.join(" "),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs `command`, showing its output only when it fails.
pub(super) fn run_quiet(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run {shown}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{shown} exited with {}:\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

pub(super) fn find_in_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Whether xtask runs as root, read from `/proc/self/status` (no libc needed).
pub(super) fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .and_then(|uids| uids.split_whitespace().next().map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

/// A port on 127.0.0.1 that was free a moment ago; the server binds it next.
pub(super) fn free_port() -> Result<u16, String> {
    Ok(free_ports::<1>()?[0])
}

/// `N` distinct ports on 127.0.0.1 that were free a moment ago: all are held until the
/// last is picked, so the system cannot hand out one twice.
pub(super) fn free_ports<const N: usize>() -> Result<[u16; N], String> {
    let mut held = Vec::with_capacity(N);
    let mut ports = [0; N];
    for port in &mut ports {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free local port: {e}"))?;
        *port = listener
            .local_addr()
            .map_err(|e| format!("no free local port: {e}"))?
            .port();
        held.push(listener);
    }
    Ok(ports)
}

/// Whether a WebDAV server answers a `PROPFIND` of its root with `Depth: 0` with a 2xx.
pub(super) fn answers(port: u16) -> bool {
    http_status(port, "PROPFIND", "/", "Depth: 0\r\n")
        .is_ok_and(|status| (200..300).contains(&status))
}

/// The status code a server on 127.0.0.1:`port` answers to `method path` with an empty
/// body and the `extra` header lines (each ending in CRLF); at most a second per step.
pub(super) fn http_status(
    port: u16,
    method: &str,
    path: &str,
    extra: &str,
) -> std::io::Result<u16> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let timeout = Duration::from_secs(1);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    // The status line is all we need: `HTTP/1.1 207 Multi-Status`.
    let mut head = [0u8; 64];
    let mut len = 0;
    while len < 12 {
        let n = stream.read(&mut head[len..])?;
        if n == 0 {
            break;
        }
        len += n;
    }
    std::str::from_utf8(&head[..len])
        .ok()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("not an HTTP response"))
}

/// Waits up to `within` until `ready` holds for the server on `port`, or fails with the
/// reason: the process exited (its log says why) or it did not answer `probe` in time.
pub(super) fn wait_ready(
    name: &str,
    child: &mut Child,
    port: u16,
    log: &Path,
    within: Duration,
    (probe, ready): (&str, &dyn Fn() -> bool),
) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        if ready() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{name} exited with {status} before answering on port {port}; its log {}:\n{}",
                log.display(),
                tail(log)
            ));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{name} did not answer {probe} on port {port} within {}s; its log {}:\n{}",
                within.as_secs(),
                log.display(),
                tail(log)
            ));
        }
        std::thread::sleep(POLL_EVERY);
    }
}

/// The last lines of a log file, for error messages.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Sends `signal` to process `pid`; false if there is no such process.
fn signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([signal, &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `pid` is a live (not zombie) process.
pub(super) fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // `pid (comm) STATE ...`; comm may hold spaces, so look after the last `)`.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next().map(|s| s != "Z"))
        })
        .unwrap_or(false)
}

/// The processes whose command line mentions `marker` (a path unique to one emulator),
/// so that workers a server forked are found even after their parent died.
pub(super) fn processes_mentioning(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id();
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|&pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                String::from_utf8_lossy(&cmdline)
                    .split('\0')
                    .any(|arg| arg.contains(marker))
            })
        })
        .filter(|&pid| alive(pid))
        .collect()
}

/// Stops server `pid` (reaping it when it is our `child`): SIGTERM, up to `grace` to exit,
/// then SIGKILL for it and for every process still mentioning `marker` (forked workers).
pub(super) fn stop(pid: u32, child: Option<&mut Child>, marker: &str, grace: Duration) {
    signal(pid, "-TERM");
    let mut child = child;
    let deadline = Instant::now() + grace;
    loop {
        if let Some(child) = child.as_deref_mut() {
            let _ = child.try_wait();
        }
        let gone = !alive(pid) && processes_mentioning(marker).is_empty();
        if gone || Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(POLL_EVERY);
    }
    for leftover in std::iter::once(pid).chain(processes_mentioning(marker)) {
        if alive(leftover) {
            signal(leftover, "-KILL");
        }
    }
    if let Some(child) = child {
        let _ = child.wait();
    }
    // SIGKILL is delivered asynchronously: wait (briefly) until every process is gone, so
    // that a restart finds its ports and files free.
    let deadline = Instant::now() + Duration::from_secs(2);
    while (alive(pid) || !processes_mentioning(marker).is_empty()) && Instant::now() < deadline {
        std::thread::sleep(POLL_EVERY);
    }
}
