//! Trace lines handed to the `sysgate` process: each traced thread appends its records to a
//! ring of its own in a memory file that `sysgate` made and drains (layout:
//! `sysgate_abi::ring`). The program never writes trace output itself, so nothing of it is
//! lost when the program dies in any way, and `sysgate` can show a call that is still running
//! (the entry half of a call that may block is recorded when it starts).
//!
//! ## One ring per thread
//! A thread claims a free slot on its first record (or takes back the one it already owns: a
//! vfork parent whose child used the same thread block, an image after `execve`), and
//! releases it at `exit`; `sysgate` frees the rings of threads that died without releasing.
//! A fork child sees that the slot it inherited is owned by another tid and claims its own.
//!
//! ## Appending, with signal handlers nested in it
//! - `DEPTH` counts this thread's writers inside an append: the thread, and the signal
//!   handlers that interrupted it (each runs to its end before the code it interrupted goes
//!   on, so a plain load and store of the count cannot lose an update);
//! - each writer reserves its bytes with a compare-and-swap on `RESERVE`, then takes a
//!   sequence number (the order of the calls' ends across every thread) and copies the record;
//! - only the outermost writer publishes `HEAD` (up to every reservation, its own and the
//!   nested ones, which are complete by then), then drops `DEPTH` to 0.
//!
//! `sysgate` reads the sequence counter before it looks at the rings, and waits for a ring's
//! `DEPTH` to be 0: every record numbered below what it read is then published, so it can
//! put them in order without missing one.
//!
//! ## A full ring
//! The thread wakes the drainer and waits on a futex until there is room (counted in the
//! header: `WAITS`). Only if `sysgate` is gone are records dropped.
#![allow(unsafe_code)]

use crate::raw::{self, sys};
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use sysgate_abi::ring::{self as layout, header, slot, Record};

/// Width of the `rings=` value (rewritten in place when the descriptor moves).
pub const FD_WIDTH: usize = 7;

static FD: AtomicI32 = AtomicI32::new(-1);
static BASE: AtomicUsize = AtomicUsize::new(0);
static SLOTS: AtomicUsize = AtomicUsize::new(0);
/// Set once the drainer is found gone: records are dropped from then on.
static ORPHANED: AtomicU32 = AtomicU32::new(0);

/// The region's descriptor, or -1.
pub(crate) fn fd() -> i32 {
    FD.load(Ordering::Relaxed)
}

/// The descriptor now lives at `new` (moved by the descriptor guard).
pub(crate) fn moved_to(new: i32) {
    FD.store(new, Ordering::Relaxed);
    crate::config::patch_number("rings", new as u64, FD_WIDTH);
}

/// Whether records go to rings (a region is mapped in this image).
#[inline]
pub fn active() -> bool {
    SLOTS.load(Ordering::Relaxed) != 0
}

/// Maps the region named by the configuration (`rings=FD`), if there is one. Called by the
/// loader once per image, before the runtime is armed.
pub fn attach() -> bool {
    let Some((fd, addr, len)) = super::shared::map_named("rings", layout::OWNERS) else {
        return false;
    };
    BASE.store(addr, Ordering::Relaxed);
    // SAFETY: the mapping is at least `OWNERS` bytes, page-aligned, and stays mapped.
    let magic = unsafe { &*((addr + header::MAGIC) as *const AtomicU64) };
    // SAFETY: as above; the slot count is a u32 at an aligned offset of the header.
    let slots = unsafe { &*((addr + header::SLOTS) as *const AtomicU32) };
    let n = slots.load(Ordering::Relaxed) as usize;
    if magic.load(Ordering::Relaxed) != layout::MAGIC || layout::region_bytes(n) > len {
        raw::syscall2(sys::__NR_munmap, addr as u64, len as u64);
        return false;
    }
    FD.store(fd, Ordering::Relaxed);
    SLOTS.store(n, Ordering::Release);
    true
}

