//! Per-thread runtime state, reached through the GS base.
//!
//! glibc, musl and Go keep their TLS in `%fs`; x86-64 user space leaves `%gs` alone, so the
//! runtime keeps a pointer to the thread's [`Thread`] block in the GS base. A block is one
//! mapping: a guard page, the entry stack, then the block itself at the stack's top.
#![allow(unsafe_code)]

use crate::raw::{self, sys};
use crate::regs::Regs;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use linux_raw_sys::prctl as pr;

/// Stack below a frame that belongs to it: the dispatcher and the tool run there. A nested
/// entry (a signal handler on its own stack calling in) builds its frame below this.
pub const RUST_RESERVE: usize = 32 * 1024;
/// Size of each thread's entry stack. Program signal handlers that arrive while a thread is in
/// the entry run on it too, and each nesting level reserves room for the dispatcher, so it is
/// generous; it is mapped without reserve and only touched as far as it is used.
pub const ENTRY_STACK: usize = 1024 * 1024;
/// Size of each thread's SIGSYS handler stack (below the entry stack, behind its own guard).
pub const HANDLER_STACK: usize = 64 * 1024;
/// Capacity of the per-thread trace line buffer.
pub const LINE_CAP: usize = 64 * 1024;
const GUARD: usize = 4096;
/// Words of [`Thread::tool_scratch`].
pub const SCRATCH_WORDS: usize = 16;
const MAGIC: u64 = 0x7379_7367_6174_6531; // "sysgate1"

/// A thread's runtime block. The first fields are read by the entry's assembly.
#[repr(C)]
pub struct Thread {
    /// Points at itself (`%gs:0`).
    pub self_ptr: *mut Thread,
    /// Lowest address of the entry stack.
    pub stack_lo: u64,
    /// Top of the entry stack (exclusive).
    pub stack_hi: u64,
    /// Bottom of the lowest live entry frame (`stack_hi` when none): a new frame goes below.
    pub entry_cur: u64,
    /// Below this a new frame is not placed; the stack is taken from the top again (frames
    /// abandoned by `siglongjmp` out of signal handlers are the only way to get there).
    pub stack_low_water: u64,
    /// The Syscall User Dispatch selector byte (1 = block, i.e. trap).
    pub selector: u8,
    /// Whether this thread's syscalls are shown by the tool (trace without -f: only the root).
    pub traced: bool,
    /// Set while the line buffer is in use (a nested entry from a signal handler formats
    /// into its own stack buffer instead).
    pub line_busy: bool,
    /// The program believes SIGSYS is blocked in this thread (it never really is).
    pub sigsys_blocked: bool,
    _pad: [u8; 4],
    pub magic: u64,
    pub tid: i32,
    pub pid: i32,
    /// Counting without entering Rust (the entry's counting stubs, `entry.rs`): while
    /// `count_go` is non-zero a stub counts its call into the two words (calls, errors) of
    /// its number at `count_calls + 16 * nr` and lowers `count_skip`; at zero it clears
    /// `count_go`, and the next call takes the slow path. The tool sets them; zero in a new
    /// thread and in a fork child.
    pub count_go: u64,
    pub count_calls: u64,
    pub count_skip: u64,
    /// The SIGSYS handler's own stack, `[handler_lo, handler_hi)`: the kernel puts the
    /// handler's frame on whatever stack the trapped code used (a new thread's first stack
    /// may have a few KiB left); the handler itself runs here (`sud.rs`).
    pub handler_lo: u64,
    pub handler_hi: u64,
    /// Block lent to this thread's vfork children (reused: the parent is suspended while the
    /// child runs, and the child leaves the block behind when it execs or exits).
    pub vfork_child: *mut Thread,
    /// Registers a freshly cloned child resumes the program with.
    pub child_regs: Regs,
    /// Total size of the mapping that holds this block.
    pub map_len: u64,
    pub map_base: u64,
    /// Scratch mapping for building a new environment at execve (reused; 0 if none yet).
    pub scratch: u64,
    pub scratch_len: u64,
    /// The GS base the program believes it set (`arch_prctl(ARCH_SET_GS)`): the real one is
    /// the runtime's.
    pub virtual_gs: u64,
    /// Per-thread words a tool may use as it likes (e.g. the time a call entered). Zero in a
    /// new thread; a fork child keeps its parent's.
    pub tool_scratch: [u64; SCRATCH_WORDS],
    /// The slow-path call in flight in this thread (its frame), or null; and whether its
    /// `exit` was already reported (by a signal handler that interrupted its return).
    pub current_call: *mut Regs,
    pub call_reported: bool,
    /// The alternate signal stack as the program set it (`size` 0: none); the kernel holds it
    /// with `SS_AUTODISARM` added (see `signals::sigaltstack`).
    pub alt_stack: crate::process::signals::StackT,
    /// The kernel holds only a part of the alternate stack, lent by `signals::lend_alt_stack`:
    /// the next call from off the stack gives it the whole stack back.
    pub alt_lent: bool,
    /// A vfork child, running in its parent's memory until it execs or exits: the runtime's
    /// tables in that memory (the program's virtual signal actions) are the parent's.
    pub vfork_shared: bool,
    /// This thread's trace ring (slot + 1; 0: none yet), see `output/ring.rs`.
    pub ring: u32,
    pub line: [u8; LINE_CAP],
}

