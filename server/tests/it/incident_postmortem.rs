//! The postmortem of an incident: written only once it is resolved, each
//! change audited, and exported as CommonMark that hostile text cannot
//! bend, read back here with pulldown-cmark.

use crate::support::incident::audited;
use crate::support::refused;
use crate::support::{dead_docker_host, signed_in, state, Client};
use app::auth::Role;
use app::incident::IncidentDetail;
use axum::http::StatusCode;
use pulldown_cmark::{Event, Parser, Tag};
use sqlx::PgPool;

const HOSTILE: &str = "# h1 | pipe `tick` <img src=x onerror=alert(1)>\n- not a list\n</textarea>";

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn ok(client: &mut Client, path: &str, pairs: &[(&str, &str)]) -> String {
    let reply = client.post_form(path, &form(pairs)).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    reply.body
}

async fn read(client: &mut Client, id: i64) -> IncidentDetail {
    let body = ok(client, "/api/read_incident", &[("id", &id.to_string())]).await;
    serde_json::from_str(&body).unwrap()
}

/// Declared with a hostile title, a hostile note on its timeline.
async fn hostile_incident(rita: &mut Client) -> i64 {
    let body = ok(
        rita,
        "/api/declare_incident",
        &[("title", HOSTILE), ("severity", "SEV1")],
    )
    .await;
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["incident"]
        .as_i64()
        .unwrap();
    let id_s = id.to_string();
    ok(
        rita,
        "/api/add_incident_note",
        &[("id", &id_s), ("text", HOSTILE)],
    )
    .await;
    ok(
        rita,
        "/api/set_incident_severity",
        &[("id", &id_s), ("severity", "SEV2")],
    )
    .await;
    id
}

#[sqlx::test(migrations = "../migrations")]
async fn a_postmortem_is_written_only_after_resolve_and_each_change_is_audited(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let id = hostile_incident(&mut rita).await;
    let id_s = id.to_string();
    let early = rita
        .post_form(
            "/api/save_incident_postmortem",
            &form(&[("id", &id_s), ("summary", "x")]),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert!(early.body.contains("resolve it"), "{}", early.body);
    ok(
        &mut rita,
        "/api/set_incident_status",
        &[("id", &id_s), ("status", "resolved")],
    )
    .await;

    let sections = [
        ("id", id_s.as_str()),
        ("summary", "Checkout failed for 40 minutes."),
        ("impact", HOSTILE),
        ("contributing_factors", "No canary."),
        ("went_well", "Rollback took 2 minutes."),
        ("went_badly", "Paging was late."),
    ];
    ok(&mut rita, "/api/save_incident_postmortem", &sections).await;
    ok(&mut rita, "/api/save_incident_postmortem", &sections).await;
    let first = ok(
        &mut rita,
        "/api/add_incident_action_item",
        &[
            ("id", &id_s),
            ("text", "Add a canary stage"),
            ("owner", "dee"),
            ("due", "2026-12-01"),
        ],
    )
    .await;
    ok(
        &mut rita,
        "/api/add_incident_action_item",
        &[("id", &id_s), ("text", HOSTILE)],
    )
    .await;
    ok(
        &mut rita,
        "/api/set_incident_action_item_done",
        &[("id", &id_s), ("item", &first), ("done", "true")],
    )
    .await;

    let add = |pairs: Vec<(&'static str, String)>| {
        form(
            &pairs
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
    };
    for (body, field) in [
        (
            add(vec![("id", id_s.clone()), ("text", " ".into())]),
            "text",
        ),
        (
            add(vec![
                ("id", id_s.clone()),
                ("text", "x".into()),
                ("due", "soon".into()),
            ]),
            "due",
        ),
        (
            add(vec![("id", id_s.clone()), ("text", "x".repeat(501))]),
            "text",
        ),
        (
            add(vec![
                ("id", id_s.clone()),
                ("text", "x".into()),
                ("owner", "o".repeat(101)),
            ]),
            "owner",
        ),
    ] {
        refused(
            &rita.post_form("/api/add_incident_action_item", &body).await,
            field,
        );
    }
    let long = form(&[("id", &id_s), ("went_badly", &"b".repeat(20_001))]);
    refused(
        &rita.post_form("/api/save_incident_postmortem", &long).await,
        "went_badly",
    );
    let elsewhere = form(&[("id", "999"), ("item", &first), ("done", "false")]);
    let missing = rita
        .post_form("/api/set_incident_action_item_done", &elsewhere)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);

    let p = read(&mut rita, id).await.postmortem;
    assert_eq!(p.summary, "Checkout failed for 40 minutes.");
    assert_eq!(p.impact, HOSTILE);
    assert_eq!(p.updated.unwrap().0, "user:rita");
    let items: Vec<(&str, &str, bool)> = p
        .action_items
        .iter()
        .map(|a| (a.text.as_str(), a.owner.as_str(), a.done))
        .collect();
    assert_eq!(
        items,
        [("Add a canary stage", "dee", true), (HOSTILE, "", false)]
    );
    assert_eq!(audited(&pool, id, "incident.postmortem").await, 2);
    assert_eq!(audited(&pool, id, "incident.action_item.add").await, 2);
    assert_eq!(audited(&pool, id, "incident.action_item.done").await, 1);
}

/// The document as (block kind, text) pairs; panics on any raw HTML, code,
/// link or image: user text must never become one.
fn blocks(markdown: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                out.push((format!("{level:?}"), String::new()))
            }
            Event::Start(Tag::Item) => out.push(("item".into(), String::new())),
            Event::Start(Tag::Paragraph) => {
                if out.last().is_none_or(|(k, _)| k != "item") {
                    out.push(("p".into(), String::new()));
                }
            }
            Event::Text(t) => out.last_mut().unwrap().1.push_str(&t),
            Event::SoftBreak => out.last_mut().unwrap().1.push(' '),
            Event::HardBreak => out.last_mut().unwrap().1.push('\n'),
            Event::Start(Tag::List(_) | Tag::Emphasis) | Event::End(_) => {}
            other => panic!("the export holds {other:?}:\n{markdown}"),
        }
    }
    out
}

