//! Following a service's container logs in the browser.

use crate::layout::ui::*;
use crate::live::use_event_stream;
use leptos::prelude::*;

/// Lines kept on screen; older ones scroll away.
const KEEP: usize = 500;

/// A button that starts (and stops) following the logs of the service's
/// replicas: the last 100 lines of each running one, then new lines as
/// printed, including those of replicas a deploy or scale-up starts.
#[component]
pub fn LogPanel(service: String) -> impl IntoView {
    let following = RwSignal::new(false);
    view! {
        <div class=CARD>
            <button type="button" class=BUTTON data-test="logs-toggle"
                on:click=move |_| following.update(|f| *f = !*f)>
                {move || if following.get() { "Stop following" } else { "Follow logs" }}
            </button>
            <Show when=move || following.get()>
                <LogStream service=service.clone()/>
            </Show>
        </div>
    }
}

#[component]
fn LogStream(service: String) -> impl IntoView {
    let lines = RwSignal::new(Vec::<String>::new());
    let ended = RwSignal::new(false);
    use_event_stream(
        format!("/services/{service}/logs"),
        &["line", "end"],
        move |kind, line| match kind {
            "end" => ended.set(true),
            _ => lines.update(|v| {
                v.push(line);
                if v.len() > KEEP {
                    v.drain(..v.len() - KEEP);
                }
            }),
        },
    );
    view! {
        <pre class="mt-3 max-h-96 overflow-auto rounded-md bg-slate-950 p-3 font-mono text-xs text-slate-100" data-test="logs">
            {move || lines.with(|l| if l.is_empty() { "Waiting for output…".to_string() } else { l.join("\n") })}
        </pre>
        {move || ended.get().then(|| view! { <p class="mt-2 text-xs text-slate-500" data-test="logs-ended">"The log stream ended (the engine connection closed or Opsdeck is stopping). Follow again to resume."</p> })}
    }
}
