//! Which of the process's descriptors are regular files, as far as the tracer has seen: a
//! `read` or `write` of one does not wait on another process, so the tracer records no entry
//! half for it (`tracer::record_entry`), which is most of what a file-heavy program's trace
//! costs beyond the lines themselves (`tar`: 0.08 s of 1.4 s, docs/performance.md).
//!
//! The table is learnt, never guessed, from the calls the tracer sees return:
//! - `fstat(fd)`, `newfstatat(fd, "", …, AT_EMPTY_PATH)` and `statx(fd, "", AT_EMPTY_PATH, …)`
//!   set or clear a descriptor by the file type they report (programs that read a file
//!   `fstat` it first: libc's stdio, tar, cp, Python). A regular file is only set once the
//!   tracer's own `fstatfs` says it lives on a local disk or memory file system
//!   (`LOCAL_FS`): a regular file of NFS, FUSE, 9p or SMB can wait on a server, and some of
//!   procfs, sysfs and tracefs (`/proc/kmsg`, `trace_pipe`) wait on the kernel. That `fstatfs`
//!   runs after the line of the call is out (`confirm`), so a hung server never hides it, and
//!   its answer for a block device's file system is kept (`LAST_DEVICE`): the `fstat`s of a
//!   program reading many files of one disk make no `fstatfs` but the first;
//! - `close`, `close_range`, the target of `dup2`/`dup3`, the descriptors `pipe`/`pipe2`/
//!   `socketpair` fill in and every result of a call that returns a new descriptor (the
//!   tables' `Ret::Fd`, `fcntl(F_DUPFD…)`) clear it, whatever it was.
//!
//! It is used only while every syscall is traced (the default `-e trace=all`), so that no
//! `close` goes unseen. What it cannot see: a descriptor closed through io_uring, or by another
//! process sharing the table (`clone(CLONE_FILES)` without `CLONE_VM`), and a number reused by
//! a descriptor that `recvmsg` passes in (`SCM_RIGHTS`) after such a close; and a thread's
//! `fstat` whose answer lands after another thread closed that number and opened a pipe there.
//! Each only costs the early display of a blocked call on that descriptor: its line still comes
//! out whole when the call ends. A vfork child, which shares its parent's memory but not its
//! descriptors, only clears.
//!
//! One table per process image (static memory): a fork child inherits a copy along with the
//! descriptors, an `execve`d image starts empty.

use core::sync::atomic::{AtomicU64, Ordering};
use sysgate_abi::x86_64::nr;
use sysgate_runtime as rt;

/// Descriptors below this are tracked.
const FDS: usize = 4096;
static REGULAR: [AtomicU64; FDS / 64] = [const { AtomicU64::new(0) }; FDS / 64];

const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const AT_EMPTY_PATH: u64 = 0x1000;
const STATX_TYPE: u32 = 1;
const F_DUPFD: u64 = 0;
const F_DUPFD_CLOEXEC: u64 = 1030;

fn slot(fd: u64) -> Option<(&'static AtomicU64, u64)> {
    let i = usize::try_from(fd).ok().filter(|&i| i < FDS)?;
    Some((&REGULAR[i / 64], 1 << (i % 64)))
}

fn set(fd: u64, regular: bool) {
    if let Some((w, bit)) = slot(fd) {
        if regular {
            w.fetch_or(bit, Ordering::Relaxed);
        } else {
            w.fetch_and(!bit, Ordering::Relaxed);
        }
    }
}

fn forget(fd: u64) {
    // Most descriptors were never marked: a load first spares the locked write.
    if let Some((w, bit)) = slot(fd) {
        if w.load(Ordering::Relaxed) & bit != 0 {
            w.fetch_and(!bit, Ordering::Relaxed);
        }
    }
}

/// Whether `fd` is known to be a regular file.
pub(crate) fn is_regular(fd: u64) -> bool {
    slot(fd).is_some_and(|(w, bit)| w.load(Ordering::Relaxed) & bit != 0)
}

fn read_u32(addr: u64) -> Option<u32> {
    let mut b = [0u8; 4];
    rt::memory::guest::read(addr, &mut b).then(|| u32::from_le_bytes(b))
}

/// Whether the path argument at `addr` is the empty string.
fn empty_path(addr: u64) -> bool {
    let mut b = [0u8; 1];
    addr != 0 && rt::memory::guest::read(addr, &mut b) && b[0] == 0
}

/// `f_type` of the file systems whose regular files never wait on another process or a
/// server (`linux/magic.h`): ext2/3/4, XFS, Btrfs, tmpfs, overlayfs, F2FS, SquashFS, EROFS,
/// ZFS, bcachefs, ramfs, FAT, exFAT, ISO 9660.
const LOCAL_FS: [i64; 14] = [
    0xEF53,
    0x5846_5342,
    0x9123_683E,
    0x0102_1994,
    0x794C_7630,
    0xF2F5_2010,
    0x7371_7368,
    0xE0F5_E1E2,
    0x2FC1_2FC1,
    0xCA45_1A4E,
    0x8584_58F6,
    0x4D44,
    0x2011_BAB0,
    0x9660,
];

