//! Every way a program enters the kernel, and the one entry they all end in (Linux's
//! `arch/x86/entry/`). A way in builds the entry's state — the syscall number in `rax`, the
//! return address pushed — and jumps to the entry; the entry's dispatcher sends the call to the
//! kernel, to the runtime's own handlers (`process/`) or to the tool (`api`).
//!
//! Above `process/`, `api` and everything lower; below `rewrite/`, which points sites at the
//! entry. The SIGSYS trap offers each trapped site to the rewriter through a hook set at
//! start-up, not by naming it.

pub mod dispatch;
pub mod entry;
pub mod sud;
pub mod vdso;
pub mod vsyscall;
