//! `sysgate trace`: strace's command line and output, one line per syscall (or JSON, or a
//! Perfetto timeline), to stderr, a file, a file per process or a pipe.

use clap::{ArgAction, Args};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::options::{fail, is_pipe, qualifiers, Common, Program, StartArgs};
use crate::start::{Extra, Prepared, Sink, Stay};
use crate::summary;
use sysgate_launch as loader;

#[derive(Args)]
pub(crate) struct TraceArgs {
    /// Follow threads and child processes; `-ff` with `-o FILE`: one file per process, FILE.PID.
    #[arg(short = 'f', long = "follow-forks", action = ArgAction::Count)]
    follow: u8,
    /// With -f and -o FILE: one file per process, FILE.PID (as -ff).
    #[arg(long)]
    output_separately: bool,
    /// Print the syscall number before each line, `[   1] `.
    #[arg(short = 'n', long = "syscall-number")]
    syscall_numbers: bool,
    /// Print the instruction pointer at each call, `[00007f…] `.
    #[arg(short = 'i', long = "instruction-pointer")]
    instruction_pointer: bool,
    /// Align results at COLUMN (default 40).
    #[arg(
        short = 'a',
        long = "columns",
        value_name = "COLUMN",
        default_value_t = 40
    )]
    align: usize,
    /// Append to the -o file(s) instead of truncating them.
    #[arg(short = 'A', long = "output-append-mode")]
    append: bool,
    /// Write the trace to FILE instead of stderr; `|CMD` or `!CMD` pipes it into a shell command.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Qualifying expression: `trace=SET` (names, %classes, /regex, !negation; a bare SET means
    /// trace=SET), `status=LIST`, `signal=SET`.
    #[arg(short = 'e', value_name = "EXPR")]
    expr: Vec<String>,
    /// `-e trace=SET`.
    #[arg(long = "trace", value_name = "SET")]
    trace_set: Vec<String>,
    /// `-e signal=SET`.
    #[arg(long = "signal", value_name = "SET")]
    signal_set: Vec<String>,
    /// `-e status=SET`.
    #[arg(long = "status", value_name = "SET")]
    status_set: Vec<String>,
    /// Maximum string size to print (default 32).
    #[arg(
        short = 's',
        long = "string-limit",
        value_name = "N",
        default_value_t = 32
    )]
    strsize: usize,
    /// Print structures in full (unabbreviated).
    #[arg(short = 'v', long = "no-abbrev")]
    verbose: bool,
    /// Strings with non-ASCII bytes in hex; `-xx`: all strings in hex.
    #[arg(short = 'x', action = ArgAction::Count)]
    hex: u8,
    /// Descriptors with their paths; `-yy`: sockets with their endpoints too.
    #[arg(short = 'y', action = ArgAction::Count)]
    decode_fds: u8,
    /// Time spent in each call, `<0.000012>`.
    #[arg(short = 'T', long = "syscall-times")]
    time_in_call: bool,
    /// Time of day before each line; `-tt` with microseconds; `-ttt` as seconds since the epoch.
    #[arg(short = 't', action = ArgAction::Count)]
    timestamps: u8,
    /// Time since the previous call's entry before each line.
    #[arg(short = 'r', long = "relative-timestamps")]
    relative: bool,
    /// Only calls that succeeded (`-e status=successful`).
    #[arg(short = 'z', long = "successful-only")]
    successful: bool,
    /// Only calls that failed (`-e status=failed`).
    #[arg(short = 'Z', long = "failed-only")]
    failed: bool,
    /// Quiet: accepted (sysgate prints no attach/detach messages); `-qq` also drops the
    /// `+++ exited with N +++` lines.
    #[arg(short = 'q', action = ArgAction::Count)]
    quiet: u8,
    /// Count calls, errors and time per syscall and print a summary instead of the trace.
    #[arg(short = 'c', long = "summary-only")]
    count: bool,
    /// Print the trace and the summary.
    #[arg(short = 'C', long = "summary")]
    count_too: bool,
    /// Sort the summary by `time` (default), `calls`, `errors`, `name`, `min-time`,
    /// `max-time`, `avg-time` or `nothing`.
    #[arg(short = 'S', long = "summary-sort-by", value_name = "SORTBY")]
    sort_by: Option<String>,
    /// Stop tracing once LIMIT calls have been shown (calls left out by -e, -P or -z do not
    /// count); the program runs on, untraced.
    #[arg(long = "syscall-limit", value_name = "LIMIT")]
    syscall_limit: Option<String>,
    /// Process ids with the process's name, `1234<cat>` (as --decode-pids=comm).
    #[arg(short = 'Y')]
    decode_pids: bool,
    /// `comm`: as -Y; `pidns`: refused (sysgate traces in the program's own namespace).
    #[arg(long = "decode-pids", value_name = "WHAT")]
    decode_pids_long: Option<String>,
    /// Trace only the calls that touch PATH: a path argument that is PATH, or a descriptor
    /// open on it (may be repeated).
    #[arg(short = 'P', long = "trace-path", value_name = "PATH")]
    trace_path: Vec<PathBuf>,
    /// `-b execve`: let go of a process when it execs (the new image runs untraced).
    #[arg(short = 'b', long = "detach-on", value_name = "SYSCALL")]
    detach_on: Option<String>,
    /// Summary columns, comma-separated: time-percent, total-time, min-time, max-time,
    /// avg-time, calls, errors, name (default time-percent,total-time,avg-time,calls,errors,name).
    #[arg(short = 'U', long = "summary-columns", value_name = "COLUMNS")]
    columns: Option<String>,
    /// Summary: wall-clock time in each call instead of its thread's CPU time.
    #[arg(short = 'w', long = "summary-wall-clock")]
    wall_clock: bool,
    /// One JSON object per call (pid, tid, time, name, args, result, errno, duration).
    #[arg(long)]
    json: bool,
    /// Write a Chrome/Perfetto trace-event file (a per-thread timeline of the calls) to FILE;
    /// follows children.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["json", "output", "count", "count_too"])]
    perfetto: Option<PathBuf>,
    /// After the trace, print to stderr how many records the program's threads handed over
    /// and how often one waited for room in its ring.
    #[arg(long)]
    stats: bool,
    /// Print the call stack after each line (` > /lib/libc.so.6(write+0x14) [0x10e4d4]`), as
    /// strace -k does.
    #[arg(short = 'k', long = "stack-traces")]
    stack_trace: bool,
    /// `-k`: bytes of the caller's stack copied at each call, from which its frames are found
    /// (deeper stacks are cut short).
    #[arg(long, value_name = "BYTES", default_value_t = 16384)]
    stack_bytes: usize,
    /// strace's long spellings of `-e NAME=…`: `--inject=`, `--fault=`, `--read=`, `--write=`,
    /// `--quiet=`, `--decode-fds=`, `--abbrev=`, `--verbose=`, `--raw=`, `--kvm=`.
    #[command(flatten)]
    long_exprs: LongExprs,
    /// strace options sysgate does not support yet (each is refused with a message).
    #[command(flatten)]
    unsupported: Unsupported,
    #[command(flatten)]
    start: StartArgs,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    prog: Program,
}

