//! The entry: one function every way into the kernel ends in (seed 002's `__kernel_vsyscall`).
//!
//! Contract on arrival (the same as right after a `syscall` instruction would have entered the
//! kernel): `rax` = syscall number, `rcx` = return address, `rsp` = the caller's stack pointer,
//! arguments in `rdi, rsi, rdx, r10, r8, r9`; `r11` is free. Rewritten sites arrive through the
//! page-0 sled (`rewrite.rs`), trapped sites through the SIGSYS handler (`sud.rs`), which edits
//! the signal context so that the return from the handler lands here.
//!
//! On the way out, as after a real syscall: `rax` = result, `rcx` = return address, `r11` =
//! rflags, every other register and the arithmetic flags as they were.
//!
//! The caller's stack is never written: the entry switches to the thread's entry stack first.
//! If a program signal handler interrupts the runtime and makes a syscall, the nested entry
//! finds `rsp` already inside the entry stack and builds its frame below the interrupted one
//! (past a 128-byte red zone), so the entry is re-entrant and a `siglongjmp` out of such a
//! handler simply abandons the frames below.
#![allow(unsafe_code)]

use crate::api::{self, Action, Call, NR_MAX};
use crate::regs::{off as R, Regs};
use crate::thread::{self, off as T};
use crate::{clone, exec, fds, guest, raw, raw::sys, signals};
use core::arch::global_asm;

/// Size of the vector-state save area on the slow path: xmm0–15, then mxcsr and the x87
/// control word (DESIGN.md: only what baseline x86-64 Rust may clobber).
const VEC_SAVE: usize = 16 * 16 + 16;

