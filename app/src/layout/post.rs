//! How islands call server functions: one client for all of them.
//!
//! `ServerAction` + `ActionForm` compile a client per server fn (the
//! form decoded into the fn's arguments with serde_qs, encoded again, the
//! answer decoded through its own serde_json reader): ~8 KiB gzip of wasm
//! per action, which put the pages with many actions over the 300 KiB
//! budget (docs/wasm-budget.md). Here a form's fields go to the fn's URL as
//! they are — the body a plain HTML form would send, which every server fn
//! takes (`PostUrl`) — and the answer is decoded with `serde_json::from_str`,
//! the reader islands already use for their props. Only the answer's type
//! is generic, and most actions answer `()`.

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use std::future::Future;

/// A server fn an island calls: what it answered last, how many answers
/// came back (`version`, to re-read what the call changed) and whether a
/// call is under way. `Copy`, like the signals it holds.
pub struct Post<T: Send + Sync + 'static> {
    url: &'static str,
    version: RwSignal<usize>,
    value: RwSignal<Option<Result<T, AppError>>>,
    pending: RwSignal<bool>,
}

impl<T: Send + Sync + 'static> Clone for Post<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Post<T> {}

impl<T: DeserializeOwned + Send + Sync + 'static> Post<T> {
    /// Calls server fn `F`, whose answer is `T`.
    pub fn to<F: ServerFn<Output = T, Error = AppError>>() -> Self {
        Self::at(F::PATH)
    }

    fn at(url: &'static str) -> Self {
        Post {
            url,
            version: RwSignal::new(0),
            value: RwSignal::new(None),
            pending: RwSignal::new(false),
        }
    }

    /// The fn's URL, where a form posts without JavaScript.
    pub fn url(&self) -> &'static str {
        self.url
    }

    /// How many calls have answered.
    pub fn version(&self) -> RwSignal<usize> {
        self.version
    }

    /// The last answer, `None` before the first.
    pub fn value(&self) -> RwSignal<Option<Result<T, AppError>>> {
        self.value
    }

    /// Whether a call is under way.
    pub fn pending(&self) -> RwSignal<bool> {
        self.pending
    }

    /// Calls the fn with these arguments (name, value as a form sends it).
    pub fn dispatch(&self, args: &[(&str, &str)]) {
        self.send(form_body(args));
    }

    /// Calls the fn with a form-encoded body.
    pub fn send(&self, body: String) {
        let this = *self;
        this.pending.set(true);
        leptos::task::spawn_local(async move {
            let answer = call::<T>(this.url, body).await;
            this.value.set(Some(answer));
            this.pending.set(false);
            this.version.update(|n| *n += 1);
        });
    }
}

/// The `Post` of server fn `F` (what `ServerAction<F>` was).
pub type PostOf<F> = Post<<F as ServerFn>::Output>;

/// Calls server fn `F` with these arguments and returns its answer: what
/// an island reads again after a change.
/// The arguments are encoded at once, so the future borrows nothing.
pub fn ask<F>(args: &[(&str, &str)]) -> impl Future<Output = Result<F::Output, AppError>>
where
    F: ServerFn<Error = AppError>,
    F::Output: DeserializeOwned,
{
    call(F::PATH, form_body(args))
}

