//! `sysgate`: the command line.
//!
//! Parses arguments (strace's spelling where strace has one), prepares the output descriptors,
//! starts the program through the loader and ends the way the program ended.
#![forbid(unsafe_code)]

use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitCode;
use sysgate_loader as loader;

#[derive(Parser)]
#[command(name = "sysgate", version, about = "Run, trace and shape every syscall a program makes, in-process.")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run PROG with every syscall passing through sysgate's entry; print nothing.
    Run(RunArgs),
    /// Print PROG's syscalls, one strace-style line each.
    Trace(TraceArgs),
}

#[derive(Args)]
struct Program {
    /// The program and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "PROG [ARGS]")]
    argv: Vec<OsString>,
}

/// Options of every command that runs a program.
#[derive(Args)]
struct Common {
    /// Never rewrite syscall sites: every syscall takes the SIGSYS path (what a user who cannot
    /// map page 0 gets; slower).
    #[arg(long)]
    no_rewrite: bool,
    /// What to do with the vDSO (clock_gettime, gettimeofday, time, getcpu, clock_getres):
    /// `syscall` sends its calls through sysgate like any syscall; `native` keeps the kernel's
    /// fast functions, which sysgate then does not see.
    #[arg(long, value_name = "MODE", default_value = "syscall", value_parser = ["syscall", "native"])]
    vdso: String,
}

impl Common {
    fn config(&self) -> String {
        let mut c = String::new();
        if self.no_rewrite {
            c.push_str(";rewrite=0");
        }
        if self.vdso == "native" {
            c.push_str(";vdso=native");
        }
        c
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    prog: Program,
}

#[derive(Args)]
struct TraceArgs {
    /// Follow threads and child processes.
    #[arg(short = 'f')]
    follow: bool,
    /// Write the trace to FILE instead of stderr.
    #[arg(short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Qualifying expression: `trace=SET` (names, %classes, !negation); a bare SET means trace=SET.
    #[arg(short = 'e', value_name = "EXPR")]
    expr: Vec<String>,
    /// Maximum string size to print (default 32).
    #[arg(short = 's', value_name = "N", default_value_t = 32)]
    strsize: usize,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    prog: Program,
}

fn fail(msg: impl std::fmt::Display, code: u8) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "sysgate: {msg}");
    ExitCode::from(code)
}

fn runtime_library() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find sysgate's own path: {e}"))?;
    let lib = exe.with_file_name("libsysgate_preload.so");
    if lib.is_file() {
        Ok(lib)
    } else {
        Err(format!(
            "runtime library {} not found (build the whole workspace: cargo build --release)",
            lib.display()
        ))
    }
}

fn trace_set(exprs: &[String]) -> Result<sysgate_abi::SyscallSet, String> {
    let mut set = sysgate_abi::SyscallSet::all();
    for e in exprs {
        let (q, v) = match e.split_once('=') {
            Some((q, v)) => (q, v),
            None => ("trace", e.as_str()),
        };
        match q {
            "trace" | "t" => set = sysgate_abi::parse_trace_set(v).map_err(|err| err.to_string())?,
            other => return Err(format!("-e {other}=… is not supported yet")),
        }
    }
    Ok(set)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lib = match runtime_library() {
        Ok(l) => l,
        Err(e) => return fail(e, 1),
    };
    let diag = match loader::dup_high(2) {
        Ok(fd) => fd,
        Err(e) => return fail(format!("cannot set up diagnostics: {e}"), 1),
    };
    let (prog, config, out_fd, show_execve, out_file, prefix_pid) = match &cli.cmd {
        Cmd::Run(r) => (&r.prog, format!("tool=run;follow=1{}", r.common.config()), -1, false, None, false),
        Cmd::Trace(t) => {
            let set = match trace_set(&t.expr) {
                Ok(s) => s,
                Err(e) => return fail(e, 1),
            };
            let (out_fd, file) = match &t.output {
                Some(path) => match loader::open_output(path) {
                    Ok(f) => match loader::high_copy(&f) {
                        Ok(fd) => (fd, Some(f)),
                        Err(e) => return fail(format!("{}: {e}", path.display()), 1),
                    },
                    Err(e) => return fail(format!("can't fopen '{}': {e}", path.display()), 1),
                },
                None => (diag, None),
            };
            let prefix = match (t.follow, t.output.is_some()) {
                (false, _) => "none",
                (true, true) => "pid",
                (true, false) => "bracket",
            };
            let mut words = String::new();
            let _ = set.write_words(&mut words);
            let config = format!(
                "tool=trace;follow={};tofile={};s={};prefix={};set={}{}",
                t.follow as u8,
                t.output.is_some() as u8,
                t.strsize,
                prefix,
                words,
                t.common.config()
            );
            (&t.prog, config, out_fd, true, file, t.follow && t.output.is_some())
        }
    };
    let argv0 = &prog.argv[0];
    let program = match loader::resolve(argv0) {
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
        runtime: &lib,
        config,
        out_fd,
        diag_fd: diag,
        show_execve,
    };
    let (pid, status) = match loader::launch(&launch) {
        Ok(s) => s,
        Err(e) => {
            let code = if e.kind() == std::io::ErrorKind::PermissionDenied { 126 } else { 127 };
            return fail(format!("{}: {e}", argv0.to_string_lossy()), code);
        }
    };
    if let (Some(sig), true) = (status.signal(), matches!(cli.cmd, Cmd::Trace(_))) {
        let name = sysgate_abi::signal::name(sig).unwrap_or("SIG?");
        let core = if status.core_dumped() { " (core dumped)" } else { "" };
        let pid = if prefix_pid { format!("{pid:<5} ") } else { String::new() };
        let line = format!("{pid}+++ killed by {name}{core} +++\n");
        let _ = write_out(line.as_bytes(), &out_file);
    }
    drop(out_file);
    loader::exit_like(status)
}

/// Appends to the trace output: the `-o` file, or sysgate's stderr.
fn write_out(bytes: &[u8], file: &Option<std::fs::File>) -> std::io::Result<()> {
    match file {
        Some(f) => {
            let mut f: &std::fs::File = f;
            f.write_all(bytes)
        }
        None => std::io::stderr().write_all(bytes),
    }
}
