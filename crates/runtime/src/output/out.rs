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
//!
//! ## Signal handlers that write while a write is under way
//! A program handler's traced calls can interrupt the thread's own append or flush (`busy`).
//! Their lines come after the interrupted one, so they go into the buffer after it, never
//! straight to the file ahead of lines still buffered:
//! - an append reserves its bytes with one compare-and-swap on `len`, then copies them in; a
//!   handler that interrupts the copy reserves the bytes after them and completes first (a
//!   handler runs to its end before the code it interrupted resumes);
//! - only code that is not nested drains the buffer, and with asynchronous signals blocked, so
//!   nothing appends between taking the length and emptying it;
//! - a nested writer that finds no room (or another descriptor) writes directly: the only case
//!   left where its lines can overtake buffered ones, and only after 32 KiB of handler lines
//!   written while one append was interrupted. (A handler that runs in the few instructions
//!   between a full buffer's drain starting and its signals being blocked puts its lines
//!   before the line that caused the drain, which is one line older.)

use crate::raw::{self, sys};
use core::sync::atomic::{compiler_fence, AtomicBool, AtomicI32, AtomicU32, AtomicUsize, Ordering};

/// The trace output descriptor (-1: none): the one sysgate passed, or one a tool chose. It is
/// one of the runtime's guarded descriptors (`process/fds.rs`), which moves it out of the way
/// of the program's `dup2` and tells this module through [`moved_to`].
static FD: AtomicI32 = AtomicI32::new(-1);
/// How many times [`FD`] moved: a buffer filled for the old number follows it (see [`OutBuf`]).
static MOVES: AtomicU32 = AtomicU32::new(0);

/// Where trace output goes (-1: nowhere).
pub fn fd() -> i32 {
    FD.load(Ordering::Relaxed)
}

pub(crate) fn moves() -> u32 {
    MOVES.load(Ordering::Relaxed)
}

/// Makes `fd` the output descriptor (the guard in `process/fds.rs` records it first).
pub(crate) fn set_fd(fd: i32) {
    FD.store(fd, Ordering::Relaxed);
}

/// The output descriptor now lives at `new` (moved by the descriptor guard).
pub(crate) fn moved_to(new: i32) {
    FD.store(new, Ordering::Relaxed);
    MOVES.fetch_add(1, Ordering::Relaxed);
}

pub const CAP: usize = 32 * 1024;

/// A thread's output buffer.
#[repr(C)]
pub struct OutBuf {
    busy: bool,
    fd: i32,
    /// `fd` was the runtime's output descriptor, which had moved `out_moves` times
    /// ([`moves`]): if it has moved since, the lines go to where it is now.
    is_out: bool,
    out_moves: u32,
    /// Bytes reserved (and, once every writer that reserved them has returned, written).
    len: AtomicUsize,
    data: [u8; CAP],
}

