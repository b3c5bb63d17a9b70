//! Small pieces the runbook pages share: tags and services as chips, the
//! look of rendered markdown, and the words for a version.

use crate::format::utc;
use crate::layout::ui::LINK;
use leptos::prelude::*;

/// Rendered markdown: headings, lists, code and tables spaced and marked
/// as a reader expects (the stylesheet's reset flattens them otherwise).
pub const PROSE: &str = "break-words text-sm leading-6 [&_h1]:mb-3 [&_h1]:mt-4 [&_h1]:text-xl [&_h1]:font-semibold [&_h2]:mb-2 [&_h2]:mt-4 [&_h2]:text-lg [&_h2]:font-semibold [&_h3]:mb-2 [&_h3]:mt-3 [&_h3]:font-semibold [&_p]:my-2 [&_ul]:my-2 [&_ul]:list-disc [&_ul]:pl-6 [&_ol]:my-2 [&_ol]:list-decimal [&_ol]:pl-6 [&_a]:underline [&_code]:rounded [&_code]:bg-slate-100 [&_code]:px-1 [&_code]:font-mono [&_code]:text-xs dark:[&_code]:bg-slate-800 [&_pre]:my-2 [&_pre]:overflow-x-auto [&_pre]:rounded-md [&_pre]:bg-slate-100 [&_pre]:p-3 dark:[&_pre]:bg-slate-800 [&_blockquote]:border-l-4 [&_blockquote]:border-slate-300 [&_blockquote]:pl-3 [&_table]:my-2 [&_th]:border [&_th]:border-slate-300 [&_th]:px-2 [&_td]:border [&_td]:border-slate-300 [&_td]:px-2 [&_mark]:bg-amber-200 dark:[&_mark]:bg-amber-700";

/// A runbook's tags, each a small grey chip.
#[component]
pub fn Tags(tags: Vec<String>) -> impl IntoView {
    tags.into_iter()
        .map(|t| {
            view! { <span class="mr-1 whitespace-nowrap rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800" data-test="tag">{t}</span> }
        })
        .collect_view()
}

/// A runbook's services (`environment/name`), each a link to its page.
#[component]
pub fn Services(services: Vec<String>) -> impl IntoView {
    services
        .into_iter()
        .map(|s| {
            view! { <a class=format!("{LINK} mr-2 text-xs") href=format!("/services/{s}") data-test="service">{s.clone()}</a> }
        })
        .collect_view()
}

/// "v3 by alice, 2026-11-27 05:30 UTC: the message".
pub fn version_line(
    version: i32,
    author: &str,
    at: chrono::DateTime<chrono::Utc>,
    message: &str,
) -> String {
    let who = author.trim_start_matches("user:");
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    format!("v{version} by {who}, {}{said}", utc(at))
}
