//! The UI kit: class lists and small components shared by every page, so
//! that a field, a button, a badge or an error looks the same everywhere.
//! A new page takes its pieces from here instead of writing class lists.

use crate::AppError;
use leptos::prelude::*;

pub const INPUT: &str = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100";
/// A small button inside forms and table rows.
pub const BUTTON: &str = "rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-100 disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800";
/// A page's main action.
pub const BUTTON_PRIMARY: &str = "rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700 disabled:opacity-50 dark:bg-slate-100 dark:text-slate-900 dark:hover:bg-slate-300";
/// A page-level action beside or instead of the primary one.
pub const BUTTON_SECONDARY: &str = "rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800";
/// An action that destroys or overwrites data (behind a typed confirmation).
pub const BUTTON_DANGER: &str = "rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800 disabled:opacity-50";
pub const CARD: &str = "rounded-md border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900";
pub const ROW: &str = "border-t border-slate-200 dark:border-slate-800";
pub const CELL: &str = "px-4 py-2";
pub const LINK: &str = "font-medium underline decoration-slate-300 underline-offset-2 hover:decoration-slate-900 dark:hover:decoration-slate-100";
pub const H2: &str = "mb-3 mt-8 text-lg font-semibold tracking-tight";
pub const LABEL: &str =
    "flex flex-col gap-1 text-xs font-medium text-slate-600 dark:text-slate-300";

/// What a badge says about the thing it labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Done and fine: succeeded, verified, reachable.
    Good,
    /// Failed, corrupted, denied.
    Bad,
    /// Needs a look or still settling: rolled back, queued, not yet known.
    Warn,
    /// In progress or neutral: running, intent.
    Info,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Good => {
                "bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100"
            }
            Tone::Bad => "bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-100",
            Tone::Warn => "bg-amber-100 text-amber-800 dark:bg-amber-900 dark:text-amber-100",
            Tone::Info => "bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-100",
        }
    }
}

/// A coloured word for a state.
#[component]
pub fn Badge(
    #[prop(into)] text: String,
    tone: Tone,
    #[prop(optional)] test: Option<&'static str>,
) -> impl IntoView {
    let class = format!(
        "whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium {}",
        tone.class()
    );
    view! { <span class=class data-test=test>{text}</span> }
}

/// A list as a table: a header row of `headers` over `children`, the
/// rows (`<tr class=ROW>` with `<td class=CELL>` cells). `spaced` keeps
/// the content below at a distance.
#[component]
pub fn DataTable(
    test: &'static str,
    headers: &'static [&'static str],
    #[prop(optional)] spaced: bool,
    children: Children,
) -> impl IntoView {
    let wrap = "overflow-x-auto rounded-md border border-slate-200 dark:border-slate-800";
    let heads = headers
        .iter()
        .map(|h| view! { <th class=CELL>{*h}</th> })
        .collect_view();
    view! {
        <div class=if spaced { format!("{wrap} mb-6") } else { wrap.to_string() }>
            <table class="w-full text-left text-sm" data-test=test>
                <thead class="bg-slate-100 text-xs uppercase text-slate-500 dark:bg-slate-900">
                    <tr>{heads}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// An error shown in place of the content it prevented.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    // A page refused by the permission guard answers 403, and a page of
    // something that does not exist 404, not 200.
    #[cfg(feature = "ssr")]
    if let (AppError::Forbidden(_) | AppError::NotFound(_), Some(response)) =
        (&error, use_context::<leptos_axum::ResponseOptions>())
    {
        response.set_status(error.status());
    }
    view! {
        <div role="alert" data-test="error" class="rounded-md border border-red-300 bg-red-50 p-4 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200">
            {error.to_string()}
        </div>
    }
}

/// The error of a failed action, above the content the action changes.
#[component]
pub fn ActionError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <div class="mb-4"><ErrorNotice error=e/></div> })
    }
}

/// The first error among actions' results (`action.value().get()`).
pub fn first_error<T>(
    results: impl IntoIterator<Item = Option<Result<T, AppError>>>,
) -> Option<AppError> {
    results.into_iter().flatten().find_map(Result::err)
}
