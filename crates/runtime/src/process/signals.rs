//! Signals the runtime owns, and the program's view of them.
//!
//! - SIGSYS is the runtime's: the program's `rt_sigaction(SIGSYS)` is recorded and reported back
//!   but never installed, and SIGSYS is removed from every mask the program sets
//!   (`rt_sigprocmask`, `sa_mask`): a SIGSYS that arrives while blocked kills the process.
//! - Every other signal's action is kept virtually too when a tool wants to hear of signals
//!   ([`Tool::wants_signals`](crate::api::Tool::wants_signals)): the kernel runs `sigwrap`,
//!   which reports the delivery (and, first, a call whose return the signal interrupted), then
//!   calls the program's handler with the arguments the kernel gave.
//! - SIGSEGV, SIGBUS and SIGILL are shared: the runtime's handler first looks for a fault
//!   inside a guest-memory copy (seed 004: resume at the fixup, EFAULT), a rewritten call that
//!   jumped past the sled, or the `ud2` of a rewritten site; anything else is delivered to the
//!   program's own (virtual) action, as the kernel would have.
#![allow(unsafe_code)]

use crate::config::StartupCell;
use crate::memory::guest;
use crate::process::thread::Thread;
use crate::raw::{self, sys};
use core::cell::UnsafeCell;

pub const REG_R8: usize = 0;
pub const REG_R9: usize = 1;
pub const REG_R10: usize = 2;
pub const REG_RDI: usize = 8;
pub const REG_RSI: usize = 9;
pub const REG_RBP: usize = 10;
pub const REG_RBX: usize = 11;
pub const REG_RDX: usize = 12;
pub const REG_RAX: usize = 13;
pub const REG_RCX: usize = 14;
pub const REG_RSP: usize = 15;
pub const REG_RIP: usize = 16;
pub const REG_EFL: usize = 17;

/// `mcontext_t` of x86-64 (the kernel's `struct sigcontext`, as an array of 23 registers).
#[repr(C)]
pub struct mcontext {
    pub gregs: [u64; 23],
    pub fpregs: u64,
    pub reserved: [u64; 8],
}

/// `ucontext_t` as the kernel lays it out on a signal frame.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct ucontext {
    pub uc_flags: u64,
    pub uc_link: u64,
    pub ss_sp: u64,
    pub ss_flags: i32,
    pub _pad: i32,
    pub ss_size: u64,
    pub uc_mcontext: mcontext,
    pub uc_sigmask: u64,
}
const _: () = assert!(core::mem::offset_of!(ucontext, uc_mcontext) == 40);
const _: () = assert!(core::mem::offset_of!(ucontext, uc_sigmask) == 296);

/// The parts of `siginfo_t` the runtime reads.
#[repr(C)]
pub struct SigInfo {
    pub si_signo: i32,
    pub si_errno: i32,
    pub si_code: i32,
    pub _pad: i32,
    /// `si_addr` (SIGSEGV/SIGBUS) or `si_call_addr` (SIGSYS).
    pub si_addr: u64,
    pub si_syscall: i32,
    pub si_arch: u32,
    pub _rest: [u64; 12],
}
impl SigInfo {
    pub fn arch(&self) -> u32 {
        self.si_arch
    }
}

/// The kernel's `struct sigaction` for `rt_sigaction` on x86-64.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct KSigaction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;
const SIGSYS_BIT: u64 = 1 << (sys::SIGSYS - 1);

/// Program actions the runtime keeps virtual: index 0 = SIGSYS, 1 = SIGSEGV, 2 = SIGBUS,
/// 3 = SIGILL, 4 = SIGTRAP.
struct Virtual(UnsafeCell<[KSigaction; 5]>);
// SAFETY: updated only from rt_sigaction emulation; a torn read can at worst show a program
// handler that is being replaced at that very moment, as with the kernel's own races.
unsafe impl Sync for Virtual {}
static VIRTUAL: Virtual = Virtual(UnsafeCell::new(
    [KSigaction {
        handler: 0,
        flags: 0,
        restorer: 0,
        mask: 0,
    }; 5],
));

fn virtual_slot(sig: u64) -> Option<usize> {
    match sig as u32 {
        sys::SIGSYS => Some(0),
        sys::SIGSEGV => Some(1),
        sys::SIGBUS => Some(2),
        sys::SIGILL => Some(3),
        sys::SIGTRAP => Some(4),
        _ => None,
    }
}

