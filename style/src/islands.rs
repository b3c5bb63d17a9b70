//! Puts the islands bundle (`islands/`, built by scripts/build-islands)
//! into the site: split per island, named after its content, with
//! `.br`/`.gz` twins, and listed in `islands.txt`, which the server reads
//! (`app::layout::island_bundle`).
//!
//! cargo-leptos does this for the app's bundle; the islands bundle is a
//! second wasm module it does not know about, so this is the same done by
//! hand. Each island is `#[island(lazy)]`: its code is cut out of the main
//! module into chunks ([`split`], cargo-leptos' `--split` step), so a page
//! fetches the runtime and the shared code plus its own islands' chunks,
//! not every island page's code. The files go into one folder named after
//! the content of all of them (the chunks and their loader find each other
//! by relative URLs, which a per-file rename would break), so browsers may
//! cache them for good; the twins let the server answer `Accept-Encoding`
//! without compressing per request.

use std::collections::BTreeMap;
use std::path::Path;

/// The bundle's main JS is `<STEM>.js`; its folder under `/pkg/` is
/// `<STEM>.<hash>`.
pub const STEM: &str = "opsdeck-islands";

/// Written by [`split`] beside the chunks: which files each island's code
/// needs, one line per island (`engine_view: chunk_0.wasm split_….wasm`).
pub const CHUNKS: &str = "chunks.txt";

/// An island's [`pack`] is `<island>.<PACK>`.
pub const PACK: &str = "pack";

/// The JS module the split-off chunks load through (wasm-split's name).
const LINK: &str = "__wasm_split.js";

/// What the split made.
#[derive(Debug)]
pub struct Split {
    pub chunks: usize,
    pub islands: usize,
}

/// Cuts cargo's raw islands wasm (linked with `--emit-relocs`) at its
/// `#[lazy]` points: the main module goes to `main_out` for wasm-bindgen,
/// the chunks and their loader [`LINK`] into `out`, with [`CHUNKS`].
pub fn split(raw: &Path, out: &Path, main_out: &Path) -> Result<Split, String> {
    let input = std::fs::read(raw).map_err(|e| format!("{}: {e}", raw.display()))?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let main_module = format!("./{STEM}.js");
    let link_name = format!("./{LINK}");
    let mut options = wasm_split_cli_support::Options::new(&input);
    options.output_dir = out;
    options.main_out_path = main_out;
    options.main_module = &main_module;
    options.link_name = &link_name;
    let done = wasm_split_cli_support::transform(options).map_err(|e| format!("{e:#}"))?;
    let islands: BTreeMap<&str, &Vec<String>> = done
        .prefetch_map
        .iter()
        .filter_map(|(split, stems)| Some((island_of(split)?, stems)))
        .collect();
    let lines: String = islands
        .iter()
        .map(|(island, stems)| {
            let files: Vec<String> = stems.iter().map(|s| format!("{s}.wasm")).collect();
            format!("{island}: {}\n", files.join(" "))
        })
        .collect();
    std::fs::write(out.join(CHUNKS), lines).map_err(|e| e.to_string())?;
    Ok(Split {
        chunks: done.split_modules.len(),
        islands: islands.len(),
    })
}

