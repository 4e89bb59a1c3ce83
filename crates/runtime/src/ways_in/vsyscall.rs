//! The legacy vsyscall page (seed 000): calls to 0xffffffffff600000 (gettimeofday), +0x400
//! (time) and +0x800 (getcpu).
//!
//! Syscall User Dispatch does not see them: the kernel emulates them in its page-fault path
//! (vsyscall=xonly: a call is recognised by the instruction pointer alone; reads of the page
//! still fault). The emulation consults seccomp, so a filter that returns `RET_TRAP`
//! only when the instruction pointer is in that page turns each call into a SIGSYS with
//! `si_code = SYS_SECCOMP`, `si_syscall` = 96/201/309 and the `ret` already emulated (RIP =
//! the caller's return address, RSP + 8). The SIGSYS handler sends it into the entry like any
//! trapped call.
//!
//! Filters survive `execve` and can never be removed, so the filter is installed once per
//! process tree (`SYSGATE_SECCOMP=1` tells later images) and only where it needs no
//! `no_new_privs` (with CAP_SYS_ADMIN): setting `no_new_privs` would change what setuid programs
//! run under sysgate can do.
//!
//! And only where it can matter. Even with the kernel's action cache a filter costs every
//! syscall of the program: its seccomp data is gathered before the cache is asked, about 40 ns
//! a call on this machine's kernel (a getppid loop under `count`: 209 ns with the filter,
//! 170 ns without, native 158). So it goes in only when the tool wants one of the three numbers
//! (a call nobody wants is served just as well by the kernel's own emulation) and, by default
//! (`--vsyscall=auto`), when an image the loader mapped names an entry point in its code
//! ([`names_entry`]): the programs that still call the page — static binaries of glibc before
//! 2.14, Go before 1.9 without a vDSO, probes — call a constant address. `--vsyscall=trap`
//! installs it whatever the code says (for code that computes the address, a library `ld.so`
//! loads, JIT code); `--vsyscall=native` never.

use crate::memory::guest;
use crate::raw::{self, sys};
use core::sync::atomic::{AtomicU64, Ordering};

const VSYSCALL_PAGE: u64 = 0xffff_ffff_ff60_0000;

use crate::bpf::{SockFilter, SockFprog, AND_K, JEQ_K, LD_W_ABS, RET_ALLOW, RET_K, RET_TRAP};

/// Offsets in `struct seccomp_data`: nr, arch, instruction_pointer (u64), args.
const NR: u32 = 0;
const IP_LO: u32 = 8;
const IP_HI: u32 = 12;

/// The numbers the kernel's vsyscall emulation hands to seccomp (x86-64 gettimeofday, time,
/// getcpu).
pub(crate) const VSYSCALL_NRS: [u32; 3] = [96, 201, 309];

/// The filter: TRAP when the instruction pointer is inside the vsyscall page, ALLOW otherwise.
///
/// The number is tested first and the instruction pointer read only for the three numbers the
/// vsyscall page can produce: for every other number the result depends on the number alone,
/// so the kernel's seccomp action cache allows those calls without running the filter at all
/// (reading the instruction pointer first made every syscall of the program run it: about
/// +20 ns on each getppid).
const FILTER: [SockFilter; 11] = [
    SockFilter {
        code: LD_W_ABS,
        jt: 0,
        jf: 0,
        k: NR,
    },
    SockFilter {
        code: JEQ_K,
        jt: 2,
        jf: 0,
        k: VSYSCALL_NRS[0],
    },
    SockFilter {
        code: JEQ_K,
        jt: 1,
        jf: 0,
        k: VSYSCALL_NRS[1],
    },
    SockFilter {
        code: JEQ_K,
        jt: 0,
        jf: 5,
        k: VSYSCALL_NRS[2],
    },
    SockFilter {
        code: LD_W_ABS,
        jt: 0,
        jf: 0,
        k: IP_HI,
    },
    SockFilter {
        code: JEQ_K,
        jt: 0,
        jf: 3,
        k: (VSYSCALL_PAGE >> 32) as u32,
    },
    SockFilter {
        code: LD_W_ABS,
        jt: 0,
        jf: 0,
        k: IP_LO,
    },
    SockFilter {
        code: AND_K,
        jt: 0,
        jf: 0,
        k: 0xffff_f000,
    },
    SockFilter {
        code: JEQ_K,
        jt: 1,
        jf: 0,
        k: VSYSCALL_PAGE as u32,
    },
    SockFilter {
        code: RET_K,
        jt: 0,
        jf: 0,
        k: RET_ALLOW,
    },
    SockFilter {
        code: RET_K,
        jt: 0,
        jf: 0,
        k: RET_TRAP,
    },
];

/// Is `addr` one of the three vsyscall entry points?
pub fn is_vsyscall(addr: u64) -> bool {
    addr == VSYSCALL_PAGE || addr == VSYSCALL_PAGE + 0x400 || addr == VSYSCALL_PAGE + 0x800
}

/// Whether `code` names one of the three entry points as an immediate: the low four bytes of
/// 0xffffffffff600000, +0x400 or +0x800 (`00 0x 60 ff`), which both `mov $imm32,%reg`
/// (sign-extended) and `movabs $imm64,%reg` contain. A chance match in other bytes only costs
/// the filter.
pub fn names_entry(code: &[u8]) -> bool {
    memchr::memmem::find_iter(code, &[0x60, 0xff])
        .any(|i| i >= 2 && code[i - 2] == 0 && matches!(code[i - 1], 0x00 | 0x04 | 0x08))
}

