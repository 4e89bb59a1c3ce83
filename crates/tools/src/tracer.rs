//! `sysgate trace`: the handler behind it. One strace-style line per syscall, formatted inside
//! the traced thread after the call returned, into the thread's line buffer, and written with
//! one `write` to the output descriptor (opened `O_APPEND` by sysgate), so lines of different
//! threads and processes never interleave mid-line.

use crate::trace::{self, CallInfo, LineMarks};
use crate::{GuestMem, Out, TraceOpts};
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};
use rt::output::ring;
use sysgate_abi::ring::{flags as ring_flags, kind as ring_kind};
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

/// Which calls `-e status=` keeps (strace's names); `-z` is `SUCCESSFUL`, `-Z` is `FAILED`.
pub mod status {
    /// Returned without an error.
    pub const SUCCESSFUL: u8 = 1;
    /// Returned an error.
    pub const FAILED: u8 = 2;
    /// Did not return (`exit_group`, a successful `execve` seen from the old image).
    pub const UNFINISHED: u8 = 4;
    /// Returned, but the value could not be fetched (never the case in-process).
    pub const UNAVAILABLE: u8 = 8;
    /// The tracer detached during the call (never the case in-process).
    pub const DETACHED: u8 = 16;
    /// Everything (the default).
    pub const ALL: u8 = 31;
}

/// The tracer's settings, from `SYSGATE_CONFIG` (keys `s`, `x`, `v`, `y`, `set`, `prefix`,
/// `status`, `t`, `r`, `T`, `q`, `ff`).
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub opts: TraceOpts,
    pub set: SyscallSet,
    /// Every syscall is traced (`-e trace=all`): the tracer sees every `close`, so it keeps
    /// the table of regular-file descriptors (`fdkind`).
    pub every_call: bool,
    pub prefix: Prefix,
    /// Tid whose lines carry no `[pid N]` prefix (the first process).
    pub root: i32,
    /// `-f`: children are traced too (and a child killed by a signal gets its line when its
    /// parent reaps it).
    pub follow: bool,
    /// Output goes to a file (`-o`), not to sysgate's stderr.
    pub to_file: bool,
    /// [`status`] bits of the calls shown.
    pub status: u8,
    /// `-t` (1), `-tt` (2), `-ttt` (3): time of day before each line.
    pub timestamps: u8,
    /// `-r`: time since the previous call's entry before each line.
    pub relative: bool,
    /// `-T`: time spent in the call after each line.
    pub time_in_call: bool,
    /// `-qq`: no `+++ exited with N +++` lines.
    pub quiet_exits: bool,
    /// Signals whose delivery lines are shown (`-e signal=`; bit n-1 for signal n).
    pub signals: u64,
    /// strace text, JSON lines (`--json`) or trace events (`--perfetto`).
    pub format: Format,
    /// `-k`: bytes of the caller's stack copied after each line (0: no stack traces).
    pub stack_bytes: usize,
    /// `-n`: the syscall number before each line, `[   1] `.
    pub numbers: bool,
    /// `-i`: the instruction pointer at the call before each line, `[00007f…] `.
    pub ips: bool,
    /// `-e quiet=personality`: no `[ Process PID=N runs in 32 bit mode. ]` notes.
    pub quiet_personality: bool,
    /// `-P`: only calls touching these paths (`HEX,HEX…`, see `pathtrace.rs`).
    pub paths: Option<&'static str>,
    /// `--syscall-limit`: the number of call lines shown, and the word of the shared region
    /// that counts them for the whole tree.
    pub limit: Option<(u64, usize)>,
    /// `-e read=`, `-e write=`: descriptors whose data is dumped (strace's set words).
    pub dump_read: Option<&'static str>,
    pub dump_write: Option<&'static str>,
}

/// How each call is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    /// strace's lines.
    Text,
    /// One JSON object per line (`--json`).
    Json,
    /// Chrome/Perfetto trace events, one per line, each followed by `,` (`--perfetto`).
    Perfetto,
}

impl Settings {
    /// Reads the settings from the configuration sysgate passed down.
    pub fn from_config(cfg: &'static rt::config::Config) -> Settings {
        let num = |k: &str, d: usize| cfg.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
        let set = cfg
            .get("set")
            .and_then(SyscallSet::from_words)
            .unwrap_or(SyscallSet::all());
        Settings {
            opts: TraceOpts {
                strsize: num("s", 32),
                xflag: num("x", 0) as u8,
                verbose: cfg.get("v") == Some("1"),
                decode_fds: num("y", 0) as u8,
                column: num("a", sysgate_abi::ring::RESULT_COLUMN + 1).max(1) - 1,
                decode_pids: cfg.get("Y") == Some("1"),
            },
            set,
            every_call: set.0 == SyscallSet::all().0,
            prefix: match cfg.get("prefix") {
                Some("pid") => Prefix::Pid,
                Some("bracket") => Prefix::Bracket,
                _ => Prefix::None,
            },
            root: cfg.root_pid,
            follow: cfg.get("follow") == Some("1"),
            to_file: cfg.get("tofile") == Some("1"),
            status: num("status", usize::from(status::ALL)) as u8,
            timestamps: num("t", 0) as u8,
            relative: cfg.get("r") == Some("1"),
            time_in_call: cfg.get("T") == Some("1"),
            quiet_exits: num("q", 0) >= 2,
            signals: cfg
                .get("sig")
                .and_then(|v| u64::from_str_radix(v, 16).ok())
                .unwrap_or(!0),
            format: match cfg.get("fmt") {
                Some("json") => Format::Json,
                Some("perfetto") => Format::Perfetto,
                _ => Format::Text,
            },
            stack_bytes: num("k", 0).min(crate::stack::MAX_BYTES),
            numbers: cfg.get("n") == Some("1"),
            ips: cfg.get("i") == Some("1"),
            quiet_personality: cfg.get("qp") == Some("1"),
            paths: cfg.get("P"),
            dump_read: cfg.get("rd"),
            dump_write: cfg.get("wr"),
            limit: match (num("lim", 0), cfg.get("limw").and_then(|v| v.parse().ok())) {
                (0, _) | (_, None) => None,
                (n, Some(w)) => Some((n as u64, w)),
            },
        }
    }

