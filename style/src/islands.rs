//! Puts the islands bundle (`islands/`, built by scripts/build-islands)
//! into the site: content-hashed names, `.br`/`.gz` twins, and the list
//! `islands.txt` that the server reads (`app::layout::island_bundle`).
//!
//! cargo-leptos does this for the app's bundle; the islands bundle is a
//! second wasm module it does not know about, so this is the same done by
//! hand: the name carries a hash of the content (so browsers may cache it
//! for good), the twins let the server answer `Accept-Encoding` without
//! compressing per request, and the wasm is stripped first like the app's.

use std::path::Path;

/// The bundle's file name stem under `/pkg/`.
pub const STEM: &str = "opsdeck-islands";

/// The names given, for the build's log.
#[derive(Debug, PartialEq, Eq)]
pub struct Installed {
    pub js: String,
    pub wasm: String,
}

/// Copies `built/opsdeck-islands.js` and `built/opsdeck-islands_bg.wasm`
/// (wasm-bindgen's output) into `site/pkg` under hashed names with their
/// twins, drops the bundle's earlier files there, and writes
/// `site/islands.txt` last, so a server never reads a list naming files
/// not yet written.
pub fn install(built: &Path, site: &Path) -> std::io::Result<Installed> {
    let js = std::fs::read(built.join(format!("{STEM}.js")))?;
    let wasm = std::fs::read(built.join(format!("{STEM}_bg.wasm")))?;
    let wasm = crate::wasm::strip(&wasm).unwrap_or(wasm);
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg)?;
    remove_earlier(&pkg)?;
    let installed = Installed {
        js: write_hashed(&pkg, "js", &js)?,
        wasm: write_hashed(&pkg, "wasm", &wasm)?,
    };
    std::fs::write(
        site.join("islands.txt"),
        format!("js: {}\nwasm: {}\n", installed.js, installed.wasm),
    )?;
    Ok(installed)
}

/// Writes `bytes` as `opsdeck-islands.<hash>.<ext>` and its twins; the name.
fn write_hashed(pkg: &Path, ext: &str, bytes: &[u8]) -> std::io::Result<String> {
    let name = format!("{STEM}.{}.{ext}", content_hash(bytes));
    std::fs::write(pkg.join(format!("{name}.gz")), crate::wasm::gzipped(bytes)?)?;
    std::fs::write(
        pkg.join(format!("{name}.br")),
        crate::wasm::brotlied(bytes)?,
    )?;
    std::fs::write(pkg.join(&name), bytes)?;
    Ok(name)
}

/// Every earlier `opsdeck-islands.*` file in `pkg`: a build replaces the
/// bundle rather than piling up old ones.
fn remove_earlier(pkg: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(pkg)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(&format!("{STEM}.")) {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// The first 16 bytes of the SHA-256, unpadded base64url: 22 characters.
fn content_hash(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(js: &str, wasm: &[u8]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("opsdeck-islands.js"), js).unwrap();
        std::fs::write(dir.path().join("opsdeck-islands_bg.wasm"), wasm).unwrap();
        dir
    }

    fn listed(site: &Path) -> String {
        std::fs::read_to_string(site.join("islands.txt")).unwrap()
    }

    #[test]
    fn the_bundle_lands_under_hashed_names_with_twins_and_a_list() {
        let from = built("export default 1;", b"\0asm\x01\0\0\0");
        let site = tempfile::tempdir().unwrap();
        let done = install(from.path(), site.path()).unwrap();
        assert_eq!(
            listed(site.path()),
            format!("js: {}\nwasm: {}\n", done.js, done.wasm)
        );
        let hash = done.js.split('.').nth(1).unwrap();
        assert_eq!(hash.len(), 22, "{}", done.js);
        assert!(done.wasm.ends_with(".wasm") && done.js.ends_with(".js"));
        for name in [&done.js, &done.wasm] {
            for twin in ["", ".gz", ".br"] {
                let path = site.path().join("pkg").join(format!("{name}{twin}"));
                assert!(path.is_file(), "{}", path.display());
            }
        }
        let js = std::fs::read(site.path().join("pkg").join(&done.js)).unwrap();
        assert_eq!(js, b"export default 1;");
    }

    #[test]
    fn a_new_build_replaces_the_old_files_and_the_same_build_keeps_its_names() {
        let site = tempfile::tempdir().unwrap();
        let first = install(built("a", b"\0asm\x01\0\0\0").path(), site.path()).unwrap();
        let again = install(built("a", b"\0asm\x01\0\0\0").path(), site.path()).unwrap();
        assert_eq!(first, again);
        let next = install(built("b", b"\0asm\x01\0\0\0").path(), site.path()).unwrap();
        assert_ne!(next.js, first.js);
        assert_eq!(next.wasm, first.wasm);
        let files: Vec<String> = std::fs::read_dir(site.path().join("pkg"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files.len(), 6, "{files:?}");
        assert!(!files.iter().any(|f| f.starts_with(&first.js)), "{files:?}");
    }
}
