//! Descriptor I/O: iovecs, `pipe` pairs, `poll`, `epoll`, `futex`, `ioctl`, `fcntl`.

use super::flags::{enum_int, flag_names, flags};
use super::{fmt_str, fs, le_u16, le_u32, le_u64, process, signal, time, CHex, Ctx};
use sysgate_abi::flags as f;

/// Most array elements shown before `...` (on top of `-s`).
const MAX_ELEMS: u64 = 1024;

/// `[{iov_base="hi\n", iov_len=3}]`. With `limit`, at most that many bytes in
/// total are shown (what `readv` returned).
pub(crate) fn iovec(c: &mut Ctx, addr: u64, cnt: u64, limit: Option<u64>) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    if cnt != 0 && c.read::<16>(addr).is_none() {
        c.ptr(addr);
        return;
    }
    let max = (c.opts.strsize as u64).min(MAX_ELEMS);
    let mut left = limit;
    c.s("[");
    for i in 0..cnt {
        if i > 0 {
            c.s(", ");
        }
        if i >= max {
            c.s("...");
            break;
        }
        let Some(e) = c.read::<16>(addr.wrapping_add(16 * i)) else {
            c.s("...");
            break;
        };
        let base = le_u64(&e, 0);
        let len = le_u64(&e, 8);
        let shown = match left {
            Some(l) => {
                let n = l.min(len);
                left = Some(l - n);
                n
            }
            None => len,
        };
        c.s("{iov_base=");
        fmt_str::buf(c, base, shown);
        c.w(format_args!(", iov_len={}}}", len));
    }
    c.s("]");
}

/// iovecs the kernel filled (`readv`): the data shown is the returned length.
pub(crate) fn iovec_out(c: &mut Ctx, addr: u64, cnt: u64) {
    match c.ok_ret() {
        Some(r) => iovec(c, addr, cnt, Some(r as u64)),
        None => c.ptr(addr),
    }
}

/// `[3, 4]` (`pipe`, `socketpair`).
pub(crate) fn int_pair(c: &mut Ctx, addr: u64) {
    match if c.ok() { c.read::<8>(addr) } else { None } {
        Some(b) => c.w(format_args!(
            "[{}, {}]",
            le_u32(&b, 0) as i32,
            le_u32(&b, 4) as i32
        )),
        None => c.ptr(addr),
    }
}

fn poll_events(c: &mut Ctx, v: u16) {
    if v == 0 {
        c.s("0");
    } else {
        flag_names(c, f::POLL_EVENTS, u64::from(v), true);
    }
}

/// `[{fd=3, events=POLLIN}]`.
pub(crate) fn pollfds(c: &mut Ctx, addr: u64, n: u64) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    if n != 0 && c.read::<8>(addr).is_none() {
        c.ptr(addr);
        return;
    }
    let max = (c.opts.strsize as u64).min(MAX_ELEMS);
    c.s("[");
    for i in 0..n {
        if i > 0 {
            c.s(", ");
        }
        if i >= max {
            c.s("...");
            break;
        }
        let Some(p) = c.read::<8>(addr.wrapping_add(8 * i)) else {
            break;
        };
        c.w(format_args!("{{fd={}, events=", le_u32(&p, 0) as i32));
        poll_events(c, le_u16(&p, 4));
        c.s("}");
    }
    c.s("]");
}

/// After `poll` returns: ` (Timeout)` or ` ([{fd=3, revents=POLLIN}])`.
pub(crate) fn poll_suffix(c: &mut Ctx, r: i64) {
    if r == 0 {
        c.s(" (Timeout)");
        return;
    }
    let addr = c.arg(0);
    let n = c.arg(1).min(MAX_ELEMS);
    c.s(" ([");
    let mut first = true;
    for i in 0..n {
        let Some(p) = c.read::<8>(addr.wrapping_add(8 * i)) else {
            break;
        };
        let revents = le_u16(&p, 6);
        if revents == 0 {
            continue;
        }
        if !first {
            c.s(", ");
        }
        first = false;
        c.w(format_args!("{{fd={}, revents=", le_u32(&p, 0) as i32));
        poll_events(c, revents);
        c.s("}");
    }
    c.s("])");
}