/// The island a split point loads: `#[island(lazy)]` on `EngineView` makes
/// a `#[lazy]` fn `EngineView_loader`, whose split is named
/// `engine_view_loader_<number>`; `engine_view` is what the page's script
/// derives from the element's `data-component` (`EngineView_<number>`).
fn island_of(split: &str) -> Option<&str> {
    let (island, number) = split.rsplit_once("_loader_")?;
    (!island.is_empty() && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
        .then_some(island)
}

/// The folder installed, for the build's log.
#[derive(Debug, PartialEq, Eq)]
pub struct Installed {
    pub dir: String,
    pub files: usize,
}

/// Copies the built bundle (wasm-bindgen's `opsdeck-islands.js` and
/// `_bg.wasm`, the chunks, their loader, [`CHUNKS`]) into
/// `site/pkg/<STEM>.<hash>/` with twins, drops the earlier bundles there,
/// and writes `site/islands.txt` last, so a server never reads a list
/// naming files not yet written.
pub fn install(built: &Path, site: &Path, groups: &str) -> std::io::Result<Installed> {
    let files = published(built)?;
    for needed in [format!("{STEM}.js"), format!("{STEM}_bg.wasm")] {
        if !files.contains_key(&needed) {
            return Err(missing(&built.join(needed)));
        }
    }
    let chunks = match std::fs::read_to_string(built.join(CHUNKS)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let mut files = files;
    let islands = islands_in(&chunks);
    for (island, needs) in &islands {
        let pack = pack(&files, needs)?;
        files.insert(format!("{island}.{PACK}"), pack);
    }
    for group in groups_in(groups) {
        let mut needs: Vec<&str> = Vec::new();
        for island in &group {
            let (_, of) = islands
                .iter()
                .find(|(name, _)| name == island)
                .ok_or_else(|| {
                    std::io::Error::other(format!(
                        "{island}: a group in islands/packs.txt, not an island"
                    ))
                })?;
            for file in of {
                if !needs.contains(file) {
                    needs.push(file);
                }
            }
        }
        let pack = pack(&files, &needs)?;
        files.insert(format!("{}.{PACK}", group.join("-")), pack);
    }
    let dir = format!("{STEM}.{}", content_hash(&files));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg)?;
    remove_earlier(&pkg)?;
    let folder = pkg.join(&dir);
    std::fs::create_dir_all(&folder)?;
    for (name, bytes) in &files {
        std::fs::write(
            folder.join(format!("{name}.gz")),
            crate::wasm::gzipped(bytes)?,
        )?;
        std::fs::write(
            folder.join(format!("{name}.br")),
            crate::wasm::brotlied(bytes)?,
        )?;
        std::fs::write(folder.join(name), bytes)?;
    }
    std::fs::write(
        site.join("islands.txt"),
        list(&dir, &files, &chunks, groups),
    )?;
    Ok(Installed {
        dir,
        files: files.len(),
    })
}

/// The files of the bundle by name, wasm stripped like the app's; every
/// file in `built` but [`CHUNKS`], which goes into the list instead.
fn published(built: &Path) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(built)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type()?.is_file() {
            // wasm-bindgen's `snippets/` would need their paths kept.
            return Err(std::io::Error::other(format!(
                "{}: only files are published",
                entry.path().display()
            )));
        }
        if name == CHUNKS {
            continue;
        }
        let bytes = std::fs::read(entry.path())?;
        let bytes = if name.ends_with(".wasm") {
            crate::wasm::strip(&bytes).unwrap_or(bytes)
        } else {
            bytes
        };
        files.insert(name, bytes);
    }
    Ok(files)
}

fn missing(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("{}: not built", path.display()),
    )
}

/// `islands.txt`: the main JS and wasm, the chunks' loader (preloaded with
/// the main JS, which imports it), and each island's chunks, as paths
/// under `/pkg/`.
fn list(dir: &str, files: &BTreeMap<String, Vec<u8>>, chunks: &str, groups: &str) -> String {
    let mut text = format!("js: {dir}/{STEM}.js\nwasm: {dir}/{STEM}_bg.wasm\n");
    if files.contains_key(LINK) {
        text.push_str(&format!("link: {dir}/{LINK}\n"));
    }
    for (island, needs) in islands_in(chunks) {
        let paths: Vec<String> = needs
            .iter()
            .filter(|file| files.contains_key(**file))
            .map(|file| format!("{dir}/{file}"))
            .collect();
        text.push_str(&format!("island {island}: {}\n", paths.join(" ")));
        if files.contains_key(&format!("{island}.{PACK}")) {
            text.push_str(&format!("pack {island}: {dir}/{island}.{PACK}\n"));
        }
    }
    for group in groups_in(groups) {
        let file = format!("{}.{PACK}", group.join("-"));
        if files.contains_key(&file) {
            text.push_str(&format!("pack {}: {dir}/{file}\n", group.join(" ")));
        }
    }
    text
}

/// The groups of `islands/packs.txt`: the islands of a page that shows
/// several, one line each, which get one pack together (their own packs
/// would carry the code they share once each).
fn groups_in(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .filter(|group| group.len() > 1)
        .collect()
}

