//! `sysgate count` and `sysgate trace -c`/`-C`: calls, errors and time per syscall for the
//! whole process tree, as `strace -c` reports them.
//!
//! The counters live in the region every process of the run shares (`sysgate_runtime::shared`:
//! a memory file `sysgate` created, mapped `MAP_SHARED` by each image), so threads, fork
//! children and exec'd images all add into one table with atomic adds, and `sysgate` reads it
//! after the program ended. Nothing is kept per process.
//!
//! What is counted follows strace: a call is counted when it returns (`exit`, `exit_group` and
//! a successful `execve` seen from the old image are not; a successful `execve` is counted by
//! the new image; `rt_sigreturn` is). The time of a call is the CPU time its thread spent
//! between entry and exit (`CLOCK_THREAD_CPUTIME_ID`: strace's default "system time"), or with
//! `-w` the wall-clock time (`CLOCK_MONOTONIC`).
//!
//! Reading a clock costs a syscall (the thread CPU clock one of the slowest: two of them cost
//! more than a getppid), so the time is measured on a sample: every call of a number while it
//! has been called fewer than [`EXACT`] times, then one call in [`SAMPLE`] (chosen by a hash of
//! the number's call count, so no periodic pattern of the program lines up with it), weighted
//! by [`SAMPLE`]. Calls and errors are always exact; the seconds are an unbiased estimate, as
//! close as the tracing overhead in strace's own figures.

use crate::scratch;
use sysgate_abi::x86_64::nr;
use sysgate_runtime as rt;
use sysgate_runtime::api::{Arch, NR_MAX};

/// Where the counters sit in the shared region. `sysgate` reads the region with the same
/// layout (`crates/cli/src/count.rs` repeats these numbers; a test there checks them).
pub mod layout {
    use super::NR_MAX;
    /// Words per syscall: calls, errors, total ns, minimum ns (stored bit-inverted, so that
    /// an untouched 0 means "none yet" and `fetch_max` keeps the minimum), maximum ns.
    pub const PER_CALL: usize = 5;
    pub const CALLS: usize = 0;
    pub const ERRORS: usize = 1;
    pub const TIME_NS: usize = 2;
    pub const MIN_NS_INV: usize = 3;
    pub const MAX_NS: usize = 4;
    /// Tables: x86-64 numbers first, then i386 numbers (strace's two personalities).
    pub const TABLES: usize = 2;
    /// Words of the whole counter table, from word 0 of the region.
    pub const WORDS: usize = TABLES * NR_MAX * PER_CALL;

    /// First word of syscall `nr` of table `table` (0: x86-64, 1: i386).
    pub const fn index(table: usize, nr: usize) -> usize {
        (table * NR_MAX + nr) * PER_CALL
    }
}

/// Which clock measures a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// CPU time of the calling thread (strace's default).
    Cpu,
    /// Wall-clock time (`-w`).
    Wall,
}

impl Clock {
    fn id(self) -> u64 {
        match self {
            Clock::Cpu => 3,  // CLOCK_THREAD_CPUTIME_ID
            Clock::Wall => 1, // CLOCK_MONOTONIC
        }
    }
}

fn now_ns(clock: Clock) -> u64 {
    let mut ts = [0i64; 2];
    if rt::raw::syscall2(nr::CLOCK_GETTIME, clock.id(), ts.as_mut_ptr() as u64) != 0 {
        return 0;
    }
    (ts[0] as u64).wrapping_mul(1_000_000_000).wrapping_add(ts[1] as u64)
}

/// Calls of each number whose time is all measured.
pub const EXACT: u64 = 64;
/// After that, one call in `SAMPLE` is timed and counts `SAMPLE` times.
pub const SAMPLE: u64 = 16;

/// `COUNT_ENTRY` marks: a call counted without its time; a timed call that stands for
/// `SAMPLE` calls. The clock reading (+1) is in the low bits.
const UNTIMED: u64 = 1 << 62;
const WEIGHTED: u64 = 1 << 63;

/// Whether the call that makes `calls` calls of its number so far is timed, and its weight.
fn sampled(calls: u64) -> Option<u64> {
    if calls < EXACT {
        return Some(1);
    }
    // splitmix64's finaliser: consecutive counts give unrelated bits.
    let mut z = calls.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    z.is_multiple_of(SAMPLE).then_some(SAMPLE)
}

