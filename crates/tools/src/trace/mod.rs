//! strace-compatible trace lines, formatted from inside the traced process.
//!
//! [`format_syscall`] is called once a syscall has returned; it prints the arguments
//! following the kinds listed in `sysgate_abi`'s table (gVisor style: the table says
//! what each argument is, the decoders here say how it looks), reading output
//! structures from guest memory. The decoders are split by domain:
//! strings in `fmt_str`, flag sets in `flags`, files in `fs`, signals in `signal`,
//! sockets in `net`, processes in `process`, memory in `mem`, time in `time`, and
//! descriptor I/O (`fcntl`, `ioctl`, `poll`, `epoll`, `futex`, iovecs) in `io`.

mod flags;
mod fmt_str;
mod fs;
mod io;
mod mem;
mod net;
mod process;
mod siginfo;
mod signal;
pub use siginfo::format_signal;
mod time;

use crate::{GuestMem, Out, TraceOpts};
use core::fmt::{self, Write};
use sysgate_abi::{errno, x86_64, Arg, Ret};

/// What the tracer knows about a call besides its arguments and result: things only visible
/// at entry (strace decodes inputs on entry, sysgate formats after the call returned).
#[derive(Clone, Copy, Debug, Default)]
pub struct CallInfo<'a> {
    /// The caller's stack pointer (`rt_sigreturn` finds its signal frame there).
    pub sp: u64,
    /// A value-result argument as it was on entry: `(argument index, value)` — the
    /// `socklen_t` of `accept`/`getsockname`/`recvfrom`/`getsockopt`, the offset of `sendfile`.
    pub entry_value: Option<(u8, u64)>,
    /// What a descriptor argument referred to on entry, `(index, path)` (`-y`: the
    /// descriptor `close` closes, the one `dup2` replaces).
    pub entry_fd: Option<(u8, &'a [u8])>,
    /// Format only the entry half strace prints when the call starts: `NAME(` and the
    /// arguments before the first one the kernel fills in (`read(3, `), no result, no newline.
    pub entry_only: bool,
}

/// Where the parts of a formatted line are, as offsets into the `Out` it was appended to: the
/// part strace prints after `<... NAME resumed>` starts at `resume`, the arguments close just
/// before `close`, and ` = RESULT` starts at `result` (after the padding). All 0 for a line
/// that is not a call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineMarks {
    pub resume: usize,
    pub close: usize,
    pub result: usize,
    /// An entry half that stopped before an argument the kernel fills in (strace adds
    /// ` <unfinished ...>` when such a call never returns).
    pub stopped: bool,
}

/// Everything a decoder needs about the call being printed.
pub(crate) struct Ctx<'o, 'b> {
    pub(crate) out: &'o mut Out<'b>,
    pub(crate) mem: &'o dyn GuestMem,
    pub(crate) opts: &'o TraceOpts,
    pub(crate) nr: u64,
    pub(crate) args: &'o [u64; 6],
    pub(crate) ret: Option<i64>,
    pub(crate) info: CallInfo<'o>,
    /// Where the first argument shown at exit starts (see [`LineMarks`]), once seen.
    pub(crate) resume: Option<usize>,
}

impl Ctx<'_, '_> {
    /// Raw value of argument `i` (0 if out of range).
    pub(crate) fn arg(&self, i: usize) -> u64 {
        self.args.get(i).copied().unwrap_or(0)
    }

    /// The return value if the call succeeded.
    pub(crate) fn ok_ret(&self) -> Option<i64> {
        match self.ret {
            Some(r) if !(-4095..0).contains(&r) => Some(r),
            _ => None,
        }
    }

    /// Whether the call returned successfully (output arguments are valid).
    /// The struct of `N` bytes at `addr`, for an argument decoded `out` (after the call): its
    /// bytes, or `None` after printing the pointer (the call failed, or the memory is
    /// unreadable) as strace does.
    pub(crate) fn struct_at<const N: usize>(&mut self, addr: u64, out: bool) -> Option<[u8; N]> {
        let b = if out && !self.ok() {
            None
        } else {
            self.read::<N>(addr)
        };
        if b.is_none() {
            self.ptr(addr);
        }
        b
    }

    pub(crate) fn ok(&self) -> bool {
        self.ok_ret().is_some()
    }

    /// The errno if the call failed.
    pub(crate) fn err(&self) -> Option<i32> {
        match self.ret {
            Some(r) if (-4095..0).contains(&r) => i32::try_from(-r).ok(),
            _ => None,
        }
    }

    pub(crate) fn s(&mut self, s: &str) {
        self.out.push_str(s);
    }

