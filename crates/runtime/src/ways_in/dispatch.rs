//! The dispatcher: `do_syscall_64` and the syscall table behind the entry (Linux's
//! `arch/x86/entry/common.c` and `syscall_64.c`). The entry's slow path (`entry.rs`) calls
//! [`sysgate_dispatch_64`] with the caller's registers; it sends the call to the tool that
//! subscribed to it, to the runtime's own handler when the call changes state the runtime keeps
//! (`process/`), and otherwise back to the assembly, which makes it.
//!
//! Which numbers reach the slow path at all is the entry's per-number table, filled here by
//! [`init_tables`] from [`RUNTIME_NRS`] and the tool's subscriptions.
#![allow(unsafe_code)]

use super::entry::{
    frame_word, set_exit_mode, sysgate_close_fast, sysgate_count_stubs, sysgate_dup_fast,
    sysgate_entry_syscall_end, sysgate_fast, sysgate_fast_sigreturn, sysgate_slow, sysgate_table,
    CALL_IN_ASM, DISPATCH_DONE, EXIT_JMP, OUTER_CALL, OUTER_FLAGS,
};
use crate::api::{self, Action, Call, NR_MAX};
use crate::memory::guest;
use crate::process::thread;
use crate::process::{clone, debugger, exec, fds, signals};
use crate::raw::{self, sys};
use crate::regs::Regs;
use core::sync::atomic::Ordering;

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
    sys::__NR_arch_prctl,
    sys::__NR_exit,
    sys::__NR_readlink,
    sys::__NR_readlinkat,
    sys::__NR_getdents64,
    sys::__NR_sigaltstack,
    sys::__NR_ptrace,
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
    for &nr in RUNTIME_NRS {
        wants[nr as usize] = true;
    }
    for (nr, (slot, w)) in sysgate_table.iter().zip(wants.iter()).enumerate() {
        let tool = TOOL_WANTS[nr].load(core::sync::atomic::Ordering::Relaxed);
        let to = if *w && !tool && nr == sys::__NR_close as usize {
            sysgate_close_fast as *const () as usize
        } else if *w && !tool && (nr == sys::__NR_dup2 as usize || nr == sys::__NR_dup3 as usize) {
            sysgate_dup_fast as *const () as usize
        } else if *w {
            sysgate_slow as *const () as usize
        } else if nr == sys::__NR_rt_sigreturn as usize {
            sysgate_fast_sigreturn as *const () as usize
        } else {
            sysgate_fast as *const () as usize
        };
        slot.store(to as u64, Ordering::Relaxed);
    }
}

/// Sends x86-64 call `nr` to its counting stub from now on (see `Thread::count_go`), for a
/// tool that only counts it. Numbers the runtime itself handles, and those whose exit the
/// slow path treats specially, stay. Returns whether the number now goes to its stub.
pub fn count_in_stub(nr: u64) -> bool {
    let n = nr as u32;
    if !tool_wants(nr)
        || RUNTIME_NRS.contains(&n)
        || [sys::__NR_rt_sigreturn, sys::__NR_exit, sys::__NR_exit_group].contains(&n)
    {
        return false;
    }
    let stub = sysgate_count_stubs as *const () as usize as u64 + 64 * nr;
    sysgate_table[nr as usize].store(stub, Ordering::Relaxed);
    true
}

/// Whether the tool subscribed to `nr`.
pub(crate) fn tool_wants(nr: u64) -> bool {
    (nr as usize) < NR_MAX && TOOL_WANTS[nr as usize].load(core::sync::atomic::Ordering::Relaxed)
}

/// `do_syscall_64`: runs on the entry stack with the caller's registers in `regs`. Returns
/// [`DISPATCH_DONE`] (the result is in `regs.rax`) or [`CALL_IN_ASM`] (the assembly makes the
/// call with the frame's registers, then calls [`sysgate_dispatch_exit_64`]).
pub(super) extern "C" fn sysgate_dispatch_64(regs: &mut Regs) -> u64 {
    let nr = regs.orig_rax;
    let Some(t) = thread::current() else {
        regs.rax = raw::syscall6(nr as u32, regs.args()) as u64;
        return DISPATCH_DONE;
    };
    // A call from a handler on the program's alternate signal stack: signals that arrive
    // while we are on the entry stack go below the handler's frame there, as natively
    // (`signals::lend_alt_stack`); a call from off the stack ends such a loan. Not for
    // rt_sigreturn, which sets the stack itself.
    if nr != sys::__NR_rt_sigreturn as u64 {
        signals::lend_alt_stack(t, regs.rsp);
    }
    if regs.cs == api::CS_I386 {
        dispatch_i386(regs, t);
        DISPATCH_DONE
    } else {
        dispatch_x86_64(regs, t)
    }
}

