//! The facts as Prometheus' classic text format (version 0.0.4), which
//! every Prometheus and `promtool check metrics` read. Written with the
//! `prometheus` crate's data model and encoder rather than counted live in
//! its registry: the figures come from the records at scrape time.

use super::facts::{BackupFreshness, Facts, DURATION_BUCKETS};
use crate::AppError;
use chrono::{DateTime, Utc};
use prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType,
};
use prometheus::{Encoder, TextEncoder};

pub fn render(facts: &Facts) -> Result<String, AppError> {
    let families: Vec<MetricFamily> = [
        build_info(),
        deployments(facts),
        durations(facts),
        replicas_desired(facts),
        replicas_healthy(facts),
        open_incidents(facts),
        audit_events(facts),
        chain_intact(facts),
        chain_verified(facts),
    ]
    .into_iter()
    .chain(per_target(facts))
    .flatten()
    .collect();
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&families, &mut out)
        .map_err(AppError::internal)?;
    String::from_utf8(out).map_err(AppError::internal)
}

/// A family, or `None` when it has no sample (the encoder refuses an empty
/// one, and "no series" is how Prometheus says "never happened").
fn family(name: &str, help: &str, kind: MetricType, metrics: Vec<Metric>) -> Option<MetricFamily> {
    if metrics.is_empty() {
        return None;
    }
    let mut family = MetricFamily::default();
    family.set_name(name.into());
    family.set_help(help.into());
    family.set_field_type(kind);
    family.set_metric(metrics);
    Some(family)
}

fn labelled(labels: &[(&str, &str)]) -> Metric {
    let pairs = labels
        .iter()
        .map(|(name, value)| {
            let mut pair = LabelPair::default();
            pair.set_name((*name).into());
            pair.set_value((*value).into());
            pair
        })
        .collect();
    let mut metric = Metric::default();
    metric.set_label(pairs);
    metric
}

fn gauge(labels: &[(&str, &str)], value: f64) -> Metric {
    let mut metric = labelled(labels);
    let mut g = Gauge::default();
    g.set_value(value);
    metric.set_gauge(g);
    metric
}

fn counter(labels: &[(&str, &str)], value: f64) -> Metric {
    let mut metric = labelled(labels);
    let mut c = Counter::default();
    c.set_value(value);
    metric.set_counter(c);
    metric
}

fn seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

fn build_info() -> Option<MetricFamily> {
    let version = env!("CARGO_PKG_VERSION");
    family(
        "opsdeck_build_info",
        "Always 1; the version label names the running Opsdeck.",
        MetricType::GAUGE,
        vec![gauge(&[("version", version)], 1.0)],
    )
}

fn deployments(facts: &Facts) -> Option<MetricFamily> {
    let metrics = facts
        .deployments
        .iter()
        .map(|d| {
            let labels = [
                ("environment", d.environment.as_str()),
                ("service", d.service.as_str()),
                ("kind", d.kind.as_str()),
                ("outcome", d.outcome.as_str()),
            ];
            counter(&labels, d.count as f64)
        })
        .collect();
    family(
        "opsdeck_deployments_total",
        "Deployments that ended (deploy, rollback, scale, restart), by outcome: succeeded, rolled_back (the health gate put the previous release back), failed, interrupted.",
        MetricType::COUNTER,
        metrics,
    )
}

fn durations(facts: &Facts) -> Option<MetricFamily> {
    let metrics = facts
        .durations
        .iter()
        .map(|d| {
            let mut metric = labelled(&[
                ("environment", d.environment.as_str()),
                ("service", d.service.as_str()),
            ]);
            let buckets = DURATION_BUCKETS
                .iter()
                .zip(&d.at_most)
                .map(|(le, n)| {
                    let mut b = Bucket::default();
                    b.set_upper_bound(*le);
                    b.set_cumulative_count(u64::try_from(*n).unwrap_or(0));
                    b
                })
                .collect();
            let mut h = Histogram::default();
            h.set_sample_count(u64::try_from(d.count).unwrap_or(0));
            h.set_sample_sum(d.sum);
            h.set_bucket(buckets);
            metric.set_histogram(h);
            metric
        })
        .collect();
    family(
        "opsdeck_deployment_duration_seconds",
        "How long ended deployments took, from start to their outcome.",
        MetricType::HISTOGRAM,
        metrics,
    )
}

fn by_service(
    facts: &Facts,
    value: impl Fn(&super::facts::Replicas) -> Option<f64>,
) -> Vec<Metric> {
    facts
        .replicas
        .iter()
        .filter_map(|r| {
            let labels = [
                ("environment", r.environment.as_str()),
                ("service", r.service.as_str()),
            ];
            value(r).map(|v| gauge(&labels, v))
        })
        .collect()
}

