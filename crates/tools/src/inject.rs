//! Fault injection, strace's `-e inject=` / `-e fault=`: chosen invocations of chosen syscalls
//! return an error or a value without entering the kernel, get a signal, or are delayed.
//!
//! As in strace, invocations are counted per syscall and per thread ("per tracee"): a new
//! thread or fork child starts from zero, and a thread keeps its counts across `execve`. The
//! counts live in the shared region (`sysgate_runtime::output::shared`), one slot per thread id, so
//! that they survive the exec; the slot a thread uses is cached in its scratch word together
//! with what was done to the current call (for the ` (INJECTED)` / ` (DELAYED)` marks).
//!
//! Wire form (`inj=` in the configuration, written by `sysgate`): rules separated by `/`, each
//! `SET:KIND:VALUE:SIGNAL:DELAY_ENTER_NS:DELAY_EXIT_NS:FIRST:LAST:STEP` with SET in
//! [`SyscallSet`] words, KIND `n` (nothing), `e` (error, VALUE = errno) or `r` (retval, VALUE),
//! and `when=` as strace has it: invocation `FIRST`, then every `STEP`-th (0: only the first)
//! up to `LAST` (0: no limit). A later rule for the same syscall replaces an earlier one.

use crate::scratch;
use crate::slots::{self, TAG};
use core::sync::atomic::Ordering::Relaxed;
use sysgate_abi::x86_64::nr;
use sysgate_abi::SyscallSet;
use sysgate_runtime as rt;
use sysgate_runtime::api::{Action, Arch, StartupCell, NR_MAX};

/// Most rules one run can have.
pub const MAX_RULES: usize = 32;

/// What a rule does to the invocations it selects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    /// `error=`: return `-errno` instead of running the call.
    pub error: Option<u16>,
    /// `retval=`: return this instead of running the call.
    pub retval: Option<i64>,
    /// `signal=`: deliver this signal to the thread on entry.
    pub signal: u8,
    /// `delay_enter=` / `delay_exit=`, nanoseconds.
    pub delay_enter_ns: u64,
    pub delay_exit_ns: u64,
    /// `when=FIRST..LAST+STEP` (LAST 0: unbounded; STEP 0: FIRST only).
    pub first: u32,
    pub last: u32,
    pub step: u32,
}

impl Rule {
    /// Whether invocation number `k` (from 1) is selected.
    pub fn selects(&self, k: u64) -> bool {
        let (first, last, step) = (
            u64::from(self.first),
            u64::from(self.last),
            u64::from(self.step),
        );
        if k < first || (last != 0 && k > last) {
            return false;
        }
        if step == 0 {
            return k == first;
        }
        (k - first).checked_rem(step) == Some(0)
    }
}

/// The rules of a run and which one applies to each syscall number.
#[derive(Clone, Copy)]
pub struct Rules {
    rules: [Rule; MAX_RULES],
    /// Rule index + 1 for each x86-64 number (0: none).
    of_nr: [u8; NR_MAX],
}

impl Rules {
    /// Reads the wire form; `None` if it is malformed.
    pub fn parse(s: &str) -> Option<Rules> {
        let mut r = Rules {
            rules: [Rule::default(); MAX_RULES],
            of_nr: [0; NR_MAX],
        };
        for (i, text) in s.split('/').enumerate() {
            let slot = r.rules.get_mut(i)?;
            let mut f = text.split(':');
            let set = SyscallSet::from_words(f.next()?)?;
            let kind = f.next()?;
            let value: i64 = f.next()?.parse().ok()?;
            match kind {
                "e" => {
                    slot.error = Some(
                        u16::try_from(value)
                            .ok()
                            .filter(|e| (1..4096).contains(e))?,
                    )
                }
                "r" => slot.retval = Some(value),
                "n" => {}
                _ => return None,
            }
            slot.signal = f.next()?.parse().ok()?;
            slot.delay_enter_ns = f.next()?.parse().ok()?;
            slot.delay_exit_ns = f.next()?.parse().ok()?;
            slot.first = f.next()?.parse().ok()?;
            slot.last = f.next()?.parse().ok()?;
            slot.step = f.next()?.parse().ok()?;
            if f.next().is_some() || slot.first == 0 {
                return None;
            }
            for (n, o) in r.of_nr.iter_mut().enumerate() {
                if set.contains(n as u64) {
                    *o = (i + 1) as u8;
                }
            }
        }
        Some(r)
    }