    /// Whether calls need their entry time.
    fn timed(&self) -> bool {
        self.timestamps > 0 || self.relative || self.time_in_call || self.format != Format::Text
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

/// Until `init`: defaults (a tool that is never configured prints like plain `strace`).
static DEFAULT_SETTINGS: Settings = Settings {
    opts: TraceOpts {
        strsize: 32,
        xflag: 0,
        verbose: false,
        decode_fds: 0,
        column: sysgate_abi::ring::RESULT_COLUMN,
        decode_pids: false,
    },
    set: SyscallSet::all(),
    every_call: true,
    prefix: Prefix::None,
    root: 0,
    follow: false,
    to_file: false,
    status: status::ALL,
    timestamps: 0,
    relative: false,
    time_in_call: false,
    quiet_exits: false,
    signals: !0,
    format: Format::Text,
    stack_bytes: 0,
    numbers: false,
    ips: false,
    quiet_personality: false,
    paths: None,
    limit: None,
    dump_read: None,
    dump_write: None,
};

/// The settings, by reference: this is read several times per line.
fn settings() -> &'static Settings {
    SETTINGS.get().unwrap_or(&DEFAULT_SETTINGS)
}

/// `tool_scratch` words (word 7 is the personality, below; 4 and 6 belong to `count` and
/// `inject`, see `crate::scratch`).
mod scratch {
    /// CLOCK_MONOTONIC at entry, ns (+1, so that 0 means "not taken").
    pub const ENTRY_MONO: usize = 0;
    /// CLOCK_REALTIME at entry, ns.
    pub const ENTRY_REAL: usize = 1;
    /// A value-result argument at entry: `1 << 63 | index << 56 | value` (value < 2^56).
    pub const ENTRY_VALUE: usize = 2;
    /// `-y`: `1 << 63 | index << 32 | length` of the path of a descriptor argument, saved on
    /// entry at the end of the line buffer (`close`, `dup2`, `dup3`).
    pub const ENTRY_FD: usize = 3;
    /// Which calls in progress (nested in signal handlers, innermost in bit 0) had their entry
    /// half recorded: their line then ends it (`sysgate_abi::ring::flags::RESUMES`).
    pub const ENTRY_STACK: usize = 5;
    /// `-k`: the highest address known readable above the stack pointer (see `stack.rs`).
    pub const STACK_END: usize = 12;
    /// `-n`, `-i`: the number and instruction pointer of the thread's last call seen (+1 for
    /// the number, so that 0 means none), for the lines that are not a call's own.
    pub const LAST_NR: usize = 13;
    pub const LAST_IP: usize = 14;
    /// `-P`: which calls in progress (as [`ENTRY_STACK`]) touch none of the paths.
    pub const PATH_MISS: usize = 15;
}

const TAGGED: u64 = 1 << 63;
/// Room kept at the end of the line buffer for a descriptor's path captured on entry.
const FD_ROOM: usize = 1024;
/// Bytes an entry half may take (a longer one is not recorded: the call's line alone shows it).
const ENTRY_ROOM: usize = 1024;

fn clock_ns(clock: u64) -> u64 {
    let mut ts = [0i64; 2];
    let r = rt::raw::syscall2(nr::CLOCK_GETTIME, clock, ts.as_mut_ptr() as u64);
    if r != 0 {
        return 0;
    }
    (ts[0] as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts[1] as u64)
}

const CLOCK_REALTIME: u64 = 0;
const CLOCK_MONOTONIC: u64 = 1;

/// Entry times of the call a line is about: `(monotonic, realtime)` in ns.
#[derive(Clone, Copy, Default)]
struct Times {
    mono: u64,
    real: u64,
}

impl Times {
    fn now() -> Times {
        Times {
            mono: clock_ns(CLOCK_MONOTONIC),
            real: clock_ns(CLOCK_REALTIME),
        }
    }
}

/// Monotonic entry time of the previous line of this process (`-r`).
static LAST_ENTRY: AtomicU64 = AtomicU64::new(0);

struct Mem;
impl GuestMem for Mem {
    fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
        rt::memory::guest::read(addr, buf)
    }

    fn fd_path(&self, fd: i32, detail: bool, buf: &mut [u8]) -> Option<usize> {
        let n = fd_link(fd, buf)?;
        if detail && buf.get(..8) == Some(b"socket:[") {
            if let Some(m) = socket_endpoints(fd, buf) {
                return Some(m);
            }
        }
        Some(n)
    }

    fn pid_comm(&self, pid: i32, buf: &mut [u8]) -> Option<usize> {
        let mut path = [0u8; 32];
        let len = {
            let mut o = Out::new(&mut path);
            let _ = write!(o, "/proc/{}/comm", pid);
            o.len()
        };
        *path.get_mut(len)? = 0;
        let path = core::ffi::CStr::from_bytes_until_nul(&path).ok()?;
        let n = rt::raw::read_file(path, buf)?;
        // The name ends in a newline.
        Some(buf[..n].iter().position(|&c| c == b'\n').unwrap_or(n))
    }
}

/// `readlink("/proc/self/fd/N")` into `buf`.
pub(crate) fn fd_link(fd: i32, buf: &mut [u8]) -> Option<usize> {
    let mut path = [0u8; 32];
    let len = {
        let mut o = Out::new(&mut path);
        let _ = write!(o, "/proc/self/fd/{}", fd);
        o.len()
    };
    if let Some(z) = path.get_mut(len) {
        *z = 0;
    }
    const AT_FDCWD: i32 = -100;
    let r = rt::raw::syscall4(
        nr::READLINKAT,
        AT_FDCWD as u64,
        path.as_ptr() as u64,
        buf.as_mut_ptr() as u64,
        buf.len() as u64,
    );
    usize::try_from(r).ok()
}