/// The executable ranges of the images the loader mapped (program and interpreter: start, len),
/// scanned only when the filter is in question ([`filter_wanted`]), not on every start.
static CODE: [(AtomicU64, AtomicU64); 8] = [const { (AtomicU64::new(0), AtomicU64::new(0)) }; 8];

/// Records an executable, readable range of an image the loader mapped.
pub fn note_code(start: u64, len: u64) {
    if let Some((s, l)) = CODE.iter().find(|(_, l)| l.load(Ordering::Relaxed) == 0) {
        s.store(start, Ordering::Relaxed);
        l.store(len, Ordering::Relaxed);
    }
}

/// Whether the recorded code names an entry point, read 4 KiB at a time through the guarded
/// copy (consecutive chunks overlap by 3 bytes, so no 4-byte pattern falls between two).
fn code_names_entry() -> bool {
    const CHUNK: u64 = 4096;
    let mut buf = [0u8; CHUNK as usize];
    CODE.iter().any(|(s, l)| {
        let (start, len) = (s.load(Ordering::Relaxed), l.load(Ordering::Relaxed));
        let mut off = 0;
        while off < len {
            let n = (len - off).min(CHUNK) as usize;
            if guest::read(start + off, &mut buf[..n]) && names_entry(&buf[..n]) {
                return true;
            }
            if off + n as u64 >= len {
                break;
            }
            off += CHUNK - 3;
        }
        false
    })
}

/// Whether the filter is wanted in this image, by the `vsyscall=` setting (`auto` when unset).
pub(crate) fn filter_wanted() -> bool {
    match crate::config::get().get("vsyscall") {
        Some("native") => false,
        Some("trap") => true,
        _ => code_names_entry(),
    }
}

/// Installs the filter for this process and everything it starts. Returns whether it is in
/// place (false: no CAP_SYS_ADMIN, or seccomp unavailable — vsyscall calls then run untraced).
pub(crate) fn install() -> bool {
    const SECCOMP_SET_MODE_FILTER: u64 = 1;
    let prog = SockFprog {
        len: FILTER.len() as u16,
        filter: FILTER.as_ptr(),
    };
    let r = raw::syscall3(
        sys::__NR_seccomp,
        SECCOMP_SET_MODE_FILTER,
        0,
        &prog as *const SockFprog as u64,
    );
    r == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the classic-BPF program over a number and an instruction pointer (the subset of
    /// classic BPF it uses); also reports whether it read the instruction pointer.
    fn run(nr: u32, ip: u64) -> (u32, bool) {
        let mut read_ip = false;
        let mut data = |off: u32| match off {
            NR => nr,
            IP_LO => {
                read_ip = true;
                ip as u32
            }
            IP_HI => {
                read_ip = true;
                (ip >> 32) as u32
            }
            _ => panic!("reads offset {off}"),
        };
        let (mut a, mut pc) = (0u32, 0usize);
        loop {
            let f = FILTER[pc];
            pc += 1;
            match f.code {
                LD_W_ABS => a = data(f.k),
                AND_K => a &= f.k,
                JEQ_K => pc += if a == f.k { f.jt } else { f.jf } as usize,
                RET_K => return (f.k, read_ip),
                _ => panic!("unexpected opcode"),
            }
        }
    }

    #[test]
    fn code_that_names_an_entry_point() {
        // mov $0xffffffffff600400,%rax; call *%rax (old glibc's time(), Go's fallback)
        assert!(names_entry(&[
            0x90, 0x48, 0xc7, 0xc0, 0x00, 0x04, 0x60, 0xff, 0xff, 0xd0
        ]));
        // movabs $0xffffffffff600800,%rax
        assert!(names_entry(&[
            0x48, 0xb8, 0x00, 0x08, 0x60, 0xff, 0xff, 0xff, 0xff, 0xff
        ]));
        // mov $0xffffffffff600000,%eax at the very start
        assert!(names_entry(&[0x00, 0x00, 0x60, 0xff]));
        // Not an entry point: other offsets, a match cut at the start, nothing.
        assert!(!names_entry(&[0x48, 0xc7, 0xc0, 0x00, 0x0c, 0x60, 0xff]));
        assert!(!names_entry(&[0x48, 0xc7, 0xc0, 0x01, 0x04, 0x60, 0xff]));
        assert!(!names_entry(&[0x04, 0x60, 0xff, 0x00]));
        assert!(!names_entry(&[]));
    }

    #[test]
    fn traps_only_in_the_vsyscall_page() {
        for nr in VSYSCALL_NRS {
            for ip in [
                VSYSCALL_PAGE,
                VSYSCALL_PAGE + 0x400,
                VSYSCALL_PAGE + 0x800,
                VSYSCALL_PAGE + 0xfff,
            ] {
                assert_eq!(run(nr, ip).0, RET_TRAP, "{nr} {ip:#x}");
            }
            for ip in [
                0,
                0x7fff_ffff_f000,
                VSYSCALL_PAGE - 1,
                VSYSCALL_PAGE + 0x1000,
                0xffff_ffff_0060_0000,
                0x0000_0000_ff60_0000,
            ] {
                assert_eq!(run(nr, ip).0, RET_ALLOW, "{nr} {ip:#x}");
            }
        }
    }

    /// Every other number is allowed without looking at the instruction pointer, which is
    /// what lets the kernel cache the verdict per number.
    #[test]
    fn other_numbers_depend_on_the_number_alone() {
        for nr in (0..1024).filter(|n| !VSYSCALL_NRS.contains(n)) {
            assert_eq!(run(nr, VSYSCALL_PAGE), (RET_ALLOW, false), "{nr}");
        }
    }
}
