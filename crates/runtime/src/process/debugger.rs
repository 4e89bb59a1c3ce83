//! A program under a debugger. A process that a tracer (gdb, lldb, rr, strace, a process of
//! the program's own) traces sees every signal of it, and each first call of a syscall site
//! here is a SIGSYS (`ways_in/sud.rs`): gdb would stop on them ("Program received signal
//! SIGSYS"). And a debugger reads the image the kernel started (its auxiliary vector,
//! `/proc/PID/exe`, the mappings at the exec stop), which under the loader is the loader.
//!
//! So a traced process steps out of sysgate's way at its next `execve`: the kernel execs the
//! new image itself, with none of the runtime's descriptors (`fds::close_on_exec`), and the
//! debugger meets the program exactly as it would natively. The process that debugs it stays
//! under sysgate. A thread that asks to be traced (`PTRACE_TRACEME`, as a debugger's child
//! does before it execs the program) turns Syscall User Dispatch off at once, so that the
//! calls before its exec reach the kernel without a signal.
//!
//! Not for `sandbox` (`debuggee=keep`): a program there must not leave the sandbox by being
//! traced; the traced image goes through the loader as any other, and a debugger sees the
//! SIGSYS signals (and the seccomp filter and Landlock ruleset hold whatever it does).

use crate::config;
use crate::memory::guest;
use crate::process::thread::Thread;
use crate::raw::{self, sys};

/// Whether a traced program leaves sysgate (not under `debuggee=keep`).
fn may_leave() -> bool {
    config::get().get("debuggee") != Some("keep")
}

/// The pid of the calling thread's tracer (`TracerPid:` of `/proc/thread-self/status`), 0
/// when it has none or that cannot be read.
pub(crate) fn tracer() -> i32 {
    let mut buf = [0u8; 2048];
    match raw::read_file(c"/proc/thread-self/status", &mut buf) {
        Some(n) => tracer_in(&buf[..n]),
        None => 0,
    }
}

/// `TracerPid:` of a `status` file's text.
fn tracer_in(status: &[u8]) -> i32 {
    const KEY: &[u8] = b"\nTracerPid:";
    let Some(at) = status.windows(KEY.len()).position(|w| w == KEY) else {
        return 0;
    };
    let mut v = 0i32;
    for &c in status[at + KEY.len()..]
        .iter()
        .skip_while(|c| **c == b' ' || **c == b'\t')
    {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add((c - b'0') as i32);
    }
    v
}

/// Whether the `execve` about to happen in this thread is to run outside sysgate: the thread is
/// traced and the tool lets a traced program go. Returns the tracer's pid then.
pub(crate) fn exec_leaves() -> Option<i32> {
    if !may_leave() {
        return None;
    }
    match tracer() {
        0 => None,
        pid => Some(pid),
    }
}

/// Whether a program that leaves sysgate loses anything the user asked for: a trace, counts,
/// the virtual clock or injected faults (a plain `sysgate run` loses nothing, and says nothing).
pub(crate) fn tool_is_missed() -> bool {
    let c = config::get();
    c.get("tool") != Some("run") || c.get("clock").is_some() || c.get("inj").is_some()
}

/// `ptrace`: the call is the kernel's. After a successful `PTRACE_TRACEME` the calling thread
/// stops trapping its calls (see the module's text); any other request makes this process a
/// tracer, whose waits then hide the SIGSYS stops of its tracees ([`wait4`], [`waitid`]), and
/// the request that resumed each tracee is kept to resume it the same way.
pub(crate) fn ptrace(t: &mut Thread, a: [u64; 6]) -> i64 {
    let r = raw::syscall6(sys::__NR_ptrace, a);
    if r < 0 {
        return r;
    }
    let req = a[0] as u32;
    if req == pt::PTRACE_TRACEME {
        if may_leave() {
            crate::process::thread::disarm_dispatch(t);
            // Its exec may now reach the kernel directly: the image gets none of ours.
            crate::process::fds::close_on_exec(true);
        }
        return r;
    }
    TRACER.store(true, Ordering::Relaxed);
    if RESUMES.contains(&req) {
        let tid = a[1] as u32;
        LAST_RESUME[tid as usize % LAST_RESUME.len()]
            .store((tid as u64) << 32 | req as u64, Ordering::Relaxed);
    }
    r
}

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use linux_raw_sys::ptrace as pt;

/// This process has traced another (`ptrace` other than `PTRACE_TRACEME` succeeded).
static TRACER: AtomicBool = AtomicBool::new(false);

/// The requests that resume a stopped tracee (with a signal in `data`).
const RESUMES: [u32; 5] = [
    pt::PTRACE_CONT,
    pt::PTRACE_SYSCALL,
    pt::PTRACE_SINGLESTEP,
    pt::PTRACE_SYSEMU,
    pt::PTRACE_SYSEMU_SINGLESTEP,
];

