//! `sysgate run`: the program with every syscall passing through sysgate's entry, and nothing
//! printed; fault injection and a virtual clock on request. The program takes the place of the
//! `sysgate` process (nothing is left to do once it ends).

use clap::Args;
use std::process::ExitCode;

use crate::options::{fail, Common, Program};
use crate::start::{Extra, Prepared, Sink, Stay};
use crate::{inject, summary};

#[derive(Args)]
pub(crate) struct RunArgs {
    /// Fault injection: `inject=SET:error=ERRNO|retval=N[:signal=SIG][:delay_enter=T]
    /// [:delay_exit=T][:when=EXPR]` or `fault=SET[:error=ERRNO][:when=EXPR]`, as in strace.
    #[arg(short = 'e', value_name = "EXPR")]
    expr: Vec<String>,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    prog: Program,
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

pub(crate) fn prepare(r: &RunArgs) -> Result<Prepared<'_>, ExitCode> {
    let mut extra = Extra::default();
    let mut config = format!("tool=run;follow=1{}", r.common.config());
    let injects = match run_qualifiers(&r.expr) {
        Ok(i) => i,
        Err(e) => return Err(fail(e, 1)),
    };
    if !injects.is_empty() {
        config.push_str(&format!(";inj={}", injects.join("/")));
        extra.shared_words = extra.shared_words.max(summary::INJECT_REGION_WORDS);
    }
    match r.common.clock_config() {
        Ok(c) => config.push_str(&c),
        Err(e) => return Err(fail(e, 1)),
    }
    Ok(Prepared {
        prog: &r.prog,
        config,
        out_fd: -1,
        show_execve: false,
        sink: Sink::Stderr,
        prefix_pid: false,
        extra,
        stay: Stay::ExecInPlace,
        landlock: None,
    })
}
