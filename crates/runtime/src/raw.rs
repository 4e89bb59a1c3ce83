//! The runtime's own syscalls.
//!
//! Every `syscall` instruction the runtime executes lives in the `sysgate_entry` section, the
//! one address range Syscall User Dispatch lets through without a trap. The range is bounded by
//! the linker symbols `__start_sysgate_entry` / `__stop_sysgate_entry`.
#![allow(unsafe_code)]

use core::arch::global_asm;

global_asm!(
    r#"
    .pushsection sysgate_entry,"ax",@progbits
    .globl sysgate_raw_syscall6
    .hidden sysgate_raw_syscall6
    .type sysgate_raw_syscall6,@function
    .p2align 4
/* long sysgate_raw_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) */
sysgate_raw_syscall6:
    mov %rdi, %rax
    mov %rsi, %rdi
    mov %rdx, %rsi
    mov %rcx, %rdx
    mov %r8, %r10
    mov %r9, %r8
    mov 8(%rsp), %r9
    syscall
    .globl sysgate_raw_syscall6_end
    .hidden sysgate_raw_syscall6_end
sysgate_raw_syscall6_end:
    ret
    .size sysgate_raw_syscall6, . - sysgate_raw_syscall6

    .globl sysgate_restorer
    .hidden sysgate_restorer
    .type sysgate_restorer,@function
    .p2align 4
/* sa_restorer of the runtime's own handlers: rt_sigreturn issued from the allowed range. */
sysgate_restorer:
    mov $15, %eax
    syscall
    ud2
    .size sysgate_restorer, . - sysgate_restorer
    .popsection
    .hidden __start_sysgate_entry
    .hidden __stop_sysgate_entry
"#,
    options(att_syntax)
);

extern "C" {
    fn sysgate_raw_syscall6(nr: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64, a6: u64) -> i64;
    pub fn sysgate_restorer();
    fn sysgate_raw_syscall6_end();
    static __start_sysgate_entry: u8;
    static __stop_sysgate_entry: u8;
}

/// The address range whose syscalls pass untrapped: `[start, end)`.
pub fn allowed_range() -> (u64, u64) {
    // SAFETY: only the addresses of the linker-defined section bounds are taken.
    unsafe {
        (
            &__start_sysgate_entry as *const u8 as u64,
            &__stop_sysgate_entry as *const u8 as u64,
        )
    }
}

/// The address right after the runtime's `syscall` instruction: a signal whose context has
/// this RIP arrived as that syscall returned.
pub fn syscall_return_address() -> u64 {
    sysgate_raw_syscall6_end as *const () as usize as u64
}

/// Issues syscall `nr` from the allowed range. Returns the raw kernel result (`-errno` on error).
#[inline(always)]
pub fn syscall6(nr: u32, a: [u64; 6]) -> i64 {
    // SAFETY: a raw syscall; memory safety of pointer arguments is the caller's business, and
    // every caller in the runtime passes either guest values unchanged or runtime-owned buffers.
    unsafe { sysgate_raw_syscall6(nr as u64, a[0], a[1], a[2], a[3], a[4], a[5]) }
}

#[inline(always)]
pub fn syscall0(nr: u32) -> i64 {
    syscall6(nr, [0; 6])
}
#[inline(always)]
pub fn syscall1(nr: u32, a0: u64) -> i64 {
    syscall6(nr, [a0, 0, 0, 0, 0, 0])
}
#[inline(always)]
pub fn syscall2(nr: u32, a0: u64, a1: u64) -> i64 {
    syscall6(nr, [a0, a1, 0, 0, 0, 0])
}
#[inline(always)]
pub fn syscall3(nr: u32, a0: u64, a1: u64, a2: u64) -> i64 {
    syscall6(nr, [a0, a1, a2, 0, 0, 0])
}
#[inline(always)]
pub fn syscall4(nr: u32, a0: u64, a1: u64, a2: u64, a3: u64) -> i64 {
    syscall6(nr, [a0, a1, a2, a3, 0, 0])
}

