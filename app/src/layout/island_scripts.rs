//! The scripts of an island page (`PageCode::Islands`): the islands bundle
//! instead of the app.
//!
//! scripts/build-islands builds `islands/` into a content-hashed folder
//! under `/pkg/` and lists it in `<site root>/islands.txt`: the main JS and
//! wasm (Leptos' islands runtime and the code islands share), the loader of
//! the split-off chunks, and each island's chunks (every island is
//! `#[island(lazy)]`), and each island's pack (its chunks in one file).
//! The page preloads its islands' packs (named in `app::ISLAND_PAGES`);
//! its inline script fetches them while the main module loads, answers the
//! chunks' loader from them, starts the runtime, hydrates every
//! `<leptos-island>` with the export its `data-component` names, and marks
//! `<body data-hydrated>` once all have (as `frontend` does for a hydrated
//! page).

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
    /// Packs: the chunks of an island, or of a group of islands shown on
    /// one page, in one file (style/src/islands.rs), by the islands' names.
    pub packs: Vec<(Vec<String>, String)>,
}

impl IslandBundle {
    /// Reads `js:`, `wasm:`, `link:`, `island <name>:` and `pack <name>:`
    /// lines; `None`
    /// when the JS or the wasm is missing or a line names something other
    /// than a file of the bundle.
    pub fn parse(text: &str, pkg_dir: &str) -> Option<Self> {
        let url = |path: &str| is_bundle_path(path).then(|| format!("/{pkg_dir}/{path}"));
        let mut bundle = IslandBundle {
            js: String::new(),
            wasm: String::new(),
            link: None,
            islands: Vec::new(),
            packs: Vec::new(),
        };
        for (key, value) in text.lines().filter_map(|line| line.split_once(':')) {
            let (key, value) = (key.trim(), value.trim());
            match key {
                "js" => bundle.js = url(value)?,
                "wasm" => bundle.wasm = url(value)?,
                "link" => bundle.link = Some(url(value)?),
                _ if key.starts_with("pack ") => {
                    let names = key.strip_prefix("pack ")?.split_whitespace();
                    let names = names.map(|n| island_name(n).map(str::to_string));
                    bundle
                        .packs
                        .push((names.collect::<Option<_>>()?, url(value)?));
                }
                _ => {
                    let name = island_name(key)?;
                    let files = value.split_whitespace().map(url).collect::<Option<_>>()?;
                    bundle.islands.push((name.to_string(), files));
                }
            }
        }
        (!bundle.js.is_empty() && !bundle.wasm.is_empty()).then_some(bundle)
    }

    /// What the page of `islands` fetches: the pack of exactly these
    /// islands, else each island's pack, or where the list has none, its
    /// chunks (each once, in the order listed); an island the list does
    /// not name adds nothing (its loader fetches its code).
    fn code_of(&self, islands: &[&str]) -> (Vec<&str>, Vec<&str>) {
        let same = |names: &Vec<String>| {
            names.len() == islands.len() && islands.iter().all(|i| names.iter().any(|n| n == i))
        };
        if let Some((_, pack)) = self.packs.iter().find(|(names, _)| same(names)) {
            return (vec![pack.as_str()], Vec::new());
        }
        let (mut packs, mut chunks): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
        for island in islands {
            if let Some((_, pack)) = self.packs.iter().find(|(names, _)| names == &[*island]) {
                packs.push(pack);
                continue;
            }
            let files = self.islands.iter().filter(|(name, _)| name == island);
            for file in files.flat_map(|(_, files)| files) {
                if !chunks.contains(&file.as_str()) {
                    chunks.push(file);
                }
            }
        }
        (packs, chunks)
    }
}

