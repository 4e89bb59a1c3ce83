//! The sysgate runtime: everything that lives inside the traced process.
//!
//! Every way a program enters the kernel ends in one place, the entry, which saves the caller's
//! registers into a [`Regs`] frame on the thread's own entry stack and dispatches through the
//! syscall table: straight to the kernel (nobody subscribed to that number), to the runtime's
//! own handler (the call changes state the runtime keeps), or into the registered [`Tool`].
//!
//! # The path of one syscall, as a walk through the folders
//! 1. `ways_in/sud.rs`: a site's first `syscall` traps (Syscall User Dispatch, SIGSYS); the trap
//!    offers the site to `rewrite/`, which rewrites it to call the entry from then on;
//! 2. `ways_in/entry.rs`: the entry's per-number table sends the call to the kernel at once or
//!    builds the frame and calls `ways_in/dispatch.rs`;
//! 3. `ways_in/dispatch.rs`: the tool sees the call (`api.rs`); calls that change the process
//!    go to their handlers in `process/`; guest pointers are read through `memory/`;
//! 4. `raw.rs`: the call is made from the one range Syscall User Dispatch lets through;
//! 5. what the tool recorded goes out through `output/`.
//!
//! # Layers
//! Lowest first; a file names only its own layer and lower ones (`tests/layers.rs` checks every
//! `crate::` path). Where a lower layer must reach a higher one — a signal handler that finds a
//! rewritten site, the SIGSYS trap that asks for a rewrite — the higher one hands it a function
//! at start-up ([`arm`]).
//! 0. `raw`, `regs`, `config`, `bpf`;  1. `memory/`;  2. `output/`;  3. `process/`;
//! 4. `api`, `filter`;  5. `ways_in/`;  6. `rewrite/`;  7. this file.
//!
//! # Map
//! - `raw.rs`: the runtime's own syscalls, in the section SUD lets through; the signal mask;
//! - `regs.rs`: the register frame (`struct pt_regs`);
//! - `config.rs`: what `sysgate` (or the image before an `execve`) passed; the start-up cell;
//! - `bpf.rs`: classic BPF encoding for seccomp filters;
//! - `memory/guest.rs`: fixup-protected reads and writes of program memory (EFAULT, not a crash);
//! - `memory/mem.rs`: `memcpy`, `memset` and the rest, without libc;
//! - `output/out.rs`: per-thread line buffers and the trace output descriptor;
//! - `output/shared.rs`: the region every process of a run shares (counters);
//! - `process/thread.rs`: the per-thread block behind `%gs`; arming a thread for SUD;
//! - `process/clone.rs`: threads, fork and vfork, each armed before it runs program code;
//! - `process/exec.rs`: `execve` keeps the runtime in the new image;
//! - `process/procexe.rs`: `/proc/self/exe` names the program, not the loader;
//! - `process/fds.rs`: the runtime's descriptors survive the program's close/dup2 loops;
//! - `process/signals.rs`: SIGSYS stays ours; faults are shared; the program's view of signals;
//! - `api.rs`: the tool interface ([`Tool`], [`Call`], [`Action`]);
//! - `filter.rs`: the sandbox's kernel seccomp filter;
//! - `ways_in/entry.rs`: the common entry (`sysgate_entry_64`), its frame and its table;
//! - `ways_in/dispatch.rs`: `do_syscall_64`: tool, runtime handler or kernel; `int $0x80` too;
//! - `ways_in/sud.rs`: the SIGSYS trap of every site not rewritten yet (and of `int $0x80`);
//! - `ways_in/vsyscall.rs`: the legacy vsyscall page, through a seccomp filter on its address;
//! - `ways_in/vdso.rs`: the vDSO's functions, patched to enter like rewritten sites;
//! - `rewrite/sled.rs`: the page-0 sled and the lazy rewriter every trap goes through first;
//! - `rewrite/trampoline.rs`: `mov $nr,%eax; syscall` → `call rel32; ud2`; function bounds;
//! - `rewrite/displaced.rs`: `P; syscall` with `P` moved into a slot (no page 0);
//! - `rewrite/padding.rs`: any site shape, through padding found nearby (no page 0);
//! - `rewrite/sites.rs`: per-site trampolines and the code pages that hold them;
//! - `rewrite/gofuncs.rs`: function bounds in Go binaries (Go's own function table);
//! - `rewrite/traps.rs`: faults of rewritten sites turned back into their calls.
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
            report: ways_in::dispatch::report_signal,
        };
        process::signals::install(ways_in::sud::sigsys_entry_address(), hooks)?;
        if tool.wants_signals() {
            process::signals::wrap_handlers();
        }
        ways_in::dispatch::init_tables();
        let wanted = ways_in::vsyscall::VSYSCALL_NRS
            .iter()
            .any(|&nr| ways_in::dispatch::tool_wants(u64::from(nr)))
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
