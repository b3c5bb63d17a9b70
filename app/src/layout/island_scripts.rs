//! The scripts of an island page (`PageCode::Islands`): the islands bundle
//! instead of the app.
//!
//! scripts/build-islands builds `islands/` into `/pkg/` under content-hashed
//! names and lists them in `<site root>/islands.txt`. The page's inline
//! script loads that bundle, starts Leptos' islands runtime, then hydrates
//! every `<leptos-island>` with the export its `data-component` names, and
//! marks `<body data-hydrated>` once all have (as `frontend` does for a
//! hydrated page).

use leptos::prelude::*;

/// The islands bundle's JS and wasm, as URLs under `/pkg/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IslandBundle {
    pub js: String,
    pub wasm: String,
}

impl IslandBundle {
    /// Reads `js: <file>` and `wasm: <file>` lines; `None` when either is
    /// missing or names something other than a plain file.
    pub fn parse(text: &str, pkg_dir: &str) -> Option<Self> {
        let file = |kind: &str| {
            text.lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(k, _)| k.trim() == kind)
                .map(|(_, name)| name.trim())
                .filter(|name| is_plain_file_name(name))
                .map(|name| format!("/{pkg_dir}/{name}"))
        };
        Some(IslandBundle {
            js: file("js")?,
            wasm: file("wasm")?,
        })
    }
}

/// Letters, digits, `.`, `-` and `_`, not starting with a dot: the name
/// goes into a script and a URL as it is.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// The islands bundle of the site `options` describe, read once per process;
/// `None` for a site built without it.
#[cfg(feature = "ssr")]
pub fn island_bundle(options: &LeptosOptions) -> Option<&'static IslandBundle> {
    static BUNDLE: std::sync::OnceLock<Option<IslandBundle>> = std::sync::OnceLock::new();
    BUNDLE
        .get_or_init(|| {
            let list = std::path::Path::new(options.site_root.as_ref()).join("islands.txt");
            let text = std::fs::read_to_string(list).ok()?;
            IslandBundle::parse(&text, &options.site_pkg_dir)
        })
        .as_ref()
}

/// Loads the bundle, hydrates the page's islands, then marks the body. A
/// failed import is an unhandled rejection, which `FetchRetry` answers.
const SCRIPT: &str = "(async (js, wasm) => {
  const mod = await import(js);
  await mod.default({ module_or_path: wasm });
  mod.hydrate();
  let all = true;
  for (const island of document.querySelectorAll('leptos-island')) {
    const hydrate = mod[island.dataset.component];
    if (hydrate) await hydrate(island);
    else { all = false; console.error('no code for the island ' + island.dataset.component); }
  }
  if (all) document.body.dataset.hydrated = 'true';
})";

/// Preloads the bundle and runs [`SCRIPT`] with this response's nonce.
#[component]
pub fn IslandScripts(bundle: &'static IslandBundle) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let run = format!("{SCRIPT}({:?}, {:?});", bundle.js, bundle.wasm);
    view! {
        <link rel="modulepreload" href=bundle.js.as_str()/>
        <link rel="preload" href=bundle.wasm.as_str() r#as="fetch" r#type="application/wasm" crossorigin=""/>
        <script type="module" nonce=nonce inner_html=run></script>
    }
}

#[cfg(test)]
mod tests {
    use super::IslandBundle;

    #[test]
    fn the_list_names_the_js_and_the_wasm_under_pkg() {
        let list = "js: opsdeck-islands.AbC_12-x.js\nwasm: opsdeck-islands.AbC_12-y.wasm\n";
        assert_eq!(
            IslandBundle::parse(list, "pkg"),
            Some(IslandBundle {
                js: "/pkg/opsdeck-islands.AbC_12-x.js".into(),
                wasm: "/pkg/opsdeck-islands.AbC_12-y.wasm".into(),
            })
        );
    }

    #[test]
    fn a_list_missing_a_file_or_naming_a_path_is_no_bundle() {
        assert_eq!(IslandBundle::parse("js: a.js\n", "pkg"), None);
        assert_eq!(
            IslandBundle::parse("js: ../a.js\nwasm: a.wasm", "pkg"),
            None
        );
        assert_eq!(IslandBundle::parse("js: a\".js\nwasm: a.wasm", "pkg"), None);
    }
}