    pub(crate) fn w(&mut self, a: fmt::Arguments<'_>) {
        let _ = self.out.write_fmt(a);
    }

    /// An integer in decimal, without `core::fmt` (descriptors and counts are on most lines).
    pub(crate) fn int(&mut self, v: impl itoa::Integer) {
        self.out.push_int(v);
    }

    /// A process id, `1234<cat>` with `-Y`.
    pub(crate) fn pid(&mut self, pid: i32) {
        let mem = self.opts.decode_pids.then_some(self.mem);
        crate::write_pid(self.out, pid, mem);
    }

    /// A pointer: `NULL` or `0x...`.
    pub(crate) fn ptr(&mut self, v: u64) {
        if v == 0 {
            self.s("NULL");
        } else {
            self.out.push_hex(v);
        }
    }

    /// A number in hex the way strace prints `%#lx` (`0` for zero).
    pub(crate) fn hex(&mut self, v: u64) {
        if v == 0 {
            self.s("0");
        } else {
            self.out.push_hex(v);
        }
    }

    /// Reads `N` bytes of guest memory.
    pub(crate) fn read<const N: usize>(&self, addr: u64) -> Option<[u8; N]> {
        let mut b = [0u8; N];
        if addr != 0 && self.mem.read(addr, &mut b) {
            Some(b)
        } else {
            None
        }
    }

    pub(crate) fn read_u32(&self, addr: u64) -> Option<u32> {
        self.read::<4>(addr).map(u32::from_le_bytes)
    }

    pub(crate) fn read_u64(&self, addr: u64) -> Option<u64> {
        self.read::<8>(addr).map(u64::from_le_bytes)
    }
}

/// Formats like C's `%#x`: `0` for zero, `0x1f` otherwise.
#[derive(Clone, Copy)]
pub(crate) struct CHex(pub(crate) u64);

impl fmt::Display for CHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            f.write_str("0")
        } else {
            write!(f, "{:#x}", self.0)
        }
    }
}

/// Little-endian field readers over a struct copied out of guest memory. Out of
/// range offsets read as zero.
pub(crate) fn le_u16(b: &[u8], off: usize) -> u16 {
    match b.get(off..off + 2) {
        Some(&[x, y]) => u16::from_le_bytes([x, y]),
        _ => 0,
    }
}

pub(crate) fn le_u32(b: &[u8], off: usize) -> u32 {
    match b.get(off..off + 4) {
        Some(&[a, b1, c, d]) => u32::from_le_bytes([a, b1, c, d]),
        _ => 0,
    }
}

pub(crate) fn le_u64(b: &[u8], off: usize) -> u64 {
    let lo = u64::from(le_u32(b, off));
    let hi = u64::from(le_u32(b, off + 4));
    lo | (hi << 32)
}

/// One complete strace-style line for x86-64 syscall `nr`, ending in `"\n"`:
/// `openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3`.
///
/// Appends to `out`: a caller that writes the pid prefix into `out` first gets the
/// ` = ` column exactly where strace puts it (column 40 counting the prefix).
/// `ret == None` prints ` = ?` (exit_group, exit, a successful execve seen from the
/// old image). Output buffers are decoded from guest memory (this is called after
/// the syscall returned); a pointer that cannot be read prints as hex, NULL as `NULL`.
/// Unknown numbers print as `syscall_0x1ff(0x1, 0x2, ...)`.
pub fn format_syscall(
    out: &mut Out,
    mem: &dyn GuestMem,
    opts: &TraceOpts,
    nr: u64,
    args: &[u64; 6],
    ret: Option<i64>,
) {
    format_call(out, mem, opts, nr, args, ret, CallInfo::default());
}

/// [`format_syscall`] with what the tracer saw on entry (see [`CallInfo`]).
pub fn format_call(
    out: &mut Out,
    mem: &dyn GuestMem,
    opts: &TraceOpts,
    nr: u64,
    args: &[u64; 6],
    ret: Option<i64>,
    info: CallInfo<'_>,
) -> LineMarks {
    let mut c = Ctx {
        out,
        mem,
        opts,
        nr,
        args,
        ret,
        info,
        resume: None,
    };
    write_line(&mut c, nr, x86_64::desc(nr), true)
}