fn epoll_one(c: &mut Ctx, b: &[u8]) {
    let ev = le_u32(b, 0);
    let data = le_u64(b, 4);
    c.s("{events=");
    flags(c, f::EPOLL_EVENTS, u64::from(ev));
    c.w(format_args!(
        ", data={{u32={}, u64={}}}}}",
        data as u32, data
    ));
}

/// `struct epoll_event` (packed on x86-64: 12 bytes).
pub(crate) fn epoll_event(c: &mut Ctx, addr: u64) {
    match c.read::<12>(addr) {
        Some(b) => epoll_one(c, &b),
        None => c.ptr(addr),
    }
}

/// The events `epoll_wait` returned.
pub(crate) fn epoll_events_out(c: &mut Ctx, addr: u64) {
    let Some(r) = c.ok_ret() else {
        c.ptr(addr);
        return;
    };
    let n = (r as u64).min(MAX_ELEMS);
    if n != 0 && c.read::<12>(addr).is_none() {
        c.ptr(addr);
        return;
    }
    c.s("[");
    for i in 0..n {
        if i > 0 {
            c.s(", ");
        }
        match c.read::<12>(addr.wrapping_add(12 * i)) {
            Some(b) => epoll_one(c, &b),
            None => break,
        }
    }
    c.s("]");
}

/// `FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME`.
pub(crate) fn futex_op(c: &mut Ctx, v: u64) {
    let op = u64::from(v as u32);
    let cmd = op & 0x7f;
    match f::name_of(f::FUTEX_CMD, cmd) {
        Some(n) => {
            c.s(n);
            if op & f::FUTEX_PRIVATE_FLAG != 0 {
                c.s("_PRIVATE");
            }
        }
        None => c.w(format_args!("{:#x}", cmd | (op & f::FUTEX_PRIVATE_FLAG))),
    }
    if op & f::FUTEX_CLOCK_REALTIME != 0 {
        c.s("|FUTEX_CLOCK_REALTIME");
    }
    let rest = op & !(0x7f | f::FUTEX_PRIVATE_FLAG | f::FUTEX_CLOCK_REALTIME);
    if rest != 0 {
        c.w(format_args!("|{:#x}", rest));
    }
}

fn bitset(c: &mut Ctx, v: u64) {
    if v as u32 == u32::MAX {
        c.s("FUTEX_BITSET_MATCH_ANY");
    } else {
        c.hex(u64::from(v as u32));
    }
}

/// `futex(0x7f..., FUTEX_WAKE_PRIVATE, 2147483647)`: the operation decides the arguments.
pub(crate) fn futex(c: &mut Ctx) {
    let op = c.arg(1) as u32;
    c.ptr(c.arg(0));
    c.s(", ");
    futex_op(c, c.arg(1));
    let val = c.arg(2) as u32;
    match op & 0x7f {
        // WAIT
        0 => {
            c.w(format_args!(", {}, ", val as i32));
            time::timespec(c, c.arg(3), false);
        }
        // WAKE, FD
        1 | 2 => c.w(format_args!(", {}", val as i32)),
        // REQUEUE
        3 => {
            c.w(format_args!(
                ", {}, {}, ",
                val as i32,
                c.arg(3) as u32 as i32
            ));
            c.ptr(c.arg(4));
        }
        // CMP_REQUEUE, CMP_REQUEUE_PI
        4 | 12 => {
            c.w(format_args!(
                ", {}, {}, ",
                val as i32,
                c.arg(3) as u32 as i32
            ));
            c.ptr(c.arg(4));
            c.w(format_args!(", {}", c.arg(5) as u32 as i32));
        }
        // WAKE_OP
        5 => {
            c.w(format_args!(
                ", {}, {}, ",
                val as i32,
                c.arg(3) as u32 as i32
            ));
            c.ptr(c.arg(4));
            c.s(", ");
            c.hex(u64::from(c.arg(5) as u32));
        }
        // LOCK_PI, LOCK_PI2
        6 | 13 => {
            c.s(", ");
            time::timespec(c, c.arg(3), false);
        }
        // UNLOCK_PI, TRYLOCK_PI
        7 | 8 => {}
        // WAIT_BITSET
        9 => {
            c.w(format_args!(", {}, ", val as i32));
            time::timespec(c, c.arg(3), false);
            c.s(", ");
            bitset(c, c.arg(5));
        }
        // WAKE_BITSET
        10 => {
            c.w(format_args!(", {}, NULL, ", val as i32));
            bitset(c, c.arg(5));
        }
        // WAIT_REQUEUE_PI
        11 => {
            c.w(format_args!(", {}, ", val as i32));
            time::timespec(c, c.arg(3), false);
            c.s(", ");
            c.ptr(c.arg(4));
        }
        _ => {
            for i in 2..6 {
                c.s(", ");
                let v = c.arg(i);
                c.hex(v);
            }
        }
    }
}

