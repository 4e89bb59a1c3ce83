//! The runtime's own file descriptors (trace output, diagnostics, the loader,
//! the shared region, the trace rings, its view of `/proc/self/maps` and `mem`) survive whatever the program does to "all" descriptors: `close` of one of them reports EBADF as if it were not open
//! (which, for the program, it is not), `dup2`/`dup3` onto one moves ours out of the way first,
//! and `close_range` skips them.

//!
//! The trace output descriptor and the shared region's are kept by their owners in `output/`
//! (`out::fd`, `shared::fd`); this guard reads them and moves them when it must.

use crate::output::{out, ring, shared};
use crate::raw::{self, sys};
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};

static DIAG: AtomicI32 = AtomicI32::new(-1);
/// The loader `sysgate` opened for the run, a copy on disk or a sealed memory file
/// (`loaderfd=`; -1: the loader is a file named by `loader=`): every `execve` of the program
/// re-enters the loader through it.
static LOADER: AtomicI32 = AtomicI32::new(-1);
/// Width of the `loaderfd=` value, rewritten in place when the descriptor moves.
const LOADER_FD_WIDTH: usize = 7;

/// The lowest of the runtime's descriptors (`u32::MAX` when it has none; 0, so nothing is
/// below it, until they are known): `close`, `dup2` and `dup3` of a lower number cannot touch
/// one of ours, and when no tool wants them the entry passes those straight to the kernel
/// (`entry.rs`, `sysgate_close_fast`). Recomputed after every change to the descriptors; a
/// descriptor moved lower (only when the table is nearly full) is exposed to a `close` from
/// another thread until then, which only a program closing numbers it never opened can hit.
pub(crate) static FLOOR: AtomicU32 = AtomicU32::new(0);

fn refresh_floor() {
    let low = ours()
        .into_iter()
        .filter(|&fd| fd >= 0)
        .min()
        .map_or(u32::MAX, |fd| fd as u32);
    FLOOR.store(low, Ordering::Relaxed);
}

/// Records the descriptors sysgate passed: trace output and diagnostics (-1: none).
pub fn set(out_fd: i32, diag: i32) {
    out::set_fd(out_fd);
    DIAG.store(diag, Ordering::Relaxed);
    let loader = crate::config::get().fd("loaderfd").unwrap_or(-1);
    LOADER.store(loader, Ordering::Relaxed);
    refresh_floor();
}

/// The loader's descriptor, if `sysgate` passed one (-1 otherwise).
pub(crate) fn loader_fd() -> i32 {
    LOADER.load(Ordering::Relaxed)
}

/// Makes `fd` the trace output descriptor (protected like the one sysgate passed, and passed
/// on across `execve`); the previous one is left open.
pub fn set_out(fd: i32) {
    out::set_fd(fd);
    refresh_floor();
}

/// Where the runtime's own warnings go (a copy of sysgate's stderr).
pub fn diag_fd() -> i32 {
    DIAG.load(Ordering::Relaxed)
}

/// `/proc/<pid>/maps` of this process, for the rewriter (close-on-exec: each image opens its
/// own; a fork child reopens it, since the parent's names the parent).
static MAPS: AtomicI32 = AtomicI32::new(-1);
/// `/proc/<pid>/mem` of this process, opened for writing the same way: the rewriter writes
/// trampolines and other code no thread runs yet through it, as the kernel lets a process
/// write its own read-only mappings there, instead of two `mprotect`s around each write (each
/// splits and merges the mapping and, once the program has threads on other CPUs, stops them
/// for a TLB flush).
static MEM: AtomicI32 = AtomicI32::new(-1);

