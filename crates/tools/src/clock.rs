//! The virtual clock of `sysgate run --clock=TIME [--clock-rate=R]`: the program's wall clock
//! starts at TIME when sysgate starts it and runs at R times real speed.
//!
//! Every way a program reads the time ends in a syscall here: libc's `clock_gettime`,
//! `gettimeofday` and `time` (the loader leaves the vDSO out, or `--vdso=patch` redirects its
//! functions into the entry), the legacy vsyscall page (trapped by the runtime's seccomp
//! filter), and raw syscalls of static and Go programs. Deadlines go the other way: an
//! absolute `clock_nanosleep`/`timerfd_settime` deadline in virtual time is converted to real
//! time before the kernel sees it, and `utimensat(…, NULL, …)`/`futimens(fd, NULL)` (and
//! `UTIME_NOW`) set the virtual time on the file. With a rate other than 1 the monotonic
//! clocks are scaled too (around the start), and relative sleeps and timer intervals shrink
//! or grow accordingly.
//!
//! Not virtualised: file times the kernel sets by itself (a write's mtime), `timer_settime`
//! deadlines of POSIX timers, `adjtimex`. `clock_settime`/`settimeofday` fail with EPERM:
//! the program cannot move a clock it shares with its whole process tree.
//!
//! Wire form: `clock=VIRT,REAL,MONO,PPM`: the virtual and the real `CLOCK_REALTIME` and the
//! real `CLOCK_MONOTONIC` at the start (ns), and the rate in millionths.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use sysgate_abi::x86_64::nr;
use sysgate_runtime as rt;
use sysgate_runtime::api::{Action, Arch, StartupCell, NR_MAX};

/// Where the virtual clock starts and how fast it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Virtual `CLOCK_REALTIME` at the start, ns since the epoch.
    pub virt: i64,
    /// Real `CLOCK_REALTIME` at the start.
    pub real: i64,
    /// Real `CLOCK_MONOTONIC` at the start.
    pub mono: i64,
    /// Rate in millionths (1_000_000: real speed).
    pub ppm: i64,
}

const MILLION: i128 = 1_000_000;

impl Settings {
    pub fn parse(s: &str) -> Option<Settings> {
        let mut it = s.split(',').map(|v| v.parse::<i64>().ok());
        let st = Settings {
            virt: it.next()??,
            real: it.next()??,
            mono: it.next()??,
            ppm: it.next()??,
        };
        (it.next().is_none() && st.ppm > 0).then_some(st)
    }

    fn scaled(&self) -> bool {
        self.ppm != MILLION as i64
    }

    /// Virtual time of a reading `x` of a clock of `family` (ns).
    pub fn to_virtual(&self, family: Family, x: i64) -> i64 {
        let (base_real, base_virt) = match family {
            Family::Realtime { offset } => (self.real + offset, self.virt + offset),
            Family::Monotonic if self.scaled() => (self.mono, self.mono),
            _ => return x,
        };
        let d = i128::from(x) - i128::from(base_real);
        clamp(i128::from(base_virt) + d * i128::from(self.ppm) / MILLION)
    }

    /// Real time at which a clock of `family` reads virtual time `v` (an absolute deadline).
    pub fn to_real(&self, family: Family, v: i64) -> i64 {
        let (base_real, base_virt) = match family {
            Family::Realtime { offset } => (self.real + offset, self.virt + offset),
            Family::Monotonic if self.scaled() => (self.mono, self.mono),
            _ => return v,
        };
        let d = i128::from(v) - i128::from(base_virt);
        clamp(i128::from(base_real) + d * MILLION / i128::from(self.ppm))
    }

    /// A relative virtual duration in real time.
    pub fn duration_to_real(&self, d: i64) -> i64 {
        clamp(i128::from(d) * MILLION / i128::from(self.ppm))
    }

    /// A relative real duration in virtual time.
    pub fn duration_to_virtual(&self, d: i64) -> i64 {
        clamp(i128::from(d) * i128::from(self.ppm) / MILLION)
    }
}

