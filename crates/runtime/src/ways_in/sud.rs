//! Syscall User Dispatch: the catch-all slow path (seed 003: "user code could emulate syscalls
//! all by itself in a signal handler").
//!
//! Every thread is armed with its selector byte set to *block*; only syscalls issued from the
//! runtime's `sysgate_entry` section pass. Any other `syscall` raises SIGSYS. The handler does
//! not run the syscall itself: it rewrites the site (if it can) and edits the signal context so
//! that the return from the handler lands in the entry with the return address pushed — the
//! same state a rewritten site's `call *%rax` produces. The syscall then runs in the program's
//! own context, with the program's signal mask.
//!
//! Each thread is armed (its selector byte and the allowed range given to the kernel) by
//! `process/thread.rs`, [`arm_dispatch`](crate::process::thread::arm_dispatch), when it is
//! created; this file is the trap side.
#![allow(unsafe_code)]

use crate::config::StartupCell;
use crate::process::signals::{ucontext, SigInfo, REG_RAX, REG_RIP, REG_RSP};
use crate::raw::{self, sys};
use crate::regs::Regs;
use crate::ways_in::entry;
use core::arch::global_asm;

const AUDIT_ARCH_X86_64: u32 = linux_raw_sys::ptrace::AUDIT_ARCH_X86_64;
const AUDIT_ARCH_I386: u32 = linux_raw_sys::ptrace::AUDIT_ARCH_I386;

/// What a trapped `syscall` site is offered to first: the rewriter (`rewrite/sled.rs`), given
/// at start-up, with the address after the instruction and the call's number. From then on the
/// site calls the entry directly and traps no more.
static REWRITER: StartupCell<fn(end: u64, nr: u64)> = StartupCell::new();

/// Sets the rewriter trapped sites are offered to (once, at start-up).
pub(crate) fn set_rewriter(f: fn(end: u64, nr: u64)) {
    REWRITER.set(f);
}

/// The `Regs` image of a trapped call, from the signal context.
pub(crate) fn regs_from(g: &[u64; 23], cs: u64) -> Regs {
    use crate::process::signals::*;
    Regs {
        r15: g[7],
        r14: g[6],
        r13: g[5],
        r12: g[4],
        rbp: g[REG_RBP],
        rbx: g[REG_RBX],
        r11: g[3],
        r10: g[REG_R10],
        r9: g[REG_R9],
        r8: g[REG_R8],
        rax: -(sys::ENOSYS as i64) as u64,
        rcx: g[REG_RCX],
        rdx: g[REG_RDX],
        rsi: g[REG_RSI],
        rdi: g[REG_RDI],
        orig_rax: if cs == crate::api::CS_I386 {
            g[REG_RAX] & 0xffff_ffff
        } else {
            g[REG_RAX]
        },
        rip: g[REG_RIP],
        cs,
        eflags: g[REG_EFL],
        rsp: g[REG_RSP],
        ss: 0x2b,
    }
}

global_asm!(
    r#"
    .pushsection sysgate_entry,"ax",@progbits
    .globl sysgate_sigsys_entry
    .hidden sysgate_sigsys_entry
    .type sysgate_sigsys_entry,@function
    .p2align 4
/* The SIGSYS handler as installed: rdi = sig, rsi = info, rdx = uc, rsp = the bottom of the
   kernel's frame (the restorer's address). Runs `sigsys` on the thread's handler stack (or
   below the current frame when already on it: a fault inside the handler), then a SIGSYS the
   runtime does not take is forwarded to the program's handler back on the kernel's stack. */
sysgate_sigsys_entry:
    mov     %rsp, %rcx              /* 4th argument: the kernel frame's bottom */
    cmp     %gs:{lo}, %rsp
    jb      1f
    cmp     %gs:{hi}, %rsp
    jb      2f
1:  mov     %gs:{hi}, %rsp
2:  and     $-16, %rsp
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rsi                    /* (alignment) */
    call    {sigsys}
    pop     %rsi
    pop     %rsi
    pop     %rdx
    pop     %rsp                    /* back to the kernel's frame */
    test    %eax, %eax
    jz      3f
    mov     %rsi, %rdi
    mov     %rdx, %rsi
    push    %rax                    /* (alignment) */
    call    {forward}
    pop     %rax
3:  ret
    .size sysgate_sigsys_entry, . - sysgate_sigsys_entry
    .popsection
"#,
    lo = const crate::process::thread::off::HANDLER_LO,
    hi = const crate::process::thread::off::HANDLER_HI,
    sigsys = sym sigsys,
    forward = sym forward,
    options(att_syntax)
);