    /// The rule for x86-64 syscall `nr`, if any.
    pub fn of(&self, nr: u64) -> Option<&Rule> {
        let i = *self.of_nr.get(usize::try_from(nr).ok()?)?;
        self.rules.get(usize::from(i).checked_sub(1)?)
    }

    /// Marks the numbers some rule applies to.
    pub fn subscribe(&self, wants: &mut [bool; NR_MAX]) {
        for (w, &o) in wants.iter_mut().zip(self.of_nr.iter()) {
            *w |= o != 0;
        }
    }
}

static RULES: StartupCell<Rules> = StartupCell::new();

/// Installs the rules (before the runtime is armed). Returns false if they are malformed.
pub fn init(wire: &str) -> bool {
    match Rules::parse(wire) {
        Some(r) => RULES.set(r),
        None => false,
    }
}

/// Whether injection is configured.
pub fn active() -> bool {
    RULES.get().is_some()
}

pub fn subscribe(wants: &mut [bool; NR_MAX]) {
    if let Some(r) = RULES.get() {
        r.subscribe(wants);
    }
}

/// Per-thread counter slots in the shared region, after the count table.
pub mod layout {
    use super::NR_MAX;
    /// First word of the slots.
    pub const BASE: usize = 8192;
    /// A slot: the thread id, then one counter per x86-64 number.
    pub const SLOT_WORDS: usize = 1 + NR_MAX;
    /// Slots `sysgate` makes room for.
    pub const SLOTS: usize = 1024;
    /// Size of the region when injection is on, in words.
    pub const REGION_WORDS: usize = BASE + SLOTS * SLOT_WORDS;
}

// Bits of the scratch word ([`scratch::INJECT`]): a slot record (`slots.rs`, marked by
// `TAG`), plus what was done to the call in flight:
/// The call in flight was answered by the rule (`error=`/`retval=`).
pub const INJECTED: u64 = 1 << 62;
/// The call in flight was delayed (on entry or, pending, on exit).
pub const DELAYED: u64 = 1 << 61;
const DELAY_EXIT: u64 = 1 << 60;
const FLAGS: u64 = INJECTED | DELAYED | DELAY_EXIT;

/// The thread's slot in the shared region, claimed on its first counted call (`slots.rs`).
fn slot(thread: &mut rt::process::thread::Thread) -> Option<usize> {
    let words = rt::output::shared::words()?;
    let w = thread.tool_scratch[scratch::INJECT];
    if let Some(i) = slots::cached(w, thread.tid) {
        return Some(i);
    }
    let tid = thread.tid as u32;
    let n = (words.len().saturating_sub(layout::BASE) / layout::SLOT_WORDS).min(layout::SLOTS);
    let at = |i: usize| layout::BASE + i * layout::SLOT_WORDS;
    // A zero word in a thread whose id is its process id: the first thread of a new image,
    // which continues the counts it had before its execve. Any other thread (a new thread,
    // a fork child, whose word still names its parent) starts from zero.
    let continues = w == 0 && thread.tid == thread.pid;
    let mut found = None;
    if continues {
        found = (0..n).find(|&i| {
            words
                .get(at(i))
                .is_some_and(|t| t.load(Relaxed) == u64::from(tid))
        });
    }
    let i = match found {
        Some(i) => i,
        None => {
            let i = slots::claim(n, |i| words.get(at(i)), thread.tid, &[0])?;
            for c in words.get(at(i) + 1..at(i) + layout::SLOT_WORDS)?.iter() {
                c.store(0, Relaxed);
            }
            i
        }
    };
    thread.tool_scratch[scratch::INJECT] = slots::record(i, thread.tid);
    Some(i)
}

