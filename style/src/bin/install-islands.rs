//! `cargo run -p opsdeck-style --bin install-islands -- <built> <site>`:
//! puts the split, wasm-bindgen'd and optimized islands bundle into the
//! site in a content-hashed folder (see `opsdeck_style::islands`), with a
//! pack per island and one per group in `islands/packs.txt`. Run by
//! scripts/build-islands.

fn main() -> std::io::Result<()> {
    let mut args = std::env::args_os().skip(1).map(std::path::PathBuf::from);
    let root = opsdeck_style::workspace_root();
    let built = args.next().unwrap_or_else(|| root.join("target/islands"));
    let site = args.next().unwrap_or_else(|| root.join("target/site"));
    let groups = std::fs::read_to_string(root.join("islands/packs.txt"))?;
    let done = opsdeck_style::islands::install(&built, &site, &groups)?;
    println!(
        "install-islands: {} files in {}",
        done.files,
        site.join("pkg").join(&done.dir).display()
    );
    Ok(())
}
