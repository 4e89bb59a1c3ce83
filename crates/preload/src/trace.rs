//! `sysgate trace`: one strace-style line per syscall, formatted inside the traced thread.
//!
//! Lines are formatted whole, after the call returned, into the thread's line buffer and
//! written with one `write` to the output descriptor (opened `O_APPEND` by sysgate), so lines
//! of different threads and processes never interleave mid-line.

use core::cell::UnsafeCell;
use core::fmt::Write;
use sysgate_abi::x86_64::nr;
use sysgate_runtime as rt;
use sysgate_tools::{trace, GuestMem, Out, TraceOpts};

/// How lines are prefixed with the thread id (strace's rules).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prefix {
    /// No prefix (not following children).
    None,
    /// `-f` to stderr: `[pid  1234] ` on lines of threads other than the first.
    Bracket,
    /// `-f -o FILE`: `1234  ` on every line.
    Pid,
}

struct Trace {
    opts: TraceOpts,
    set: sysgate_abi::SyscallSet,
    prefix: Prefix,
    root: i32,
}

struct Cell(UnsafeCell<Trace>);
// SAFETY: written once by `init` before the runtime is armed, read-only afterwards.
unsafe impl Sync for Cell {}
static TRACE: Cell = Cell(UnsafeCell::new(Trace {
    opts: TraceOpts { strsize: 32, xflag: 0, verbose: false },
    set: sysgate_abi::SyscallSet::all(),
    prefix: Prefix::None,
    root: 0,
}));

struct Mem;
impl GuestMem for Mem {
    fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
        rt::guest::read(addr, buf)
    }
}

fn parse_num(s: Option<&str>, default: usize) -> usize {
    s.and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn parse_set(s: &str) -> Option<sysgate_abi::SyscallSet> {
    let mut words = [0u64; 8];
    let mut it = s.split(',');
    for w in words.iter_mut() {
        *w = u64::from_str_radix(it.next()?, 16).ok()?;
    }
    Some(sysgate_abi::SyscallSet(words))
}

pub(crate) fn init(cfg: &'static rt::config::Config) -> &'static dyn rt::Tool {
    // SAFETY: single-threaded start-up, before the runtime is armed.
    let t = unsafe { &mut *TRACE.0.get() };
    t.opts.strsize = parse_num(cfg.get("s"), 32);
    t.opts.xflag = parse_num(cfg.get("x"), 0) as u8;
    t.opts.verbose = cfg.get("v") == Some("1");
    if let Some(set) = cfg.get("set").and_then(parse_set) {
        t.set = set;
    }
    t.prefix = match cfg.get("prefix") {
        Some("pid") => Prefix::Pid,
        Some("bracket") => Prefix::Bracket,
        _ => Prefix::None,
    };
    t.root = cfg.root_pid;
    &Tracer
}

fn get() -> &'static Trace {
    // SAFETY: read-only after `init`.
    unsafe { &*TRACE.0.get() }
}

struct Tracer;

/// Formats one line with the right prefix and writes it out.
fn emit(thread: &mut rt::thread::Thread, f: impl FnOnce(&mut Out<'_>)) {
    let fd = rt::fds::out_fd();
    if fd < 0 {
        return;
    }
    let t = get();
    let mut small = [0u8; 1024];
    let nested = thread.line_busy;
    thread.line_busy = true;
    let tid = thread.tid;
    let buf: &mut [u8] = if nested { &mut small } else { &mut thread.line };
    let mut out = Out::new(buf);
    match t.prefix {
        Prefix::Pid => {
            let _ = write!(out, "{:<5} ", tid);
        }
        Prefix::Bracket if tid != t.root => {
            let _ = write!(out, "[pid {:>5}] ", tid);
        }
        _ => {}
    }
    f(&mut out);
    rt::raw::write_all(fd, out.as_bytes());
    if !nested {
        thread.line_busy = false;
    }
}

impl rt::Tool for Tracer {
    fn subscribe(&self, wants: &mut [bool; rt::api::NR_MAX]) {
        let t = get();
        for (n, w) in wants.iter_mut().enumerate() {
            *w = t.set.contains(n as u64);
        }
        // Exits are always seen: the `+++ exited with N +++` line does not depend on -e.
        wants[nr::EXIT as usize] = true;
        wants[nr::EXIT_GROUP as usize] = true;
    }

    fn exit(&self, call: &mut rt::Call<'_>, ret: i64) {
        let args = call.args();
        let n = call.nr;
        emit(call.thread, |out| trace::format_syscall(out, &Mem, &get().opts, n, &args, Some(ret)));
    }

    fn noreturn(&self, call: &mut rt::Call<'_>, ret: Option<i64>) {
        let args = call.args();
        let n = call.nr;
        let t = get();
        if t.set.contains(n) {
            emit(call.thread, |out| trace::format_syscall(out, &Mem, &t.opts, n, &args, ret));
        }
        if n == nr::EXIT_GROUP as u64 || n == nr::EXIT as u64 {
            let code = (args[0] & 0xff) as i32;
            emit(call.thread, |out| trace::format_exited(out, code));
        }
    }
}

/// Prints the `execve(...) = 0` line of a traced exec, from inside the new image.
pub(crate) fn image_started(thread: &mut rt::thread::Thread, argv: *const *const u8, envp: *const *const u8, auxv: *const u64) {
    let cfg = rt::config::get();
    if cfg.get("tool") != Some("trace") || !thread.traced || cfg.execve_envp.is_none() {
        return;
    }
    if !get().set.contains(nr::EXECVE as u64) {
        return;
    }
    // AT_EXECFN (31): the filename as given to execve.
    let mut execfn = 0u64;
    let mut i = 0usize;
    loop {
        let mut pair = [0u8; 16];
        if !rt::guest::read(auxv as u64 + (i * 16) as u64, &mut pair) {
            break;
        }
        let key = u64::from_ne_bytes([pair[0], pair[1], pair[2], pair[3], pair[4], pair[5], pair[6], pair[7]]);
        let val = u64::from_ne_bytes([pair[8], pair[9], pair[10], pair[11], pair[12], pair[13], pair[14], pair[15]]);
        if key == 0 {
            break;
        }
        if key == 31 {
            execfn = val;
        }
        i += 1;
    }
    let args = [execfn, argv as u64, envp as u64, 0, 0, 0];
    emit(thread, |out| trace::format_syscall(out, &Mem, &get().opts, nr::EXECVE as u64, &args, Some(0)));
}