/// The program's actions for every signal, when handlers are wrapped (index = signal).
struct AllVirtual(UnsafeCell<[KSigaction; 65]>);
// SAFETY: as `Virtual`.
unsafe impl Sync for AllVirtual {}
static ALL: AllVirtual = AllVirtual(UnsafeCell::new(
    [KSigaction {
        handler: 0,
        flags: 0,
        restorer: 0,
        mask: 0,
    }; 65],
));
static WRAP: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

fn wrapped(sig: u64) -> bool {
    WRAP.load(core::sync::atomic::Ordering::Relaxed)
        && (1..=64).contains(&sig)
        && virtual_slot(sig).is_none()
        && sig != sys::SIGKILL as u64
        && sig != sys::SIGSTOP as u64
}

/// Tells the tool (if it listens) that `sig` is being delivered with `info`.
fn report_signal(info: *const SigInfo, uc: *const ucontext) {
    if !WRAP.load(core::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let (Some(t), Some(hooks)) = (crate::process::thread::current(), HOOKS.get()) else {
        return;
    };
    // SAFETY: valid for this delivery.
    let (g, bytes) = unsafe { (&(*uc).uc_mcontext.gregs, &*(info as *const [u8; 128])) };
    if t.traced {
        (hooks.report)(t, g, bytes);
    }
}

/// The handler the kernel runs for a signal the program handles, when handlers are wrapped.
extern "C" fn sigwrap(sig: i32, info: *mut SigInfo, uc: *mut ucontext) {
    report_signal(info, uc);
    // SAFETY: see `AllVirtual`.
    let all = unsafe { &mut *ALL.0.get() };
    let Some(act) = all.get_mut(sig as usize) else {
        return;
    };
    let handler = act.handler;
    if act.flags & sys::SA_RESETHAND as u64 != 0 {
        // The kernel has reset the real action; the program's view follows.
        *act = KSigaction::default();
    }
    if handler == SIG_DFL || handler == SIG_IGN {
        return;
    }
    // SAFETY: the program's registered handler, called with the arguments the kernel passes
    // to an SA_SIGINFO handler (a plain handler ignores the extra ones).
    unsafe {
        let f: extern "C" fn(i32, *mut SigInfo, *mut ucontext) =
            core::mem::transmute(handler as usize);
        f(sig, info, uc);
    }
}

/// Starts wrapping the program's signal handlers (for a tool that wants to hear of signals):
/// records the actions this image started with (ignored signals stay ignored across exec).
pub(crate) fn wrap_handlers() {
    // SAFETY: single-threaded start-up.
    let all = unsafe { &mut *ALL.0.get() };
    for sig in 1..=64u32 {
        raw::syscall4(
            sys::__NR_rt_sigaction,
            sig as u64,
            0,
            &mut all[sig as usize] as *mut KSigaction as u64,
            8,
        );
    }
    WRAP.store(true, core::sync::atomic::Ordering::Relaxed);
}

/// The kernel's current action for `sig`.
fn current_action(sig: u32, cur: &mut KSigaction) -> i64 {
    raw::syscall4(
        sys::__NR_rt_sigaction,
        sig as u64,
        0,
        cur as *mut KSigaction as u64,
        8,
    )
}

fn set_action(sig: u32, act: &KSigaction, old: Option<&mut KSigaction>) -> i64 {
    let oldp = old.map_or(0, |o| o as *mut KSigaction as u64);
    raw::syscall4(
        sys::__NR_rt_sigaction,
        sig as u64,
        act as *const KSigaction as u64,
        oldp,
        8,
    )
}

/// What the layers above this one do with a signal, given to [`install`]: this file knows the
/// signals, not what the entry or the rewriter make of them.
pub(crate) struct Hooks {
    /// A fault (`si_code > 0`) outside every guest-memory copy: returns true if it was a
    /// rewritten site's and the context now resumes the call (`rewrite/traps.rs`); may adjust
    /// `info` for the program (the page-0 sled's fault code) when it returns false.
    pub site_fault: fn(sig: u32, info: &mut SigInfo, gregs: &mut [u64; 23]) -> bool,
    /// A signal is being delivered to a traced thread of a tool that listens: report the call
    /// it interrupted and the signal (`ways_in/entry.rs`). `info` is the raw `siginfo_t`.
    pub report: fn(t: &mut Thread, gregs: &[u64; 23], info: &[u8; 128]),
}
static HOOKS: StartupCell<Hooks> = StartupCell::new();

/// Installs the runtime's SIGSYS, SIGSEGV and SIGBUS handlers and unblocks them. `sigsys` is
/// the address of the SIGSYS handler (`ways_in/sud.rs`).
pub(crate) fn install(sigsys: u64, hooks: Hooks) -> Result<(), i64> {
    HOOKS.set(hooks);
    let restorer = raw::sysgate_restorer as *const () as usize as u64;
    // SA_ONSTACK: a thread that has an alternate signal stack gets the SIGSYS frame there, not
    // on whatever stack the trapped code runs on (Go's goroutine stacks leave a syscall less
    // than a kilobyte; a signal frame with AVX-512 state is three). The alternate stack is
    // free whenever the program's own handlers are not on it, and nested delivery stacks
    // below them when they are.
    let sigsys = KSigaction {
        handler: sigsys,
        flags: (sys::SA_SIGINFO | sys::SA_RESTORER | sys::SA_ONSTACK) as u64,
        restorer,
        mask: !0u64, // defer program signals for the few instructions the handler runs
    };
    let fault = KSigaction {
        handler: sigfault as *const () as usize as u64,
        flags: (sys::SA_SIGINFO | sys::SA_RESTORER | sys::SA_NODEFER | sys::SA_ONSTACK) as u64,
        restorer,
        mask: 0,
    };
    // SAFETY: single-threaded start-up; nobody else touches VIRTUAL yet.
    let v = unsafe { &mut *VIRTUAL.0.get() };
    let r = set_action(sys::SIGSYS, &sigsys, Some(&mut v[0]));
    if r < 0 {
        return Err(r);
    }
    set_action(sys::SIGSEGV, &fault, Some(&mut v[1]));
    set_action(sys::SIGBUS, &fault, Some(&mut v[2]));
    set_action(sys::SIGILL, &fault, Some(&mut v[3]));
    set_action(sys::SIGTRAP, &fault, Some(&mut v[4]));
    raw::kernel_sigmask(sys::SIG_UNBLOCK, raw::RUNTIME_SIGNALS);
    Ok(())
}

/// `rt_sigaction(sig, act, oldact, sigsetsize)` as the program sees it.
///
/// A vfork child (`vfork_child`) has its own signal actions in the kernel but runs in its
/// parent's memory, where the virtual actions live: its changes (posix_spawn and CPython's
/// subprocess reset every handled signal to SIG_DFL before exec) must not become the parent's.
/// It reads the parent's virtual actions (which it inherited) and sets its own in the kernel
/// only, unwrapped; a change to a runtime-owned signal is accepted and not kept.
pub(crate) fn rt_sigaction(a: [u64; 6], vfork_child: bool) -> i64 {
    let (sig, actp, oldp, size) = (a[0], a[1], a[2], a[3]);
    if size != 8 {
        return raw::syscall6(sys::__NR_rt_sigaction, a);
    }
    let mut act = KSigaction::default();
    if actp != 0 && !guest::read_struct(actp, &mut act) {
        return -(sys::EFAULT as i64);
    }
    if let Some(slot) = virtual_slot(sig) {
        // SAFETY: see `Virtual`.
        let v = unsafe { &mut *VIRTUAL.0.get() };
        let old = v[slot];
        if oldp != 0 && !guest::write_struct(oldp, &old) {
            return -(sys::EFAULT as i64);
        }
        if actp != 0 && !vfork_child {
            act.mask &= !SIGSYS_BIT;
            v[slot] = act;
        }
        return 0;
    }
    if wrapped(sig) && vfork_child {
        let mut cur = KSigaction::default();
        let r = current_action(sig as u32, &mut cur);
        if r < 0 {
            return r;
        }
        let old = if cur.handler == sigwrap as *const () as usize as u64 {
            // SAFETY: see `AllVirtual` (read only here).
            unsafe { (*ALL.0.get())[sig as usize] }
        } else {
            cur
        };
        if actp != 0 {
            act.mask &= !SIGSYS_BIT;
            let r = set_action(sig as u32, &act, None);
            if r < 0 {
                return r;
            }
        }
        if oldp != 0 && !guest::write_struct(oldp, &old) {
            return -(sys::EFAULT as i64);
        }
        return 0;
    }
    if wrapped(sig) {
        // SAFETY: see `AllVirtual`.
        let all = unsafe { &mut *ALL.0.get() };
        let old = all[sig as usize];
        if actp != 0 {
            act.mask &= !SIGSYS_BIT;
            let mut k = act;
            if act.handler != SIG_DFL && act.handler != SIG_IGN {
                k.handler = sigwrap as *const () as usize as u64;
                k.flags |= sys::SA_SIGINFO as u64;
                if k.flags & sys::SA_RESTORER as u64 == 0 {
                    k.flags |= sys::SA_RESTORER as u64;
                    k.restorer = raw::sysgate_restorer as *const () as usize as u64;
                }
            }
            let r = set_action(sig as u32, &k, None);
            if r < 0 {
                return r;
            }
            all[sig as usize] = act;
        }
        if oldp != 0 && !guest::write_struct(oldp, &old) {
            return -(sys::EFAULT as i64);
        }
        return 0;
    }
    if actp == 0 {
        return raw::syscall6(sys::__NR_rt_sigaction, a);
    }
    act.mask &= !SIGSYS_BIT;
    raw::syscall4(
        sys::__NR_rt_sigaction,
        sig,
        &act as *const KSigaction as u64,
        oldp,
        size,
    )
}

/// `rt_sigprocmask(how, set, oldset, sigsetsize)`: SIGSYS is never really blocked, but the
/// program reads back the mask it set (a per-thread virtual bit).
///
/// The kernel writes the old mask to the program's `oldset` itself, before it returns: a
/// signal that the new mask unblocks is delivered on that return, and its handler reports
/// this call first (`report_interrupted_call`), so the old mask must be in place by then.
pub(crate) fn rt_sigprocmask(t: &mut crate::process::thread::Thread, a: [u64; 6]) -> i64 {
    let (how, setp, oldp, size) = (a[0], a[1], a[2], a[3]);
    if size != 8 {
        return raw::syscall6(sys::__NR_rt_sigprocmask, a);
    }
    let mut set = 0u64;
    if setp != 0 && !guest::read_struct(setp, &mut set) {
        return -(sys::EFAULT as i64);
    }
    let was_blocked = t.sigsys_blocked;
    let kset = set & !SIGSYS_BIT;
    let r = raw::syscall4(
        sys::__NR_rt_sigprocmask,
        how,
        if setp != 0 {
            &kset as *const u64 as u64
        } else {
            0
        },
        oldp,
        8,
    );
    // The kernel has applied the new mask even when it then failed to write the old one
    // (EFAULT), and so does the virtual bit.
    if r < 0 && r != -(sys::EFAULT as i64) {
        return r;
    }
    if setp != 0 {
        match how as u32 {
            sys::SIG_BLOCK => t.sigsys_blocked |= set & SIGSYS_BIT != 0,
            sys::SIG_UNBLOCK => t.sigsys_blocked &= set & SIGSYS_BIT == 0,
            _ => t.sigsys_blocked = set & SIGSYS_BIT != 0,
        }
    }
    if r == 0 && oldp != 0 && was_blocked {
        let mut old = 0u64;
        if !guest::read_struct(oldp, &mut old) || !guest::write_struct(oldp, &(old | SIGSYS_BIT)) {
            return -(sys::EFAULT as i64);
        }
    }
    r
}

/// A SIGSYS that is not a dispatch trap (sent by `kill`, or a seccomp trap of the program's
/// own filter): the program's own SIGSYS action gets it.
pub(crate) fn forward_sigsys(info: *mut SigInfo, uc: *mut ucontext) {
    forward(sys::SIGSYS as i32, info, uc);
}

/// The `rax` a pending `rt_sigreturn` will restore: read from the frame at the caller's rsp.
pub(crate) fn sigreturn_rax(rsp: u64) -> Option<i64> {
    let mut v = 0u64;
    let at = rsp + core::mem::offset_of!(ucontext, uc_mcontext) as u64 + (REG_RAX * 8) as u64;
    guest::read_struct(at, &mut v).then_some(v as i64)
}

/// Runs an `int $0x80` syscall with the registers of `g` (i386 convention).
pub(crate) fn int80(g: &[u64; 23]) -> i64 {
    crate::memory::guest::int80(
        g[REG_RAX] as u32,
        [
            g[REG_RBX] as u32,
            g[14] as u32,
            g[REG_RDX] as u32,
            g[REG_RSI] as u32,
            g[REG_RDI] as u32,
            g[REG_RBP] as u32,
        ],
    )
}

/// SIGSEGV / SIGBUS handler.
extern "C" fn sigfault(sig: i32, info: *mut SigInfo, uc: *mut ucontext) {
    // SAFETY: the kernel hands us valid pointers for this delivery.
    let (infor, ucr) = unsafe { (&*info, &mut *uc) };
    let g = &mut ucr.uc_mcontext.gregs;
    if infor.si_code > 0 {
        // A fault inside a guest-memory copy: resume at its fixup (EFAULT).
        if let Some(fixup) = guest::fixup_for(g[REG_RIP]) {
            g[REG_RIP] = fixup;
            return;
        }
        // A fault that belongs to the layers above (a rewritten site reached another way).
        if let Some(hooks) = HOOKS.get() {
            // SAFETY: valid for this delivery.
            if (hooks.site_fault)(sig as u32, unsafe { &mut *info }, g) {
                return;
            }
        }
    }
    forward(sig, info, uc);
}

/// Delivers a fault signal to the program's own action, as the kernel would have.
fn forward(sig: i32, info: *mut SigInfo, uc: *mut ucontext) {
    // SAFETY: valid for this delivery.
    if unsafe { (*info).si_code > 0 && retake_on_whole_alt_stack(&mut *uc) } {
        return; // the fault comes again, delivered at the top of the whole alternate stack
    }
    report_signal(info, uc);
    let Some(slot) = virtual_slot(sig as u64) else {
        return;
    };
    // SAFETY: see `Virtual`.
    let v = unsafe { &mut *VIRTUAL.0.get() };
    let act = v[slot];
    // SAFETY: valid for this delivery.
    let (code, ucr) = unsafe { ((*info).si_code, &mut *uc) };
    if act.handler == SIG_DFL || act.handler == SIG_IGN {
        if act.handler == SIG_IGN && code <= 0 {
            return; // an ignored signal sent by kill(): dropped, as natively
        }
        // Let the kernel apply the default action: for a fault the instruction runs again and
        // faults with the default disposition (core dump and all); a signal sent by kill() is
        // sent again. (What the tools recorded is in the rings already.)
        let dfl = KSigaction {
            handler: SIG_DFL,
            ..KSigaction::default()
        };
        set_action(sig as u32, &dfl, None);
        if code <= 0 {
            raw::syscall3(
                sys::__NR_tgkill,
                raw::getpid() as u64,
                raw::gettid() as u64,
                sig as u64,
            );
        }
        return;
    }
    // The program's handler: run it with the mask the kernel would have set.
    let mut mask = ucr.uc_sigmask | act.mask;
    if act.flags & sys::SA_NODEFER as u64 == 0 {
        mask |= 1 << (sig - 1);
    }
    mask &= !SIGSYS_BIT;
    raw::kernel_sigmask(sys::SIG_SETMASK, mask);
    if act.flags & sys::SA_RESETHAND as u64 != 0 {
        v[slot] = KSigaction::default();
    }
    // SAFETY: calling the program's registered handler with the arguments the kernel passes
    // to an SA_SIGINFO handler (a plain handler ignores the extra ones).
    unsafe {
        let f: extern "C" fn(i32, *mut SigInfo, *mut ucontext) =
            core::mem::transmute(act.handler as usize);
        f(sig, info, uc);
    }
}

/// `stack_t` of x86-64.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct StackT {
    sp: u64,
    flags: i32,
    _pad: i32,
    size: u64,
}

