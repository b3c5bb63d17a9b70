//! Pulling a tag the endpoint lacks. No registry is reachable here, so the
//! test serves one itself: the read side of the Docker Registry HTTP API v2
//! on loopback, holding an image exported from the local engine and then
//! removed from it, which the engine must pull back to deploy it.

use crate::support::deploy::*;
use crate::support::{signed_in, state};
use app::auth::Role;
use axum::body::Body;
use axum::http::{header, Method, Request, Response, StatusCode};
use bollard::query_parameters::RemoveImageOptionsBuilder;
use bollard::Docker;
use futures_util::TryStreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use testkit::images::WebImage;

const MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// The only tag the registry has.
const TAG: &str = "v7";

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// One image as a registry holds it: a manifest and its blobs by digest.
struct Repository {
    manifest: Vec<u8>,
    blobs: HashMap<String, Vec<u8>>,
    /// The paths asked for, to show that the engine really pulled.
    asked: Mutex<Vec<String>>,
}

/// Turns `docker save` output (a tar with manifest.json, the image config
/// and one tar per layer) into a schema 2 manifest with gzipped layers.
async fn repository_of(docker: &Docker, image: &str) -> Repository {
    let saved: Vec<u8> = docker
        .export_image(image)
        .map_ok(|b| b.to_vec())
        .try_concat()
        .await
        .unwrap();
    let mut files = HashMap::new();
    let mut archive = tar::Archive::new(saved.as_slice());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files.insert(path, bytes);
    }
    let index: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let config = files[index[0]["Config"].as_str().unwrap()].clone();
    let mut blobs = HashMap::new();
    let mut layers = Vec::new();
    for layer in index[0]["Layers"].as_array().unwrap() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&files[layer.as_str().unwrap()]).unwrap();
        let blob = gz.finish().unwrap();
        layers.push(json!({
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": blob.len(), "digest": digest(&blob),
        }));
        blobs.insert(digest(&blob), blob);
    }
    let manifest = json!({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": config.len(), "digest": digest(&config),
        },
        "layers": layers,
    });
    blobs.insert(digest(&config), config);
    Repository {
        manifest: serde_json::to_vec(&manifest).unwrap(),
        blobs,
        asked: Mutex::new(Vec::new()),
    }
}

/// Answers `/v2/`, `/v2/<name>/manifests/<TAG or digest>` and
/// `/v2/<name>/blobs/<digest>` (GET and HEAD) for any repository name.
fn answer(repo: &Repository, method: &Method, path: &str) -> Response<Body> {
    repo.asked.lock().unwrap().push(format!("{method} {path}"));
    let reply = |status: StatusCode, kind: &str, body: Vec<u8>, digest: Option<String>| {
        let mut r = Response::builder()
            .status(status)
            .header("Docker-Distribution-API-Version", "registry/2.0")
            .header(header::CONTENT_TYPE, kind)
            .header(header::CONTENT_LENGTH, body.len());
        if let Some(d) = digest {
            r = r.header("Docker-Content-Digest", d);
        }
        let body = if method == Method::HEAD {
            Vec::new()
        } else {
            body
        };
        r.body(Body::from(body)).unwrap()
    };
    let not_found = || {
        reply(
            StatusCode::NOT_FOUND,
            "application/json",
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#.to_vec(),
            None,
        )
    };
    if path == "/v2/" {
        return reply(StatusCode::OK, "application/json", b"{}".to_vec(), None);
    }
    if let Some((_, reference)) = path.rsplit_once("/manifests/") {
        let m = repo.manifest.clone();
        if reference == TAG || reference == digest(&m) {
            return reply(StatusCode::OK, MANIFEST, m.clone(), Some(digest(&m)));
        }
        return not_found();
    }
    match path.rsplit_once("/blobs/") {
        Some((_, d)) => match repo.blobs.get(d) {
            Some(b) => reply(
                StatusCode::OK,
                "application/octet-stream",
                b.clone(),
                Some(d.to_string()),
            ),
            None => not_found(),
        },
        None => not_found(),
    }
}

