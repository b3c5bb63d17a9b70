//! Server-rendered SVG charts: readable without JavaScript, each with a
//! title and a description for screen readers, and the figures in text.

use super::{BackupFreshness, MttrWeek, WeekBar};
use crate::format::duration;
use leptos::prelude::*;

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;
const GOOD: &str = "fill-emerald-500";
const BAD: &str = "fill-red-500";
const WARN: &str = "fill-amber-500";

/// Deployments per week, the failed ones stacked on top in red.
#[component]
pub fn WeeklyDeploys(weeks: Vec<WeekBar>) -> impl IntoView {
    let most = weeks
        .iter()
        .map(|w| w.deployments)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = WIDTH / weeks.len().max(1) as f64;
    let total: usize = weeks.iter().map(|w| w.deployments).sum();
    let failed: usize = weeks.iter().map(|w| w.failed).sum();
    let bars = weeks
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            let x = i as f64 * slot + slot * 0.15;
            let scale = (HEIGHT - 20.0) / most;
            let (ok_h, bad_h) = ((w.deployments - w.failed) as f64 * scale, w.failed as f64 * scale);
            let base = HEIGHT - 16.0;
            let label = format!("week of {}: {} deployments, {} failed", w.monday, w.deployments, w.failed);
            view! {
                <g>
                    <title>{label}</title>
                    <rect class=GOOD x=x y=base - ok_h width=slot * 0.7 height=ok_h/>
                    <rect class=BAD x=x y=base - ok_h - bad_h width=slot * 0.7 height=bad_h/>
                    <text class="fill-slate-500" font-size="9" x=x y=HEIGHT - 4.0>{w.monday.format("%d %b").to_string()}</text>
                </g>
            }
        })
        .collect_view();
    let summary = format!("{total} deployments, {failed} failed");
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="h-40 w-full" role="img" aria-labelledby="weekly-title weekly-desc" data-test="weekly-deploys">
            <title id="weekly-title">"Deployments per week"</title>
            <desc id="weekly-desc">{summary}</desc>
            {bars}
        </svg>
    }
}

/// Each target's newest good backup age as a share of its RPO (the line
/// at 100 %; amber past 75 %, red past it or without a good backup).
#[component]
pub fn BackupAges(backups: Vec<BackupFreshness>) -> impl IntoView {
    let row = 22.0;
    let height = row * backups.len().max(1) as f64 + 8.0;
    let (label_w, full) = (140.0, WIDTH - 150.0);
    // The bar scale ends at 150 % of the RPO; beyond is drawn full.
    let scale = full / 1.5;
    let bars = backups
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let y = i as f64 * row + 4.0;
            let ratio = b.age_ratio.unwrap_or(1.5).min(1.5);
            let tone = match b.age_ratio {
                Some(r) if r <= 0.75 => GOOD,
                Some(r) if r <= 1.0 => WARN,
                _ => BAD,
            };
            let said = match b.age_ratio {
                Some(r) => format!(
                    "{}: newest good backup at {:.0} % of its {} h RPO",
                    b.target,
                    r * 100.0,
                    b.rpo_hours
                ),
                None => format!("{}: no good backup", b.target),
            };
            view! {
                <g>
                    <title>{said}</title>
                    <text class="fill-slate-600" font-size="11" x=0 y=y + 14.0>{b.target}</text>
                    <rect class=tone x=label_w y=y width=ratio * scale height=row - 8.0/>
                </g>
            }
        })
        .collect_view();
    let rpo_x = label_w + scale;
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {height}") class="w-full" role="img" aria-labelledby="ages-title" data-test="backup-ages">
            <title id="ages-title">"Backup age against RPO"</title>
            {bars}
            <line class="stroke-slate-500" x1=rpo_x x2=rpo_x y1=0 y2=height stroke-dasharray="4 3"/>
        </svg>
    }
}

/// The median time to resolve per week as a line through the weeks that
/// resolved something (weeks without are gaps, not zeros: nothing was
/// measured), a dot per measured week with its figure in the title.
#[component]
pub fn MttrTrend(weeks: Vec<MttrWeek>) -> impl IntoView {
    let most = weeks
        .iter()
        .filter_map(|w| w.median_secs)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = WIDTH / weeks.len().max(1) as f64;
    let base = HEIGHT - 16.0;
    let point = |i: usize, secs: i64| {
        (
            i as f64 * slot + slot / 2.0,
            base - secs as f64 * (HEIGHT - 28.0) / most,
        )
    };
    let measured: Vec<(usize, &MttrWeek)> = weeks
        .iter()
        .enumerate()
        .filter(|(_, w)| w.median_secs.is_some())
        .collect();
    let line = measured
        .iter()
        .filter_map(|(i, w)| w.median_secs.map(|m| point(*i, m)))
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let summary = match measured.len() {
        0 => "no incident resolved in the period".to_string(),
        n => format!("{n} weeks with resolved incidents"),
    };
    let marks = weeks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let x = i as f64 * slot + slot / 2.0;
            let label = match w.median_secs {
                Some(m) => format!(
                    "week of {}: {} resolved, median time to resolve {}",
                    w.monday,
                    w.resolved,
                    duration(m)
                ),
                None => format!("week of {}: none resolved", w.monday),
            };
            let dot = w.median_secs.map(|m| {
                let (x, y) = point(i, m);
                view! { <circle class="fill-sky-600" cx=x cy=y r="3.5"/> }
            });
            view! {
                <g data-test="mttr-week">
                    <title>{label}</title>
                    <rect class="fill-transparent" x=x - slot / 2.0 y=0 width=slot height=HEIGHT/>
                    {dot}
                    <text class="fill-slate-500" font-size="9" x=x - slot * 0.35 y=HEIGHT - 4.0>{w.monday.format("%d %b").to_string()}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="h-40 w-full" role="img" aria-labelledby="mttr-title mttr-desc" data-test="mttr-trend">
            <title id="mttr-title">"Median time to resolve per week"</title>
            <desc id="mttr-desc">{summary}</desc>
            <polyline class="stroke-sky-600" fill="none" stroke-width="2" points=line/>
            {marks}
        </svg>
    }
}
