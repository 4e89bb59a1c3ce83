//! `-k`: the program's half of a stack trace. After each traced line the thread copies the
//! registers of the call (rip, rsp, rbp) and the top of its stack into the same record, and,
//! whenever its mappings may have changed since it last did, the text of `/proc/self/maps`
//! into a record before it: the `sysgate` process unwinds and symbolizes from those
//! (`crates/cli/src/stack.rs`), so the program does no more than two copies.
//!
//! The copy is bounded (`--stack-bytes`, at most [`MAX_BYTES`]) and never reads past the end
//! of the stack's mapping: the thread keeps the highest address known readable above its stack
//! pointer (a tool scratch word), found by probing a page at a time through the fault-protected
//! copy, and probes again when the stack pointer leaves that stack (a Go goroutine's stack, a
//! signal handler's alternate stack).

use core::sync::atomic::{AtomicI32, Ordering};
use sysgate_abi::ring::kind;
use sysgate_runtime as rt;
use sysgate_runtime::output::ring;

/// Most bytes of stack a record carries (with its line, within a ring's largest record).
pub const MAX_BYTES: usize = 56 * 1024;
/// Bytes of the registers before the stack bytes.
const REGS: usize = 24;
const PAGE: u64 = 4096;
/// A known end further than this above the stack pointer belongs to another stack.
const STACK_SPAN: u64 = 64 << 20;
/// The scratch word's low bit: the end is the stack mapping's true end (a fault was found),
/// not just as far as a probe looked.
const TRUE_END: u64 = 1;

/// The process whose mappings the `sysgate` process last got (0: none, or changed since).
static MAPS_SENT: AtomicI32 = AtomicI32::new(0);

/// The process's code mappings may have changed (`mmap`/`mprotect` with `PROT_EXEC`,
/// `munmap`, `mremap`): the next stack snapshot sends them again.
pub fn maps_changed() {
    MAPS_SENT.store(0, Ordering::Relaxed);
}

/// Sends the text of `/proc/self/maps` (through `buf`) unless process `pid`'s are current.
pub fn send_maps(w: ring::Writer<'_>, pid: i32, buf: &mut [u8]) {
    if MAPS_SENT.load(Ordering::Relaxed) == pid {
        return;
    }
    let fd = rt::process::fds::maps_fd();
    if fd < 0 {
        return;
    }
    let mut n = 0;
    while n < buf.len() {
        let Some(rest) = buf.get_mut(n..) else { break };
        let r = rt::raw::syscall4(
            sysgate_abi::x86_64::nr::PREAD64,
            fd as u64,
            rest.as_mut_ptr() as u64,
            rest.len() as u64,
            n as u64,
        );
        if r <= 0 {
            break;
        }
        n += r as usize;
    }
    if n == 0 {
        return;
    }
    let tid = w.own_tid;
    let text = buf.get(..n).unwrap_or(&[]);
    if ring::push(w, tid, pid, kind::MAPS, 0, ring::Marks::default(), text) {
        MAPS_SENT.store(pid, Ordering::Relaxed);
    }
}

/// Whether the byte at `addr` can be read.
fn readable(addr: u64) -> bool {
    let mut b = [0u8; 1];
    rt::memory::guest::read(addr, &mut b)
}

/// Writes rip, rsp, rbp and up to `want` bytes of the stack from rsp into `out`; returns the
/// bytes written. `end` is the thread's scratch word for its stack's end.
pub fn snapshot(end: &mut u64, at: [u64; 3], want: usize, out: &mut [u8]) -> usize {
    let [rip, rsp, rbp] = at;
    let want = want.min(out.len().saturating_sub(REGS)) as u64;
    if want == 0 {
        return 0;
    }
    let known = *end & !TRUE_END;
    let usable =
        known > rsp && known - rsp <= STACK_SPAN && (*end & TRUE_END != 0 || known - rsp >= want);
    if !usable {
        // Probe a page at a time from the page above rsp, as far as `want` needs.
        let mut hi = (rsp & !(PAGE - 1)) + PAGE;
        let limit = rsp.saturating_add(want);
        let mut found = false;
        while hi < limit {
            if !readable(hi) {
                found = true;
                break;
            }
            hi += PAGE;
        }
        *end = if found {
            hi | TRUE_END
        } else {
            limit.max(hi) & !TRUE_END
        };
    }
    let known = *end & !TRUE_END;
    let n = known.saturating_sub(rsp).min(want) as usize;
    let Some(dst) = out.get_mut(REGS..REGS + n) else {
        return 0;
    };
    if !rt::memory::guest::read(rsp, dst) {
        // The mappings moved under the cached end: probe again next time.
        *end = 0;
        return 0;
    }
    if let Some(regs) = out.get_mut(..REGS) {
        regs[..8].copy_from_slice(&rip.to_le_bytes());
        regs[8..16].copy_from_slice(&rsp.to_le_bytes());
        regs[16..24].copy_from_slice(&rbp.to_le_bytes());
    }
    REGS + n
}
