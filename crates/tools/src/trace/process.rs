//! Processes: `clone`/`clone3`, `execve`'s argument vectors, wait statuses,
//! resource limits and usage, `uname`, `sysinfo`, `prctl` and `arch_prctl`.

use super::flags::{enum_int, flag_names};
use super::{fmt_str, le_u16, le_u32, le_u64, signal, Ctx};
use sysgate_abi::flags as f;

const CLONE_PIDFD: u64 = 0x1000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_CHILD_SETTID: u64 = 0x1000000;
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Most entries shown of `argv` (and of `envp` with `-v`) beyond `-s`.
const MAX_VEC: usize = 4096;

/// `CLONE_VM|...|SIGCHLD`: flags, then the exit signal in the low byte for `clone`.
pub(crate) fn clone_flags(c: &mut Ctx, v: u64, with_signal: bool) {
    let (fl, exit) = if with_signal {
        (v & !0xff, v & 0xff)
    } else {
        (v, 0)
    };
    let mut wrote = false;
    if fl != 0 {
        wrote = flag_names(c, f::CLONE, fl, true);
    }
    if exit != 0 {
        if wrote {
            c.s("|");
        }
        signal::signal(c, exit);
        wrote = true;
    }
    if !wrote {
        c.s("0");
    }
}

/// `clone(child_stack=NULL, flags=..., child_tidptr=0x...)` (x86-64 argument order:
/// flags, stack, parent_tid, child_tid, tls).
pub(crate) fn clone(c: &mut Ctx) {
    let fl = c.arg(0);
    c.s("child_stack=");
    c.ptr(c.arg(1));
    c.s(", flags=");
    clone_flags(c, fl, true);
    if fl & (CLONE_PARENT_SETTID | CLONE_PIDFD) != 0 {
        c.s(", parent_tid=");
        int_out(c, c.arg(2));
    }
    if fl & CLONE_SETTLS != 0 {
        c.s(", tls=");
        c.ptr(c.arg(4));
    }
    if fl & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
        c.s(", child_tidptr=");
        c.ptr(c.arg(3));
    }
}

/// An `int` the kernel wrote: `[42]` after success, the address otherwise.
pub(crate) fn int_out(c: &mut Ctx, addr: u64) {
    match if c.ok() { c.read_u32(addr) } else { None } {
        Some(v) => c.w(format_args!("[{}]", v as i32)),
        None => c.ptr(addr),
    }
}

/// `struct clone_args`: `{flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x..., stack_size=0x9000}`.
pub(crate) fn clone3(c: &mut Ctx, addr: u64) {
    let Some(b) = c.read::<88>(addr) else {
        c.ptr(addr);
        return;
    };
    let fl = le_u64(&b, 0);
    c.s("{flags=");
    clone_flags(c, fl, false);
    if fl & CLONE_PIDFD != 0 {
        c.s(", pidfd=");
        int_out(c, le_u64(&b, 8));
    }
    if fl & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
        c.s(", child_tid=");
        c.ptr(le_u64(&b, 16));
    }
    if fl & CLONE_PARENT_SETTID != 0 {
        c.s(", parent_tid=");
        int_out(c, le_u64(&b, 24));
    }
    c.s(", exit_signal=");
    let sig = le_u64(&b, 32);
    if sig == 0 {
        c.s("0");
    } else {
        signal::signal(c, sig);
    }
    c.s(", stack=");
    c.ptr(le_u64(&b, 40));
    c.s(", stack_size=");
    c.hex(le_u64(&b, 48));
    if fl & CLONE_SETTLS != 0 {
        c.s(", tls=");
        c.ptr(le_u64(&b, 56));
    }
    let set_tid = le_u64(&b, 64);
    let set_tid_size = le_u64(&b, 72);
    if set_tid != 0 || set_tid_size != 0 {
        c.s(", set_tid=");
        c.ptr(set_tid);
        c.w(format_args!(", set_tid_size={}", set_tid_size));
    }
    if fl & CLONE_INTO_CGROUP != 0 {
        c.w(format_args!(", cgroup={}", le_u64(&b, 80) as i64));
    }
    c.s("}");
}

/// Walks a NULL-terminated pointer array; `f` gets each entry until it returns false.
/// Returns the number of entries seen, or `None` if the array is unreadable.
fn walk_vec(c: &Ctx, addr: u64, limit: usize, f: &mut dyn FnMut(u64) -> bool) -> Option<usize> {
    let mut n = 0usize;
    while n < limit {
        let p = c.read_u64(addr.wrapping_add(8 * n as u64))?;
        if p == 0 {
            break;
        }
        n += 1;
        if !f(p) {
            break;
        }
    }
    Some(n)
}