/// `sigaltstack(ss, old)` as the program sees it, judged from the caller's stack pointer
/// `caller_sp` (on the slow path the kernel sees the entry stack).
///
/// # Why the kernel holds the program's alternate stack with `SS_AUTODISARM`
/// A handler that runs on the alternate stack makes its syscalls through the entry, which runs
/// on the entry stack. A second signal arriving then finds the thread "not on the alternate
/// stack" and the kernel puts its frame at the top of the alternate stack — over the live
/// frame of the first handler, whose `rt_sigreturn` then restores garbage (seen as a handler
/// returning into an endless `rt_sigreturn` loop under signal storms). With `SS_AUTODISARM`
/// the kernel disarms the alternate stack while a signal frame is on it (and its
/// `rt_sigreturn` re-arms it), so a nested signal is delivered on the stack in use: below the
/// handler's frame on the alternate stack, or below the entry frame on the entry stack — the
/// same place natively, for the first case.
///
/// The program still sees its own settings: queries answer from [`Thread::alt_stack`]
/// (`SS_ONSTACK` when `caller_sp` is on it), and a program that leaves a handler with
/// `siglongjmp` gets its stack re-armed at its next `rt_sigprocmask` ([`rearm_alt_stack`]).
///
/// [`Thread::alt_stack`]: crate::process::thread::Thread::alt_stack
pub(crate) fn sigaltstack(
    t: &mut crate::process::thread::Thread,
    a: [u64; 6],
    caller_sp: u64,
) -> i64 {
    let (ssp, oldp) = (a[0], a[1]);
    let cur = t.alt_stack;
    let on = on_alt_stack(&cur, caller_sp);
    let mut new = StackT::default();
    if ssp != 0 {
        if !guest::read_struct(ssp, &mut new) {
            return -(sys::EFAULT as i64);
        }
        if on {
            return -(sys::EPERM as i64);
        }
    }
    if oldp != 0 {
        let mut old = cur;
        let autodisarm = cur.flags & sys::SS_AUTODISARM as i32;
        if cur.size == 0 {
            old = StackT {
                flags: sys::SS_DISABLE as i32 | autodisarm,
                ..StackT::default()
            };
        } else if on {
            old.flags = sys::SS_ONSTACK as i32 | autodisarm;
        } else {
            old.flags = autodisarm;
        }
        if !guest::write_struct(oldp, &old) {
            return -(sys::EFAULT as i64);
        }
    }
    if ssp == 0 {
        return 0;
    }
    let mode = new.flags & !(sys::SS_AUTODISARM as i32);
    let kernel = if mode == sys::SS_DISABLE as i32 {
        new
    } else {
        armed(&new)
    };
    // The kernel validates (mode, minimum size) and answers the errors.
    let r = give_kernel(&kernel);
    if r == 0 {
        t.alt_lent = false;
        t.alt_stack = if mode == sys::SS_DISABLE as i32 {
            StackT {
                flags: new.flags & sys::SS_AUTODISARM as i32,
                ..StackT::default()
            }
        } else {
            new
        };
    }
    r
}