/// Offsets read by assembly.
pub mod off {
    pub const STACK_LO: usize = 8;
    pub const STACK_HI: usize = 16;
    pub const CUR: usize = 24;
    pub const LOW_WATER: usize = 32;
    pub const COUNT_GO: usize = 64;
    pub const COUNT_CALLS: usize = 72;
    pub const COUNT_SKIP: usize = 80;
    pub const HANDLER_LO: usize = 88;
    pub const HANDLER_HI: usize = 96;
}
const _: () = assert!(core::mem::offset_of!(Thread, stack_lo) == off::STACK_LO);
const _: () = assert!(core::mem::offset_of!(Thread, stack_hi) == off::STACK_HI);
const _: () = assert!(core::mem::offset_of!(Thread, entry_cur) == off::CUR);
const _: () = assert!(core::mem::offset_of!(Thread, stack_low_water) == off::LOW_WATER);
// tests/probes/sandbox_escapes.c finds the selector byte and the magic word at these offsets.
const _: () = assert!(core::mem::offset_of!(Thread, selector) == 40);
const _: () = assert!(core::mem::offset_of!(Thread, magic) == 48);
const _: () = assert!(core::mem::offset_of!(Thread, count_go) == off::COUNT_GO);
const _: () = assert!(core::mem::offset_of!(Thread, count_calls) == off::COUNT_CALLS);
const _: () = assert!(core::mem::offset_of!(Thread, count_skip) == off::COUNT_SKIP);
const _: () = assert!(core::mem::offset_of!(Thread, handler_lo) == off::HANDLER_LO);
const _: () = assert!(core::mem::offset_of!(Thread, handler_hi) == off::HANDLER_HI);

const fn page_up(n: usize) -> usize {
    (n + 4095) & !4095
}

/// How many threads of execution may be running this memory's code: 1, the first thread, plus
/// every thread (or other `CLONE_VM` child but a `vfork` one, whose parent waits) created since,
/// less those that called `exit`. Never below the truth: a new one is counted before its
/// `clone`, an exiting one after its last program instruction. While it is 1 the rewriter may
/// change code without the steps that make the change safe for other threads' instruction
/// fetches (`rewrite::swap_site`).
pub(crate) static RUNNERS: AtomicUsize = AtomicUsize::new(1);

/// Whether the calling thread is the only one running this memory's code.
pub(crate) fn alone() -> bool {
    RUNNERS.load(Ordering::SeqCst) == 1
}