/// `["ls", "/"]`, at most `-s` entries.
fn string_vec(c: &mut Ctx, addr: u64) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    if c.read_u64(addr).is_none() {
        c.ptr(addr);
        return;
    }
    let max = c.opts.strsize.min(MAX_VEC);
    c.s("[");
    let mut i = 0usize;
    loop {
        let Some(p) = c.read_u64(addr.wrapping_add(8 * i as u64)) else {
            if i > 0 {
                c.s(", ");
            }
            c.s("...");
            break;
        };
        if p == 0 {
            break;
        }
        if i >= max {
            c.s(", ...");
            break;
        }
        if i > 0 {
            c.s(", ");
        }
        fmt_str::cstr(c, p);
        i += 1;
    }
    c.s("]");
}

/// `execve`'s argv.
pub(crate) fn argv(c: &mut Ctx, addr: u64) {
    string_vec(c, addr);
}

/// `execve`'s envp: `0x7ffd... /* 23 vars */` (the strings with `-v`).
pub(crate) fn envp(c: &mut Ctx, addr: u64) {
    if c.opts.verbose {
        string_vec(c, addr);
        return;
    }
    c.ptr(addr);
    if addr == 0 {
        return;
    }
    if let Some(n) = walk_vec(c, addr, 1 << 20, &mut |_| true) {
        c.w(format_args!(
            " /* {} var{} */",
            n,
            if n == 1 { "" } else { "s" }
        ));
    }
}

/// A wait status: `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`.
pub(crate) fn wait_status(c: &mut Ctx, addr: u64) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    let st = match c.ok_ret() {
        Some(r) if r != 0 => c.read_u32(addr),
        _ => None,
    };
    let Some(s) = st else {
        c.ptr(addr);
        return;
    };
    c.s("[{");
    let low = s & 0x7f;
    if s & 0xff == 0x7f {
        c.s("WIFSTOPPED(s) && WSTOPSIG(s) == ");
        signal::signal(c, u64::from((s >> 8) & 0xff));
    } else if s == 0xffff {
        c.s("WIFCONTINUED(s)");
    } else if low == 0 {
        c.w(format_args!(
            "WIFEXITED(s) && WEXITSTATUS(s) == {}",
            (s >> 8) & 0xff
        ));
    } else {
        c.s("WIFSIGNALED(s) && WTERMSIG(s) == ");
        signal::signal(c, u64::from(low));
        if s & 0x80 != 0 {
            c.s(" && WCOREDUMP(s)");
        }
    }
    c.s("}");
    let event = s >> 16;
    if event != 0 && s & 0xff == 0x7f {
        c.w(format_args!(" | {:#x} << 16", event));
    }
    c.s("]");
}

fn rlim_value(c: &mut Ctx, v: u64) {
    if v == u64::MAX {
        c.s("RLIM64_INFINITY");
    } else if v > 0 && v & 1023 == 0 {
        c.w(format_args!("{}*1024", v / 1024));
    } else {
        c.int(v);
    }
}

/// `{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}`.
pub(crate) fn rlimit(c: &mut Ctx, addr: u64, out: bool) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    let Some(b) = c.struct_at::<16>(addr, out) else {
        return;
    };
    c.s("{rlim_cur=");
    rlim_value(c, le_u64(&b, 0));
    c.s(", rlim_max=");
    rlim_value(c, le_u64(&b, 8));
    c.s("}");
}

/// `struct rusage`: times, then `...` unless `-v`.
pub(crate) fn rusage(c: &mut Ctx, addr: u64) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    let b = if c.ok() { c.read::<144>(addr) } else { None };
    let Some(b) = b else {
        c.ptr(addr);
        return;
    };
    c.w(format_args!(
        "{{ru_utime={{tv_sec={}, tv_usec={}}}, ru_stime={{tv_sec={}, tv_usec={}}}",
        le_u64(&b, 0) as i64,
        le_u64(&b, 8) as i64,
        le_u64(&b, 16) as i64,
        le_u64(&b, 24) as i64
    ));
    if c.opts.verbose {
        const NAMES: [&str; 14] = [
            "ru_maxrss",
            "ru_ixrss",
            "ru_idrss",
            "ru_isrss",
            "ru_minflt",
            "ru_majflt",
            "ru_nswap",
            "ru_inblock",
            "ru_oublock",
            "ru_msgsnd",
            "ru_msgrcv",
            "ru_nsignals",
            "ru_nvcsw",
            "ru_nivcsw",
        ];
        for (i, n) in NAMES.iter().enumerate() {
            c.w(format_args!(", {}={}", n, le_u64(&b, 32 + 8 * i) as i64));
        }
        c.s("}");
    } else {
        c.s(", ...}");
    }
}

