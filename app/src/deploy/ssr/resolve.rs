//! Turning `repository:tag` into the image id a release records.

use super::engine::{engine_error, local_image};
use super::model::ServiceRow;
use crate::docker::DockerHandle;
use crate::AppError;
use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use std::time::Duration;

/// The image id (and repo digest when known) of `tag` on the service's
/// endpoint. A missing image is pulled only when its registry answers, so
/// hosts without a registry get a clear answer at once instead of a hang.
pub async fn image(
    handle: &DockerHandle,
    docker: &Docker,
    service: &ServiceRow,
    tag: &str,
) -> Result<(String, Option<String>), AppError> {
    let reference = format!("{}:{tag}", service.image);
    let found = local_image(docker, &reference)
        .await
        .map_err(|e| engine_error(handle, e))?;
    if let Some(found) = found {
        return Ok(found);
    }
    let registry = registry_of(&service.image);
    if reachable(&registry).await {
        pull(docker, &service.image, tag).await?;
        if let Some(found) = local_image(docker, &reference)
            .await
            .map_err(|e| engine_error(handle, e))?
        {
            return Ok(found);
        }
    }
    Err(AppError::Validation {
        field: "tag".into(),
        message: format!(
            "image `{reference}` not found on endpoint `{}` (registry {registry} not reachable): build or load it there first",
            service.endpoint
        ),
    })
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

async fn pull(docker: &Docker, repository: &str, tag: &str) -> Result<(), AppError> {
    let options = CreateImageOptionsBuilder::default()
        .from_image(repository)
        .tag(tag)
        .build();
    let mut stream = docker.create_image(Some(options), None, None);
    let pulled = tokio::time::timeout(Duration::from_secs(600), async {
        while let Some(msg) = stream.next().await {
            msg.map_err(|e| e.to_string())?;
        }
        Ok::<(), String>(())
    })
    .await;
    match pulled {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(AppError::Validation {
            field: "tag".into(),
            message: format!("pulling {repository}:{tag} failed: {e}"),
        }),
        Err(_) => Err(AppError::Unavailable(format!(
            "pulling {repository}:{tag} took longer than 10 minutes"
        ))),
    }
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