fn base() -> usize {
    BASE.load(Ordering::Relaxed)
}

fn u64_at(off: usize) -> &'static AtomicU64 {
    // SAFETY: callers pass offsets from `sysgate_abi::ring` inside the mapped region (checked
    // against its size in `attach`), 8-byte aligned; the region is never unmapped and every
    // access to these words is atomic.
    unsafe { &*((base() + off) as *const AtomicU64) }
}

fn u32_at(off: usize) -> &'static AtomicU32 {
    // SAFETY: as in `u64_at`, 4-byte aligned.
    unsafe { &*((base() + off) as *const AtomicU32) }
}

fn owner(i: usize) -> &'static AtomicU32 {
    u32_at(layout::OWNERS + i * 4)
}

/// One slot's words and data, found once per append.
#[derive(Clone, Copy)]
struct Slot {
    /// Address of its header.
    hdr: usize,
    /// Address of its RING_BYTES of data.
    data: usize,
}

impl Slot {
    fn of(i: usize) -> Slot {
        let (base, n) = (base(), SLOTS.load(Ordering::Relaxed));
        Slot {
            hdr: base + layout::slot_header(n, i),
            data: base + layout::ring_data(n, i),
        }
    }

    fn u64(&self, field: usize) -> &'static AtomicU64 {
        // SAFETY: `hdr` is slot header inside the mapped region (checked against its size in
        // `attach`); `field` is an 8-byte aligned offset from `sysgate_abi::ring::slot`; the
        // region is never unmapped and every access to these words is atomic.
        unsafe { &*((self.hdr + field) as *const AtomicU64) }
    }

    fn u32(&self, field: usize) -> &'static AtomicU32 {
        // SAFETY: as in `u64`, 4-byte aligned.
        unsafe { &*((self.hdr + field) as *const AtomicU32) }
    }

    /// Copies `bytes` into the ring at position `pos` (wrapping).
    fn copy_in(&self, pos: u64, bytes: &[u8]) {
        let at = pos as usize & (layout::RING_BYTES - 1);
        let first = bytes.len().min(layout::RING_BYTES - at);
        // SAFETY: `[at, at + first)` and `[0, len - first)` lie inside the slot's RING_BYTES
        // of data; only this thread (and its nested handlers, which reserved disjoint bytes)
        // writes them between its reservation and the `HEAD` store that publishes them, and
        // the drainer reads them only after that store.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), (self.data + at) as *mut u8, first);
            if first < bytes.len() {
                core::ptr::copy_nonoverlapping(
                    bytes.as_ptr().add(first),
                    self.data as *mut u8,
                    bytes.len() - first,
                );
            }
        }
    }
}

fn futex(word: &AtomicU32, op: u64, val: u64, timeout_ns: u64) -> i64 {
    let ts = [
        (timeout_ns / 1_000_000_000) as i64,
        (timeout_ns % 1_000_000_000) as i64,
    ];
    let t = if timeout_ns == 0 {
        0
    } else {
        ts.as_ptr() as u64
    };
    // Shared futexes (no FUTEX_PRIVATE_FLAG): the word is in memory other processes map.
    raw::syscall6(sys::__NR_futex, [word.as_ptr() as u64, op, val, t, 0, 0])
}

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;

/// Whether the drainer is still there (checked only after a wait timed out).
fn drainer_alive() -> bool {
    let pid = u32_at(header::DRAINER).load(Ordering::Relaxed);
    pid != 0 && raw::syscall2(sys::__NR_kill, pid as u64, 0) != -(sys::ESRCH as i64)
}

/// Rings the drainer's doorbell if it sleeps. The first thread to see it asleep takes the
/// flag down, so that one wake-up (a few microseconds) is paid, not one per record until the
/// drainer is up.
fn wake_drainer() {
    let sleeping = u32_at(header::SLEEPING);
    if sleeping.load(Ordering::Relaxed) != 0 && sleeping.swap(0, Ordering::AcqRel) != 0 {
        let bell = u32_at(header::BELL);
        bell.fetch_add(1, Ordering::Release);
        futex(bell, FUTEX_WAKE, 1, 0);
    }
}

