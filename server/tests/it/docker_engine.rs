//! The shared Docker client against the real local engine.

use app::docker::DockerHandle;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectContainerOptions, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use std::collections::HashMap;
use testkit::images::WebImage;

#[tokio::test]
async fn labelled_container_lives_through_create_start_inspect_stop_remove() {
    let Some(docker) = testkit::docker_or_skip("labelled_container_lifecycle").await else {
        return;
    };
    let image = WebImage {
        tag: "opsdeck-test/web:engine",
        content: "hello from engine test\n",
        healthy: true,
        exits_at_start: false,
    };
    let image_id = image.build(&docker).await.unwrap();
    assert!(image_id.starts_with("sha256:"), "{image_id}");

    let name = format!("opsdeck-test-engine-{}", std::process::id());
    let labels = HashMap::from([("opsdeck.test".to_string(), "engine".to_string())]);
    let body = ContainerCreateBody {
        image: Some(image.tag.into()),
        labels: Some(labels),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::default().name(&name).build();
    let id = docker
        .create_container(Some(options), body)
        .await
        .unwrap()
        .id;
    docker.start_container(&id, None).await.unwrap();

    let inspected = docker
        .inspect_container(&id, None::<InspectContainerOptions>)
        .await
        .unwrap();
    assert_eq!(inspected.state.as_ref().and_then(|s| s.running), Some(true));
    let got_labels = inspected.config.and_then(|c| c.labels).unwrap_or_default();
    assert_eq!(
        got_labels.get("opsdeck.test").map(String::as_str),
        Some("engine")
    );

    // The engine page's figures come from the same engine and count this container.
    let info = app::engine::ssr::engine_info(&DockerHandle::new(testkit::docker_host()))
        .await
        .unwrap();
    let version = docker.version().await.unwrap();
    assert_eq!(Some(info.version.clone()), version.version);
    assert_eq!(Some(info.api_version.clone()), version.api_version);
    assert!(
        info.containers_running >= 1 && info.containers_total >= info.containers_running,
        "{info:?}"
    );
    assert!(info.images >= 1, "{info:?}");

    docker
        .stop_container(
            &id,
            Some(StopContainerOptionsBuilder::default().t(2).build()),
        )
        .await
        .unwrap();
    let stopped = docker
        .inspect_container(&id, None::<InspectContainerOptions>)
        .await
        .unwrap();
    assert_eq!(stopped.state.and_then(|s| s.running), Some(false));
    docker
        .remove_container(
            &id,
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await
        .unwrap();
    let gone = docker
        .inspect_container(&id, None::<InspectContainerOptions>)
        .await;
    assert!(
        matches!(
            gone,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                ..
            })
        ),
        "{gone:?}"
    );
}

#[tokio::test]
async fn client_reconnects_by_itself_when_the_engine_comes_back() {
    if testkit::docker_or_skip("client_reconnects").await.is_none() {
        return;
    }
    let real = testkit::docker_host();
    let Some(real_socket) = real.strip_prefix("unix://") else {
        return testkit::unavailable("client_reconnects", "DOCKER_HOST is not a unix socket");
    };
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("docker.sock");
    let handle = DockerHandle::new(format!("unix://{}", link.display()));

    let down = handle.probe().await;
    assert!(!down.ok, "{down:?}");
    assert!(down.detail.contains("is unreachable"), "{down:?}");

    std::os::unix::fs::symlink(real_socket, &link).unwrap();
    let up = handle.probe().await;
    assert!(up.ok, "{up:?}");
    assert!(up.detail.starts_with("Docker "), "{up:?}");
}

#[tokio::test]
async fn engine_info_from_an_unreachable_engine_is_a_clear_error() {
    let handle = DockerHandle::new(crate::support::dead_docker_host());
    let err = app::engine::ssr::engine_info(&handle).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("is unreachable") && text.contains("DOCKER_HOST"),
        "{text}"
    );
}
