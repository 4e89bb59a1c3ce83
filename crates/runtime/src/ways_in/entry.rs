//! The entry: where every way into the kernel ends (seed 002's `__kernel_vsyscall`).
//!
//! Contract on arrival — the state right after a rewritten site's `call *%rax`: `rax` = syscall
//! number, `[rsp]` = return address, arguments in `rdi, rsi, rdx, r10, r8, r9`, `r11` free.
//! Rewritten sites arrive from the page-0 sled (`rewrite/sled.rs`); trapped sites from the SIGSYS
//! handler (`sud.rs`), which builds the same state. The per-number table [`sysgate_table`]
//! sends each number to one of:
//!
//! - `sysgate_fast` (nobody subscribed): `syscall; pop %rcx; jmp *%rcx`. No state is kept
//!   anywhere, so a signal handler that interrupts it and makes syscalls of its own, on any
//!   stack, cannot disturb it.
//! - `sysgate_slow` (a tool or the runtime wants the call): builds a [`Regs`] frame on the
//!   thread's entry stack and calls `dispatch.rs`'s `sysgate_dispatch_64` (`do_syscall_64`).
//!
//! On the way out, as after a real syscall: `rax` = result, `rcx` = return address, every other
//! register and the flags as they were (`r11` is clobbered, as by `syscall`); an `int $0x80`
//! gets every register but `rax` back. Cost to the caller's stack: the return address at
//! `rsp-8`, one word of its red zone.
//!
//! ## Returning after a syscall: `jmp *%rcx`, never `ret`
//! The kernel's return-stack mitigations (on this AMD machine, SRSO "Safe RET" and RSB filling)
//! leave the CPU's return-stack buffer useless after a `syscall`, so a `ret` executed right
//! after one is mispredicted every time: 50–80 ns more per call than an indirect `jmp`, which the
//! branch target buffer predicts (`tests/probes/ret_after_syscall.c` measures both; `scripts/
//! bench` shows it in the getppid loop). Every exit of the entry that follows a syscall
//! therefore pops the return address into `rcx` (where `syscall` leaves it too) and jumps.
//!
//! ## The entry stack and signals
//! A program signal can arrive while a thread is inside the slow path, and its handler may make
//! syscalls — on the entry stack (the kernel delivered it there), or on its own alternate stack
//! (`SA_ONSTACK`). `%gs:CUR` holds the bottom of the lowest live frame, including a reserve for
//! the dispatcher's own stack below it ([`RUST_RESERVE`]): a new frame goes below it (and below
//! the interrupted code's red zone when the caller itself runs on the entry stack).
//! `CUR` is lowered before the first write to a new frame and raised back only after the frame's
//! last read, so at every instruction a nested entry finds the frames above it protected. A new
//! frame starts 16 bytes below `CUR`: those 16 bytes hold the two words its `ret` exit still
//! reads after raising `CUR` back, where a frame nested in that instant (built below this
//! frame's top) cannot reach them.
//! Frames abandoned by `siglongjmp` stay protected until an enclosing frame exits; if they pile
//! up to the low-water mark, the stack is taken from the top again.
#![allow(unsafe_code)]

use crate::api::NR_MAX;
use crate::memory::guest;
use crate::process::fds;
use crate::process::thread::{self, off as T};
use crate::regs::{off as R, Regs};
use core::arch::global_asm;
use core::sync::atomic::{AtomicU64, Ordering};