/// strace's long options that stand for an `-e` qualifier, and the long forms of `-t` and
/// `-x` that take a value.
#[derive(Args)]
struct LongExprs {
    #[arg(long = "inject", hide = true, value_name = "SET")]
    e_inject: Vec<String>,
    #[arg(long = "fault", hide = true, value_name = "SET")]
    e_fault: Vec<String>,
    #[arg(long = "read", hide = true, value_name = "SET")]
    e_read: Vec<String>,
    #[arg(long = "write", hide = true, value_name = "SET")]
    e_write: Vec<String>,
    #[arg(long = "quiet", hide = true, value_name = "SET", num_args = 0..=1, default_missing_value = "attach,personality")]
    e_quiet: Vec<String>,
    #[arg(long = "decode-fds", hide = true, value_name = "SET", num_args = 0..=1, default_missing_value = "path")]
    e_decode_fds: Vec<String>,
    #[arg(long = "abbrev", hide = true, value_name = "SET")]
    e_abbrev: Vec<String>,
    #[arg(long = "verbose", hide = true, value_name = "SET")]
    e_verbose: Vec<String>,
    #[arg(long = "raw", hide = true, value_name = "SET")]
    e_raw: Vec<String>,
    #[arg(long = "kvm", hide = true, value_name = "SET")]
    e_kvm: Vec<String>,
    /// `--absolute-timestamps[=format:time|unix,precision:s|ms|us|ns]`: as `-t`, `-tt`, `-ttt`.
    #[arg(long = "absolute-timestamps", alias = "timestamps", hide = true, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "")]
    e_timestamps: Option<String>,
    /// `--strings-in-hex[=non-ascii|all|none]`: as `-x`, `-xx`.
    #[arg(long = "strings-in-hex", hide = true, value_name = "WHICH", num_args = 0..=1, default_missing_value = "all")]
    e_strings_in_hex: Option<String>,
    /// `-V`: sysgate's version.
    #[arg(short = 'V', long = "version", hide = true)]
    e_version: bool,
}