fn clamp(v: i128) -> i64 {
    v.clamp(0, i128::from(i64::MAX)) as i64
}

/// How a clock relates to the virtual clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// A wall clock (`CLOCK_REALTIME*`, `CLOCK_TAI` with its offset from realtime in ns).
    Realtime { offset: i64 },
    /// A clock that counts from boot (scaled only when the rate is not 1).
    Monotonic,
    /// CPU-time and other clocks: left alone.
    Other,
}

const CLOCK_REALTIME: u64 = 0;
const CLOCK_TAI: u64 = 11;

fn family(clock: u64) -> Family {
    match clock {
        0 | 5 | 8 => Family::Realtime { offset: 0 }, // REALTIME, _COARSE, _ALARM
        CLOCK_TAI => {
            let (Some(tai), Some(real)) = (read(CLOCK_TAI), read(CLOCK_REALTIME)) else {
                return Family::Other;
            };
            // Whole seconds: the two readings are not taken at the same instant.
            let off = (tai - real + 500_000_000) / 1_000_000_000 * 1_000_000_000;
            Family::Realtime { offset: off }
        }
        1 | 4 | 6 | 7 | 9 => Family::Monotonic, // MONOTONIC, _RAW, _COARSE, BOOTTIME, _ALARM
        _ => Family::Other,
    }
}

static SETTINGS: StartupCell<Settings> = StartupCell::new();

/// Installs the clock (before the runtime is armed). False if the wire form is malformed.
pub fn init(wire: &str) -> bool {
    match Settings::parse(wire) {
        Some(s) => SETTINGS.set(s),
        None => false,
    }
}

pub fn active() -> bool {
    SETTINGS.get().is_some()
}

pub fn subscribe(wants: &mut [bool; NR_MAX]) {
    if !active() {
        return;
    }
    for n in [
        nr::CLOCK_GETTIME,
        nr::GETTIMEOFDAY,
        nr::TIME,
        nr::CLOCK_NANOSLEEP,
        nr::NANOSLEEP,
        nr::TIMERFD_CREATE,
        nr::TIMERFD_SETTIME,
        nr::TIMERFD_GETTIME,
        nr::UTIMENSAT,
        nr::UTIMES,
        nr::UTIME,
        nr::FUTIMESAT,
        nr::CLOCK_SETTIME,
        nr::SETTIMEOFDAY,
    ] {
        if let Some(w) = wants.get_mut(n as usize) {
            *w = true;
        }
    }
}

fn read(clock: u64) -> Option<i64> {
    let mut ts = [0i64; 2];
    (rt::raw::syscall2(nr::CLOCK_GETTIME, clock, ts.as_mut_ptr() as u64) == 0)
        .then(|| ts[0].saturating_mul(1_000_000_000).saturating_add(ts[1]))
}

fn ts_of(ns: i64) -> [i64; 2] {
    [ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000)]
}

/// Each `timespec` in `words` (seconds, nanoseconds pairs: a timer's interval and value), a
/// real duration, becomes the virtual one.
fn durations_to_virtual(st: &Settings, words: &mut [i64]) {
    for pair in words.chunks_mut(2) {
        if let [sec, nsec] = pair {
            [*sec, *nsec] = ts_of(st.duration_to_virtual(ns_of([*sec, *nsec])));
        }
    }
}

fn ns_of(ts: [i64; 2]) -> i64 {
    ts[0].saturating_mul(1_000_000_000).saturating_add(ts[1])
}

fn read_ts(addr: u64) -> Option<[i64; 2]> {
    let mut b = [0u8; 16];
    if !rt::memory::guest::read(addr, &mut b) {
        return None;
    }
    let (s, n) = b.split_at(8);
    Some([
        i64::from_ne_bytes(s.try_into().ok()?),
        i64::from_ne_bytes(n.try_into().ok()?),
    ])
}

