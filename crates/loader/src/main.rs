//! `sysgate-loader`: the first image of every process sysgate runs.
//!
//! `sysgate` (and, inside a traced program, the runtime's `execve`) starts this executable with
//! the program's own argv and environment, plus `SYSGATE_EXEC=<path>` and the runtime's
//! configuration. It then does what the kernel's ELF loader would have done for the program —
//! map it (and its interpreter), follow `#!` lines, build the initial stack and aux vector —
//! arms the runtime, and jumps to the interpreter's (or the program's) entry point. From the
//! first instruction of ld.so or of a static program, every syscall passes through the entry.
//!
//! It is freestanding (no libc): a static PIE whose `_start` applies its own relative
//! relocations before any Rust code runs (`sysgate_loader::entry!`). The runtime it carries
//! stays mapped for the life of the image. The tool it arms is `sysgate_tools::gate`: the
//! parts the command asked for.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use sysgate_loader::boot::{die, warn_line, Errno, Hooks, Image};
use sysgate_runtime::{self as rt, config};
use sysgate_tools::gate::{self, Gate};
use sysgate_tools::sandbox::Act;

sysgate_loader::entry!(Hooks {
    name: b"sysgate-loader",
    init,
    armed,
    launcher: None,
});

/// The tool: the parts the command asked for (trace, count, inject, clock, sandbox).
fn init(cfg: &'static config::Config) -> Result<&'static dyn rt::Tool, &'static str> {
    match Gate::init(cfg) {
        Ok(g) => Ok(g),
        Err(e) => Err(e.0),
    }
}

fn armed(image: Image) {
    if Gate::parts().sandbox && config::get().get("sbk") == Some("0") {
        install_sandbox_filter(image.path);
    }
    if let Some(t) = rt::process::thread::current() {
        gate::image_started(t, image.argv, image.envp, image.auxv);
    }
}

/// Compiles the sandbox's number-only rules into the kernel filter and installs it, once per
/// process tree (the filter is inherited and survives `execve`; `sbk=1` tells later images).
/// A policy the kernel cannot enforce is not a sandbox: failing to install ends the run.
fn install_sandbox_filter(prog: &[u8]) {
    use rt::filter::Verdict;
    let Some(policy) = sysgate_tools::sandbox::policy() else {
        return;
    };
    let acts = policy.kernel_actions();
    let verdict = |a: Act| match a {
        Act::Allow | Act::Log => Verdict::Allow,
        Act::Kill => Verdict::Kill,
        Act::Errno(e) => Verdict::Errno(e),
    };
    let mut x86 = [Verdict::Allow; rt::api::NR_MAX];
    for (v, a) in x86.iter_mut().zip(acts.iter()) {
        *v = verdict(*a);
    }
    // i386 calls: by name, and socketcall by its sub-call.
    let mut i386 = [Verdict::Allow; rt::api::NR_MAX];
    for (n, desc) in sysgate_abi::i386::iter() {
        if let (Some(v), Some(x)) = (
            i386.get_mut(n as usize),
            sysgate_abi::x86_64::number(desc.name),
        ) {
            *v = x86.get(x as usize).copied().unwrap_or(Verdict::Allow);
        }
    }
    use sysgate_abi::x86_64::nr;
    const SUB: [u32; 20] = [
        nr::SOCKET,
        nr::BIND,
        nr::CONNECT,
        nr::LISTEN,
        nr::ACCEPT,
        nr::GETSOCKNAME,
        nr::GETPEERNAME,
        nr::SOCKETPAIR,
        nr::SENDTO,
        nr::RECVFROM,
        nr::SENDTO,
        nr::RECVFROM,
        nr::SHUTDOWN,
        nr::SETSOCKOPT,
        nr::GETSOCKOPT,
        nr::SENDMSG,
        nr::RECVMSG,
        nr::ACCEPT4,
        nr::RECVMMSG,
        nr::SENDMMSG,
    ];
    let mut socketcall = [Verdict::Allow; 21];
    for (i, x) in SUB.iter().enumerate() {
        socketcall[i + 1] = x86[*x as usize];
    }
    // Calls the runtime needs stay in-process only: say so once, where the filter is made.
    for &n in rt::filter::RUNTIME_NEEDS {
        if x86[n as usize] != Verdict::Allow {
            let name = sysgate_abi::x86_64::name(u64::from(n)).unwrap_or("?");
            warn_line(&[b"sysgate: sandbox: ", name.as_bytes(), b" is needed by sysgate itself: the rule is enforced in-process only, not by the kernel filter\n"]);
        }
    }
    if let Err(e) = rt::filter::install(&x86, &i386, &socketcall) {
        die(prog, &FilterError(e), 126);
    }
    config::patch_number("sbk", 1, 1);
}

struct FilterError(i64);
impl core::fmt::Display for FilterError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "cannot install the sandbox's seccomp filter: {}",
            Errno(self.0)
        )
    }
}