impl OutBuf {
    pub const fn new() -> Self {
        OutBuf {
            busy: false,
            fd: -1,
            is_out: false,
            out_moves: 0,
            len: AtomicUsize::new(0),
            data: [0; CAP],
        }
    }
    pub(crate) fn reset(&mut self) {
        self.busy = false;
        self.fd = -1;
        self.is_out = false;
        self.len.store(0, Ordering::Relaxed);
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

/// Writes out the buffer and empties it. Only code that is not nested in another write of
/// this thread calls it; asynchronous signals are blocked meanwhile (see the module docs), so
/// no handler appends between reading the length and resetting it.
fn drain(b: &mut OutBuf) {
    if b.len.load(Ordering::Relaxed) == 0 {
        return;
    }
    let old = block_async_signals();
    let len = b.len.load(Ordering::Relaxed);
    if b.fd >= 0 {
        // The output descriptor may have moved since the lines were buffered (a `dup2` of
        // the program onto it, made by another thread: the calling thread flushes first).
        let fd = if b.is_out && b.out_moves != moves() {
            fd()
        } else {
            b.fd
        };
        raw::write_all(fd, &b.data[..len]);
    }
    b.len.store(0, Ordering::Relaxed);
    set_mask(old);
}

/// Reserves `n` bytes at the end of the buffer (atomically with respect to this thread's
/// signal handlers): their offset, or `None` when they do not fit.
fn reserve(b: &OutBuf, n: usize) -> Option<usize> {
    let mut cur = b.len.load(Ordering::Relaxed);
    loop {
        if cur + n > CAP {
            return None;
        }
        match b
            .len
            .compare_exchange_weak(cur, cur + n, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => return Some(cur),
            Err(now) => cur = now,
        }
    }
}

/// Writes whole lines `bytes` to `fd` through the thread's buffer `b`.
pub fn write(b: &mut OutBuf, fd: i32, bytes: &[u8]) {
    if !enabled() {
        raw::write_all(fd, bytes);
        return;
    }
    if b.busy {
        // A signal handler's call interrupted this thread's append or flush: after the
        // interrupted line, in the buffer; straight out only when that cannot be.
        match (b.fd == fd).then(|| reserve(b, bytes.len())).flatten() {
            Some(at) => b.data[at..at + bytes.len()].copy_from_slice(bytes),
            None => raw::write_all(fd, bytes),
        }
        return;
    }
    b.busy = true;
    // `busy` is seen by this thread's signal handlers only: compiler fences keep its stores
    // around the reserve and the copy.
    compiler_fence(Ordering::SeqCst);
    if b.fd != fd {
        drain(b);
        b.fd = fd;
        b.is_out = fd == self::fd();
        b.out_moves = moves();
    }
    if bytes.len() > CAP {
        drain(b);
        raw::write_all(fd, bytes);
    } else {
        let at = match reserve(b, bytes.len()) {
            Some(at) => at,
            None => {
                drain(b);
                reserve(b, bytes.len()).unwrap_or(0) // an empty buffer has room for `bytes`
            }
        };
        b.data[at..at + bytes.len()].copy_from_slice(bytes);
    }
    compiler_fence(Ordering::SeqCst);
    b.busy = false;
}

/// Writes out whatever the buffer holds.
pub fn flush(b: &mut OutBuf) {
    if b.busy || b.len.load(Ordering::Relaxed) == 0 {
        return;
    }
    b.busy = true;
    compiler_fence(Ordering::SeqCst);
    drain(b);
    compiler_fence(Ordering::SeqCst);
    b.busy = false;
}

/// Blocks every asynchronous signal (all but the runtime's own and SIGFPE, which are raised
/// by the instruction that runs: blocking them would turn a fault into a kill); returns the
/// mask before.
fn block_async_signals() -> u64 {
    raw::kernel_sigmask(
        sys::SIG_BLOCK,
        !(raw::RUNTIME_SIGNALS | (1 << (sys::SIGFPE - 1))),
    )
}

fn set_mask(mask: u64) {
    raw::kernel_sigmask(sys::SIG_SETMASK, mask);
}

/// Syscalls before which the thread's buffer is flushed: those that create or replace
/// processes, end threads, or wait.
pub(crate) fn flushes_before(nr: u32, args: &[u64; 6]) -> bool {
    match nr {
        sys::__NR_clone
        | sys::__NR_clone3
        | sys::__NR_fork
        | sys::__NR_vfork
        | sys::__NR_execve
        | sys::__NR_execveat => true,
        sys::__NR_exit | sys::__NR_exit_group => true,
        sys::__NR_wait4
        | sys::__NR_waitid
        | sys::__NR_pause
        | sys::__NR_rt_sigsuspend
        | sys::__NR_rt_sigtimedwait => true,
        sys::__NR_poll | sys::__NR_ppoll | sys::__NR_select | sys::__NR_pselect6 => true,
        sys::__NR_epoll_wait | sys::__NR_epoll_pwait | sys::__NR_epoll_pwait2 => true,
        sys::__NR_nanosleep | sys::__NR_clock_nanosleep => true,
        sys::__NR_accept
        | sys::__NR_accept4
        | sys::__NR_msgrcv
        | sys::__NR_semop
        | sys::__NR_semtimedop => true,
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
