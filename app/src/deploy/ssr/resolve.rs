//! Turning `repository:tag` into the image id a release records.

use super::engine::{engine_error, local_image};
use super::model::ServiceRow;
use super::steps::StepLog;
use crate::docker::DockerHandle;
use crate::AppError;
use bollard::models::CreateImageInfo;
use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What a tag names on the service's endpoint.
pub enum Resolved {
    /// The image is there: its id and repo digest (when known).
    Local(String, Option<String>),
    /// Not there, but its registry answers: the deployment pulls it.
    Pull { registry: String },
}

/// Looks `tag` up on the service's endpoint. A missing image is pulled
/// only when its registry answers, so hosts without a registry get a clear
/// answer at once instead of a hang.
pub async fn image(
    handle: &DockerHandle,
    docker: &Docker,
    service: &ServiceRow,
    tag: &str,
) -> Result<Resolved, AppError> {
    let reference = format!("{}:{tag}", service.image);
    let found = local_image(docker, &reference)
        .await
        .map_err(|e| engine_error(handle, e))?;
    if let Some((id, digest)) = found {
        return Ok(Resolved::Local(id, digest));
    }
    let registry = registry_of(&service.image);
    if reachable(&registry).await {
        return Ok(Resolved::Pull { registry });
    }
    Err(AppError::invalid("tag", format!(
            "image `{reference}` not found on endpoint `{}` (registry {registry} not reachable): build or load it there first",
            service.endpoint
        )))
}

/// `host[:port]` of the registry a repository lives in (Docker's rules:
/// a first component with a dot or a port, or `localhost`, is a registry).
fn registry_of(repository: &str) -> String {
    match repository.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => {
            if first.contains(':') {
                first.to_string()
            } else {
                format!("{first}:443")
            }
        }
        _ => "registry-1.docker.io:443".to_string(),
    }
}

async fn reachable(host_port: &str) -> bool {
    let connect = tokio::net::TcpStream::connect(host_port.to_string());
    matches!(
        tokio::time::timeout(Duration::from_secs(2), connect).await,
        Ok(Ok(_))
    )
}

/// How long a pull may take before the deployment gives up.
const PULL_LIMIT: Duration = Duration::from_secs(600);

/// Pulls `repository:tag`, writing what the engine reports to the step
/// log: each layer once it is there, and the bytes downloaded at most
/// every two seconds. The error is the engine's reason (`Unavailable`).
pub async fn pull(
    docker: &Docker,
    repository: &str,
    tag: &str,
    log: &StepLog,
) -> Result<(), AppError> {
    let options = CreateImageOptionsBuilder::default()
        .from_image(repository)
        .tag(tag)
        .build();
    let mut stream = docker.create_image(Some(options), None, None);
    let mut progress = Progress::default();
    let pulled = tokio::time::timeout(PULL_LIMIT, async {
        while let Some(msg) = stream.next().await {
            let info = msg.map_err(|e| AppError::Unavailable(e.to_string()))?;
            if let Some(line) = progress.note(&info) {
                log.info(line).await;
            }
        }
        Ok::<(), AppError>(())
    })
    .await;
    match pulled {
        Ok(result) => result,
        Err(_) => Err(AppError::Unavailable(format!(
            "pulling {repository}:{tag} took longer than {} minutes",
            PULL_LIMIT.as_secs() / 60
        ))),
    }
}

/// The bytes each layer has downloaded, and when progress was last told.
#[derive(Default)]
struct Progress {
    layers: HashMap<String, (i64, i64)>,
    told: Option<Instant>,
}

impl Progress {
    /// The step line an engine message deserves, if any.
    fn note(&mut self, info: &CreateImageInfo) -> Option<String> {
        let status = info.status.as_deref().unwrap_or_default();
        let layer = info.id.as_deref().unwrap_or_default();
        match status {
            "Downloading" => {
                let detail = info.progress_detail.as_ref()?;
                let sizes = (detail.current.unwrap_or(0), detail.total.unwrap_or(0));
                self.layers.insert(layer.to_string(), sizes);
                let (done, total) = self
                    .layers
                    .values()
                    .fold((0, 0), |(d, t), (c, s)| (d + c, t + s));
                // Tiny layers report no sizes: nothing worth a line then.
                let recent = self
                    .told
                    .is_some_and(|t| t.elapsed() < Duration::from_secs(2));
                if total == 0 || recent {
                    return None;
                }
                self.told = Some(Instant::now());
                Some(format!(
                    "downloading: {} of {} in {} layer(s)",
                    mib(done),
                    mib(total),
                    self.layers.len()
                ))
            }
            "Pull complete" | "Already exists" => {
                Some(format!("layer {layer}: {}", status.to_lowercase()))
            }
            _ if layer.is_empty() && !status.is_empty() => Some(status.to_string()),
            _ => None,
        }
    }
}

fn mib(bytes: i64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::registry_of;

    #[test]
    fn registry_is_read_from_the_repository_like_docker_does() {
        assert_eq!(registry_of("web"), "registry-1.docker.io:443");
        assert_eq!(registry_of("acme/web"), "registry-1.docker.io:443");
        assert_eq!(registry_of("ghcr.io/acme/web"), "ghcr.io:443");
        assert_eq!(registry_of("localhost:5000/web"), "localhost:5000");
    }
}
