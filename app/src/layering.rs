//! Server code does not import UI code: a server fn's machinery (`ssr`
//! modules, plain routes, anything compiled only with `ssr`) that needs a
//! helper a page also uses takes it from `format` or the feature's `mod.rs`,
//! never from a file of components. This test reads the sources and fails
//! when an `ssr`-only file names a module that defines a `#[component]`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

struct Module {
    file: PathBuf,
    ui: bool,
    server: bool,
}

/// Every module below `src`, by path (`["deploy", "ssr", "start"]`).
fn modules(src: &Path) -> HashMap<Vec<String>, Module> {
    let mut found = HashMap::new();
    walk(src, &src.join("lib.rs"), false, &mut found);
    found
}

fn walk(src: &Path, file: &Path, server: bool, found: &mut HashMap<Vec<String>, Module>) {
    let text = std::fs::read_to_string(file).expect("source readable");
    let path = module_path(src, file);
    let dir = match file.file_name().and_then(|n| n.to_str()) {
        Some("lib.rs" | "mod.rs") => file.parent().unwrap().to_path_buf(),
        _ => file.with_extension(""),
    };
    let mut ssr_only = false;
    for line in text.lines().map(str::trim) {
        let name = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "))
            .and_then(|rest| rest.strip_suffix(';'));
        if let Some(name) = name {
            let child = [
                dir.join(format!("{name}.rs")),
                dir.join(name).join("mod.rs"),
            ]
            .into_iter()
            .find(|p| p.exists());
            if let Some(child) = child {
                walk(src, &child, server || ssr_only, found);
            }
        }
        ssr_only = line == "#[cfg(feature = \"ssr\")]";
    }
    let module = Module {
        file: file.to_path_buf(),
        // The crate root holds the app shell but is reached only for its
        // re-exports (`crate::AppError`).
        ui: !path.is_empty() && text.contains("#[component]"),
        server,
    };
    found.insert(path, module);
}

fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let below = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = below
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The paths a file's `use` items name, with `{a, b::c}` groups expanded.
fn used_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("use ") {
        let starts_line = at == 0 || rest[..at].ends_with(|c: char| c.is_whitespace());
        rest = &rest[at + 4..];
        let Some(end) = rest.find(';') else { break };
        if starts_line {
            let item: String = rest[..end].split_whitespace().collect();
            expand("", &item, &mut paths);
        }
    }
    paths
}

fn expand(prefix: &str, item: &str, out: &mut Vec<String>) {
    match item.find('{') {
        Some(open) if item.ends_with('}') => {
            let head = format!("{prefix}{}", &item[..open]);
            let mut depth = 0;
            let mut start = open + 1;
            for (i, c) in item.char_indices().skip(open + 1) {
                match c {
                    '{' => depth += 1,
                    '}' if depth > 0 => depth -= 1,
                    ',' | '}' if depth == 0 => {
                        if i > start {
                            expand(&head, &item[start..i], out);
                        }
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        }
        _ => out.push(format!("{prefix}{item}")),
    }
}

/// `crate::…`, `super::…` and `self::…` as a module path from the crate root.
fn resolve(from: &[String], used: &str) -> Option<Vec<String>> {
    let mut segments = used.split("::");
    let mut path: Vec<String> = match segments.next()? {
        "crate" => Vec::new(),
        "self" => from.to_vec(),
        "super" => from[..from.len().checked_sub(1)?].to_vec(),
        _ => return None,
    };
    for s in segments {
        if s == "super" {
            path.pop();
        } else {
            path.push(s.to_string());
        }
    }
    Some(path)
}

#[test]
fn server_code_imports_no_ui_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&src);
    assert!(modules.values().any(|m| m.server) && modules.values().any(|m| m.ui));
    let mut wrong = Vec::new();
    for (path, module) in modules.iter().filter(|(_, m)| m.server) {
        let text = std::fs::read_to_string(&module.file).unwrap();
        // A file's own tests may use what they like (and `super` means
        // something else inside them).
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for used in used_paths(code) {
            let Some(target) = resolve(path, &used) else {
                continue;
            };
            // The longest prefix that is a module file is where the item lives.
            let home = (0..=target.len())
                .rev()
                .find_map(|n| modules.get(&target[..n]));
            if home.is_some_and(|m| m.ui) {
                wrong.push(format!("{}: use {used}", module.file.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "server code imports UI modules (move the shared piece into `format` or the feature's mod.rs):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn use_groups_are_expanded() {
    let paths = used_paths("use super::{a, b::{c, d}};\nuse crate::x::y;\nfn f() { refuse(); }");
    assert_eq!(
        paths,
        ["super::a", "super::b::c", "super::b::d", "crate::x::y"]
    );
    let from = ["deploy".to_string(), "ssr".to_string(), "start".to_string()];
    assert_eq!(
        resolve(&from, "super::super::widgets::X"),
        Some(vec![
            "deploy".to_string(),
            "widgets".to_string(),
            "X".to_string()
        ])
    );
}
