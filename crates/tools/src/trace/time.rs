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
        None => c.w(format_args!("{}", id)),
    }
}