/// Serves `repo` on a free loopback port and returns the port.
async fn serve(repo: Arc<Repository>) -> u16 {
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let repo = repo.clone();
        async move { answer(&repo, req.method(), req.uri().path()) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

async fn remove_image(docker: &Docker, image: &str) {
    let options = RemoveImageOptionsBuilder::default().force(true).build();
    let _ = docker.remove_image(image, Some(options), None).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_tag_missing_on_the_endpoint_is_pulled_from_its_registry_and_recorded(pool: PgPool) {
    let Some(docker) = testkit::docker_or_skip("deploy_pull").await else {
        return;
    };
    let containers = Containers::of(&pool).await;
    // Content no other test builds, so that its image id is this test's own.
    let source = "opsdeck-test/pull-source:v1";
    let image = WebImage {
        tag: source,
        content: "hello from the registry\n",
        healthy: true,
        exits_at_start: false,
    };
    let id = image.build(&docker).await.unwrap();
    let repo = Arc::new(repository_of(&docker, &id).await);
    let port = serve(repo.clone()).await;
    let pulled = format!("127.0.0.1:{port}/opsdeck-test/pulled");
    remove_image(&docker, &id).await;
    assert!(
        docker.inspect_image(&id).await.is_err(),
        "the engine no longer has it"
    );

    let state = state(pool.clone(), &testkit::docker_host());
    let mut ada = signed_in(&state, "ada", &[Role::Deployer]).await;
    create_service(&mut ada, "pulled", &pulled, 1, "").await;
    // The request returns at once; the pull is the deployment's first work.
    let d = started(&deploy(&mut ada, "production/pulled", TAG).await);
    assert_eq!(d.release, 1, "the release number is known before the pull");
    let (ended, reason, _) = finished(&pool, d.deployment).await;
    let log = steps(&pool, d.deployment).await;
    assert_eq!(ended, "succeeded", "{reason:?}: {log}");
    assert_eq!(pages(&docker, &pool).await, vec!["hello from the registry"]);
    for step in [
        &format!("tag v7 is not on endpoint local: pulling {pulled}:v7 from 127.0.0.1:{port}"),
        "layer ",
        &format!(
            "pulled: tag v7 is image {}; recorded as release #1",
            &id[7..19]
        ),
        "done: release #1 is live",
    ] {
        assert!(log.contains(step), "`{step}` in the step log: {log}");
    }
    let recorded: String = sqlx::query_scalar("SELECT image_id FROM release")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(recorded, id, "the release records the pulled image");
    let asked = repo.asked.lock().unwrap().join("\n");
    assert!(
        asked.contains("/v2/opsdeck-test/pulled/manifests/v7"),
        "{asked}"
    );
    assert!(
        asked.contains("/blobs/"),
        "layers came from the registry: {asked}"
    );

    // A tag the registry lacks fails the deployment with the engine's
    // reason; no release is recorded and the live one keeps serving.
    let d = started(&deploy(&mut ada, "production/pulled", "v8").await);
    let (ended, reason, _) = finished(&pool, d.deployment).await;
    let reason = reason.unwrap_or_default();
    assert_eq!(ended, "failed", "{}", steps(&pool, d.deployment).await);
    assert!(
        reason.contains("could not be pulled, so nothing was changed"),
        "{reason}"
    );
    let releases: i64 = sqlx::query_scalar("SELECT count(*) FROM release")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(releases, 1);
    assert_eq!(pages(&docker, &pool).await, vec!["hello from the registry"]);
    let read = ada
        .post_form("/api/read_service", "service=production/pulled")
        .await;
    let detail: app::deploy::ServiceDetail = serde_json::from_str(&read.body).unwrap();
    let failed = detail
        .deployments
        .iter()
        .find(|x| x.id == d.deployment)
        .unwrap();
    assert_eq!(
        (failed.release, failed.release_text()),
        (None, "v8 (not pulled)".into())
    );
    let audited: String = sqlx::query_scalar(
        "SELECT details->>'state' FROM audit_event WHERE action = 'deploy.finish' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, "failed");
    drop(containers);
    remove_image(&docker, &id).await;
}
