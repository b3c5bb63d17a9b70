//! Secret values that a container prints are masked wherever its output
//! reaches a person: the live log stream and the stored step log.

use crate::support::deploy::*;
use crate::support::{signed_in, state};
use app::auth::Role;
use axum::http::StatusCode;
use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use sqlx::PgPool;
use std::time::Duration;

const VALUE: &str = "s3cr3t-Value-4242-abcdefgh";
/// Fills a line so that the engine's 16 KiB log buffer cuts the value
/// printed after it in two.
const FILL: usize = 16 * 1024 - 4;

/// Builds `tag`, an image whose entrypoint is `sh -c script`.
async fn script_image(docker: &Docker, tag: &str, script: &str) {
    let entrypoint = serde_json::to_string(&["/bin/busybox", "sh", "-c", script]).unwrap();
    let dockerfile = format!("FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT {entrypoint}\n");
    let mut tar = tar::Builder::new(Vec::new());
    let busybox = std::fs::read(testkit::images::BUSYBOX).unwrap();
    for (path, data, mode) in [
        ("Dockerfile", dockerfile.as_bytes(), 0o644),
        ("busybox", &busybox[..], 0o755),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        tar.append_data(&mut header, path, data).unwrap();
    }
    let context = tar.into_inner().unwrap();
    let options = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(tag)
        .rm(true)
        .build();
    let mut build = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    while let Some(msg) = build.next().await {
        msg.unwrap();
    }
}

/// Reads the stream until `until` appears (or 60 s pass).
async fn read_until(body: axum::body::Body, until: &str) -> String {
    let mut body = body;
    let mut text = String::new();
    let read = async {
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
                if text.contains(until) {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(60), read).await;
    text
}

/// Whether any piece of the value of 6 characters or more shows.
fn shows_part_of_value(text: &str) -> bool {
    (0..=VALUE.len() - 6).any(|i| text.contains(&VALUE[i..i + 6]))
}

#[sqlx::test(migrations = "../migrations")]
async fn secret_values_a_container_prints_are_masked_in_the_log_stream_and_the_step_log(
    pool: PgPool,
) {
    let Some(docker) = testkit::docker_or_skip("deploy_masking").await else {
        return;
    };
    let _containers = Containers::of(&pool).await;
    let prints_and_stays = format!(
        "echo \"token is $API_TOKEN\"; /bin/busybox head -c {FILL} /dev/zero | /bin/busybox tr '\\0' x; \
         echo \"$API_TOKEN\"; echo printed-all; exec /bin/busybox sleep 3600"
    );
    script_image(&docker, "opsdeck-test/masked:v1", &prints_and_stays).await;
    let prints_and_dies = "echo \"cannot start with $API_TOKEN\"; exit 3";
    script_image(&docker, "opsdeck-test/masked:v2", prints_and_dies).await;
    let s = state(pool.clone(), &testkit::docker_host());
    let mut ada = signed_in(&s, "ada", &[Role::Deployer]).await;
    // The command check prints the value too: its answers reach the step log.
    let form = format!(
        "environment=production&name=masked&image=opsdeck-test%2Fmasked&port=8080\
         &health_kind=command&health_check=%2Fbin%2Fbusybox+env\
         &health_interval_s=1&health_timeout_s=2&health_retries=5&health_start_period_s=0\
         &replicas=1&stop_timeout_s=1&secrets=API_TOKEN%3D{VALUE}"
    );
    assert!(ada.post_form("/api/save_service", &form).await.ok());

    let first = started(&deploy(&mut ada, "production/masked", "v1").await);
    let (state, reason, _) = finished(&pool, first.deployment).await;
    let log = steps(&pool, first.deployment).await;
    assert_eq!(state, "succeeded", "{reason:?}\n{log}");
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let (status, body) = vera.open_stream("/services/production/masked/logs").await;
    assert_eq!(status, StatusCode::OK);
    let text = read_until(body, "printed-all").await;
    assert!(text.contains("| token is ****"), "{text}");
    assert!(
        text.contains(&format!("{}****", "x".repeat(40))),
        "the value cut by the engine's buffer is masked whole: {}",
        text.replace(&"x".repeat(100), "")
    );
    assert!(
        !shows_part_of_value(&text),
        "{}",
        text.replace(&"x".repeat(100), "")
    );
    let log = steps(&pool, first.deployment).await;
    assert!(log.contains("API_TOKEN=****"), "{log}");

    let second = started(&deploy(&mut ada, "production/masked", "v2").await);
    let (state, reason, output) = finished(&pool, second.deployment).await;
    assert_eq!(state, "rolled_back");
    let log = steps(&pool, second.deployment).await;
    assert!(log.contains("cannot start with ****"), "{log}");
    let stored = format!("{log} {reason:?} {output:?}");
    assert!(!shows_part_of_value(&stored), "{stored}");
}
