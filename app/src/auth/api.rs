//! Server functions of identity: who am I, sign in, sign out, first-run setup.

use super::{Permission, Role};
use crate::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the browser needs to know about the signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

impl CurrentUser {
    pub fn can(&self, p: Permission) -> bool {
        p.granted_by(&self.roles)
    }
}

/// Only same-site paths are followed after sign-in (no open redirect):
/// one leading `/`, then visible ASCII without backslashes. Browsers drop
/// tabs and newlines from a `Location` and read a backslash as `/`, so `/\t/evil.example`
/// would leave the site; and a control or non-ASCII character cannot be put
/// in a header at all. Anything else goes to `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_same_site_path(n) => n.to_string(),
        _ => "/".to_string(),
    }
}

fn is_same_site_path(path: &str) -> bool {
    let mut bytes = path.bytes();
    bytes.next() == Some(b'/')
        && !matches!(bytes.next(), Some(b'/' | b'\\'))
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

/// The login page's address, coming back to `path` after sign-in; `path`
/// is percent-encoded, so any path (a decoded one with a newline, say)
/// makes a valid header and query.
pub fn login_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("/login?next={encoded}")
}

/// The signed-in user, or `None`.
#[server(endpoint = "whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    Ok(super::guard::current_actor().await?.map(|a| CurrentUser {
        username: a.user.username,
        display_name: a.user.display_name,
        roles: a.roles,
    }))
}

/// True while no user exists (the installation is new).
#[server(endpoint = "setup_needed")]
pub async fn setup_needed() -> Result<bool, AppError> {
    let state = crate::state::app_state()?;
    let unreachable = |_| {
        AppError::Unavailable(
            "The database is unreachable, so nobody can sign in until it is back.".into(),
        )
    };
    Ok(super::users::count(&state.db).await.map_err(unreachable)? == 0)
}

/// Signs in; a plain form post is redirected (to `next`, or back to the
/// login page with an error code), so the form works without JavaScript.
#[server(endpoint = "login")]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use super::signin::{sign_in, Refused};
    let state = crate::state::app_state()?;
    let meta = crate::request::RequestMeta::current();
    let username = username.trim().to_lowercase();
    let signed_in = match super::sign_in_fields(&username, &password) {
        Ok(()) => sign_in(&state, &meta, &username, password.into()).await,
        Err(e) => Err(Refused::from(e)),
    };
    match signed_in {
        Ok(_) => {
            leptos_axum::redirect(&safe_next(next.as_deref()));
            Ok(())
        }
        Err(Refused { why, error }) => {
            if plain_form_post() {
                leptos_axum::redirect(&format!("/login?error={}", why.code()));
            }
            Err(error)
        }
    }
}

/// Signs out: the session is deleted on the server, not only the cookie.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let actor = super::guard::current_actor().await?;
    let meta = crate::request::RequestMeta::current();
    super::signin::sign_out(
        &state,
        &meta,
        actor.as_ref().map(|a| a.user.username.as_str()),
    )
    .await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Creates the first admin and signs them in; 404 once any user exists.
#[server(endpoint = "setup")]
pub async fn setup(
    username: String,
    display_name: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    use super::users::NewUser;
    let state = crate::state::app_state()?;
    let meta = crate::request::RequestMeta::current();
    let username = username.trim().to_lowercase();
    let display_name = if display_name.trim().is_empty() {
        username.clone()
    } else {
        display_name
    };
    let new = NewUser {
        username,
        display_name,
        password: password.into(),
        roles: vec![Role::Admin],
    };
    match super::signin::first_admin(&state, &meta, new, confirm.into()).await {
        Ok(()) => {
            leptos_axum::redirect("/");
            Ok(())
        }
        Err(e) => {
            if let (true, AppError::Validation { field, .. }) = (plain_form_post(), &e) {
                leptos_axum::redirect(&format!("/setup?error={field}"));
            }
            Err(e)
        }
    }
}

/// A form posted by a browser without JavaScript (it asks for HTML back).
#[cfg(feature = "ssr")]
fn plain_form_post() -> bool {
    use_context::<axum::http::request::Parts>()
        .and_then(|p| p.headers.get(axum::http::header::ACCEPT).cloned())
        .and_then(|v| v.to_str().ok().map(|s| s.contains("text/html")))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::{login_path, safe_next};

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        for local in [
            "/",
            "/engine",
            "/services/production/web?tab=logs",
            "/a/b%2Fc",
        ] {
            assert_eq!(safe_next(Some(local)), local);
        }
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/x\\y",
            "/\t/evil.example/",
            "/\t\t//evil.example",
            "/\nx",
            "/\r\nSet-Cookie: a=b",
            "/\u{0}x",
            "/\u{7f}x",
            "/ /evil.example",
            "/évil",
            "javascript:alert(1)",
            "engine",
            " /engine",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_login_path_encodes_what_a_header_cannot_hold() {
        assert_eq!(login_path("/engine"), "/login?next=/engine");
        assert_eq!(login_path("/a\nb é&x"), "/login?next=/a%0Ab%20%C3%A9%26x");
    }
}
