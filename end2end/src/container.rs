//! Opsdeck's own image, built and run with the docker CLI (as its README
//! does), for the container test: a build context holding the build the
//! browser tests run (the `runtime` target's input), and a guard that removes everything the test made.

use crate::{opsdeck_bin, target_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The local Debian base `scripts/base-image` makes (no registry needed).
pub const BASE_IMAGE: &str = "opsdeck-local/debian:bookworm";

/// The repository's root (where the Dockerfile is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `docker args…`; its stdout, trimmed, or an error holding stderr.
pub fn docker(args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run docker: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "docker {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Makes the local base image unless it exists (idempotent, see the script).
pub fn ensure_base_image() {
    let out = Command::new(repo_root().join("scripts/base-image"))
        .arg(BASE_IMAGE)
        .output()
        .expect("run scripts/base-image");
    assert!(
        out.status.success(),
        "scripts/base-image failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A build context of just the Dockerfile and the build (binary, site,
/// hash list) the `runtime` target takes: sending the repository (its 7 GB `target/`
/// walked for three exceptions) would cost more than the build.
pub fn prebuilt_context() -> tempfile::TempDir {
    let target = target_dir();
    let dir = tempfile::Builder::new()
        .prefix("opsdeck-image")
        .tempdir_in(&target)
        .unwrap();
    let release = dir.path().join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::copy(
        repo_root().join("Dockerfile"),
        dir.path().join("Dockerfile"),
    )
    .unwrap();
    // The binary the browser tests run, without its symbols: the debug
    // build scripts/test makes is 460 MB with them, the release one 100.
    let bin = opsdeck_bin();
    let dest = release.join("opsdeck");
    let stripped = Command::new("strip")
        .arg("-o")
        .arg(&dest)
        .arg(&bin)
        .status()
        .is_ok_and(|s| s.success());
    if !stripped {
        std::fs::copy(&bin, &dest).unwrap();
    }
    std::fs::copy(target.join("release/hash.txt"), release.join("hash.txt")).unwrap();
    copy_dir(&target.join("site"), &dir.path().join("target/site")).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

/// What a test made on the engine, removed when dropped, even after a
/// panic: containers (with their anonymous volumes), then networks (which
/// the engine refuses to remove while containers use them), then tags.
#[derive(Default)]
pub struct Made {
    pub containers: Vec<String>,
    /// Name prefixes of containers made by others on the test's behalf
    /// (the replicas Opsdeck starts).
    pub container_prefixes: Vec<String>,
    pub networks: Vec<String>,
    pub tags: Vec<String>,
    /// Opsdeck's image: its tag and the layers above `runtime-base`.
    pub opsdeck_image: Option<String>,
}

impl Drop for Made {
    fn drop(&mut self) {
        for prefix in &self.container_prefixes {
            testkit::remove_containers("name", prefix);
        }
        for c in &self.containers {
            let _ = docker(&["rm", "-f", "-v", c]);
        }
        for n in &self.networks {
            let _ = docker(&["network", "rm", n]);
        }
        for t in &self.tags {
            let _ = docker(&["rmi", t]);
        }
        if let Some(image) = &self.opsdeck_image {
            remove_image_keeping_base(image);
        }
    }
}

/// Removes the tag and the layers the `runtime` target adds on top of the
/// `runtime-base` stage (COPY, USER), keeping those below: the next build
/// reuses them instead of installing PostgreSQL again (for the legacy
/// builder, its cache is those layers; a plain `docker rmi` prunes them).
fn remove_image_keeping_base(tag: &str) {
    let parent_of = |id: &str| docker(&["inspect", "-f", "{{.Parent}}", id]).ok();
    let Some(mut layer) = parent_of(tag) else {
        return;
    };
    if docker(&["rmi", "--no-prune", tag]).is_err() {
        return;
    }
    loop {
        let format = "{{json .ContainerConfig.Cmd}}";
        let Ok(cmd) = docker(&["inspect", "-f", format, &layer]) else {
            return;
        };
        let ours = cmd.contains("#(nop) COPY ") || cmd.contains("#(nop)  USER ");
        let Some(parent) = parent_of(&layer).filter(|_| ours) else {
            return;
        };
        if docker(&["rmi", "--no-prune", &layer]).is_err() {
            return;
        }
        layer = parent;
    }
}
