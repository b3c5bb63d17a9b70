//! No two modules of `app/src` depend on each other, directly or through
//! others. A cycle makes a module impossible to understand, test or move on
//! its own, and it grows: the next feature copies whatever it imports.
//!
//! Granularity: one node per module with its own file (`state`,
//! `auth::guard`, `audit::ssr`, `backup::ssr::run`, …); an inline module
//! (`mod tests { … }`) belongs to its file. An edge is every path written
//! as `crate::…` or `super::…` (in `use` or in code), resolved to the
//! deepest module file it names. A module's uses of its own ancestors count
//! (`super::Probe`); an ancestor's uses of its descendants do not: a
//! feature's `mod.rs` declares, re-exports and calls into its children,
//! which is how a folder is built, not a dependency between features.
//! Comments and string literals are not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[test]
fn modules_of_app_src_import_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    let cycles = cycles(&graph);
    let described: Vec<String> = cycles.iter().map(|c| describe(c, &graph)).collect();
    assert!(
        cycles.is_empty(),
        "import cycles between modules of app/src (move the shared item down \
         to a module both sides can use):\n{}",
        described.join("\n")
    );
}

#[test]
fn the_checker_sees_a_cycle_through_super_and_crate_paths() {
    let mut graph = Graph::new();
    let files = [
        ("state", "use crate::docker::Handle;"),
        ("docker", "fn f(probe: crate::system::Probe) {}"),
        ("system", "// crate::nothing\n"),
        (
            "system::ssr",
            "use super::Probe; use crate::state::{AppState, x};",
        ),
        ("system::api", "fn f() { let _ = \"crate::state\"; }"),
    ];
    let known: BTreeSet<String> = files.iter().map(|(m, _)| m.to_string()).collect();
    for (module, text) in files {
        graph.insert(module.into(), edges(module, text, &known));
    }
    assert_eq!(
        cycles(&graph),
        Vec::<Vec<String>>::new(),
        "no edge back yet"
    );
    let back = edges("system", "use crate::state::AppState;", &known);
    graph.insert("system".into(), back);
    assert_eq!(cycles(&graph), vec![vec!["docker", "state", "system"]]);
}

type Graph = BTreeMap<String, BTreeSet<String>>;

/// A group of modules that reach each other, with the uses that tie it.
fn describe(group: &[String], graph: &Graph) -> String {
    let uses: Vec<String> = group
        .iter()
        .flat_map(|from| {
            graph[from]
                .iter()
                .filter(|to| group.contains(to))
                .map(move |to| format!("    {from} uses {to}"))
        })
        .collect();
    format!("  {{{}}}:\n{}", group.join(", "), uses.join("\n"))
}

/// Every module file under `src` with the modules it uses.
fn module_graph(src: &Path) -> Graph {
    let files = rust_files(src);
    let known: BTreeSet<String> = files.iter().map(|f| module_of(src, f)).collect();
    files
        .iter()
        .map(|file| {
            let module = module_of(src, file);
            let text = std::fs::read_to_string(file).expect("readable source");
            let uses = edges(&module, &text, &known);
            (module, uses)
        })
        .collect()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable folder") {
        let path = entry.expect("folder entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// `src/backup/ssr/run.rs` → `backup::ssr::run`; `mod.rs` and `lib.rs`
/// name their folder (the crate root is ``).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file
        .strip_prefix(src)
        .expect("under src")
        .with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

/// The modules that `text`, the file of `module`, uses.
fn edges(module: &str, text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let tokens = tokens(text);
    let here: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].as_str() {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if tokens.get(i + 2).is_some_and(|t| t == "{") => {
                inline.push((tokens[i + 1].clone(), depth));
            }
            root @ ("crate" | "super") if tokens.get(i + 1).is_some_and(|t| t == "::") => {
                let mut base: Vec<String> = here.iter().map(|s| s.to_string()).collect();
                base.extend(inline.iter().map(|(m, _)| m.clone()));
                let mut start: Vec<String> = if root == "crate" { vec![] } else { base };
                let mut j = i;
                // `super::super::…`
                while tokens.get(j).is_some_and(|t| t == "super")
                    && tokens.get(j + 1).is_some_and(|t| t == "::")
                {
                    start.pop();
                    j += 2;
                }
                if root == "crate" {
                    j = i + 2;
                }
                let (paths, next) = path_tree(&tokens, j, start);
                for path in paths {
                    if let Some(target) = deepest_module(&path, known) {
                        let is_descendant = target.len() > module.len()
                            && target.starts_with(module)
                            && (module.is_empty() || target[module.len()..].starts_with("::"));
                        if target != module && !is_descendant {
                            out.insert(target);
                        }
                    }
                }
                i = next;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The paths of a use tree starting at `tokens[i]`, under `prefix`
/// (`a::{b, c::d}` → `prefix::a::b`, `prefix::a::c::d`), and the index after it.
fn path_tree(tokens: &[String], mut i: usize, prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let mut path = prefix;
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                let mut all = Vec::new();
                i += 1;
                while let Some(t) = tokens.get(i) {
                    match t.as_str() {
                        "}" => return (all, i + 1),
                        "," => i += 1,
                        _ => {
                            let (paths, next) = path_tree(tokens, i, path.clone());
                            all.extend(paths);
                            i = next.max(i + 1);
                        }
                    }
                }
                return (all, i);
            }
            Some(t) if is_ident(t) => {
                if t != "self" {
                    path.push(t.to_string());
                }
                i += 1;
                if tokens.get(i).is_some_and(|t| t == "::") {
                    i += 1;
                    continue;
                }
                return (vec![path], i);
            }
            _ => return (vec![path], i),
        }
    }
}

/// The longest prefix of `path` that is a module file.
fn deepest_module(path: &[String], known: &BTreeSet<String>) -> Option<String> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| known.contains(m))
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Identifiers, `::`, braces, commas and semicolons of `text`; comments,
/// string and char literals dropped, other punctuation as single tokens.
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && matches!(next, Some('#' | '"')) {
            // raw string r#"…"#
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push("r".into());
                i += 1;
                continue;
            }
            j += 1;
            let close: String = std::iter::once('"')
                .chain((0..hashes).map(|_| '#'))
                .collect();
            let close: Vec<char> = close.chars().collect();
            while j < chars.len() && !chars[j..].starts_with(&close) {
                j += 1;
            }
            i = j + close.len();
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' {
            // 'x', '\n', '\u{…}' are chars; 'a (no closing quote) a lifetime.
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && next == Some(':') {
            out.push("::".into());
            i += 2;
        } else if c.is_whitespace() {
            i += 1;
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

/// Each strongly connected group of two or more modules, sorted.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let names: Vec<&String> = graph.keys().collect();
    let index: BTreeMap<&String, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let reach = |from: usize| -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(n) = todo.pop() {
            for next in graph[names[n]].iter().filter_map(|m| index.get(m)) {
                if seen.insert(*next) {
                    todo.push(*next);
                }
            }
        }
        seen
    };
    let reaches: Vec<BTreeSet<usize>> = (0..names.len()).map(reach).collect();
    let mut groups: BTreeSet<Vec<String>> = BTreeSet::new();
    for a in 0..names.len() {
        let group: Vec<String> = (0..names.len())
            .filter(|b| reaches[a].contains(b) && reaches[*b].contains(&a))
            .map(|b| names[b].clone())
            .collect();
        if group.len() > 1 {
            groups.insert(group);
        }
    }
    groups.into_iter().collect()
}