/// An `ioctl` request: its name, or `_IOC(dir, type, nr, size)`.
pub(crate) fn ioctl_req(c: &mut Ctx, v: u64) {
    let req = u64::from(v as u32);
    if let Some(n) = f::name_of(f::IOCTL, req) {
        c.s(n);
        return;
    }
    let dir = (req >> 30) & 3;
    let ty = (req >> 8) & 0xff;
    let nr = req & 0xff;
    let size = (req >> 16) & 0x3fff;
    c.s("_IOC(");
    c.s(f::name_of(f::IOC_DIR, dir).unwrap_or("_IOC_NONE"));
    c.w(format_args!(
        ", {}, {}, {})",
        CHex(ty),
        CHex(nr),
        CHex(size)
    ));
}

/// `ioctl(1, TIOCGWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0})`.
pub(crate) fn ioctl(c: &mut Ctx) {
    c.int(c.arg(0) as u32 as i32);
    c.s(", ");
    ioctl_req(c, c.arg(1));
    c.s(", ");
    let arg = c.arg(2);
    let req = c.arg(1) as u32;
    match req {
        // TIOCGWINSZ (output), TIOCSWINSZ (input).
        0x5413 | 0x5414 => {
            let readable = req == 0x5414 || c.ok();
            match if readable { c.read::<8>(arg) } else { None } {
                Some(b) => c.w(format_args!(
                    "{{ws_row={}, ws_col={}, ws_xpixel={}, ws_ypixel={}}}",
                    le_u16(&b, 0),
                    le_u16(&b, 2),
                    le_u16(&b, 4),
                    le_u16(&b, 6)
                )),
                None => c.ptr(arg),
            }
        }
        // FIONREAD, TIOCGPGRP, TIOCOUTQ, TIOCGPTN, TIOCGSID, TIOCMGET: an int written.
        0x541b | 0x540f | 0x5411 | 0x8004_5430 | 0x5429 | 0x5415 => process::int_out(c, arg),
        // TIOCSPGRP, FIONBIO, FIOASYNC, TIOCSPTLCK, TIOCMSET...: an int read.
        0x5410 | 0x5421 | 0x5452 | 0x4004_5431 | 0x5416 | 0x5417 | 0x5418 => {
            match c.read_u32(arg) {
                Some(v) => c.w(format_args!("[{}]", v as i32)),
                None => c.ptr(arg),
            }
        }
        // TCSBRK, TCXONC, TCFLSH, TIOCSCTTY, TCSBRKP: plain numbers.
        0x5409 | 0x540a | 0x540b | 0x540e | 0x5425 => c.int(arg as i64),
        // FICLONE: the source descriptor.
        0x4004_9409 => c.int(arg as u32 as i32),
        // Requests without an argument.
        0x540c | 0x540d | 0x5422 | 0x5450 | 0x5451 | 0x5437 => {
            // strace prints no third argument for these; undo the separator.
            c.out_truncate_sep();
        }
        _ => c.ptr(arg),
    }
}

