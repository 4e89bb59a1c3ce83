//! `sysgate run`: the program with every syscall passing through sysgate's entry, and nothing
//! printed; fault injection and a virtual clock on request. The program takes the place of the
//! `sysgate` process (nothing is left to do once it ends).

use clap::Args;
use std::process::ExitCode;

use crate::options::{fail, Common, Program};
use crate::start::{Extra, Prepared, Sink, Stay};
use crate::{clock, inject, summary};

#[derive(Args)]
pub(crate) struct RunArgs {
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
    if let Some(t) = &r.clock {
        let virt = match clock::parse_time(t) {
            Ok(v) => v,
            Err(e) => return Err(fail(e, 1)),
        };
        let ppm = match r.clock_rate.as_deref().map(clock::parse_rate).transpose() {
            Ok(p) => p.unwrap_or(1_000_000),
            Err(e) => return Err(fail(e, 1)),
        };
        config.push_str(&format!(";clock={}", clock::wire(virt, ppm)));
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
