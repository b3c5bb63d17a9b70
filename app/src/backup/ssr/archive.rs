//! Reading a dump's table of contents with `pg_restore --list`: the first
//! verification of every backup, which also tells the server's version.

use super::conn::find_program;
use super::dump::{failure, read_limited};
use super::failure::Failure;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;

/// What `pg_restore --list` found in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// Table-of-contents entries (tables, data, indexes, …).
    pub entries: i32,
    /// `TABLE DATA` entries: how many tables carry rows.
    pub table_data: i32,
    /// "Dumped from database version: 15.18 (…)".
    pub server_version: Option<String>,
}

/// Lists the archive at `path`; the error is pg_restore's reason.
pub async fn list(path: &Path) -> Result<Listing, Failure> {
    Ok(parse(&list_text(path).await?))
}

/// The schemas an archive holds objects of (or creates), from its table
/// of contents: what an exact restore makes exactly as they were.
pub async fn schemas(path: &Path) -> Result<BTreeSet<String>, Failure> {
    Ok(schemas_in(&list_text(path).await?))
}

/// Kinds of table-of-contents entries whose next word is their schema.
const OBJECTS: &[&str] = &[
    "TABLE",
    "VIEW",
    "SEQUENCE",
    "FUNCTION",
    "PROCEDURE",
    "AGGREGATE",
    "TYPE",
    "DOMAIN",
];

/// Parses the schemas out of `pg_restore --list` output.
pub fn schemas_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with(';')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(entry) = words.get(3..) else {
            continue;
        };
        let schema = match entry {
            ["TABLE", "DATA", ..] | ["SEQUENCE", "SET" | "OWNED", ..] => continue,
            ["SCHEMA", "-", name, ..] => name,
            ["MATERIALIZED", "VIEW", schema, ..] | ["FOREIGN", "TABLE", schema, ..] => schema,
            [kind, schema, ..] if OBJECTS.contains(kind) && *schema != "-" => schema,
            _ => continue,
        };
        out.insert(schema.to_string());
    }
    out
}

async fn list_text(path: &Path) -> Result<String, Failure> {
    let program = find_program("pg_restore").map_err(|e| e.to_string())?;
    let out = tokio::process::Command::new(program)
        .arg("--list")
        .arg(path)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("cannot start pg_restore: {e}"))?;
    if !out.status.success() {
        let stderr = read_limited(Some(out.stderr.as_slice())).await;
        return Err(failure("pg_restore --list", out.status, stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Parses `pg_restore --list` output.
pub fn parse(text: &str) -> Listing {
    let items: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(';'))
        .collect();
    let server_version = text.lines().find_map(|l| {
        l.split_once("Dumped from database version:")
            .map(|(_, v)| v.trim().to_string())
    });
    Listing {
        entries: items.len() as i32,
        table_data: items.iter().filter(|l| l.contains(" TABLE DATA ")).count() as i32,
        server_version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_counts_entries_and_reads_the_server_version() {
        let text = ";\n; Archive created at 2026-11-23 20:42:16 UTC\n;     dbname: sample\n\
;     Dumped from database version: 15.18 (Debian 15.18-0+deb12u1)\n;\n; Selected TOC Entries:\n;\n\
214; 1259 16390 TABLE public t opsdeck\n215; 1259 16397 VIEW public vv opsdeck\n\
3345; 0 16390 TABLE DATA public t opsdeck\n3201; 2606 16396 CONSTRAINT public t t_pkey opsdeck\n";
        assert_eq!(
            parse(text),
            Listing {
                entries: 4,
                table_data: 1,
                server_version: Some("15.18 (Debian 15.18-0+deb12u1)".into()),
            }
        );
    }

    #[test]
    fn the_schemas_of_an_archive_are_those_of_its_objects() {
        let text = ";\n; Selected TOC Entries:\n;\n\
6; 2615 2200 SCHEMA - public pg_database_owner\n7; 2615 16400 SCHEMA - shop app\n\
214; 1259 16390 TABLE public t opsdeck\n215; 1259 16397 MATERIALIZED VIEW reports mv opsdeck\n\
216; 1255 16398 FUNCTION billing add(integer, integer) opsdeck\n\
3345; 0 16390 TABLE DATA other t opsdeck\n3201; 2606 16396 CONSTRAINT public t t_pkey opsdeck\n\
2; 3079 16385 EXTENSION - pgcrypto \n";
        let found: Vec<String> = schemas_in(text).into_iter().collect();
        assert_eq!(found, ["billing", "public", "reports", "shop"]);
    }

    #[tokio::test]
    async fn a_file_that_is_no_archive_is_refused_with_pg_restores_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.dump");
        std::fs::write(&path, b"not a dump at all").unwrap();
        let reason = list(&path).await.unwrap_err();
        assert!(reason.as_str().contains("pg_restore"), "{reason}");
    }
}
