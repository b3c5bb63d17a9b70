//! The scripts of an island page (`PageCode::Islands`): the islands bundle
//! instead of the app.
//!
//! scripts/build-islands builds `islands/` into a content-hashed folder
//! under `/pkg/` and lists it in `<site root>/islands.txt`: the main JS and
//! wasm (Leptos' islands runtime and the code islands share), the loader of
//! the split-off chunks, and each island's chunks (every island is
//! `#[island(lazy)]`). The page preloads its islands' chunks (named in
//! `app::ISLAND_PAGES`); its inline script fetches them while the main
//! module loads, starts the runtime, hydrates every `<leptos-island>` with
//! the export its `data-component` names, and marks `<body data-hydrated>`
//! once all have (as `frontend` does for a hydrated page).

use leptos::prelude::*;

/// The islands bundle's files, as URLs under `/pkg/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IslandBundle {
    pub js: String,
    pub wasm: String,
    /// The chunks' loader, which the main JS imports.
    pub link: Option<String>,
    /// Each island's chunks, by the island's name in snake case.
    pub islands: Vec<(String, Vec<String>)>,
}

impl IslandBundle {
    /// Reads `js:`, `wasm:`, `link:` and `island <name>:` lines; `None`
    /// when the JS or the wasm is missing or a line names something other
    /// than a file of the bundle.
    pub fn parse(text: &str, pkg_dir: &str) -> Option<Self> {
        let url = |path: &str| is_bundle_path(path).then(|| format!("/{pkg_dir}/{path}"));
        let mut bundle = IslandBundle {
            js: String::new(),
            wasm: String::new(),
            link: None,
            islands: Vec::new(),
        };
        for (key, value) in text.lines().filter_map(|line| line.split_once(':')) {
            let (key, value) = (key.trim(), value.trim());
            match key {
                "js" => bundle.js = url(value)?,
                "wasm" => bundle.wasm = url(value)?,
                "link" => bundle.link = Some(url(value)?),
                _ => {
                    let name = island_name(key)?;
                    let files = value.split_whitespace().map(url).collect::<Option<_>>()?;
                    bundle.islands.push((name.to_string(), files));
                }
            }
        }
        (!bundle.js.is_empty() && !bundle.wasm.is_empty()).then_some(bundle)
    }

    /// The chunks of `islands`, each once, in the order listed; an island
    /// the list does not name adds none (its loader fetches its code).
    fn chunks_of(&self, islands: &[&str]) -> Vec<&str> {
        let mut urls: Vec<&str> = Vec::new();
        for (_, files) in self
            .islands
            .iter()
            .filter(|(name, _)| islands.contains(&name.as_str()))
        {
            for file in files {
                if !urls.contains(&file.as_str()) {
                    urls.push(file);
                }
            }
        }
        urls
    }
}

/// The island an `island <name>` key names: lowercase letters, digits
/// and underscores, as the name goes into a script.
fn island_name(key: &str) -> Option<&str> {
    let name = key.strip_prefix("island ")?.trim();
    let plain = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
    (!name.is_empty() && name.bytes().all(plain)).then_some(name)
}

/// A file name, or a folder and a file name: letters, digits, `.`, `-` and
/// `_`, no part starting with a dot. The path goes into a script and a URL
/// as it is.
fn is_bundle_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() <= 2 && parts.iter().all(|part| is_plain_file_name(part))
}

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

/// Fetches the chunks of the page's islands beside the main module (the
/// loader would fetch them only once an island asks, after the main module
/// runs), loads the bundle, hydrates the page's islands, then marks the
/// body. A failed import or chunk download is an unhandled rejection
/// naming a network failure, which `FetchRetry` answers with a reload; the
/// loader then finds the chunks in the HTTP cache (their URLs are
/// immutable).
const SCRIPT: &str = "(async (js, wasm, chunks) => {
  const code = Promise.all(chunks.map(async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error('Failed to fetch ' + url + ': ' + response.status);
    await response.arrayBuffer();
  }));
  const mod = await import(js);
  await mod.default({ module_or_path: wasm });
  mod.hydrate();
  await code;
  let all = true;
  for (const island of document.querySelectorAll('leptos-island')) {
    const hydrate = mod[island.dataset.component];
    if (hydrate) await hydrate(island);
    else { all = false; console.error('no code for the island ' + island.dataset.component); }
  }
  if (all) document.body.dataset.hydrated = 'true';
})";