/// The slot of thread `tid` (process `pid`): `*cell` (slot + 1, 0: none) if it is still this
/// thread's, else the one the thread owns already, else a free one claimed now. `None` when
/// records are dropped (the drainer is gone).
fn slot_of(cell: &mut u32, tid: u32, pid: u32) -> Option<usize> {
    let n = SLOTS.load(Ordering::Relaxed);
    if let Some(i) = (*cell as usize).checked_sub(1).filter(|&i| i < n) {
        if owner(i).load(Ordering::Relaxed) == tid {
            return Some(i);
        }
    }
    let mine = (0..n).find(|&i| owner(i).load(Ordering::Relaxed) == tid);
    let i = match mine {
        Some(i) => i,
        None => loop {
            if ORPHANED.load(Ordering::Relaxed) != 0 {
                return None;
            }
            let free = (0..n).find(|&i| {
                owner(i)
                    .compare_exchange(0, tid, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            });
            if let Some(i) = free {
                break i;
            }
            // Every ring is taken: wait for the drainer to free one.
            u64_at(header::SLOT_WAITS).fetch_add(1, Ordering::Relaxed);
            wake_drainer();
            let ts = [0i64, 1_000_000];
            raw::syscall2(sys::__NR_nanosleep, ts.as_ptr() as u64, 0);
            if !drainer_alive() {
                ORPHANED.store(1, Ordering::Relaxed);
            }
        },
    };
    // Whatever a writer that died inside an append left reserved is given up.
    let ring = Slot::of(i);
    let head = ring.u64(slot::HEAD).load(Ordering::Relaxed);
    ring.u64(slot::RESERVE).store(head, Ordering::Relaxed);
    ring.u32(slot::DEPTH).store(0, Ordering::Relaxed);
    ring.u32(slot::PID).store(pid, Ordering::Relaxed);
    *cell = i as u32 + 1;
    Some(i)
}

/// Waits until `ring` has room for `n` more bytes past its reservations; false if the drainer
/// is gone.
#[cold]
fn wait_for_room(ring: Slot, n: u64) -> bool {
    let reserve = ring.u64(slot::RESERVE);
    let tail = ring.u64(slot::TAIL);
    let waiting = ring.u32(slot::WAITING);
    let mut counted = false;
    loop {
        if reserve.load(Ordering::Relaxed) + n - tail.load(Ordering::Acquire)
            <= layout::RING_BYTES as u64
        {
            return true;
        }
        if ORPHANED.load(Ordering::Relaxed) != 0 {
            return false;
        }
        if !counted {
            u64_at(header::WAITS).fetch_add(1, Ordering::Relaxed);
            counted = true;
        }
        waiting.store(1, Ordering::SeqCst);
        // Committed bytes the drainer has not seen yet may be all that fills the ring.
        let bell = u32_at(header::BELL);
        bell.fetch_add(1, Ordering::Release);
        futex(bell, FUTEX_WAKE, 1, 0);
        if reserve.load(Ordering::Relaxed) + n - tail.load(Ordering::Acquire)
            > layout::RING_BYTES as u64
        {
            let r = futex(waiting, FUTEX_WAIT, 1, 100_000_000);
            if r == -(sys::ETIMEDOUT as i64) && !drainer_alive() {
                ORPHANED.store(1, Ordering::Relaxed);
            }
        }
    }
}

/// The marks of a record (see [`sysgate_abi::ring::Record`]).
#[derive(Clone, Copy, Default, Debug)]
pub struct Marks {
    pub head: u16,
    pub resume: u16,
    pub close: u16,
    pub result: u16,
    /// Where the stack snapshot after the text starts (`-k`), 0 for none.
    pub stack: u16,
}

/// Who appends a record: the calling thread's slot record (`Thread::ring`) and ids.
pub struct Writer<'a> {
    pub cell: &'a mut u32,
    /// The calling thread (the ring's owner).
    pub own_tid: i32,
    /// Its process.
    pub pid: i32,
}