/// Notes the time a call entered (just before it goes to the kernel), if it is timed.
pub fn start(call: &mut rt::Call<'_>, clock: Clock) {
    let calls = slot(call.arch, call.nr).map_or(0, |s| s[layout::CALLS].load(core::sync::atomic::Ordering::Relaxed));
    call.thread.tool_scratch[scratch::COUNT_ENTRY] = match sampled(calls) {
        None => UNTIMED,
        Some(w) => (now_ns(clock).wrapping_add(1) & (UNTIMED - 1)) | if w > 1 { WEIGHTED } else { 0 },
    };
}

/// The counters of syscall `nr`.
fn slot(arch: Arch, nr: u64) -> Option<&'static [core::sync::atomic::AtomicU64]> {
    let words = rt::shared::words()?;
    let n = usize::try_from(nr).ok().filter(|&n| n < NR_MAX)?;
    let at = layout::index(table(arch), n);
    words.get(at..at + layout::PER_CALL)
}

fn table(arch: Arch) -> usize {
    match arch {
        Arch::X86_64 => 0,
        Arch::I386 => 1,
    }
}

/// Adds one call of `nr` that returned `ret` (`-errno` on error) and, if it was timed, took
/// `ns` standing for `weight` calls' time.
pub fn add(arch: Arch, nr: u64, ret: i64, timed: Option<(u64, u64)>) {
    let Some(slot) = slot(arch, nr) else { return };
    use core::sync::atomic::Ordering::Relaxed;
    slot[layout::CALLS].fetch_add(1, Relaxed);
    if (-4095..0).contains(&ret) {
        slot[layout::ERRORS].fetch_add(1, Relaxed);
    }
    if let Some((ns, weight)) = timed {
        slot[layout::TIME_NS].fetch_add(ns.saturating_mul(weight), Relaxed);
        slot[layout::MIN_NS_INV].fetch_max(!ns, Relaxed);
        slot[layout::MAX_NS].fetch_max(ns, Relaxed);
    }
}

/// The call returned `ret`: counts it, with the time since [`start`] if it was timed.
pub fn finish(call: &mut rt::Call<'_>, ret: i64, clock: Clock) {
    let t0 = core::mem::take(&mut call.thread.tool_scratch[scratch::COUNT_ENTRY]);
    let timed = match t0 {
        0 => Some((0, 1)),
        UNTIMED => None,
        _ => {
            let weight = if t0 & WEIGHTED != 0 { SAMPLE } else { 1 };
            let start = (t0 & (UNTIMED - 1)) - 1;
            Some((now_ns(clock).wrapping_sub(start) & (UNTIMED - 1), weight))
        }
    };
    add(call.arch, call.nr, ret, timed);
}

/// A call that does not return: only `rt_sigreturn` is counted (its result is known).
pub fn noreturn(call: &mut rt::Call<'_>, ret: Option<i64>) {
    call.thread.tool_scratch[scratch::COUNT_ENTRY] = 0;
    if let Some(r) = ret {
        add(call.arch, call.nr, r, Some((0, 1)));
    }
}

/// A new image entered through a counted `execve`: the call succeeded.
pub fn execve_succeeded() {
    add(Arch::X86_64, u64::from(nr::EXECVE), 0, Some((0, 1)));
}

#[cfg(test)]
mod tests {
    use super::layout;

    /// The first EXACT calls are all timed; after that about one in SAMPLE, spread out.
    #[test]
    fn sampling_times_the_first_calls_then_one_in_sample() {
        assert!((0..super::EXACT).all(|c| super::sampled(c) == Some(1)));
        let n = 160_000u64;
        let picked = (super::EXACT..super::EXACT + n).filter(|&c| super::sampled(c).is_some()).count() as u64;
        let expect = n / super::SAMPLE;
        assert!(picked.abs_diff(expect) < expect / 20, "{picked} of {n}");
        // No run of unsampled calls so long that a short program loop never gets timed.
        let mut gap = 0u64;
        let mut worst = 0u64;
        for c in super::EXACT..super::EXACT + n {
            gap = if super::sampled(c).is_some() { 0 } else { gap + 1 };
            worst = worst.max(gap);
        }
        assert!(worst < 40 * super::SAMPLE, "longest gap {worst}");
    }

    #[test]
    fn layout_is_what_sysgate_reads() {
        // crates/cli/src/count.rs reads the same numbers.
        assert_eq!(layout::PER_CALL, 5);
        assert_eq!(layout::WORDS, 5120);
        assert_eq!(layout::index(1, 3), (512 + 3) * 5);
    }
}