global_asm!(
    r#"
    .pushsection sysgate_entry,"ax",@progbits
    .globl sysgate_entry_64
    .hidden sysgate_entry_64
    .type sysgate_entry_64,@function
    .p2align 6
sysgate_entry_64:
    mov     %rax, %r11              /* r11 = nr */
    lahf                            /* ah = SF ZF AF PF CF */
    seto    %al                     /* al = OF; arithmetic flags are now saved */
    movzwl  %ax, %eax
    shl     $32, %rax
    mov     %r11d, %r11d
    or      %rax, %r11              /* r11 = flags << 32 | nr */
    mov     %rsp, %rax              /* caller's rsp */
    cmp     %gs:{stack_lo}, %rsp
    jb      1f
    cmp     %gs:{stack_hi}, %rsp
    jae     1f
    lea     -128(%rsp), %rsp        /* nested: keep the interrupted frame's red zone */
    and     $-16, %rsp
    jmp     2f
1:  mov     %gs:{stack_hi}, %rsp    /* top of this thread's entry stack */
2:  push    %rax                    /* [+16] caller's rsp */
    push    %rcx                    /* [+8]  return address */
    push    %r11                    /* [+0]  flags << 32 | nr */
    mov     %r11d, %eax
    cmp     ${nr_max}, %eax
    jae     .Lslow
    lea     {subscribed}(%rip), %rcx
    cmpb    $0, (%rcx,%rax)
    jne     .Lslow
    cmp     $15, %eax
    je      .Lsigreturn_fast
    /* Fast path: nobody subscribed; straight to the kernel from the allowed range. */
    syscall
    pop     %r11
    pop     %rcx
    xchg    %rax, %r11              /* r11 = result, rax = flags << 32 | nr */
    shr     $32, %rax
    add     $0x7f, %al              /* OF */
    sahf                            /* SF ZF AF PF CF */
    mov     %r11, %rax
    pushfq
    pop     %r11                    /* r11 = rflags, as the kernel leaves it */
    pop     %rsp
    jmp     *%rcx

.Lsigreturn_fast:
    mov     16(%rsp), %rsp          /* rt_sigreturn finds its frame at the caller's rsp */
    mov     $15, %eax
    syscall
    ud2

.Lslow:
    sub     ${regs_size}, %rsp      /* 3 words + Regs = 192 bytes: 16-byte aligned */
    mov     %r15, {r15}(%rsp)
    mov     %r14, {r14}(%rsp)
    mov     %r13, {r13}(%rsp)
    mov     %r12, {r12}(%rsp)
    mov     %rbp, {rbp}(%rsp)
    mov     %rbx, {rbx}(%rsp)
    mov     %r10, {r10}(%rsp)
    mov     %r9,  {r9}(%rsp)
    mov     %r8,  {r8}(%rsp)
    mov     %rdx, {rdx}(%rsp)
    mov     %rsi, {rsi}(%rsp)
    mov     %rdi, {rdi}(%rsp)
    movq    $-38, {rax}(%rsp)       /* -ENOSYS, like the kernel's pt_regs */
    mov     {regs_size}(%rsp), %rax
    mov     %eax, %ecx
    mov     %rcx, {orig_rax}(%rsp)
    mov     {regs_size}+8(%rsp), %rcx
    mov     %rcx, {rip}(%rsp)
    mov     %rcx, {rcx}(%rsp)
    mov     {regs_size}+16(%rsp), %rcx
    mov     %rcx, {rsp}(%rsp)
    movq    $0x33, {cs}(%rsp)
    movq    $0x2b, {ss}(%rsp)
    shr     $32, %rax
    add     $0x7f, %al
    sahf                            /* caller's flags back, for a full rflags image */
    pushfq
    pop     %rax
    mov     %rax, {eflags}(%rsp)
    mov     %rax, {r11}(%rsp)
    sub     ${vec}, %rsp
    movaps  %xmm0, 0(%rsp)
    movaps  %xmm1, 16(%rsp)
    movaps  %xmm2, 32(%rsp)
    movaps  %xmm3, 48(%rsp)
    movaps  %xmm4, 64(%rsp)
    movaps  %xmm5, 80(%rsp)
    movaps  %xmm6, 96(%rsp)
    movaps  %xmm7, 112(%rsp)
    movaps  %xmm8, 128(%rsp)
    movaps  %xmm9, 144(%rsp)
    movaps  %xmm10, 160(%rsp)
    movaps  %xmm11, 176(%rsp)
    movaps  %xmm12, 192(%rsp)
    movaps  %xmm13, 208(%rsp)
    movaps  %xmm14, 224(%rsp)
    movaps  %xmm15, 240(%rsp)
    stmxcsr 256(%rsp)
    fnstcw  260(%rsp)
    cld
    lea     {vec}(%rsp), %rdi
    call    {dispatch}
    fldcw   260(%rsp)
    ldmxcsr 256(%rsp)
    movaps  0(%rsp), %xmm0
    movaps  16(%rsp), %xmm1
    movaps  32(%rsp), %xmm2
    movaps  48(%rsp), %xmm3
    movaps  64(%rsp), %xmm4
    movaps  80(%rsp), %xmm5
    movaps  96(%rsp), %xmm6
    movaps  112(%rsp), %xmm7
    movaps  128(%rsp), %xmm8
    movaps  144(%rsp), %xmm9
    movaps  160(%rsp), %xmm10
    movaps  176(%rsp), %xmm11
    movaps  192(%rsp), %xmm12
    movaps  208(%rsp), %xmm13
    movaps  224(%rsp), %xmm14
    movaps  240(%rsp), %xmm15
    add     ${vec}, %rsp
    cmpq    $15, {orig_rax}(%rsp)
    je      .Lsigreturn_slow
    mov     %rsp, %rdi
    jmp     sysgate_resume

.Lsigreturn_slow:
    mov     {rsp}(%rsp), %rsp
    mov     $15, %eax
    syscall
    ud2
    .size sysgate_entry_64, . - sysgate_entry_64

/* void sysgate_resume(const Regs *regs): load every register from `regs` and jump to regs->rip.
   rcx ends as the return address and r11 as regs->r11 (rflags), as after a syscall. */
    .globl sysgate_resume
    .hidden sysgate_resume
    .type sysgate_resume,@function
    .p2align 4
sysgate_resume:
    mov     %rdi, %r11
    push    {eflags}(%r11)
    mov     {r15}(%r11), %r15
    mov     {r14}(%r11), %r14
    mov     {r13}(%r11), %r13
    mov     {r12}(%r11), %r12
    mov     {rbp}(%r11), %rbp
    mov     {rbx}(%r11), %rbx
    mov     {r10}(%r11), %r10
    mov     {r9}(%r11), %r9
    mov     {r8}(%r11), %r8
    mov     {rdx}(%r11), %rdx
    mov     {rsi}(%r11), %rsi
    mov     {rdi}(%r11), %rdi
    popfq
    mov     {rip}(%r11), %rcx
    mov     {rax}(%r11), %rax
    mov     {rsp}(%r11), %rsp
    mov     {r11}(%r11), %r11
    jmp     *%rcx
    .size sysgate_resume, . - sysgate_resume
    .popsection
"#,
    stack_lo = const T::STACK_LO,
    stack_hi = const T::STACK_HI,
    nr_max = const NR_MAX,
    subscribed = sym api::sysgate_subscribed,
    dispatch = sym sysgate_dispatch_64,
    regs_size = const R::SIZE,
    vec = const VEC_SAVE,
    r15 = const R::R15, r14 = const R::R14, r13 = const R::R13, r12 = const R::R12,
    rbp = const R::RBP, rbx = const R::RBX, r11 = const R::R11, r10 = const R::R10,
    r9 = const R::R9, r8 = const R::R8, rax = const R::RAX, rcx = const R::RCX,
    rdx = const R::RDX, rsi = const R::RSI, rdi = const R::RDI, orig_rax = const R::ORIG_RAX,
    rip = const R::RIP, cs = const R::CS, eflags = const R::EFLAGS, rsp = const R::RSP,
    ss = const R::SS,
    options(att_syntax)
);