/// Appends one record (`kind`, `flags` from `sysgate_abi::ring`) with `text` to the calling
/// thread's ring; `tid` is the thread the record is about, `pid` its process (a parent's
/// record of its killed child names the child). Returns false if the record was dropped (no
/// region, or the drainer is gone).
#[allow(clippy::too_many_arguments)]
pub fn push(w: Writer<'_>, tid: i32, pid: i32, kind: u8, flags: u8, m: Marks, text: &[u8]) -> bool {
    if !active() {
        return false;
    }
    let Some(i) = slot_of(w.cell, w.own_tid as u32, w.pid as u32) else {
        u64_at(header::DROPPED).fetch_add(1, Ordering::Relaxed);
        return false;
    };
    let n = (layout::RECORD_HEADER + text.len()).min(layout::RING_BYTES / 2);
    let text = &text[..n - layout::RECORD_HEADER];
    let ring = Slot::of(i);
    let depth = ring.u32(slot::DEPTH);
    let reserve = ring.u64(slot::RESERVE);
    let head = ring.u64(slot::HEAD);
    let tail = ring.u64(slot::TAIL);
    let room = |r: u64| r + n as u64 - tail.load(Ordering::Acquire) <= layout::RING_BYTES as u64;
    let at = loop {
        if !room(reserve.load(Ordering::Relaxed)) && !wait_for_room(ring, n as u64) {
            u64_at(header::DROPPED).fetch_add(1, Ordering::Relaxed);
            return false;
        }
        // A handler that interrupts between these steps completes its own append first, so
        // the count is back where it was when this one resumes.
        depth.store(depth.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        let r = reserve.load(Ordering::Relaxed);
        if room(r)
            && reserve
                .compare_exchange(r, r + n as u64, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            break r;
        }
        depth.store(depth.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
    };
    // After `DEPTH` is raised (the drainer reads the counter first, then waits for 0).
    let seq = u64_at(header::SEQ).fetch_add(1, Ordering::SeqCst);
    let rec = Record {
        len: n as u32,
        kind,
        flags,
        seq,
        tid: tid as u32,
        pid: pid as u32,
        head: m.head,
        resume: m.resume,
        close: m.close,
        result: m.result,
        stack: m.stack,
    };
    ring.copy_in(at, &rec.encode());
    ring.copy_in(at + layout::RECORD_HEADER as u64, text);
    let d = depth.load(Ordering::Relaxed);
    if d == 1 {
        // Publish every reservation (nested ones are complete); a handler that interrupts
        // this loop publishes more, and the check makes the last store the largest.
        loop {
            let end = reserve.load(Ordering::Relaxed);
            head.store(end, Ordering::Release);
            if reserve.load(Ordering::Relaxed) == end {
                break;
            }
        }
    }
    depth.store(d - 1, Ordering::Release);
    let used = head.load(Ordering::Relaxed) - tail.load(Ordering::Relaxed);
    if used >= layout::WAKE_AT as u64 {
        wake_drainer();
    }
    true
}

/// Gives the calling thread's ring back (at `exit`): the drainer frees it once it has read
/// what is left.
pub fn release(cell: &mut u32, tid: i32) {
    if !active() {
        return;
    }
    let n = SLOTS.load(Ordering::Relaxed);
    let tid = tid as u32;
    if let Some(i) = (*cell as usize).checked_sub(1).filter(|&i| i < n) {
        let _ = owner(i).compare_exchange(
            tid,
            tid | layout::RELEASED,
            Ordering::Release,
            Ordering::Relaxed,
        );
    }
    *cell = 0;
}
