//! `sysgate`: the command line.
//!
//! Parses arguments (strace's spelling where strace has one), prepares the output descriptors,
//! starts the program through the loader and ends the way the program ended. One file per
//! command (`run.rs`, `trace.rs`, `count.rs`, `sandbox.rs`) turns its options into a
//! [`start::Prepared`]; `start.rs` is what they share from there on; `options.rs` what they
//! share on the command line.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;
use sysgate_launch as loader;

mod clock;
mod count;
mod drain;
mod embedded;
mod inject;
mod landlock;
mod manual;
mod options;
mod policy;
mod run;
mod sandbox;
mod stack;
mod start;
mod summary;
mod trace;

use options::fail;

/// A command line clap refused: help and version as clap prints them; an option sysgate does
/// not know, as strace reports one (`sysgate: invalid option '-Y'`), exit 1, and the rest in
/// clap's words, exit 1 too (strace's status for a bad command line).
fn parse_error(e: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ErrorKind};
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::UnknownArgument => {
            if let Some(arg) = e.get(ContextKind::InvalidArg) {
                return fail(
                    format!(
                        "invalid option '{arg}' (`sysgate <command> --help` lists the options)"
                    ),
                    1,
                );
            }
        }
        _ => {}
    }
    let _ = e.print();
    ExitCode::from(1)
}

#[derive(Parser)]
#[command(
    name = "sysgate",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("SYSGATE_COMMIT"), ")"),
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
    Run(run::RunArgs),
    /// Print PROG's syscalls, one strace-style line each (or JSON, or a Perfetto timeline).
    Trace(trace::TraceArgs),
    /// Count PROG's syscalls, errors and time per syscall for the whole process tree, and print
    /// the summary like `strace -c -f`.
    Count(count::CountArgs),
    /// Run PROG under a policy of allowed and denied syscalls, enforced in-process and by a
    /// kernel seccomp filter.
    Sandbox(sandbox::SandboxArgs),
    /// Print the completion script for SHELL: `source <(sysgate completions bash)`, or save it
    /// where the shell looks for completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `sysgate man > sysgate.1; man -l sysgate.1`.
    Man,
    /// Write the loader this `sysgate` carries to stdout (what a package installs as
    /// `libexec/sysgate/sysgate-loader`, see scripts/build-deb).
    #[command(hide = true)]
    LoaderImage,
}

fn main() -> ExitCode {
    // strace's `-V` alone (no program): `sysgate trace -V`.
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.len() == 2
        && (args[0] == "trace" || args[0] == "count")
        && (args[1] == "-V" || args[1] == "--version")
    {
        println!(
            "sysgate {} (commit {})",
            env!("CARGO_PKG_VERSION"),
            env!("SYSGATE_COMMIT")
        );
        return ExitCode::SUCCESS;
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return parse_error(e),
    };
    let page = match &cli.cmd {
        Cmd::Completions { shell } => Some(Ok(manual::completions::<Cli>(*shell))),
        Cmd::Man => Some(manual::man_page(<Cli as clap::CommandFactory>::command())),
        Cmd::LoaderImage => Some(Ok(embedded::LOADER.to_vec())),
        _ => None,
    };
    if let Some(page) = page {
        return match page.and_then(|p| std::io::stdout().write_all(&p)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e, 1),
        };
    }
    let loader_bin = match options::Loader::find() {
        Ok(l) => l,
        Err(e) => return fail(e, 1),
    };
    let diag = match loader::dup_high(2) {
        Ok(fd) => fd,
        Err(e) => return fail(format!("cannot set up diagnostics: {e}"), 1),
    };
    let prepared = match &cli.cmd {
        Cmd::Run(r) => run::prepare(r),
        Cmd::Count(k) => count::prepare(k),
        Cmd::Sandbox(sb) => sandbox::prepare(sb),
        Cmd::Trace(t) => trace::prepare(t),
        Cmd::Completions { .. } | Cmd::Man | Cmd::LoaderImage => unreachable!("written above"),
    };
    match prepared {
        Ok(p) => start::start(p, &loader_bin, diag),
        Err(code) => code,
    }
}