/// `a=1&b=x%20y`: arguments encoded as a form sends them.
pub fn form_body(args: &[(&str, &str)]) -> String {
    args.iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `application/x-www-form-urlencoded` escaping (space as `+`).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Calls the server fn at `url` and reads its answer: `T` on a 2xx, the
/// fn's `AppError` otherwise (what the server's error layer sends), or an
/// error saying the server could not be reached or answered something else.
/// A fn that redirects sends the browser on.
async fn call<T: DeserializeOwned>(url: &'static str, body: String) -> Result<T, AppError> {
    // The browser's fetch is not `Send`; pages' resources, which compile
    // in the islands bundle too, want it to be (they run on the server).
    #[cfg(feature = "hydrate")]
    let (status, text) = send_wrapper::SendWrapper::new(fetch_text(url, body)).await?;
    #[cfg(not(feature = "hydrate"))]
    let (status, text) = fetch_text(url, body).await?;
    if (200..300).contains(&status) {
        return serde_json::from_str(&text)
            .map_err(|e| unreadable(format!("the answer could not be read: {e}")));
    }
    Err(serde_json::from_str::<AppError>(&text)
        .unwrap_or_else(|_| unreadable(format!("the server answered {status}: {}", text.trim()))))
}

fn unreadable(why: String) -> AppError {
    AppError::ServerFn(leptos::prelude::ServerFnErrorErr::Response(why))
}

/// POSTs `body` as a form would and returns the status and the text.
#[cfg(feature = "hydrate")]
async fn fetch_text(url: &'static str, body: String) -> Result<(u16, String), AppError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let failed = |e: wasm_bindgen::JsValue| {
        AppError::ServerFn(leptos::prelude::ServerFnErrorErr::Request(format!("{e:?}")))
    };
    let headers = web_sys::Headers::new().map_err(failed)?;
    headers
        .set("Content-Type", "application/x-www-form-urlencoded")
        .map_err(failed)?;
    headers.set("Accept", "application/json").map_err(failed)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&wasm_bindgen::JsValue::from_str(&body));
    let promise = window().fetch_with_str_and_init(url, &init);
    let response: web_sys::Response = JsFuture::from(promise)
        .await
        .map_err(failed)?
        .unchecked_into();
    let text = JsFuture::from(response.text().map_err(failed)?)
        .await
        .map_err(failed)?;
    follow_redirect(&response);
    Ok((response.status(), text.as_string().unwrap_or_default()))
}

/// A server fn that calls `leptos_axum::redirect` answers a script with
/// this header and `Location` (a plain form gets a 302): go there.
#[cfg(feature = "hydrate")]
fn follow_redirect(response: &web_sys::Response) {
    let header = |name| response.headers().get(name).ok().flatten();
    if header("serverfnredirect").is_some() {
        if let Some(to) = header("location") {
            let _ = window().location().set_href(&to);
        }
    }
}

/// Islands render on the server too, where nothing calls them.
#[cfg(not(feature = "hydrate"))]
async fn fetch_text(url: &'static str, _body: String) -> Result<(u16, String), AppError> {
    Err(AppError::Internal(format!(
        "{url} is called from a browser"
    )))
}

/// A form posting its fields to `action`'s server fn; without JavaScript it
/// posts to the same URL and the server sends the browser back.
#[component]
pub fn PostForm<T: DeserializeOwned + Send + Sync + 'static>(
    action: Post<T>,
    children: Children,
) -> impl IntoView {
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        match submitted_body(&ev) {
            Ok(body) => action.send(body),
            Err(e) => action.value().set(Some(Err(e))),
        }
    };
    view! {
        <form action=action.url() method="post" on:submit=on_submit>
            {children()}
        </form>
    }
}

/// The submitted form's fields, with the button that submitted it.
#[cfg(feature = "hydrate")]
fn submitted_body(ev: &leptos::ev::SubmitEvent) -> Result<String, AppError> {
    use wasm_bindgen::JsCast;
    let failed = |e: wasm_bindgen::JsValue| {
        AppError::ServerFn(leptos::prelude::ServerFnErrorErr::Serialization(format!(
            "{e:?}"
        )))
    };
    let form: web_sys::HtmlFormElement = ev
        .target()
        .ok_or_else(|| failed("no form".into()))?
        .unchecked_into();
    let data = web_sys::FormData::new_with_form(&form).map_err(failed)?;
    if let Some(button) = ev
        .submitter()
        .and_then(|s| s.dyn_into::<web_sys::HtmlButtonElement>().ok())
        .filter(|b| !b.name().is_empty())
    {
        data.append_with_str(&button.name(), &button.value())
            .map_err(failed)?;
    }
    let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).map_err(failed)?;
    Ok(String::from(params.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_encoded_as_a_form_sends_them() {
        assert_eq!(
            form_body(&[("service", "prod/web"), ("reason", "a b&c=d é")]),
            "service=prod%2Fweb&reason=a+b%26c%3Dd+%C3%A9"
        );
    }
}