/// Size of the vector-state save area on the slow path: xmm0–15, then mxcsr (at 256) and the
/// x87 control word (at 260) (DESIGN.md: only what baseline x86-64 Rust may clobber), and at
/// 264 and 268 their values after the dispatch, to compare.
pub(crate) const VEC_SAVE: usize = 16 * 16 + 16;
/// The frame above the vector area: Regs, the packed flags word, padding to 16 bytes.
pub(crate) const FRAME: usize = 192;
const PACKED: usize = R::SIZE;
/// How the frame exits: 0 = `ret` through the pushed return address (every register exact:
/// `int $0x80`), 1 = `jmp *%rcx` (x86-64 calls: `rcx` = return address and `r11` clobbered, as
/// `syscall` leaves them). The `ret` exit has a window in which a signal handler's nested
/// call can disturb it (found with stress-ng's itimer stressor under `count`), so only the
/// i386 path, which needs every register back, still uses it.
/// (Shares the slot of the packed flags word, which is dead by then.)
pub(crate) const MODE: usize = R::SIZE;
pub(crate) const EXIT_RET: u64 = 0;
pub(crate) const EXIT_JMP: u64 = 1;
/// The frame's last two words: while the entry's own `syscall` runs a call the dispatcher
/// passed on ([`CALL_IN_ASM`]), the thread's call-in-flight record as it was before this call
/// (`current_call`, then `call_reported` in bit 0 and "a tool sees the exit" in bit 1), for
/// `sysgate_dispatch_exit_64`. Per frame, because a signal handler's calls nest inside it.
pub(super) const OUTER_CALL: usize = R::SIZE + 8;
pub(super) const OUTER_FLAGS: usize = R::SIZE + 16;
const _: () = assert!(OUTER_FLAGS + 8 <= FRAME);
/// What `sysgate_dispatch_64` asks of the assembly: the frame holds the result, or
/// the call is to be made by the assembly (then `sysgate_dispatch_exit_64`).
pub(super) const DISPATCH_DONE: u64 = 0;
pub(super) const CALL_IN_ASM: u64 = 1;
/// The 16 bytes just above the frame (between its top and the mark it was built under): the two
/// words its `ret` exit reads after raising `CUR` again. A frame nested in that instant is built
/// below this frame's top, so it cannot reach them.
const PAD0: usize = FRAME;
const PAD1: usize = FRAME + 8;
/// CF PF AF ZF SF OF: the flags `sahf` plus an overflowing add restore.
const ARITH_FLAGS: u64 = 0x8d5;

/// Where each syscall number goes from a rewritten or trapped site.
#[allow(non_upper_case_globals)]
pub static sysgate_table: [AtomicU64; NR_MAX] = [const { AtomicU64::new(0) }; NR_MAX];

