//! A target's connection URL, turned into what PostgreSQL's programs need.
//!
//! The URL holds a password, so it never reaches a command line (anyone can
//! read another process's argv in `ps`): `pg_dump` and `pg_restore` get the
//! connection through libpq's environment variables instead, and whatever
//! they print is scrubbed of the password before it is stored or shown.

use crate::AppError;
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::PgConnectOptions;
use std::path::PathBuf;
use std::str::FromStr;

/// URL query parameters Opsdeck passes on, and libpq's variable for each.
const PARAMS: &[(&str, &str)] = &[
    ("host", "PGHOST"),
    ("hostaddr", "PGHOSTADDR"),
    ("port", "PGPORT"),
    ("user", "PGUSER"),
    ("dbname", "PGDATABASE"),
    ("sslmode", "PGSSLMODE"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("sslcert", "PGSSLCERT"),
    ("sslkey", "PGSSLKEY"),
    ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ("application_name", "PGAPPNAME"),
    ("options", "PGOPTIONS"),
    ("target_session_attrs", "PGTARGETSESSIONATTRS"),
    ("channel_binding", "PGCHANNELBINDING"),
];

/// Variables of Opsdeck's own environment that would otherwise change
/// where a program connects or which credentials it uses.
const INHERITED: &[&str] = &[
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGPASSFILE",
    "PGPASSWORD",
    "PGREQUIRESSL",
    "PGSSLCRL",
];

/// A parsed target connection. Its `Debug` never shows the password.
#[derive(Clone)]
pub struct Conn {
    /// libpq variables, password excluded.
    env: Vec<(&'static str, String)>,
    password: Option<SecretString>,
    url: SecretString,
    pub database: String,
    /// `host:port/database`, for pages.
    pub display: String,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Conn({})", self.display)
    }
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

impl Conn {
    /// Parses `postgres://user:password@host:port/database?sslmode=…`.
    /// Errors name the field `url` and never repeat the URL.
    pub fn parse(text: &str) -> Result<Conn, AppError> {
        let text = text.trim();
        let url = url::Url::parse(text).map_err(|_| {
            AppError::invalid(
                "url",
                "is not a URL such as postgres://user:password@host:5432/database",
            )
        })?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(AppError::invalid(
                "url",
                "must start with postgres:// or postgresql://",
            ));
        }
        let mut env = Vec::new();
        let host = url.host_str().unwrap_or_default();
        if !host.is_empty() {
            env.push(("PGHOST", host.trim_matches(['[', ']']).to_string()));
        }
        if let Some(port) = url.port() {
            env.push(("PGPORT", port.to_string()));
        }
        if !url.username().is_empty() {
            env.push(("PGUSER", decode(url.username())));
        }
        let path_db = decode(url.path().trim_start_matches('/'));
        if !path_db.is_empty() {
            env.push(("PGDATABASE", path_db));
        }
        for (key, value) in url.query_pairs() {
            let Some((_, var)) = PARAMS.iter().find(|(k, _)| *k == key) else {
                return Err(AppError::invalid("url", format!(
                    "the parameter `{key}` is not supported; use host, port, sslmode, sslrootcert, connect_timeout or application_name"
                )));
            };
            env.retain(|(v, _)| v != var);
            env.push((var, value.into_owned()));
        }
        Self::finish(text, env, url.password().map(decode))
    }

    fn finish(
        text: &str,
        env: Vec<(&'static str, String)>,
        password: Option<String>,
    ) -> Result<Conn, AppError> {
        let get = |var: &str| env.iter().find(|(v, _)| *v == var).map(|(_, x)| x.clone());
        let database = get("PGDATABASE").ok_or_else(|| {
            AppError::invalid("url", "names no database: add it as the path, e.g. /shop")
        })?;
        PgConnectOptions::from_str(text)
            .map_err(|_| AppError::invalid("url", "is not a valid PostgreSQL connection URL"))?;
        let display = format!(
            "{}:{}/{database}",
            get("PGHOST").unwrap_or_else(|| "localhost".into()),
            get("PGPORT").unwrap_or_else(|| "5432".into())
        );
        Ok(Conn {
            env,
            password: password.filter(|p| !p.is_empty()).map(SecretString::from),
            url: SecretString::from(text.to_string()),
            database,
            display,
        })
    }

    /// The same server and credentials, another database.
    pub fn with_database(&self, database: &str) -> Conn {
        let mut other = self.clone();
        other.env.retain(|(v, _)| *v != "PGDATABASE");
        other.env.push(("PGDATABASE", database.to_string()));
        other.database = database.to_string();
        other
    }

    /// Options for Opsdeck's own queries to this database.
    pub fn connect_options(&self) -> Result<PgConnectOptions, AppError> {
        let options = PgConnectOptions::from_str(self.url.expose_secret())
            .map_err(|_| AppError::invalid("url", "is not a valid PostgreSQL connection URL"))?;
        Ok(options.database(&self.database))
    }

    /// `program` (found by [`find_program`]) set up to reach this database
    /// through its environment; nothing about the connection is in argv.
    pub fn command(&self, program: &str) -> Result<tokio::process::Command, AppError> {
        let mut cmd = tokio::process::Command::new(find_program(program)?);
        for (_, var) in PARAMS {
            cmd.env_remove(var);
        }
        for var in INHERITED {
            cmd.env_remove(var);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            // No password prompt on a terminal, ever: fail instead.
            .env("PGCONNECT_TIMEOUT", self.connect_timeout())
            .env("LC_ALL", "C")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        if let Some(p) = &self.password {
            cmd.env("PGPASSWORD", p.expose_secret());
        }
        Ok(cmd)
    }

    fn connect_timeout(&self) -> String {
        self.env
            .iter()
            .find(|(v, _)| *v == "PGCONNECT_TIMEOUT")
            .map(|(_, x)| x.clone())
            .unwrap_or_else(|| "15".into())
    }

    /// `text` with the password and the URL replaced by `[redacted]`, for
    /// programs' messages that are stored, logged or shown.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.replace(self.url.expose_secret(), "[redacted]");
        if let Some(p) = &self.password {
            out = out.replace(p.expose_secret(), "[redacted]");
        }
        out
    }
}

/// A PostgreSQL client program: on `PATH`, else in the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian keeps them there).
pub fn find_program(name: &str) -> Result<PathBuf, AppError> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    debian.sort_by_key(|(v, _)| std::cmp::Reverse(*v));
    on_path
        .into_iter()
        .chain(debian.into_iter().map(|(_, p)| p))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            AppError::Unavailable(format!(
                "`{name}` was not found on PATH or in /usr/lib/postgresql/*/bin: install the PostgreSQL client (Debian: apt-get install postgresql-client)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(c: &Conn) -> Vec<(String, String)> {
        let cmd = c.command("pg_dump").unwrap();
        cmd.as_std()
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_str()?.to_string(), v?.to_str()?.to_string())))
            .collect()
    }

    #[test]
    fn the_password_goes_to_the_environment_never_to_argv() {
        let c =
            Conn::parse("postgres://app:s3cr%40t@db.internal:6432/shop?sslmode=require").unwrap();
        assert_eq!(c.display, "db.internal:6432/shop");
        assert_eq!(c.database, "shop");
        let cmd = c.command("pg_dump").unwrap();
        let argv: Vec<_> = cmd.as_std().get_args().collect();
        assert!(argv.is_empty(), "{argv:?}");
        let env = env_of(&c);
        for (k, v) in [
            ("PGHOST", "db.internal"),
            ("PGPORT", "6432"),
            ("PGUSER", "app"),
            ("PGDATABASE", "shop"),
            ("PGSSLMODE", "require"),
            ("PGPASSWORD", "s3cr@t"),
        ] {
            assert!(env.contains(&(k.into(), v.into())), "{k}: {env:?}");
        }
        assert!(!format!("{c:?}").contains("s3cr"));
    }

    #[test]
    fn a_unix_socket_url_sets_the_socket_folder() {
        let c =
            Conn::parse("postgres://opsdeck@localhost/opsdeck?host=/tmp/x/run&port=5432").unwrap();
        let env = env_of(&c);
        assert!(
            env.contains(&("PGHOST".into(), "/tmp/x/run".into())),
            "{env:?}"
        );
        assert_eq!(c.display, "/tmp/x/run:5432/opsdeck");
    }

    #[test]
    fn bad_urls_name_the_field_and_never_echo_the_password() {
        for bad in [
            "mysql://root:hunter2@db/x",
            "not a url hunter2",
            "postgres://root:hunter2@db",
            "postgres://root:hunter2@db/x?sslpassword=hunter2",
        ] {
            let e = Conn::parse(bad).unwrap_err();
            assert!(
                matches!(&e, AppError::Validation { field, .. } if field == "url"),
                "{e}"
            );
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn messages_are_scrubbed_of_the_password() {
        let c = Conn::parse("postgres://app:hunter2@db/shop").unwrap();
        assert_eq!(
            c.scrub("FATAL: password hunter2 rejected"),
            "FATAL: password [redacted] rejected"
        );
        let other = c.with_database("scratch");
        assert_eq!(other.database, "scratch");
        assert!(env_of(&other).contains(&("PGDATABASE".into(), "scratch".into())));
    }
}
