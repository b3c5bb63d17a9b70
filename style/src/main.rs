//! `cargo run -p opsdeck-style`: regenerates `style/opsdeck.css`.

fn main() -> std::io::Result<()> {
    let root = opsdeck_style::workspace_root();
    let css = opsdeck_style::stylesheet(&root.join("app/src"))?;
    let out = root.join(opsdeck_style::OUTPUT);
    if std::fs::read_to_string(&out).ok().as_deref() != Some(css.as_str()) {
        std::fs::write(&out, css)?;
        println!("wrote {}", out.display());
    }
    Ok(())
}
