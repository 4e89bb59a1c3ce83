//! Per-thread slots in the shared region (`count`'s call counters, `inject`'s invocation
//! counters): a slot's owner word holds the id of the thread that writes it. A thread claims a
//! free slot on its first use, else one whose thread no longer exists, and remembers it in a
//! scratch word (`TAG | slot << 32 | tid`, bits 48–62 free for the tool); a fork child, whose
//! word names its parent, claims its own.

use core::sync::atomic::AtomicU64;
use core::sync::atomic::Ordering::Relaxed;
use sysgate_abi::x86_64::nr;
use sysgate_runtime as rt;

/// Marks a scratch word that records a slot.
pub const TAG: u64 = 1 << 63;

/// The slot the scratch word `word` records, if it was recorded by thread `tid`.
pub fn cached(word: u64, tid: i32) -> Option<usize> {
    (word & TAG != 0 && word as u32 == tid as u32).then_some(((word >> 32) & 0xffff) as usize)
}

/// The scratch word recording slot `slot` for thread `tid`.
pub fn record(slot: usize, tid: i32) -> u64 {
    TAG | (slot as u64) << 32 | u64::from(tid as u32)
}

/// Claims one of `n` slots, whose owner words `owner(i)` gives, for thread `tid`: the first
/// whose owner is one of `free`, else the first whose thread no longer exists (`kill(old, 0)`
/// is ESRCH).
pub fn claim(
    n: usize,
    owner: impl Fn(usize) -> Option<&'static AtomicU64>,
    tid: i32,
    free: &[u64],
) -> Option<usize> {
    let me = u64::from(tid as u32);
    let take = |o: &AtomicU64, old: u64| o.compare_exchange(old, me, Relaxed, Relaxed).is_ok();
    (0..n)
        .find(|&i| {
            owner(i).is_some_and(|o| free.iter().any(|&f| o.load(Relaxed) == f && take(o, f)))
        })
        .or_else(|| {
            (0..n).find(|&i| {
                owner(i).is_some_and(|o| {
                    let old = o.load(Relaxed);
                    !free.contains(&old)
                        && old != me
                        && rt::raw::syscall2(nr::KILL, old, 0) == -3 // ESRCH
                        && take(o, old)
                })
            })
        })
}
