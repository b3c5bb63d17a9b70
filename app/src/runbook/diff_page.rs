//! `/runbooks/<slug>/diff?from=A&to=B`: what changed between two versions,
//! line by line with the line numbers of each, and the title, tags and
//! services when they changed. Without `from`/`to`: the newest change.

use super::api::{read_runbook, runbook_diff};
use super::widgets::version_line;
use super::{DiffKind, DiffLine, VersionDiff};
use crate::layout::ui::*;
use crate::layout::ErrorNotice;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn RunbookDiffPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let pick = move |name: &str| query.read().get(name).and_then(|v| v.parse::<i32>().ok());
    let wanted = Memo::new(move |_| (pick("from"), pick("to")));
    let diff = Resource::new(
        move || (slug.get(), wanted.get()),
        |(slug, wanted)| diff_of(slug, wanted),
    );
    view! {
        <Title text=move || format!("Changes of {}", slug.get())/>
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match diff.await {
                    Ok(d) => view! { <Diff diff=d/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The diff asked for; a version left out is the newest (`to`) or the one
/// before `to` (`from`).
async fn diff_of(
    slug: String,
    wanted: (Option<i32>, Option<i32>),
) -> Result<VersionDiff, AppError> {
    let (from, to) = match wanted {
        (Some(from), Some(to)) => (from, to),
        (from, to) => {
            let to = match to {
                Some(to) => to,
                None => read_runbook(slug.clone(), None).await?.current,
            };
            (from.unwrap_or((to - 1).max(1)), to)
        }
    };
    runbook_diff(slug, from, to).await
}

#[component]
fn Diff(diff: VersionDiff) -> impl IntoView {
    let d = diff;
    let added = d.lines.iter().filter(|l| l.kind == DiffKind::Added).count();
    let removed = d
        .lines
        .iter()
        .filter(|l| l.kind == DiffKind::Removed)
        .count();
    let back = format!("/runbooks/{}", d.slug);
    let from = version_line(d.from.version, &d.from.author, d.from.at, &d.from.message);
    let to = version_line(d.to.version, &d.to.author, d.to.at, &d.to.message);
    view! {
        <div class="mb-6">
            <h1 class="text-2xl font-semibold tracking-tight">
                "Changes of " <a class=LINK href=back>{d.title.1.clone()}</a>
            </h1>
            <p class="mt-1 text-sm text-slate-500" data-test="diff-from">"From " {from}</p>
            <p class="text-sm text-slate-500" data-test="diff-to">"To " {to}</p>
            <p class="mt-1 text-sm" data-test="diff-count">{format!("lines: {added} added, {removed} removed")}</p>
        </div>
        <Changed what="Title" test="diff-title" old=vec![d.title.0] new=vec![d.title.1]/>
        <Changed what="Tags" test="diff-tags" old=d.tags.0 new=d.tags.1/>
        <Changed what="Services" test="diff-services" old=d.services.0 new=d.services.1/>
        <Lines lines=d.lines/>
    }
}

/// "Tags: a, b → a, c", when they differ.
#[component]
fn Changed(
    what: &'static str,
    test: &'static str,
    old: Vec<String>,
    new: Vec<String>,
) -> impl IntoView {
    (old != new).then(|| {
        let show = |v: Vec<String>| if v.is_empty() { "none".to_string() } else { v.join(", ") };
        view! {
            <p class="mb-2 text-sm" data-test=test>
                <span class="font-medium">{what} ": "</span>
                <del class="bg-red-50 text-red-800 dark:bg-red-950 dark:text-red-200">{show(old)}</del>
                " → "
                <ins class="bg-emerald-50 text-emerald-800 no-underline dark:bg-emerald-950 dark:text-emerald-200">{show(new)}</ins>
            </p>
        }
    })
}

/// The unified line diff: old number, new number, sign, text.
#[component]
fn Lines(lines: Vec<DiffLine>) -> impl IntoView {
    let rows = lines
        .into_iter()
        .map(|l| {
            let (kind, sign, tone) = match l.kind {
                DiffKind::Same => ("same", " ", ""),
                DiffKind::Added => ("added", "+", "bg-emerald-50 dark:bg-emerald-950"),
                DiffKind::Removed => ("removed", "-", "bg-red-50 dark:bg-red-950"),
            };
            let n = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
            view! {
                <tr class=tone data-test="diff-line" data-kind=kind>
                    <td class="w-12 select-none px-2 text-right text-slate-400" data-test="old-line">{n(l.old)}</td>
                    <td class="w-12 select-none px-2 text-right text-slate-400" data-test="new-line">{n(l.new)}</td>
                    <td class="w-4 select-none px-1">{sign}</td>
                    <td class="whitespace-pre-wrap break-all px-2" data-test="line-text">{l.text}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="mt-4 overflow-x-auto rounded-md border border-slate-200 dark:border-slate-800">
            <table class="w-full font-mono text-xs" data-test="diff">
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
