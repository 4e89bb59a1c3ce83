//! A kernel seccomp-bpf filter for the sandbox (DESIGN.md rule 5: in-process interposition is
//! not a security boundary, the kernel filter is).
//!
//! The filter matches the syscall number (and, for i386 `socketcall`, its sub-call) from any
//! instruction pointer. It deliberately does not exempt the runtime's text: a program can jump
//! into the runtime's `syscall; ret`, so an exemption by address would be an exemption for
//! everyone. Instead the filter never denies the few calls the runtime itself cannot do
//! without ([`RUNTIME_NEEDS`]); rules on those are enforced in-process only.
//!
//! x32 calls (numbers with bit 30 set under `AUDIT_ARCH_X86_64`) fail with ENOSYS whenever a
//! filter is installed, so that no second numbering reaches a denied call. Other
//! architectures' calls cannot be made by an x86-64 process and pass.
//!
//! Installing sets `no_new_privs` (a sandboxed program gains no privileges through setuid
//! executables) and is done once per process tree: filters are inherited and survive `execve`.
#![allow(unsafe_code)]

use crate::api::NR_MAX;
use crate::raw::{self, sys};

/// What the kernel does with a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Fail with this errno without running the call.
    Errno(u16),
    /// Kill the whole process (`SECCOMP_RET_KILL_PROCESS`: it dies of SIGSYS).
    Kill,
}

/// Calls the runtime makes for itself to keep the program running (memory for thread blocks,
/// signal handling, its own output, per-thread set-up): the kernel filter never denies them.
pub const RUNTIME_NEEDS: &[u32] = &[
    sys::__NR_rt_sigreturn,
    sys::__NR_rt_sigaction,
    sys::__NR_rt_sigprocmask,
    sys::__NR_sigaltstack,
    sys::__NR_mmap,
    sys::__NR_munmap,
    sys::__NR_mprotect,
    sys::__NR_write,
    sys::__NR_exit,
    sys::__NR_exit_group,
    sys::__NR_arch_prctl,
    sys::__NR_prctl,
    sys::__NR_gettid,
    sys::__NR_getpid,
    sys::__NR_tgkill,
    sys::__NR_clock_gettime,
    sys::__NR_fcntl,
    sys::__NR_close,
    sys::__NR_fstat,
    sys::__NR_readlinkat,
];

use crate::bpf::{
    SockFilter, SockFprog, JA, JEQ_K, JSET_K, LD_W_ABS, RET_ALLOW, RET_ERRNO, RET_K,
    RET_KILL_PROCESS,
};

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const AUDIT_ARCH_I386: u32 = 0x4000_0003;
const X32_BIT: u32 = 0x4000_0000;
/// `struct seccomp_data`: nr, arch, instruction_pointer, args[6].
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
const OFF_ARG0: u32 = 16;
const SOCKETCALL_I386: u32 = 102;

/// Room for the program: two instructions per denied number of each table, plus the
/// socketcall sub-calls and the fixed parts.
const CAP: usize = 4 * NR_MAX + 2 * 32 + 32;

fn ret_of(v: Verdict) -> u32 {
    match v {
        Verdict::Allow => RET_ALLOW,
        Verdict::Errno(e) => RET_ERRNO | u32::from(e.min(4095)),
        Verdict::Kill => RET_KILL_PROCESS,
    }
}

struct Prog {
    f: [SockFilter; CAP],
    n: usize,
}

impl Prog {
    fn push(&mut self, code: u16, jt: u8, jf: u8, k: u32) -> Option<usize> {
        let at = self.n;
        *self.f.get_mut(at)? = SockFilter { code, jt, jf, k };
        self.n += 1;
        Some(at)
    }

    /// `if A == k: return v` as two instructions.
    fn deny_if(&mut self, k: u32, v: Verdict) -> Option<()> {
        self.push(JEQ_K, 0, 1, k)?;
        self.push(RET_K, 0, 0, ret_of(v))?;
        Some(())
    }
}

/// Builds the program. `x86_64[nr]` and `i386[nr]` give each number's verdict;
/// `socketcall[sub]` the verdict of i386 `socketcall` sub-call `sub` (1..=20).
fn build(
    x86_64: &[Verdict; NR_MAX],
    i386: &[Verdict; NR_MAX],
    socketcall: &[Verdict; 21],
    p: &mut Prog,
) -> Option<()> {
    p.push(LD_W_ABS, 0, 0, OFF_ARCH)?;
    // jt: fall through to the x86-64 part; jf: the long jump to the i386 part.
    p.push(JEQ_K, 1, 0, AUDIT_ARCH_X86_64)?;
    let to_i386 = p.push(JA, 0, 0, 0)?;
    p.push(LD_W_ABS, 0, 0, OFF_NR)?;
    p.push(JSET_K, 0, 1, X32_BIT)?;
    p.push(RET_K, 0, 0, RET_ERRNO | sys::ENOSYS)?;
    for (nr, v) in x86_64.iter().enumerate() {
        if *v != Verdict::Allow && !RUNTIME_NEEDS.contains(&(nr as u32)) {
            p.deny_if(nr as u32, *v)?;
        }
    }
    p.push(RET_K, 0, 0, RET_ALLOW)?;
    let i386_at = p.n;
    p.f.get_mut(to_i386)?.k = (i386_at - to_i386 - 1) as u32;
    p.push(JEQ_K, 1, 0, AUDIT_ARCH_I386)?;
    p.push(RET_K, 0, 0, RET_ALLOW)?;
    p.push(LD_W_ABS, 0, 0, OFF_NR)?;
    let any_socket = socketcall.iter().any(|v| *v != Verdict::Allow);
    if any_socket {
        // socketcall: skip the sub-call checks (load, pairs, return) unless this is it.
        let skip = socketcall.iter().filter(|v| **v != Verdict::Allow).count() * 2 + 2;
        p.push(JEQ_K, 0, u8::try_from(skip).ok()?, SOCKETCALL_I386)?;
        p.push(LD_W_ABS, 0, 0, OFF_ARG0)?;
        for (sub, v) in socketcall.iter().enumerate() {
            if *v != Verdict::Allow {
                p.deny_if(sub as u32, *v)?;
            }
        }
        p.push(RET_K, 0, 0, RET_ALLOW)?;
    }
    for (nr, v) in i386.iter().enumerate() {
        if *v != Verdict::Allow {
            p.deny_if(nr as u32, *v)?;
        }
    }
    p.push(RET_K, 0, 0, RET_ALLOW)?;
    Some(())
}

