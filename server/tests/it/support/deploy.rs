//! Shared pieces of the deployment tests: test images, a service form,
//! waiting for a deployment, sampling what the replicas serve, cleanup.

use crate::support::{signed_in, state, Client, Reply};
use app::auth::Role;
use app::deploy::DeploymentStarted;
use app::state::AppState;
use axum::http::StatusCode;
use bollard::query_parameters::ListContainersOptionsBuilder;
use bollard::Docker;
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use testkit::images::WebImage;

/// One test's stage: the engine, images `opsdeck-test/<name>:v1`…`v4`, the
/// app state, a signed-in deployer `ada`, and the service
/// `production/<name>`. Its containers are removed when it is dropped.
pub struct Stage {
    pub docker: Docker,
    pub pool: PgPool,
    pub state: AppState,
    pub ada: Client,
    pub service: String,
    pub images: [String; 4],
    _containers: Containers,
}

/// How a deployment ended: state, reason, last health output.
pub type Ended = (String, Option<String>, Option<String>);

impl Stage {
    /// `None` (after a visible skip, or a failure under CI) without Docker.
    pub async fn new(pool: &PgPool, name: &str, replicas: u32, extra: &str) -> Option<Stage> {
        let docker = testkit::docker_or_skip(name).await?;
        let containers = Containers::of(pool).await;
        let repo = format!("opsdeck-test/{name}");
        let images = build_images(&docker, &repo).await;
        let state = state(pool.clone(), &testkit::docker_host());
        let mut ada = signed_in(&state, "ada", &[Role::Deployer]).await;
        create_service(&mut ada, name, &repo, replicas, extra).await;
        Some(Stage {
            docker,
            pool: pool.clone(),
            state,
            ada,
            service: format!("production/{name}"),
            images,
            _containers: containers,
        })
    }

    pub async fn deploy(&mut self, tag: &str) -> Reply {
        deploy(&mut self.ada, &self.service, tag).await
    }

    /// A deploy request with more form fields (`&name=value…`).
    pub async fn deploy_with(&mut self, tag: &str, extra: &str) -> Reply {
        let form = format!("service={}&tag={tag}{extra}", self.service);
        self.ada.post_form("/api/deploy", &form).await
    }

    /// Posts `form` (the service is added) to `path`, which starts a
    /// deployment, and waits for its end.
    pub async fn run(&mut self, path: &str, form: &str) -> (DeploymentStarted, Ended) {
        let body = format!("service={}&{form}", self.service);
        let d = started(&self.ada.post_form(path, &body).await);
        let ended = finished(&self.pool, d.deployment).await;
        (d, ended)
    }

    /// Deploys `tag` and waits for the end.
    pub async fn deploy_and_wait(&mut self, tag: &str) -> (DeploymentStarted, Ended) {
        self.run("/api/deploy", &format!("tag={tag}")).await
    }

    pub async fn pages(&self) -> Vec<String> {
        pages(&self.docker, &self.pool).await
    }

    pub async fn containers(&self) -> Vec<(String, Option<String>, bool, i64)> {
        containers(&self.docker, &self.pool).await
    }

    pub async fn steps(&self, deployment: i64) -> String {
        steps(&self.pool, deployment).await
    }
}

/// Builds `<repo>:v1`…`v4`: v1 and v2 healthy with different pages, v3
/// failing its health check, v4 exiting at start. Returns the image ids.
pub async fn build_images(docker: &Docker, repo: &str) -> [String; 4] {
    let spec = [
        ("v1", "hello from v1\n", true, false),
        ("v2", "hello from v2\n", true, false),
        ("v3", "hello from v3\n", false, false),
        ("v4", "hello from v4\n", true, true),
    ];
    let mut ids = Vec::new();
    for (tag, content, healthy, exits_at_start) in spec {
        let tag = format!("{repo}:{tag}");
        let image = WebImage {
            tag: &tag,
            content,
            healthy,
            exits_at_start,
        };
        ids.push(image.build(docker).await.unwrap());
    }
    ids.try_into().unwrap()
}