extern "C" {
    fn sysgate_entry_64();
    fn sysgate_resume(regs: *const Regs) -> !;
}

/// Address of the entry (for the sled and the SIGSYS redirect).
pub fn entry_address() -> u64 {
    sysgate_entry_64 as *const () as usize as u64
}

/// Loads `regs` into the CPU and continues at `regs.rip`.
///
/// # Safety
/// `regs` must describe a valid user context of the calling thread.
pub unsafe fn resume(regs: &Regs) -> ! {
    // SAFETY: forwarded caller contract.
    unsafe { sysgate_resume(regs) }
}

/// Numbers the runtime itself must see whatever the tool wants.
pub(crate) const RUNTIME_NRS: &[u32] = &[
    sys::__NR_clone,
    sys::__NR_clone3,
    sys::__NR_fork,
    sys::__NR_vfork,
    sys::__NR_execve,
    sys::__NR_execveat,
    sys::__NR_rt_sigaction,
    sys::__NR_rt_sigprocmask,
    sys::__NR_close,
    sys::__NR_dup2,
    sys::__NR_dup3,
    sys::__NR_close_range,
];

/// The tool's own subscriptions (the entry's table also holds [`RUNTIME_NRS`]).
static TOOL_WANTS: [core::sync::atomic::AtomicBool; NR_MAX] =
    [const { core::sync::atomic::AtomicBool::new(false) }; NR_MAX];

pub(crate) fn init_tables() {
    let mut wants = [false; NR_MAX];
    if let Some(t) = api::tool() {
        t.subscribe(&mut wants);
    }
    for (slot, w) in TOOL_WANTS.iter().zip(wants.iter()) {
        slot.store(*w, core::sync::atomic::Ordering::Relaxed);
    }
    api::fill_subscriptions(RUNTIME_NRS);
}

fn tool_wants(nr: u64) -> bool {
    (nr as usize) < NR_MAX && TOOL_WANTS[nr as usize].load(core::sync::atomic::Ordering::Relaxed)
}

/// `do_syscall_64`: runs on the entry stack with the caller's registers in `regs`.
extern "C" fn sysgate_dispatch_64(regs: &mut Regs) {
    let nr = regs.orig_rax;
    let Some(t) = thread::current() else {
        regs.rax = raw::syscall6(nr as u32, regs.args()) as u64;
        return;
    };
    let tool = if tool_wants(nr) && t.traced { api::tool() } else { None };
    let mut call = Call { nr, regs, thread: t };

    if nr == sys::__NR_rt_sigreturn as u64 {
        // The assembly issues rt_sigreturn on the caller's stack after we return; the value
        // the program will see is the `rax` saved in the signal frame there.
        if let Some(tool) = tool {
            let ret = signals::sigreturn_rax(call.regs.rsp);
            tool.noreturn(&mut call, ret);
        }
        return;
    }
    if nr == sys::__NR_exit_group as u64 || nr == sys::__NR_exit as u64 {
        if let Some(tool) = tool {
            tool.noreturn(&mut call, None);
        }
    }

    let action = match tool {
        Some(tool) => tool.enter(&mut call),
        None => Action::Pass,
    };
    let ret = match action {
        Action::Return(v) => v,
        Action::Pass => run_syscall(&mut call),
    };
    if clone::is_child_return(&call, ret) {
        // A fork-style child returning through the parent's frame: it has no business
        // reporting the parent's call.
        call.regs.rax = ret as u64;
        return;
    }
    if let Some(tool) = tool {
        tool.exit(&mut call, ret);
    }
    call.regs.rax = ret as u64;
}

/// Issues the call, through the runtime's own handling where the runtime needs it.
fn run_syscall(call: &mut Call<'_>) -> i64 {
    let a = call.regs.args();
    match call.nr as u32 {
        sys::__NR_clone | sys::__NR_clone3 | sys::__NR_fork | sys::__NR_vfork => clone::handle(call),
        sys::__NR_execve | sys::__NR_execveat => exec::handle(call),
        sys::__NR_rt_sigaction => signals::rt_sigaction(a),
        sys::__NR_rt_sigprocmask => signals::rt_sigprocmask(a),
        sys::__NR_close => fds::close(a),
        sys::__NR_dup2 | sys::__NR_dup3 => fds::dup2(call.nr as u32, a),
        sys::__NR_close_range => fds::close_range(a),
        _ => raw::syscall6(call.nr as u32, a),
    }
}

/// Guest memory helpers re-exported for tools.
pub use guest::read as guest_read;
