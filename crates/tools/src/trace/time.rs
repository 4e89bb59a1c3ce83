//! Time: `struct timespec`, `struct timeval` and clock ids.

use super::{le_u64, Ctx};
use sysgate_abi::flags as f;
use sysgate_abi::x86_64::nr;

/// `{tv_sec=1, tv_nsec=500}`. Output structs are shown only after success; the
/// remaining time of `nanosleep` only when it was interrupted.
pub(crate) fn timespec(c: &mut Ctx, addr: u64, out: bool) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    let sleeping = c.nr == u64::from(nr::NANOSLEEP) || c.nr == u64::from(nr::CLOCK_NANOSLEEP);
    let valid = if !out {
        true
    } else if sleeping {
        c.err() == Some(4)
    } else {
        c.ok()
    };
    let b = if valid { c.read::<16>(addr) } else { None };
    match b {
        Some(b) => c.w(format_args!(
            "{{tv_sec={}, tv_nsec={}}}",
            le_u64(&b, 0) as i64,
            le_u64(&b, 8) as i64
        )),
        None => c.ptr(addr),
    }
}

/// `{tv_sec=1, tv_usec=500}`.
pub(crate) fn timeval(c: &mut Ctx, addr: u64, out: bool) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    let b = if !out || c.ok() {
        c.read::<16>(addr)
    } else {
        None
    };
    match b {
        Some(b) => c.w(format_args!(
            "{{tv_sec={}, tv_usec={}}}",
            le_u64(&b, 0) as i64,
            le_u64(&b, 8) as i64
        )),
        None => c.ptr(addr),
    }
}

/// `CLOCK_MONOTONIC`; dynamic (per-process/fd) clocks as numbers.
pub(crate) fn clock_id(c: &mut Ctx, v: u64) {
    let id = v as u32 as i32;
    match u64::try_from(id).ok().and_then(|i| f::name_of(f::CLOCK, i)) {
        Some(n) => c.s(n),
        None => c.int(id),
    }
}

const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

/// `utimensat`'s `struct timespec[2]`: `[{tv_sec=1000000000, tv_nsec=0} /* 2001-09-09T01:46:40+0000 */,
/// UTIME_NOW]`. strace writes the date in its own local time; the traced process has no time
/// zone loaded, so sysgate writes UTC (the same text whenever the zone is UTC).
pub(crate) fn utimes(c: &mut Ctx, addr: u64) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    let Some(b) = c.read::<32>(addr) else {
        c.ptr(addr);
        return;
    };
    c.s("[");
    for i in 0..2 {
        if i > 0 {
            c.s(", ");
        }
        let (sec, nsec) = (le_u64(&b, i * 16) as i64, le_u64(&b, i * 16 + 8) as i64);
        match nsec {
            UTIME_NOW => c.s("UTIME_NOW"),
            UTIME_OMIT => c.s("UTIME_OMIT"),
            _ => {
                c.w(format_args!("{{tv_sec={}, tv_nsec={}}} /* ", sec, nsec));
                iso_time(c, sec, nsec);
                c.s(" */");
            }
        }
    }
    c.s("]");
}

/// `2001-09-09T01:46:40+0000` (with `.123456789` when `nsec` is not zero), UTC.
pub(crate) fn iso_time(c: &mut Ctx, sec: i64, nsec: i64) {
    let days = sec.div_euclid(86_400);
    let rem = sec.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    c.w(format_args!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        y,
        m,
        d,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ));
    if nsec != 0 {
        c.w(format_args!(".{:09}", nsec));
    }
    c.s("+0000");
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}
