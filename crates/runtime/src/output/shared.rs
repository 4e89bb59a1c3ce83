//! The region every process of a sysgate run shares: a memory file `sysgate` creates before
//! the program starts, passed down as a descriptor (configuration key `shm=`, zero-padded so
//! that the number can be rewritten in place when the descriptor has to move) and mapped
//! `MAP_SHARED` by each image at start-up. A fork child inherits the mapping; an `execve`d
//! image maps it again from the descriptor. Tools keep cross-process state in it (per-syscall
//! counters, per-thread injection counters) with atomic operations only.
//!
//! The descriptor is one of the runtime's own (`fds.rs`): `close`, `dup2` onto it and
//! `close_range` over it leave it alone.
#![allow(unsafe_code)]

use crate::raw::{self, sys};
use core::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};

/// Width of the `shm=` value: the descriptor number, zero-padded, rewritten in place.
pub const FD_WIDTH: usize = 7;

/// The region's memory file (-1: none), one of the runtime's guarded descriptors.
static FD: AtomicI32 = AtomicI32::new(-1);
static BASE: AtomicUsize = AtomicUsize::new(0);
static WORDS: AtomicUsize = AtomicUsize::new(0);

/// The region's descriptor, or -1.
pub(crate) fn fd() -> i32 {
    FD.load(Ordering::Relaxed)
}

/// The region's descriptor now lives at `new` (moved by the descriptor guard): later images
/// find it through the configuration, whose `shm=` value is rewritten in place.
pub(crate) fn moved_to(new: i32) {
    FD.store(new, Ordering::Relaxed);
    crate::config::patch_number("shm", new as u64, FD_WIDTH);
}

/// Maps, shared and writable, the whole memory file whose descriptor the configuration names
/// under `key` (`shm=FD`, `rings=FD`), if it has at least `min` bytes: `(fd, address, length)`.
pub(crate) fn map_named(key: &str, min: usize) -> Option<(i32, usize, usize)> {
    let fd = crate::config::get().fd(key)?;
    let mut st = [0u64; 18]; // struct stat
    if raw::syscall2(sys::__NR_fstat, fd as u64, st.as_mut_ptr() as u64) < 0 {
        return None;
    }
    let len = st[6] as usize; // st_size
    if len < min {
        return None;
    }
    let addr = raw::syscall6(
        sys::__NR_mmap,
        [
            0,
            len as u64,
            (sys::PROT_READ | sys::PROT_WRITE) as u64,
            sys::MAP_SHARED as u64,
            fd as u64,
            0,
        ],
    );
    (addr >= 0).then_some((fd, addr as usize, len))
}

/// Maps the region named by the configuration (`shm=FD`), if there is one. Called by the
/// loader once per image, before the runtime is armed. Returns whether a region is mapped.
pub fn attach() -> bool {
    let Some((fd, addr, len)) = map_named("shm", 8) else {
        return false;
    };
    FD.store(fd, Ordering::Relaxed);
    BASE.store(addr, Ordering::Relaxed);
    WORDS.store(len / 8, Ordering::Release);
    true
}

/// The shared region as 64-bit words, if one is mapped in this image.
#[inline]
pub fn words() -> Option<&'static [AtomicU64]> {
    let n = WORDS.load(Ordering::Acquire);
    if n == 0 {
        return None;
    }
    let base = BASE.load(Ordering::Relaxed);
    // SAFETY: `attach` mapped `n * 8` bytes at `base`, readable and writable, page-aligned
    // (so aligned for `AtomicU64`), and never unmaps them; every access is atomic, so sharing
    // the words with other threads and processes is sound.
    Some(unsafe { core::slice::from_raw_parts(base as *const AtomicU64, n) })
}

/// Adds `v` to a word only the calling thread writes (a per-thread counter slot), in one
/// instruction without a `lock` prefix: a signal handler that interrupts the thread and adds
/// to the same word cannot lose either add (signals arrive between instructions), and it
/// costs what a plain add costs (a `lock`ed add on the shared region costs about 30 ns on
/// each call here). Other threads and processes may read the word at any time.
#[inline(always)]
pub fn add_own(word: &AtomicU64, v: u64) {
    // SAFETY: `word` is a valid, aligned u64 that stays mapped (a reference to an AtomicU64).
    // The add is one instruction, so a signal handler of this thread runs before or after it;
    // the caller is the word's only writer, and readers elsewhere read it whole (an aligned
    // 8-byte store is atomic on x86-64), so no add is lost and no reader sees a torn value.
    unsafe {
        core::arch::asm!("add qword ptr [{p}], {v}", p = in(reg) word.as_ptr(), v = in(reg) v, options(nostack));
    }
}