/// Opens (or, in a fork child, reopens) the maps and mem descriptors at high numbers.
pub(crate) fn open_self_files() {
    for (slot, path, mode) in [
        (&MAPS, c"/proc/self/maps", sys::O_RDONLY),
        (&MEM, c"/proc/self/mem", sys::O_RDWR),
    ] {
        let old = slot.swap(-1, Ordering::Relaxed);
        if old >= 0 {
            raw::syscall1(sys::__NR_close, old as u64);
        }
        // "/proc/self" resolves now, to this process: later reads describe it even from threads.
        let fd = raw::syscall3(
            sys::__NR_open,
            path.as_ptr() as u64,
            (mode | sys::O_CLOEXEC) as u64,
            0,
        );
        if fd < 0 {
            continue;
        }
        let high = dup_from(fd as i32, above_ours(), sys::F_DUPFD_CLOEXEC);
        raw::syscall1(sys::__NR_close, fd as u64);
        // No room up there (the program lowered its descriptor limit): keep none rather than
        // take one of the program's numbers; without maps its sites then stay on the SIGSYS
        // path, without mem code is written between `mprotect`s.
        if high >= 0 {
            slot.store(high as i32, Ordering::Relaxed);
        }
    }
    refresh_floor();
}

/// The runtime's descriptors (-1 for one not open).
fn ours() -> [i64; 7] {
    [
        out::fd(),
        LOADER.load(Ordering::Relaxed),
        ring::fd(),
        DIAG.load(Ordering::Relaxed),
        shared::fd(),
        MAPS.load(Ordering::Relaxed),
        MEM.load(Ordering::Relaxed),
    ]
    .map(i64::from)
}

/// The first number above every descriptor of the runtime (at least 100).
fn above_ours() -> u64 {
    let top = ours().into_iter().max().unwrap_or(-1);
    (top + 1).max(100) as u64
}

/// `fcntl(fd, cmd, floor)` for `cmd` F_DUPFD or F_DUPFD_CLOEXEC, also when `floor` lies at or
/// above the descriptor limit: the runtime's descriptors sit above the program's soft limit
/// (the launcher put them there), so a new one beside them needs the limit raised for the
/// duplication only, as the launcher did. The soft limit can always go up to the hard one; the
/// hard one only with CAP_SYS_RESOURCE (when the launcher placed the descriptors above it).
/// Returns the new descriptor or a negative errno.
fn dup_from(fd: i32, floor: u64, cmd: u32) -> i64 {
    let r = raw::syscall3(sys::__NR_fcntl, fd as u64, cmd as u64, floor);
    if r != -(sys::EINVAL as i64) && r != -(sys::EMFILE as i64) {
        return r;
    }
    let mut old = [0u64; 2];
    let nofile = sys::RLIMIT_NOFILE as u64;
    if raw::syscall4(sys::__NR_prlimit64, 0, nofile, 0, old.as_mut_ptr() as u64) < 0 {
        return r;
    }
    let want = floor + 16;
    let raised = [old[0].max(want), old[1].max(want)];
    if raw::syscall4(sys::__NR_prlimit64, 0, nofile, raised.as_ptr() as u64, 0) < 0 {
        return r;
    }
    let r = raw::syscall3(sys::__NR_fcntl, fd as u64, cmd as u64, floor);
    // Lowering a limit back always succeeds; descriptors above it stay open and usable.
    raw::syscall4(sys::__NR_prlimit64, 0, nofile, old.as_ptr() as u64, 0);
    r
}

/// Moves a descriptor the runtime or a tool opened out of the program's way, next to the
/// runtime's other descriptors (above the program's descriptor limit when they are there);
/// returns its new number (close-on-exec unless `inherit`), or `fd` itself if there is no room.
pub fn move_high(fd: i32, inherit: bool) -> i32 {
    let cmd = if inherit {
        sys::F_DUPFD
    } else {
        sys::F_DUPFD_CLOEXEC
    };
    for floor in [above_ours(), 100] {
        let r = dup_from(fd, floor, cmd);
        if r >= 0 {
            raw::syscall1(sys::__NR_close, fd as u64);
            return r as i32;
        }
    }
    fd
}

/// The maps descriptor (`/proc/<pid>/maps` of this process, read with `pread`), or -1.
pub fn maps_fd() -> i32 {
    MAPS.load(Ordering::Relaxed)
}

