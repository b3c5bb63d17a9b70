//! `cargo run -p opsdeck-style --bin split-islands -- <raw.wasm> <out> <main.wasm>`:
//! cuts the islands bundle at its lazy islands (see
//! `opsdeck_style::islands::split`). Run by scripts/build-islands between
//! cargo and wasm-bindgen.

fn main() -> std::process::ExitCode {
    let args: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let [raw, out, main] = args.as_slice() else {
        eprintln!("usage: split-islands <raw.wasm> <out dir> <main.wasm>");
        return std::process::ExitCode::from(2);
    };
    match opsdeck_style::islands::split(raw, out, main) {
        Ok(done) => {
            println!(
                "split-islands: {} chunks, {} islands in {}",
                done.chunks,
                done.islands,
                out.display()
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("split-islands: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