/// Preloads the bundle and the chunks of `islands` (the page's, named as
/// in `app::ISLAND_PAGES`) and runs [`SCRIPT`] with this response's nonce.
#[component]
pub fn IslandScripts(
    bundle: &'static IslandBundle,
    islands: &'static [&'static str],
) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let chunks = bundle.chunks_of(islands);
    // Every URL passed `is_bundle_path`: Debug quoting is a JS string.
    let run = format!("{SCRIPT}({:?}, {:?}, {chunks:?});", bundle.js, bundle.wasm);
    let preload = |href: &'static str| {
        view! { <link rel="preload" href=href r#as="fetch" r#type="application/wasm" crossorigin=""/> }
    };
    view! {
        <link rel="modulepreload" href=bundle.js.as_str()/>
        {bundle.link.as_deref().map(|link| view! { <link rel="modulepreload" href=link/> })}
        {preload(bundle.wasm.as_str())}
        {chunks.into_iter().map(preload).collect_view()}
        <script type="module" nonce=nonce inner_html=run></script>
    }
}

#[cfg(test)]
mod tests {
    use super::IslandBundle;

    const DIR: &str = "opsdeck-islands.AbC_12-xAbC_12-xAbC_12-";

    #[test]
    fn the_list_names_the_bundles_files_under_pkg() {
        let list = format!(
            "js: {DIR}/opsdeck-islands.js\nwasm: {DIR}/opsdeck-islands_bg.wasm\n\
             link: {DIR}/__wasm_split.js\n\
             island engine_view: {DIR}/chunk_0.wasm {DIR}/split_engine_view_loader_7.wasm\n\
             island tokens_view: \n"
        );
        let bundle = IslandBundle::parse(&list, "pkg").unwrap();
        assert_eq!(bundle.js, format!("/pkg/{DIR}/opsdeck-islands.js"));
        assert_eq!(bundle.wasm, format!("/pkg/{DIR}/opsdeck-islands_bg.wasm"));
        assert_eq!(bundle.link, Some(format!("/pkg/{DIR}/__wasm_split.js")));
        assert_eq!(
            bundle.islands,
            vec![
                (
                    "engine_view".to_string(),
                    vec![
                        format!("/pkg/{DIR}/chunk_0.wasm"),
                        format!("/pkg/{DIR}/split_engine_view_loader_7.wasm")
                    ]
                ),
                ("tokens_view".to_string(), vec![])
            ]
        );
        assert_eq!(
            bundle.chunks_of(&["engine_view", "tokens_view", "users_view"]),
            vec![
                format!("/pkg/{DIR}/chunk_0.wasm"),
                format!("/pkg/{DIR}/split_engine_view_loader_7.wasm")
            ]
        );
        assert!(bundle.chunks_of(&["users_view"]).is_empty());
    }

    #[test]
    fn a_list_missing_a_file_or_naming_a_path_is_no_bundle() {
        assert_eq!(IslandBundle::parse("js: a.js\n", "pkg"), None);
        assert_eq!(
            IslandBundle::parse("js: ../a.js\nwasm: a.wasm", "pkg"),
            None
        );
        assert_eq!(
            IslandBundle::parse("js: a/b/c.js\nwasm: a.wasm", "pkg"),
            None
        );
        assert_eq!(IslandBundle::parse("js: a\".js\nwasm: a.wasm", "pkg"), None);
        assert_eq!(
            IslandBundle::parse("js: a.js\nwasm: a.wasm\nisland x: ../b.wasm", "pkg"),
            None
        );
        assert_eq!(
            IslandBundle::parse("js: a.js\nwasm: a.wasm\nisland X\": b.wasm", "pkg"),
            None
        );
        assert!(IslandBundle::parse("js: a.js\nwasm: a.wasm", "pkg").is_some());
    }
}
