//! Drops the custom sections that only toolchains read from the site's
//! wasm files, and rewrites their precompressed twins.
//!
//! `--split` cuts the app into ~800 wasm files, and every one of them keeps
//! a `producers` and a `target_features` section (~160 bytes that gzip and
//! brotli cannot shrink, since each file is compressed alone): on the
//! service page, 431 files, that is ~70 KiB of the first load. Browsers
//! ignore both sections. The files keep their names: the output is a
//! function of the input, so a name still stands for one content.

use std::io::Write;
use std::path::Path;

/// Custom sections no browser reads.
const DROPPED: &[&[u8]] = &[b"producers", b"target_features"];

/// `wasm` without the [`DROPPED`] sections; `None` when it has none of them
/// (or is not a wasm module), so unchanged files are left alone.
pub fn strip(wasm: &[u8]) -> Option<Vec<u8>> {
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        return None;
    }
    let mut out = wasm[..8].to_vec();
    let mut at = 8;
    let mut dropped = false;
    while at < wasm.len() {
        let id = wasm[at];
        let (size, body) = leb128(wasm, at + 1)?;
        let end = body.checked_add(size)?;
        if end > wasm.len() {
            return None;
        }
        if id == 0 && DROPPED.contains(&custom_name(&wasm[body..end])?) {
            dropped = true;
        } else {
            out.extend_from_slice(&wasm[at..end]);
        }
        at = end;
    }
    dropped.then_some(out)
}

/// The name a custom section's body starts with.
fn custom_name(body: &[u8]) -> Option<&[u8]> {
    let (len, start) = leb128(body, 0)?;
    body.get(start..start.checked_add(len)?)
}

/// An unsigned LEB128 number at `at`: its value and where it ends.
fn leb128(bytes: &[u8], mut at: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(at)?;
        at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((value, at));
        }
    }
    None
}

/// What [`strip_dir`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Stripped {
    pub files: usize,
    pub bytes: usize,
}

/// Strips every `.wasm` file directly in `dir` and rewrites the `.gz` and
/// `.br` files beside those that changed (those cargo-leptos's
/// `--precompress` made), on every core: brotli at quality 11 is most of
/// the work (~35 s of CPU for the whole site).
pub fn strip_dir(dir: &Path) -> std::io::Result<Stripped> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            files.push(path);
        }
    }
    // Largest first, taken from one queue by every core: the main module
    // alone is ~9 s of brotli.
    files.sort_by_cached_key(|p| std::cmp::Reverse(std::fs::metadata(p).map_or(0, |m| m.len())));
    let mut done = Stripped::default();
    for saved in on_every_core(&files, |path| strip_file(path)) {
        if let Some(bytes) = saved? {
            done.files += 1;
            done.bytes += bytes;
        }
    }
    Ok(done)
}

/// `work` applied to every item, the items taken in order from one queue by
/// one thread per core; the results in no particular order.
fn on_every_core<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut results = Vec::new();
                    while let Some(item) =
                        items.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        results.push(work(item));
                    }
                    results
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a strip-wasm worker panicked"))
            .collect()
    })
}

/// Strips one file and rewrites its twins; the bytes saved, or `None` when
/// it had nothing to drop.
fn strip_file(path: &Path) -> std::io::Result<Option<usize>> {
    let wasm = std::fs::read(path)?;
    let Some(smaller) = strip(&wasm) else {
        return Ok(None);
    };
    // The twins first: a run cut short leaves the file unstripped, and the
    // next run redoes it, rather than a stripped file with stale twins.
    let twin = |ext: &str| path.with_extension(format!("wasm.{ext}"));
    if twin("gz").exists() {
        std::fs::write(twin("gz"), gzipped(&smaller)?)?;
    }
    if twin("br").exists() {
        std::fs::write(twin("br"), brotlied(&smaller)?)?;
    }
    std::fs::write(path, &smaller)?;
    Ok(Some(wasm.len() - smaller.len()))
}

pub(crate) fn gzipped(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    encoder.finish()
}

pub(crate) fn brotlied(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn section(id: u8, body: &[u8]) -> Vec<u8> {
        let mut s = vec![id, body.len() as u8];
        s.extend_from_slice(body);
        s
    }

    fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(payload);
        section(0, &body)
    }

    fn module(sections: &[Vec<u8>]) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        sections.iter().for_each(|s| m.extend_from_slice(s));
        m
    }

    #[test]
    fn toolchain_sections_go_and_everything_else_stays_in_order() {
        let types = section(1, &[0]);
        let names = custom("name", b"\x01\x02ab");
        let wasm = module(&[
            custom("producers", b"\x01\x0cprocessed-by"),
            types.clone(),
            custom("target_features", b"\x01+\x08sign-ext"),
            names.clone(),
        ]);
        assert_eq!(strip(&wasm), Some(module(&[types, names])));
    }

    #[test]
    fn a_file_with_nothing_to_drop_or_that_is_not_wasm_is_left_alone() {
        assert_eq!(strip(&module(&[section(1, &[0])])), None);
        assert_eq!(strip(b"<html>not wasm</html>"), None);
        let mut cut = module(&[custom("producers", b"xyz")]);
        cut.truncate(cut.len() - 1);
        assert_eq!(strip(&cut), None, "a section running past the end");
    }

    #[test]
    fn the_compressed_twins_are_rewritten_to_the_stripped_file() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = module(&[section(1, &[0]), custom("producers", b"walrus")]);
        let path = dir.path().join("chunk_1.abc.wasm");
        std::fs::write(&path, &wasm).unwrap();
        std::fs::write(dir.path().join("chunk_1.abc.wasm.gz"), b"stale").unwrap();
        std::fs::write(dir.path().join("chunk_1.abc.wasm.br"), b"stale").unwrap();
        std::fs::write(dir.path().join("opsdeck.abc.js"), b"producers").unwrap();

        let done = strip_dir(dir.path()).unwrap();

        let stripped = module(&[section(1, &[0])]);
        assert_eq!(std::fs::read(&path).unwrap(), stripped);
        assert_eq!(
            done,
            Stripped {
                files: 1,
                bytes: wasm.len() - stripped.len()
            }
        );
        let mut gunzipped = Vec::new();
        flate2::read::GzDecoder::new(&std::fs::read(path.with_extension("wasm.gz")).unwrap()[..])
            .read_to_end(&mut gunzipped)
            .unwrap();
        assert_eq!(gunzipped, stripped);
        let mut unbrotlied = Vec::new();
        brotli::BrotliDecompress(
            &mut &std::fs::read(path.with_extension("wasm.br")).unwrap()[..],
            &mut unbrotlied,
        )
        .unwrap();
        assert_eq!(unbrotlied, stripped);
        assert_eq!(
            strip_dir(dir.path()).unwrap(),
            Stripped::default(),
            "a second run changes nothing"
        );
    }
}
