//! What every command shares on its command line: the program to run, the options of every
//! command that runs one, the `-e` expressions, and how errors are reported.

use clap::Args;
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::inject;

#[derive(Args)]
pub(crate) struct Program {
    /// The program and its arguments.
    // No hyphen values: an option sysgate does not know is refused, never taken for the
    // program (`--` before a program whose name starts with `-`); once the program is named,
    // everything after it is its own.
    #[arg(required = true, trailing_var_arg = true, value_name = "PROG [ARGS]")]
    pub(crate) argv: Vec<OsString>,
    /// Run a set-user-ID, set-group-ID or file-capability program without that privilege (the
    /// loader maps it, so the kernel never grants it), instead of refusing to start it.
    #[arg(long)]
    pub(crate) unprivileged: bool,
}

/// How the program is started, beyond its command line: strace's `-E`, `-u` and `-I`.
#[derive(Args, Default)]
pub(crate) struct StartArgs {
    /// Put VAR=VAL in the program's environment; `-E VAR` removes VAR (may be repeated).
    #[arg(short = 'E', long = "env", value_name = "VAR=VAL")]
    env: Vec<OsString>,
    /// Run the program as USERNAME (a name or a number from /etc/passwd, with its groups
    /// from /etc/group); needs root.
    #[arg(short = 'u', long = "user", value_name = "USERNAME")]
    user: Option<String>,
    /// What a SIGHUP, SIGINT, SIGQUIT or SIGTERM sent to sysgate does: `1`/`anywhere` and
    /// `2`/`waiting` (default): it goes to the program, whose end then ends sysgate; `3`/`never`:
    /// blocked; `4`/`never_tstp`: blocked, and SIGTSTP too.
    #[arg(short = 'I', long = "interruptible", value_name = "N")]
    interruptible: Option<String>,
}

/// [`StartArgs`], checked.
#[derive(Default)]
pub(crate) struct Start {
    pub(crate) env: Vec<(OsString, Option<OsString>)>,
    pub(crate) user: Option<sysgate_launch::Credentials>,
    pub(crate) interrupt: sysgate_launch::Interrupt,
}

impl StartArgs {
    /// The checked settings, or strace's message for a bad one.
    pub(crate) fn resolve(&self, cmd: &str) -> Result<Start, String> {
        use sysgate_launch::Interrupt;
        let interrupt = match self.interruptible.as_deref() {
            None | Some("1" | "anywhere" | "2" | "waiting") => Interrupt::PassOn,
            Some("3" | "never") => Interrupt::Blocked,
            Some("4" | "never_tstp") => Interrupt::BlockedWithTstp,
            Some(v) => return Err(format!("{cmd}: invalid -I argument: '{v}'")),
        };
        let mut env = Vec::new();
        for e in &self.env {
            let b = e.as_encoded_bytes();
            match b.iter().position(|&c| c == b'=') {
                Some(0) => {
                    return Err(format!(
                        "{cmd} -E: no variable name in '{}'",
                        e.to_string_lossy()
                    ))
                }
                // Both halves of an OsStr cut at an ASCII '=' are whole.
                Some(i) => env.push((os(&b[..i]), Some(os(&b[i + 1..])))),
                None if b.is_empty() => return Err(format!("{cmd} -E: an empty variable name")),
                None => env.push((e.clone(), None)),
            }
        }
        let user = match &self.user {
            None => None,
            Some(u) => {
                if sysgate_launch::real_uid() != 0 {
                    return Err(format!(
                        "{cmd}: You must be root to use the -u/--username option"
                    ));
                }
                Some(sysgate_launch::credentials(u)?)
            }
        };
        Ok(Start {
            env,
            user,
            interrupt,
        })
    }
}

/// `bytes`, cut from an `OsStr` at an ASCII boundary, as an `OsString`.
fn os(bytes: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(bytes).to_owned()
}

