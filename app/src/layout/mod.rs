//! The page frame (header, navigation, degraded banner, footer) and small
//! building blocks that every page uses.

mod banner;
#[cfg(feature = "ssr")]
pub mod csp;
mod escape;
mod fetch_retry;
mod island_scripts;
mod parts;
mod post;
mod reload;
mod signed_in;
pub mod ui;

pub use banner::StatusBanner;
pub use escape::html_text;
pub use fetch_retry::FetchRetry;
#[cfg(feature = "ssr")]
pub use island_scripts::island_bundle;
pub use island_scripts::{IslandBundle, IslandScripts};
pub use parts::{Fact, NotFound, PageHeader};
pub use post::{ask, form_body, Post, PostForm, PostOf};
pub use reload::reload_on;
pub use signed_in::{use_signed_in, SignedIn};
pub use ui::{first_error, ActionError, Badge, ErrorNotice, Tone};

use crate::auth::api::Logout;
use crate::auth::{CurrentUser, Permission};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

/// Navigation entries and the permission each needs; only pages that exist are listed.
const NAV: &[(&str, &str, Permission)] = &[
    ("/", "Dashboard", Permission::Read),
    ("/services", "Services", Permission::Read),
    ("/incidents", "Incidents", Permission::Read),
    ("/runbooks", "Runbooks", Permission::Read),
    ("/backups", "Backups", Permission::Read),
    ("/engine", "Engine", Permission::Read),
    ("/tokens", "API tokens", Permission::Read),
    ("/admin/users", "Users", Permission::Administer),
    ("/admin/endpoints", "Endpoints", Permission::Administer),
    ("/admin/webhooks", "Webhooks", Permission::Administer),
    ("/admin/audit", "Audit", Permission::ReadAudit),
];

/// Pages a signed-out visitor may see.
const PUBLIC: &[&str] = &["/login", "/setup"];

/// Header with navigation, the degraded banner, the page, and the footer.
/// Signed-out visitors of any other page are sent to `/login`.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let me = SignedIn::provide();
    view! {
        <div class="flex min-h-screen flex-col">
            <header class="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
                <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-x-8 gap-y-2 px-4 py-3">
                    <a href="/" class="text-lg font-semibold tracking-tight">"Opsdeck"</a>
                    <Suspense>
                        {move || Suspend::new(async move {
                            let user = me.user().await;
                            view! { <Gate user=user.clone()/> <Nav user=user/> }
                        })}
                    </Suspense>
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

/// Sends a signed-out visitor of a private page to the login page: an HTTP
/// redirect when rendered on the server, a navigation in the browser.
#[component]
fn Gate(user: Option<CurrentUser>) -> impl IntoView {
    let path = use_location().pathname.get_untracked();
    if user.is_some() || PUBLIC.contains(&path.as_str()) {
        return;
    }
    let target = crate::auth::api::login_path(&path);
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(&target);
    #[cfg(not(feature = "ssr"))]
    {
        let navigate = leptos_router::hooks::use_navigate();
        request_animation_frame(move || navigate(&target, Default::default()));
    }
}

#[component]
fn Nav(user: Option<CurrentUser>) -> impl IntoView {
    let user = user?;
    let links = NAV
        .iter()
        .filter(|(_, _, p)| user.can(*p))
        .map(|(href, label, _)| view! { <NavLink href=*href label=*label/> })
        .collect_view();
    Some(view! {
        <nav aria-label="Main" class="flex flex-1 flex-wrap gap-1 text-sm">{links}</nav>
        // A plain GET form: it works before hydration and without script.
        <form method="get" action="/runbooks" role="search" class="text-sm">
            <input type="search" name="q" aria-label="Search runbooks" placeholder="Search runbooks" data-test="header-search"
                class="w-40 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-950"/>
        </form>
        <form method="post" action=Logout::url() class="flex items-center gap-3 text-sm">
            <span class="text-slate-500" data-test="signed-in-as">{user.display_name.clone()}</span>
            <button type="submit" data-test="logout" class="rounded-md px-3 py-1.5 text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800">
                "Sign out"
            </button>
        </form>
    })
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