/// `struct utsname`: `{sysname="Linux", nodename="vm", ...}`.
pub(crate) fn utsname(c: &mut Ctx, addr: u64) {
    let b = if c.ok() { c.read::<390>(addr) } else { None };
    let Some(b) = b else {
        c.ptr(addr);
        return;
    };
    const FIELDS: [&str; 6] = [
        "sysname",
        "nodename",
        "release",
        "version",
        "machine",
        "domainname",
    ];
    let shown = if c.opts.verbose { 6 } else { 2 };
    c.s("{");
    for (i, name) in FIELDS.iter().enumerate().take(shown) {
        if i > 0 {
            c.s(", ");
        }
        c.s(name);
        c.s("=");
        let field = b.get(65 * i..65 * (i + 1)).unwrap_or(&[]);
        let end = field.iter().position(|&x| x == 0).unwrap_or(field.len());
        fmt_str::quote_slice(c, field.get(..end).unwrap_or(&[]));
    }
    if !c.opts.verbose {
        c.s(", ...");
    }
    c.s("}");
}

/// `struct sysinfo`.
pub(crate) fn sysinfo(c: &mut Ctx, addr: u64) {
    let b = if c.ok() { c.read::<112>(addr) } else { None };
    let Some(b) = b else {
        c.ptr(addr);
        return;
    };
    c.w(format_args!(
        "{{uptime={}, loads=[{}, {}, {}], totalram={}, freeram={}, sharedram={}, bufferram={}, totalswap={}, freeswap={}, procs={}, totalhigh={}, freehigh={}, mem_unit={}}}",
        le_u64(&b, 0) as i64,
        le_u64(&b, 8),
        le_u64(&b, 16),
        le_u64(&b, 24),
        le_u64(&b, 32),
        le_u64(&b, 40),
        le_u64(&b, 48),
        le_u64(&b, 56),
        le_u64(&b, 64),
        le_u64(&b, 72),
        le_u16(&b, 80),
        le_u64(&b, 88),
        le_u64(&b, 96),
        le_u32(&b, 104)
    ));
}

/// `prctl`: the option decides how many arguments are shown and how.
pub(crate) fn prctl(c: &mut Ctx) {
    let opt = c.arg(0) as u32;
    enum_int(c, f::PRCTL, c.arg(0));
    match opt {
        // PR_GET_* without arguments.
        3 | 7 | 13 | 19 | 21 | 27 | 30 | 37 | 39 | 42 | 46 | 56 | 58 => {}
        // PR_SET_PDEATHSIG.
        1 => {
            c.s(", ");
            signal::signal(c, c.arg(1));
        }
        // PR_GET_PDEATHSIG, PR_GET_TID_ADDRESS: an output pointer.
        2 | 40 => {
            c.s(", ");
            if opt == 2 {
                int_out(c, c.arg(1));
            } else {
                c.ptr(c.arg(1));
            }
        }
        // PR_SET_NAME, PR_GET_NAME.
        15 | 16 => {
            c.s(", ");
            let p = c.arg(1);
            if opt == 16 && !c.ok() {
                c.ptr(p);
            } else {
                fmt_str::cstr(c, p);
            }
        }
        // PR_SET_DUMPABLE, PR_SET_KEEPCAPS, PR_SET_TIMERSLACK, PR_SET_CHILD_SUBREAPER,
        // PR_CAPBSET_READ, PR_CAPBSET_DROP.
        4 | 8 | 29 | 36 | 23 | 24 => {
            c.w(format_args!(", {}", c.arg(1)));
        }
        _ => {
            for i in 1..5 {
                c.s(", ");
                let v = c.arg(i);
                c.hex(v);
            }
        }
    }
}

/// `arch_prctl(ARCH_SET_FS, 0x7f...)`; `ARCH_GET_*` shows the value written.
pub(crate) fn arch_prctl(c: &mut Ctx) {
    let code = c.arg(0) as u32;
    enum_int(c, f::ARCH_PRCTL, c.arg(0));
    c.s(", ");
    let addr = c.arg(1);
    match code {
        0x1003 | 0x1004 => match if c.ok() { c.read_u64(addr) } else { None } {
            Some(v) => c.w(format_args!("[{:#x}]", v)),
            None => c.ptr(addr),
        },
        _ => c.ptr(addr),
    }
}

/// A CPU set the kernel filled in (`sched_getaffinity`, whose return value is its size):
/// the CPUs in it, `[0 1 3]`.
pub(crate) fn cpu_set_out(c: &mut Ctx, addr: u64) {
    let Some(len) = c.ok_ret().and_then(|r| usize::try_from(r).ok()) else {
        c.ptr(addr);
        return;
    };
    let mut first = true;
    let mut ok = true;
    let mut cpus = [0u8; 128];
    let n = len.min(cpus.len());
    if addr == 0 || !c.mem.read(addr, cpus.get_mut(..n).unwrap_or(&mut [])) {
        ok = false;
    }
    if !ok {
        c.ptr(addr);
        return;
    }
    c.s("[");
    for (i, byte) in cpus.iter().take(n).enumerate() {
        for bit in 0..8 {
            if byte & (1 << bit) != 0 {
                if !first {
                    c.s(" ");
                }
                first = false;
                c.int(i * 8 + bit);
            }
        }
    }
    c.s("]");
}
