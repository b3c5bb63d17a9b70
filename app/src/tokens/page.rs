use super::{list_tokens, CreateToken, RevokeToken, TokenSummary};
use crate::auth::Permission;
use crate::format::minute_or_never;
use crate::layout::ui::{DataTable, BUTTON, CELL, INPUT, ROW};
use crate::layout::use_signed_in;
use crate::layout::{reload_on, ActionError, ErrorNotice, PageHeader};
use crate::layout::{Post, PostForm, PostOf};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// `/tokens`: API tokens for scripts and CI pipelines.
///
/// An island page (`app::ISLAND_PAGES`): the server reads the list and what
/// the signed-in person may grant, and hands both to [`TokensView`], which
/// holds the forms and the table they change.
#[component]
pub fn TokensPage() -> impl IntoView {
    let first = Resource::new(|| (), |_| list_tokens());
    let me = use_signed_in();
    view! {
        <Title text="API tokens"/>
        <PageHeader title="API tokens" subtitle="For scripts and CI: send `Authorization: Bearer <token>`."/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let held: Vec<Permission> = me.user().await
                    .map(|u| Permission::ALL.into_iter().filter(|p| u.can(*p)).collect())
                    .unwrap_or_default();
                view! { <TokensView held=held first=first.await/> }
            })}
        </Suspense>
    }
}

crate::island! {
    /// The creation form, the new token shown once, and the table with its
    /// Revoke buttons. Starts from the server's list; reads it again after
    /// each creation or revocation.
    fn TokensView(held: Vec<Permission>, first: Result<Vec<TokenSummary>, AppError>) -> impl IntoView {
        let create = Post::to::<CreateToken>();
        let revoke = Post::to::<RevokeToken>();
        let tokens = RwSignal::new(first);
        reload_on(
            move || (create.version().get(), revoke.version().get()),
            tokens,
            || crate::layout::ask::<super::ListTokens>(&[]),
        );
        view! {
            {move || create.value().get().map(|r| match r {
                Ok(token) => view! {
                    <div class="mb-4 rounded-md border border-emerald-300 bg-emerald-50 p-4 text-sm dark:border-emerald-900 dark:bg-emerald-950">
                        <p>"Copy this token now; it will not be shown again."</p>
                        <code class="mt-2 block break-all font-mono" data-test="new-token">{token}</code>
                    </div>
                }.into_any(),
                Err(e) => view! { <ActionError error=e/> }.into_any(),
            })}
            <ActionError error=Signal::derive(move || revoke.value().get().and_then(Result::err))/>
            <CreateForm action=create held=held/>
            {move || match tokens.get() {
                Ok(list) => view! { <TokenTable tokens=list revoke=revoke/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
        }
    }
}

#[component]
fn CreateForm(action: PostOf<CreateToken>, held: Vec<Permission>) -> impl IntoView {
    let boxes = held
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let name = p.as_str().to_string();
            let checked = p == Permission::Read;
            view! {
                <label class="mr-2 inline-flex items-center gap-1 text-xs">
                    <input type="checkbox" name=format!("permissions[{i}]") value=name.clone() checked=checked/>
                    {name}
                </label>
            }
        })
        .collect_view();
    view! {
        <PostForm action=action attr:class="mb-6 flex flex-wrap items-end gap-3 rounded-md border border-slate-200 p-4 dark:border-slate-800" attr:data-test="create-token">
            <input name="name" placeholder="name, e.g. ci-deploy" required class=INPUT/>
            <label class="text-xs">"Days " <input name="days" type="number" min="1" max="365" value="90" class=INPUT/></label>
            <div>{boxes}</div>
            <button type="submit" class=BUTTON>"Create token"</button>
        </PostForm>
    }
}

#[component]
fn TokenTable(tokens: Vec<TokenSummary>, revoke: PostOf<RevokeToken>) -> impl IntoView {
    let rows = tokens
        .into_iter()
        .map(|t| {
            let scope = t.permissions.iter().map(|p| p.as_str().to_string()).collect::<Vec<_>>().join(", ");
            let expired = t.expires_at <= chrono::Utc::now();
            let status = if t.revoked { "revoked" } else if expired { "expired" } else { "active" };
            let active = !t.revoked && !expired;
            view! {
                <tr class=ROW data-test=format!("token-{}", t.id)>
                    <td class=CELL>{t.name}</td>
                    <td class=format!("{CELL} font-mono")>{t.owner}</td>
                    <td class=format!("{CELL} text-xs")>{scope}</td>
                    <td class=format!("{CELL} text-xs")>{t.expires_at.format("%Y-%m-%d").to_string()}</td>
                    <td class=format!("{CELL} text-xs")>{minute_or_never(t.last_used_at)}</td>
                    <td class=format!("{CELL} text-xs")>{status}</td>
                    <td class=CELL>
                        {active.then(|| view! {
                            <PostForm action=revoke>
                                <input type="hidden" name="id" value=t.id.to_string()/>
                                <button type="submit" class=BUTTON>"Revoke"</button>
                            </PostForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable test="tokens-table" headers=&["Name", "Owner", "Scope", "Expires", "Last used", "Status", ""]>{rows}</DataTable>
    }
}
