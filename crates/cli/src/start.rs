//! What every command does once its options are read: create the shared region, start the
//! program through the loader, append sysgate's own last lines (`+++ killed by`, the summary,
//! the end of a Perfetto array) and end the way the program ended.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::options::{fail, Program};
use crate::summary;
use sysgate_launch as loader;

/// A command, ready to start: its program, the runtime's configuration and where output goes.
pub(crate) struct Prepared<'a> {
    pub(crate) prog: &'a Program,
    pub(crate) config: String,
    /// The trace output descriptor the runtime writes to (-1: none).
    pub(crate) out_fd: i32,
    /// The tool prints the first `execve` line itself.
    pub(crate) show_execve: bool,
    pub(crate) sink: Sink,
    /// Lines carry a `PID ` prefix (`-f` to a file).
    pub(crate) prefix_pid: bool,
    pub(crate) extra: Extra,
    pub(crate) stay: Stay,
    /// `sandbox`: the rules the kernel enforces too (Landlock).
    pub(crate) landlock: Option<crate::landlock::Request>,
}

/// How the `sysgate` process spends the program's run.
pub(crate) enum Stay {
    /// `run`: the program takes this process's place (its output, exit status and signals are
    /// the program's; nothing is left to do once it ends).
    ExecInPlace,
    /// Wait for the program, then append sysgate's own lines; `killed_line`: the trace's
    /// `+++ killed by SIG +++` line when the program dies of a signal.
    Wait { killed_line: bool },
}

/// What a command needs beyond the configuration string.
#[derive(Default)]
pub(crate) struct Extra {
    /// Size of the shared region in 64-bit words (0: none).
    pub(crate) shared_words: usize,
    /// Print the call summary at the end, sorted this way.
    pub(crate) summary: Option<summary::SortBy>,
    /// Its columns (`-U`; empty: strace's default ones).
    pub(crate) columns: Vec<summary::Column>,
    /// `--json`: sysgate's own lines are JSON too.
    pub(crate) json: bool,
    /// `--perfetto`: the output file holds a trace-event array to close at the end.
    pub(crate) perfetto: bool,
    /// The program's threads hand trace lines to this process through rings (`drain.rs`).
    pub(crate) rings: bool,
    /// `--stats`: print the output path's figures at the end.
    pub(crate) stats: bool,
    /// `-k`: lines carry stack snapshots, which the drainer turns into frames written so.
    pub(crate) stacks: Option<crate::drain::StackStyle>,
    /// How the program is started: `-E`, `-u`, `-I`.
    pub(crate) start: crate::options::Start,
}

/// Where sysgate itself appends to the trace (the `+++ killed by` line of the first process).
pub(crate) enum Sink {
    Stderr,
    File(std::fs::File),
    /// `-ff -o FILE`: FILE (absolute); process PID writes FILE.PID.
    /// With `-A`, appended to rather than truncated first.
    PerProcess(PathBuf, bool),
    /// `-o |CMD`: the shell running CMD, reading the trace on its stdin.
    Pipe(std::process::Child),
}