fn on_alt_stack(ss: &StackT, sp: u64) -> bool {
    ss.size != 0 && sp > ss.sp && sp - ss.sp <= ss.size
}

/// Whether code at `sp` has left the alternate stack for the program's own stacks: neither on
/// it nor on the runtime's (a handler the kernel delivered on the entry stack, in the middle
/// of a call made from the alternate stack, still has live frames above it there).
fn left_alt_stack(t: &crate::process::thread::Thread, sp: u64) -> bool {
    let on = |lo: u64, hi: u64| sp > lo && sp <= hi;
    !on_alt_stack(&t.alt_stack, sp)
        && !on(t.stack_lo, t.stack_hi)
        && !on(t.handler_lo, t.handler_hi)
}

/// How the kernel holds the program's stack `ss` (or a part of it): enabled, `SS_AUTODISARM`.
fn armed(ss: &StackT) -> StackT {
    StackT {
        flags: ss.flags | sys::SS_AUTODISARM as i32,
        ..*ss
    }
}

/// Makes `ss` the thread's alternate stack in the kernel.
fn give_kernel(ss: &StackT) -> i64 {
    raw::syscall2(sys::__NR_sigaltstack, ss as *const StackT as u64, 0)
}

/// The smallest alternate stack the kernel accepts (`MINSIGSTKSZ`).
const MIN_ALT_STACK: u64 = 2048;

