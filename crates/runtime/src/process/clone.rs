//! Threads, fork and vfork: every new thread of execution is armed before it runs program code.
//!
//! Syscall User Dispatch is cleared in every child, and a child that shares our memory must not
//! share our entry stack. So a child that shares memory (threads, `vfork`, `CLONE_VM`) or that
//! starts on a new stack is created by `sysgate_clone_stub`: in the child, the stub touches no
//! memory through `rsp` (for `vfork` that is the parent's stack), switches to the child's own
//! block, and `sysgate_child_start` arms it and resumes the program with the registers the
//! parent prepared in `child_regs` (`rax = 0`, `rsp` = the new stack if one was given).
//!
//! A fork-style child (own copy of memory, same stack) simply returns through the parent's frame
//! in its own copy and is re-armed on the way (`is_child_return`).
#![allow(unsafe_code)]

use crate::process::thread::{self, off as T, Thread};
use crate::raw::{self, sys};
use crate::regs::{off as R, Regs};
use core::arch::global_asm;
use core::sync::atomic::{AtomicI32, Ordering};

global_asm!(
    r#"
    .pushsection sysgate_entry,"ax",@progbits
    .globl sysgate_clone_stub
    .hidden sysgate_clone_stub
    .type sysgate_clone_stub,@function
    .p2align 4
/* long sysgate_clone_stub(long nr, long a1, long a2, long a3, long a4, long a5, Thread *child) */
sysgate_clone_stub:
    push    %r12
    mov     16(%rsp), %r12          /* child block; survives the syscall in both processes */
    mov     %rdi, %rax
    mov     %rsi, %rdi
    mov     %rdx, %rsi
    mov     %rcx, %rdx
    mov     %r8, %r10
    mov     %r9, %r8
    syscall
    test    %rax, %rax
    jz      1f
    pop     %r12
    ret
1:  /* child: do not touch memory through rsp: it may be the parent's stack (vfork) */
    mov     {stack_hi}(%r12), %rsp
    mov     %r12, %rdi
    call    {child_start}
    ud2
    .size sysgate_clone_stub, . - sysgate_clone_stub

/* void sysgate_resume(const Regs *regs): load every register from `regs` and jump to regs->rip
   (a new thread's first return to the program). rcx ends as the return address and r11 as
   regs->r11, as after a syscall. */
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
    stack_hi = const T::STACK_HI,
    r15 = const R::R15, r14 = const R::R14, r13 = const R::R13, r12 = const R::R12,
    rbp = const R::RBP, rbx = const R::RBX, r11 = const R::R11, r10 = const R::R10,
    r9 = const R::R9, r8 = const R::R8, rax = const R::RAX,
    rdx = const R::RDX, rsi = const R::RSI, rdi = const R::RDI,
    rip = const R::RIP, eflags = const R::EFLAGS, rsp = const R::RSP,
    child_start = sym sysgate_child_start,
    options(att_syntax)
);

extern "C" {
    fn sysgate_resume(regs: *const Regs) -> !;
    fn sysgate_clone_stub(
        nr: u64,
        a1: u64,
        a2: u64,
        a3: u64,
        a4: u64,
        a5: u64,
        child: *mut Thread,
    ) -> i64;
}

const _: () = assert!(R::RAX == 80);

/// Pid of the process whose fork-style child is returning through a copied frame; used to
/// recognise the child on its way out.
static FORK_PARENT: AtomicI32 = AtomicI32::new(0);

extern "C" fn sysgate_child_start(t: *mut Thread) -> ! {
    // SAFETY: `t` was allocated by the parent for this child alone (or is the vfork block the
    // suspended parent lent us); we are the only thread running on it.
    unsafe {
        if thread::install(t).is_err() {
            raw::fatal("cannot set the GS base in a new thread");
        }
        if thread::arm_dispatch(t).is_err() {
            raw::fatal("cannot arm syscall user dispatch in a new thread");
        }
        sysgate_resume(&(*t).child_regs)
    }
}