/// Blocks of threads that called `exit`: reused once the kernel no longer knows their tid
/// (until then the exiting thread may still be running on the block's stack).
const RETIRED: usize = 256;
static RETIRED_BLOCKS: [AtomicPtr<Thread>; RETIRED] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; RETIRED];

/// Hands the block of a thread that is about to `exit` to later `alloc`s (with the block it
/// lent to vfork children). A full list leaks the block.
pub(crate) fn retire(t: &mut Thread) {
    if !t.vfork_shared {
        RUNNERS.fetch_sub(1, Ordering::SeqCst);
    }
    let child = core::mem::replace(&mut t.vfork_child, core::ptr::null_mut());
    for b in [child, t as *mut Thread] {
        if b.is_null() {
            continue;
        }
        for slot in RETIRED_BLOCKS.iter() {
            if slot
                .compare_exchange(
                    core::ptr::null_mut(),
                    b,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                break;
            }
        }
    }
}

/// A retired block whose thread is gone, reset for a new thread.
fn reuse() -> Option<*mut Thread> {
    let pid = raw::getpid() as u64;
    for slot in RETIRED_BLOCKS.iter() {
        let b = slot.load(Ordering::Acquire);
        if b.is_null() {
            continue;
        }
        // SAFETY: retired blocks stay mapped; `tid` was written by the thread that owned it.
        let tid = unsafe { (*b).tid } as u64;
        if raw::syscall3(sys::__NR_tgkill, pid, tid, 0) != -(sys::ESRCH as i64) {
            continue;
        }
        if slot
            .compare_exchange(
                b,
                core::ptr::null_mut(),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
        {
            // SAFETY: its thread no longer exists and we took it off the list: it is ours.
            unsafe { (*b).reset() };
            return Some(b);
        }
    }
    None
}

impl Thread {
    /// Puts every field but the mapping (and its scratch area) back to a new thread's state.
    unsafe fn reset(&mut self) {
        self.entry_cur = self.stack_hi;
        self.selector = linux_raw_sys::prctl::SYSCALL_DISPATCH_FILTER_BLOCK as u8;
        self.traced = false;
        self.line_busy = false;
        self.sigsys_blocked = false;
        self.tid = 0;
        self.pid = 0;
        self.vfork_child = core::ptr::null_mut();
        self.virtual_gs = 0;
        self.tool_scratch = [0; SCRATCH_WORDS];
        self.count_go = 0;
        self.count_calls = 0;
        self.count_skip = 0;
        self.ring = 0;
        self.current_call = core::ptr::null_mut();
        self.call_reported = false;
        self.alt_stack = Default::default();
        self.alt_lent = false;
        self.vfork_shared = false;
    }

    /// A block for a new thread: a retired one if its thread is gone, else a new mapping
    /// (guard page, handler stack, guard page, entry stack, block). `None` if the kernel says
    /// no.
    pub fn alloc() -> Option<*mut Thread> {
        if let Some(t) = reuse() {
            return Some(t);
        }
        let block = page_up(core::mem::size_of::<Thread>());
        let len = GUARD + HANDLER_STACK + GUARD + ENTRY_STACK + block;
        let map = raw::mmap_anon(len, sys::PROT_READ | sys::PROT_WRITE, sys::MAP_NORESERVE)?;
        // Guard pages below each stack: an overflowing stack faults instead of silently
        // writing into whatever lies below.
        raw::syscall3(sys::__NR_mprotect, map, GUARD as u64, sys::PROT_NONE as u64);
        let handler_lo = map + GUARD as u64;
        let base = handler_lo + HANDLER_STACK as u64;
        raw::syscall3(
            sys::__NR_mprotect,
            base,
            GUARD as u64,
            sys::PROT_NONE as u64,
        );
        let t = (base + (GUARD + ENTRY_STACK) as u64) as *mut Thread;
        // SAFETY: `t` points into a fresh, writable, zero-filled mapping large enough for a
        // `Thread`; all-zero is a valid bit pattern for every field.
        unsafe {
            (*t).self_ptr = t;
            (*t).stack_lo = base + GUARD as u64;
            (*t).stack_hi = t as u64;
            (*t).entry_cur = t as u64;
            (*t).stack_low_water = base + (GUARD + 2 * RUST_RESERVE) as u64;
            (*t).selector = linux_raw_sys::prctl::SYSCALL_DISPATCH_FILTER_BLOCK as u8;
            (*t).magic = MAGIC;
            (*t).handler_lo = handler_lo;
            (*t).handler_hi = base;
            (*t).map_len = len as u64;
            (*t).map_base = map;
        }
        Some(t)
    }

    /// Unmaps a block that no thread uses.
    ///
    /// # Safety
    /// No thread may run on or refer to `t` any more.
    pub unsafe fn free(t: *mut Thread) {
        // SAFETY: caller guarantees exclusivity; the fields were written by `alloc`.
        let (base, len) = unsafe { ((*t).map_base, (*t).map_len) };
        raw::munmap(base, len as usize);
    }
}

/// Makes `t` the current thread's block (sets the GS base) and records its ids.
///
/// # Safety
/// `t` must be a live block owned by the calling thread.
pub unsafe fn install(t: *mut Thread) -> Result<(), i64> {
    const ARCH_SET_GS: u64 = 0x1001;
    let r = raw::syscall2(sys::__NR_arch_prctl, ARCH_SET_GS, t as u64);
    if r < 0 {
        return Err(r);
    }
    // SAFETY: `t` is live and owned by this thread (caller contract).
    unsafe {
        (*t).tid = raw::gettid();
        (*t).pid = raw::getpid();
    }
    Ok(())
}

/// Arms Syscall User Dispatch in the calling thread with `t`'s selector: from now on every
/// `syscall` outside the runtime's `sysgate_entry` section traps (`ways_in/sud.rs`).
///
/// # Safety
/// `t` must be the calling thread's live block.
pub unsafe fn arm_dispatch(t: *mut Thread) -> Result<(), i64> {
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

/// Turns Syscall User Dispatch off in the calling thread: its calls from sites not yet
/// rewritten go to the kernel as they are (rewritten ones still enter the runtime, which
/// passes them on). For a thread that leaves sysgate (`debugger.rs`).
pub(crate) fn disarm_dispatch(_t: &mut Thread) {
    raw::syscall6(
        sys::__NR_prctl,
        [
            pr::PR_SET_SYSCALL_USER_DISPATCH as u64,
            pr::PR_SYS_DISPATCH_OFF as u64,
            0,
            0,
            0,
            0,
        ],
    );
}

/// The calling thread's block, if the runtime is armed in it.
#[inline(always)]
pub fn current() -> Option<&'static mut Thread> {
    let p: *mut Thread;
    // SAFETY: reads the GS base through `%gs:0`. A thread whose GS base is 0 never reaches
    // runtime code that calls this (see `entry.rs`), and every armed thread has a live block
    // whose first word points to itself.
    unsafe {
        core::arch::asm!("mov {}, gs:[0]", out(reg) p, options(nostack, readonly, preserves_flags));
        if p.is_null() {
            None
        } else {
            Some(&mut *p)
        }
    }
}

/// `arch_prctl`: the GS base belongs to the runtime; the program's own is kept virtually.
pub(crate) fn arch_prctl(t: &mut Thread, a: [u64; 6]) -> i64 {
    const ARCH_SET_GS: u64 = 0x1001;
    const ARCH_GET_GS: u64 = 0x1004;
    match a[0] {
        ARCH_SET_GS => {
            t.virtual_gs = a[1];
            0
        }
        ARCH_GET_GS => {
            if crate::memory::guest::write_struct(a[1], &t.virtual_gs) {
                0
            } else {
                -(sys::EFAULT as i64)
            }
        }
        _ => raw::syscall6(sys::__NR_arch_prctl, a),
    }
}