/// One line for i386 syscall `nr` (an `int $0x80` from 64-bit code), with its i386 name and
/// the i386 table's argument kinds (`args` are the 32-bit register values).
pub fn format_syscall_i386(
    out: &mut Out,
    mem: &dyn GuestMem,
    opts: &TraceOpts,
    nr: u64,
    args: &[u64; 6],
    ret: Option<i64>,
) {
    // No x86-64 number: the value-dependent decoders keyed on x86-64 numbers stay out.
    let mut c = Ctx {
        out,
        mem,
        opts,
        nr: u64::MAX,
        args,
        ret,
        info: CallInfo::default(),
        resume: None,
    };
    write_line(&mut c, nr, sysgate_abi::i386::desc(nr), false);
}

/// `name(args) = result\n` for `desc` (or `syscall_0x…(…)` for a number no table knows);
/// `special` lets the value-dependent x86-64 decoders take over the argument list.
fn write_line(
    c: &mut Ctx,
    nr: u64,
    desc: Option<&sysgate_abi::SyscallDesc>,
    special: bool,
) -> LineMarks {
    match desc {
        Some(d) => {
            c.s(d.name);
            c.s("(");
            if !(special && special_args(c)) && generic_args(c, d.args) {
                // The entry half ends before an argument.
                return LineMarks {
                    stopped: true,
                    ..LineMarks::default()
                };
            }
            if c.info.entry_only {
                return LineMarks::default();
            }
            if c.resume.is_none() {
                c.resume = Some(c.out.len());
            }
            c.s(")");
        }
        None => {
            c.w(format_args!("syscall_{:#x}(", nr));
            for i in 0..6 {
                if i > 0 {
                    c.s(", ");
                }
                let v = c.arg(i);
                c.hex(v);
            }
            if c.info.entry_only {
                return LineMarks::default();
            }
            c.resume = Some(c.out.len());
            c.s(")");
        }
    }
    let close = c.out.len();
    c.out.pad_to(c.opts.column);
    let result = c.out.len();
    c.s(" = ");
    format_ret(c, desc.map(|d| d.ret));
    c.out.end_line();
    LineMarks {
        resume: c.resume.unwrap_or(close),
        close,
        result,
        stopped: false,
    }
}

/// strace's line for a change of personality: `[ Process PID=1234 runs in 32 bit mode. ]`.
pub fn format_personality(out: &mut Out, pid: i32, bits: u32) {
    let _ = write!(out, "[ Process PID={} runs in {} bit mode. ]", pid, bits);
    out.end_line();
}

/// `127.0.0.1:8080` or `[::1]:8080` from a `sockaddr_in`/`sockaddr_in6` (the `-yy` form).
pub fn write_inet_endpoint(out: &mut Out, sa: &[u8]) {
    struct NoMem;
    impl GuestMem for NoMem {
        fn read(&self, _: u64, _: &mut [u8]) -> bool {
            false
        }
    }
    let opts = TraceOpts::default();
    let mut c = Ctx {
        out,
        mem: &NoMem,
        opts: &opts,
        nr: u64::MAX,
        args: &[0; 6],
        ret: None,
        info: CallInfo::default(),
        resume: None,
    };
    net::endpoint(&mut c, sa);
}

/// `+++ exited with 0 +++`
pub fn format_exited(out: &mut Out, code: i32) {
    let _ = write!(out, "+++ exited with {} +++", code);
    out.end_line();
}

/// `+++ killed by SIGSEGV (core dumped) +++`
pub fn format_killed(out: &mut Out, sig: i32, core: bool) {
    match sysgate_abi::signal::name(sig) {
        Some(n) => out.push_str_fmt(format_args!("+++ killed by {}", n)),
        None => out.push_str_fmt(format_args!("+++ killed by {}", sig)),
    }
    if core {
        out.push_str(" (core dumped)");
    }
    out.push_str(" +++");
    out.end_line();
}

impl Out<'_> {
    fn push_str_fmt(&mut self, a: fmt::Arguments<'_>) {
        let _ = self.write_fmt(a);
    }
}

/// Syscalls whose argument list depends on the values (how many are shown, or
/// named-field layouts). Returns false to use the table's kinds.
fn special_args(c: &mut Ctx) -> bool {
    use x86_64::nr;
    let Ok(n) = u32::try_from(c.nr) else {
        return false;
    };
    match n {
        nr::CLONE => process::clone(c),
        nr::FCNTL => io::fcntl(c),
        nr::IOCTL => io::ioctl(c),
        nr::FUTEX => io::futex(c),
        nr::PRCTL => process::prctl(c),
        nr::ARCH_PRCTL => process::arch_prctl(c),
        nr::SETSOCKOPT | nr::GETSOCKOPT => net::sockopt(c),
        nr::RT_SIGRETURN => signal::sigreturn(c),
        _ => return false,
    }
    true
}

