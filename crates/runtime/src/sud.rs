//! Syscall User Dispatch: the catch-all slow path (seed 003: "user code could emulate syscalls
//! all by itself in a signal handler").
//!
//! Every thread is armed with its selector byte set to *block*; only syscalls issued from the
//! runtime's `sysgate_entry` section pass. Any other `syscall` raises SIGSYS. The handler does
//! not run the syscall itself: it rewrites the site (if it can) and edits the signal context so
//! that the return from the handler lands in the entry with the return address pushed — the
//! same state a rewritten site's `call *%rax` produces. The syscall then runs in the program's
//! own context, with the program's signal mask.
#![allow(unsafe_code)]

use crate::raw::{self, sys};
use crate::signals::{ucontext, SigInfo, REG_R10, REG_R8, REG_R9, REG_RAX, REG_RDI, REG_RDX, REG_RIP, REG_RSI, REG_RSP};
use crate::thread::Thread;
use crate::{entry, rewrite};
use linux_raw_sys::prctl as pr;

const AUDIT_ARCH_X86_64: u32 = linux_raw_sys::ptrace::AUDIT_ARCH_X86_64;
const AUDIT_ARCH_I386: u32 = linux_raw_sys::ptrace::AUDIT_ARCH_I386;

/// Arms Syscall User Dispatch in the calling thread with `t`'s selector.
///
/// # Safety
/// `t` must be the calling thread's live block.
pub unsafe fn arm_current(t: *mut Thread) -> Result<(), i64> {
    let (start, end) = raw::allowed_range();
    // SAFETY: `t` is live (caller contract); the selector byte lives as long as the thread.
    let sel = unsafe { core::ptr::addr_of_mut!((*t).selector) } as u64;
    let r = raw::syscall6(
        sys::__NR_prctl,
        [
            pr::PR_SET_SYSCALL_USER_DISPATCH as u64,
            pr::PR_SYS_DISPATCH_ON as u64,
            start,
            end - start,
            sel,
            0,
        ],
    );
    if r < 0 {
        Err(r)
    } else {
        Ok(())
    }
}

/// SIGSYS handler (installed with all signals blocked, `SA_RESTORER` in runtime text).
pub(crate) extern "C" fn sigsys(_sig: i32, info: *mut SigInfo, uc: *mut ucontext) {
    // SAFETY: the kernel hands us valid siginfo and ucontext pointers for this delivery.
    let (info, uc) = unsafe { (&*info, &mut *uc) };
    if info.si_code != sys::SYS_USER_DISPATCH as i32 {
        crate::signals::forward_sigsys(info as *const SigInfo as *mut SigInfo, uc);
        return;
    }
    let g = &mut uc.uc_mcontext.gregs;
    let rip = g[REG_RIP];
    match info.arch() {
        AUDIT_ARCH_X86_64 => {
            rewrite::try_rewrite(rip.wrapping_sub(2));
            // Into the entry, as if the site had been rewritten already: push the return
            // address (the word a `call` would write) and jump to the number's target.
            let sp = g[REG_RSP].wrapping_sub(8);
            if crate::guest::write_struct(sp, &rip) {
                g[REG_RSP] = sp;
                g[REG_RIP] = entry::target(g[REG_RAX]);
            } else {
                // No room on the program's stack: run the call from here (signals stay
                // blocked while it runs).
                let a = [g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9]];
                g[REG_RAX] = raw::syscall6(g[REG_RAX] as u32, a) as u64;
            }
        }
        AUDIT_ARCH_I386 => {
            // int $0x80 / sysenter from 64-bit code: not decoded yet; run it natively from
            // runtime text with the i386 register convention.
            g[REG_RAX] = crate::signals::int80(g) as u64;
        }
        _ => {
            g[REG_RAX] = -(sys::ENOSYS as i64) as u64;
        }
    }
}
