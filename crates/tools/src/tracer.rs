//! `sysgate trace`: the handler behind it. One strace-style line per syscall, formatted inside
//! the traced thread after the call returned, into the thread's line buffer, and written with
//! one `write` to the output descriptor (opened `O_APPEND` by sysgate), so lines of different
//! threads and processes never interleave mid-line.

use crate::{trace, GuestMem, Out, TraceOpts};
use core::fmt::Write;
use sysgate_abi::x86_64::nr;
use sysgate_abi::SyscallSet;
use sysgate_runtime as rt;
use sysgate_runtime::api::{Arch, StartupCell, NR_MAX};

/// How lines are prefixed with the thread id (strace's rules).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Prefix {
    /// No prefix (not following children).
    None,
    /// `-f` to stderr: `[pid  1234] ` on lines of threads other than the first.
    Bracket,
    /// `-f -o FILE`: `1234  ` on every line.
    Pid,
}

/// The tracer's settings, from `SYSGATE_CONFIG` (keys `s`, `x`, `v`, `set`, `prefix`).
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub opts: TraceOpts,
    pub set: SyscallSet,
    pub prefix: Prefix,
    /// Tid whose lines carry no `[pid N]` prefix (the first process).
    pub root: i32,
    /// Output goes to a file (`-o`), not to sysgate's stderr.
    pub to_file: bool,
}

impl Settings {
    /// Reads the settings from the configuration sysgate passed down.
    pub fn from_config(cfg: &rt::config::Config) -> Settings {
        let num = |k: &str, d: usize| cfg.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
        Settings {
            opts: TraceOpts { strsize: num("s", 32), xflag: num("x", 0) as u8, verbose: cfg.get("v") == Some("1") },
            set: cfg.get("set").and_then(SyscallSet::from_words).unwrap_or(SyscallSet::all()),
            prefix: match cfg.get("prefix") {
                Some("pid") => Prefix::Pid,
                Some("bracket") => Prefix::Bracket,
                _ => Prefix::None,
            },
            root: cfg.root_pid,
            to_file: cfg.get("tofile") == Some("1"),
        }
    }
}

static SETTINGS: StartupCell<Settings> = StartupCell::new();

/// The tracer. Configure it with [`Tracer::init`] before the runtime is armed.
pub struct Tracer;

static TRACER: Tracer = Tracer;

impl Tracer {
    pub fn init(settings: Settings) -> &'static Tracer {
        SETTINGS.set(settings);
        &TRACER
    }
}

fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or(Settings {
        opts: TraceOpts::default(),
        set: SyscallSet::all(),
        prefix: Prefix::None,
        root: 0,
        to_file: false,
    })
}

struct Mem;
impl GuestMem for Mem {
    fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
        rt::guest::read(addr, buf)
    }
}