impl Ctx<'_, '_> {
    /// Removes a trailing `", "` just written.
    fn out_truncate_sep(&mut self) {
        let len = self.out.len();
        if self.out.as_bytes().ends_with(b", ") {
            self.out.truncate(len - 2);
        }
    }
}

/// `struct flock`: `{l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=0}`.
fn flock(c: &mut Ctx, addr: u64, out: bool) {
    let Some(b) = c.struct_at::<32>(addr, out) else {
        return;
    };
    c.s("{l_type=");
    enum_int(c, f::F_LOCK_TYPE, u64::from(le_u16(&b, 0)));
    c.s(", l_whence=");
    enum_int(c, f::SEEK, u64::from(le_u16(&b, 2)));
    c.w(format_args!(
        ", l_start={}, l_len={}",
        le_u64(&b, 8) as i64,
        le_u64(&b, 16) as i64
    ));
    if out {
        c.w(format_args!(", l_pid={}", le_u32(&b, 24) as i32));
    }
    c.s("}");
}

/// `fcntl(3, F_SETFD, FD_CLOEXEC)`, `fcntl(0, F_GETFL)`.
pub(crate) fn fcntl(c: &mut Ctx) {
    c.int(c.arg(0) as u32 as i32);
    c.s(", ");
    enum_int(c, f::FCNTL, c.arg(1));
    let arg = c.arg(2);
    match c.arg(1) as u32 {
        1 | 3 | 9 | 11 | 1025 | 1032 | 1034 | 1035 | 1037 => {}
        2 => {
            c.s(", ");
            flags(c, f::FD_FLAGS, u64::from(arg as u32));
        }
        4 => {
            c.s(", ");
            fs::open_flags(c, arg);
        }
        5 | 36 => {
            c.s(", ");
            flock(c, arg, true);
        }
        6 | 7 | 37 | 38 => {
            c.s(", ");
            flock(c, arg, false);
        }
        10 => {
            c.s(", ");
            signal::signal(c, arg);
        }
        1024 => {
            c.s(", ");
            enum_int(c, f::F_LOCK_TYPE, arg);
        }
        1033 => {
            c.s(", ");
            flags(c, f::F_SEAL, u64::from(arg as u32));
        }
        0 | 1030 | 8 | 1031 | 1026 => {
            c.s(", ");
            c.int(arg as u32 as i32);
        }
        _ => {
            c.s(", ");
            c.hex(arg);
        }
    }
}

/// `= 0x1 (flags FD_CLOEXEC)` after `F_GETFD`, `= 0x8002 (flags O_RDWR|O_LARGEFILE)`
/// after `F_GETFL`, `= 0x9 (seals ...)` after `F_GET_SEALS`. Returns false for other commands.
pub(crate) fn fcntl_ret(c: &mut Ctx, r: i64) -> bool {
    let v = r as u64;
    match c.arg(1) as u32 {
        1 => {
            c.hex(v);
            if v != 0 {
                c.s(" (flags ");
                flags(c, f::FD_FLAGS, v);
                c.s(")");
            }
        }
        3 => {
            c.hex(v);
            c.s(" (flags ");
            fs::open_flags(c, v);
            c.s(")");
        }
        1034 => {
            c.hex(v);
            if v != 0 {
                c.s(" (seals ");
                flags(c, f::F_SEAL, v);
                c.s(")");
            }
        }
        _ => return false,
    }
    true
}

/// An `off_t *` the kernel reads and advances (`sendfile`): `[0] => [77]` when the value on
/// entry is known and changed, `[77]` otherwise.
pub(crate) fn offset_in_out(c: &mut Ctx, addr: u64, index: usize) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    let before = match c.info.entry_value {
        Some((i, v)) if usize::from(i) == index => Some(v as i64),
        _ => None,
    };
    let after = c.read_u64(addr).map(|v| v as i64);
    match (before, after) {
        (Some(b), Some(a)) if a != b && c.ok() => c.w(format_args!("[{}] => [{}]", b, a)),
        (Some(v), _) | (None, Some(v)) => c.w(format_args!("[{}]", v)),
        (None, None) => c.ptr(addr),
    }
}
