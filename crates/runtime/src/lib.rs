//! The sysgate runtime: everything that lives inside the traced process.
//!
//! Every way a program enters the kernel ends in one place, [`entry`], which saves the caller's
//! registers into a [`Regs`] frame on the thread's own entry stack and dispatches through the
//! syscall table: either straight to the kernel (nobody subscribed to that number) or into the
//! registered [`Tool`].
//!
//! Ways in, one file each:
//! - `entry.rs`: the common entry (`sysgate_entry_64`), reached from rewritten sites and traps;
//! - `sud.rs`: Syscall User Dispatch and the SIGSYS catch-all (first execution of every site);
//! - `rewrite.rs`: the page-0 sled and the lazy `syscall` → `call *%rax` rewriter;
//! - `vsyscall.rs`: the legacy vsyscall page, through a seccomp filter on its address;
//! - `vdso.rs`: the vDSO's functions, patched to enter like rewritten sites;
//! - `int $0x80` from 64-bit code arrives through SUD with the i386 table (`sud.rs`).
//!
//! Lifecycle and safety: `thread.rs` (per-thread blocks behind `%gs`), `clone.rs` (threads,
//! fork, vfork), `exec.rs` (execve keeps the runtime in the new image), `signals.rs` (SIGSYS stays
//! ours; SIGSEGV fixups and forwarding), `guest.rs` (fixup-protected copies), `fds.rs` (our file
//! descriptors survive the program's close/dup2 loops).
//!
//! # Rules
//! Async-signal-safe everywhere: no allocation after start-up, no locks that can be held across a
//! signal, no libc. All of the runtime's own syscalls are issued from [`raw`], which lives in the
//! `sysgate_entry` section: the range Syscall User Dispatch lets through.
#![cfg_attr(not(test), no_std)]
#![allow(clippy::missing_safety_doc)]

pub mod api;
pub mod bpf;
pub mod config;
pub mod filter;
pub mod memory;
pub mod output;
pub mod process;
pub mod raw;
pub mod regs;
pub mod rewrite;
pub mod ways_in;

pub use api::{Action, Call, Tool};
pub use regs::Regs;

/// Reads the runtime's configuration from the environment (see [`config::init_from_env`]) and
/// hands the descriptors sysgate passed to the guard that keeps them from the program
/// ([`process::fds`]). Returns false if the process was not started by sysgate.
///
/// # Safety
/// As [`config::init_from_env`]: the process's environment array, single-threaded start-up.
pub unsafe fn init_from_env(envp: *mut *const u8) -> bool {
    // SAFETY: forwarded caller contract.
    if !unsafe { config::init_from_env(envp) } {
        return false;
    }
    let c = config::get();
    process::fds::set(c.out_fd, c.diag_fd);
    true
}

/// Arms the runtime in the calling (main) thread. Called once per process image, before the
/// program's `main`. `tool` handles the syscalls it subscribes to; `auxv` is the process's aux
/// vector (0 if unknown), used to find the vDSO.
///
/// # Safety
/// Must be called once, single-threaded, before any other runtime function.
pub unsafe fn arm(tool: &'static dyn Tool, auxv: u64) -> Result<(), i64> {
    api::set_tool(tool);
    // SAFETY: called once before any thread exists (caller contract).
    unsafe {
        let t = process::thread::Thread::alloc().ok_or(-12i64)?;
        process::thread::install(t)?;
        (*t).traced = config::get().follow_root;
        process::fds::open_self_files();
        rewrite::sled::init();
        ways_in::sud::set_rewriter(rewrite::sled::try_rewrite);
        let hooks = process::signals::Hooks {
            site_fault: rewrite::traps::site_fault,
            report: ways_in::entry::report_signal,
        };
        process::signals::install(ways_in::sud::sigsys_entry_address(), hooks)?;
        if tool.wants_signals() {
            process::signals::wrap_handlers();
        }
        output::out::enable(config::get().get("buffer") == Some("1"));
        ways_in::entry::init_tables();
        let wanted = ways_in::vsyscall::VSYSCALL_NRS
            .iter()
            .any(|&nr| ways_in::entry::tool_wants(u64::from(nr)))
            && ways_in::vsyscall::filter_wanted();
        config::note_seccomp(config::get().seccomp || (wanted && ways_in::vsyscall::install()));
        if config::get().get("vdso") != Some("native") {
            if let Some(base) = ways_in::vdso::base_from_auxv(auxv) {
                ways_in::vdso::patch(base);
            }
        }
        process::thread::arm_dispatch(t)?;
    }
    Ok(())
}
