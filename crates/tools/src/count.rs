//! `sysgate count` and `sysgate trace -c`/`-C`: calls, errors and time per syscall for the
//! whole process tree, as `strace -c` reports them.
//!
//! The counters live in the region every process of the run shares (`sysgate_runtime::output::shared`:
//! a memory file `sysgate` created, mapped `MAP_SHARED` by each image), so threads, fork
//! children and exec'd images all add into one table with atomic adds, and `sysgate` reads it
//! after the program ended. Nothing is kept per process.
//!
//! Calls and errors go into a per-thread slot of the region (claimed on the thread's first
//! counted call, see [`own_slot`]) with a plain add: a `lock`ed add on a shared page costs
//! about 30 ns, a fifth of a getppid, on every call. The sampled times, minima and maxima stay
//! in the shared table with atomic operations. `sysgate` adds the slots to the table. A
//! thread that finds no free slot counts into the shared table atomically.
//!
//! What is counted follows strace: a call is counted when it returns (`exit`, `exit_group` and
//! a successful `execve` seen from the old image are not; a successful `execve` is counted by
//! the new image; `rt_sigreturn` is). The time of a call is the CPU time its thread spent
//! between entry and exit (`CLOCK_THREAD_CPUTIME_ID`: strace's default "system time"), or with
//! `-w` the wall-clock time (`CLOCK_MONOTONIC`).
//!
//! Reading a clock costs a syscall (the thread CPU clock one of the slowest: two of them cost
//! more than a getppid), so the time is measured on a sample: every call of a number while the
//! thread has made fewer than [`EXACT`] of it, then one call in about [`SAMPLE`] of the
//! thread's calls (the gaps drawn at random, so that no periodic pattern of the program lines
//! up with them), weighted by its gap. Calls and errors are always exact; the seconds are an
//! unbiased estimate, as close as the tracing overhead in strace's own figures.
//!
//! When counting is all the tool does, a number past [`EXACT`] calls moves to the entry's
//! counting stub (`sysgate_runtime::ways_in::entry::count_in_stub`): its calls are added to the
//! thread's slot without entering Rust, and only the timed ones come here.

use crate::{scratch, slots};
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

    /// Per-thread slots: [`SLOTS`] owner words from `SLOTS_BASE` (0: never used, a thread
    /// id: in use, [`RELEASED`]: free again, its counts kept), then the slots from
    /// [`SLOT_AREA`], each two words (calls, errors) per number of each table. Past the
    /// injection counters (`inject::layout`), so one region serves both.
    pub const SLOTS_BASE: usize = 1 << 20;
    pub const SLOTS: usize = 256;
    pub const RELEASED: u64 = 1 << 32;
    pub const SLOT_AREA: usize = SLOTS_BASE + SLOTS;
    pub const SLOT_WORDS: usize = TABLES * NR_MAX * 2;
    /// Size of the region `sysgate` creates for counting, in words.
    pub const REGION_WORDS: usize = SLOT_AREA + SLOTS * SLOT_WORDS;

    /// The calls word of `nr` of table `table` in slot `slot` (errors follow it).
    pub const fn own_index(slot: usize, table: usize, nr: usize) -> usize {
        SLOT_AREA + slot * SLOT_WORDS + (table * NR_MAX + nr) * 2
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
    (ts[0] as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts[1] as u64)
}

/// Calls of each number (in a thread's slot) whose time is all measured.
pub const EXACT: u64 = 64;
/// After that, one call in about `SAMPLE` is timed (gaps between `SAMPLE / 2` and
/// `3 * SAMPLE / 2`) and counts for the calls of its gap: a timed call costs a slow path and
/// two clock reads, about four getppids.
pub const SAMPLE: u64 = 128;

/// `COUNT_ENTRY` word: the clock reading at entry (+1), or `UNTIMED`.
const UNTIMED: u64 = 1 << 62;

/// The next gap between timed calls, from the generator state `rng` (splitmix64).
fn draw_gap(rng: &mut u64) -> u64 {
    *rng = rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *rng;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    SAMPLE / 2 + z % SAMPLE
}

/// One step of a thread's countdown for a call that reached Rust: whether it is timed (and
/// its weight), then the new gap and skip. `skip` is what the counting stubs left: they lower
/// it on each call they count and send the call that finds it at zero here.
fn countdown(gap: u64, skip: u64, rng: &mut u64) -> (Option<u64>, u64, u64) {
    // A skip outside the gap: a signal handler's stub call lowered it past zero.
    let timed = if gap == 0 {
        Some(1)
    } else {
        (skip == 0 || skip >= gap).then_some(gap)
    };
    match timed {
        Some(_) => {
            let g = draw_gap(rng);
            (timed, g, g - 1)
        }
        None => (None, gap, skip - 1),
    }
}