global_asm!(
    r#"
    .pushsection sysgate_entry,"ax",@progbits
    .globl sysgate_fast
    .hidden sysgate_fast
    .type sysgate_fast,@function
    .p2align 4
sysgate_fast:
    syscall
    pop     %rcx                    /* not `ret`: see the note on returning after a syscall */
    jmp     *%rcx
    .size sysgate_fast, . - sysgate_fast

    .globl sysgate_fast_sigreturn
    .hidden sysgate_fast_sigreturn
    .type sysgate_fast_sigreturn,@function
    .p2align 4
sysgate_fast_sigreturn:
    lea     8(%rsp), %rsp           /* rt_sigreturn finds its frame at the caller's rsp */
    mov     $15, %eax
    syscall
    ud2
    .size sysgate_fast_sigreturn, . - sysgate_fast_sigreturn

    /* close (fd in edi), dup2 and dup3 (the descriptor they replace in esi), when no tool
       wants them: straight to the kernel when that descriptor lies below every runtime
       descriptor (fds::FLOOR), else the slow path, which protects ours (fds.rs). The
       compare leaves the flags alone (the caller's flags must reach the kernel and come
       back as they were): not, lea and bswap set none, and jrcxz reads none. */
    .globl sysgate_close_fast
    .hidden sysgate_close_fast
    .type sysgate_close_fast,@function
    .p2align 4
sysgate_close_fast:
    mov     %edi, %r11d
    jmp     1f
    .globl sysgate_dup_fast
    .hidden sysgate_dup_fast
sysgate_dup_fast:
    mov     %esi, %r11d
1:  mov     {fd_floor}(%rip), %ecx
    not     %rcx
    lea     1(%r11,%rcx), %r11      /* fd - floor: negative exactly when fd < floor */
    bswap   %r11
    movzbl  %r11b, %ecx             /* its top byte: 0xff when below the floor, else 0 */
    jrcxz   2f
    syscall
    pop     %rcx
    jmp     *%rcx
2:  jmp     sysgate_slow
    .size sysgate_close_fast, . - sysgate_close_fast

    /* Counting stubs, one per number, 64 bytes apart (entry `nr` at sysgate_count_stubs +
       64 * nr): for a number a tool only counts (`count_in_stub`), the call and its error
       are added to the thread's own counters without entering Rust. Before the syscall the
       stub uses no flag-changing instruction (the flags the kernel sees and hands back are
       the caller's); when `count_go` is 0 (no counters yet, or this call is to be timed)
       it goes to the slow path with everything as it arrived. */
    .globl sysgate_count_stubs
    .hidden sysgate_count_stubs
    .type sysgate_count_stubs,@function
    .p2align 6
sysgate_count_stubs:
    .set    sgc_nr, 0
    .rept   {nr_max}
    mov     %gs:{count_go}, %rcx
    jrcxz   1f
    syscall
    pop     %rcx                    /* return address; its word, below the caller's rsp, */
    mov     %rax, -8(%rsp)          /* now holds the result (in the caller's red zone) */
    mov     $(sgc_nr * 16), %eax
    jmp     sysgate_count_tail
1:  jmp     sysgate_slow
    .org    sysgate_count_stubs + (sgc_nr + 1) * 64, 0xcc
    .set    sgc_nr, sgc_nr + 1
    .endr
    .size sysgate_count_stubs, . - sysgate_count_stubs

    /* rax = 16 * nr, rcx = return address, r11 = the caller's flags (as `syscall` leaves
       them), -8(%rsp) = the result. Each counter changes in one instruction, so a signal
       handler of this thread that makes counted calls in between loses none. The arithmetic
       flags come back from r11 through `sahf` and an overflowing add, as in the slow exit. */
    .p2align 4
sysgate_count_tail:
    add     %gs:{count_calls}, %rax
    incq    (%rax)
    cmpq    $-4095, -8(%rsp)
    jb      1f
    incq    8(%rax)
1:  decq    %gs:{count_skip}
    jnz     2f
    movq    $0, %gs:{count_go}      /* the next call is timed: the slow path */
2:  mov     %r11, %rax
    mov     %al, %ah                /* SF ZF AF PF CF */
    shr     $11, %r11d
    and     $1, %r11d
    mov     %r11b, %al              /* OF */
    add     $0x7f, %al
    sahf
    mov     -8(%rsp), %rax
    jmp     *%rcx
    .size sysgate_count_tail, . - sysgate_count_tail

    .globl sysgate_slow
    .hidden sysgate_slow
    .type sysgate_slow,@function
    .p2align 6
sysgate_slow:
    mov     %rax, %r11              /* r11 = nr */
    lahf                            /* ah = SF ZF AF PF CF */
    seto    %al                     /* al = OF; the arithmetic flags are now saved */
    movzwl  %ax, %eax
    shl     $32, %rax
    mov     %r11d, %r11d
    or      %rax, %r11              /* r11 = flags << 32 | nr */
    mov     (%rsp), %rcx            /* return address */
    lea     8(%rsp), %rax           /* the caller's rsp before its call */
    mov     %gs:{cur}, %rsp
    sub     $16, %rsp               /* the enclosing frame's top 16 bytes are its own (below) */
    cmp     %gs:{stack_lo}, %rax
    jb      1f
    cmp     %rsp, %rax
    jae     1f
    lea     -152(%rax), %rsp        /* caller runs on the entry stack: below it, its red zone and the 16 bytes */
1:  and     $-16, %rsp
    cmp     %gs:{low_water}, %rsp
    jae     2f
    mov     %gs:{stack_hi}, %rsp
    sub     $16, %rsp
2:  sub     ${frame_and_vec}+{reserve}, %rsp
    mov     %rsp, %gs:{cur}         /* protect the frame and the dispatcher's stack below it */
    add     ${vec}+{reserve}, %rsp  /* rsp = Regs */
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
    mov     %rax, {rsp}(%rsp)
    mov     %rcx, {rip}(%rsp)
    mov     %rcx, {rcx}(%rsp)
    mov     %r11, {packed}(%rsp)
    movq    $-38, {rax}(%rsp)       /* -ENOSYS, like the kernel's pt_regs */
    mov     %r11d, %eax
    mov     %rax, {orig_rax}(%rsp)
    movq    $0x33, {cs}(%rsp)
    movq    $0x2b, {ss}(%rsp)
    mov     %r11, %rax
    shr     $32, %rax
    add     $0x7f, %al              /* OF */
    sahf                            /* SF ZF AF PF CF: the caller's flags, for a full image */
    pushfq
    pop     %rax
    mov     %rax, {eflags}(%rsp)
    mov     %rax, {r11}(%rsp)
    movq    $1, {mode}(%rsp)        /* exit through `jmp *%rcx` (see EXIT_JMP) */

    /* The SIGSYS handler enters here, with rsp = a Regs frame it built (and CUR set). */
    .globl sysgate_trap_entry
    .hidden sysgate_trap_entry
sysgate_trap_entry:
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
    /* A call the dispatcher passed on is made here, not inside Rust: after a `syscall`, the
       first `ret` to a caller that called before it costs 50–80 ns (see above), and here the
       only calls that return after the syscall are made after it. */
    cmp     ${call_in_asm}, %eax
    jne     1f
    mov     {vec}+{rdi}(%rsp), %rdi
    mov     {vec}+{rsi}(%rsp), %rsi
    mov     {vec}+{rdx}(%rsp), %rdx
    mov     {vec}+{r10}(%rsp), %r10
    mov     {vec}+{r8}(%rsp), %r8
    mov     {vec}+{r9}(%rsp), %r9
    mov     {vec}+{orig_rax}(%rsp), %rax
    syscall
    .globl sysgate_entry_syscall_end
    .hidden sysgate_entry_syscall_end
sysgate_entry_syscall_end:
    mov     %rax, {vec}+{rax}(%rsp)
    lea     {vec}(%rsp), %rdi
    call    {dispatch_exit}
1:
    /* mxcsr and the control word back only if they changed (ldmxcsr and fldcw cost more
       than the compare; Rust code does not change them). */
    stmxcsr 264(%rsp)
    mov     264(%rsp), %eax
    cmp     256(%rsp), %eax
    je      1f
    ldmxcsr 256(%rsp)
1:  fnstcw  268(%rsp)
    movzwl  268(%rsp), %eax
    cmpw    260(%rsp), %ax
    je      1f
    fldcw   260(%rsp)
1:
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
    add     ${vec}, %rsp            /* rsp = Regs */
    cmpq    $15, {orig_rax}(%rsp)
    jne     1f
    cmpq    $0x33, {cs}(%rsp)
    je      .Lslow_sigreturn
1:  cmpq    $0, {mode}(%rsp)
    jne     .Lexit_jmp
    /* Exit through `ret`: the return address is the word the call pushed at the caller's
       rsp-8. Every register comes back from the frame. The two values needed after `CUR` is
       lowered again live in the frame's top 16 bytes, which a nested frame never writes. */
    lea     {frame}+16(%rsp), %rax    /* CUR as it was before this frame */
    mov     %rax, {pad0}(%rsp)
    mov     {rsp}(%rsp), %rax
    sub     $8, %rax
    mov     %rax, {pad1}(%rsp)
    mov     {r15}(%rsp), %r15
    mov     {r14}(%rsp), %r14
    mov     {r13}(%rsp), %r13
    mov     {r12}(%rsp), %r12
    mov     {rbp}(%rsp), %rbp
    mov     {rbx}(%rsp), %rbx
    mov     {r11}(%rsp), %r11
    mov     {r10}(%rsp), %r10
    mov     {r9}(%rsp), %r9
    mov     {r8}(%rsp), %r8
    mov     {rax}(%rsp), %rax
    mov     {rcx}(%rsp), %rcx
    mov     {rdx}(%rsp), %rdx
    mov     {rsi}(%rsp), %rsi
    mov     {rdi}(%rsp), %rdi
    lea     {eflags}(%rsp), %rsp
    popfq                           /* rsp = &Regs.rsp; no flag changes from here on */
    lea     {pad0}-{rsp}(%rsp), %rsp
    popq    %gs:{cur}               /* CUR as it was before this frame */
    pop     %rsp                    /* caller's rsp - 8: the return address */
    ret

    /* Exit through `jmp *%rcx` (rcx = return address, as after `syscall`): for trapped sites
       (nothing was pushed) and for vfork (the child may have overwritten the pushed word).
       The flags come back through `sahf` (and OF through an add) when only the arithmetic
       flags can differ from what the runtime left (IF set, DF clear, nothing else): `popfq`
       costs about 20 cycles. Any other image (DF, AC or TF set) takes `popfq`. */
.Lexit_jmp:
    mov     {eflags}(%rsp), %rcx
    mov     %rcx, %rax
    and     $~{arith}, %rax
    cmp     $0x202, %rax            /* ZF: only arithmetic flags to restore (movs keep it) */
    mov     {r15}(%rsp), %r15
    mov     {r14}(%rsp), %r14
    mov     {r13}(%rsp), %r13
    mov     {r12}(%rsp), %r12
    mov     {rbp}(%rsp), %rbp
    mov     {rbx}(%rsp), %rbx
    mov     {r10}(%rsp), %r10
    mov     {r9}(%rsp), %r9
    mov     {r8}(%rsp), %r8
    mov     {rdx}(%rsp), %rdx
    mov     {rsi}(%rsp), %rsi
    mov     {rdi}(%rsp), %rdi
    jne     1f
    mov     %cl, %ah                /* SF ZF AF PF CF */
    shr     $11, %ecx
    and     $1, %ecx
    mov     %cl, %al                /* OF */
    add     $0x7f, %al              /* sets OF exactly when al = 1 */
    sahf
    jmp     2f
1:  pushq   {eflags}(%rsp)          /* into the dead vector area just below the frame */
    popfq
2:  mov     {rip}(%rsp), %rcx       /* no flag changes from here on */
    mov     {rax}(%rsp), %rax
    lea     {frame}+16(%rsp), %r11  /* CUR as it was before this frame */
    mov     {rsp}(%rsp), %rsp
    mov     %r11, %gs:{cur}         /* after the frame's last read */
    jmp     *%rcx

.Lslow_sigreturn:
    lea     {frame}+16(%rsp), %r11
    mov     {rsp}(%rsp), %rsp
    mov     %r11, %gs:{cur}
    mov     $15, %eax
    syscall
    ud2
    .size sysgate_slow, . - sysgate_slow

    .popsection
"#,
    fd_floor = sym fds::FLOOR,
    nr_max = const NR_MAX,
    count_go = const T::COUNT_GO,
    count_calls = const T::COUNT_CALLS,
    count_skip = const T::COUNT_SKIP,
    stack_lo = const T::STACK_LO,
    stack_hi = const T::STACK_HI,
    cur = const T::CUR,
    low_water = const T::LOW_WATER,
    reserve = const thread::RUST_RESERVE,
    dispatch = sym super::dispatch::sysgate_dispatch_64,
    dispatch_exit = sym super::dispatch::sysgate_dispatch_exit_64,
    call_in_asm = const CALL_IN_ASM,
    frame = const FRAME,
    frame_and_vec = const FRAME + VEC_SAVE,
    vec = const VEC_SAVE,
    packed = const PACKED,
    mode = const MODE,
    pad0 = const PAD0,
    pad1 = const PAD1,
    arith = const ARITH_FLAGS,
    r15 = const R::R15, r14 = const R::R14, r13 = const R::R13, r12 = const R::R12,
    rbp = const R::RBP, rbx = const R::RBX, r11 = const R::R11, r10 = const R::R10,
    r9 = const R::R9, r8 = const R::R8, rax = const R::RAX, rcx = const R::RCX,
    rdx = const R::RDX, rsi = const R::RSI, rdi = const R::RDI, orig_rax = const R::ORIG_RAX,
    rip = const R::RIP, cs = const R::CS, eflags = const R::EFLAGS, rsp = const R::RSP,
    ss = const R::SS,
    options(att_syntax)
);

