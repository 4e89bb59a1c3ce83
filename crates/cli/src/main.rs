//! `sysgate`: the command line.
//!
//! Parses arguments (strace's spelling where strace has one), prepares the output descriptors,
//! starts the program through the loader and ends the way the program ended.
#![forbid(unsafe_code)]

use clap::{ArgAction, Args, Parser, Subcommand};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitCode;
use sysgate_launch as loader;

mod clock;
mod inject;
mod policy;
mod summary;

#[derive(Parser)]
#[command(
    name = "sysgate",
    version,
    about = "Run, trace and shape every syscall a program makes, in-process."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
// Parsed once; the size of the trace variant does not matter.
#[allow(clippy::large_enum_variant)]
enum Cmd {
    /// Run PROG with every syscall passing through sysgate's entry; print nothing (faults
    /// and a virtual clock on request).
    Run(RunArgs),
    /// Print PROG's syscalls, one strace-style line each (or JSON, or a Perfetto timeline).
    Trace(TraceArgs),
    /// Count PROG's syscalls, errors and time per syscall for the whole process tree, and print
    /// the summary like `strace -c -f`.
    Count(CountArgs),
    /// Run PROG under a policy of allowed and denied syscalls, enforced in-process and by a
    /// kernel seccomp filter.
    Sandbox(SandboxArgs),
}

#[derive(Args)]
struct Program {
    /// The program and its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PROG [ARGS]"
    )]
    argv: Vec<OsString>,
}

/// Options of every command that runs a program.
#[derive(Args)]
struct Common {
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
}