/// [`countdown`] on the thread's words; re-arms its counting stubs while calls remain untimed.
fn thread_countdown(t: &mut rt::process::thread::Thread) -> Option<u64> {
    let mut rng = t.tool_scratch[scratch::COUNT_RNG];
    if rng == 0 {
        rng = u64::from(t.tid as u32) << 32 | 1;
    }
    let (timed, gap, skip) = countdown(t.tool_scratch[scratch::COUNT_GAP], t.count_skip, &mut rng);
    t.tool_scratch[scratch::COUNT_RNG] = rng;
    t.tool_scratch[scratch::COUNT_GAP] = gap;
    t.count_skip = skip;
    t.count_go = u64::from(t.count_calls != 0 && skip != 0);
    timed
}

/// Notes the time a call entered (just before it goes to the kernel), if it is timed. With
/// `stub`, a number past [`EXACT`] calls moves to the entry's counting stub.
pub fn start(call: &mut rt::Call<'_>, clock: Clock, stub: bool) {
    use core::sync::atomic::Ordering::Relaxed;
    let calls = match own_counts(call.thread, call.arch, call.nr) {
        Some(own) => own[0].load(Relaxed),
        None => slot(call.arch, call.nr).map_or(0, |s| s[layout::CALLS].load(Relaxed)),
    };
    let weight = if calls < EXACT {
        Some(1)
    } else {
        if stub && call.arch == Arch::X86_64 {
            rt::ways_in::dispatch::count_in_stub(call.nr);
        }
        thread_countdown(call.thread)
    };
    call.thread.tool_scratch[scratch::COUNT_ENTRY] = match weight {
        None => UNTIMED,
        Some(w) => {
            call.thread.tool_scratch[scratch::COUNT_WEIGHT] = w;
            now_ns(clock).wrapping_add(1) & !UNTIMED
        }
    };
}

/// The thread's own counter slot, claimed on its first counted call (`slots.rs`). `None`
/// when all are taken (the thread then counts into the shared table).
fn own_slot(thread: &mut rt::process::thread::Thread) -> Option<usize> {
    if let Some(i) = slots::cached(thread.tool_scratch[scratch::COUNT_SLOT], thread.tid) {
        return Some(i);
    }
    let words = rt::output::shared::words()?;
    if words.len() < layout::REGION_WORDS {
        return None;
    }
    let owners = words.get(layout::SLOTS_BASE..layout::SLOT_AREA)?;
    let i = slots::claim(
        owners.len(),
        |i| owners.get(i),
        thread.tid,
        &[0, layout::RELEASED],
    )?;
    thread.tool_scratch[scratch::COUNT_SLOT] = slots::record(i, thread.tid);
    // The counting stubs add into this slot's x86-64 table.
    thread.count_calls = words.get(layout::own_index(i, 0, 0))?.as_ptr() as u64;
    Some(i)
}

/// Gives the thread's slot back (it is about to exit or exec); its counts stay.
pub fn release(thread: &mut rt::process::thread::Thread) {
    thread.count_go = 0;
    thread.count_calls = 0;
    let w = core::mem::take(&mut thread.tool_scratch[scratch::COUNT_SLOT]);
    let Some(i) = slots::cached(w, thread.tid) else {
        return;
    };
    if let Some(o) = rt::output::shared::words().and_then(|words| words.get(layout::SLOTS_BASE + i))
    {
        let _ = o.compare_exchange(
            w & 0xffff_ffff,
            layout::RELEASED,
            core::sync::atomic::Ordering::Relaxed,
            core::sync::atomic::Ordering::Relaxed,
        );
    }
}

/// The thread's own calls and errors words for `nr`, if it has a slot.
fn own_counts(
    thread: &mut rt::process::thread::Thread,
    arch: Arch,
    nr: u64,
) -> Option<&'static [core::sync::atomic::AtomicU64]> {
    let n = usize::try_from(nr).ok().filter(|&n| n < NR_MAX)?;
    let i = own_slot(thread)?;
    let at = layout::own_index(i, table(arch), n);
    rt::output::shared::words()?.get(at..at + 2)
}