extern "C" {
    fn sysgate_sigsys_entry();
}

/// The address the SIGSYS action is installed with.
pub(crate) fn sigsys_entry_address() -> u64 {
    sysgate_sigsys_entry as *const () as usize as u64
}

/// A SIGSYS the runtime does not take, on the stack the kernel delivered it on (the program's
/// handler runs there, as natively).
extern "C" fn forward(info: *mut SigInfo, uc: *mut ucontext) {
    crate::process::signals::forward_sigsys(info, uc);
}

/// SIGSYS handler (installed with all signals blocked, `SA_RESTORER` in runtime text), on the
/// thread's handler stack; `frame` is the bottom of the kernel's signal frame. Returns 1 for a
/// SIGSYS that is not a trap of ours (to forward to the program), else 0.
///
/// The trapped call is not run here (signals are blocked): the handler builds the call's entry
/// frame on the thread's entry stack from the signal context and returns into the entry, which
/// runs the call with the program's mask.
extern "C" fn sigsys(_sig: i32, info: *mut SigInfo, uc: *mut ucontext, frame: u64) -> u32 {
    // SAFETY: the kernel hands us valid siginfo and ucontext pointers for this delivery.
    let (info, uc) = unsafe { (&*info, &mut *uc) };
    const SYS_SECCOMP: i32 = 1;
    let vsys = info.si_code == SYS_SECCOMP && crate::ways_in::vsyscall::is_vsyscall(info.si_addr);
    if info.si_code != sys::SYS_USER_DISPATCH as i32 && !vsys {
        return 1;
    }
    let g = &mut uc.uc_mcontext.gregs;
    let Some(t) = crate::process::thread::current() else {
        raw::fatal("syscall trapped in a thread the runtime does not know");
    };
    if vsys {
        // The kernel already emulated the `ret`: RIP is the caller's return address. The call
        // takes its arguments like a syscall; rax gets the result.
        g[REG_RAX] = info.si_syscall as u64;
        let regs = regs_from(g, 0x33);
        let at = entry::build_trap_frame(t, &regs, entry::EXIT_JMP, frame);
        g[REG_RSP] = at;
        g[REG_RIP] = entry::trap_entry_address();
        return 0;
    }
    let (cs, mode) = match info.arch() {
        AUDIT_ARCH_X86_64 => {
            if let Some(rewrite) = REWRITER.get() {
                rewrite(g[REG_RIP], g[REG_RAX]);
            }
            (0x33, entry::EXIT_JMP)
        }
        AUDIT_ARCH_I386 => {
            // int $0x80 preserves every register but rax: leave through `ret`, which
            // restores them all, with the return address pushed as a call would have.
            let sp = g[REG_RSP].wrapping_sub(8);
            if !crate::memory::guest::write_struct(sp, &g[REG_RIP]) {
                g[REG_RAX] = crate::process::signals::int80(g) as u64;
                return 0;
            }
            (crate::api::CS_I386, entry::EXIT_RET)
        }
        _ => {
            g[REG_RAX] = -(sys::ENOSYS as i64) as u64;
            return 0;
        }
    };
    let regs = regs_from(g, cs);
    let at = entry::build_trap_frame(t, &regs, mode, frame);
    g[REG_RSP] = at;
    g[REG_RIP] = entry::trap_entry_address();
    0
}