/// Options of every command that runs a program.
#[derive(Args)]
pub(crate) struct Common {
    /// Never rewrite syscall sites: every syscall takes the SIGSYS path (what a user who cannot
    /// map page 0 gets; slower).
    #[arg(long)]
    no_rewrite: bool,
    /// Do not map page 0 (what a user without CAP_SYS_RAWIO gets when vm.mmap_min_addr > 0):
    /// sites are rewritten into calls to trampolines near the code; a site that no rewrite
    /// fits stays on the SIGSYS path.
    #[arg(long)]
    no_page0: bool,
    /// Do not move the instruction before a `syscall` into a trampoline (the rewrite tried
    /// first): sites take the page-0 sled, or without page 0 `call; ud2` for
    /// `mov $nr,%eax; syscall` and jumps into padding. For comparing the rewrites.
    #[arg(long)]
    no_displace: bool,
    /// What to do with the vDSO (clock_gettime, gettimeofday, time, getcpu, clock_getres):
    /// `patch` (default) keeps it mapped, so programs that look for it find it, with each of
    /// those functions redirected into sysgate as the syscall it stands for; `syscall` leaves it
    /// out of the program's aux vector, so libc makes real syscalls; `native` keeps the
    /// kernel's fast functions, which sysgate then does not see.
    #[arg(long, value_name = "MODE", default_value = "patch", value_parser = ["patch", "syscall", "native"])]
    vdso: String,
    /// When calls to the legacy vsyscall page are caught (a kernel seccomp filter, which costs
    /// every syscall of the program ~40 ns here, installed only for tools that want
    /// gettimeofday, time or getcpu, and only with CAP_SYS_ADMIN): `auto` (default) when the
    /// code of the program or its interpreter names a vsyscall entry point; `trap` always;
    /// `native` never (the kernel emulates them, unseen).
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = ["auto", "trap", "native"])]
    vsyscall: String,
    /// Start the program's wall clock at TIME (`2001-01-01T00:00:00Z`, `2001-01-01`,
    /// `@978307200`); every way it reads the time sees it.
    #[arg(long, value_name = "TIME")]
    clock: Option<String>,
    /// Speed of the virtual clock (2: twice as fast; monotonic clocks, sleeps and timers too).
    #[arg(long, value_name = "R", requires = "clock")]
    clock_rate: Option<String>,
}

impl Common {
    /// The virtual clock's configuration key (`--clock`, `--clock-rate`), if asked for.
    pub(crate) fn clock_config(&self) -> Result<String, String> {
        let Some(t) = &self.clock else {
            return Ok(String::new());
        };
        let virt = crate::clock::parse_time(t)?;
        let ppm = self
            .clock_rate
            .as_deref()
            .map(crate::clock::parse_rate)
            .transpose()?
            .unwrap_or(1_000_000);
        Ok(format!(";clock={}", crate::clock::wire(virt, ppm)))
    }

    pub(crate) fn config(&self) -> String {
        let mut c = String::new();
        if self.no_rewrite {
            c.push_str(";rewrite=0");
        }
        if self.no_page0 {
            c.push_str(";page0=0");
        }
        if self.no_displace {
            c.push_str(";displace=0");
        }
        c.push_str(";vdso=");
        c.push_str(&self.vdso);
        c.push_str(";vsyscall=");
        c.push_str(&self.vsyscall);
        c
    }
}

/// Paths for the runtime's configuration: each path's bytes in hex (a path may hold `;`, `,`
/// and `=`), joined by `,` (decoded by `sysgate_tools`' `unhex`).
pub(crate) fn hex_paths<'a>(paths: impl IntoIterator<Item = &'a [u8]>) -> String {
    paths
        .into_iter()
        .map(|p| p.iter().map(|b| format!("{b:02x}")).collect::<String>())
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn fail(msg: impl std::fmt::Display, code: u8) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "sysgate: {msg}");
    ExitCode::from(code)
}

/// Where the loader is: a file named by `SYSGATE_LOADER` (a loader with its debug information,
/// for profilers and debuggers, or one built separately), else the one `sysgate` carries, as
/// a descriptor: a copy of it on disk (`embedded::file_copy`), or a sealed memory file.
pub(crate) enum Loader {
    Fd(i32),
    Path(PathBuf),
}