/// Kernel constants: `linux-raw-sys`'s general definitions and errno values.
pub mod sys {
    pub use linux_raw_sys::errno::*;
    pub use linux_raw_sys::general::*;
}

/// `write` the whole buffer, retrying on EINTR and short writes. Errors are dropped: there is
/// nobody to report them to.
pub fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        let r = syscall3(
            sys::__NR_write,
            fd as u64,
            buf.as_ptr() as u64,
            buf.len() as u64,
        );
        if r == -(sys::EINTR as i64) {
            continue;
        }
        if r <= 0 {
            return;
        }
        buf = &buf[(r as usize).min(buf.len())..];
    }
}

/// Reads the file at `path` (a small `/proc` file) into `buf`, up to its end or the end of
/// `buf`; the number of bytes read, or `None` if it cannot be opened.
pub fn read_file(path: &core::ffi::CStr, buf: &mut [u8]) -> Option<usize> {
    let fd = syscall4(
        sys::__NR_openat,
        sys::AT_FDCWD as u64,
        path.as_ptr() as u64,
        (sys::O_RDONLY | sys::O_CLOEXEC) as u64,
        0,
    );
    if fd < 0 {
        return None;
    }
    let mut len = 0usize;
    while len < buf.len() {
        let n = syscall3(
            sys::__NR_read,
            fd as u64,
            buf[len..].as_mut_ptr() as u64,
            (buf.len() - len) as u64,
        );
        if n == -(sys::EINTR as i64) {
            continue;
        }
        if n <= 0 {
            break;
        }
        len += n as usize;
    }
    syscall1(sys::__NR_close, fd as u64);
    Some(len)
}

/// The signals the runtime handles itself and keeps unblocked: SIGSYS and the faults it shares
/// with the program (guest-memory fixups, rewritten sites).
pub(crate) const RUNTIME_SIGNALS: u64 = (1 << (sys::SIGSYS - 1))
    | (1 << (sys::SIGSEGV - 1))
    | (1 << (sys::SIGBUS - 1))
    | (1 << (sys::SIGILL - 1))
    | (1 << (sys::SIGTRAP - 1));

/// Changes this thread's kernel signal mask (`how`: `SIG_BLOCK`, `SIG_UNBLOCK`, `SIG_SETMASK`);
/// returns the mask before.
pub(crate) fn kernel_sigmask(how: u32, set: u64) -> u64 {
    let mut old = 0u64;
    syscall4(
        sys::__NR_rt_sigprocmask,
        how as u64,
        &set as *const u64 as u64,
        &mut old as *mut u64 as u64,
        8,
    );
    old
}

pub fn gettid() -> i32 {
    syscall0(sys::__NR_gettid) as i32
}
pub fn getpid() -> i32 {
    syscall0(sys::__NR_getpid) as i32
}

pub fn exit_group(code: i32) -> ! {
    loop {
        syscall1(sys::__NR_exit_group, code as u64);
    }
}

/// Anonymous private mapping; `None` on failure.
pub fn mmap_anon(len: usize, prot: u32, extra_flags: u32) -> Option<u64> {
    let r = syscall6(
        sys::__NR_mmap,
        [
            0,
            len as u64,
            prot as u64,
            (sys::MAP_PRIVATE | sys::MAP_ANONYMOUS | extra_flags) as u64,
            u64::MAX,
            0,
        ],
    );
    if r < 0 && r > -4096 {
        None
    } else {
        Some(r as u64)
    }
}

pub fn munmap(addr: u64, len: usize) {
    syscall2(sys::__NR_munmap, addr, len as u64);
}

/// Aborts the process with a message on stderr (runtime invariant broken).
pub fn fatal(msg: &str) -> ! {
    write_all(2, b"sysgate: fatal: ");
    write_all(2, msg.as_bytes());
    write_all(2, b"\n");
    let pid = getpid();
    syscall2(sys::__NR_kill, pid as u64, sys::SIGABRT as u64);
    exit_group(134)
}
