//! `/admin/webhooks`: destinations, what each is told, and the log of
//! what was delivered (status codes, retries), live. Admins only.

use super::api::{list_webhooks, CreateWebhook, DeleteWebhook, SendTestWebhook};
use super::{DeliveryView, WebhookView, EVENTS, FORMATS};
use crate::format::utc;
use crate::layout::ui::*;
use crate::layout::{reload_on, PageHeader};
use crate::layout::{Post, PostForm, PostOf};
use crate::live::use_live_tick;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// An island page (`app::ISLAND_PAGES`): the server reads the destinations
/// with their delivery logs and hands them to [`WebhooksEditor`], which
/// holds the forms and the log and follows the deliveries live.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let first = Resource::new(|| (), |_| list_webhooks());
    view! {
        <Title text="Webhooks"/>
        <PageHeader title="Webhooks" subtitle="Signed messages (Standard Webhooks) to other systems when a deployment fails, a backup falls behind its RPO, an incident is declared… Retried with backoff for a day."/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                view! { <WebhooksEditor first=first.await/> }
            })}
        </Suspense>
    }
}

crate::island! {
    /// The destinations with their Send test and Delete buttons and
    /// delivery logs, the new destination's secret shown once, and the
    /// form that adds one. Starts from the server's list; reads it again
    /// after each action and on each delivery change the server streams.
    fn WebhooksEditor(first: Result<Vec<WebhookView>, AppError>) -> impl IntoView {
        let create = Post::to::<CreateWebhook>();
        let delete = Post::to::<DeleteWebhook>();
        let test = Post::to::<SendTestWebhook>();
        let tick = use_live_tick(|| "/webhook-events".to_string());
        let hooks = RwSignal::new(first);
        reload_on(
            move || {
                (
                    tick.get(),
                    create.version().get(),
                    delete.version().get(),
                    test.version().get(),
                )
            },
            hooks,
            || crate::layout::ask::<super::api::ListWebhooks>(&[]),
        );
        view! {
            {move || create.value().get().map(|r| match r {
                Ok(made) => view! {
                    <div class="mb-4 rounded-md border border-emerald-300 bg-emerald-50 p-4 text-sm dark:border-emerald-900 dark:bg-emerald-950">
                        <p>"Signing secret of the new destination: give it to the receiver to check the webhook-signature header. It will not be shown again."</p>
                        <code class="mt-2 block break-all font-mono" data-test="webhook-secret">{made.secret}</code>
                    </div>
                }.into_any(),
                Err(e) => view! { <ActionError error=e/> }.into_any(),
            })}
            <ActionError error=Signal::derive(move || first_error([delete.value().get(), test.value().get()]))/>
            {move || match hooks.get() {
                Ok(list) => view! { <Destinations hooks=list delete=delete test=test/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
            <CreateForm action=create/>
        }
    }
}

#[component]
fn Destinations(
    hooks: Vec<WebhookView>,
    delete: PostOf<DeleteWebhook>,
    test: PostOf<SendTestWebhook>,
) -> impl IntoView {
    if hooks.is_empty() {
        return view! { <p class="mb-6 text-sm text-slate-500" data-test="no-webhooks">"No destinations yet."</p> }.into_any();
    }
    hooks
        .into_iter()
        .map(|h| view! { <Destination hook=h delete=delete test=test/> })
        .collect_view()
        .into_any()
}

#[component]
fn Destination(
    hook: WebhookView,
    delete: PostOf<DeleteWebhook>,
    test: PostOf<SendTestWebhook>,
) -> impl IntoView {
    let (test_id, delete_id) = (hook.id.to_string(), hook.id.to_string());
    view! {
        <section class=format!("{CARD} mb-6") data-test=format!("webhook-{}", hook.id)>
            <div class="mb-2 flex flex-wrap items-baseline justify-between gap-2">
                <h2 class="text-base font-semibold">{hook.name}</h2>
                <div class="flex gap-2">
                    <PostForm action=test>
                        <input type="hidden" name="id" value=test_id/>
                        <button type="submit" class=BUTTON data-test="send-test">"Send test"</button>
                    </PostForm>
                    <PostForm action=delete>
                        <input type="hidden" name="id" value=delete_id/>
                        <button type="submit" class=BUTTON data-test="delete-webhook">"Delete"</button>
                    </PostForm>
                </div>
            </div>
            <p class="mb-2 text-xs text-slate-600 dark:text-slate-300">
                <span class="font-mono">{hook.display}</span>
                {format!(" · {} · {} · added by {} on {}", hook.format, hook.events.join(", "), hook.created_by, utc(hook.created_at))}
            </p>
            <Deliveries deliveries=hook.deliveries/>
        </section>
    }
}

#[component]
fn Deliveries(deliveries: Vec<DeliveryView>) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p class="text-xs text-slate-500">"Nothing sent yet."</p> }.into_any();
    }
    let rows = deliveries
        .into_iter()
        .map(|d| {
            let tone = match d.state.as_str() {
                "delivered" => Tone::Good,
                "failed" => Tone::Bad,
                _ => Tone::Warn,
            };
            let answer = match (d.last_status, d.last_error) {
                (Some(code), _) => format!("HTTP {code}"),
                (None, Some(why)) => why,
                (None, None) => "not tried yet".to_string(),
            };
            let (state, shown_state) = (d.state.clone(), d.state);
            let next = d
                .next_attempt_at
                .map(|t| format!("next try {}", utc(t)))
                .unwrap_or_default();
            view! {
                <tr class=ROW data-test="delivery" data-state=state>
                    <td class=format!("{CELL} text-xs")>{utc(d.created_at)}</td>
                    <td class=format!("{CELL} font-mono text-xs")>{d.event}</td>
                    <td class=CELL><Badge text=shown_state tone=tone/></td>
                    <td class=format!("{CELL} text-xs")>{d.attempts}</td>
                    <td class=format!("{CELL} text-xs")>{answer}</td>
                    <td class=format!("{CELL} text-xs")>{next}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable test="deliveries" headers=&["Owed since", "Event", "State", "Tries", "Last answer", ""]>{rows}</DataTable>
    }
    .into_any()
}

#[component]
fn CreateForm(action: PostOf<CreateWebhook>) -> impl IntoView {
    let boxes = EVENTS
        .iter()
        .enumerate()
        .map(|(i, (name, meaning))| {
            view! {
                <label class="flex items-start gap-2 text-xs">
                    <input type="checkbox" name=format!("events[{i}]") value=*name/>
                    <span><span class="font-mono">{*name}</span>" — "{*meaning}</span>
                </label>
            }
        })
        .collect_view();
    let formats = FORMATS
        .iter()
        .map(|f| view! { <option value=*f>{*f}</option> })
        .collect_view();
    view! {
        <h2 class=H2>"Add a destination"</h2>
        <PostForm action=action attr:class=format!("{CARD} grid gap-3") attr:data-test="create-webhook">
            <div class="flex flex-wrap gap-3">
                <label class=LABEL>"Name" <input name="name" required maxlength="100" placeholder="ops-alerts" class=INPUT/></label>
                <label class=format!("{LABEL} grow")>"URL (http or https)" <input name="url" type="url" required maxlength="2000" placeholder="https://hooks.example.com/opsdeck" class=INPUT/></label>
                <label class=LABEL>"Body" <select name="format" class=INPUT>{formats}</select></label>
            </div>
            <fieldset class="grid gap-1 sm:grid-cols-2">
                <legend class="mb-1 text-xs font-medium">"Events"</legend>
                {boxes}
            </fieldset>
            <div><button type="submit" class=BUTTON_PRIMARY>"Add destination"</button></div>
        </PostForm>
    }
}