fn sleep_ns(ns: u64) {
    if ns == 0 {
        return;
    }
    let ts = [(ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as i64];
    let mut rem = [0i64; 2];
    // Sleep the whole delay even when signals interrupt it (as strace's delay does).
    let mut req = ts;
    for _ in 0..1000 {
        let r = rt::raw::syscall2(nr::NANOSLEEP, req.as_ptr() as u64, rem.as_mut_ptr() as u64);
        if r != -4 {
            break;
        }
        req = rem;
    }
}

/// On entry: counts the invocation and applies the rule if it selects it. `Some(action)`
/// when the call is answered without the kernel.
pub fn enter(call: &mut rt::Call<'_>) -> Option<Action> {
    clear(call.thread);
    if call.arch != Arch::X86_64 {
        return None;
    }
    let rules = RULES.get()?;
    let rule = *rules.of(call.nr)?;
    let i = slot(call.thread)?;
    let counter = rt::output::shared::words()?
        .get(layout::BASE + i * layout::SLOT_WORDS + 1 + call.nr as usize)?;
    let k = counter.fetch_add(1, Relaxed) + 1;
    if !rule.selects(k) {
        return None;
    }
    let mut flags = 0;
    if rule.signal != 0 {
        let t = &*call.thread;
        rt::raw::syscall3(
            nr::TGKILL,
            t.pid as u64,
            t.tid as u64,
            u64::from(rule.signal),
        );
    }
    if rule.delay_enter_ns != 0 {
        sleep_ns(rule.delay_enter_ns);
        flags |= DELAYED;
    }
    if rule.delay_exit_ns != 0 {
        flags |= DELAYED | DELAY_EXIT;
    }
    let action = match (rule.error, rule.retval) {
        (Some(e), _) => Some(Action::Return(-i64::from(e))),
        (None, Some(v)) => Some(Action::Return(v)),
        (None, None) => None,
    };
    if action.is_some() {
        flags |= INJECTED;
    }
    call.thread.tool_scratch[scratch::INJECT] |= flags;
    action
}

/// On exit: the pending `delay_exit=`.
pub fn exit(call: &mut rt::Call<'_>) {
    let w = call.thread.tool_scratch[scratch::INJECT];
    if w & DELAY_EXIT != 0 && w & TAG != 0 {
        if let Some(rule) = RULES.get().and_then(|r| r.of(call.nr)) {
            sleep_ns(rule.delay_exit_ns);
        }
        call.thread.tool_scratch[scratch::INJECT] = w & !DELAY_EXIT;
    }
}

/// What was done to the call in flight: [`INJECTED`] and [`DELAYED`] bits.
pub fn marks(thread: &rt::process::thread::Thread) -> u64 {
    let w = thread.tool_scratch[scratch::INJECT];
    if w & TAG == 0 {
        return 0;
    }
    w & (INJECTED | DELAYED)
}

/// Forgets the marks of the previous call.
pub fn clear(thread: &mut rt::process::thread::Thread) {
    let w = &mut thread.tool_scratch[scratch::INJECT];
    if *w & TAG != 0 {
        *w &= !FLAGS;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(first: u32, last: u32, step: u32) -> Rule {
        Rule {
            first,
            last,
            step,
            ..Rule::default()
        }
    }

    #[test]
    fn when_expressions_select_like_strace() {
        let sel = |r: Rule| (1..=12).filter(|&k| r.selects(k)).collect::<Vec<_>>();
        assert_eq!(sel(rule(2, 0, 0)), [2]); // when=2
        assert_eq!(sel(rule(3, 0, 1)), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]); // when=3+
        assert_eq!(sel(rule(2, 0, 3)), [2, 5, 8, 11]); // when=2+3
        assert_eq!(sel(rule(2, 6, 2)), [2, 4, 6]); // when=2..6+2
        assert_eq!(sel(rule(1, 0, 1)), (1..=12).collect::<Vec<_>>()); // no when=
    }

    #[test]
    fn wire_form_round_trip() {
        let mut set = SyscallSet::empty();
        set.insert(nr::OPENAT);
        let mut w = String::new();
        set.write_words(&mut w).unwrap();
        let r = Rules::parse(&format!("{w}:e:2:0:0:0:2:0:0")).unwrap();
        let got = r.of(u64::from(nr::OPENAT)).unwrap();
        assert_eq!(got.error, Some(2));
        assert_eq!((got.first, got.last, got.step), (2, 0, 0));
        assert!(r.of(u64::from(nr::READ)).is_none());
        assert!(Rules::parse(&format!("{w}:e:0:0:0:0:2:0:0")).is_none());
        assert!(Rules::parse(&format!("{w}:x:1:0:0:0:2:0:0")).is_none());
        assert!(Rules::parse(&format!("{w}:n:0:0:0:0:0:0:0")).is_none());
        // The later rule wins.
        let two = Rules::parse(&format!("{w}:e:2:0:0:0:1:0:1/{w}:r:7:0:0:0:1:0:1")).unwrap();
        assert_eq!(two.of(u64::from(nr::OPENAT)).unwrap().retval, Some(7));
    }
}