/// While the slow path serves a call made on the program's alternate signal stack (from a
/// handler), the thread runs on the entry stack and the kernel holds the alternate stack
/// disarmed (a frame is on it). A signal arriving then would be delivered on the entry stack,
/// where the program's handler would find itself off its alternate stack (Go checks). So the
/// part of the alternate stack below the caller (below its red zone) is lent to the kernel as
/// the alternate stack: a nested signal lands exactly where it would have natively — below
/// the interrupted handler, on the alternate stack.
///
/// The loan is not taken back when the call returns: the return of that very syscall would be
/// a delivery point with the thread still on the entry stack. It ends with the handler's
/// `rt_sigreturn` (which restores the program's stack from the signal frame), or at the next
/// `rt_sigprocmask` after a `siglongjmp` ([`rearm_alt_stack`]). Meanwhile a signal that
/// arrives while the handler runs above the lent part is delivered below it: still on the
/// alternate stack, below everything the handler uses.
///
/// A call from the program's own stack while a loan is out gives the kernel the whole stack
/// back (the thread has left the alternate stack: natively a signal would now land at its
/// top).
pub(crate) fn lend_alt_stack(t: &mut crate::process::thread::Thread, caller_sp: u64) {
    let ss = t.alt_stack;
    if !on_alt_stack(&ss, caller_sp) {
        if t.alt_lent && left_alt_stack(t, caller_sp) {
            t.alt_lent = false;
            give_kernel(&armed(&ss));
        }
        return;
    }
    let top = (caller_sp - 128) & !15;
    if top < ss.sp + MIN_ALT_STACK {
        return;
    }
    if give_kernel(&armed(&StackT {
        size: top - ss.sp,
        ..ss
    })) == 0
    {
        t.alt_lent = true;
    }
}