/// Learns from call `n` (x86-64) that returned `ret`; `may_set` is false in a vfork child.
/// Returns a descriptor the call reported as a regular file, for `confirm` once its line is
/// out; every other answer is recorded at once.
pub(crate) fn observe(n: u64, args: &[u64; 6], ret: i64, may_set: bool) -> Option<Reported> {
    let Ok(n32) = u32::try_from(n) else {
        return None;
    };
    let fd0 = args[0] & 0xffff_ffff;
    match n32 {
        // The number is free once `close` has run, whatever it returned.
        nr::CLOSE => forget(fd0),
        nr::CLOSE_RANGE => {
            let last = (args[1] & 0xffff_ffff).min(FDS as u64 - 1);
            for fd in fd0..=last {
                forget(fd);
            }
        }
        _ if ret < 0 => {}
        nr::DUP2 | nr::DUP3 => forget(args[1] & 0xffff_ffff),
        nr::PIPE | nr::PIPE2 | nr::SOCKETPAIR => {
            let at = if n32 == nr::SOCKETPAIR {
                args[3]
            } else {
                args[0]
            };
            for i in 0..2 {
                if let Some(fd) = read_u32(at + 4 * i) {
                    forget(u64::from(fd));
                }
            }
        }
        nr::FCNTL if matches!(args[1] & 0xffff_ffff, F_DUPFD | F_DUPFD_CLOEXEC) => {
            forget(ret as u64)
        }
        // struct stat: st_dev (u64) at 0, st_mode (u32) at 24.
        nr::FSTAT if may_set => return kind(fd0, read_u32(args[1] + 24), stat_dev(args[1])),
        nr::NEWFSTATAT if may_set && args[3] & AT_EMPTY_PATH != 0 && empty_path(args[1]) => {
            return kind(fd0, read_u32(args[2] + 24), stat_dev(args[2]));
        }
        nr::STATX if may_set && args[2] & AT_EMPTY_PATH != 0 && empty_path(args[1]) => {
            // struct statx: stx_mask at 0, stx_mode (u16) at 28, stx_dev_major at 136 and
            // stx_dev_minor at 140 (always filled in).
            let mode = read_u32(args[4] + 28)
                .filter(|_| read_u32(args[4]).is_some_and(|mask| mask & STATX_TYPE != 0));
            let dev = read_u32(args[4] + 136).zip(read_u32(args[4] + 140));
            return kind(fd0, mode.map(|m| m & 0xffff), dev);
        }
        _ => {
            if sysgate_abi::x86_64::desc(n).is_some_and(|d| d.ret == sysgate_abi::Ret::Fd) {
                forget(ret as u64);
            }
        }
    }
    None
}

/// A descriptor a call reported as a regular file, and the device (major, minor) of its file
/// system, for [`confirm`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reported {
    fd: u64,
    dev: Option<(u32, u32)>,
}

/// The (major, minor) of `struct stat`'s `st_dev` at `at` (the kernel's `new_encode_dev`).
fn stat_dev(at: u64) -> Option<(u32, u32)> {
    let lo = u64::from(read_u32(at)?);
    let hi = u64::from(read_u32(at + 4)?);
    let dev = lo | hi << 32;
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    Some((major as u32, minor as u32))
}

/// A reported file type: anything but a regular file is cleared now; a regular file is left
/// to `confirm`.
fn kind(fd: u64, mode: Option<u32>, dev: Option<(u32, u32)>) -> Option<Reported> {
    match mode {
        Some(m) if m & S_IFMT == S_IFREG => Some(Reported { fd, dev }),
        Some(_) => {
            forget(fd);
            None
        }
        None => None,
    }
}

/// The last block device whose file system `confirm` asked about, and the answer: `(major <<
/// 32 | minor) << 1 | local`, 0 for none. A block device's number stays with one mounted file
/// system, so most `fstat`s of a file-heavy program (every file on one disk) need no `fstatfs`;
/// anonymous devices (major 0: tmpfs, overlayfs, Btrfs, NFS, FUSE, procfs) are numbers the
/// kernel hands out again after an unmount, and always ask.
static LAST_DEVICE: AtomicU64 = AtomicU64::new(0);

/// Sets the descriptor of `r`, reported a regular file, if its file system is a local one.
/// The number may have been closed and reused by another thread since: `fstatfs` then
/// describes the new file, and a pipe or socket there (pipefs, sockfs) is not set. (A number
/// reused in the few instructions between the report and this answer from the cache costs
/// only the early display of a blocked call on it, see the module's notes.)
pub(crate) fn confirm(r: Reported) {
    let block = r
        .dev
        .filter(|&(major, _)| major != 0)
        .map(|(major, minor)| (u64::from(major) << 32 | u64::from(minor)) << 1);
    if let Some(key) = block {
        let last = LAST_DEVICE.load(Ordering::Relaxed);
        if last & !1 == key {
            set(r.fd, last & 1 != 0);
            return;
        }
    }
    let mut st = [0u64; 15]; // struct statfs: f_type first, 120 bytes in all
    let answered = rt::raw::syscall2(nr::FSTATFS, r.fd, st.as_mut_ptr() as u64) == 0;
    let ok = answered && LOCAL_FS.contains(&(st[0] as i64));
    if let (Some(key), true) = (block, answered) {
        LAST_DEVICE.store(key | u64::from(ok), Ordering::Relaxed);
    }
    set(r.fd, ok);
}

/// Calls whose entry half is left out for a regular file: they take the descriptor first and
/// move data to or from the file, which never waits on another process.
pub(crate) fn file_io(n: u64) -> bool {
    u32::try_from(n).is_ok_and(|n| {
        matches!(
            n,
            nr::READ | nr::WRITE | nr::READV | nr::WRITEV | nr::PREAD64 | nr::PWRITE64
        )
    })
}

/// An `open`/`openat` that cannot wait: `O_NONBLOCK` (a FIFO opens at once, or fails) or
/// `O_PATH` (nothing is opened for I/O).
pub(crate) fn open_cannot_wait(n: u64, args: &[u64; 6]) -> bool {
    const O_NONBLOCK: u64 = 0o4000;
    const O_PATH: u64 = 0o10000000;
    let flags = match u32::try_from(n) {
        Ok(nr::OPEN) => args[1],
        Ok(nr::OPENAT) => args[2],
        _ => return false,
    };
    flags & (O_NONBLOCK | O_PATH) != 0
}