/// The arguments, `, `-separated; returns true when the entry half stopped before one (see
/// [`CallInfo::entry_only`]).
fn generic_args(c: &mut Ctx, kinds: &[Arg]) -> bool {
    let mut first = true;
    for (i, kind) in kinds.iter().enumerate() {
        if !arg_shown(c, *kind) {
            continue;
        }
        if !first {
            c.s(", ");
        }
        first = false;
        if kind.at_exit() && c.resume.is_none() {
            c.resume = Some(c.out.len());
            if c.info.entry_only {
                return true;
            }
        }
        print_arg(c, *kind, i);
    }
    false
}

/// Whether an argument appears at all (strace drops `open`'s mode without `O_CREAT`).
fn arg_shown(c: &Ctx, kind: Arg) -> bool {
    match kind {
        Arg::OpenMode { flags } => {
            let f = c.arg(usize::from(flags));
            f & sysgate_abi::flags::O_CREAT != 0
                || f & sysgate_abi::flags::O_TMPFILE == sysgate_abi::flags::O_TMPFILE
        }
        _ => true,
    }
}

/// Prints argument `i` of kind `kind`.
pub(crate) fn print_arg(c: &mut Ctx, kind: Arg, i: usize) {
    let v = c.arg(i);
    match kind {
        Arg::Int => c.int(v as u32 as i32),
        Arg::Pid => c.pid(v as u32 as i32),
        Arg::Uint => c.int(v as u32),
        Arg::Long => c.int(v as i64),
        Arg::Ulong => c.int(v),
        Arg::Hex => c.hex(v),
        Arg::Ptr => c.ptr(v),
        Arg::Fd => fd(c, v as u32 as i32, Some(i)),
        Arg::DirFd => fs::dirfd(c, v),
        Arg::Path => fmt_str::path(c, v),
        Arg::Str => fmt_str::cstr(c, v),
        Arg::OutPath => fs::out_path(c, v),
        Arg::InBuf { len } => fmt_str::buf(c, v, c.arg(usize::from(len))),
        Arg::OutBuf { len } => fmt_str::out_buf(c, v, c.arg(usize::from(len))),
        Arg::RandomBuf => fmt_str::random_buf(c, v),
        Arg::Iovec { cnt } => io::iovec(c, v, c.arg(usize::from(cnt)), None),
        Arg::IovecOut { cnt } => io::iovec_out(c, v, c.arg(usize::from(cnt))),
        Arg::Flags(t) => flags::flags(c, t, v),
        Arg::Enum(t) => flags::enum_int(c, t, v),
        Arg::OpenFlags => fs::open_flags(c, v),
        Arg::OpenMode { .. } | Arg::Mode => fs::octal(c, u64::from(v as u32)),
        Arg::FileMode => fs::mode_arg(c, v),
        Arg::Utimes => time::utimes(c, v),
        Arg::StackT => signal::stack_t(c, v, false),
        Arg::StackTOut => signal::stack_t(c, v, true),
        Arg::CpuSetOut => process::cpu_set_out(c, v),
        Arg::OffsetInOut => io::offset_in_out(c, v, i),
        Arg::Umask => fs::octal(c, v as u32 as u64),
        Arg::AccessMode => fs::access_mode(c, v),
        Arg::AtFlags => fs::at_flags(c, v),
        Arg::MmapProt => mem::prot(c, v),
        Arg::MmapFlags => mem::map_flags(c, v),
        Arg::CloneFlags => process::clone_flags(c, v, false),
        Arg::Clone3Args => process::clone3(c, v),
        Arg::Signal => signal::signal(c, v),
        Arg::SigHow => flags::enum_int(c, sysgate_abi::flags::SIG_HOW, v),
        Arg::SigSet { size } => signal::sigset_arg(c, v, c.arg(usize::from(size)), false),
        Arg::SigSetOut { size } => signal::sigset_arg(c, v, c.arg(usize::from(size)), true),
        Arg::SigAction => signal::sigaction(c, v, false),
        Arg::SigActionOut => signal::sigaction(c, v, true),
        Arg::Stat => fs::stat(c, v),
        Arg::Statx => fs::statx(c, v),
        Arg::Statfs => fs::statfs(c, v),
        Arg::Timespec => time::timespec(c, v, false),
        Arg::TimespecOut => time::timespec(c, v, true),
        Arg::Timeval => time::timeval(c, v, false),
        Arg::TimevalOut => time::timeval(c, v, true),
        Arg::Resource => flags::enum_int(c, sysgate_abi::flags::RLIMIT, v),
        Arg::Rlimit => process::rlimit(c, v, false),
        Arg::RlimitOut => process::rlimit(c, v, true),
        Arg::Rusage => process::rusage(c, v),
        Arg::Utsname => process::utsname(c, v),
        Arg::Sysinfo => process::sysinfo(c, v),
        Arg::PipeFds => io::int_pair(c, v),
        Arg::WaitStatus => process::wait_status(c, v),
        Arg::Dirents => fs::dirents(c, v),
        Arg::Argv => process::argv(c, v),
        Arg::Envp => process::envp(c, v),
        Arg::Sockaddr { len } => net::sockaddr(c, v, c.arg(usize::from(len)), false),
        Arg::SockaddrOut { len } => net::sockaddr_out(c, v, c.arg(usize::from(len))),
        Arg::SocklenPtr => net::socklen(c, v, i),
        Arg::SockDomain => flags::enum_int(c, sysgate_abi::flags::AF, v),
        Arg::SockType => net::sock_type(c, v),
        Arg::SockProto => net::sock_proto(c, v),
        Arg::SockLevel => flags::enum_int(c, sysgate_abi::flags::SOL, v),
        Arg::SockOptName => c.int(v as u32 as i32),
        Arg::Msghdr => net::msghdr(c, v, false),
        Arg::MsghdrOut => net::msghdr(c, v, true),
        Arg::Pollfds { n } => io::pollfds(c, v, c.arg(usize::from(n))),
        Arg::EpollEvent => io::epoll_event(c, v),
        Arg::EpollEventsOut => io::epoll_events_out(c, v),
        Arg::FutexOp => io::futex_op(c, v),
        Arg::FutexArg4 => c.ptr(v),
        Arg::IoctlReq => io::ioctl_req(c, v),
        Arg::IoctlArg => c.ptr(v),
        Arg::FcntlCmd => flags::enum_int(c, sysgate_abi::flags::FCNTL, v),
        Arg::FcntlArg => c.hex(v),
        Arg::PrctlOption => flags::enum_int(c, sysgate_abi::flags::PRCTL, v),
        Arg::ArchPrctlCode => flags::enum_int(c, sysgate_abi::flags::ARCH_PRCTL, v),
        Arg::ArchPrctlAddr => c.ptr(v),
        Arg::Whence => flags::enum_int(c, sysgate_abi::flags::SEEK, v),
        Arg::ClockId => time::clock_id(c, v),
    }
}

