//! `sysgate sandbox`: the program under a policy of allowed and denied syscalls, enforced in the
//! process, by a kernel seccomp filter, and for path and port rules by Landlock
//! (`landlock.rs`).

use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::options::{fail, Common, Program};
use crate::policy;
use crate::start::{Extra, Prepared, Sink, Stay};

#[derive(Args)]
pub(crate) struct SandboxArgs {
    /// A policy file (TOML): `default = "allow"` and `[[rule]]` tables with `syscalls`,
    /// optional `paths` and `write`, and `action` (`allow`, `log`, `kill`, `errno:NAME`).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Deny SET (names or classes such as `%network`) with EPERM; repeatable.
    #[arg(long, value_name = "SET")]
    deny: Vec<String>,
    /// When this kernel's Landlock lacks a right the policy's path or port rules need, run
    /// with the in-process check alone for those rules (default: refuse to start).
    #[arg(long)]
    best_effort: bool,
    /// Check path and port rules in-process only, without a Landlock ruleset (a symbolic
    /// link, another thread or io_uring can then get around them).
    #[arg(long)]
    no_landlock: bool,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    prog: Program,
}

pub(crate) fn prepare(sb: &SandboxArgs) -> Result<Prepared<'_>, ExitCode> {
    let extra = Extra::default();
    let mut pol = match &sb.policy {
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    return Err(fail(
                        format!("cannot read policy {}: {e}", path.display()),
                        1,
                    ))
                }
            };
            match policy::parse(&path.display().to_string(), &text) {
                Ok(p) => p,
                Err(e) => return Err(fail(e, 1)),
            }
        }
        None => policy::Policy {
            default: policy::Act::Allow,
            rules: Vec::new(),
        },
    };
    if sb.policy.is_none() && sb.deny.is_empty() {
        return Err(fail(
            "sandbox: give a policy (--policy FILE) or something to deny (--deny SET)",
            1,
        ));
    }
    let mut denies = Vec::new();
    for d in &sb.deny {
        match policy::deny_rule(d) {
            Ok(r) => denies.push(r),
            Err(e) => return Err(fail(e, 1)),
        }
    }
    denies.append(&mut pol.rules);
    pol.rules = denies;
    let wire = match pol.wire() {
        Ok(w) => w,
        Err(e) => return Err(fail(e, 1)),
    };
    let landlock = (!sb.no_landlock).then_some(crate::landlock::Request {
        policy: pol,
        best_effort: sb.best_effort,
    });

    let clock = match sb.common.clock_config() {
        Ok(c) => c,
        Err(e) => return Err(fail(e, 1)),
    };
    Ok(Prepared {
        prog: &sb.prog,
        config: format!("tool=run;follow=1;{wire}{}{clock}", sb.common.config()),
        out_fd: -1,
        show_execve: false,
        sink: Sink::Stderr,
        prefix_pid: false,
        extra,
        stay: Stay::Wait { killed_line: false },
        landlock,
    })
}