impl Common {
    fn config(&self) -> String {
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

#[derive(Args)]
struct RunArgs {
    /// Fault injection: `inject=SET:error=ERRNO|retval=N[:signal=SIG][:delay_enter=T]
    /// [:delay_exit=T][:when=EXPR]` or `fault=SET[:error=ERRNO][:when=EXPR]`, as in strace.
    #[arg(short = 'e', value_name = "EXPR")]
    expr: Vec<String>,
    /// Start the program's wall clock at TIME (`2001-01-01T00:00:00Z`, `2001-01-01`,
    /// `@978307200`); every way it reads the time sees it.
    #[arg(long, value_name = "TIME")]
    clock: Option<String>,
    /// Speed of the virtual clock (2: twice as fast; monotonic clocks, sleeps and timers too).
    #[arg(long, value_name = "R", requires = "clock")]
    clock_rate: Option<String>,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    prog: Program,
}

#[derive(Args)]
struct CountArgs {
    /// Write the summary to FILE instead of stderr.
    #[arg(short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Sort by `time` (default), `calls`, `errors`, `name`, `min-time`, `max-time`,
    /// `avg-time` or `nothing`.
    #[arg(short = 'S', value_name = "SORTBY", default_value = "time")]
    sort_by: String,
    /// Count wall-clock time in each call instead of the CPU time its thread spent.
    #[arg(short = 'w')]
    wall_clock: bool,
    /// Follow forks and threads: always done (the count covers the whole process tree); the
    /// flag is accepted so that `strace -c -f` command lines work unchanged.
    #[arg(short = 'f', action = clap::ArgAction::Count)]
    _follow: u8,
    /// `trace=SET` (only these calls are counted), `inject=…`, `fault=…`.
    #[arg(short = 'e', value_name = "EXPR")]
    expr: Vec<String>,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    prog: Program,
}

#[derive(Args)]
struct SandboxArgs {
    /// A policy file (TOML): `default = "allow"` and `[[rule]]` tables with `syscalls`,
    /// optional `paths` and `write`, and `action` (`allow`, `log`, `kill`, `errno:NAME`).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Deny SET (names or classes such as `%network`) with EPERM; repeatable.
    #[arg(long, value_name = "SET")]
    deny: Vec<String>,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    prog: Program,
}

#[derive(Args)]
struct TraceArgs {
    /// Follow threads and child processes; `-ff` with `-o FILE`: one file per process, FILE.PID.
    #[arg(short = 'f', action = ArgAction::Count)]
    follow: u8,
    /// Write the trace to FILE instead of stderr; `|CMD` or `!CMD` pipes it into a shell command.
    #[arg(short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Qualifying expression: `trace=SET` (names, %classes, /regex, !negation; a bare SET means
    /// trace=SET), `status=LIST`, `signal=SET`.
    #[arg(short = 'e', value_name = "EXPR")]
    expr: Vec<String>,
    /// Maximum string size to print (default 32).
    #[arg(short = 's', value_name = "N", default_value_t = 32)]
    strsize: usize,
    /// Print structures in full (unabbreviated).
    #[arg(short = 'v')]
    verbose: bool,
    /// Strings with non-ASCII bytes in hex; `-xx`: all strings in hex.
    #[arg(short = 'x', action = ArgAction::Count)]
    hex: u8,
    /// Descriptors with their paths; `-yy`: sockets with their endpoints too.
    #[arg(short = 'y', action = ArgAction::Count)]
    decode_fds: u8,
    /// Time spent in each call, `<0.000012>`.
    #[arg(short = 'T')]
    time_in_call: bool,
    /// Time of day before each line; `-tt` with microseconds; `-ttt` as seconds since the epoch.
    #[arg(short = 't', action = ArgAction::Count)]
    timestamps: u8,
    /// Time since the previous call's entry before each line.
    #[arg(short = 'r')]
    relative: bool,
    /// Only calls that succeeded (`-e status=successful`).
    #[arg(short = 'z')]
    successful: bool,
    /// Only calls that failed (`-e status=failed`).
    #[arg(short = 'Z')]
    failed: bool,
    /// Quiet: accepted (sysgate prints no attach/detach messages); `-qq` also drops the
    /// `+++ exited with N +++` lines.
    #[arg(short = 'q', action = ArgAction::Count)]
    quiet: u8,
    /// Count calls, errors and time per syscall and print a summary instead of the trace.
    #[arg(short = 'c')]
    count: bool,
    /// Print the trace and the summary.
    #[arg(short = 'C')]
    count_too: bool,
    /// Sort the summary by `time` (default), `calls`, `errors`, `name`, `min-time`,
    /// `max-time`, `avg-time` or `nothing`.
    #[arg(short = 'S', value_name = "SORTBY")]
    sort_by: Option<String>,
    /// Summary: wall-clock time in each call instead of its thread's CPU time.
    #[arg(short = 'w')]
    wall_clock: bool,
    /// One JSON object per call (pid, tid, time, name, args, result, errno, duration).
    #[arg(long)]
    json: bool,
    /// Write a Chrome/Perfetto trace-event file (a per-thread timeline of the calls) to FILE;
    /// follows children.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["json", "output", "count", "count_too"])]
    perfetto: Option<PathBuf>,
    /// strace options sysgate does not support yet (each is refused with a message).
    #[command(flatten)]
    unsupported: Unsupported,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    prog: Program,
}

/// strace's options that sysgate refuses, so that none is silently ignored.
#[derive(Args)]
struct Unsupported {
    #[arg(short = 'i', hide = true)]
    instruction_pointer: bool,
    #[arg(short = 'k', hide = true)]
    stack_trace: bool,
    #[arg(short = 'n', hide = true)]
    syscall_numbers: bool,
    #[arg(short = 'X', hide = true, value_name = "FORMAT")]
    xlat_style: Option<String>,
    #[arg(short = 'p', hide = true, value_name = "PID")]
    attach: Option<String>,
    #[arg(short = 'u', hide = true, value_name = "USER")]
    user: Option<String>,
    #[arg(short = 'P', hide = true, value_name = "PATH")]
    path: Option<String>,
    #[arg(short = 'a', hide = true, value_name = "COLUMN")]
    align: Option<String>,
    #[arg(short = 'b', hide = true, value_name = "SYSCALL")]
    detach_on: Option<String>,
    #[arg(short = 'E', hide = true, value_name = "VAR")]
    env: Option<String>,
    #[arg(short = 'D', hide = true)]
    daemon: bool,
}

impl Unsupported {
    /// The message for the first unsupported option given, if any.
    fn refusal(&self) -> Option<String> {
        let flags: [(bool, &str, &str); 11] = [
            (self.instruction_pointer, "-i", "not supported yet"),
            (self.stack_trace, "-k", "not supported yet"),
            (self.syscall_numbers, "-n", "not supported yet"),
            (self.xlat_style.is_some(), "-X", "not supported yet"),
            (
                self.attach.is_some(),
                "-p",
                "not supported (sysgate runs inside the program it starts; it cannot attach)",
            ),
            (self.user.is_some(), "-u", "not supported yet"),
            (self.path.is_some(), "-P", "not supported yet"),
            (self.align.is_some(), "-a", "not supported yet"),
            (self.detach_on.is_some(), "-b", "not supported yet"),
            (self.env.is_some(), "-E", "not supported yet"),
            (
                self.daemon,
                "-D",
                "not supported (there is no tracer process to detach)",
            ),
        ];
        flags
            .iter()
            .find(|(on, _, _)| *on)
            .map(|(_, flag, why)| format!("trace {flag}: {why}"))
    }
}

fn fail(msg: impl std::fmt::Display, code: u8) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "sysgate: {msg}");
    ExitCode::from(code)
}

