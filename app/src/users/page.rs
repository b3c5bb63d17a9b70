use super::{list_users, UserSummary};
use crate::layout::{ErrorNotice, PageHeader};
use leptos::prelude::*;
use leptos_meta::Title;

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".into())
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| list_users());
    view! {
        <Title text="Users"/>
        <PageHeader title="Users" subtitle="Who can sign in, and with which roles."/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! { <UsersTable users=list/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UsersTable(users: Vec<UserSummary>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-md border border-slate-200 dark:border-slate-800">
            <table class="w-full text-left text-sm" data-test="users-table">
                <thead class="bg-slate-100 text-xs uppercase text-slate-500 dark:bg-slate-900">
                    <tr>
                        <th class="px-4 py-2">"Username"</th>
                        <th class="px-4 py-2">"Name"</th>
                        <th class="px-4 py-2">"Roles"</th>
                        <th class="px-4 py-2">"State"</th>
                        <th class="px-4 py-2">"Last sign-in"</th>
                    </tr>
                </thead>
                <tbody>
                    {users.into_iter().map(|u| view! { <UserRow user=u/> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn UserRow(user: UserSummary) -> impl IntoView {
    let roles = user
        .roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let state = match (user.disabled, user.locked_until) {
        (true, _) => "disabled".to_string(),
        (false, Some(t)) => format!("locked until {}", t.format("%H:%M UTC")),
        _ => "active".to_string(),
    };
    view! {
        <tr class="border-t border-slate-200 dark:border-slate-800">
            <td class="px-4 py-2 font-mono">{user.username}</td>
            <td class="px-4 py-2">{user.display_name}</td>
            <td class="px-4 py-2">{roles}</td>
            <td class="px-4 py-2">{state}</td>
            <td class="px-4 py-2">{when(user.last_login_at)}</td>
        </tr>
    }
}
