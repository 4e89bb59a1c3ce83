//! The runtime's own file descriptors (trace output, diagnostics, the shared region of
//! `shared.rs`) survive whatever the program
//! does to "all" descriptors: `close` of one of them reports EBADF as if it were not open
//! (which, for the program, it is not), `dup2`/`dup3` onto one moves ours out of the way first,
//! and `close_range` skips them.

use crate::raw::{self, sys};
use core::sync::atomic::{AtomicI32, Ordering};

static OUT: AtomicI32 = AtomicI32::new(-1);
static DIAG: AtomicI32 = AtomicI32::new(-1);
/// The shared region's memory file (`shared.rs`), or -1.
static SHARED: AtomicI32 = AtomicI32::new(-1);

pub(crate) fn set(out: i32, diag: i32) {
    OUT.store(out, Ordering::Relaxed);
    DIAG.store(diag, Ordering::Relaxed);
}

/// Makes `fd` the trace output descriptor (protected like the one sysgate passed, and passed
/// on across `execve`); the previous one is left open.
pub fn set_out(fd: i32) {
    OUT.store(fd, Ordering::Relaxed);
}

/// Records the shared region's descriptor (protected like the others; its number is kept
/// in the configuration's `shm=` value, which is rewritten if the descriptor has to move).
pub(crate) fn set_shared(fd: i32) {
    SHARED.store(fd, Ordering::Relaxed);
}

/// Where trace output goes (-1: nowhere).
pub fn out_fd() -> i32 {
    OUT.load(Ordering::Relaxed)
}
/// Where the runtime's own warnings go (a copy of sysgate's stderr).
pub fn diag_fd() -> i32 {
    DIAG.load(Ordering::Relaxed)
}

fn is_ours(fd: u64) -> bool {
    let fd = fd as i64;
    fd >= 0
        && (fd == OUT.load(Ordering::Relaxed) as i64
            || fd == DIAG.load(Ordering::Relaxed) as i64
            || fd == SHARED.load(Ordering::Relaxed) as i64)
}

pub(crate) fn close(a: [u64; 6]) -> i64 {
    if is_ours(a[0] & 0xffff_ffff) {
        return -(sys::EBADF as i64);
    }
    raw::syscall6(sys::__NR_close, a)
}

/// Moves our descriptor `fd` to a free number at or above `floor`; updates the record.
fn relocate(fd: i32) {
    for floor in [fd as u64 + 1, 100, 10] {
        let new = raw::syscall3(sys::__NR_fcntl, fd as u64, sys::F_DUPFD as u64, floor);
        if new >= 0 {
            if OUT.load(Ordering::Relaxed) == fd {
                OUT.store(new as i32, Ordering::Relaxed);
            }
            if DIAG.load(Ordering::Relaxed) == fd {
                DIAG.store(new as i32, Ordering::Relaxed);
            }
            if SHARED.load(Ordering::Relaxed) == fd {
                SHARED.store(new as i32, Ordering::Relaxed);
                // Later images find the region through the configuration.
                crate::config::patch_number("shm", new as u64, crate::shared::FD_WIDTH);
            }
            raw::syscall1(sys::__NR_close, fd as u64);
            return;
        }
    }
}

pub(crate) fn dup2(nr: u32, a: [u64; 6]) -> i64 {
    let new = a[1] & 0xffff_ffff;
    if is_ours(new) && a[0] & 0xffff_ffff != new {
        relocate(new as i32);
    }
    raw::syscall6(nr, a)
}

pub(crate) fn close_range(a: [u64; 6]) -> i64 {
    let (lo, hi, flags) = (a[0] & 0xffff_ffff, a[1] & 0xffff_ffff, a[2]);
    let mut ours = [
        OUT.load(Ordering::Relaxed) as i64,
        DIAG.load(Ordering::Relaxed) as i64,
        SHARED.load(Ordering::Relaxed) as i64,
    ];
    ours.sort_unstable();
    if lo > hi {
        return raw::syscall6(sys::__NR_close_range, a);
    }
    let mut start = lo as i64;
    let mut ret = 0;
    for &fd in ours.iter() {
        if fd < start || fd > hi as i64 {
            continue;
        }
        if fd > start {
            let r = raw::syscall3(sys::__NR_close_range, start as u64, (fd - 1) as u64, flags);
            if r < 0 && ret == 0 {
                ret = r;
            }
        }
        start = fd + 1;
    }
    if start <= hi as i64 {
        let r = raw::syscall3(sys::__NR_close_range, start as u64, hi, flags);
        if r < 0 && ret == 0 {
            ret = r;
        }
    }
    ret
}