static mut PROG: Prog = Prog {
    f: [SockFilter {
        code: 0,
        jt: 0,
        jf: 0,
        k: 0,
    }; CAP],
    n: 0,
};

/// Installs the filter in the calling thread (and everything it starts). Call it once,
/// single-threaded, after the runtime is armed and before the program runs.
pub fn install(
    x86_64: &[Verdict; NR_MAX],
    i386: &[Verdict; NR_MAX],
    socketcall: &[Verdict; 21],
) -> Result<(), i64> {
    // SAFETY: single-threaded start-up (caller contract); PROG is used only here.
    let p = unsafe { &mut *core::ptr::addr_of_mut!(PROG) };
    p.n = 0;
    if build(x86_64, i386, socketcall, p).is_none() {
        return Err(-(sys::E2BIG as i64));
    }
    const PR_SET_NO_NEW_PRIVS: u64 = 38;
    let r = raw::syscall6(sys::__NR_prctl, [PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0]);
    if r < 0 {
        return Err(r);
    }
    let prog = SockFprog {
        len: p.n as u16,
        filter: p.f.as_ptr(),
    };
    const SECCOMP_SET_MODE_FILTER: u64 = 1;
    let r = raw::syscall3(
        sys::__NR_seccomp,
        SECCOMP_SET_MODE_FILTER,
        0,
        &prog as *const SockFprog as u64,
    );
    if r < 0 {
        return Err(r);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the program over (arch, nr, arg0) with the instructions it uses.
    fn run(p: &Prog, arch: u32, nr: u32, arg0: u32) -> u32 {
        let (mut a, mut pc) = (0u32, 0usize);
        loop {
            let f = p.f[pc];
            pc += 1;
            match f.code {
                LD_W_ABS => {
                    a = match f.k {
                        OFF_NR => nr,
                        OFF_ARCH => arch,
                        OFF_ARG0 => arg0,
                        _ => panic!("load"),
                    }
                }
                JEQ_K => pc += if a == f.k { f.jt } else { f.jf } as usize,
                JSET_K => pc += if a & f.k != 0 { f.jt } else { f.jf } as usize,
                JA => pc += f.k as usize,
                RET_K => return f.k,
                _ => panic!("opcode"),
            }
        }
    }

    #[test]
    fn denies_by_number_in_both_tables_and_keeps_runtime_needs() {
        let mut x = [Verdict::Allow; NR_MAX];
        let mut i = [Verdict::Allow; NR_MAX];
        let mut s = [Verdict::Allow; 21];
        x[41] = Verdict::Errno(1); // socket
        x[42] = Verdict::Kill; // connect
        x[9] = Verdict::Errno(1); // mmap: the runtime needs it
        for n in 0..300 {
            x[200 + n % 250] = if n % 3 == 0 {
                Verdict::Errno(13)
            } else {
                x[200 + n % 250]
            };
        }
        i[359] = Verdict::Errno(1); // i386 socket
        s[1] = Verdict::Errno(1);
        s[3] = Verdict::Kill;
        let mut p = Prog {
            f: [SockFilter {
                code: 0,
                jt: 0,
                jf: 0,
                k: 0,
            }; CAP],
            n: 0,
        };
        build(&x, &i, &s, &mut p).unwrap();
        assert_eq!(run(&p, AUDIT_ARCH_X86_64, 41, 0), RET_ERRNO | 1);
        assert_eq!(run(&p, AUDIT_ARCH_X86_64, 42, 0), RET_KILL_PROCESS);
        assert_eq!(run(&p, AUDIT_ARCH_X86_64, 9, 0), RET_ALLOW);
        assert_eq!(run(&p, AUDIT_ARCH_X86_64, 0, 0), RET_ALLOW);
        assert_eq!(
            run(&p, AUDIT_ARCH_X86_64, 41 | X32_BIT, 0),
            RET_ERRNO | sys::ENOSYS
        );
        assert_eq!(run(&p, AUDIT_ARCH_I386, 359, 0), RET_ERRNO | 1);
        assert_eq!(run(&p, AUDIT_ARCH_I386, 102, 1), RET_ERRNO | 1);
        assert_eq!(run(&p, AUDIT_ARCH_I386, 102, 3), RET_KILL_PROCESS);
        assert_eq!(run(&p, AUDIT_ARCH_I386, 102, 2), RET_ALLOW);
        assert_eq!(run(&p, AUDIT_ARCH_I386, 20, 0), RET_ALLOW);
        assert_eq!(run(&p, 0xdead, 41, 0), RET_ALLOW);
    }
}
