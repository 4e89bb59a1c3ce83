//! `--clock=TIME` and `--clock-rate=R`: when the virtual clock starts and how fast it runs,
//! in the wire form `sysgate_tools::clock` reads.

use std::time::{SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn num<T: std::str::FromStr>(s: &str, digits: usize) -> Option<T> {
    (s.len() == digits && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// Parses TIME: `@SECONDS[.FRACTION]` (since the epoch), or an RFC 3339 / ISO 8601 date and
/// time — `2001-01-01`, `2001-01-01T12:00:00`, `2001-01-01 12:00:00.5`, with `Z` or `±HH:MM`
/// (no zone: UTC). Returns nanoseconds since the epoch.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let bad = || {
        format!("invalid --clock time '{s}' (expected e.g. 2001-01-01T00:00:00Z, 2001-01-01, or @978307200)")
    };
    if let Some(epoch) = s.strip_prefix('@') {
        let (int, frac) = epoch.split_once('.').unwrap_or((epoch, ""));
        let secs: i64 = int.parse().map_err(|_| bad())?;
        let ns = parse_frac(frac).ok_or_else(bad)?;
        return secs
            .checked_mul(1_000_000_000)
            .and_then(|v| v.checked_add(ns))
            .ok_or_else(bad);
    }
    let (date, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let mut d = date.split('-');
    let (Some(y), Some(m), Some(dd), None) = (d.next(), d.next(), d.next(), d.next()) else {
        return Err(bad());
    };
    let y: i64 = num(y, 4).ok_or_else(bad)?;
    let m: u32 = num(m, 2).filter(|m| (1..=12).contains(m)).ok_or_else(bad)?;
    let dd: u32 = num(dd, 2)
        .filter(|d| (1..=31).contains(d))
        .ok_or_else(bad)?;
    // The zone: Z, +HH:MM or -HH:MM at the end.
    let (clock, offset_s) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (c, z) = rest.split_at(i);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let (hh, mm) = z[1..].split_once(':').unwrap_or((&z[1..], "00"));
        let hh: i64 = num(hh, 2).ok_or_else(bad)?;
        let mm: i64 = num(mm, 2).ok_or_else(bad)?;
        (c, sign * (hh * 3600 + mm * 60))
    } else {
        (rest, 0)
    };
    let (mut h, mut mi, mut sec, mut ns) = (0i64, 0i64, 0i64, 0i64);
    if !clock.is_empty() {
        let mut t = clock.split(':');
        h = t
            .next()
            .and_then(|v| num::<i64>(v, 2))
            .filter(|v| *v < 24)
            .ok_or_else(bad)?;
        mi = t
            .next()
            .and_then(|v| num::<i64>(v, 2))
            .filter(|v| *v < 60)
            .ok_or_else(bad)?;
        if let Some(sf) = t.next() {
            let (si, frac) = sf.split_once('.').unwrap_or((sf, ""));
            sec = num::<i64>(si, 2).filter(|v| *v <= 60).ok_or_else(bad)?;
            ns = parse_frac(frac).ok_or_else(bad)?;
        }
        if t.next().is_some() {
            return Err(bad());
        }
    } else if !rest.is_empty() {
        return Err(bad());
    }
    let days = days_from_civil(y, m, dd);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_s;
    Ok(secs * 1_000_000_000 + ns)
}

fn parse_frac(f: &str) -> Option<i64> {
    if f.is_empty() {
        return Some(0);
    }
    if f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(f.parse::<i64>().ok()? * 10i64.pow(9 - f.len() as u32))
}

/// Parses `--clock-rate` (a positive number, `2` = twice as fast) into millionths.
pub fn parse_rate(s: &str) -> Result<i64, String> {
    let r: f64 = s.parse().map_err(|_| {
        format!("invalid --clock-rate '{s}' (a positive number such as 1, 0.5 or 60)")
    })?;
    if !(r.is_finite() && (1e-6..=1e6).contains(&r)) {
        return Err(format!(
            "invalid --clock-rate '{s}' (between 0.000001 and 1000000)"
        ));
    }
    Ok((r * 1e6).round() as i64)
}

/// The wire form for a clock starting at `virt_ns` now: `VIRT,REAL,MONO,PPM`.
pub fn wire(virt_ns: i64, ppm: i64) -> String {
    let real = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    format!("{virt_ns},{real},{},{ppm}", monotonic_ns())
}

/// `CLOCK_MONOTONIC`, as the program's processes read it (std's `Instant` is opaque).
fn monotonic_ns() -> i64 {
    sysgate_launch::monotonic_ns()
}

#[cfg(test)]
mod tests {
    use super::*;
    const S: i64 = 1_000_000_000;

    #[test]
    fn parses_times() {
        assert_eq!(parse_time("2001-01-01T00:00:00Z"), Ok(978_307_200 * S));
        assert_eq!(parse_time("2001-01-01"), Ok(978_307_200 * S));
        assert_eq!(parse_time("2001-01-01 01:00:00+01:00"), Ok(978_307_200 * S));
        assert_eq!(parse_time("2000-12-31T19:00:00-05:00"), Ok(978_307_200 * S));
        assert_eq!(parse_time("1970-01-01T00:00:00.5Z"), Ok(S / 2));
        assert_eq!(parse_time("@978307200"), Ok(978_307_200 * S));
        assert_eq!(parse_time("2024-02-29T12:34:56Z"), Ok(1_709_210_096 * S));
        for bad in [
            "",
            "2001",
            "2001-13-01",
            "2001-01-01T25:00:00Z",
            "yesterday",
            "@x",
            "2001-01-01T00:00:00Q",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_rate("1"), Ok(1_000_000));
        assert_eq!(parse_rate("0.5"), Ok(500_000));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("-2").is_err());
        assert!(parse_rate("fast").is_err());
    }
}