impl LongExprs {
    /// The `-e` expressions these stand for.
    fn exprs(&self) -> Vec<String> {
        let mut e = Vec::new();
        for (name, vals) in [
            ("inject", &self.e_inject),
            ("fault", &self.e_fault),
            ("read", &self.e_read),
            ("write", &self.e_write),
            ("quiet", &self.e_quiet),
            ("decode-fds", &self.e_decode_fds),
            ("abbrev", &self.e_abbrev),
            ("verbose", &self.e_verbose),
            ("raw", &self.e_raw),
            ("kvm", &self.e_kvm),
        ] {
            e.extend(vals.iter().map(|v| format!("{name}={v}")));
        }
        e
    }

    /// `-t` level of `--absolute-timestamps=…` (0: not given).
    fn timestamps(&self) -> Result<u8, String> {
        let Some(v) = &self.e_timestamps else {
            return Ok(0);
        };
        let (mut unix, mut fine) = (false, false);
        for w in v.split(',').filter(|w| !w.is_empty()) {
            match w
                .strip_prefix("format:")
                .or(w.strip_prefix("precision:"))
                .unwrap_or(w)
            {
                "time" | "s" => {}
                "unix" => unix = true,
                "ms" | "us" | "ns" => fine = true,
                _ => return Err(format!("invalid --absolute-timestamps argument: '{w}'")),
            }
        }
        Ok(if unix {
            3
        } else if fine {
            2
        } else {
            1
        })
    }

    /// `-x` level of `--strings-in-hex=…` (0: not given).
    fn hex(&self) -> Result<u8, String> {
        Ok(match self.e_strings_in_hex.as_deref() {
            None | Some("none") => 0,
            Some("non-ascii") | Some("non-ascii-chars") => 1,
            Some("all") => 2,
            Some(v) => return Err(format!("invalid --strings-in-hex argument: '{v}'")),
        })
    }
}

/// strace's options that sysgate refuses, so that none is silently ignored.
#[derive(Args)]
struct Unsupported {
    #[arg(
        short = 'X',
        long = "const-print-style",
        hide = true,
        value_name = "FORMAT"
    )]
    xlat_style: Option<String>,
    #[arg(short = 'p', long = "attach", hide = true, value_name = "PID")]
    attach: Option<String>,
    #[arg(short = 'D', long = "daemonize", hide = true, action = ArgAction::Count)]
    daemon: u8,
    #[arg(
        short = 'O',
        long = "summary-syscall-overhead",
        hide = true,
        value_name = "OVERHEAD"
    )]
    overhead: Option<String>,
    #[arg(short = 'd', long = "debug", hide = true)]
    debug: bool,
    #[arg(short = 'F', hide = true)]
    follow_vfork: bool,
    #[arg(long = "tips", hide = true)]
    tips: bool,
    #[arg(long = "seccomp-bpf", hide = true)]
    seccomp_bpf: bool,
}

