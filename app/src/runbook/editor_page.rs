//! `/runbooks/new` and `/runbooks/<slug>/edit`: the editor, text on the
//! left and on the right the text as readers will see it, rendered by the
//! server (the same sanitizer as the runbook page) a moment after typing
//! stops. The form is an `ActionForm`: refusals are shown beside the field
//! they name, nothing typed is lost, and it posts without JavaScript too.
//! Both are island pages (`app::ISLAND_PAGES`): the form is [`RunbookEditor`].

use super::api::{preview_runbook, read_runbook, SaveRunbook};
use super::widgets::PROSE;
use super::{RunbookVersion, MAX_BODY, MAX_MESSAGE, MAX_SLUG, MAX_TAGS, MAX_TITLE};
use crate::auth::Permission;
use crate::layout::ui::*;
use crate::layout::{html_text, reload_on, use_signed_in, ErrorNotice, PageHeader, SignedIn};
use crate::layout::{Post, PostForm, PostOf};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use std::time::Duration;

/// How long typing must pause before the preview is asked for.
const PREVIEW_DELAY: Duration = Duration::from_millis(300);

#[component]
pub fn NewRunbookPage() -> impl IntoView {
    let me = use_signed_in();
    view! {
        <Title text="New runbook"/>
        <PageHeader title="New runbook" subtitle="Markdown; raw HTML is shown as typed. Every save is a version."/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match may_edit(me).await {
                    Ok(()) => view! { <RunbookEditor draft=None preview=Ok(String::new())/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn EditRunbookPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let current = Resource::new(move || slug.get(), |slug| read_runbook(slug, None));
    let me = use_signed_in();
    view! {
        <Title text=move || format!("Edit {}", slug.get())/>
        <PageHeader title="Edit runbook" subtitle="Saving stores a new version; the old ones stay and can be compared or brought back."/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let read = match may_edit(me).await {
                    Ok(()) => current.await,
                    Err(e) => Err(e),
                };
                match read {
                    Ok(read) => {
                        let preview = preview_runbook(read.runbook.body.clone()).await;
                        view! { <RunbookEditor draft=Some(read.runbook) preview=preview/> }.into_any()
                    }
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Refuses, saying who may, those whose roles do not allow editing (the
/// server refuses their save anyway; this spares them a form that fails).
async fn may_edit(me: SignedIn) -> Result<(), AppError> {
    if me
        .user()
        .await
        .is_some_and(|u| u.can(Permission::EditRunbooks))
    {
        return Ok(());
    }
    Err(AppError::Forbidden(
        "Your roles do not allow editing runbooks: a responder, deployer or admin can.".into(),
    ))
}

/// The message for `field` (or one of its entries, `field[i]`) when the
/// last save was refused because of it.
fn error_for(action: PostOf<SaveRunbook>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || match action.value().get() {
        Some(Err(AppError::Validation { field: f, message }))
            if f == field || f.starts_with(&format!("{field}[")) =>
        {
            Some(message)
        }
        _ => None,
    })
}

#[component]
fn FieldError(message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|m| view! { <span class="font-normal text-red-700 dark:text-red-300" data-test="field-error">{m}</span> })
    }
}

crate::island! {
    /// The form, empty for a new runbook or filled with `draft`'s version
    /// and its `preview`; once saved, the browser goes on to the runbook.
    fn RunbookEditor(draft: Option<RunbookVersion>, preview: Result<String, AppError>) -> impl IntoView {
        let action = Post::to::<SaveRunbook>();
        Effect::new(move |_| {
            if let Some(Ok(saved)) = action.value().get() {
                let _ = window().location().set_href(&saved.url);
            }
        });
        let editing = draft.is_some();
        let d = draft.unwrap_or_else(empty);
        let other_error = move || match action.value().get() {
            Some(Err(AppError::Validation { .. })) | None | Some(Ok(_)) => None,
            Some(Err(e)) => Some(view! { <ErrorNotice error=e/> }),
        };
        let slug_field = if editing {
            view! { <input type="hidden" name="slug" value=d.slug.clone()/> }.into_any()
        } else {
            view! {
                <label class=LABEL>"Slug (the address: /runbooks/…)"
                    <input name="slug" required maxlength=MAX_SLUG.to_string() placeholder="roll-back-web" class=INPUT data-test="field-slug"/>
                    <FieldError message=error_for(action, "slug")/>
                </label>
            }
            .into_any()
        };
        view! {
            <PostForm action=action attr:class="flex flex-col gap-4" attr:data-test="runbook-form">
                <div class="grid grid-cols-1 gap-4 md:grid-cols-2">
                    {slug_field}
                    <label class=LABEL>"Title"
                        <input name="title" required maxlength=MAX_TITLE.to_string() value=d.title.clone() class=INPUT data-test="field-title"/>
                        <FieldError message=error_for(action, "title")/>
                    </label>
                    <ListField label="Tags" name="tags" values=d.tags.clone() hint="deploy" action=action/>
                    <ListField label="Services (environment/name)" name="services" values=d.services.clone() hint="production/web" action=action/>
                </div>
                <BodyAndPreview body=d.body.clone() preview=preview action=action/>
                <label class=LABEL>"What changed (kept with the version)"
                    <input name="message" maxlength=MAX_MESSAGE.to_string() class=INPUT data-test="field-message"
                        placeholder=if editing { "clearer rollback step" } else { "first version" }/>
                    <FieldError message=error_for(action, "message")/>
                </label>
                <div class="flex items-center gap-3">
                    <button type="submit" class=BUTTON_PRIMARY data-test="runbook-save">{if editing { "Save new version" } else { "Create runbook" }}</button>
                    {editing.then(|| view! { <a class=LINK href=format!("/runbooks/{}", d.slug)>"Cancel"</a> })}
                    {other_error}
                </div>
            </PostForm>
        }
    }
}

/// A few inputs named `name[i]`: the values there are and two blanks (the
/// server drops blanks), at most [`MAX_TAGS`].
#[component]
fn ListField(
    label: &'static str,
    name: &'static str,
    values: Vec<String>,
    hint: &'static str,
    action: PostOf<SaveRunbook>,
) -> impl IntoView {
    let count = (values.len() + 2).clamp(3, MAX_TAGS);
    let inputs = (0..count)
        .map(|i| {
            let value = values.get(i).cloned().unwrap_or_default();
            let placeholder = if i == 0 { hint } else { "" };
            view! { <input name=format!("{name}[{i}]") value=value placeholder=placeholder maxlength="200" class=format!("{INPUT} w-40") data-test=format!("field-{name}")/> }
        })
        .collect_view();
    view! {
        <fieldset class="flex flex-col gap-1">
            <legend class="mb-1 text-xs font-medium text-slate-600 dark:text-slate-300">{label}</legend>
            <div class="flex flex-wrap gap-2">{inputs}</div>
            <span class="text-xs"><FieldError message=error_for(action, name)/></span>
        </fieldset>
    }
}

/// The markdown text and, beside it, its preview a moment after typing stops.
#[component]
fn BodyAndPreview(
    body: String,
    preview: Result<String, AppError>,
    action: PostOf<SaveRunbook>,
) -> impl IntoView {
    let typed = RwSignal::new(body.clone());
    let settled = RwSignal::new(body.clone());
    let edits = RwSignal::new(0u64);
    let on_input = move |e: leptos::ev::Event| {
        typed.set(event_target_value(&e));
        let n = edits.get_untracked() + 1;
        edits.set(n);
        set_timeout(
            // `try_`: the editor may be gone (saved, navigated) by then.
            move || {
                if edits.try_get_untracked() == Some(n) {
                    if let Some(text) = typed.try_get_untracked() {
                        settled.try_set(text);
                    }
                }
            },
            PREVIEW_DELAY,
        );
    };
    let preview = RwSignal::new(preview);
    reload_on(
        move || settled.get(),
        preview,
        move || {
            crate::layout::ask::<super::api::PreviewRunbook>(&[("body", &settled.get_untracked())])
        },
    );
    view! {
        <div class="grid grid-cols-1 gap-4 md:grid-cols-2">
            <label class=LABEL>"Text (markdown)"
                // A textarea's text is raw: escaped here, or `</textarea>` ends it.
                <textarea name="body" rows="24" maxlength=MAX_BODY.to_string() class=format!("{INPUT} font-mono") data-test="field-body" on:input=on_input>{html_text(&body)}</textarea>
                <FieldError message=error_for(action, "body")/>
            </label>
            <div class="flex flex-col gap-1">
                <span class="text-xs font-medium text-slate-600 dark:text-slate-300">"Preview"</span>
                {move || match preview.get() {
                    // Sanitized on the server, like the runbook page.
                    Ok(html) => view! { <div class=format!("{CARD} {PROSE} min-h-64") data-test="preview" inner_html=html></div> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }}
            </div>
        </div>
    }
}

/// What a new runbook starts from.
fn empty() -> RunbookVersion {
    RunbookVersion {
        slug: String::new(),
        version: 0,
        title: String::new(),
        tags: vec![],
        services: vec![],
        body: String::new(),
        author: String::new(),
        at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        message: String::new(),
        content_hash: String::new(),
    }
}
