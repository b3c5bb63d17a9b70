//! `/login` and `/setup`. Both are plain HTML forms posting to their server
//! functions: they work without JavaScript, and a successful post reloads
//! the whole page so every part of it sees the new session.

use super::api::{setup_needed, Login, Setup};
use super::SignInRefusal;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

fn setup_error(code: &str) -> &'static str {
    match code {
        "username" => {
            "Username: use 2 to 32 characters: lowercase letters, digits, '.', '_' or '-'."
        }
        "password" => "Password: at least 12 characters, and not the username.",
        "confirm" => "The two passwords do not match.",
        "display_name" => "Display name: 1 to 100 characters.",
        _ => "Setup could not be completed; see the server log.",
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || {
        query
            .read()
            .get("error")
            .map(|c| SignInRefusal::from_code(&c).message())
    };
    let setup = Resource::new(|| (), |_| setup_needed());
    view! {
        <Title text="Sign in"/>
        <Suspense>
            {move || Suspend::new(async move {
                match setup.await {
                    Ok(true) => Some(view! { <Redirect path="/setup"/> }.into_any()),
                    Ok(false) => None,
                    Err(e) => Some(view! { <crate::layout::ErrorNotice error=e/> }.into_any()),
                }
            })}
        </Suspense>
        <Card title="Sign in to Opsdeck">
            <form method="post" action=Login::url() class="space-y-4">
                <input type="hidden" name="next" value=next/>
                <TextField label="Username" name="username" kind="text" autocomplete="username"/>
                <TextField label="Password" name="password" kind="password" autocomplete="current-password"/>
                <Notice text=error/>
                <Submit label="Sign in" test="login-submit"/>
            </form>
        </Card>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.read().get("error").map(|c| setup_error(&c));
    let needed = Resource::new(|| (), |_| setup_needed());
    view! {
        <Title text="Set up Opsdeck"/>
        <Suspense>
            {move || Suspend::new(async move {
                match needed.await {
                    Ok(true) => view! {
                        <Card title="Create the first administrator">
                            <p class="text-sm text-slate-500">"This page exists only until the first user is created."</p>
                            <form method="post" action=Setup::url() class="mt-4 space-y-4">
                                <TextField label="Username" name="username" kind="text" autocomplete="username"/>
                                <TextField label="Display name" name="display_name" kind="text" autocomplete="name"/>
                                <TextField label="Password (12 characters or more)" name="password" kind="password" autocomplete="new-password"/>
                                <TextField label="Password again" name="confirm" kind="password" autocomplete="new-password"/>
                                <Notice text=error/>
                                <Submit label="Create administrator" test="setup-submit"/>
                            </form>
                        </Card>
                    }.into_any(),
                    _ => view! { <crate::layout::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Card(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="mx-auto mt-8 max-w-md rounded-md border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <h1 class="mb-4 text-xl font-semibold">{title}</h1>
            {children()}
        </section>
    }
}

#[component]
fn TextField(
    label: &'static str,
    name: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
) -> impl IntoView {
    view! {
        <label class="block text-sm font-medium">
            {label}
            <input
                type=kind
                name=name
                autocomplete=autocomplete
                required
                class="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-700 dark:bg-slate-950"
            />
        </label>
    }
}

#[component]
fn Notice(text: impl Fn() -> Option<&'static str> + Send + Sync + 'static) -> impl IntoView {
    view! {
        {move || text().map(|t| view! {
            <p role="alert" data-test="form-error" class="rounded-md bg-red-50 p-3 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">{t}</p>
        })}
    }
}

#[component]
fn Submit(label: &'static str, test: &'static str) -> impl IntoView {
    view! {
        <button type="submit" data-test=test class="w-full rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700 dark:bg-slate-100 dark:text-slate-900 dark:hover:bg-slate-300">
            {label}
        </button>
    }
}
