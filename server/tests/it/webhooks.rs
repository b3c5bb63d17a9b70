//! Webhooks as a receiver sees them: a real HTTP server on loopback gets
//! the events its destination subscribed to, signed as Standard Webhooks
//! says (checked here with HMAC on its own), gets a message again after
//! answering 500, and a receiver that never answers holds up no action.

use crate::support::deploy::Stage;
use crate::support::{dead_docker_host, signed_in, state, Client};
use app::auth::Role;
use app::state::AppState;
use app::webhook::{DeliveryView, WebhookCreated, WebhookView};
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sqlx::PgPool;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// One request as the receiver got it.
struct Received {
    headers: HeaderMap,
    body: String,
}

/// How the receiver answers: statuses in turn (then 200), or never.
#[derive(Clone)]
enum Answers {
    InTurn(Arc<Mutex<Vec<u16>>>),
    Never,
}

/// Starts a receiver on loopback; returns its URL and what it receives.
async fn receiver(answers: Answers) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (tx, answers) = (tx.clone(), answers.clone());
            async move {
                let _ = tx.send(Received { headers, body });
                match answers {
                    Answers::Never => std::future::pending().await,
                    Answers::InTurn(queue) => {
                        let next = { queue.lock().unwrap().pop() };
                        StatusCode::from_u16(next.unwrap_or(200)).unwrap()
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    // A deadlock guard, not a speed requirement: the first retry is 5 s.
    tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("the receiver got a request")
        .expect("the receiver is running")
}

async fn add_destination(
    admin: &mut Client,
    name: &str,
    url: &str,
    events: &[&str],
) -> WebhookCreated {
    let mut form = format!("name={name}&url={}&format=standard", urlencode(url));
    for (i, e) in events.iter().enumerate() {
        form.push_str(&format!("&events[{i}]={e}"));
    }
    let reply = admin.post_form("/api/create_webhook", &form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Checks the three Standard Webhooks headers against `secret`.
fn assert_signed(received: &Received, secret: &str) {
    let header = |name: &str| received.headers[name].to_str().unwrap().to_string();
    let (id, at) = (header("webhook-id"), header("webhook-timestamp"));
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{at}.{}", received.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(
        header("webhook-signature"),
        expected,
        "signature of {}",
        received.body
    );
    let age = chrono::Utc::now().timestamp() - at.parse::<i64>().unwrap();
    assert!(
        (0..300).contains(&age),
        "timestamp {at} is the sending time"
    );
}

fn sender(s: &AppState) -> tokio::task::JoinHandle<()> {
    app::webhook::ssr::send::spawn_sender(s.clone(), Duration::from_secs(1))
}

async fn destinations(admin: &mut Client) -> Vec<WebhookView> {
    let reply = admin.post_form("/api/list_webhooks", "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_declared_incident_reaches_the_destination_that_subscribed_signed(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "root", &[Role::Admin]).await;
    let (url, mut received) = receiver(Answers::InTurn(Default::default())).await;
    let hook = add_destination(&mut admin, "pager", &url, &["incident.declared"]).await;
    add_destination(&mut admin, "backups-only", &url, &["backup.failed"]).await;
    let _sender = sender(&s);

    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let declared = rita
        .post_form(
            "/api/declare_incident",
            "title=Checkout+down&severity=SEV2&summary=x",
        )
        .await;
    assert_eq!(declared.status, StatusCode::OK, "{}", declared.body);
    let got = next(&mut received).await;
    assert_signed(&got, &hook.secret);
    let body: serde_json::Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(body["type"], "incident.declared", "{body}");
    assert_eq!(body["data"]["actor"], "user:rita", "{body}");
    assert!(
        body["data"]["target"]
            .as_str()
            .unwrap()
            .starts_with("incident:"),
        "{body}"
    );
    let audit_id = body["data"]["audit_event_id"].as_i64().unwrap();
    assert_eq!(
        got.headers["webhook-id"].to_str().unwrap(),
        format!("msg_{audit_id}_{}", hook.id)
    );

    assert_delivered_once(&mut admin).await;
    assert!(received.try_recv().is_err(), "one request in all");
}

async fn assert_delivered_once(admin: &mut Client) {
    for _ in 0..100 {
        let list = destinations(admin).await;
        let pager = list.iter().find(|h| h.name == "pager").unwrap();
        if pager.deliveries.iter().any(|d| d.state == "delivered") {
            assert_eq!(pager.deliveries.len(), 1, "{pager:?}");
            assert_eq!(pager.deliveries[0].last_status, Some(200));
            let others = list.iter().find(|h| h.name == "backups-only").unwrap();
            assert!(others.deliveries.is_empty(), "{others:?}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the delivery was never recorded as delivered");
}

/// The newest delivery to destination `name`, once `done` holds of it.
async fn delivery_when(
    admin: &mut Client,
    name: &str,
    done: impl Fn(&DeliveryView) -> bool,
) -> DeliveryView {
    for _ in 0..300 {
        let list = destinations(admin).await;
        let hook = list.into_iter().find(|h| h.name == name).unwrap();
        if let Some(d) = hook.deliveries.into_iter().next().filter(|d| done(d)) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the delivery to {name} never got there");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_receiver_that_answers_500_gets_the_same_message_again_and_the_log_shows_both(
    pool: PgPool,
) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "root", &[Role::Admin]).await;
    let answers = Arc::new(Mutex::new(vec![500]));
    let (url, mut received) = receiver(Answers::InTurn(answers)).await;
    let hook = add_destination(&mut admin, "flaky", &url, &["backup.failed"]).await;
    let _sender = sender(&s);

    let asked = admin
        .post_form("/api/send_test_webhook", &format!("id={}", hook.id))
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let (first, second) = (next(&mut received).await, next(&mut received).await);
    assert_signed(&first, &hook.secret);
    assert_signed(&second, &hook.secret);
    assert_eq!(
        first.headers["webhook-id"], second.headers["webhook-id"],
        "a retry is the same message"
    );
    let body: serde_json::Value = serde_json::from_str(&second.body).unwrap();
    assert_eq!(body["type"], "test", "{body}");

    let d = delivery_when(&mut admin, "flaky", |d| d.state != "pending").await;
    assert_eq!(
        (d.state.as_str(), d.attempts, d.last_status),
        ("delivered", 2, Some(200))
    );
    let statuses: Vec<Option<i32>> = sqlx::query_scalar(
        "SELECT a.status FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id
         WHERE d.webhook_id = $1 ORDER BY a.id",
    )
    .bind(hook.id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(statuses, [Some(500), Some(200)]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_receiver_that_never_answers_holds_up_no_deploy(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "hooked", 1, "&drain_s=0").await else {
        return;
    };
    let mut admin = signed_in(&stage.state, "root", &[Role::Admin]).await;
    let (url, mut received) = receiver(Answers::Never).await;
    add_destination(&mut admin, "dead", &url, &["deployment.rolled_back"]).await;
    let _sender = sender(&stage.state);
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");

    // v3 fails its health check: the gate rolls back, and the receiver is
    // told — and holds the request without answering.
    let (_, ended) = stage.deploy_and_wait("v3").await;
    assert_eq!(ended.0, "rolled_back");
    let told = next(&mut received).await;
    let body: serde_json::Value = serde_json::from_str(&told.body).unwrap();
    assert_eq!(body["type"], "deployment.rolled_back", "{body}");
    assert_eq!(
        body["data"]["target"], "service:production/hooked",
        "{body}"
    );

    // While it hangs, deploying goes on as before.
    let (_, ended) = stage.deploy_and_wait("v2").await;
    assert_eq!(ended.0, "succeeded");
    let d = delivery_when(&mut admin, "dead", |d| d.attempts > 0).await;
    assert_eq!(
        (d.state.as_str(), d.attempts, d.last_status),
        ("pending", 1, None)
    );
    let why = d.last_error.as_deref().unwrap_or_default();
    assert!(why.contains("no answer within 10 s"), "{why}");
    assert!(
        !why.contains("127.0.0.1"),
        "the log never shows the URL: {why}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_destination_is_refused_field_by_field_and_only_admins_manage_them(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "root", &[Role::Admin]).await;
    for (form, field) in [
        (
            "name=&url=http%3A%2F%2Fx%2F&format=standard&events[0]=backup.failed",
            "name",
        ),
        (
            "name=a&url=ftp%3A%2F%2Fx%2F&format=standard&events[0]=backup.failed",
            "url",
        ),
        (
            "name=a&url=http%3A%2F%2Fu%3Ap%40x%2F&format=standard&events[0]=backup.failed",
            "url",
        ),
        (
            "name=a&url=http%3A%2F%2Fx%2F&format=xml&events[0]=backup.failed",
            "format",
        ),
        ("name=a&url=http%3A%2F%2Fx%2F&format=slack", "events"),
        (
            "name=a&url=http%3A%2F%2Fx%2F&format=slack&events[0]=deploy.everything",
            "events[0]",
        ),
    ] {
        let reply = admin.post_form("/api/create_webhook", form).await;
        crate::support::refused(&reply, field);
    }
    assert!(
        destinations(&mut admin).await.is_empty(),
        "nothing was stored"
    );

    let secret_path = "https://hooks.example.com/services/T0/B0/very-secret";
    add_destination(&mut admin, "chat", secret_path, &["incident.declared"]).await;
    let shown = &destinations(&mut admin).await[0];
    assert_eq!(shown.display, "https://hooks.example.com");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT sealed_url FROM webhook")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&stored).contains("very-secret"),
        "sealed at rest"
    );

    let mut dev = signed_in(&s, "dev", &[Role::Deployer]).await;
    for (path, form) in [
        ("/api/list_webhooks", String::new()),
        ("/api/send_test_webhook", format!("id={}", shown.id)),
        ("/api/delete_webhook", format!("id={}", shown.id)),
    ] {
        let reply = dev.post_form(path, &form).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            reply.body
        );
    }
    let deleted = admin
        .post_form("/api/delete_webhook", &format!("id={}", shown.id))
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_event WHERE action LIKE 'webhook.%' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited, ["webhook.create", "webhook.delete"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_target_past_its_rpo_is_told_once_per_crossing(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "root", &[Role::Admin]).await;
    let (url, mut received) = receiver(Answers::InTurn(Default::default())).await;
    add_destination(&mut admin, "rpo", &url, &["backup.rpo_missed"]).await;
    sqlx::query(
        "INSERT INTO backup_target (name, sealed_url, display, rpo_hours, created_at)
         VALUES ('shop', '\\x00', 'db:5432/shop', 1, now() - interval '2 hours')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let record = app::backup::ssr::rpo::record_missed;
    assert_eq!(record(&pool).await.unwrap(), 1);
    assert_eq!(record(&pool).await.unwrap(), 0, "once per crossing");
    let _sender = sender(&s);
    let told = next(&mut received).await;
    let body: serde_json::Value = serde_json::from_str(&told.body).unwrap();
    assert_eq!(body["type"], "backup.rpo_missed", "{body}");
    assert_eq!(body["data"]["target"], "backup_target:shop", "{body}");

    // Another target backed up just now is within its RPO: nothing to say.
    sqlx::query(
        "INSERT INTO backup_target (name, sealed_url, display, rpo_hours, created_at)
         VALUES ('fresh', '\\x00', 'db:5432/fresh', 1, now() - interval '2 hours')",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO backup (target_id, kind, state, file, size_bytes, sha256, actor, started_at, finished_at)
         SELECT id, 'manual', 'succeeded', 'f', 1, repeat('a', 64), 'system', now(), now()
         FROM backup_target WHERE name = 'fresh'",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(
        record(&pool).await.unwrap(),
        0,
        "a fresh backup keeps the promise"
    );
}