/// `-yy` for an inet socket: `TCP:[127.0.0.1:8080->127.0.0.1:40000]` (`TCPv6:[[::1]:80]`,
/// `UDP:[…]`), from the socket's own names; `None` for other sockets (shown as `socket:[ino]`).
fn socket_endpoints(fd: i32, buf: &mut [u8]) -> Option<usize> {
    const SOL_SOCKET: u64 = 1;
    const SO_PROTOCOL: u64 = 38;
    const SO_DOMAIN: u64 = 39;
    let opt = |name: u64| -> Option<u32> {
        let mut v = 0u32;
        let mut len = 4u32;
        let r = rt::raw::syscall6(
            nr::GETSOCKOPT,
            [
                fd as u64,
                SOL_SOCKET,
                name,
                &mut v as *mut u32 as u64,
                &mut len as *mut u32 as u64,
                0,
            ],
        );
        (r == 0).then_some(v)
    };
    let domain = opt(SO_DOMAIN)?;
    let proto = match opt(SO_PROTOCOL)? {
        6 => "TCP",
        17 => "UDP",
        136 => "UDPLITE",
        _ => return None,
    };
    let v6 = match domain {
        2 => false,
        10 => true,
        _ => return None,
    };
    let name = |which: u32, sa: &mut [u8; 28]| -> bool {
        let mut len = sa.len() as u32;
        rt::raw::syscall3(
            which,
            fd as u64,
            sa.as_mut_ptr() as u64,
            &mut len as *mut u32 as u64,
        ) == 0
            && len >= 2
    };
    let mut local = [0u8; 28];
    let mut peer = [0u8; 28];
    if !name(nr::GETSOCKNAME, &mut local) {
        return None;
    }
    let connected = name(nr::GETPEERNAME, &mut peer);
    // An unbound socket shows its inode, as strace does: `TCP:[225119]`.
    let unbound = local.get(2..4) == Some(&[0, 0]);
    let mut ino = [0u8; 24];
    let ino_len = buf
        .iter()
        .position(|&b| b == b']')
        .unwrap_or(0)
        .min(ino.len() + 8);
    if let (Some(dst), Some(src)) = (
        ino.get_mut(..ino_len.saturating_sub(8)),
        buf.get(8..ino_len),
    ) {
        dst.copy_from_slice(src);
    }
    let ino = ino.get(..ino_len.saturating_sub(8)).unwrap_or(&[]);
    let mut o = Out::new(buf);
    let _ = write!(o, "{}{}:[", proto, if v6 { "v6" } else { "" });
    if unbound {
        o.push_bytes(ino);
        o.push_str("]");
        return (!o.truncated()).then(|| o.len());
    }
    trace::write_inet_endpoint(&mut o, &local);
    if connected {
        o.push_str("->");
        trace::write_inet_endpoint(&mut o, &peer);
    }
    o.push_str("]");
    (!o.truncated()).then(|| o.len())
}

/// What a line is about (the JSON forms need to know).
#[derive(Clone, Copy)]
enum Kind {
    /// A call: its raw result (`None`: it did not return), the `inject` marks, and whether
    /// its entry half was recorded.
    Call {
        ret: Option<i64>,
        marks: u64,
        resumes: bool,
        /// rip, rsp and rbp at the call, for `-k`'s stack snapshot.
        at: Option<[u64; 3]>,
        /// `-e read=`/`write=`: the data to dump in hex after the line (address, length).
        dump: Option<(u64, usize)>,
    },
    /// `+++ exited with N +++`; `group`: the whole process (`exit_group`), reported under the
    /// thread-group leader's id as strace does, whichever thread called it (Go's main
    /// goroutine runs on any thread).
    Exit { code: i32, group: bool },
    /// `--- SIGxxx {…} ---` (text output only).
    Signal,
    /// `+++ killed by SIG +++` of child `pid`, which the thread has just reaped (text only).
    Killed { pid: i32 },
}

