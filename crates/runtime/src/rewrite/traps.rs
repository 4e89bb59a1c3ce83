//! Faults at rewritten sites: the ways a rewritten site can reach the kernel's attention other
//! than through its call, each turned back into the call it stands for. Given to the signal
//! layer as its `site_fault` hook (`process/signals.rs` knows the signals, this file the
//! sites): the runtime's SIGSEGV/SIGILL/SIGTRAP handler asks here after its guest-memory
//! fixups and before the program's own action.

use super::{displaced, sled, trampoline};
use crate::memory::guest;
use crate::process::signals::{SigInfo, REG_RAX, REG_RIP, REG_RSP};
use crate::process::thread;
use crate::raw::sys;
use crate::ways_in::{entry, sud};

/// A fault `sig` with `info` in the context `g`: true if it came from a rewritten site and `g`
/// now resumes its call through the entry.
pub(crate) fn site_fault(sig: u32, info: &mut SigInfo, g: &mut [u64; 23]) -> bool {
    // A rewritten `call *%rax` whose number lies beyond the sled: it is still a syscall.
    // The `ud2` of a site rewritten into `call rel32; ud2`, reached without the call: it
    // stands for the syscall that was there (see trampoline.rs); so does the undefined
    // instruction at the old `syscall` of a displaced site (displaced.rs).
    if sig == sys::SIGILL
        && (trampoline::patched_site(g[REG_RIP]) || displaced::is_trap(g[REG_RIP]))
    {
        if let Some(t) = thread::current() {
            g[REG_RIP] += 2;
            let regs = sud::regs_from(g, 0x33);
            let at = entry::build_trap_frame(t, &regs, entry::EXIT_JMP, entry::stack_pointer());
            g[REG_RSP] = at;
            g[REG_RIP] = entry::trap_entry_address();
            return true;
        }
    }
    // The int3 over the first byte of a displaced site being rewritten in steps: make the
    // call the site now makes (the slot runs the moved instruction, then the syscall).
    const SI_KERNEL: i32 = 0x80;
    if sig == sys::SIGTRAP && info.si_code == SI_KERNEL {
        if let Some((slot, ret)) = displaced::int3_site(g[REG_RIP].wrapping_sub(1)) {
            let sp = g[REG_RSP].wrapping_sub(8);
            if guest::write(sp, &ret.to_le_bytes()) {
                g[REG_RSP] = sp;
                g[REG_RIP] = slot;
                return true;
            }
        }
    }
    // The int3 of a site being rewritten in steps: the `mov` it replaced never ran.
    if sig == sys::SIGTRAP {
        if let (Some(nr), Some(t)) = (
            trampoline::site_nr(g[REG_RIP].wrapping_sub(1)),
            thread::current(),
        ) {
            g[REG_RAX] = nr;
            g[REG_RIP] += 6; // past the rest of the site: int3 (1) + 4 + ud2 (2) = 7
            let regs = sud::regs_from(g, 0x33);
            let at = entry::build_trap_frame(t, &regs, entry::EXIT_JMP, entry::stack_pointer());
            g[REG_RSP] = at;
            g[REG_RIP] = entry::trap_entry_address();
            return true;
        }
    }
    if sig == sys::SIGSEGV && g[REG_RIP] == g[REG_RAX] && sled::is_sled_miss(g[REG_RSP]) {
        g[REG_RIP] = entry::slow_address();
        return true;
    }
    // Page 0 holds the sled, execute-only through a protection key, so a NULL dereference
    // faults with SEGV_PKUERR; natively nothing is mapped there (SEGV_MAPERR). Programs
    // tell nil-pointer faults by that code (Go turns them into recoverable panics).
    const SEGV_MAPERR: i32 = 1;
    const SEGV_PKUERR: i32 = 4;
    if sig == sys::SIGSEGV && info.si_code == SEGV_PKUERR && info.si_addr < 4096 && sled::enabled()
    {
        info.si_code = SEGV_MAPERR;
    }
    false
}