/// Formats one line with the right prefix and writes it out.
fn emit(thread: &mut rt::thread::Thread, f: impl FnOnce(&mut Out<'_>, &Settings)) {
    let fd = rt::fds::out_fd();
    if fd < 0 {
        return;
    }
    let s = settings();
    let mut small = [0u8; 1024];
    // A signal handler that interrupts the formatting of a line and makes a syscall formats
    // its own line into a stack buffer.
    let nested = thread.line_busy;
    thread.line_busy = true;
    let tid = thread.tid;
    let buf: &mut [u8] = if nested { &mut small } else { &mut thread.line };
    let mut out = Out::new(buf);
    match s.prefix {
        Prefix::Pid => {
            let _ = write!(out, "{:<5} ", tid);
        }
        Prefix::Bracket if tid != s.root => {
            let _ = write!(out, "[pid {:>5}] ", tid);
        }
        _ => {}
    }
    f(&mut out, &s);
    rt::raw::write_all(fd, out.as_bytes());
    if !nested {
        thread.line_busy = false;
    }
}

impl rt::Tool for Tracer {
    fn subscribe(&self, wants: &mut [bool; NR_MAX]) {
        let s = settings();
        for (n, w) in wants.iter_mut().enumerate() {
            *w = s.set.contains(n as u64);
        }
        // Exits are always seen: the `+++ exited with N +++` line does not depend on -e.
        wants[nr::EXIT as usize] = true;
        wants[nr::EXIT_GROUP as usize] = true;
    }

    fn exit(&self, call: &mut rt::Call<'_>, ret: i64) {
        if call.arch == Arch::I386 && !wants_i386(call.nr) {
            return;
        }
        personality(call);
        let args = call.args();
        let (n, arch) = (call.nr, call.arch);
        emit(call.thread, |out, s| line(out, s, arch, n, &args, Some(ret)));
    }

    fn noreturn(&self, call: &mut rt::Call<'_>, ret: Option<i64>) {
        let args = call.args();
        let (n, arch) = (call.nr, call.arch);
        let shown = match arch {
            Arch::X86_64 => settings().set.contains(n),
            Arch::I386 => wants_i386(n),
        };
        if shown {
            personality(call);
            emit(call.thread, |out, s| line(out, s, arch, n, &args, ret));
        }
        let exits = match arch {
            Arch::X86_64 => n == nr::EXIT_GROUP as u64 || n == nr::EXIT as u64,
            Arch::I386 => n == 1 || n == 252,
        };
        if exits {
            let code = (args[0] & 0xff) as i32;
            emit(call.thread, |out, _| trace::format_exited(out, code));
        }
    }
}

fn line(out: &mut Out<'_>, s: &Settings, arch: Arch, n: u64, args: &[u64; 6], ret: Option<i64>) {
    match arch {
        Arch::X86_64 => trace::format_syscall(out, &Mem, &s.opts, n, args, ret),
        Arch::I386 => trace::format_syscall_i386(out, &Mem, &s.opts, n, args, ret),
    }
}

/// An i386 call is shown when `-e trace=` holds the x86-64 syscall of the same name (or, for
/// names only i386 has, when everything is traced).
fn wants_i386(n: u64) -> bool {
    let set = settings().set;
    match sysgate_abi::i386::name(n).and_then(sysgate_abi::x86_64::number) {
        Some(n64) => set.contains(n64 as u64),
        None => set == SyscallSet::all(),
    }
}

/// Which personality the thread's last shown call had (`tool_scratch` word; 0 = 64-bit).
const PERSONALITY: usize = 7;

/// strace marks a switch between 64-bit and 32-bit calls with a `[ Process PID=… ]` line on
/// its stderr (never in a `-o` file), without a pid prefix.
fn personality(call: &mut rt::Call<'_>) {
    let want = (call.arch == Arch::I386) as u64;
    if call.thread.tool_scratch[PERSONALITY] == want {
        return;
    }
    call.thread.tool_scratch[PERSONALITY] = want;
    if settings().to_file {
        return;
    }
    let tid = call.thread.tid;
    let bits = if want == 1 { 32 } else { 64 };
    let mut buf = [0u8; 64];
    let mut out = Out::new(&mut buf);
    trace::format_personality(&mut out, tid, bits);
    rt::raw::write_all(rt::fds::out_fd(), out.as_bytes());
}

/// Prints the `execve(...) = 0` line of a traced exec from inside the new image: `argv` and
/// `envp` are the new image's, `auxv` its aux vector (for `AT_EXECFN`, the name as given).
pub fn image_started(thread: &mut rt::thread::Thread, argv: u64, envp: u64, auxv: u64) {
    let cfg = rt::config::get();
    if !thread.traced || cfg.execve_envp.is_none() || !settings().set.contains(nr::EXECVE as u64) {
        return;
    }
    const AT_EXECFN: u64 = 31;
    let mut execfn = 0u64;
    for i in 0..64u64 {
        let mut pair = [0u8; 16];
        if !rt::guest::read(auxv + i * 16, &mut pair) {
            break;
        }
        let (k, v) = pair.split_at(8);
        let key = u64::from_ne_bytes(k.try_into().unwrap_or([0; 8]));
        let val = u64::from_ne_bytes(v.try_into().unwrap_or([0; 8]));
        if key == 0 {
            break;
        }
        if key == AT_EXECFN {
            execfn = val;
        }
    }
    let args = [execfn, argv, envp, 0, 0, 0];
    emit(thread, |out, s| trace::format_syscall(out, &Mem, &s.opts, nr::EXECVE as u64, &args, Some(0)));
}