impl Loader {
    pub(crate) fn find() -> Result<Loader, String> {
        if let Some(p) = std::env::var_os("SYSGATE_LOADER") {
            let p = std::path::absolute(PathBuf::from(&p))
                .map_err(|e| format!("SYSGATE_LOADER={}: {e}", p.to_string_lossy()))?;
            return if p.is_file() {
                Ok(Loader::Path(p))
            } else {
                Err(format!("SYSGATE_LOADER={}: no such file", p.display()))
            };
        }
        let exe = std::env::current_exe().ok();
        if let Some(f) = crate::embedded::file_copy(exe.as_deref()) {
            // A copy that stays open across `execve` (the file itself is close-on-exec).
            if let Ok(fd) = sysgate_launch::dup_high(std::os::fd::AsRawFd::as_raw_fd(&f)) {
                return Ok(Loader::Fd(fd));
            }
        }
        sysgate_launch::loader_memfd(crate::embedded::LOADER)
            .map(Loader::Fd)
            .map_err(|e| {
                format!(
                    "cannot put the loader in an executable memory file: {e} \
                     (vm.memfd_noexec forbids it? SYSGATE_LOADER=PATH names a loader file)"
                )
            })
    }

    /// The loader's file on disk (none for a memory file).
    pub(crate) fn file(&self) -> Option<PathBuf> {
        match self {
            Loader::Path(p) => Some(p.clone()),
            Loader::Fd(fd) => std::fs::read_link(format!("/proc/self/fd/{fd}"))
                .ok()
                .filter(|p| p.is_absolute() && p.exists()),
        }
    }

    pub(crate) fn at(&self) -> sysgate_launch::LoaderAt<'_> {
        match self {
            Loader::Fd(fd) => sysgate_launch::LoaderAt::Fd(*fd),
            Loader::Path(p) => sysgate_launch::LoaderAt::Path(p),
        }
    }
}

/// What the `-e` expressions select.
pub(crate) struct Qualifiers {
    /// `-e inject=`/`fault=` rules in their wire form.
    pub(crate) injects: Vec<String>,
    pub(crate) set: sysgate_abi::SyscallSet,
    /// `tracer::status` bits (successful 1, failed 2, unfinished 4, unavailable 8, detached 16).
    pub(crate) status: u8,
    /// Signals whose delivery lines are shown (bit n-1 for signal n).
    pub(crate) signals: u64,
    /// `-e quiet=exit` (or `all`): no `+++ exited with N +++` lines (as `-qq`).
    pub(crate) quiet_exits: bool,
    /// `-e quiet=personality` (or `all`): no `[ Process PID=N runs in 32 bit mode. ]` notes.
    pub(crate) quiet_personality: bool,
    /// `-e quiet=path-resolution` (or `all`): no `Requested path … resolved into …` line (`-P`).
    pub(crate) quiet_paths: bool,
    /// `-e decode-fds=`: 1 paths (as `-y`), 2 sockets too (as `-yy`).
    pub(crate) decode_fds: u8,
    /// `-e read=`, `-e write=`: the descriptors whose data is dumped in hex (`all`, `none`,
    /// numbers, `!` to negate), checked.
    pub(crate) dump_read: Option<String>,
    pub(crate) dump_write: Option<String>,
}

/// Checks a `-e read=`/`write=` set of descriptors (strace's words for it).
fn parse_fd_set(v: &str) -> Result<String, String> {
    let body = v.strip_prefix('!').unwrap_or(v);
    for w in body.split(',') {
        if !(w == "all" || w == "none" || w.parse::<u32>().is_ok_and(|n| n < 1 << 20)) {
            return Err(format!("invalid descriptor '{w}'"));
        }
    }
    Ok(v.to_string())
}

const STATUS_NAMES: [(&str, u8); 5] = [
    ("successful", 1),
    ("failed", 2),
    ("unfinished", 4),
    ("unavailable", 8),
    ("detached", 16),
];
const STATUS_ALL: u8 = 31;

fn parse_status(v: &str) -> Result<u8, String> {
    let (negate, body) = match v.strip_prefix('!') {
        Some(b) => (true, b),
        None => (false, v),
    };
    let mut bits = 0u8;
    for w in body.split(',') {
        bits |= match w {
            "all" => STATUS_ALL,
            "none" => 0,
            _ => match STATUS_NAMES.iter().find(|(n, _)| *n == w) {
                Some((_, b)) => *b,
                None => return Err(format!("invalid status '{w}'")),
            },
        };
    }
    Ok(if negate { !bits & STATUS_ALL } else { bits })
}

