//! `cargo run -p opsdeck-style --bin install-islands -- <built> <site>`:
//! puts wasm-bindgen's output for the islands bundle into the site under
//! hashed names (see `opsdeck_style::islands`). Run by scripts/build-islands.

fn main() -> std::io::Result<()> {
    let mut args = std::env::args_os().skip(1).map(std::path::PathBuf::from);
    let root = opsdeck_style::workspace_root();
    let built = args.next().unwrap_or_else(|| root.join("target/islands"));
    let site = args.next().unwrap_or_else(|| root.join("target/site"));
    let done = opsdeck_style::islands::install(&built, &site)?;
    println!(
        "install-islands: {} and {} in {}",
        done.js,
        done.wasm,
        site.join("pkg").display()
    );
    Ok(())
}
