//! Opsdeck's configuration: environment variables into one typed struct.
//!
//! A bad value stops startup with a message naming the variable; values that
//! may hold secrets (DATABASE_URL) are never echoed back.

use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The settings every `opsdeck` subcommand starts from.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `OPSDECK_ADDR`: where the web server listens.
    pub addr: SocketAddr,
    /// `DATABASE_URL`: an external PostgreSQL; `None` starts the embedded cluster.
    pub database_url: Option<SecretString>,
    /// `OPSDECK_DATA_DIR`: the embedded cluster and, later, backups live here.
    pub data_dir: PathBuf,
    /// `DOCKER_HOST`: the engine to drive.
    pub docker_host: String,
    /// `OPSDECK_LOG`: a tracing filter such as `info` or `opsdeck=debug,info`.
    pub log_filter: String,
    /// `OPSDECK_LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
    /// `LEPTOS_SITE_ROOT`: the folder holding `pkg/` (wasm, js, css).
    pub site_root: PathBuf,
    /// `OPSDECK_PUBLIC_URL`: the origin people use (`https://…` makes cookies Secure).
    pub public_origin: Option<String>,
    /// `OPSDECK_SESSION_IDLE_MINUTES` (default 60).
    pub session_idle_minutes: u32,
    /// `OPSDECK_SESSION_MAX_HOURS` (default 12): a session's absolute lifetime.
    pub session_max_hours: u32,
    /// `OPSDECK_SECRET_KEY`: 32 bytes, base64, sealing stored secrets; unset
    /// means a key file `secret.key` (mode 0600) in the data directory.
    pub secret_key: Option<SecretString>,
    /// `OPSDECK_BACKUP_DIR`: the backup store; unset means `backups/` in
    /// the data directory.
    pub backup_dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// An invalid variable, by name, and why.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

fn invalid(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        reason: reason.into(),
    }
}