/// The mem descriptor, or -1.
pub(crate) fn mem_fd() -> i32 {
    MEM.load(Ordering::Relaxed)
}

fn is_ours(fd: u64) -> bool {
    let fd = fd as i64;
    fd >= 0 && ours().contains(&fd)
}

pub(crate) fn close(a: [u64; 6]) -> i64 {
    if is_ours(a[0] & 0xffff_ffff) {
        return -(sys::EBADF as i64);
    }
    raw::syscall6(sys::__NR_close, a)
}

/// Moves our descriptor `fd` to a free number at or above `floor`; updates the record.
fn relocate(fd: i32) {
    let maps = MAPS.load(Ordering::Relaxed) == fd;
    let cmd = if maps {
        sys::F_DUPFD_CLOEXEC
    } else {
        sys::F_DUPFD
    };
    for floor in [above_ours(), 100, 10] {
        let new = dup_from(fd, floor, cmd);
        if new >= 0 {
            if maps {
                MAPS.store(new as i32, Ordering::Relaxed);
            }
            if out::fd() == fd {
                out::moved_to(new as i32);
            }
            if DIAG.load(Ordering::Relaxed) == fd {
                DIAG.store(new as i32, Ordering::Relaxed);
            }
            if LOADER.load(Ordering::Relaxed) == fd {
                LOADER.store(new as i32, Ordering::Relaxed);
                crate::config::patch_number("loaderfd", new as u64, LOADER_FD_WIDTH);
            }
            if shared::fd() == fd {
                shared::moved_to(new as i32);
            }
            if ring::fd() == fd {
                ring::moved_to(new as i32);
            }
            refresh_floor();
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
    let mut ours = ours();
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

fn dec(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = buf.len();
    loop {
        n -= 1;
        buf[n] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[n..]
}

/// Whether `fd` is open on this process's own `/proc/<pid>/fd` directory (`/proc/self/fd`,
/// `/dev/fd`, `/proc/thread-self/fd` all lead there).
fn is_own_fd_dir(fd: u64) -> bool {
    let mut path = [0u8; 40];
    let mut d = [0u8; 20];
    let prefix = b"/proc/self/fd/";
    path[..prefix.len()].copy_from_slice(prefix);
    let digits = dec(fd & 0xffff_ffff, &mut d);
    path[prefix.len()..prefix.len() + digits.len()].copy_from_slice(digits);
    let mut target = [0u8; 64];
    let n = raw::syscall3(
        sys::__NR_readlink,
        path.as_ptr() as u64,
        target.as_mut_ptr() as u64,
        target.len() as u64,
    );
    let Ok(n) = usize::try_from(n) else {
        return false;
    };
    let t = &target[..n.min(target.len())];
    let Some(rest) = t.strip_prefix(b"/proc/") else {
        return false;
    };
    let Some(num) = rest
        .strip_suffix(b"/fd")
        .or_else(|| rest.strip_suffix(b"/fd/"))
    else {
        return false;
    };
    let mut v: u64 = 0;
    for &c in num {
        if !c.is_ascii_digit() {
            return false;
        }
        v = v * 10 + (c - b'0') as u64;
    }
    // The thread's own task directory counts as well (/proc/<tid>/fd: the same table).
    v == raw::getpid() as u64 || v == raw::gettid() as u64
}

/// `getdents64` on this process's own descriptor directory leaves the runtime's descriptors
/// out: the program's view of "all my descriptors" is what it would be natively.
pub(crate) fn getdents64(a: [u64; 6]) -> i64 {
    let (fd, buf, len) = (a[0], a[1], a[2]);
    let ours = ours();
    let mut own_dir = None;
    loop {
        let r = raw::syscall3(sys::__NR_getdents64, fd, buf, len);
        if r <= 0 {
            return r;
        }
        // Only a batch that names one of our numbers (as a symlink) can come from our own
        // descriptor directory; the readlink that tells is paid only then, not for every
        // directory a `find` reads.
        match drop_ours(buf, r as u64, &ours, true) {
            Ok(0) => return r,
            Ok(_) => {}
            Err(e) => return e,
        }
        if !*own_dir.get_or_insert_with(|| is_own_fd_dir(fd)) {
            return r;
        }
        match drop_ours(buf, r as u64, &ours, false) {
            Ok(kept) if kept > 0 => return kept as i64,
            Ok(_) => {} // everything in this batch was ours: read the next one
            Err(e) => return e,
        }
    }
}

/// Walks the `linux_dirent64` records in `buf[..total]`. With `count_only`, returns how many
/// are our descriptors (symlinks named by one of `ours`); otherwise removes those records by
/// moving the others down, and returns the bytes kept.
fn drop_ours(buf: u64, total: u64, ours: &[i64], count_only: bool) -> Result<u64, i64> {
    const DT_LNK: u8 = 10;
    // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
    let (mut at, mut kept, mut found) = (0u64, 0u64, 0u64);
    // Every `getdents64` of the program passes here (`find` makes tens of thousands): the
    // records are read a window at a time, not one guarded copy per record.
    let mut records = crate::memory::guest::Window::new(buf, total);
    while at + 19 < total {
        let Some(hdr) = records.get(at, 19) else {
            return Err(-(sys::EFAULT as i64));
        };
        let (reclen, d_type) = (u16::from_le_bytes([hdr[16], hdr[17]]) as u64, hdr[18]);
        if reclen < 19 || at + reclen > total {
            return Ok(if count_only { found } else { total }); // not what the kernel writes
        }
        let mut drop = false;
        if d_type == DT_LNK {
            // A descriptor's name: up to 10 digits, then the NUL, inside the record.
            let name = records
                .get(at + 19, (reclen as usize - 19).min(11))
                .unwrap_or(&[]);
            let n = name.iter().position(|&c| c == 0).unwrap_or(usize::MAX);
            if n > 0 && n < 11 && name[..n].iter().all(|c| c.is_ascii_digit()) {
                let num = name[..n]
                    .iter()
                    .fold(0i64, |v, &c| v * 10 + (c - b'0') as i64);
                drop = ours.contains(&num);
            }
        }
        found += drop as u64;
        if !drop && !count_only {
            if kept != at {
                // Move the record down over the dropped ones (guest memory to guest memory
                // through a bounce buffer).
                let mut rec = [0u8; 280];
                let m = (reclen as usize).min(rec.len());
                if !crate::memory::guest::read(buf + at, &mut rec[..m])
                    || !crate::memory::guest::write(buf + kept, &rec[..m])
                {
                    return Err(-(sys::EFAULT as i64));
                }
            }
            kept += reclen;
        }
        at += reclen;
    }
    Ok(if count_only { found } else { kept })
}

/// The runtime's descriptors are marked close-on-exec ([`close_on_exec`]).
static CLOSE_ON_EXEC: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Whether the runtime's descriptors are marked close-on-exec now.
pub(crate) fn closing_on_exec() -> bool {
    CLOSE_ON_EXEC.load(Ordering::Relaxed)
}

/// Marks every descriptor of the runtime close-on-exec (`on`), or clears the mark again: an
/// image the kernel execs itself, outside sysgate, must not inherit them (a pipe of `-o |cmd`
/// would never see its end), and they must stay open if that exec fails. The maps and mem
/// views are always close-on-exec.
pub(crate) fn close_on_exec(on: bool) {
    if !on && !CLOSE_ON_EXEC.load(Ordering::Relaxed) {
        return;
    }
    CLOSE_ON_EXEC.store(on, Ordering::Relaxed);
    let maps = MAPS.load(Ordering::Relaxed) as i64;
    let mem = MEM.load(Ordering::Relaxed) as i64;
    for fd in ours() {
        if fd < 0 || fd == maps || fd == mem {
            continue;
        }
        let flag = if on { sys::FD_CLOEXEC } else { 0 };
        raw::syscall3(sys::__NR_fcntl, fd as u64, sys::F_SETFD as u64, flag as u64);
    }
}