/// Formats one line with the right prefix (pid, timestamps) and writes it out. `times` are
/// the call's entry times (for `-t`, `-r`); `elapsed` its time in the kernel (for `-T`).
/// With `--json`/`--perfetto` the strace text `f` writes is taken apart into JSON instead.
fn emit(
    thread: &mut rt::process::thread::Thread,
    times: Option<Times>,
    elapsed: Option<u64>,
    kind: Kind,
    f: impl FnOnce(&mut Out<'_>, &Settings, Option<(u8, &[u8])>) -> LineMarks,
) {
    let s = settings();
    let fd = rt::output::out::fd();
    if fd < 0 && !rt::output::ring::active() {
        return;
    }
    if let Some((limit, word)) = s.limit {
        if !within_limit(&kind, limit, word) {
            return;
        }
    }
    // A signal handler that interrupts the formatting of a line and makes a syscall formats
    // its own line into a stack buffer (zeroed only then: 3 KiB of memset per line showed in
    // profiles).
    if thread.line_busy {
        let mut small = [0u8; 1024];
        let mut small_json = [0u8; 2048];
        emit_into(
            thread,
            s,
            fd,
            Some((&mut small, &mut small_json)),
            times,
            elapsed,
            kind,
            f,
        );
    } else {
        thread.line_busy = true;
        emit_into(thread, s, fd, None, times, elapsed, kind, f);
        thread.line_busy = false;
    }
}

/// `-e read=`/`write=`: the data of a successful call of `nr` to dump after its line: what a
/// read returned, what a write was given (as strace dumps them), when its descriptor is in
/// the set.
fn dumped(s: &Settings, nr: u64, args: &[u64; 6], ret: i64) -> Option<(u64, usize)> {
    if ret < 0 {
        return None;
    }
    let (set, len) = match u32::try_from(nr).ok()? {
        nr::READ | nr::PREAD64 | nr::RECVFROM => (s.dump_read?, ret as usize),
        nr::WRITE | nr::PWRITE64 | nr::SENDTO => (s.dump_write?, args[2] as usize),
        _ => return None,
    };
    crate::dump::fd_in(set, args[0] as u32 as i32).then_some((args[1], len))
}

/// `--syscall-limit`: whether a line of `kind` is still shown. Each call line takes one of
/// the `limit` for the whole tree; once they are gone nothing more is (as strace detaches).
fn within_limit(kind: &Kind, limit: u64, word: usize) -> bool {
    let Some(count) = rt::output::shared::words().and_then(|w| w.get(word)) else {
        return true;
    };
    match kind {
        Kind::Call { .. } => count.fetch_add(1, Ordering::Relaxed) < limit,
        _ => count.load(Ordering::Relaxed) < limit,
    }
}

/// [`emit`] with its buffers: the thread's line buffer, or `nested` stack buffers (text, JSON).
#[allow(clippy::too_many_arguments)]
fn emit_into(
    thread: &mut rt::process::thread::Thread,
    s: &Settings,
    fd: i32,
    nested_bufs: Option<(&mut [u8], &mut [u8])>,
    times: Option<Times>,
    elapsed: Option<u64>,
    kind: Kind,
    f: impl FnOnce(&mut Out<'_>, &Settings, Option<(u8, &[u8])>) -> LineMarks,
) {
    let (pid, tid) = match kind {
        Kind::Exit { group: true, .. } => (thread.pid, thread.pid),
        Kind::Killed { pid, .. } => (pid, pid),
        _ => (thread.pid, thread.tid),
    };
    let saved = thread.tool_scratch[scratch::ENTRY_FD];
    thread.tool_scratch[scratch::ENTRY_FD] = 0;
    let (nested_text, nested_json) = match nested_bufs {
        Some((t, j)) => (Some(t), Some(j)),
        None => (None, None),
    };
    let (buf, entry_fd): (&mut [u8], Option<(u8, &[u8])>) = if let Some(t) = nested_text {
        (t, None)
    } else {
        let (head, tail) = thread
            .line
            .split_at_mut(rt::process::thread::LINE_CAP - FD_ROOM);
        let path = if saved & TAGGED != 0 {
            tail.get(..(saved & 0xffff) as usize)
        } else {
            None
        };
        (head, path.map(|p| (((saved >> 32) & 7) as u8, p)))
    };
    if s.format != Format::Text {
        // Text in the first part of the buffer, JSON in the rest.
        let (text_buf, json_buf): (&mut [u8], &mut [u8]) = if let Some(j) = nested_json {
            (buf, j)
        } else {
            let cut = buf.len() / 3;
            buf.split_at_mut(cut)
        };
        let mut out = Out::new(text_buf);
        let mut j = crate::json::Json::new(&mut *json_buf, crate::json::RESERVE);
        let t = times.unwrap_or_default();
        let written = match (kind, s.format) {
            (Kind::Exit { code, .. }, Format::Json) => {
                crate::json::write_exit(&mut j, pid, tid, t.real, code);
                true
            }
            (Kind::Exit { .. } | Kind::Signal | Kind::Killed { .. }, _) => false,
            (Kind::Call { ret, marks, .. }, format) => {
                f(&mut out, s, entry_fd);
                let ev = crate::json::Event {
                    pid,
                    tid,
                    time_ns: t.real,
                    mono_ns: t.mono,
                    duration_ns: elapsed,
                    line: out.as_bytes(),
                    ret,
                    injected: marks & crate::inject::INJECTED != 0,
                    delayed: marks & crate::inject::DELAYED != 0,
                };
                if format == Format::Json {
                    crate::json::write_call(&mut j, &ev)
                } else {
                    crate::json::write_trace_event(&mut j, &ev)
                }
            }
        };
        if written {
            let len = j.as_bytes().len();
            // `-k`: the stack snapshot follows the JSON text (`sysgate` adds the frames).
            let stack = match kind {
                Kind::Call { at: Some(at), .. } if s.stack_bytes > 0 && ring::active() => {
                    let w = ring::Writer {
                        cell: &mut thread.ring,
                        own_tid: thread.tid,
                        pid: thread.pid,
                    };
                    crate::stack::send_maps(w, thread.pid, &mut json_buf[len..]);
                    let end = &mut thread.tool_scratch[scratch::STACK_END];
                    crate::stack::snapshot(end, at, s.stack_bytes, &mut json_buf[len..])
                }
                _ => 0,
            };
            let m = ring::Marks {
                stack: if stack > 0 { len as u16 } else { 0 },
                ..ring::Marks::default()
            };
            deliver(
                ring::Writer {
                    cell: &mut thread.ring,
                    own_tid: thread.tid,
                    pid: thread.pid,
                },
                pid,
                fd,
                ring_kind::RAW,
                0,
                tid,
                m,
                &json_buf[..len + stack],
            );
        }
        return;
    }
    let mut out = Out::new(buf);
    write_prefix(&mut out, s, tid);
    if let Some(t) = times {
        write_timestamps(&mut out, s, t);
    }
    if s.numbers || s.ips {
        let ip = match kind {
            Kind::Call { at: Some(at), .. } => Some(at[0]),
            Kind::Exit { .. } => None,
            _ => Some(thread.tool_scratch[scratch::LAST_IP]),
        };
        write_nr_ip(&mut out, s, thread.tool_scratch[scratch::LAST_NR], ip);
    }
    let head = out.len();
    let lm = f(&mut out, s, entry_fd);
    let (marks, resumes, at, dump) = match kind {
        Kind::Call {
            marks,
            resumes,
            at,
            dump,
            ..
        } => (marks, resumes, at, dump),
        Kind::Exit { .. } | Kind::Signal | Kind::Killed { .. } => (0, false, None, None),
    };
    if marks != 0 {
        // strace: `= -1 ENOENT (No such file or directory) (INJECTED) (DELAYED)`.
        if out.as_bytes().last() == Some(&b'\n') {
            out.truncate(out.len() - 1);
        }
        if marks & crate::inject::INJECTED != 0 {
            out.push_str(" (INJECTED)");
        }
        if marks & crate::inject::DELAYED != 0 {
            out.push_str(" (DELAYED)");
        }
        out.end_line();
    }
    if let (Some(ns), true) = (elapsed, s.time_in_call) {
        // ` <0.000012>` goes after the result, before the newline.
        if out.as_bytes().last() == Some(&b'\n') {
            out.truncate(out.len() - 1);
        }
        let _ = write!(
            out,
            " <{}.{:06}>",
            ns / 1_000_000_000,
            ns % 1_000_000_000 / 1000
        );
        out.end_line();
    }
    if let Some((addr, len)) = dump {
        crate::dump::hex_lines(&mut out, &Mem, addr, len);
    }
    let text_len = out.len();
    // `-k`: the stack snapshot follows the text in the same record.
    let stack = match at {
        Some(at) if s.stack_bytes > 0 && ring::active() => {
            // The mappings first, if they changed (through the free part of the buffer).
            let w = ring::Writer {
                cell: &mut thread.ring,
                own_tid: thread.tid,
                pid: thread.pid,
            };
            crate::stack::send_maps(w, thread.pid, &mut buf[text_len..]);
            let end = &mut thread.tool_scratch[scratch::STACK_END];
            crate::stack::snapshot(end, at, s.stack_bytes, &mut buf[text_len..])
        }
        _ => 0,
    };
    let m = ring::Marks {
        head: head as u16,
        resume: lm.resume as u16,
        close: lm.close as u16,
        result: lm.result as u16,
        stack: if stack > 0 { text_len as u16 } else { 0 },
    };
    let flags = match kind {
        Kind::Killed { .. } => ring_flags::ENDS_PROCESS,
        _ if resumes && lm.close > 0 => ring_flags::RESUMES,
        _ => 0,
    };
    deliver(
        ring::Writer {
            cell: &mut thread.ring,
            own_tid: thread.tid,
            pid: thread.pid,
        },
        pid,
        fd,
        ring_kind::LINE,
        flags,
        tid,
        m,
        &buf[..text_len + stack],
    );
}

/// Hands a record to the thread's ring (under `sysgate`), or writes it to `fd`.
#[allow(clippy::too_many_arguments)]
fn deliver(
    w: ring::Writer<'_>,
    pid: i32,
    fd: i32,
    kind: u8,
    flags: u8,
    tid: i32,
    m: ring::Marks,
    bytes: &[u8],
) {
    if ring::active() {
        ring::push(w, tid, pid, kind, flags, m, bytes);
    } else if fd >= 0 && kind != ring_kind::ENTRY {
        rt::output::out::write(fd, bytes);
    }
}

/// The pid prefix of a line (strace's rules: `1234  ` with `-f -o`, `[pid  1234] ` with `-f`
/// to stderr for threads other than the first).
fn write_prefix(out: &mut Out<'_>, s: &Settings, tid: i32) {
    // `-Y`: the thread's name after its id (`1234<cat> `, `[pid  1234<cat>] `), unpadded.
    let named = s.opts.decode_pids;
    match s.prefix {
        Prefix::Pid => {
            // `{:<5} `, or the id alone before a name.
            let at = out.len();
            out.push_int(tid);
            if !(named && crate::write_comm(out, tid, &Mem)) {
                out.pad_to(at + 5);
            }
            out.push(b' ');
        }
        Prefix::Bracket if tid != s.root => {
            let _ = write!(out, "[pid {:>5}", tid);
            if named {
                crate::write_comm(out, tid, &Mem);
            }
            out.push_str("] ");
        }
        _ => {}
    }
}

/// strace's `-n` and `-i` columns: `[ 231] ` (the number + 1, 0: none) and `[00007f…] `
/// (`[????????????????] ` where there is no call, as on an exit line).
fn write_nr_ip(out: &mut Out<'_>, s: &Settings, nr1: u64, ip: Option<u64>) {
    if s.numbers {
        out.push(b'[');
        let at = out.len();
        let n = nr1.saturating_sub(1);
        let digits = if n == 0 { 1 } else { n.ilog10() as usize + 1 };
        while out.len() < at + 4usize.saturating_sub(digits) {
            out.push(b' ');
        }
        out.push_int(n);
        out.push_str("] ");
    }
    if s.ips {
        match ip {
            Some(ip) => {
                let _ = write!(out, "[{ip:016x}] ");
            }
            None => out.push_str("[????????????????] "),
        }
    }
}

/// Records the entry half of a call that may block (`read(3, `), so that `sysgate` can show
/// it while the call runs; returns whether it did.
fn record_entry(call: &mut rt::Call<'_>, s: &Settings, args: &[u64; 6]) -> bool {
    let spent = s.limit.is_some_and(|(limit, word)| {
        rt::output::shared::words()
            .and_then(|w| w.get(word))
            .is_some_and(|c| c.load(Ordering::Relaxed) >= limit)
    });
    if spent
        || !ring::active()
        || s.format != Format::Text
        || s.status != status::ALL
        || s.relative
        || call.thread.line_busy
        || !sysgate_abi::x86_64::may_block(call.nr)
        || crate::fdkind::open_cannot_wait(call.nr, args)
        || (s.every_call
            && crate::fdkind::file_io(call.nr)
            && crate::fdkind::is_regular(args[0] & 0xffff_ffff))
    {
        return false;
    }
    // A signal handler nested in what follows formats its lines elsewhere (see `emit`).
    call.thread.line_busy = true;
    let recorded = format_entry(call, s, args);
    call.thread.line_busy = false;
    recorded
}

/// [`record_entry`] in the thread's line buffer, which the caller holds.
fn format_entry(call: &mut rt::Call<'_>, s: &Settings, args: &[u64; 6]) -> bool {
    let (tid, pid) = (call.thread.tid, call.thread.pid);
    let scratch_times = (
        call.thread.tool_scratch[scratch::ENTRY_MONO],
        call.thread.tool_scratch[scratch::ENTRY_REAL],
    );
    // The line buffer needs no clearing; its tail keeps the `-y` path taken at entry.
    let buf = &mut call.thread.line[..ENTRY_ROOM];
    let mut out = Out::new(buf);
    write_prefix(&mut out, s, tid);
    if s.timestamps > 0 {
        let times = Times {
            mono: scratch_times.0.wrapping_sub(1),
            real: scratch_times.1,
        };
        write_timestamps(&mut out, s, times);
    }
    if s.numbers || s.ips {
        write_nr_ip(&mut out, s, call.nr + 1, Some(call.regs.rip));
    }
    let head = out.len();
    let info = CallInfo {
        sp: call.regs.rsp,
        entry_only: true,
        ..CallInfo::default()
    };
    let lm = trace::format_call(&mut out, &Mem, &s.opts, call.nr, args, None, info);
    if out.truncated() {
        return false;
    }
    let flags = if lm.stopped { ring_flags::STOPPED } else { 0 };
    let m = ring::Marks {
        head: head as u16,
        ..ring::Marks::default()
    };
    let w = ring::Writer {
        cell: &mut call.thread.ring,
        own_tid: tid,
        pid,
    };
    ring::push(w, tid, pid, ring_kind::ENTRY, flags, m, out.as_bytes())
}

/// `-t` `10:00:00 `, `-tt` `10:00:00.123456 `, `-ttt` `1700000000.123456 ` (time of day in
/// UTC: the traced process has no time zone database loaded), then `-r` `     0.000123 `.
fn write_timestamps(out: &mut Out<'_>, s: &Settings, t: Times) {
    let (sec, usec) = (t.real / 1_000_000_000, t.real % 1_000_000_000 / 1000);
    let day = sec % 86_400;
    let (h, m, sc) = (day / 3600, day % 3600 / 60, day % 60);
    let _ = match s.timestamps {
        0 => Ok(()),
        1 => write!(out, "{:02}:{:02}:{:02} ", h, m, sc),
        2 => write!(out, "{:02}:{:02}:{:02}.{:06} ", h, m, sc, usec),
        _ => write!(out, "{}.{:06} ", sec, usec),
    };
    if s.relative {
        let prev = LAST_ENTRY.swap(t.mono, Ordering::Relaxed);
        let d = if prev == 0 || prev > t.mono {
            0
        } else {
            t.mono - prev
        };
        let _ = write!(
            out,
            "{:>6}.{:06} ",
            d / 1_000_000_000,
            d % 1_000_000_000 / 1000
        );
    }
}

/// A traced child that died of a signal cannot write its own `+++ killed by SIG +++` line:
/// its parent writes it when `wait4`/`waitid` has reaped the child, before its own line (where
/// strace prints it too: at the child's death, before the parent's call returns).
fn killed_child(
    thread: &mut rt::process::thread::Thread,
    n: u64,
    args: &[u64; 6],
    ret: i64,
    s: &Settings,
) {
    const CLD_KILLED: i32 = 2;
    const CLD_DUMPED: i32 = 3;
    const WNOWAIT: u64 = 0x0100_0000;
    let (pid, sig, core) = match u32::try_from(n) {
        Ok(nr::WAIT4) if ret > 0 && args[1] != 0 => {
            let mut b = [0u8; 4];
            if !rt::memory::guest::read(args[1], &mut b) {
                return;
            }
            let st = i32::from_le_bytes(b);
            let sig = st & 0x7f;
            if sig == 0 || sig == 0x7f {
                return; // exited (its own line says so) or stopped
            }
            (ret as i32, sig, st & 0x80 != 0)
        }
        Ok(nr::WAITID) if ret == 0 && args[2] != 0 && args[3] & WNOWAIT == 0 => {
            let mut b = [0u8; 28];
            if !rt::memory::guest::read(args[2], &mut b) {
                return;
            }
            let word = |i: usize| i32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
            let code = word(8);
            if code != CLD_KILLED && code != CLD_DUMPED {
                return;
            }
            (word(16), word(24), code == CLD_DUMPED)
        }
        _ => return,
    };
    if pid <= 0 || !(1..=64).contains(&sig) || s.signals & (1 << (sig - 1)) == 0 {
        return;
    }
    emit(thread, None, None, Kind::Killed { pid }, |out, _, _| {
        trace::format_killed(out, sig, core);
        LineMarks::default()
    });
}

/// The [`status`] class of a call's outcome.
fn status_of(ret: Option<i64>) -> u8 {
    match ret {
        None => status::UNFINISHED,
        Some(r) if (-4095..0).contains(&r) => status::FAILED,
        Some(_) => status::SUCCESSFUL,
    }
}

/// Arguments whose value on entry strace shows (`[128 => 16]`, `[0] => [77]`): the index of
/// the argument and whether it points at a 32-bit (`socklen_t`) or 64-bit (`off_t`) value.
fn value_result_arg(n: u64) -> Option<(u8, bool)> {
    let n = u32::try_from(n).ok()?;
    Some(match n {
        nr::ACCEPT | nr::ACCEPT4 | nr::GETSOCKNAME | nr::GETPEERNAME => (2, true),
        nr::RECVFROM => (5, true),
        nr::GETSOCKOPT => (4, true),
        nr::SENDFILE => (2, false),
        _ => return None,
    })
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
        // `-k`: calls that change where code is mapped, whatever -e says.
        if s.stack_bytes > 0 {
            for (n, w) in wants.iter_mut().enumerate() {
                *w |= maps_code(n as u64);
            }
        }
    }

    fn enter(&self, call: &mut rt::Call<'_>) -> rt::api::Action {
        let s = settings();
        let args = call.args();
        let t = &mut call.thread.tool_scratch;
        if s.timed() {
            let now = Times::now();
            t[scratch::ENTRY_MONO] = now.mono.wrapping_add(1);
            t[scratch::ENTRY_REAL] = now.real;
        }
        t[scratch::ENTRY_VALUE] = 0;
        if s.numbers || s.ips {
            t[scratch::LAST_NR] = call.nr + 1;
            t[scratch::LAST_IP] = call.regs.rip;
        }
        if call.arch != Arch::X86_64 {
            return rt::api::Action::Pass;
        }
        if let Some(list) = s.paths {
            let miss = !crate::pathtrace::touches(list, call.nr, &args);
            t[scratch::PATH_MISS] = t[scratch::PATH_MISS] << 1 | u64::from(miss);
            if miss {
                t[scratch::ENTRY_STACK] <<= 1;
                return rt::api::Action::Pass;
            }
        }
        if let Some((i, narrow)) = value_result_arg(call.nr) {
            let addr = args.get(usize::from(i)).copied().unwrap_or(0);
            let mut b = [0u8; 8];
            let size = if narrow { 4 } else { 8 };
            if addr != 0 && rt::memory::guest::read(addr, &mut b[..size]) {
                let v = u64::from_le_bytes(b);
                if v < 1 << 56 {
                    t[scratch::ENTRY_VALUE] = TAGGED | u64::from(i) << 56 | v;
                }
            }
        }
        let replaced = match u32::try_from(call.nr) {
            Ok(nr::CLOSE) => Some(0usize),
            Ok(nr::DUP2 | nr::DUP3) => Some(1),
            _ => None,
        };
        if let (Some(i), true) = (replaced, s.opts.decode_fds > 0 && !call.thread.line_busy) {
            let tail = &mut call.thread.line[rt::process::thread::LINE_CAP - FD_ROOM..];
            if let Some(n) = Mem.fd_path(args[i] as u32 as i32, s.opts.decode_fds >= 2, tail) {
                call.thread.tool_scratch[scratch::ENTRY_FD] = TAGGED | (i as u64) << 32 | n as u64;
            }
        }
        let recorded = record_entry(call, s, &args);
        let stack = &mut call.thread.tool_scratch[scratch::ENTRY_STACK];
        *stack = *stack << 1 | u64::from(recorded);
        rt::api::Action::Pass
    }

    fn exit(&self, call: &mut rt::Call<'_>, ret: i64) {
        let resumes = call.arch == Arch::X86_64 && {
            let stack = &mut call.thread.tool_scratch[scratch::ENTRY_STACK];
            let top = *stack & 1 != 0;
            *stack >>= 1;
            top
        };
        let s = settings();
        // `-P`: a call that touches none of the paths (and every i386 one) is not shown.
        let path_miss = s.paths.is_some()
            && (call.arch == Arch::I386 || {
                let stack = &mut call.thread.tool_scratch[scratch::PATH_MISS];
                let top = *stack & 1 != 0;
                *stack >>= 1;
                top
            });
        if call.arch == Arch::I386 && !wants_i386(call.nr) {
            return;
        }
        if s.stack_bytes > 0 && call.arch == Arch::X86_64 && ret >= 0 {
            const PROT_EXEC: u64 = 4;
            let a = call.args();
            let code = match u32::try_from(call.nr) {
                Ok(nr::MMAP | nr::MPROTECT) => a[2] & PROT_EXEC != 0,
                Ok(nr::MUNMAP | nr::MREMAP) => true,
                _ => false,
            };
            if code {
                crate::stack::maps_changed();
            }
            // Seen for `-k` only.
            if !s.set.contains(call.nr) {
                return;
            }
        }
        let regular = if s.every_call && call.arch == Arch::X86_64 {
            let may_set = !call.thread.vfork_shared;
            crate::fdkind::observe(call.nr, &call.args(), ret, may_set)
        } else {
            None
        };
        if path_miss || s.status & status_of(Some(ret)) == 0 {
            call.thread.tool_scratch[scratch::ENTRY_FD] = 0;
            if let Some(fd) = regular {
                crate::fdkind::confirm(fd);
            }
            return;
        }
        personality(call);
        let args = call.args();
        let (n, arch) = (call.nr, call.arch);
        let (times, elapsed) = if s.timed() {
            let t = &call.thread.tool_scratch;
            let mono = t[scratch::ENTRY_MONO].wrapping_sub(1);
            let now = clock_ns(CLOCK_MONOTONIC);
            (
                Some(Times {
                    mono,
                    real: t[scratch::ENTRY_REAL],
                }),
                Some(now.saturating_sub(mono)),
            )
        } else {
            (None, None)
        };
        let ev = call.thread.tool_scratch[scratch::ENTRY_VALUE];
        let entry_value =
            (ev & TAGGED != 0).then_some((((ev >> 56) & 0x7f) as u8, ev & ((1 << 56) - 1)));
        let sp = call.regs.rsp;
        let marks = crate::inject::marks(call.thread);
        if s.follow {
            killed_child(call.thread, call.nr, &args, ret, s);
        }
        let dump = if arch == Arch::X86_64 {
            dumped(s, n, &args, ret)
        } else {
            None
        };
        emit(
            call.thread,
            times,
            elapsed,
            Kind::Call {
                ret: Some(ret),
                marks,
                resumes,
                at: Some([call.regs.rip, call.regs.rsp, call.regs.rbp]),
                dump,
            },
            |out, s, entry_fd| {
                let info = CallInfo {
                    sp,
                    entry_value,
                    entry_fd,
                    entry_only: false,
                };
                line(out, s, arch, n, &args, Some(ret), info)
            },
        );
        if let Some(fd) = regular {
            crate::fdkind::confirm(fd);
        }
    }

    fn noreturn(&self, call: &mut rt::Call<'_>, ret: Option<i64>) {
        let args = call.args();
        let s = settings();
        if s.numbers || s.ips {
            call.thread.tool_scratch[scratch::LAST_NR] = call.nr + 1;
            call.thread.tool_scratch[scratch::LAST_IP] = call.regs.rip;
        }
        let (n, arch) = (call.nr, call.arch);
        let shown = match arch {
            Arch::X86_64 => s.set.contains(n),
            Arch::I386 => wants_i386(n),
        } && s.status & status_of(ret) != 0
            && s.paths.is_none_or(|list| {
                arch == Arch::X86_64 && crate::pathtrace::touches(list, n, &args)
            });
        let times = s.timed().then(Times::now);
        let sp = call.regs.rsp;
        if shown {
            personality(call);
            emit(
                call.thread,
                times,
                None,
                Kind::Call {
                    ret,
                    marks: 0,
                    resumes: false,
                    at: Some([call.regs.rip, call.regs.rsp, call.regs.rbp]),
                    dump: None,
                },
                |out, s, _| {
                    let info = CallInfo {
                        sp,
                        ..CallInfo::default()
                    };
                    line(out, s, arch, n, &args, ret, info)
                },
            );
        }
        let exits = match arch {
            Arch::X86_64 => n == nr::EXIT_GROUP as u64 || n == nr::EXIT as u64,
            Arch::I386 => n == 1 || n == 252,
        };
        if exits && !s.quiet_exits {
            let code = (args[0] & 0xff) as i32;
            let group = match arch {
                Arch::X86_64 => n == nr::EXIT_GROUP as u64,
                Arch::I386 => n == 252,
            };
            emit(
                call.thread,
                times,
                None,
                Kind::Exit { code, group },
                |out, _, _| {
                    trace::format_exited(out, code);
                    LineMarks::default()
                },
            );
        }
    }
}

fn line(
    out: &mut Out<'_>,
    s: &Settings,
    arch: Arch,
    n: u64,
    args: &[u64; 6],
    ret: Option<i64>,
    info: CallInfo<'_>,
) -> LineMarks {
    match arch {
        Arch::X86_64 => trace::format_call(out, &Mem, &s.opts, n, args, ret, info),
        Arch::I386 => {
            trace::format_syscall_i386(out, &Mem, &s.opts, n, args, ret);
            LineMarks::default()
        }
    }
}

/// Whether the trace shows calls of `nr` (`-e trace=`; exits are always seen).
pub fn shows(arch: Arch, nr: u64) -> bool {
    match arch {
        Arch::X86_64 => {
            settings().set.contains(nr)
                || nr == u64::from(nr::EXIT)
                || nr == u64::from(nr::EXIT_GROUP)
                || (settings().stack_bytes > 0 && maps_code(nr))
        }
        Arch::I386 => true,
    }
}

/// Calls that can change where code is mapped (`-k` hears of them whatever `-e` says).
fn maps_code(nr: u64) -> bool {
    u32::try_from(nr).is_ok_and(|n| matches!(n, nr::MMAP | nr::MPROTECT | nr::MUNMAP | nr::MREMAP))
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
    if settings().to_file || settings().format != Format::Text || settings().quiet_personality {
        return;
    }
    let tid = call.thread.tid;
    let bits = if want == 1 { 32 } else { 64 };
    let mut buf = [0u8; 64];
    let mut out = Out::new(&mut buf);
    trace::format_personality(&mut out, tid, bits);
    let fd = rt::output::out::fd();
    let m = ring::Marks::default();
    let pid = call.thread.pid;
    let w = ring::Writer {
        cell: &mut call.thread.ring,
        own_tid: tid,
        pid,
    };
    deliver(w, pid, fd, ring_kind::RAW, 0, tid, m, out.as_bytes());
}

/// Prints the `execve(...) = 0` line of a traced exec from inside the new image: `argv` and
/// `envp` are the new image's, `auxv` its aux vector (for `AT_EXECFN`, the name as given).
pub fn image_started(thread: &mut rt::process::thread::Thread, argv: u64, envp: u64, auxv: u64) {
    let cfg = rt::config::get();
    if !thread.traced || cfg.execve_envp.is_none() || !settings().set.contains(nr::EXECVE as u64) {
        return;
    }
    const AT_EXECFN: u64 = 31;
    let mut execfn = 0u64;
    for i in 0..64u64 {
        let mut pair = [0u8; 16];
        if !rt::memory::guest::read(auxv + i * 16, &mut pair) {
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
    let s = settings();
    if s.status & status::SUCCESSFUL == 0
        || s.paths
            .is_some_and(|list| !crate::pathtrace::touches(list, nr::EXECVE as u64, &args))
    {
        return;
    }
    // The entry of the execve was in the old image: -T shows no time for it.
    let times = s.timed().then(Times::now);
    emit(
        thread,
        times,
        None,
        Kind::Call {
            ret: Some(0),
            marks: 0,
            resumes: false,
            at: None,
            dump: None,
        },
        |out, s, _| {
            let info = CallInfo::default();
            trace::format_call(out, &Mem, &s.opts, nr::EXECVE as u64, &args, Some(0), info)
        },
    );
}

/// `--- SIGxxx {…} ---` for a signal about to run the program's handler (or kill it).
pub fn signal_line(thread: &mut rt::process::thread::Thread, info: &[u8; 128]) {
    let signo = i32::from_le_bytes([info[0], info[1], info[2], info[3]]);
    if !(1..=64).contains(&signo) || settings().signals & (1 << (signo - 1)) == 0 {
        return;
    }
    emit(thread, None, None, Kind::Signal, |out, s, _| {
        let pids: Option<&dyn GuestMem> = if s.opts.decode_pids { Some(&Mem) } else { None };
        trace::format_signal(out, info, pids);
        LineMarks::default()
    });
}