impl Sink {
    pub(crate) fn write(&mut self, bytes: &[u8], pid: u32) -> std::io::Result<()> {
        match self {
            Sink::Stderr => std::io::stderr().write_all(bytes),
            Sink::File(f) => f.write_all(bytes),
            Sink::PerProcess(p, _) => {
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
    pub(crate) fn finish(self) {
        if let Sink::Pipe(mut c) = self {
            drop(c.stdin.take());
        }
    }
}

/// Starts the prepared command's program through `loader` and ends like it; `diag` is sysgate's copy of stderr
/// for the runtime's warnings.
pub(crate) fn start(p: Prepared<'_>, loader: &crate::options::Loader, diag: i32) -> ExitCode {
    let Prepared {
        prog,
        mut config,
        out_fd,
        show_execve,
        sink: out_file,
        prefix_pid,
        extra,
        stay,
        landlock,
    } = p;
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
    let rings = if extra.rings {
        match loader::rings::Rings::create(sysgate_abi::ring::DEFAULT_SLOTS) {
            Ok((rings, fd)) => {
                config.push_str(&format!(";rings={fd:07}"));
                Some(rings)
            }
            Err(e) => return fail(format!("cannot create the trace rings: {e}"), 1),
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
    // A privilege the kernel would grant at exec is lost under the loader: never silently.
    let privilege = match &extra.start.user {
        Some(c) => loader::privilege_as(&program, c.uid, c.gid),
        None => loader::privilege(&program),
    };
    if let Some(what) = privilege {
        let name = program.display();
        if !prog.unprivileged {
            return fail(
                format!(
                    "{name} is {what}: under sysgate it would run without that privilege (the loader maps it, the kernel never grants it); refused (--unprivileged runs it without)"
                ),
                126,
            );
        }
        eprintln!("sysgate: {name} is {what}: running it without that privilege (--unprivileged)");
    }
    if prog.unprivileged {
        // The same for every image the program execs.
        config.push_str(";unpriv=1");
    }
    // The ruleset is made here, once the program is found, and applied by its process.
    let ruleset = match &landlock {
        Some(req) => match crate::landlock::prepare(req, loader.file().as_deref()) {
            Ok(fd) => fd,
            Err(code) => return code,
        },
        None => None,
    };
    let launch = loader::Launch {
        program: &program,
        argv0,
        args: &prog.argv[1..],
        loader: loader.at(),
        config,
        out_fd,
        diag_fd: diag,
        show_execve,
        landlock: ruleset.as_ref().map(std::os::fd::AsRawFd::as_raw_fd),
        env: &extra.start.env,
        user: extra.start.user.as_ref(),
        interrupt: extra.start.interrupt,
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
    let killed_line = match stay {
        Stay::ExecInPlace => return start_error(loader::exec(&launch)),
        Stay::Wait { killed_line } => killed_line,
    };
    // Before the drainer's thread: every thread of sysgate keeps them blocked for `launch`.
    loader::hold_fatal_signals(extra.start.interrupt);
    let (drainer, kept) = match rings {
        Some(r) => (
            Some(crate::drain::Drainer::start(r, out_file, extra.stacks)),
            None,
        ),
        None => (None, Some(out_file)),
    };
    let launched = loader::launch(&launch);
    // Every line of the run is out (in order) before sysgate adds its own.
    let mut dead_threads = Vec::new();
    let mut out_file = match (drainer, kept) {
        (Some(d), _) => {
            let drained = d.finish();
            dead_threads = drained.dead;
            if extra.stats {
                eprintln!(
                    "sysgate: {} records; a thread waited for room in its ring {} times, for a free ring {} times",
                    drained.records,
                    drained.rings.full_waits(),
                    drained.rings.slot_waits()
                );
            }
            drained.sink
        }
        (None, Some(sink)) => sink,
        (None, None) => Sink::Stderr,
    };
    let (pid, status) = match launched {
        Ok(s) => s,
        Err(e) => return start_error(e),
    };
    if let (Some(sig), true, false) = (status.signal(), killed_line, extra.perfetto) {
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
            let prefix = |tid: u32| {
                if prefix_pid {
                    format!("{tid:<5} ")
                } else {
                    String::new()
                }
            };
            // The first process's other threads died with it (strace names each).
            let mut threads: Vec<u32> = dead_threads
                .iter()
                .filter(|&&(p, t)| p == pid && t != pid)
                .map(|&(_, t)| t)
                .collect();
            threads.sort_unstable();
            let mut text = String::new();
            if prefix_pid {
                for t in threads {
                    text.push_str(&format!("{}+++ killed by {name}{core} +++\n", prefix(t)));
                }
            }
            text.push_str(&format!("{}+++ killed by {name}{core} +++\n", prefix(pid)));
            text
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
        let columns = if extra.columns.is_empty() {
            &summary::DEFAULT_COLUMNS[..]
        } else {
            &extra.columns[..]
        };
        match summary::summary(file, sort, columns) {
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
