//! Tiny test images built locally `FROM scratch` with a static busybox,
//! since no registry can be reached where the tests run.

use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

/// Where Debian's `busybox-static` puts the binary.
pub const BUSYBOX: &str = "/bin/busybox";

/// An image serving `content` at `/` on port 8080, with a HEALTHCHECK that
/// passes only when `healthy` (it fetches `/healthz`, present only then).
pub struct WebImage<'a> {
    pub tag: &'a str,
    pub content: &'a str,
    pub healthy: bool,
    /// The entrypoint fails at once (exit 3) instead of serving.
    pub exits_at_start: bool,
}

impl WebImage<'_> {
    /// Builds the image on `docker` and returns its id.
    pub async fn build(&self, docker: &Docker) -> Result<String, String> {
        let context = self
            .context()
            .map_err(|e| format!("cannot pack the build context: {e}"))?;
        let options = BuildImageOptionsBuilder::default()
            .dockerfile("Dockerfile")
            .t(self.tag)
            .rm(true)
            .build();
        let mut stream =
            docker.build_image(options, None, Some(bollard::body_full(context.into())));
        while let Some(msg) = stream.next().await {
            msg.map_err(|e| format!("building {} failed: {e}", self.tag))?;
        }
        let image = docker
            .inspect_image(self.tag)
            .await
            .map_err(|e| format!("inspect {}: {e}", self.tag))?;
        image.id.ok_or_else(|| format!("{} has no id", self.tag))
    }

    fn context(&self) -> std::io::Result<Vec<u8>> {
        let entrypoint = if self.exits_at_start {
            r#"["/bin/busybox","sh","-c","echo cannot start >&2; exit 3"]"#
        } else {
            r#"["/bin/busybox","httpd","-f","-v","-p","8080","-h","/www"]"#
        };
        let dockerfile = format!(
            r#"FROM scratch
COPY busybox /bin/busybox
COPY www/ /www/
EXPOSE 8080
HEALTHCHECK --interval=1s --timeout=2s --start-period=1s --retries=3 CMD ["/bin/busybox","wget","-q","--spider","http://127.0.0.1:8080/healthz"]
ENTRYPOINT {entrypoint}
"#
        );
        let mut tar = tar::Builder::new(Vec::new());
        add(&mut tar, "Dockerfile", dockerfile.as_bytes(), 0o644)?;
        add(&mut tar, "busybox", &std::fs::read(BUSYBOX)?, 0o755)?;
        add(&mut tar, "www/index.html", self.content.as_bytes(), 0o644)?;
        if self.healthy {
            add(&mut tar, "www/healthz", b"ok\n", 0o644)?;
        }
        tar.into_inner()
    }
}

fn add(tar: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8], mode: u32) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(mode);
    header.set_cksum();
    tar.append_data(&mut header, path, data)
}