/// A fault delivered on a part of the alternate stack still lent (see [`lend_alt_stack`]) when
/// the thread had left the stack: a handler that lent it by making a call (`siglongjmp`'s own
/// `rt_sigprocmask`, a `write`) and then left with `siglongjmp` takes the loan with it, and
/// each such fault would land one frame lower than the last, until the stack ran out (the
/// kernel then kills the thread with SIGSEGV; stress-ng's mprotect stressor hit this after
/// about 20 faults). Natively the whole stack is free again once the thread has left it.
///
/// So when the interrupted code is off the alternate stack and the kernel delivered on a loan,
/// the frame's saved stack (which `rt_sigreturn` gives back to the kernel) becomes the whole
/// stack, armed, and the handler returns without running the program's: the faulting
/// instruction runs again and faults again, and the kernel delivers at the top of the whole
/// stack. Returns whether it did so. Only for faults (an instruction to run again); a signal
/// sent by `kill` is delivered where it lands.
fn retake_on_whole_alt_stack(uc: &mut ucontext) -> bool {
    let Some(t) = crate::process::thread::current() else {
        return false;
    };
    let ss = t.alt_stack;
    let frame = uc as *const ucontext as u64;
    if ss.size == 0
        || !left_alt_stack(t, uc.uc_mcontext.gregs[REG_RSP])
        || !on_alt_stack(&ss, frame)
    {
        return false;
    }
    if uc.ss_sp != ss.sp || uc.ss_size >= ss.size {
        return false; // delivered on the whole stack
    }
    let whole = armed(&ss);
    uc.ss_sp = whole.sp;
    uc.ss_flags = whole.flags;
    uc.ss_size = whole.size;
    t.alt_lent = false;
    true
}

/// Re-arms the program's alternate stack if the kernel holds it disarmed (or a part of it
/// lent, see [`lend_alt_stack`]) although the thread is not on it: a handler that was delivered
/// there and left with `siglongjmp` (whose `rt_sigprocmask` brings us here) never ran the
/// `rt_sigreturn` that re-arms it. Natively the stack is free again as soon as the thread has
/// left it.
pub(crate) fn rearm_alt_stack(t: &mut crate::process::thread::Thread, caller_sp: u64) {
    let ss = t.alt_stack;
    if ss.size == 0 || !left_alt_stack(t, caller_sp) {
        return;
    }
    let mut k = StackT::default();
    if raw::syscall2(sys::__NR_sigaltstack, 0, &mut k as *mut StackT as u64) == 0
        && (k.sp, k.size) != (ss.sp, ss.size)
    {
        give_kernel(&armed(&ss));
    }
    t.alt_lent = false;
}