/// Parses a `-e signal=` set (names with or without `SIG`, numbers, `all`, `none`, `!`) into a
/// mask: bit `n - 1` for signal `n`.
fn parse_signal_set(v: &str) -> Result<u64, String> {
    let (negate, body) = match v.strip_prefix('!') {
        Some(b) => (true, b),
        None => (false, v),
    };
    let mut mask = 0u64;
    for w in body.split(',') {
        let n = match w {
            "all" => {
                mask = !0;
                continue;
            }
            "none" => continue,
            _ => w
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=64).contains(n))
                .or_else(|| sysgate_abi::signal::number(w))
                .or_else(|| sysgate_abi::signal::number(&format!("SIG{w}")))
                .ok_or_else(|| format!("invalid signal '{w}'"))?,
        };
        mask |= 1 << (n - 1);
    }
    Ok(if negate { !mask } else { mask })
}

pub(crate) fn qualifiers(
    exprs: &[String],
    successful: bool,
    failed: bool,
) -> Result<Qualifiers, String> {
    let mut q = Qualifiers {
        injects: Vec::new(),
        set: sysgate_abi::SyscallSet::all(),
        status: STATUS_ALL,
        signals: !0,
        quiet_exits: false,
        quiet_personality: false,
        quiet_paths: false,
        decode_fds: 0,
        dump_read: None,
        dump_write: None,
    };
    // -z and -Z are shorthands for status=; together they select both.
    if successful || failed {
        q.status = if successful { 1 } else { 0 } | if failed { 2 } else { 0 };
    }
    for e in exprs {
        let (name, v) = match e.split_once('=') {
            Some((q, v)) => (q, v),
            None => ("trace", e.as_str()),
        };
        match name {
            "trace" | "t" => {
                q.set = sysgate_abi::parse_trace_set(v).map_err(|err| err.to_string())?
            }
            "status" => q.status = parse_status(v)?,
            "signal" | "signals" | "s" => q.signals = parse_signal_set(v)?,
            "inject" | "fault" => q.injects.push(inject::parse(v, name == "fault")?.wire()),
            "quiet" | "silent" | "silence" | "q" => {
                // attach and thread-execve messages sysgate never prints.
                for w in v.split(',') {
                    match w {
                        "all" => {
                            (q.quiet_exits, q.quiet_personality, q.quiet_paths) = (true, true, true)
                        }
                        "none" => {
                            (q.quiet_exits, q.quiet_personality, q.quiet_paths) =
                                (false, false, false)
                        }
                        "exit" | "exits" => q.quiet_exits = true,
                        "personality" => q.quiet_personality = true,
                        "path-resolution" => q.quiet_paths = true,
                        "attach" | "thread-execve" | "superseded" => {}
                        _ => return Err(format!("-e quiet={w}: unknown message kind")),
                    }
                }
            }
            "decode-fds" | "decode-fd" => {
                for w in v.split(',') {
                    q.decode_fds = q.decode_fds.max(match w {
                        "none" => 0,
                        "path" => 1,
                        "socket" | "all" => 2,
                        "dev" | "pidfd" => {
                            return Err(format!("-e decode-fds={w}: not supported yet"))
                        }
                        _ => return Err(format!("-e decode-fds={w}: unknown detail")),
                    });
                }
            }
            "read" | "reads" | "r" => q.dump_read = Some(parse_fd_set(v)?),
            "write" | "writes" | "w" => q.dump_write = Some(parse_fd_set(v)?),
            // strace's defaults, which sysgate's output is.
            "abbrev" | "a" if v == "all" => {}
            "verbose" | "v" if v == "all" => {}
            "raw" | "x" if v == "none" => {}
            other => return Err(format!("-e {other}=… is not supported yet")),
        }
    }
    Ok(q)
}

/// `-o |CMD` or `-o !CMD`.
pub(crate) fn is_pipe(p: &std::path::Path) -> bool {
    matches!(p.as_os_str().as_encoded_bytes().first(), Some(b'|' | b'!'))
}
