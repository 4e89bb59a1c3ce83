//! A tool written against sysgate's handler API: refuse `unlink`/`unlinkat` with `EPERM` and
//! count how often the program tried, without entering the kernel for them.
//!
//! A tool is a table of handlers plus its own state: `subscribe` marks the syscall numbers it
//! wants (every other number takes the entry's fast path and never reaches Rust), `enter` runs
//! before the kernel and may change the arguments or answer in its place, `exit` sees the
//! result. Handlers run inside the traced program, on the thread's entry stack, possibly inside
//! a signal handler: no allocation, no locks, no libc — only the runtime's own raw syscalls
//! (`sysgate_runtime::raw`) and guest-memory copies (`sysgate_runtime::memory::guest`).
//!
//! To run a real program under a tool of your own, use `sysgate-sdk` (`crates/sdk`, and
//! `examples/tools/deny-unlink`, this tool made runnable). `sysgate-loader` arms the tool it
//! is configured with (see `sysgate_tools::gate`); this
//! example shows the shape of one and exercises it against a hand-made call frame.
//!
//! ```text
//! cargo run -p sysgate-runtime --example deny_unlink
//! ```

use core::sync::atomic::{AtomicU64, Ordering};
use sysgate_runtime::api::{Action, Arch, Call, Tool, NR_MAX};
use sysgate_runtime::raw::sys;
use sysgate_runtime::{process::thread::Thread, Regs};

/// Refuses unlink/unlinkat; its state is one counter.
struct DenyUnlink {
    refused: AtomicU64,
}

impl Tool for DenyUnlink {
    fn subscribe(&self, wants: &mut [bool; NR_MAX]) {
        wants[sys::__NR_unlink as usize] = true;
        wants[sys::__NR_unlinkat as usize] = true;
    }

    fn enter(&self, call: &mut Call<'_>) -> Action {
        if call.arch == Arch::X86_64 {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Action::Return(-(sys::EPERM as i64));
        }
        Action::Pass
    }

    fn exit(&self, _call: &mut Call<'_>, _ret: i64) {}
}

static TOOL: DenyUnlink = DenyUnlink {
    refused: AtomicU64::new(0),
};

fn main() {
    // What the runtime would hand the tool for `unlinkat(AT_FDCWD, path, 0)`.
    let mut wants = [false; NR_MAX];
    TOOL.subscribe(&mut wants);
    assert!(wants[sys::__NR_unlinkat as usize] && !wants[sys::__NR_read as usize]);

    let mut regs = Regs {
        orig_rax: sys::__NR_unlinkat as u64,
        ..Regs::default()
    };
    let block = Thread::alloc().expect("a thread block");
    // SAFETY: a fresh block that nothing else uses.
    let thread = unsafe { &mut *block };
    let mut call = Call {
        arch: Arch::X86_64,
        nr: sys::__NR_unlinkat as u64,
        regs: &mut regs,
        thread,
    };
    let action = TOOL.enter(&mut call);
    assert_eq!(action, Action::Return(-(sys::EPERM as i64)));
    println!(
        "unlinkat → {action:?}; refused so far: {}",
        TOOL.refused.load(Ordering::Relaxed)
    );
}
