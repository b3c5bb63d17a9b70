//! Reading the engine's version and counters through the shared client.

use super::EngineInfo;
use crate::docker::{DockerHandle, PROBE_TIMEOUT};
use crate::AppError;

/// Version and counters of the engine behind `docker`.
pub async fn engine_info(docker: &DockerHandle) -> Result<EngineInfo, AppError> {
    let client = docker.client()?;
    let both = async { tokio::try_join!(client.version(), client.info()) };
    let (version, info) = match tokio::time::timeout(PROBE_TIMEOUT, both).await {
        Ok(Ok(pair)) => pair,
        Ok(Err(e)) => return Err(docker.unreachable(e)),
        Err(_) => return Err(docker.unreachable("no answer within 3 s")),
    };
    Ok(EngineInfo {
        host: docker.host().to_string(),
        name: info.name.unwrap_or_default(),
        version: version.version.unwrap_or_default(),
        api_version: version.api_version.unwrap_or_default(),
        os: info.operating_system.or(version.os).unwrap_or_default(),
        arch: version.arch.unwrap_or_default(),
        kernel: version.kernel_version.unwrap_or_default(),
        containers_running: info.containers_running.unwrap_or_default(),
        containers_total: info.containers.unwrap_or_default(),
        images: info.images.unwrap_or_default(),
        checked_at: chrono::Utc::now(),
    })
}