/// The lines of [`CHUNKS`]: each island and the files its code needs.
fn islands_in(chunks: &str) -> Vec<(&str, Vec<&str>)> {
    chunks
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(island, needs)| (island.trim(), needs.split_whitespace().collect()))
        .collect()
}

/// One island's files in one: a page fetches its islands' packs (one
/// request each, compressed as a whole: 15–20 % smaller than the files
/// compressed one by one) instead of a few hundred small chunks, and its
/// script answers the chunks' loader from them
/// (`app::layout::island_scripts`). The layout, little-endian: the number
/// of files (u32), then per file its name's length (u16), the name and its
/// size (u32), then the files' bytes in that order.
fn pack(files: &BTreeMap<String, Vec<u8>>, needs: &[&str]) -> std::io::Result<Vec<u8>> {
    let mut head = (needs.len() as u32).to_le_bytes().to_vec();
    let mut body: Vec<u8> = Vec::new();
    for name in needs {
        let bytes = files.get(*name).ok_or_else(|| {
            std::io::Error::other(format!("{name}: listed in {CHUNKS}, not built"))
        })?;
        head.extend((name.len() as u16).to_le_bytes());
        head.extend(name.as_bytes());
        head.extend((bytes.len() as u32).to_le_bytes());
        body.extend_from_slice(bytes);
    }
    head.extend(body);
    Ok(head)
}