/// The counters of syscall `nr`.
fn slot(arch: Arch, nr: u64) -> Option<&'static [core::sync::atomic::AtomicU64]> {
    let words = rt::output::shared::words()?;
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
/// `ns` standing for `weight` calls' time. The call and error go into `thread`'s own slot if
/// it has one.
pub fn add(
    thread: Option<&mut rt::process::thread::Thread>,
    arch: Arch,
    nr: u64,
    ret: i64,
    timed: Option<(u64, u64)>,
) {
    let Some(slot) = slot(arch, nr) else { return };
    use core::sync::atomic::Ordering::Relaxed;
    let failed = (-4095..0).contains(&ret);
    match thread.and_then(|t| own_counts(t, arch, nr)) {
        Some(own) => {
            rt::output::shared::add_own(&own[0], 1);
            if failed {
                rt::output::shared::add_own(&own[1], 1);
            }
        }
        None => {
            slot[layout::CALLS].fetch_add(1, Relaxed);
            if failed {
                slot[layout::ERRORS].fetch_add(1, Relaxed);
            }
        }
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
            let weight = call.thread.tool_scratch[scratch::COUNT_WEIGHT].max(1);
            Some((now_ns(clock).wrapping_sub(t0 - 1), weight))
        }
    };
    add(Some(call.thread), call.arch, call.nr, ret, timed);
}

/// A call that does not return: only `rt_sigreturn` is counted (its result is known). A
/// thread that exits gives its slot back.
pub fn noreturn(call: &mut rt::Call<'_>, ret: Option<i64>) {
    call.thread.tool_scratch[scratch::COUNT_ENTRY] = 0;
    if let Some(r) = ret {
        add(Some(call.thread), call.arch, call.nr, r, Some((0, 1)));
    } else {
        release(call.thread);
    }
}

/// A new image entered through a counted `execve`: the call succeeded.
pub fn execve_succeeded() {
    add(None, Arch::X86_64, u64::from(nr::EXECVE), 0, Some((0, 1)));
}

#[cfg(test)]
mod tests {
    use super::layout;

    /// Past EXACT, about one call in SAMPLE is timed, whether the calls between come through
    /// the counting stubs (which lower the skip) or through Rust; the weights add up to the
    /// calls; no gap is periodic; a skip a signal handler lowered past zero is recovered.
    #[test]
    fn countdown_times_one_call_in_sample_and_weights_add_up() {
        use super::{countdown, SAMPLE};
        let (mut gap, mut skip, mut rng) = (0u64, 0u64, 7u64);
        let (mut timed, mut weights, mut gaps) = (0u64, 0u64, std::collections::BTreeSet::new());
        let calls = 1_000_000u64;
        for i in 0..calls {
            // Two calls in three through a stub while it is armed (skip > 0).
            if skip > 0 && i % 3 != 0 {
                skip -= 1;
                continue;
            }
            let (t, g, k) = countdown(gap, skip, &mut rng);
            if let Some(w) = t {
                timed += 1;
                weights += w;
                gaps.insert(g);
            }
            (gap, skip) = (g, k);
        }
        let expect = calls / SAMPLE;
        assert!(
            timed.abs_diff(expect) < expect / 20,
            "{timed} timed of {calls}"
        );
        assert!(
            weights.abs_diff(calls) <= 2 * SAMPLE,
            "weights {weights} for {calls} calls"
        );
        assert!(gaps.len() as u64 > SAMPLE / 2 && *gaps.iter().next().unwrap() >= SAMPLE / 2);
        assert!(*gaps.iter().last().unwrap() < 3 * SAMPLE / 2);
        // A wrapped skip (u64::MAX) times the next call.
        assert_eq!(countdown(100, u64::MAX, &mut rng).0, Some(100));
    }

    #[test]
    fn layout_is_what_sysgate_reads() {
        // crates/cli/src/count.rs reads the same numbers.
        assert_eq!(layout::PER_CALL, 5);
        assert_eq!(layout::WORDS, 5120);
        assert_eq!(layout::index(1, 3), (512 + 3) * 5);
        assert_eq!(layout::SLOTS_BASE, 1 << 20);
        assert_eq!(layout::SLOTS, 256);
        assert_eq!(layout::RELEASED, 1 << 32);
        assert_eq!(
            layout::own_index(2, 1, 3),
            (1 << 20) + 256 + 2 * 2048 + (512 + 3) * 2
        );
        assert_eq!(layout::REGION_WORDS, (1 << 20) + 256 + 256 * 2048);
        // The injection counters end before the slots.
        assert!(crate::inject::layout::REGION_WORDS <= layout::SLOTS_BASE);
    }
}
