//! Signal delivery lines: `--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=42, …} ---`,
//! laid out as strace's `printsiginfo` does for each kind of `si_code`.

use crate::Out;
use core::fmt::Write;
use sysgate_abi::signal as sig;

fn i32_at(b: &[u8; 128], off: usize) -> i32 {
    i32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}
fn u64_at(b: &[u8; 128], off: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(w)
}

fn name_or_num(out: &mut Out<'_>, n: i32) {
    match sig::name(n) {
        Some(s) => out.push_str(s),
        None => {
            let _ = write!(out, "{n}");
        }
    }
}

/// The name of `code` for signal `signo` (the generic `SI_*` codes first).
fn code_name(signo: i32, code: i32) -> Option<&'static str> {
    let generic = match code {
        0 => Some("SI_USER"),
        0x80 => Some("SI_KERNEL"),
        -1 => Some("SI_QUEUE"),
        -2 => Some("SI_TIMER"),
        -3 => Some("SI_MESGQ"),
        -4 => Some("SI_ASYNCIO"),
        -5 => Some("SI_SIGIO"),
        -6 => Some("SI_TKILL"),
        -7 => Some("SI_DETHREAD"),
        -60 => Some("SI_ASYNCNL"),
        _ => None,
    };
    if generic.is_some() || code <= 0 {
        return generic;
    }
    let table: &[&str] = match signo {
        4 => &[
            "ILL_ILLOPC",
            "ILL_ILLOPN",
            "ILL_ILLADR",
            "ILL_ILLTRP",
            "ILL_PRVOPC",
            "ILL_PRVREG",
            "ILL_COPROC",
            "ILL_BADSTK",
            "ILL_BADIADDR",
        ],
        8 => &[
            "FPE_INTDIV",
            "FPE_INTOVF",
            "FPE_FLTDIV",
            "FPE_FLTOVF",
            "FPE_FLTUND",
            "FPE_FLTRES",
            "FPE_FLTINV",
            "FPE_FLTSUB",
            "FPE_FLTUNK",
            "FPE_CONDTRAP",
        ],
        11 => &[
            "SEGV_MAPERR",
            "SEGV_ACCERR",
            "SEGV_BNDERR",
            "SEGV_PKUERR",
            "SEGV_ACCADI",
            "SEGV_ADIDERR",
            "SEGV_ADIPERR",
            "SEGV_MTEAERR",
            "SEGV_MTESERR",
            "SEGV_CPERR",
        ],
        7 => &[
            "BUS_ADRALN",
            "BUS_ADRERR",
            "BUS_OBJERR",
            "BUS_MCEERR_AR",
            "BUS_MCEERR_AO",
        ],
        5 => &[
            "TRAP_BRKPT",
            "TRAP_TRACE",
            "TRAP_BRANCH",
            "TRAP_HWBKPT",
            "TRAP_UNK",
            "TRAP_PERF",
        ],
        17 => &[
            "CLD_EXITED",
            "CLD_KILLED",
            "CLD_DUMPED",
            "CLD_TRAPPED",
            "CLD_STOPPED",
            "CLD_CONTINUED",
        ],
        29 => &[
            "POLL_IN", "POLL_OUT", "POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP",
        ],
        31 => &["SYS_SECCOMP", "SYS_USER_DISPATCH"],
        _ => &[],
    };
    table.get(code as usize - 1).copied()
}

/// A `clock_t` in ticks of `USER_HZ` (100 on x86), with its seconds when not zero, as strace
/// prints one: `7 /* 0.07 s */`.
fn clock_t(out: &mut Out<'_>, v: u64) {
    let _ = write!(out, "{v}");
    if v > 0 {
        const USER_HZ: u64 = 100;
        let _ = write!(out, " /* {}.{:02} s */", v / USER_HZ, v % USER_HZ);
    }
}

fn ptr(out: &mut Out<'_>, v: u64) {
    if v == 0 {
        out.push_str("NULL");
    } else {
        let _ = write!(out, "{v:#x}");
    }
}