extern "C" {
    pub(super) fn sysgate_fast();
    pub(super) fn sysgate_fast_sigreturn();
    pub(super) fn sysgate_slow();
    pub(super) fn sysgate_close_fast();
    pub(super) fn sysgate_dup_fast();
    fn sysgate_trap_entry();
    pub(super) fn sysgate_count_stubs();
    pub(super) fn sysgate_entry_syscall_end();
}

/// The slow entry (for numbers outside the table).
pub fn slow_address() -> u64 {
    sysgate_slow as *const () as usize as u64
}

/// Where the SIGSYS handler sends a trapped call whose frame it built.
pub fn trap_entry_address() -> u64 {
    sysgate_trap_entry as *const () as usize as u64
}

/// Address of the per-number table (read by the sled's tail).
pub fn table_address() -> u64 {
    sysgate_table.as_ptr() as u64
}

/// Where a site's call for syscall `nr` goes.
pub fn target(nr: u64) -> u64 {
    if (nr as usize) < NR_MAX {
        sysgate_table[nr as usize].load(Ordering::Relaxed)
    } else {
        slow_address()
    }
}

/// The caller's stack pointer (for [`build_trap_frame`]'s `live` from a handler that runs on
/// the stack the kernel chose).
#[inline(always)]
pub(crate) fn stack_pointer() -> u64 {
    let sp: u64;
    // SAFETY: reads the stack pointer; no memory access.
    unsafe {
        core::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    sp
}

/// Guest memory access, re-exported for tools.
pub use guest::read as guest_read;

/// The word `off` bytes from the start of the entry frame whose `Regs` is `regs`: one of the
/// frame's own words past the `Regs` ([`MODE`], [`OUTER_CALL`], [`OUTER_FLAGS`]).
pub(super) fn frame_word(regs: &mut Regs, off: usize) -> &mut u64 {
    debug_assert!(off >= R::SIZE && off + 8 <= FRAME);
    // SAFETY: every `Regs` the dispatcher sees sits at the bottom of an entry frame of `FRAME`
    // bytes, built by the entry or `build_trap_frame`; the words past the `Regs` belong to that
    // frame and do not overlap `regs`, so the two borrows are disjoint.
    unsafe { &mut *((regs as *mut Regs as *mut u8).add(off) as *mut u64) }
}

/// Chooses how the frame holding `regs` leaves the entry ([`EXIT_RET`] or [`EXIT_JMP`]).
pub(crate) fn set_exit_mode(regs: &mut Regs, mode: u64) {
    *frame_word(regs, MODE) = mode;
}

/// Room left below `live` (see [`build_trap_frame`]): a handler's red zone and the few calls it
/// still makes before it returns.
const HANDLER_MARGIN: u64 = 1024;

/// Builds an entry frame for a trapped call on the thread's entry stack, from the registers
/// in the signal context, and protects it (the SIGSYS handler runs with every signal blocked,
/// so nothing can enter between). Returns the address of its `Regs`.
///
/// `live` is the lowest address the caller still needs on the stack it runs on: the bottom of
/// the kernel's signal frame (the SIGSYS handler runs on a stack of its own), or the
/// handler's own stack pointer. When the trapped code was itself on the entry stack (a program
/// handler delivered while its thread was in the entry), that signal frame is on the entry
/// stack too, right below the caller's red zone: several KiB (the whole vector state; PKRU is
/// its top word) that `rt_sigreturn` still reads. The new frame goes below it (it used to land
/// on it: the caller's restored protection-key register then denied writes, and the thread
/// died at its next store).
pub(crate) fn build_trap_frame(t: &mut thread::Thread, regs: &Regs, mode: u64, live: u64) -> u64 {
    let caller_sp = regs.rsp;
    // As in the assembly: 16 bytes below CUR (the enclosing frame's exit words).
    let mut base = t.entry_cur - 16;
    if caller_sp >= t.stack_lo && caller_sp < base {
        base = caller_sp - 152;
    }
    if live >= t.stack_lo && live < t.stack_hi {
        base = base.min(live - HANDLER_MARGIN);
    }
    base &= !15;
    if base < t.stack_low_water {
        base = t.stack_hi - 16;
    }
    t.entry_cur = base - (FRAME + VEC_SAVE + thread::RUST_RESERVE) as u64;
    let at = base - FRAME as u64;
    // SAFETY: [at, base) lies inside this thread's entry stack, below every live frame (CUR
    // was at or above `base`), and is now protected by the lowered CUR.
    unsafe {
        core::ptr::write(at as *mut Regs, *regs);
        *((at + MODE as u64) as *mut u64) = mode;
    }
    at
}