/// `sysgate-loader`, which sits beside `sysgate`.
fn loader_path() -> Result<PathBuf, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find sysgate's own path: {e}"))?;
    let loader = exe.with_file_name("sysgate-loader");
    if loader.is_file() {
        Ok(loader)
    } else {
        Err(format!(
            "{} not found (build the whole workspace: cargo build --release)",
            loader.display()
        ))
    }
}

/// What the `-e` expressions select.
struct Qualifiers {
    /// `-e inject=`/`fault=` rules in their wire form.
    injects: Vec<String>,
    set: sysgate_abi::SyscallSet,
    /// `tracer::status` bits (successful 1, failed 2, unfinished 4, unavailable 8, detached 16).
    status: u8,
    /// Signals whose delivery lines are shown (bit n-1 for signal n).
    signals: u64,
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

fn qualifiers(exprs: &[String], successful: bool, failed: bool) -> Result<Qualifiers, String> {
    let mut q = Qualifiers {
        injects: Vec::new(),
        set: sysgate_abi::SyscallSet::all(),
        status: STATUS_ALL,
        signals: !0,
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
            other => return Err(format!("-e {other}=… is not supported yet")),
        }
    }
    Ok(q)
}

/// `FILE` as hex, for the configuration string (a path may hold `;`).
fn hex_bytes(b: &[u8]) -> String {
    b.iter().map(|c| format!("{c:02x}")).collect()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let loader_bin = match loader_path() {
        Ok(l) => l,
        Err(e) => return fail(e, 1),
    };
    let diag = match loader::dup_high(2) {
        Ok(fd) => fd,
        Err(e) => return fail(format!("cannot set up diagnostics: {e}"), 1),
    };
    let mut extra = Extra::default();
    let (prog, mut config, out_fd, show_execve, mut out_file, prefix_pid) = match &cli.cmd {
        Cmd::Run(r) => {
            let mut config = format!("tool=run;follow=1{}", r.common.config());
            let injects = match run_qualifiers(&r.expr) {
                Ok(i) => i,
                Err(e) => return fail(e, 1),
            };
            if !injects.is_empty() {
                config.push_str(&format!(";inj={}", injects.join("/")));
                extra.shared_words = extra.shared_words.max(summary::INJECT_REGION_WORDS);
            }
            if let Some(t) = &r.clock {
                let virt = match clock::parse_time(t) {
                    Ok(v) => v,
                    Err(e) => return fail(e, 1),
                };
                let ppm = match r.clock_rate.as_deref().map(clock::parse_rate).transpose() {
                    Ok(p) => p.unwrap_or(1_000_000),
                    Err(e) => return fail(e, 1),
                };
                config.push_str(&format!(";clock={}", clock::wire(virt, ppm)));
            }
            (&r.prog, config, -1, false, Sink::Stderr, false)
        }
        Cmd::Count(k) => {
            let sort = match summary::SortBy::parse(&k.sort_by) {
                Ok(s) => s,
                Err(e) => return fail(e, 1),
            };
            let q = match qualifiers(&k.expr, false, false) {
                Ok(q) => q,
                Err(e) => return fail(e, 1),
            };
            let mut words = String::new();
            let _ = q.set.write_words(&mut words);
            let mut config = format!(
                "tool=count;follow=1;count={};cset={}{}",
                if k.wall_clock { "wall" } else { "cpu" },
                words,
                k.common.config()
            );
            extra.shared_words = summary::WORDS;
            if !q.injects.is_empty() {
                config.push_str(&format!(";inj={}", q.injects.join("/")));
                extra.shared_words = extra.shared_words.max(summary::INJECT_REGION_WORDS);
            }
            extra.summary = Some(sort);
            let sink = match &k.output {
                Some(path) => match loader::open_output(path) {
                    Ok(f) => Sink::File(f),
                    Err(e) => return fail(format!("can't fopen '{}': {e}", path.display()), 1),
                },
                None => Sink::Stderr,
            };
            (&k.prog, config, -1, true, sink, false)
        }
        Cmd::Sandbox(sb) => {
            let mut pol = match &sb.policy {
                Some(path) => {
                    let text = match std::fs::read_to_string(path) {
                        Ok(t) => t,
                        Err(e) => {
                            return fail(format!("cannot read policy {}: {e}", path.display()), 1)
                        }
                    };
                    match policy::parse(&path.display().to_string(), &text) {
                        Ok(p) => p,
                        Err(e) => return fail(e, 1),
                    }
                }
                None => policy::Policy {
                    default: policy::Act::Allow,
                    rules: Vec::new(),
                },
            };
            if sb.policy.is_none() && sb.deny.is_empty() {
                return fail(
                    "sandbox: give a policy (--policy FILE) or something to deny (--deny SET)",
                    1,
                );
            }
            let mut denies = Vec::new();
            for d in &sb.deny {
                match policy::deny_rule(d) {
                    Ok(r) => denies.push(r),
                    Err(e) => return fail(e, 1),
                }
            }
            denies.append(&mut pol.rules);
            pol.rules = denies;
            let wire = match pol.wire() {
                Ok(w) => w,
                Err(e) => return fail(e, 1),
            };
            (
                &sb.prog,
                format!("tool=run;follow=1;{wire}{}", sb.common.config()),
                -1,
                false,
                Sink::Stderr,
                false,
            )
        }
        Cmd::Trace(t) => {
            if let Some(msg) = t.unsupported.refusal() {
                return fail(msg, 1);
            }
            let q = match qualifiers(&t.expr, t.successful, t.failed) {
                Ok(q) => q,
                Err(e) => return fail(e, 1),
            };
            let follow = t.follow > 0 || t.perfetto.is_some();
            // -ff without -o is -f (as in strace).
            let per_process = t.follow > 1 && t.output.as_ref().is_some_and(|p| !is_pipe(p));
            let output = t.perfetto.as_ref().or(t.output.as_ref());
            let (out_fd, mut sink) = match output {
                Some(path) if is_pipe(path) => {
                    let cmd = path.as_os_str().to_string_lossy()[1..].to_string();
                    let child = match std::process::Command::new("/bin/sh")
                        .arg("-c")
                        .arg(&cmd)
                        .stdin(std::process::Stdio::piped())
                        .spawn()
                    {
                        Ok(c) => c,
                        Err(e) => return fail(format!("can't run '{cmd}': {e}"), 1),
                    };
                    let Some(stdin) = child.stdin.as_ref() else {
                        return fail(format!("can't run '{cmd}': no pipe"), 1);
                    };
                    match loader::high_copy(stdin) {
                        Ok(fd) => (fd, Sink::Pipe(child)),
                        Err(e) => return fail(format!("can't run '{cmd}': {e}"), 1),
                    }
                }
                Some(path) if per_process => match std::path::absolute(path) {
                    // Each process opens FILE.<pid> itself, on its first line.
                    Ok(abs) => (-1, Sink::PerProcess(abs)),
                    Err(e) => return fail(format!("can't fopen '{}': {e}", path.display()), 1),
                },
                Some(path) => match loader::open_output(path) {
                    Ok(f) => match loader::high_copy(&f) {
                        Ok(fd) => (fd, Sink::File(f)),
                        Err(e) => return fail(format!("{}: {e}", path.display()), 1),
                    },
                    Err(e) => return fail(format!("can't fopen '{}': {e}", path.display()), 1),
                },
                None => (diag, Sink::Stderr),
            };
            let to_file = output.is_some();
            let prefix = match (follow, to_file, per_process) {
                (false, _, _) | (_, _, true) => "none",
                (true, true, false) => "pid",
                (true, false, false) => "bracket",
            };
            let mut words = String::new();
            let _ = q.set.write_words(&mut words);
            let ff = match &sink {
                Sink::PerProcess(p) => hex_bytes(p.as_os_str().as_encoded_bytes()),
                _ => String::new(),
            };
            let config = format!(
                "tool=trace;follow={};tofile={};buffer={};s={};prefix={};set={};status={};sig={:x};x={};v={};y={};t={};r={};T={};q={};ff={}{}",
                follow as u8,
                to_file as u8,
                // Lines to a file or a pipe are written in chunks; to a terminal, line by line.
                to_file as u8,
                t.strsize,
                prefix,
                words,
                q.status,
                q.signals,
                t.hex.min(2),
                t.verbose as u8,
                t.decode_fds.min(2),
                t.timestamps.min(3),
                t.relative as u8,
                t.time_in_call as u8,
                t.quiet,
                ff,
                t.common.config()
            );
            let mut config = config;
            if t.count {
                // -c: the summary instead of the trace.
                config = config.replacen("tool=trace;", "tool=count;", 1);
            }
            if t.count || t.count_too {
                let sort = match summary::SortBy::parse(t.sort_by.as_deref().unwrap_or("time")) {
                    Ok(s) => s,
                    Err(e) => return fail(e, 1),
                };
                config.push_str(&format!(
                    ";count={};cset={}",
                    if t.wall_clock { "wall" } else { "cpu" },
                    words
                ));
                extra.summary = Some(sort);
                extra.shared_words = summary::WORDS;
            } else if t.sort_by.is_some() || t.wall_clock {
                return fail("trace -S and -w only apply to the summary (-c or -C)", 1);
            }
            if t.json {
                config.push_str(";fmt=json");
                extra.json = true;
            }
            if let Some(path) = &t.perfetto {
                config.push_str(";fmt=perfetto");
                if let Sink::File(f) = &mut sink {
                    if let Err(e) = f.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")
                    {
                        return fail(format!("{}: {e}", path.display()), 1);
                    }
                }
                extra.perfetto = true;
            }
            if !q.injects.is_empty() {
                config.push_str(&format!(";inj={}", q.injects.join("/")));
                extra.shared_words = extra.shared_words.max(summary::INJECT_REGION_WORDS);
            }
            (&t.prog, config, out_fd, true, sink, prefix == "pid")
        }
    };
    // The region every process of the run shares (counters), created before the program.
    let shared = if extra.shared_words > 0 {
        match loader::shared_region((extra.shared_words * 8) as u64) {
            Ok((file, fd)) => {
                config.push_str(&format!(";shm={fd:07}"));
                Some(file)
            }
            Err(e) => return fail(format!("cannot create the shared counters: {e}"), 1),
        }
    } else {
        None
    };
    let argv0 = &prog.argv[0];
    let program = match loader::resolve(argv0).and_then(|p| loader::validate(&p).map(|_| p)) {
        Ok(p) => p,
        Err(e) => {
            let code = e.code as u8;
            return fail(e, code);
        }
    };
    let launch = loader::Launch {
        program: &program,
        argv0,
        args: &prog.argv[1..],
        loader: &loader_bin,
        config,
        out_fd,
        diag_fd: diag,
        show_execve,
    };
    let start_error = |e: std::io::Error| {
        let code = if e.kind() == std::io::ErrorKind::PermissionDenied {
            126
        } else {
            127
        };
        fail(format!("{}: {e}", argv0.to_string_lossy()), code)
    };
    // `run` has nothing to do once the program has ended (its output, its exit status and its
    // signals are the program's): the program takes this process's place.
    if matches!(cli.cmd, Cmd::Run(_)) {
        return start_error(loader::exec(&launch));
    }
    let (pid, status) = match loader::launch(&launch) {
        Ok(s) => s,
        Err(e) => return start_error(e),
    };
    let tracing = matches!(&cli.cmd, Cmd::Trace(t) if !t.count);
    if let (Some(sig), true, false) = (status.signal(), tracing, extra.perfetto) {
        let name = sysgate_abi::signal::name(sig).unwrap_or("SIG?");
        let line = if extra.json {
            format!(
                "{{\"pid\":{pid},\"killed\":\"{name}\",\"core\":{}}}\n",
                status.core_dumped()
            )
        } else {
            let core = if status.core_dumped() {
                " (core dumped)"
            } else {
                ""
            };
            let prefix = if prefix_pid {
                format!("{pid:<5} ")
            } else {
                String::new()
            };
            format!("{prefix}+++ killed by {name}{core} +++\n")
        };
        let _ = out_file.write(line.as_bytes(), pid);
    }
    if extra.perfetto {
        // Close the event array: a last metadata event naming the first process.
        let name = std::path::Path::new(argv0)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name: String = name
            .chars()
            .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
            .collect();
        let end = format!(
            "{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":{pid},\"tid\":{pid},\"args\":{{\"name\":\"{name}\"}}}}\n]}}\n"
        );
        let _ = out_file.write(end.as_bytes(), pid);
    }
    if let (Some(sort), Some(file)) = (extra.summary, &shared) {
        match summary::summary(file, sort) {
            Ok(text) => {
                let _ = out_file.write(text.as_bytes(), pid);
            }
            Err(e) => {
                let _ = fail(format!("cannot read the counters: {e}"), 1);
            }
        }
    }
    out_file.finish();
    loader::exit_like(status)
}