fn write_words(addr: u64, words: &[i64]) -> bool {
    let mut b = [0u8; 32];
    for (chunk, w) in b.chunks_mut(8).zip(words.iter()) {
        chunk.copy_from_slice(&w.to_ne_bytes());
    }
    rt::memory::guest::write(addr, b.get(..words.len() * 8).unwrap_or(&[]))
}

const EFAULT: i64 = -14;
const EINVAL: i64 = -22;
const EPERM: i64 = -1;
const TIMER_ABSTIME: u64 = 1;
/// `UTIME_NOW` / `UTIME_OMIT` in a timespec's nanoseconds.
const UTIME_NOW: i64 = (1 << 30) - 1;
const AT_FDCWD: u64 = -100i64 as u64;

/// Descriptors (below 4096) of timerfds on a wall clock, and on a monotonic one: deadlines
/// set on them with `TFD_TIMER_ABSTIME` are converted.
static TIMERFD_REAL: [AtomicU64; 64] = [const { AtomicU64::new(0) }; 64];
static TIMERFD_MONO: [AtomicU64; 64] = [const { AtomicU64::new(0) }; 64];

fn fd_bit(set: &[AtomicU64; 64], fd: u64, on: Option<bool>) -> bool {
    let Some(w) = set.get((fd / 64) as usize) else {
        return false;
    };
    let bit = 1u64 << (fd % 64);
    match on {
        Some(true) => w.fetch_or(bit, Relaxed) & bit != 0,
        Some(false) => w.fetch_and(!bit, Relaxed) & bit != 0,
        None => w.load(Relaxed) & bit != 0,
    }
}