/// Creates service `name` (image `repo`, HTTP check on /healthz, quick
/// health timings) and returns its id.
pub async fn create_service(
    client: &mut Client,
    name: &str,
    repo: &str,
    replicas: u32,
    extra: &str,
) -> i64 {
    let form = format!(
        "environment=production&name={name}&image={}&port=8080&health_kind=http&health_check=%2Fhealthz\
         &health_interval_s=1&health_timeout_s=1&health_retries=2&health_start_period_s=0\
         &replicas={replicas}&stop_timeout_s=1{extra}",
        repo.replace('/', "%2F")
    );
    let reply = client.post_form("/api/save_service", &form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let saved: app::deploy::SavedService = serde_json::from_str(&reply.body).unwrap();
    saved.id
}

pub async fn deploy(client: &mut Client, service: &str, tag: &str) -> Reply {
    client
        .post_form("/api/deploy", &format!("service={service}&tag={tag}"))
        .await
}

pub fn started(reply: &Reply) -> DeploymentStarted {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

/// Waits for a deployment to leave `running`; returns its state and reason.
pub async fn finished(db: &PgPool, id: i64) -> (String, Option<String>, Option<String>) {
    let end = Instant::now() + Duration::from_secs(180);
    loop {
        let row: (String, Option<String>, Option<String>) =
            sqlx::query_as("SELECT state, reason, health_output FROM deployment WHERE id = $1")
                .bind(id)
                .fetch_one(db)
                .await
                .unwrap();
        if row.0 != "running" {
            return row;
        }
        assert!(
            Instant::now() < end,
            "deployment {id} still running after 3 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The containers of this test database's installation: (name, ip, running, release id).
pub async fn containers(docker: &Docker, db: &PgPool) -> Vec<(String, Option<String>, bool, i64)> {
    let installation: String = sqlx::query_scalar("SELECT installation_id::text FROM instance")
        .fetch_one(db)
        .await
        .unwrap();
    let filters = HashMap::from([(
        "label",
        vec![format!("opsdeck.installation={installation}")],
    )]);
    let list = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build(),
        ))
        .await
        .unwrap();
    list.into_iter()
        .map(|c| {
            let labels = c.labels.clone().unwrap_or_default();
            let ip = c
                .network_settings
                .and_then(|n| n.networks)
                .and_then(|n| n.into_values().next())
                .and_then(|e| e.ip_address)
                .filter(|ip| !ip.is_empty());
            (
                c.names
                    .and_then(|n| n.into_iter().next())
                    .unwrap_or_default(),
                ip,
                c.state.map(|s| s.to_string()).as_deref() == Some("running"),
                labels
                    .get("opsdeck.release")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(0),
            )
        })
        .collect()
}

/// The page each running replica serves at `/` (failed fetches left out).
pub async fn pages(docker: &Docker, db: &PgPool) -> Vec<String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(800))
        .build()
        .unwrap();
    let mut out = Vec::new();
    for (_, ip, running, _) in containers(docker, db).await {
        let (Some(ip), true) = (ip, running) else {
            continue;
        };
        if let Ok(r) = http.get(format!("http://{ip}:8080/")).send().await {
            if r.status().is_success() {
                out.push(r.text().await.unwrap_or_default().trim().to_string());
            }
        }
    }
    out.sort();
    out
}

/// Removes the containers of one test database's installation when
/// dropped, even when the test panics, so that no test leaves replicas
/// running on the shared engine.
pub struct Containers {
    installation: String,
}

impl Containers {
    pub async fn of(db: &PgPool) -> Self {
        let installation = sqlx::query_scalar("SELECT installation_id::text FROM instance")
            .fetch_one(db)
            .await
            .unwrap();
        Containers { installation }
    }
}

impl Drop for Containers {
    fn drop(&mut self) {
        let label = format!("opsdeck.installation={}", self.installation);
        testkit::remove_containers("label", &label);
    }
}

/// The step messages of a deployment, in order, as one text.
pub async fn steps(db: &PgPool, deployment: i64) -> String {
    let steps: Vec<String> = sqlx::query_scalar(
        "SELECT message FROM deployment_step WHERE deployment_id = $1 ORDER BY id",
    )
    .bind(deployment)
    .fetch_all(db)
    .await
    .unwrap();
    steps.join("\n")
}

/// The live release number of the only service.
pub async fn live_release(db: &PgPool) -> Option<i32> {
    sqlx::query_scalar(
        "SELECT r.number FROM service s LEFT JOIN release r ON r.id = s.live_release_id",
    )
    .fetch_one(db)
    .await
    .unwrap()
}
