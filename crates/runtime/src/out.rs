//! Buffered output for tools (the trace lines of `-o FILE`): each thread collects whole lines
//! in its own buffer and writes them in large chunks, so tracing costs about one `write` per
//! 32 KiB instead of one per line, and lines of different threads and processes still never
//! interleave mid-line.
//!
//! Nothing is lost or written twice: the runtime flushes a thread's buffer before `fork`,
//! `clone` and `vfork` (a child must not inherit a copy), before `execve` (the image goes
//! away), at `exit`/`exit_group`, before the program waits (`wait4`, `poll`/`select`/`epoll`,
//! futex waits, sleeps, `pause`…: whoever watches the trace sees it up to the wait), and
//! before a fatal fault takes the process down. Only SIGKILL (or another fatal signal while the
//! program runs without making a syscall) can cut a buffered tail.

use crate::raw::{self, sys};
use core::sync::atomic::{AtomicBool, Ordering};

pub const CAP: usize = 32 * 1024;

/// A thread's output buffer.
#[repr(C)]
pub struct OutBuf {
    busy: bool,
    fd: i32,
    /// `fd` was the runtime's output descriptor, which had moved `out_moves` times
    /// (`fds::out_moves`): if it has moved since, the lines go to where it is now.
    is_out: bool,
    out_moves: u32,
    len: usize,
    data: [u8; CAP],
}

impl OutBuf {
    pub const fn new() -> Self {
        OutBuf { busy: false, fd: -1, is_out: false, out_moves: 0, len: 0, data: [0; CAP] }
    }
    pub(crate) fn reset(&mut self) {
        self.busy = false;
        self.fd = -1;
        self.is_out = false;
        self.len = 0;
    }
}

impl Default for OutBuf {
    fn default() -> Self {
        Self::new()
    }
}

static BUFFERED: AtomicBool = AtomicBool::new(false);

/// Turns buffering on for this image (sysgate asks for it when tracing to a file).
pub(crate) fn enable(on: bool) {
    BUFFERED.store(on, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    BUFFERED.load(Ordering::Relaxed)
}

fn drain(b: &mut OutBuf) {
    if b.len > 0 && b.fd >= 0 {
        // The output descriptor may have moved since the lines were buffered (a `dup2` of
        // the program onto it, made by another thread: the calling thread flushes first).
        let fd = if b.is_out && b.out_moves != crate::fds::out_moves() { crate::fds::out_fd() } else { b.fd };
        raw::write_all(fd, &b.data[..b.len]);
    }
    b.len = 0;
}

/// Writes whole lines `bytes` to `fd` through the thread's buffer `b`.
pub fn write(b: &mut OutBuf, fd: i32, bytes: &[u8]) {
    if !enabled() || b.busy {
        // Unbuffered, or a signal handler's syscall interrupted an append: write directly.
        raw::write_all(fd, bytes);
        return;
    }
    b.busy = true;
    if b.fd != fd || b.len == 0 {
        drain(b);
        b.fd = fd;
        b.is_out = fd == crate::fds::out_fd();
        b.out_moves = crate::fds::out_moves();
    }
    if b.len + bytes.len() > CAP {
        drain(b);
    }
    if bytes.len() > CAP {
        raw::write_all(fd, bytes);
    } else {
        b.data[b.len..b.len + bytes.len()].copy_from_slice(bytes);
        b.len += bytes.len();
    }
    b.busy = false;
}

/// Writes out whatever the buffer holds.
pub fn flush(b: &mut OutBuf) {
    if b.busy || b.len == 0 {
        return;
    }
    b.busy = true;
    drain(b);
    b.busy = false;
}

/// Syscalls before which the thread's buffer is flushed: those that create or replace
/// processes, end threads, or wait.
pub(crate) fn flushes_before(nr: u32, args: &[u64; 6]) -> bool {
    match nr {
        sys::__NR_clone | sys::__NR_clone3 | sys::__NR_fork | sys::__NR_vfork | sys::__NR_execve | sys::__NR_execveat => true,
        sys::__NR_exit | sys::__NR_exit_group => true,
        sys::__NR_wait4 | sys::__NR_waitid | sys::__NR_pause | sys::__NR_rt_sigsuspend | sys::__NR_rt_sigtimedwait => true,
        sys::__NR_poll | sys::__NR_ppoll | sys::__NR_select | sys::__NR_pselect6 => true,
        sys::__NR_epoll_wait | sys::__NR_epoll_pwait | sys::__NR_epoll_pwait2 => true,
        sys::__NR_nanosleep | sys::__NR_clock_nanosleep => true,
        sys::__NR_accept | sys::__NR_accept4 | sys::__NR_msgrcv | sys::__NR_semop | sys::__NR_semtimedop => true,
        // FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_LOCK_PI, FUTEX_WAIT_REQUEUE_PI (op & 127)
        sys::__NR_futex => matches!(args[1] & 127, 0 | 9 | 6 | 11),
        _ => false,
    }
}

/// The waiting syscalls above, for the runtime to subscribe when buffering.
pub(crate) const WAITS: &[u32] = &[
    sys::__NR_wait4,
    sys::__NR_waitid,
    sys::__NR_pause,
    sys::__NR_rt_sigsuspend,
    sys::__NR_rt_sigtimedwait,
    sys::__NR_poll,
    sys::__NR_ppoll,
    sys::__NR_select,
    sys::__NR_pselect6,
    sys::__NR_epoll_wait,
    sys::__NR_epoll_pwait,
    sys::__NR_epoll_pwait2,
    sys::__NR_nanosleep,
    sys::__NR_clock_nanosleep,
    sys::__NR_accept,
    sys::__NR_accept4,
    sys::__NR_msgrcv,
    sys::__NR_semop,
    sys::__NR_semtimedop,
    sys::__NR_futex,
    sys::__NR_exit_group,
];
