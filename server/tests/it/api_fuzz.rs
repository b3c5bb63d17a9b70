//! Random and malformed bodies at every registered server function, through
//! the real router, signed in as an admin and anonymously: whatever arrives,
//! the answer is never a panic and never a 5xx.

use crate::support::{create_user, state, Client, ORIGIN, PASSWORD};
use app::auth::registry::SERVER_FNS;
use app::auth::Role;
use app::state::AppState;
use axum::body::Body;
use axum::http::Request;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use sqlx::PgPool;

/// Cases per server function and caller: 43 functions × 2 callers × 6 cases
/// run in seconds.
const CASES: usize = 6;

/// Values that break a decoder or a naive check.
fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("abc".to_string()),
        Just("99999999999999999999999999".to_string()),
        Just("-1".to_string()),
        Just("1e309".to_string()),
        Just(String::new()),
        Just("%ZZ%".to_string()),
        Just("</title><img src=x onerror=alert(1)>".to_string()),
        Just("a".repeat(100_000)),
        "\\PC{0,40}",
        any::<i64>().prop_map(|n| n.to_string()),
    ]
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The registry's well-formed body with one field changed, dropped or added.
fn mutated_form(sample: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let pairs: Vec<(String, String)> = sample
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    let n = pairs.len().max(1);
    (0..n, 0..3u8, hostile_value(), "[a-z\\[\\]0-9]{1,12}").prop_map(
        move |(at, how, value, key)| {
            let mut p = pairs.clone();
            match (how, p.get_mut(at)) {
                (0, Some(pair)) => pair.1 = encode(&value),
                (1, Some(_)) => {
                    p.remove(at);
                }
                _ => p.push((key, encode(&value))),
            }
            let body: Vec<String> = p.iter().map(|(k, v)| format!("{k}={v}")).collect();
            body.join("&").into_bytes()
        },
    )
}

/// JSON of the wrong shape, or not JSON at all.
fn json_body() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        hostile_value().prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    prop_oneof![
        value.prop_map(|v| v.to_string().into_bytes()),
        Just(br#"{"id": "#.to_vec()),
        Just(br#"{"id": "abc"}"#.to_vec()),
    ]
}

fn body_for(sample: &'static str) -> impl Strategy<Value = (Vec<u8>, &'static str)> {
    let content_type = prop_oneof![
        Just("application/x-www-form-urlencoded"),
        Just("application/json"),
        Just("text/plain"),
    ];
    let body = prop_oneof![
        3 => mutated_form(sample),
        2 => json_body(),
        1 => proptest::collection::vec(any::<u8>(), 0..512),
    ];
    (body, content_type)
}

/// An admin signed in from an address of its own (anonymous sign-in
/// failures must not throttle it).
async fn admin(s: &AppState, n: u32) -> Client {
    let name = format!("fuzz-admin-{n}");
    create_user(&s.db, &name, &[Role::Admin]).await;
    let mut client = Client::new(s);
    client.set_client_addr(&format!("127.0.1.{}:40000", n % 250 + 1));
    let reply = client.login(&name, PASSWORD).await;
    assert!(reply.ok(), "login: {} {}", reply.status, reply.body);
    client
}

#[sqlx::test(migrations = "../migrations")]
async fn random_and_malformed_bodies_never_get_a_5xx_from_any_server_fn(pool: PgPool) {
    let s = state(pool, &testkit::docker_host());
    let mut runner = TestRunner::deterministic();
    let mut admins = 0;
    let mut signed_in = admin(&s, admins).await;
    let mut anonymous = Client::new(&s);
    for (path, _, sample, _) in SERVER_FNS {
        for case in 0..CASES * 2 {
            let (body, content_type) = body_for(sample).new_tree(&mut runner).unwrap().current();
            let as_admin = case % 2 == 0;
            let client = if as_admin {
                &mut signed_in
            } else {
                &mut anonymous
            };
            let req = Request::post(*path)
                .header("origin", ORIGIN)
                .header("content-type", content_type)
                .body(Body::from(body.clone()))
                .unwrap();
            let reply = client.send(req).await;
            assert!(
                !reply.status.is_server_error(),
                "{path} ({content_type}, {}) answered {}: {}\nbody: {:?}",
                if as_admin { "admin" } else { "anonymous" },
                reply.status,
                reply.body,
                String::from_utf8_lossy(&body[..body.len().min(300)]),
            );
            if as_admin && (client.cookie().is_none() || *path == "/api/logout") {
                admins += 1;
                signed_in = admin(&s, admins).await;
            }
        }
    }
}