/// Every earlier `opsdeck-islands.*` file or folder in `pkg`: a build
/// replaces the bundle rather than piling up old ones.
fn remove_earlier(pkg: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(pkg)? {
        let entry = entry?;
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with(&format!("{STEM}."))
        {
            continue;
        }
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// The first 16 bytes of the SHA-256 of every file's name and content,
/// unpadded base64url: 22 characters, the form cargo-leptos gives its own
/// files (which server/src/assets.rs serves as immutable).
fn content_hash(files: &BTreeMap<String, Vec<u8>>) -> String {
    use base64::Engine;
    use sha2::Digest;
    let mut digest = sha2::Sha256::new();
    for (name, bytes) in files {
        digest.update((name.len() as u64).to_le_bytes());
        digest.update(name.as_bytes());
        digest.update((bytes.len() as u64).to_le_bytes());
        digest.update(bytes);
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    const WASM: &[u8] = b"\0asm\x01\0\0\0";

    fn built(js: &str, chunks: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("opsdeck-islands.js"), js).unwrap();
        std::fs::write(dir.path().join("opsdeck-islands_bg.wasm"), WASM).unwrap();
        std::fs::write(dir.path().join("__wasm_split.js"), "export {};").unwrap();
        std::fs::write(dir.path().join("chunk_0.wasm"), WASM).unwrap();
        std::fs::write(dir.path().join("split_engine_view_loader_7.wasm"), WASM).unwrap();
        std::fs::write(dir.path().join(CHUNKS), chunks).unwrap();
        dir
    }

    fn listed(site: &Path) -> String {
        std::fs::read_to_string(site.join("islands.txt")).unwrap()
    }

    #[test]
    fn the_bundle_lands_in_a_hashed_folder_with_twins_and_a_list() {
        let from = built(
            "export default 1;",
            "engine_view: chunk_0.wasm split_engine_view_loader_7.wasm\n",
        );
        let site = tempfile::tempdir().unwrap();
        let done = install(from.path(), site.path(), "").unwrap();
        let dir = &done.dir;
        assert_eq!(
            listed(site.path()),
            format!(
                "js: {dir}/opsdeck-islands.js\nwasm: {dir}/opsdeck-islands_bg.wasm\n\
                 link: {dir}/__wasm_split.js\n\
                 island engine_view: {dir}/chunk_0.wasm {dir}/split_engine_view_loader_7.wasm\n\
                 pack engine_view: {dir}/engine_view.pack\n"
            )
        );
        assert_eq!(dir.split('.').nth(1).unwrap().len(), 22, "{dir}");
        assert_eq!(done.files, 6);
        let folder = site.path().join("pkg").join(dir);
        for name in [
            "opsdeck-islands.js",
            "opsdeck-islands_bg.wasm",
            "chunk_0.wasm",
            "engine_view.pack",
        ] {
            for twin in ["", ".gz", ".br"] {
                let path = folder.join(format!("{name}{twin}"));
                assert!(path.is_file(), "{}", path.display());
            }
        }
        assert!(!folder.join(CHUNKS).exists());
        let js = std::fs::read(folder.join("opsdeck-islands.js")).unwrap();
        assert_eq!(js, b"export default 1;");
    }

    #[test]
    fn a_group_of_islands_gets_one_pack_with_their_files_once() {
        let from = built("a", "engine_view: chunk_0.wasm split_engine_view_loader_7.wasm\ntokens_view: chunk_0.wasm\n");
        let site = tempfile::tempdir().unwrap();
        let done = install(
            from.path(),
            site.path(),
            "# pages\nengine_view tokens_view\nalone\n",
        )
        .unwrap();
        let dir = &done.dir;
        assert!(
            listed(site.path()).ends_with(&format!(
                "pack engine_view tokens_view: {dir}/engine_view-tokens_view.pack\n"
            )),
            "{}",
            listed(site.path())
        );
        let group = std::fs::read(
            site.path()
                .join("pkg")
                .join(dir)
                .join("engine_view-tokens_view.pack"),
        )
        .unwrap();
        assert_eq!(group[..4], 2u32.to_le_bytes(), "chunk_0 once");
        let err = install(from.path(), site.path(), "engine_view users_view\n").unwrap_err();
        assert!(err.to_string().contains("users_view"), "{err}");
    }

    #[test]
    fn an_islands_pack_holds_its_files_named_and_sized_in_order() {
        let mut files = BTreeMap::new();
        files.insert("a.wasm".to_string(), b"AAA".to_vec());
        files.insert("bc.wasm".to_string(), b"B".to_vec());
        let packed = pack(&files, &["bc.wasm", "a.wasm"]).unwrap();
        let mut want = 2u32.to_le_bytes().to_vec();
        want.extend(7u16.to_le_bytes());
        want.extend(b"bc.wasm");
        want.extend(1u32.to_le_bytes());
        want.extend(6u16.to_le_bytes());
        want.extend(b"a.wasm");
        want.extend(3u32.to_le_bytes());
        want.extend(b"BAAA");
        assert_eq!(packed, want);
        let err = pack(&files, &["gone.wasm"]).unwrap_err();
        assert!(err.to_string().contains("gone.wasm"), "{err}");
    }

    #[test]
    fn a_new_build_replaces_the_old_folder_and_the_same_build_keeps_its_name() {
        let site = tempfile::tempdir().unwrap();
        let first = install(built("a", "").path(), site.path(), "").unwrap();
        let again = install(built("a", "").path(), site.path(), "").unwrap();
        assert_eq!(first, again);
        let next = install(built("b", "").path(), site.path(), "").unwrap();
        assert_ne!(next.dir, first.dir);
        let entries: Vec<String> = std::fs::read_dir(site.path().join("pkg"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(entries, vec![next.dir.clone()]);
    }

    #[test]
    fn a_build_without_the_main_module_installs_nothing() {
        let from = built("a", "");
        std::fs::remove_file(from.path().join("opsdeck-islands_bg.wasm")).unwrap();
        let site = tempfile::tempdir().unwrap();
        let err = install(from.path(), site.path(), "").unwrap_err();
        assert!(err.to_string().contains("opsdeck-islands_bg.wasm"), "{err}");
        assert!(!site.path().join("islands.txt").exists());
    }

    #[test]
    fn only_lazy_island_loaders_name_an_island() {
        assert_eq!(island_of("engine_view_loader_1234"), Some("engine_view"));
        assert_eq!(island_of("tokens_view_loader_9"), Some("tokens_view"));
        assert_eq!(island_of("engine_view_loader_"), None);
        assert_eq!(island_of("_loader_12"), None);
        assert_eq!(island_of("some_route_12"), None);
        assert_eq!(island_of("x_loader_1a"), None);
    }
}