impl Unsupported {
    /// The message for the first unsupported option given, if any.
    fn refusal(&self) -> Option<String> {
        let flags: [(bool, &str, &str); 7] = [
            (self.overhead.is_some(), "-O", "not supported yet"),
            (self.debug, "-d", "not supported yet"),
            (
                self.follow_vfork,
                "-F",
                "not supported (strace's old -f for vfork; use -f)",
            ),
            (self.tips, "--tips", "not supported"),
            (self.xlat_style.is_some(), "-X", "not supported yet"),
            (
                self.attach.is_some(),
                "-p",
                "not supported (sysgate runs inside the program it starts; it cannot attach)",
            ),
            (
                self.daemon > 0,
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

pub(crate) fn prepare(t: &TraceArgs) -> Result<Prepared<'_>, ExitCode> {
    let mut extra = Extra::default();
    if t.long_exprs.e_version {
        println!(
            "sysgate {} (commit {})",
            env!("CARGO_PKG_VERSION"),
            env!("SYSGATE_COMMIT")
        );
        return Err(ExitCode::SUCCESS);
    }
    if let Some(msg) = t.unsupported.refusal() {
        return Err(fail(msg, 1));
    }
    extra.start = t.start.resolve("trace").map_err(|e| fail(e, 1))?;
    if t.unsupported.seccomp_bpf {
        eprintln!(
            "sysgate: trace --seccomp-bpf: accepted and not needed: untraced calls never leave the program"
        );
    }
    // strace's long spellings of -e.
    let mut expr = t.expr.clone();
    expr.extend(t.trace_set.iter().map(|v| format!("trace={v}")));
    expr.extend(t.signal_set.iter().map(|v| format!("signal={v}")));
    expr.extend(t.status_set.iter().map(|v| format!("status={v}")));
    expr.extend(t.long_exprs.exprs());
    let long_t = t.long_exprs.timestamps().map_err(|e| fail(e, 1))?;
    let long_x = t.long_exprs.hex().map_err(|e| fail(e, 1))?;
    let q = match qualifiers(&expr, t.successful, t.failed) {
        Ok(q) => q,
        Err(e) => return Err(fail(e, 1)),
    };
    let follow = t.follow > 0 || t.perfetto.is_some();
    // -ff without -o is -f (as in strace).
    let separately = t.follow > 1 || (t.follow > 0 && t.output_separately);
    let per_process = separately && t.output.as_ref().is_some_and(|p| !is_pipe(p));
    let output = t.perfetto.as_ref().or(t.output.as_ref());
    // The program's threads hand their lines to this process through rings (`drain.rs`):
    // the program gets no output descriptor.
    let mut sink = match output {
        Some(path) if is_pipe(path) => {
            let cmd = path.as_os_str().to_string_lossy()[1..].to_string();
            let child = match std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(&cmd)
                .stdin(std::process::Stdio::piped())
                .spawn()
            {
                Ok(c) => c,
                Err(e) => return Err(fail(format!("can't run '{cmd}': {e}"), 1)),
            };
            if child.stdin.is_none() {
                return Err(fail(format!("can't run '{cmd}': no pipe"), 1));
            }
            Sink::Pipe(child)
        }
        Some(path) if per_process => match std::path::absolute(path) {
            // FILE.<pid>, opened on the process's first line.
            Ok(abs) => Sink::PerProcess(abs, t.append),
            Err(e) => return Err(fail(format!("can't fopen '{}': {e}", path.display()), 1)),
        },
        Some(path) => match loader::open_output(path, t.append) {
            Ok(f) => Sink::File(f),
            Err(e) => return Err(fail(format!("can't fopen '{}': {e}", path.display()), 1)),
        },
        None => Sink::Stderr,
    };
    let to_file = output.is_some();
    let prefix = match (follow, to_file, per_process) {
        (false, _, _) | (_, _, true) => "none",
        (true, true, false) => "pid",
        (true, false, false) => "bracket",
    };
    let mut words = String::new();
    let _ = q.set.write_words(&mut words);
    let config = format!(
        "tool=trace;follow={};tofile={};s={};prefix={};set={};status={};sig={:x};x={};v={};y={};t={};r={};T={};q={}{}",
        follow as u8,
        to_file as u8,
        t.strsize,
        prefix,
        words,
        q.status,
        q.signals,
        t.hex.max(long_x).min(2),
        t.verbose as u8,
        t.decode_fds.max(q.decode_fds).min(2),
        t.timestamps.max(long_t).min(3),
        t.relative as u8,
        t.time_in_call as u8,
        if q.quiet_exits { t.quiet.max(2) } else { t.quiet },
        t.common.config()
    );
    let mut config = config;
    if t.syscall_numbers {
        config.push_str(";n=1");
    }
    if t.align != 40 {
        config.push_str(&format!(";a={}", t.align));
        crate::drain::set_column(t.align);
    }
    if q.quiet_personality {
        config.push_str(";qp=1");
    }
    if t.instruction_pointer {
        config.push_str(";i=1");
    }
    let decode_pids = match t.decode_pids_long.as_deref() {
        None => t.decode_pids,
        Some("comm") => true,
        Some(other) => {
            return Err(fail(
                format!("trace --decode-pids={other}: not supported (comm is)"),
                1,
            ));
        }
    };
    if decode_pids {
        config.push_str(";Y=1");
    }
    if let Some(fds) = &q.dump_read {
        config.push_str(&format!(";rd={fds}"));
    }
    if let Some(fds) = &q.dump_write {
        config.push_str(&format!(";wr={fds}"));
    }
    if !t.trace_path.is_empty() {
        config.push_str(&format!(";P={}", trace_paths(&t.trace_path, q.quiet_paths)));
    }
    match t.detach_on.as_deref() {
        None => {}
        Some("execve") => config.push_str(";b=1"),
        Some(other) => {
            return Err(fail(format!("Syscall '{other}' for -b isn't supported"), 1));
        }
    }
    match t.common.clock_config() {
        Ok(c) => config.push_str(&c),
        Err(e) => return Err(fail(e, 1)),
    }
    if t.count {
        // -c: the summary instead of the trace.
        config = config.replacen("tool=trace;", "tool=count;", 1);
    }
    if t.count || t.count_too {
        let sort = match summary::SortBy::parse(t.sort_by.as_deref().unwrap_or("time")) {
            Ok(s) => s,
            Err(e) => return Err(fail(e, 1)),
        };
        config.push_str(&format!(
            ";count={};cset={}",
            if t.wall_clock { "wall" } else { "cpu" },
            words
        ));
        extra.summary = Some(sort);
        extra.shared_words = summary::WORDS;
        if let Some(list) = &t.columns {
            extra.columns = summary::Column::parse_list(list).map_err(|e| fail(e, 1))?;
        }
    } else if t.sort_by.is_some() || t.wall_clock || t.columns.is_some() {
        return Err(fail(
            "trace -S, -U and -w only apply to the summary (-c or -C)",
            1,
        ));
    }
    if t.json {
        config.push_str(";fmt=json");
        extra.json = true;
    }
    if let Some(path) = &t.perfetto {
        config.push_str(";fmt=perfetto");
        if let Sink::File(f) = &mut sink {
            if let Err(e) = f.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n") {
                return Err(fail(format!("{}: {e}", path.display()), 1));
            }
        }
        extra.perfetto = true;
    }
    if !q.injects.is_empty() {
        config.push_str(&format!(";inj={}", q.injects.join("/")));
        extra.shared_words = extra.shared_words.max(summary::INJECT_REGION_WORDS);
    }
    if t.stack_trace {
        if t.count && !t.count_too {
            return Err(fail("trace -k: -c prints no lines to put stacks under", 1));
        }
        if !(64..=56 * 1024).contains(&t.stack_bytes) {
            return Err(fail("trace --stack-bytes: from 64 to 57344", 1));
        }
        config.push_str(&format!(";k={}", t.stack_bytes));
        extra.stacks = Some(if t.json {
            crate::drain::StackStyle::Json
        } else if t.perfetto.is_some() {
            crate::drain::StackStyle::Perfetto
        } else {
            crate::drain::StackStyle::Text
        });
    }
    if let Some(v) = &t.syscall_limit {
        let limit = match v.parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(fail(
                    format!("trace --syscall-limit: invalid value '{v}'"),
                    1,
                ))
            }
        };
        if t.count {
            return Err(fail("trace --syscall-limit: with -c not supported yet", 1));
        }
        // One word after the counters' and injections' layouts, shared by the whole tree.
        let word = summary::WORDS.max(summary::INJECT_REGION_WORDS);
        config.push_str(&format!(";lim={limit};limw={word}"));
        extra.shared_words = extra.shared_words.max(word + 1);
    }
    extra.rings = !t.count;
    extra.stats = t.stats;
    Ok(Prepared {
        prog: &t.prog,
        config,
        out_fd: -1,
        show_execve: true,
        sink,
        prefix_pid: prefix == "pid",
        extra,
        stay: Stay::Wait {
            killed_line: !t.count,
        },
        landlock: None,
    })
}

/// `-P` paths for the configuration, each with its resolved form when that differs (said on
/// stderr, as strace says it, unless `quiet`).
fn trace_paths(paths: &[PathBuf], quiet: bool) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut all: Vec<PathBuf> = Vec::new();
    for p in paths {
        all.push(p.clone());
        if let Ok(real) = std::fs::canonicalize(p) {
            if real != *p {
                if !quiet {
                    eprintln!(
                        "sysgate: Requested path \"{}\" resolved into \"{}\"",
                        p.display(),
                        real.display()
                    );
                }
                all.push(real);
            }
        }
    }
    crate::options::hex_paths(all.iter().map(|p| p.as_os_str().as_bytes()))
}