/// The last resume request per tracee, `tid << 32 | request`, at `tid % 256` (a tracee whose
/// slot another has taken is resumed with `PTRACE_CONT`).
static LAST_RESUME: [AtomicU64; 256] = [const { AtomicU64::new(0) }; 256];

/// Whether this process is a tracer (its waits go through [`wait4`] and [`waitid`]).
pub(crate) fn is_tracer() -> bool {
    TRACER.load(Ordering::Relaxed)
}

const SIGSYS: u32 = 31;
/// `si_code` of a Syscall User Dispatch SIGSYS, and of a seccomp `RET_TRAP`.
const SYS_USER_DISPATCH: i32 = 2;
const SYS_SECCOMP: i32 = 1;
const VSYSCALL_PAGE: u64 = 0xffff_ffff_ff60_0000;

/// Whether tracee `tid`, in a signal-delivery stop for SIGSYS, stopped for one of the runtime's
/// own traps: a first call of a syscall site, or a call to the vsyscall page caught by the
/// runtime's seccomp filter. Such a stop is the runtime's business, not the debugger's.
fn runtime_trap(tid: i32) -> bool {
    let mut si = [0u8; 128];
    let r = raw::syscall4(
        sys::__NR_ptrace,
        pt::PTRACE_GETSIGINFO as u64,
        tid as u64,
        0,
        si.as_mut_ptr() as u64,
    );
    if r < 0 {
        return false;
    }
    let word = |at: usize| i32::from_ne_bytes([si[at], si[at + 1], si[at + 2], si[at + 3]]);
    let (signo, code) = (word(0), word(8));
    let call_addr = u64::from_ne_bytes(si[16..24].try_into().unwrap_or([0; 8]));
    signo == SIGSYS as i32
        && (code == SYS_USER_DISPATCH
            || (code == SYS_SECCOMP && call_addr & !0xfff == VSYSCALL_PAGE))
}

/// Lets tracee `tid` go on into the runtime's SIGSYS handler, resumed as its debugger last
/// resumed it.
fn pass_on(tid: i32) {
    let slot = LAST_RESUME[tid as u32 as usize % LAST_RESUME.len()].load(Ordering::Relaxed);
    let req = if slot >> 32 == tid as u32 as u64 {
        slot & 0xffff_ffff
    } else {
        pt::PTRACE_CONT as u64
    };
    raw::syscall4(sys::__NR_ptrace, req, tid as u64, 0, SIGSYS as u64);
}

/// `wait4` of a tracer: a stop of a tracee for a runtime trap is passed on and waited past, so
/// the debugger never sees it (it would report "Program received signal SIGSYS").
pub(crate) fn wait4(a: [u64; 6]) -> i64 {
    loop {
        let mut status = 0i32;
        let r = raw::syscall4(
            sys::__NR_wait4,
            a[0],
            &mut status as *mut i32 as u64,
            a[2],
            a[3],
        );
        if r > 0 {
            let s = status as u32;
            // WIFSTOPPED, WSTOPSIG == SIGSYS, no ptrace event in the high bits.
            if s & 0xff == 0x7f
                && (s >> 8) & 0xff == SIGSYS
                && s >> 16 == 0
                && runtime_trap(r as i32)
            {
                pass_on(r as i32);
                continue;
            }
            if a[1] != 0 && !guest::write_struct(a[1], &status) {
                return -(sys::EFAULT as i64);
            }
        }
        return r;
    }
}

/// `waitid` of a tracer, as [`wait4`].
pub(crate) fn waitid(a: [u64; 6]) -> i64 {
    const CLD_TRAPPED: i32 = 4;
    loop {
        let mut si = [0u8; 128];
        let r = raw::syscall6(
            sys::__NR_waitid,
            [a[0], a[1], si.as_mut_ptr() as u64, a[3], a[4], 0],
        );
        if r == 0 {
            let word = |at: usize| i32::from_ne_bytes([si[at], si[at + 1], si[at + 2], si[at + 3]]);
            let (code, pid, status) = (word(8), word(16), word(24));
            if code == CLD_TRAPPED && status == SIGSYS as i32 && pid > 0 && runtime_trap(pid) {
                pass_on(pid);
                continue;
            }
            if a[2] != 0 && !guest::write(a[2], &si) {
                return -(sys::EFAULT as i64);
            }
        }
        return r;
    }
}

#[cfg(test)]
mod tests {
    use super::tracer_in;

    #[test]
    fn tracer_pid_is_read_from_status_text() {
        let text = b"Name:\tcat\nState:\tR (running)\nTgid:\t7\nPid:\t7\nPPid:\t1\nTracerPid:\t4242\nUid:\t0\n";
        assert_eq!(tracer_in(text), 4242);
        assert_eq!(tracer_in(b"Name:\tx\nTracerPid:\t0\n"), 0);
        assert_eq!(tracer_in(b"Name:\tx\n"), 0);
    }
}