/// Answers the time calls and rewrites deadlines. `Some` when the call was answered here
/// (the kernel call, if any, was made with converted arguments).
pub fn enter(call: &mut rt::Call<'_>) -> Option<Action> {
    let st = *SETTINGS.get()?;
    if call.arch != Arch::X86_64 {
        return None;
    }
    let a = call.args();
    let n = u32::try_from(call.nr).ok()?;
    let ret = match n {
        nr::CLOCK_GETTIME => {
            let mut ts = [0i64; 2];
            let r = rt::raw::syscall2(nr::CLOCK_GETTIME, a[0], ts.as_mut_ptr() as u64);
            if r != 0 {
                return Some(Action::Return(r));
            }
            let v = st.to_virtual(family(a[0]), ns_of(ts));
            if write_words(a[1], &ts_of(v)) {
                0
            } else {
                EFAULT
            }
        }
        nr::GETTIMEOFDAY => {
            if a[1] != 0 {
                // The time zone part, from the kernel.
                let r = rt::raw::syscall2(nr::GETTIMEOFDAY, 0, a[1]);
                if r != 0 {
                    return Some(Action::Return(r));
                }
            }
            if a[0] != 0 {
                let v = st.to_virtual(Family::Realtime { offset: 0 }, read(CLOCK_REALTIME)?);
                let [s, ns] = ts_of(v);
                if !write_words(a[0], &[s, ns / 1000]) {
                    return Some(Action::Return(EFAULT));
                }
            }
            0
        }
        nr::TIME => {
            let v = st.to_virtual(Family::Realtime { offset: 0 }, read(CLOCK_REALTIME)?);
            let s = v.div_euclid(1_000_000_000);
            if a[0] != 0 && !write_words(a[0], &[s]) {
                EFAULT
            } else {
                s
            }
        }
        nr::CLOCK_NANOSLEEP => {
            let fam = family(a[0]);
            let abs = a[1] & TIMER_ABSTIME != 0;
            let convert = if abs {
                fam != Family::Other && (matches!(fam, Family::Realtime { .. }) || st.scaled())
            } else {
                st.scaled()
            };
            if !convert {
                return None;
            }
            let Some(req) = read_ts(a[2]) else {
                return Some(Action::Return(EFAULT));
            };
            if req[1] < 0 || req[1] >= 1_000_000_000 || req[0] < 0 {
                return Some(Action::Return(EINVAL));
            }
            let real = if abs {
                st.to_real(fam, ns_of(req))
            } else {
                st.duration_to_real(ns_of(req))
            };
            let ts = ts_of(real);
            let mut rem = [0i64; 2];
            let r = rt::raw::syscall4(
                nr::CLOCK_NANOSLEEP,
                a[0],
                a[1],
                ts.as_ptr() as u64,
                rem.as_mut_ptr() as u64,
            );
            if r == -4 && !abs && a[3] != 0 {
                write_words(a[3], &ts_of(st.duration_to_virtual(ns_of(rem))));
            }
            r
        }
        nr::NANOSLEEP => {
            if !st.scaled() {
                return None;
            }
            let Some(req) = read_ts(a[0]) else {
                return Some(Action::Return(EFAULT));
            };
            if req[1] < 0 || req[1] >= 1_000_000_000 || req[0] < 0 {
                return Some(Action::Return(EINVAL));
            }
            let ts = ts_of(st.duration_to_real(ns_of(req)));
            let mut rem = [0i64; 2];
            let r = rt::raw::syscall2(nr::NANOSLEEP, ts.as_ptr() as u64, rem.as_mut_ptr() as u64);
            if r == -4 && a[1] != 0 {
                write_words(a[1], &ts_of(st.duration_to_virtual(ns_of(rem))));
            }
            r
        }
        nr::TIMERFD_CREATE => {
            let r = rt::raw::syscall2(nr::TIMERFD_CREATE, a[0], a[1]);
            if r >= 0 {
                let fam = family(a[0]);
                fd_bit(
                    &TIMERFD_REAL,
                    r as u64,
                    Some(matches!(fam, Family::Realtime { .. })),
                );
                fd_bit(&TIMERFD_MONO, r as u64, Some(fam == Family::Monotonic));
            }
            r
        }
        nr::TIMERFD_SETTIME => {
            let fd = a[0] & 0xffff_ffff;
            let fam = if fd_bit(&TIMERFD_REAL, fd, None) {
                Family::Realtime { offset: 0 }
            } else if fd_bit(&TIMERFD_MONO, fd, None) {
                Family::Monotonic
            } else {
                Family::Other
            };
            let abs = a[1] & TIMER_ABSTIME != 0;
            let convert_value = if abs {
                matches!(fam, Family::Realtime { .. }) || st.scaled()
            } else {
                st.scaled()
            };
            if fam == Family::Other || !(convert_value || st.scaled()) {
                return None;
            }
            let (Some(interval), Some(value)) = (read_ts(a[2]), read_ts(a[2].wrapping_add(16)))
            else {
                return Some(Action::Return(EFAULT));
            };
            let interval = if st.scaled() {
                ts_of(st.duration_to_real(ns_of(interval)))
            } else {
                interval
            };
            let disarm = value == [0, 0];
            let value = if disarm || !convert_value {
                value
            } else if abs {
                ts_of(st.to_real(fam, ns_of(value)).max(1))
            } else {
                ts_of(st.duration_to_real(ns_of(value)).max(1))
            };
            let new = [interval[0], interval[1], value[0], value[1]];
            let mut old = [0i64; 4];
            let r = rt::raw::syscall4(
                nr::TIMERFD_SETTIME,
                a[0],
                a[1],
                new.as_ptr() as u64,
                old.as_mut_ptr() as u64,
            );
            if r == 0 && a[3] != 0 {
                if st.scaled() {
                    durations_to_virtual(&st, &mut old);
                }
                if !write_words(a[3], &old) {
                    return Some(Action::Return(EFAULT));
                }
            }
            r
        }
        nr::TIMERFD_GETTIME => {
            if !st.scaled() {
                return None;
            }
            let mut cur = [0i64; 4];
            let r = rt::raw::syscall2(nr::TIMERFD_GETTIME, a[0], cur.as_mut_ptr() as u64);
            if r == 0 {
                durations_to_virtual(&st, &mut cur);
                if !write_words(a[1], &cur) {
                    return Some(Action::Return(EFAULT));
                }
            }
            r
        }
        nr::UTIMENSAT => {
            let now = ts_of(st.to_virtual(Family::Realtime { offset: 0 }, read(CLOCK_REALTIME)?));
            let mut times = [now[0], now[1], now[0], now[1]];
            if a[2] != 0 {
                let (Some(at), Some(mt)) = (read_ts(a[2]), read_ts(a[2].wrapping_add(16))) else {
                    return Some(Action::Return(EFAULT));
                };
                if at[1] != UTIME_NOW && mt[1] != UTIME_NOW {
                    return None;
                }
                for (slot, t) in times.chunks_mut(2).zip([at, mt]) {
                    if t[1] != UTIME_NOW {
                        slot.copy_from_slice(&t);
                    }
                }
            }
            rt::raw::syscall4(nr::UTIMENSAT, a[0], a[1], times.as_ptr() as u64, a[3])
        }
        nr::UTIMES | nr::UTIME | nr::FUTIMESAT => {
            // The NULL forms: "now" for both times.
            let (dirfd, path, times) = match n {
                nr::FUTIMESAT => (a[0], a[1], a[2]),
                _ => (AT_FDCWD, a[0], a[1]),
            };
            if times != 0 {
                return None;
            }
            let now = ts_of(st.to_virtual(Family::Realtime { offset: 0 }, read(CLOCK_REALTIME)?));
            let t = [now[0], now[1], now[0], now[1]];
            rt::raw::syscall4(nr::UTIMENSAT, dirfd, path, t.as_ptr() as u64, 0)
        }
        nr::CLOCK_SETTIME => match family(a[0]) {
            Family::Other => return None,
            _ => EPERM,
        },
        nr::SETTIMEOFDAY => EPERM,
        _ => return None,
    };
    Some(Action::Return(ret))
}