/// The island an `island <name>` key names: lowercase letters, digits
/// and underscores, as the name goes into a script.
fn island_name(key: &str) -> Option<&str> {
    let name = key.strip_prefix("island ").unwrap_or(key).trim();
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

/// Fetches the packs (else the chunks) of the page's islands beside the
/// main module (the loader would fetch the chunks only once an island
/// asks, after the main module runs, and one by one), answers the loader's
/// fetches of the packed chunks from memory, loads the bundle, hydrates
/// the page's islands, then marks the body. A failed import or download
/// is an unhandled rejection naming a network failure, which `FetchRetry`
/// answers with a reload; the files are immutable, so the HTTP cache has
/// the ones that came.
const SCRIPT: &str = "(async (js, wasm, packs, chunks) => {
  const get = async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error('Failed to fetch ' + url + ': ' + response.status);
    return response.arrayBuffer();
  };
  const code = Promise.all([...packs.map(get), ...chunks.map(get)]);
  const mod = await import(js);
  await mod.default({ module_or_path: wasm });
  const got = await code;
  const packed = new Map();
  const base = new URL(js, location.href);
  for (const buffer of got.slice(0, packs.length)) {
    const view = new DataView(buffer);
    let at = 4;
    const files = [];
    for (let i = view.getUint32(0, true); i > 0; i--) {
      const length = view.getUint16(at, true);
      const name = new TextDecoder().decode(new Uint8Array(buffer, at + 2, length));
      files.push([new URL(name, base).pathname, view.getUint32(at + 2 + length, true)]);
      at += 6 + length;
    }
    for (const [path, size] of files) {
      packed.set(path, new Uint8Array(buffer, at, size));
      at += size;
    }
  }
  const network = window.fetch;
  window.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    const bytes = url.origin === location.origin && packed.get(url.pathname);
    if (!bytes) return network.call(window, input, init);
    return Promise.resolve(new Response(bytes, { headers: { 'content-type': 'application/wasm' } }));
  };
  mod.hydrate();
  let all = true;
  for (const island of document.querySelectorAll('leptos-island')) {
    const hydrate = mod[island.dataset.component];
    if (hydrate) await hydrate(island);
    else { all = false; console.error('no code for the island ' + island.dataset.component); }
  }
  if (all) document.body.dataset.hydrated = 'true';
})";

/// Preloads the bundle and the packs (else chunks) of `islands` (the
/// page's, named as in `app::ISLAND_PAGES`) and runs [`SCRIPT`] with this
/// response's nonce.
#[component]
pub fn IslandScripts(
    bundle: &'static IslandBundle,
    islands: &'static [&'static str],
) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let (packs, chunks) = bundle.code_of(islands);
    // Every URL passed `is_bundle_path`: Debug quoting is a JS string.
    let run = format!(
        "{SCRIPT}({:?}, {:?}, {packs:?}, {chunks:?});",
        bundle.js, bundle.wasm
    );
    let preload = |href: &'static str| {
        let wasm = href.ends_with(".wasm").then_some("application/wasm");
        view! { <link rel="preload" href=href r#as="fetch" r#type=wasm crossorigin=""/> }
    };
    // A browser keeps the timings of 250 resources by default; a page
    // whose islands come in more files would lose those of its code, which
    // the failure report and the browser tests read. Run before the
    // preloads below start.
    let timings = "performance.setResourceTimingBufferSize(2000);";
    view! {
        <script nonce=nonce.clone() inner_html=timings></script>
        <link rel="modulepreload" href=bundle.js.as_str()/>
        {bundle.link.as_deref().map(|link| view! { <link rel="modulepreload" href=link/> })}
        {preload(bundle.wasm.as_str())}
        {packs.into_iter().chain(chunks).map(preload).collect_view()}
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
            bundle.code_of(&["engine_view", "tokens_view", "users_view"]),
            (
                vec![],
                vec![
                    format!("/pkg/{DIR}/chunk_0.wasm").as_str(),
                    format!("/pkg/{DIR}/split_engine_view_loader_7.wasm").as_str()
                ]
            )
        );
        assert_eq!(bundle.code_of(&["users_view"]), (vec![], vec![]));
    }

    #[test]
    fn a_page_fetches_its_islands_packs_where_the_list_has_them() {
        let list = format!(
            "js: {DIR}/opsdeck-islands.js\nwasm: {DIR}/opsdeck-islands_bg.wasm\n\
             island engine_view: {DIR}/chunk_0.wasm {DIR}/split_engine_view_loader_7.wasm\n\
             pack engine_view: {DIR}/engine_view.pack\n\
             island tokens_view: {DIR}/chunk_0.wasm {DIR}/split_tokens_view_loader_7.wasm\n\
             pack tokens_view engine_view: {DIR}/tokens_view-engine_view.pack\n"
        );
        let bundle = IslandBundle::parse(&list, "pkg").unwrap();
        let pack = format!("/pkg/{DIR}/engine_view.pack");
        let (chunk, tokens) = (
            format!("/pkg/{DIR}/chunk_0.wasm"),
            format!("/pkg/{DIR}/split_tokens_view_loader_7.wasm"),
        );
        assert_eq!(
            bundle.code_of(&["engine_view", "users_view"]),
            (vec![pack.as_str()], vec![])
        );
        assert_eq!(
            bundle.code_of(&["tokens_view", "users_view"]),
            (vec![], vec![chunk.as_str(), tokens.as_str()])
        );
        let both = format!("/pkg/{DIR}/tokens_view-engine_view.pack");
        assert_eq!(
            bundle.code_of(&["engine_view", "tokens_view"]),
            (vec![both.as_str()], vec![])
        );
        assert_eq!(
            IslandBundle::parse(&format!("{list}pack x: ../a.pack\n"), "pkg"),
            None
        );
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
