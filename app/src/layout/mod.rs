//! The page frame (header, navigation, degraded banner, footer) and small
//! building blocks that every page uses.

mod banner;
mod parts;

pub use banner::StatusBanner;
pub use parts::{ErrorNotice, Fact, NotFound, PageHeader};

use leptos::prelude::*;
use leptos_router::components::A;

/// Navigation entries; only pages that exist are listed.
const NAV: &[(&str, &str)] = &[("/", "Overview"), ("/engine", "Engine")];

/// Header with navigation, the degraded banner, the page, and the footer.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <div class="flex min-h-screen flex-col">
            <header class="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
                <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-x-8 gap-y-2 px-4 py-3">
                    <a href="/" class="text-lg font-semibold tracking-tight">"Opsdeck"</a>
                    <nav aria-label="Main" class="flex flex-wrap gap-1 text-sm">
                        {NAV.iter().map(|(href, label)| view! { <NavLink href=*href label=*label/> }).collect_view()}
                    </nav>
                </div>
            </header>
            <StatusBanner/>
            <main class="mx-auto w-full max-w-6xl flex-1 px-4 py-8">{children()}</main>
            <footer class="border-t border-slate-200 py-4 text-center text-xs text-slate-500 dark:border-slate-800">
                "Opsdeck " <span data-test="version">{crate::VERSION}</span>
            </footer>
        </div>
    }
}

#[component]
fn NavLink(href: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <A
            href=href
            attr:class="rounded-md px-3 py-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900 aria-[current=page]:bg-slate-900 aria-[current=page]:text-white dark:text-slate-300 dark:hover:bg-slate-800 dark:aria-[current=page]:bg-slate-100 dark:aria-[current=page]:text-slate-900"
        >
            {label}
        </A>
    }
}