fn replicas_desired(facts: &Facts) -> Option<MetricFamily> {
    family(
        "opsdeck_service_replicas_desired",
        "Replicas each service is meant to run.",
        MetricType::GAUGE,
        by_service(facts, |r| Some(f64::from(r.desired))),
    )
}

fn replicas_healthy(facts: &Facts) -> Option<MetricFamily> {
    family(
        "opsdeck_service_replicas_healthy",
        "Replicas of the live release passing their health check now (absent when the service's engine cannot be asked).",
        MetricType::GAUGE,
        by_service(facts, |r| r.healthy.map(f64::from)),
    )
}

/// What each backup target is measured by: name, help, and the figure
/// (none: no series for that target).
type TargetFigure = (
    &'static str,
    &'static str,
    fn(&BackupFreshness, DateTime<Utc>) -> Option<f64>,
);

const PER_TARGET: [TargetFigure; 6] = [
    (
        "opsdeck_backup_last_success_timestamp_seconds",
        "When the newest good backup (succeeded, stored, not found corrupted) was taken.",
        |b, _| b.last_success.map(seconds),
    ),
    (
        "opsdeck_backup_last_verified_timestamp_seconds",
        "When the newest good backup whose archive was checked readable was taken.",
        |b, _| b.last_verified.map(seconds),
    ),
    (
        "opsdeck_backup_size_bytes",
        "Size of the newest good backup.",
        |b, _| b.last_size_bytes.map(|n| n as f64),
    ),
    (
        "opsdeck_backup_rpo_seconds",
        "The recovery point objective set on the target.",
        |b, _| Some(f64::from(b.rpo_hours) * 3600.0),
    ),
    (
        "opsdeck_backup_age_rpo_ratio",
        "Age of the newest good backup divided by the RPO: above 1 the promise is broken; +Inf when there is no good backup.",
        |b, now| Some(age_ratio(b, now)),
    ),
    (
        "opsdeck_backup_test_restore_last_success_timestamp_seconds",
        "When the newest test restore that passed ended.",
        |b, _| b.last_test_restore.map(seconds),
    ),
];

/// One family per [`PER_TARGET`] figure, a gauge per target that has it.
fn per_target(facts: &Facts) -> Vec<Option<MetricFamily>> {
    PER_TARGET
        .iter()
        .map(|(name, help, value)| {
            let metrics = facts
                .backups
                .iter()
                .filter_map(|b| {
                    value(b, facts.now).map(|v| gauge(&[("target", b.target.as_str())], v))
                })
                .collect();
            family(name, help, MetricType::GAUGE, metrics)
        })
        .collect()
}

fn age_ratio(b: &BackupFreshness, now: DateTime<Utc>) -> f64 {
    let rpo = f64::from(b.rpo_hours) * 3600.0;
    match b.last_success {
        Some(at) => ((now - at).num_milliseconds().max(0) as f64 / 1000.0) / rpo,
        None => f64::INFINITY,
    }
}

fn open_incidents(facts: &Facts) -> Option<MetricFamily> {
    let metrics = facts
        .open_incidents
        .iter()
        .map(|(sev, n)| gauge(&[("severity", sev.as_str())], *n as f64))
        .collect();
    family(
        "opsdeck_incidents_open",
        "Incidents not resolved, by severity.",
        MetricType::GAUGE,
        metrics,
    )
}

fn audit_events(facts: &Facts) -> Option<MetricFamily> {
    family(
        "opsdeck_audit_events_total",
        "Events appended to the audit log.",
        MetricType::COUNTER,
        vec![counter(&[], facts.audit_events as f64)],
    )
}

fn chain_intact(facts: &Facts) -> Option<MetricFamily> {
    let check = facts.last_chain_check.as_ref()?;
    family(
        "opsdeck_audit_chain_intact",
        "1 when the newest check of the audit chain found it intact, 0 when it found it broken.",
        MetricType::GAUGE,
        vec![gauge(&[], if check.intact { 1.0 } else { 0.0 })],
    )
}

fn chain_verified(facts: &Facts) -> Option<MetricFamily> {
    let at = facts.last_intact_chain_check?;
    family(
        "opsdeck_audit_chain_last_verified_timestamp_seconds",
        "When a check of the whole audit chain last found it intact.",
        MetricType::GAUGE,
        vec![gauge(&[], seconds(at))],
    )
}