impl Settings {
    /// The key sealing stored secrets: `OPSDECK_SECRET_KEY`, or the data
    /// directory's key file, created on first use.
    pub fn secret_box(&self) -> anyhow::Result<app::secrets::SecretBox> {
        let sealed = match &self.secret_key {
            Some(key) => app::secrets::SecretBox::from_base64(key)
                .map_err(|e| invalid("OPSDECK_SECRET_KEY", e.to_string()))?,
            None => app::secrets::SecretBox::from_key_file(&self.data_dir.join("secret.key"))?,
        };
        Ok(sealed)
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get`, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let data_dir = get("OPSDECK_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("./.opsdeck"));
        Ok(Settings {
            addr: parse_addr(get("OPSDECK_ADDR"))?,
            database_url: parse_database_url(get("DATABASE_URL"))?,
            backup_dir: parse_backup_dir(get("OPSDECK_BACKUP_DIR"), &data_dir)?,
            data_dir,
            docker_host: parse_docker_host(get("DOCKER_HOST"))?,
            log_filter: parse_log_filter(get("OPSDECK_LOG"))?,
            log_format: parse_log_format(get("OPSDECK_LOG_FORMAT"))?,
            site_root: get("LEPTOS_SITE_ROOT")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("target/site")),
            public_origin: parse_public_url(get("OPSDECK_PUBLIC_URL"))?,
            session_idle_minutes: parse_bounded(
                "OPSDECK_SESSION_IDLE_MINUTES",
                get("OPSDECK_SESSION_IDLE_MINUTES"),
                60,
                1..=10_080,
            )?,
            session_max_hours: parse_bounded(
                "OPSDECK_SESSION_MAX_HOURS",
                get("OPSDECK_SESSION_MAX_HOURS"),
                12,
                1..=720,
            )?,
            secret_key: get("OPSDECK_SECRET_KEY").map(SecretString::from),
        })
    }
}

fn parse_addr(v: Option<String>) -> Result<SocketAddr, ConfigError> {
    let v = v.unwrap_or_else(|| "127.0.0.1:3000".into());
    v.parse().map_err(|_| {
        invalid(
            "OPSDECK_ADDR",
            format!("`{v}` is not an address such as 127.0.0.1:3000"),
        )
    })
}

fn parse_database_url(v: Option<String>) -> Result<Option<SecretString>, ConfigError> {
    let Some(v) = v else { return Ok(None) };
    if !(v.starts_with("postgres://") || v.starts_with("postgresql://")) {
        return Err(invalid(
            "DATABASE_URL",
            "must start with postgres:// or postgresql://",
        ));
    }
    // The value may hold a password: say what is wrong, never echo it.
    v.parse::<sqlx::postgres::PgConnectOptions>()
        .map_err(|_| invalid("DATABASE_URL", "is not a valid PostgreSQL connection URL"))?;
    Ok(Some(SecretString::from(v)))
}

fn parse_backup_dir(v: Option<String>, data_dir: &std::path::Path) -> Result<PathBuf, ConfigError> {
    let Some(v) = v else {
        return Ok(data_dir.join("backups"));
    };
    let path = PathBuf::from(&v);
    if !path.is_absolute() {
        return Err(invalid(
            "OPSDECK_BACKUP_DIR",
            format!("`{v}` must be an absolute path such as /var/backups/opsdeck"),
        ));
    }
    if path.exists() && !path.is_dir() {
        return Err(invalid(
            "OPSDECK_BACKUP_DIR",
            format!("`{v}` exists and is not a folder"),
        ));
    }
    Ok(path)
}

fn parse_docker_host(v: Option<String>) -> Result<String, ConfigError> {
    let v = v.unwrap_or_else(|| "unix:///var/run/docker.sock".into());
    let ok = ["unix://", "tcp://", "http://"]
        .iter()
        .any(|p| v.starts_with(p) && v.len() > p.len());
    if ok {
        Ok(v)
    } else {
        Err(invalid(
            "DOCKER_HOST",
            format!(
                "`{v}` must be unix:///path/to/docker.sock, tcp://host:port or http://host:port"
            ),
        ))
    }
}

fn parse_log_filter(v: Option<String>) -> Result<String, ConfigError> {
    let v = v.unwrap_or_else(|| "info".into());
    tracing_subscriber::EnvFilter::try_new(&v).map_err(|e| {
        invalid(
            "OPSDECK_LOG",
            format!("`{v}` is not a log filter ({e}); try `info` or `debug`"),
        )
    })?;
    Ok(v)
}

fn parse_public_url(v: Option<String>) -> Result<Option<String>, ConfigError> {
    let Some(v) = v else { return Ok(None) };
    let trimmed = v.trim_end_matches('/');
    let (scheme, host) = trimmed.split_once("://").unwrap_or(("", ""));
    if !matches!(scheme, "http" | "https") || host.is_empty() || host.contains('/') {
        return Err(invalid(
            "OPSDECK_PUBLIC_URL",
            format!("`{v}` must be an origin such as https://ops.example.com"),
        ));
    }
    Ok(Some(trimmed.to_string()))
}

fn parse_bounded(
    var: &'static str,
    v: Option<String>,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    let Some(v) = v else { return Ok(default) };
    match v.parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(invalid(
            var,
            format!(
                "`{v}` must be a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

fn parse_log_format(v: Option<String>) -> Result<LogFormat, ConfigError> {
    match v.as_deref() {
        None | Some("text") => Ok(LogFormat::Text),
        Some("json") => Ok(LogFormat::Json),
        Some(other) => Err(invalid(
            "OPSDECK_LOG_FORMAT",
            format!("`{other}` must be `text` or `json`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_lookup(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_need_no_variables() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.addr, "127.0.0.1:3000".parse().unwrap());
        assert!(s.database_url.is_none());
        assert_eq!(s.data_dir, PathBuf::from("./.opsdeck"));
        assert_eq!(s.docker_host, "unix:///var/run/docker.sock");
        assert_eq!(s.log_format, LogFormat::Text);
        assert_eq!(s.backup_dir, PathBuf::from("./.opsdeck/backups"));
    }

    #[test]
    fn backup_dir_follows_the_data_dir_or_must_be_an_absolute_folder() {
        let s = settings(&[("OPSDECK_DATA_DIR", "/var/lib/opsdeck")]).unwrap();
        assert_eq!(s.backup_dir, PathBuf::from("/var/lib/opsdeck/backups"));
        let s = settings(&[("OPSDECK_BACKUP_DIR", "/srv/backups")]).unwrap();
        assert_eq!(s.backup_dir, PathBuf::from("/srv/backups"));
        let e = settings(&[("OPSDECK_BACKUP_DIR", "backups")]).unwrap_err();
        assert_eq!(e.var, "OPSDECK_BACKUP_DIR");
        assert!(e.to_string().contains("absolute"), "{e}");
        let file = tempfile::NamedTempFile::new().unwrap();
        let e = settings(&[("OPSDECK_BACKUP_DIR", file.path().to_str().unwrap())]).unwrap_err();
        assert!(e.to_string().contains("not a folder"), "{e}");
    }

    #[test]
    fn every_variable_is_read() {
        let s = settings(&[
            ("OPSDECK_ADDR", "0.0.0.0:8080"),
            ("DATABASE_URL", "postgres://u:p@db:5432/opsdeck"),
            ("OPSDECK_DATA_DIR", "/var/lib/opsdeck"),
            ("DOCKER_HOST", "tcp://10.0.0.5:2375"),
            ("OPSDECK_LOG", "debug"),
            ("OPSDECK_LOG_FORMAT", "json"),
            ("LEPTOS_SITE_ROOT", "/srv/site"),
        ])
        .unwrap();
        assert_eq!(s.addr.port(), 8080);
        assert_eq!(
            s.database_url.unwrap().expose_secret(),
            "postgres://u:p@db:5432/opsdeck"
        );
        assert_eq!(s.data_dir, PathBuf::from("/var/lib/opsdeck"));
        assert_eq!(s.docker_host, "tcp://10.0.0.5:2375");
        assert_eq!(s.log_filter, "debug");
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.site_root, PathBuf::from("/srv/site"));
    }

    #[test]
    fn invalid_address_names_the_variable() {
        let e = settings(&[("OPSDECK_ADDR", "localhost")]).unwrap_err();
        assert_eq!(e.var, "OPSDECK_ADDR");
        assert!(
            e.to_string().starts_with("OPSDECK_ADDR: `localhost`"),
            "{e}"
        );
    }

    #[test]
    fn invalid_database_url_is_refused_without_echoing_the_password() {
        let e = settings(&[("DATABASE_URL", "mysql://root:hunter2@db/x")]).unwrap_err();
        assert_eq!(e.var, "DATABASE_URL");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn invalid_docker_host_log_filter_and_format_are_refused() {
        assert_eq!(
            settings(&[("DOCKER_HOST", "ssh://x")]).unwrap_err().var,
            "DOCKER_HOST"
        );
        assert_eq!(
            settings(&[("OPSDECK_LOG", "info,==")]).unwrap_err().var,
            "OPSDECK_LOG"
        );
        assert_eq!(
            settings(&[("OPSDECK_LOG_FORMAT", "xml")]).unwrap_err().var,
            "OPSDECK_LOG_FORMAT"
        );
    }

    #[test]
    fn public_url_and_session_lifetimes_are_validated() {
        let s = settings(&[
            ("OPSDECK_PUBLIC_URL", "https://ops.example.com/"),
            ("OPSDECK_SESSION_IDLE_MINUTES", "30"),
        ])
        .unwrap();
        assert_eq!(s.public_origin.as_deref(), Some("https://ops.example.com"));
        assert_eq!((s.session_idle_minutes, s.session_max_hours), (30, 12));
        assert_eq!(
            settings(&[("OPSDECK_PUBLIC_URL", "ops.example.com")])
                .unwrap_err()
                .var,
            "OPSDECK_PUBLIC_URL"
        );
        assert_eq!(
            settings(&[("OPSDECK_PUBLIC_URL", "https://ops.example.com/panel")])
                .unwrap_err()
                .var,
            "OPSDECK_PUBLIC_URL"
        );
        assert_eq!(
            settings(&[("OPSDECK_SESSION_IDLE_MINUTES", "0")])
                .unwrap_err()
                .var,
            "OPSDECK_SESSION_IDLE_MINUTES"
        );
        assert_eq!(
            settings(&[("OPSDECK_SESSION_MAX_HOURS", "lots")])
                .unwrap_err()
                .var,
            "OPSDECK_SESSION_MAX_HOURS"
        );
    }

    #[test]
    fn database_url_is_not_shown_by_debug() {
        let s = settings(&[("DATABASE_URL", "postgres://u:hunter2@db/opsdeck")]).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
