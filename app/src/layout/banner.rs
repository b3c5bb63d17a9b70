use crate::system::{read_system_status, SystemStatus};
use crate::AppError;
use leptos::prelude::*;

/// A red banner on every page while the database or the Docker engine is down.
#[component]
pub fn StatusBanner() -> impl IntoView {
    let status = Resource::new(|| (), |_| read_system_status());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(s) if s.degraded() => Some(view! { <DegradedBanner status=s/> }.into_any()),
                    Ok(_) | Err(AppError::Unauthorized(_)) => None,
                    Err(e) => Some(view! { <Banner text=e.to_string()/> }.into_any()),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DegradedBanner(status: SystemStatus) -> impl IntoView {
    let db = (!status.database.ok)
        .then(|| view! { <Banner text=format!("Database: {}", status.database.detail)/> });
    let docker = (!status.docker.ok)
        .then(|| view! { <Banner text=format!("Docker: {}", status.docker.detail)/> });
    view! { {db} {docker} }
}

#[component]
fn Banner(text: String) -> impl IntoView {
    view! {
        <div role="alert" data-test="degraded-banner" class="border-b border-red-300 bg-red-50 px-4 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200">
            <div class="mx-auto max-w-6xl">{text}</div>
        </div>
    }
}