/// A descriptor the program closed is no longer a timerfd of ours.
pub fn closed(fd: u64) {
    fd_bit(&TIMERFD_REAL, fd, Some(false));
    fd_bit(&TIMERFD_MONO, fd, Some(false));
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn realtime_moves_to_the_virtual_start() {
        let st = Settings {
            virt: 978_307_200 * S,
            real: 1_700_000_000 * S,
            mono: 50 * S,
            ppm: 1_000_000,
        };
        let rt = Family::Realtime { offset: 0 };
        assert_eq!(st.to_virtual(rt, 1_700_000_003 * S), 978_307_203 * S);
        assert_eq!(st.to_real(rt, 978_307_210 * S), 1_700_000_010 * S);
        // Monotonic clocks are left alone at real speed.
        assert_eq!(st.to_virtual(Family::Monotonic, 77 * S), 77 * S);
        assert_eq!(st.to_virtual(Family::Other, 5), 5);
        assert_eq!(
            Settings::parse("978307200000000000,1700000000000000000,50000000000,1000000"),
            Some(st)
        );
        assert_eq!(Settings::parse("1,2,3,0"), None);
        assert_eq!(Settings::parse("1,2,3"), None);
    }

    #[test]
    fn rates_scale_time_and_durations() {
        let st = Settings {
            virt: 1000 * S,
            real: 5000 * S,
            mono: 10 * S,
            ppm: 10_000_000,
        };
        let rt = Family::Realtime { offset: 0 };
        assert_eq!(st.to_virtual(rt, 5001 * S), 1010 * S);
        assert_eq!(st.to_real(rt, 1010 * S), 5001 * S);
        assert_eq!(st.to_virtual(Family::Monotonic, 12 * S), 30 * S);
        assert_eq!(st.to_real(Family::Monotonic, 30 * S), 12 * S);
        assert_eq!(st.duration_to_real(10 * S), S);
        assert_eq!(st.duration_to_virtual(S), 10 * S);
        // TAI keeps its offset from realtime.
        let tai = Family::Realtime { offset: 37 * S };
        assert_eq!(st.to_virtual(tai, 5038 * S), 1047 * S);
    }
}
