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

/// Notes the time a call entered (just before it goes to the kernel).
pub fn start(call: &mut rt::Call<'_>, clock: Clock) {
    call.thread.tool_scratch[scratch::COUNT_ENTRY] = now_ns(clock).wrapping_add(1);
}

fn table(arch: Arch) -> usize {
    match arch {
        Arch::X86_64 => 0,
        Arch::I386 => 1,
    }
}

/// Adds one call of `nr` that took `ns` and returned `ret` (`-errno` on error).
pub fn add(arch: Arch, nr: u64, ret: i64, ns: u64) {
    let Some(words) = rt::shared::words() else { return };
    let Ok(n) = usize::try_from(nr) else { return };
    if n >= NR_MAX {
        return;
    }
    let at = layout::index(table(arch), n);
    let Some(slot) = words.get(at..at + layout::PER_CALL) else { return };
    use core::sync::atomic::Ordering::Relaxed;
    slot[layout::CALLS].fetch_add(1, Relaxed);
    if (-4095..0).contains(&ret) {
        slot[layout::ERRORS].fetch_add(1, Relaxed);
    }
    slot[layout::TIME_NS].fetch_add(ns, Relaxed);
    slot[layout::MIN_NS_INV].fetch_max(!ns, Relaxed);
    slot[layout::MAX_NS].fetch_max(ns, Relaxed);
}

/// The call returned `ret`: counts it with the time since [`start`].
pub fn finish(call: &mut rt::Call<'_>, ret: i64, clock: Clock) {
    let t0 = core::mem::take(&mut call.thread.tool_scratch[scratch::COUNT_ENTRY]);
    let ns = if t0 == 0 { 0 } else { now_ns(clock).saturating_sub(t0 - 1) };
    add(call.arch, call.nr, ret, ns);
}

/// A call that does not return: only `rt_sigreturn` is counted (its result is known).
pub fn noreturn(call: &mut rt::Call<'_>, ret: Option<i64>) {
    call.thread.tool_scratch[scratch::COUNT_ENTRY] = 0;
    if let Some(r) = ret {
        add(call.arch, call.nr, r, 0);
    }
}

/// A new image entered through a counted `execve`: the call succeeded.
pub fn execve_succeeded() {
    add(Arch::X86_64, u64::from(nr::EXECVE), 0, 0);
}

#[cfg(test)]
mod tests {
    use super::layout;

    #[test]
    fn layout_is_what_sysgate_reads() {
        // crates/cli/src/count.rs reads the same numbers.
        assert_eq!(layout::PER_CALL, 5);
        assert_eq!(layout::WORDS, 5120);
        assert_eq!(layout::index(1, 3), (512 + 3) * 5);
    }
}