/// What a command needs beyond the configuration string.
#[derive(Default)]
struct Extra {
    /// Size of the shared region in 64-bit words (0: none).
    shared_words: usize,
    /// Print the call summary at the end, sorted this way.
    summary: Option<summary::SortBy>,
    /// `--json`: sysgate's own lines are JSON too.
    json: bool,
    /// `--perfetto`: the output file holds a trace-event array to close at the end.
    perfetto: bool,
}

/// `run -e`: only fault injection (`inject=`, `fault=`).
fn run_qualifiers(exprs: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for e in exprs {
        match e.split_once('=') {
            Some((k @ ("inject" | "fault"), v)) => out.push(inject::parse(v, k == "fault")?.wire()),
            _ => {
                return Err(format!(
                "run -e {e}: only inject=… and fault=… apply to run (use `sysgate trace` to trace)"
            ))
            }
        }
    }
    Ok(out)
}

/// `-o |CMD` or `-o !CMD`.
fn is_pipe(p: &std::path::Path) -> bool {
    matches!(p.as_os_str().as_encoded_bytes().first(), Some(b'|' | b'!'))
}

/// Where sysgate itself appends to the trace (the `+++ killed by` line of the first process).
enum Sink {
    Stderr,
    File(std::fs::File),
    /// `-ff -o FILE`: FILE (absolute); process PID writes FILE.PID.
    PerProcess(PathBuf),
    /// `-o |CMD`: the shell running CMD, reading the trace on its stdin.
    Pipe(std::process::Child),
}

impl Sink {
    fn write(&mut self, bytes: &[u8], pid: u32) -> std::io::Result<()> {
        match self {
            Sink::Stderr => std::io::stderr().write_all(bytes),
            Sink::File(f) => f.write_all(bytes),
            Sink::PerProcess(p) => {
                let mut name = p.clone().into_os_string();
                name.push(format!(".{pid}"));
                std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(name)?
                    .write_all(bytes)
            }
            Sink::Pipe(c) => match c.stdin.as_mut() {
                Some(s) => s.write_all(bytes),
                None => Ok(()),
            },
        }
    }

    /// Closes sysgate's end of a pipe. The command sees the end of the trace once the last
    /// writer is gone (sysgate's own inherited copy goes when sysgate exits), so it is not
    /// waited for.
    fn finish(self) {
        if let Sink::Pipe(mut c) = self {
            drop(c.stdin.take());
        }
    }
}
