//! The Content-Security-Policy of a page (server only).
//!
//! Scripts run only from Opsdeck's own files or with this response's nonce
//! (Leptos puts it on the hydration script and the resource data it
//! streams), so markup that slipped through escaping still cannot run
//! script. `'wasm-unsafe-eval'` lets the page compile its wasm and nothing
//! else; no inline styles are used, so none are allowed.

use leptos::prelude::use_context;

/// The policy for a page whose scripts carry `nonce`.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sets the page policy on the response being rendered. Without a nonce
/// (Leptos provides one per request) the response keeps the strict
/// default the server sets, under which no script runs at all.
pub fn set_page_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(value) = axum::http::HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_policy_allows_scripts_only_by_origin_or_nonce() {
        let p = page_policy("abc123");
        let script = p.split("; ").find(|d| d.starts_with("script-src")).unwrap();
        assert_eq!(
            script,
            "script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"
        );
        assert!(!p.contains("unsafe-inline"));
        assert!(p.contains("frame-ancestors 'none'"));
    }
}
