//! How every page writes times, spans, sizes and ids: one place, so that a
//! backup's age and a deployment's duration read alike. Plain functions
//! over plain values (no Leptos), usable by server code as well as pages.

use chrono::{DateTime, Utc};

/// `2026-11-23 12:03:04 UTC`.
pub fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `2026-11-23 12:03 UTC`, or `never`.
pub fn minute_or_never(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".into())
}

/// `35 s`, `3 min 5 s`, `4 h 12 min`, `2 d 3 h`: the two largest units of
/// a span; a negative span (clocks apart) reads `0 s`.
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

/// Like [`duration`], with tenths of a second below ten seconds: `2.5 s`.
pub fn duration_ms(ms: i64) -> String {
    if ms < 10_000 {
        format!("{:.1} s", ms.max(0) as f64 / 1000.0)
    } else {
        duration(ms / 1000)
    }
}

/// How long ago `t` was, coarsely: `just now`, `5 min ago`, `3 h ago`, `2 d ago`.
pub fn ago(t: DateTime<Utc>) -> String {
    ago_at(t, Utc::now())
}

fn ago_at(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    match (now - t).num_seconds().max(0) {
        s if s < 60 => "just now".into(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} d ago", s / 86_400),
    }
}

/// `1.5 MB`: sizes as people read them (decimal units).
pub fn size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The first 12 hex digits of an image id, as `docker images` shows it.
pub fn short_id(image_id: &str) -> String {
    let hex = image_id.trim_start_matches("sha256:");
    hex.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_795_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn times_are_written_in_utc() {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 12, 3, 4).unwrap();
        assert_eq!(utc(at), "2026-11-23 12:03:04 UTC");
        assert_eq!(minute_or_never(Some(at)), "2026-11-23 12:03 UTC");
        assert_eq!(minute_or_never(None), "never");
    }

    #[test]
    fn durations_read_like_a_person_would_say_them() {
        assert_eq!(duration(35), "35 s");
        assert_eq!(duration(185), "3 min 5 s");
        assert_eq!(duration(7800), "2 h 10 min");
        assert_eq!(duration(3 * 3600 + 12 * 60), "3 h 12 min");
        assert_eq!(duration(2 * 86_400 + 3 * 3600 + 5), "2 d 3 h");
        assert_eq!(duration(-4), "0 s");
    }

    #[test]
    fn short_durations_keep_tenths_of_a_second() {
        assert_eq!(duration_ms(2_450), "2.5 s");
        assert_eq!(duration_ms(9_999), "10.0 s");
        assert_eq!(duration_ms(10_000), "10 s");
        assert_eq!(duration_ms(185_000), "3 min 5 s");
    }

    #[test]
    fn ages_are_coarse() {
        assert_eq!(ago_at(t(0), t(59)), "just now");
        assert_eq!(ago_at(t(0), t(300)), "5 min ago");
        assert_eq!(ago_at(t(0), t(3 * 3600 + 59)), "3 h ago");
        assert_eq!(ago_at(t(0), t(2 * 86_400)), "2 d ago");
        assert_eq!(ago_at(t(10), t(0)), "just now");
    }

    #[test]
    fn sizes_use_decimal_units() {
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_500_000), "1.5 MB");
        assert_eq!(size(1_073_741_824), "1.1 GB");
        assert_eq!(size(5_000_000_000_000_000), "5000.0 TB");
    }

    #[test]
    fn image_ids_are_shortened_like_docker_does() {
        assert_eq!(short_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
    }
}
