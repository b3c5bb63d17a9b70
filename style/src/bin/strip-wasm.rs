//! `cargo run -p opsdeck-style --bin strip-wasm -- target/site/pkg`: drops
//! toolchain-only sections from the site's wasm files (see
//! `opsdeck_style::wasm`). Run by `scripts/build-site`.

fn main() -> std::io::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| opsdeck_style::workspace_root().join("target/site/pkg"));
    let done = opsdeck_style::wasm::strip_dir(&dir)?;
    println!(
        "strip-wasm: {} bytes of toolchain sections dropped from {} files in {}",
        done.bytes,
        done.files,
        dir.display()
    );
    Ok(())
}