/// The second half of a call the assembly made ([`CALL_IN_ASM`]): `regs.rax` holds the result.
pub(super) extern "C" fn sysgate_dispatch_exit_64(regs: &mut Regs) {
    let Some(t) = thread::current() else { return };
    let (outer_call, flags) = frame_outer(regs);
    let reported = t.call_reported;
    (t.current_call, t.call_reported) = (outer_call, flags & 1 != 0);
    let tool = if flags & 2 != 0 { api::tool() } else { None };
    if let (Some(tool), false) = (tool, reported) {
        let ret = regs.rax as i64;
        let nr = regs.orig_rax;
        let mut call = Call {
            arch: api::Arch::X86_64,
            nr,
            regs,
            thread: t,
        };
        tool.exit(&mut call, ret);
        call.regs.rax = ret as u64;
    }
}

/// The outer call-in-flight record kept in the frame of `regs` ([`OUTER_CALL`]).
fn frame_outer(regs: &mut Regs) -> (*mut Regs, u64) {
    (
        *frame_word(regs, OUTER_CALL) as *mut Regs,
        *frame_word(regs, OUTER_FLAGS),
    )
}

fn set_frame_outer(regs: &mut Regs, outer_call: *mut Regs, flags: u64) {
    *frame_word(regs, OUTER_CALL) = outer_call as u64;
    *frame_word(regs, OUTER_FLAGS) = flags;
}

fn dispatch_x86_64(regs: &mut Regs, t: &'static mut thread::Thread) -> u64 {
    let nr = regs.orig_rax;
    let tool = if tool_wants(nr) && t.traced {
        api::tool()
    } else {
        None
    };
    let mut call = Call {
        arch: api::Arch::X86_64,
        nr,
        regs,
        thread: t,
    };

    if nr == sys::__NR_rt_sigreturn as u64 {
        // The assembly issues rt_sigreturn on the caller's stack after we return; the value
        // the program will see is the `rax` saved in the signal frame there.
        if let Some(tool) = tool {
            let ret = signals::sigreturn_rax(call.regs.rsp);
            tool.noreturn(&mut call, ret);
        }
        return DISPATCH_DONE;
    }
    if nr == sys::__NR_exit_group as u64 || nr == sys::__NR_exit as u64 {
        if let Some(tool) = tool {
            tool.noreturn(&mut call, None);
        }
        // The thread's last record is in its ring: the drainer may free the ring (the other
        // threads that exit_group ends leave theirs to the drainer, which sees them gone).
        crate::output::ring::release(&mut call.thread.ring, call.thread.tid);
        if nr == sys::__NR_exit as u64 {
            thread::retire(call.thread);
        }
    }

    let action = match tool {
        Some(tool) => tool.enter(&mut call),
        None => Action::Pass,
    };
    // Publish the call in flight, so that a signal handler that interrupts its return can
    // report it first (strace's order: the call, the signal, the handler's calls).
    let outer = (call.thread.current_call, call.thread.call_reported);
    call.thread.current_call = if tool.is_some() {
        &mut *call.regs
    } else {
        core::ptr::null_mut()
    };
    call.thread.call_reported = false;
    let ret = match action {
        Action::Return(v) => v,
        Action::Pass => match run_runtime_call(&mut call) {
            Some(v) => v,
            None => {
                let flags = outer.1 as u64 | if tool.is_some() { 2 } else { 0 };
                set_frame_outer(call.regs, outer.0, flags);
                return CALL_IN_ASM;
            }
        },
    };
    let reported = call.thread.call_reported;
    (call.thread.current_call, call.thread.call_reported) = outer;
    if clone::is_child_return(call.nr as u32, call.thread.pid, ret) {
        // A fork-style child returning through the parent's frame: it has no business
        // reporting the parent's call.
        call.regs.rax = ret as u64;
        return DISPATCH_DONE;
    }
    if let (Some(tool), false) = (tool, reported) {
        tool.exit(&mut call, ret);
    }
    call.regs.rax = ret as u64;
    DISPATCH_DONE
}

/// The signal layer's `report` hook (`process/signals.rs`): a signal is being delivered to the
/// traced thread `t`, whose context is `g`; the tool hears first of the call whose return the
/// signal interrupted, then of the signal (`info`, the raw `siginfo_t`).
pub(crate) fn report_signal(t: &mut thread::Thread, g: &[u64; 23], info: &[u8; 128]) {
    use crate::process::signals::{REG_RAX, REG_RIP};
    if let Some(tool) = api::tool() {
        report_interrupted_call(t, g[REG_RIP], g[REG_RAX]);
        tool.signal(t, info);
    }
}