/// A descriptor: `3`, with `-y` `3</etc/passwd>`. `arg` is the argument index it was passed
/// in (its target may have been captured on entry), `None` for a returned descriptor.
pub(crate) fn fd(c: &mut Ctx, fd: i32, arg: Option<usize>) {
    c.int(fd);
    if c.opts.decode_fds == 0 || fd < 0 {
        return;
    }
    let mut buf = [0u8; 512];
    let path: Option<&[u8]> = match (arg, c.info.entry_fd) {
        (Some(i), Some((j, p))) if i == usize::from(j) => Some(p),
        _ => c
            .mem
            .fd_path(fd, c.opts.decode_fds >= 2, &mut buf)
            .and_then(|n| buf.get(..n)),
    };
    if let Some(p) = path {
        c.s("<");
        fmt_str::fd_path_text(c, p);
        c.s(">");
    }
}

fn format_ret(c: &mut Ctx, kind: Option<Ret>) {
    let Some(r) = c.ret else {
        c.s("?");
        return;
    };
    if let Some(e) = c.err() {
        let name = errno::name(e);
        if errno::is_restart(e) {
            c.s("? ");
        } else {
            c.s("-1 ");
        }
        match name {
            Some(n) => c.s(n),
            None => c.int(e),
        }
        if let Some(m) = errno::message(e) {
            c.s(" (");
            c.s(m);
            c.s(")");
        }
        return;
    }
    if c.nr == u64::from(x86_64::nr::FCNTL) && io::fcntl_ret(c, r) {
        return;
    }
    match kind {
        Some(Ret::Hex) => c.hex(r as u64),
        Some(Ret::Oct) => fs::octal(c, r as u64),
        Some(Ret::Fd) => fd(c, r as i32, None),
        Some(Ret::Pid) => c.pid(r as i32),
        _ => c.out.push_int(r),
    }
    ret_suffix(c, r);
}

/// Text strace adds after a successful return value: `(Timeout)`, revents, fcntl flags.
fn ret_suffix(c: &mut Ctx, r: i64) {
    use x86_64::nr;
    let Ok(n) = u32::try_from(c.nr) else { return };
    match n {
        nr::POLL | nr::PPOLL => io::poll_suffix(c, r),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