/// `--- SIGxxx {…} ---` for the 128-byte `siginfo_t` in `info`, ending in a newline.
pub fn format_signal(out: &mut Out<'_>, info: &[u8; 128], pids: Option<&dyn crate::GuestMem>) {
    let signo = i32_at(info, 0);
    let errno = i32_at(info, 4);
    let code = i32_at(info, 8);
    out.push_str("--- ");
    name_or_num(out, signo);
    out.push_str(" {si_signo=");
    name_or_num(out, signo);
    out.push_str(", si_code=");
    match code_name(signo, code) {
        Some(n) => out.push_str(n),
        None => {
            let _ = write!(out, "{code}");
        }
    }
    if errno != 0 {
        let _ = write!(out, ", si_errno={errno}");
    }
    let pid = i32_at(info, 16);
    let uid = i32_at(info, 20) as u32;
    match code {
        0 | -6 => {
            out.push_str(", si_pid=");
            crate::write_pid(out, pid, pids);
            let _ = write!(out, ", si_uid={uid}");
        }
        -1 | -3 => {
            out.push_str(", si_pid=");
            crate::write_pid(out, pid, pids);
            let _ = write!(out, ", si_uid={uid}, si_int={}, si_ptr=", i32_at(info, 24));
            ptr(out, u64_at(info, 24));
        }
        -2 => {
            let _ = write!(
                out,
                ", si_timerid={:#x}, si_overrun={}, si_int={}, si_ptr=",
                pid,
                uid as i32,
                i32_at(info, 24)
            );
            ptr(out, u64_at(info, 24));
        }
        c if c > 0 && c != 0x80 => match signo {
            4 | 8 | 11 | 7 | 5 => {
                out.push_str(", si_addr=");
                ptr(out, u64_at(info, 16));
            }
            17 => {
                let status = i32_at(info, 24);
                out.push_str(", si_pid=");
                crate::write_pid(out, pid, pids);
                let _ = write!(out, ", si_uid={uid}, si_status=");
                if c == 1 || c == 4 || c == 5 || c == 6 {
                    let _ = write!(out, "{status}");
                } else {
                    name_or_num(out, status);
                }
                out.push_str(", si_utime=");
                clock_t(out, u64_at(info, 32));
                out.push_str(", si_stime=");
                clock_t(out, u64_at(info, 40));
            }
            29 => {
                let _ = write!(
                    out,
                    ", si_band={}, si_fd={}",
                    u64_at(info, 16) as i64,
                    i32_at(info, 24)
                );
            }
            _ => {}
        },
        _ => {}
    }
    out.push_str("} ---");
    out.end_line();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(signo: i32, code: i32, f: impl FnOnce(&mut [u8; 128])) -> [u8; 128] {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&signo.to_le_bytes());
        b[8..12].copy_from_slice(&code.to_le_bytes());
        f(&mut b);
        b
    }

    fn line(b: &[u8; 128]) -> std::string::String {
        let mut buf = [0u8; 512];
        let mut out = Out::new(&mut buf);
        format_signal(&mut out, b, None);
        std::string::String::from_utf8(out.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn strace_layouts() {
        let tkill = info(10, -6, |b| {
            b[16..20].copy_from_slice(&1234i32.to_le_bytes());
        });
        assert_eq!(
            line(&tkill),
            "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=1234, si_uid=0} ---\n"
        );
        let chld = info(17, 1, |b| {
            b[16..20].copy_from_slice(&42i32.to_le_bytes());
            b[24..28].copy_from_slice(&3i32.to_le_bytes());
        });
        assert_eq!(
            line(&chld),
            "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=42, si_uid=0, si_status=3, si_utime=0, si_stime=0} ---\n"
        );
        // CPU time in ticks, with strace's seconds comment.
        let timed = info(17, 1, |b| {
            b[16..20].copy_from_slice(&42i32.to_le_bytes());
            b[32..40].copy_from_slice(&7u64.to_le_bytes());
            b[40..48].copy_from_slice(&123u64.to_le_bytes());
        });
        assert_eq!(
            line(&timed),
            "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=42, si_uid=0, si_status=0, si_utime=7 /* 0.07 s */, si_stime=123 /* 1.23 s */} ---\n"
        );
        let segv = info(11, 1, |b| b[16..24].copy_from_slice(&8u64.to_le_bytes()));
        assert_eq!(
            line(&segv),
            "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x8} ---\n"
        );
        let alrm = info(14, 0x80, |_| {});
        assert_eq!(
            line(&alrm),
            "--- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---\n"
        );
    }
}