/// `clone`, `clone3`, `fork`, `vfork` (number `nr`) of the thread `thread`, whose registers at
/// the call are `regs`. Returns the result, and whether the new child runs on the caller's own
/// stack (a `vfork` without a new stack): the entry must then leave without reading the
/// return address the call pushed there, which the child may have overwritten.
pub(crate) fn handle(nr: u32, regs: &Regs, thread: &mut Thread) -> (i64, bool) {
    let a = regs.args();
    let (flags, new_sp) = match nr {
        sys::__NR_clone => (a[0], a[1]),
        sys::__NR_clone3 => {
            let mut ca = [0u64; 11];
            let size = (a[1] as usize).min(core::mem::size_of_val(&ca));
            let mut buf = [0u8; 88];
            if size < 64 || !crate::memory::guest::read(a[0], &mut buf[..size]) {
                return (raw::syscall6(nr, a), false); // let the kernel produce the error
            }
            for (i, w) in ca.iter_mut().enumerate().take(size / 8) {
                let mut b = [0u8; 8];
                b.copy_from_slice(&buf[i * 8..i * 8 + 8]);
                *w = u64::from_ne_bytes(b);
            }
            // struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size
            let sp = if ca[5] != 0 {
                ca[5].wrapping_add(ca[6])
            } else {
                0
            };
            (ca[0], sp)
        }
        sys::__NR_vfork => ((sys::CLONE_VM | sys::CLONE_VFORK) as u64, 0),
        _ => (0, 0), // fork
    };
    let shares_vm = flags & sys::CLONE_VM as u64 != 0;
    let parent_traced = thread.traced;
    let child_traced = parent_traced && crate::config::get().follow;

    if !shares_vm && new_sp == 0 {
        // Fork-style: the child gets a copy of everything, including this frame.
        let me = raw::getpid();
        FORK_PARENT.store(me, Ordering::Relaxed);
        let ret = raw::syscall6(nr, a);
        if ret == 0 {
            // SAFETY: in the child, single-threaded, on our own copy of the block.
            unsafe {
                let t: *mut Thread = thread;
                (*t).tid = raw::gettid();
                (*t).pid = raw::getpid();
                (*t).traced = child_traced;
                (*t).count_go = 0;
                (*t).count_calls = 0;
                thread::RUNNERS.store(1, Ordering::SeqCst);
                if thread::arm_dispatch(t).is_err() {
                    raw::fatal("cannot arm syscall user dispatch in a fork child");
                }
                crate::process::fds::open_self_files();
            }
        }
        return (ret, false);
    }

    let vfork = flags & sys::CLONE_VFORK as u64 != 0 && shares_vm;
    let on_our_stack = vfork && new_sp == 0;
    let child: *mut Thread = if vfork {
        if thread.vfork_child.is_null() {
            match Thread::alloc() {
                Some(c) => thread.vfork_child = c,
                None => return (-(sys::EAGAIN as i64), on_our_stack),
            }
        }
        thread.vfork_child
    } else {
        match Thread::alloc() {
            Some(c) => c,
            None => return (-(sys::EAGAIN as i64), false),
        }
    };
    // SAFETY: `child` is a block no running thread uses: fresh, or the vfork block whose last
    // user has exec'd or exited (the parent was suspended until then).
    unsafe {
        (*child).child_regs = *regs;
        (*child).child_regs.rax = 0;
        if new_sp != 0 {
            (*child).child_regs.rsp = new_sp;
        }
        (*child).traced = child_traced;
        (*child).sigsys_blocked = thread.sigsys_blocked;
        // The kernel keeps the alternate signal stack for a vfork child (it shares the
        // parent's memory until it execs) and clears it for a new thread.
        (*child).alt_stack = if vfork {
            thread.alt_stack
        } else {
            Default::default()
        };
        (*child).alt_lent = vfork && thread.alt_lent;
        (*child).vfork_shared = vfork;
        (*child).tool_scratch = [0; thread::SCRATCH_WORDS];
        (*child).count_go = 0;
        (*child).count_calls = 0;
        (*child).ring = 0;
        (*child).line_busy = false;
        // A previous vfork child may have exec'd from inside an entry frame.
        (*child).entry_cur = (*child).stack_hi;
    }
    // A vfork child runs while its parent waits; any other child sharing our memory runs
    // beside us: counted before it can run.
    let runs_beside = shares_vm && !vfork;
    if runs_beside {
        thread::RUNNERS.fetch_add(1, Ordering::SeqCst);
    }
    // SAFETY: the stub issues the syscall with the caller's arguments; the child side never
    // returns into this frame.
    let ret = unsafe { sysgate_clone_stub(nr as u64, a[0], a[1], a[2], a[3], a[4], child) };
    if runs_beside && ret < 0 {
        thread::RUNNERS.fetch_sub(1, Ordering::SeqCst);
    }
    if ret < 0 && !vfork {
        // SAFETY: the clone failed, no child uses the block.
        unsafe { Thread::free(child) };
    }
    if !shares_vm && ret > 0 && !vfork {
        // The child has its own copy of the block; ours is unused.
        // SAFETY: the child lives in another address space.
        unsafe { Thread::free(child) };
    }
    (ret, on_our_stack)
}

/// True in a fork-style child that is returning through the copied parent frame.
/// `nr` is the call, `pid` the process the calling thread's block names, `ret` the result.
pub(crate) fn is_child_return(nr: u32, pid: i32, ret: i64) -> bool {
    ret == 0
        && matches!(
            nr,
            sys::__NR_fork | sys::__NR_clone | sys::__NR_clone3 | sys::__NR_vfork
        )
        && FORK_PARENT.load(Ordering::Relaxed) != pid
        && FORK_PARENT.load(Ordering::Relaxed) != 0
}