/// Reports the slow-path call that was returning when a signal arrived (the signal context's
/// RIP is right after the runtime's `syscall` instruction and `rax` the call's result), if a
/// tool wants it and has not seen it yet.
pub(crate) fn report_interrupted_call(t: &mut thread::Thread, rip: u64, rax: u64) {
    let after_syscall = rip == raw::syscall_return_address()
        || rip == sysgate_entry_syscall_end as *const () as usize as u64;
    if t.current_call.is_null() || t.call_reported || !after_syscall {
        return;
    }
    let Some(tool) = api::tool() else { return };
    t.call_reported = true;
    // SAFETY: `current_call` points at the frame of the call in flight in this thread, which
    // stays live until that call's dispatch returns (after this handler has returned).
    let regs = unsafe { &mut *t.current_call };
    let nr = regs.orig_rax;
    let mut call = Call {
        arch: api::Arch::X86_64,
        nr,
        regs,
        thread: t,
    };
    tool.exit(&mut call, rax as i64);
}

/// An `int $0x80` (or `sysenter`) from 64-bit code: i386 numbers, arguments in ebx, ecx,
/// edx, esi, edi, ebp. Every tool that is present sees it (it filters by name itself).
fn dispatch_i386(regs: &mut Regs, t: &'static mut thread::Thread) {
    let nr = regs.orig_rax & 0xffff_ffff;
    let tool = if t.traced { api::tool() } else { None };
    let mut call = Call {
        arch: api::Arch::I386,
        nr,
        regs,
        thread: t,
    };
    const I386_EXIT: u64 = 1;
    const I386_EXIT_GROUP: u64 = 252;
    if nr == I386_EXIT || nr == I386_EXIT_GROUP {
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
        Action::Pass => {
            let a = call.args();
            guest::int80(
                nr as u32,
                [
                    a[0] as u32,
                    a[1] as u32,
                    a[2] as u32,
                    a[3] as u32,
                    a[4] as u32,
                    a[5] as u32,
                ],
            )
        }
    };
    if let Some(tool) = tool {
        tool.exit(&mut call, ret);
    }
    call.regs.rax = ret as u64;
}

/// Issues the call where the runtime handles it itself; `None` for a plain call, which the
/// entry's assembly makes.
fn run_runtime_call(call: &mut Call<'_>) -> Option<i64> {
    let a = call.regs.args();
    Some(match call.nr as u32 {
        sys::__NR_clone | sys::__NR_clone3 | sys::__NR_fork | sys::__NR_vfork => {
            let (ret, child_on_our_stack) = clone::handle(call.nr as u32, call.regs, call.thread);
            if child_on_our_stack {
                // The vfork child ran on the caller's stack and may have overwritten the word
                // a rewritten call pushed: leave without reading it.
                set_exit_mode(call.regs, EXIT_JMP);
            }
            ret
        }
        sys::__NR_execve | sys::__NR_execveat => {
            match exec::handle(call.nr as u32, call.regs, call.thread) {
                exec::Exec::Ret(v) => v,
                how @ (exec::Exec::Outside | exec::Exec::Detach) => {
                    // No image of sysgate will report this exec: its line is written now, as
                    // strace shows a successful one (`= 0`; a failure after this point is not
                    // shown), or, when the tool lets go of the process here (`trace -b
                    // execve`), without a result (` = ?`).
                    if let (Some(tool), true) = (api::tool(), tool_wants(call.nr)) {
                        if call.thread.traced && !call.thread.call_reported {
                            match how {
                                exec::Exec::Detach => tool.noreturn(call, None),
                                _ => tool.exit(call, 0),
                            }
                            call.thread.call_reported = true;
                        }
                    }
                    exec::outside(call.nr as u32, a)
                }
            }
        }
        sys::__NR_rt_sigaction => signals::rt_sigaction(a, call.thread.vfork_shared),
        sys::__NR_rt_sigprocmask => {
            signals::rearm_alt_stack(call.thread, call.regs.rsp);
            signals::rt_sigprocmask(call.thread, a)
        }
        sys::__NR_close => fds::close(a),
        sys::__NR_dup2 | sys::__NR_dup3 => fds::dup2(call.nr as u32, a),
        sys::__NR_close_range => fds::close_range(a),
        sys::__NR_getdents64 => fds::getdents64(a),
        sys::__NR_sigaltstack => signals::sigaltstack(call.thread, a, call.regs.rsp),
        sys::__NR_arch_prctl => thread::arch_prctl(call.thread, a),
        sys::__NR_ptrace => {
            let r = debugger::ptrace(call.thread, a);
            if debugger::is_tracer() {
                // From now on this process's waits go through the runtime (`debugger.rs`).
                for nr in [sys::__NR_wait4, sys::__NR_waitid] {
                    sysgate_table[nr as usize]
                        .store(sysgate_slow as *const () as usize as u64, Ordering::Relaxed);
                }
            }
            r
        }
        sys::__NR_wait4 if debugger::is_tracer() => debugger::wait4(a),
        sys::__NR_waitid if debugger::is_tracer() => debugger::waitid(a),
        sys::__NR_readlink | sys::__NR_readlinkat => {
            crate::process::procexe::readlink(call.nr as u32, a)
        }
        _ => return None,
    })
}