#[sqlx::test(migrations = "../migrations")]
async fn the_markdown_export_gives_times_services_timeline_and_items_and_survives_hostile_text(
    pool: PgPool,
) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let id = hostile_incident(&mut rita).await;
    let id_s = id.to_string();
    ok(
        &mut rita,
        "/api/set_incident_status",
        &[("id", &id_s), ("status", "resolved")],
    )
    .await;
    ok(
        &mut rita,
        "/api/save_incident_postmortem",
        &[("id", &id_s), ("summary", HOSTILE)],
    )
    .await;
    ok(
        &mut rita,
        "/api/add_incident_action_item",
        &[("id", &id_s), ("text", HOSTILE), ("due", "2026-12-01")],
    )
    .await;
    let detail = read(&mut rita, id).await;

    let mut vic = signed_in(&s, "vic", &[Role::Viewer]).await;
    let reply = vic.get(&format!("/incidents/{id}/postmortem.md")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.headers["content-type"],
        "text/markdown; charset=utf-8"
    );
    let blocks = blocks(&reply.body);
    let one_line = HOSTILE.lines().collect::<Vec<_>>().join(" ");
    assert_eq!(
        blocks[0],
        (
            "H1".into(),
            format!("Postmortem: incident #{id} — {one_line}")
        )
    );
    let headings: Vec<&str> = blocks
        .iter()
        .skip(1)
        .filter(|(k, _)| k == "H2")
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(
        headings,
        [
            "Time in each severity",
            "Affected services",
            "Suspected cause",
            "Summary",
            "Impact",
            "Contributing factors",
            "What went well",
            "What went badly",
            "Action items",
            "Timeline (UTC)"
        ]
    );
    let i = &detail.incident;
    let utc = app::format::utc;
    for fact in [
        format!("Declared: {}", utc(i.declared_at)),
        format!("Acknowledged: {}", utc(i.acknowledged_at.unwrap())),
        format!("Resolved: {}", utc(i.resolved_at.unwrap())),
        format!("Impact began: {}", utc(i.started_at)),
    ] {
        assert!(
            blocks.contains(&("item".into(), fact.clone())),
            "{fact}:\n{}",
            reply.body
        );
    }
    let summary = blocks.iter().position(|(_, t)| t == "Summary").unwrap();
    assert_eq!(blocks[summary + 1], ("p".into(), HOSTILE.to_string()));
    assert!(blocks.contains(&(
        "item".into(),
        format!("open: {one_line} (owner: nobody yet; due: 2026-12-01)")
    )));
    let timeline = blocks
        .iter()
        .position(|(_, t)| t == "Timeline (UTC)")
        .unwrap();
    let entries: Vec<&String> = blocks[timeline + 1..].iter().map(|(_, t)| t).collect();
    assert_eq!(
        entries.len(),
        detail.timeline.len(),
        "the whole timeline, one item each"
    );
    for (text, entry) in entries.iter().zip(&detail.timeline) {
        let head = format!(
            "{} — {} — rita (audit #{}):",
            utc(entry.at),
            entry.kind.as_str(),
            entry.audit_event_id.unwrap()
        );
        assert_eq!(
            **text,
            format!("{head}\n{}", entry.body),
            "in the order things happened"
        );
    }
    assert!(
        entries.iter().any(|t| t.ends_with(HOSTILE)),
        "the note, line by line"
    );

    let missing = vic.get("/incidents/999/postmortem.md").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
