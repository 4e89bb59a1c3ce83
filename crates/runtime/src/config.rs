//! Start-up configuration, carried from `sysgate` (or from the previous image, across `execve`)
//! in the environment, and removed from it before the program's `main` runs — the program sees
//! the environment it was given.
//!
//! Variables:
//! - `SYSGATE_CONFIG=key=value;key=value…`: `loader=` (absolute path of `sysgate-loader`),
//!   `follow=0|1`, `rewrite=0`, `page0=0`, `displace=0`, `vdso=`, `shm=` (the shared region's descriptor, see
//!   `shared.rs`), plus the tools' own keys (see [`Config::raw`]). Fixed-width values may be
//!   rewritten in place ([`patch_number`]) so that later images see them;
//! - `SYSGATE_EXEC=<path>`: the program `sysgate-loader` is to start;
//! - `SYSGATE_FDS=out,diag`: the runtime's file descriptors (trace output, diagnostics);
//! - `SYSGATE_ROOT=<pid>`: the first process sysgate started;
//! - `SYSGATE_SECCOMP=1`: the vsyscall filter is already installed in this process tree;
//! - `SYSGATE_UNTRACED=1`: this image belongs to a process the tool does not show;
//! - `SYSGATE_EXECVE=<hex>`: the image was entered by a traced `execve` whose envp pointer was
//!   this (the tool prints the `execve(...) = 0` line);
#![allow(unsafe_code)]

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

const RAW_CAP: usize = 8192;
const EXE_CAP: usize = 4096;

pub struct Config {
    raw: [u8; RAW_CAP],
    raw_len: usize,
    /// `SYSGATE_EXEC`: the program the loader is to start (NUL-terminated), or null.
    exec: *const u8,
    /// Children (threads and processes) are shown too.
    pub follow: bool,
    /// This image's first thread is shown.
    pub follow_root: bool,
    /// envp pointer value of the traced execve that started this image.
    pub execve_envp: Option<u64>,
    /// Pid of the first process sysgate started (`SYSGATE_ROOT`, else this process).
    pub root_pid: i32,
    /// The vsyscall seccomp filter is in place for this process tree.
    pub seccomp: bool,
    /// Syscall sites are rewritten (not `rewrite=0`); the instruction before a `syscall` may
    /// move into a trampoline (not `displace=0`). Read on every first call of a site.
    pub rewrite: bool,
    pub displace: bool,
    /// `SYSGATE_FDS`: the trace output and diagnostics descriptors sysgate passed (-1: none);
    /// [`crate::init_from_env`] hands them to the descriptor guard.
    pub out_fd: i32,
    pub diag_fd: i32,
    /// The program's absolute path: what `/proc/self/exe` names natively (it names
    /// `sysgate-loader` here).
    exe: [u8; EXE_CAP],
    exe_len: usize,
}

impl Config {
    /// The whole `SYSGATE_CONFIG` value.
    pub fn raw(&self) -> &str {
        core::str::from_utf8(&self.raw[..self.raw_len]).unwrap_or("")
    }
    /// The value of `key` in `SYSGATE_CONFIG`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.raw().split(';').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == key).then_some(v)
        })
    }
    /// The descriptor named by `key` (`shm=FD`, `rings=FD`, `loaderfd=FD`), if any.
    pub fn fd(&self, key: &str) -> Option<i32> {
        self.get(key)
            .and_then(|v| v.parse::<i32>().ok())
            .filter(|&fd| fd >= 0)
    }
    /// The program's absolute path (what `/proc/self/exe` would name), if known.
    pub fn exe(&self) -> Option<&[u8]> {
        (self.exe_len > 0).then(|| &self.exe[..self.exe_len])
    }

    /// The program to start (`SYSGATE_EXEC`), a NUL-terminated string.
    pub fn exec_path(&self) -> Option<*const u8> {
        (!self.exec.is_null()).then_some(self.exec)
    }
}

struct Cell(UnsafeCell<Config>);
// SAFETY: written only by `init_from_env`, once, before any second thread exists.
unsafe impl Sync for Cell {}
static CONFIG: Cell = Cell(UnsafeCell::new(Config {
    raw: [0; RAW_CAP],
    raw_len: 0,
    exec: core::ptr::null(),
    follow: false,
    follow_root: true,
    execve_envp: None,
    root_pid: 0,
    seccomp: false,
    rewrite: true,
    displace: true,
    out_fd: -1,
    diag_fd: -1,
    exe: [0; EXE_CAP],
    exe_len: 0,
}));

/// Rewrites the value of `key` in the configuration in place with `v`, zero-padded to
/// `width` digits, if the value has exactly that width (it was written that way by `sysgate`,
/// or by an earlier call) and `v` fits. The configuration travels to later images as it is
/// (`execve` copies it), so this is how a value learned in this image reaches them.
pub fn patch_number(key: &str, v: u64, width: usize) -> bool {
    // SAFETY: the configuration is only read elsewhere; a value is rewritten in place with
    // ASCII digits of the same length, so a concurrent reader sees either digits or digits.
    let c = unsafe { &mut *CONFIG.0.get() };
    let raw = &mut c.raw[..c.raw_len];
    let mut at = 0;
    while at < raw.len() {
        let end = raw[at..]
            .iter()
            .position(|&b| b == b';')
            .map_or(raw.len(), |p| at + p);
        let kv = &raw[at..end];
        if kv.len() == key.len() + 1 + width
            && kv.starts_with(key.as_bytes())
            && kv[key.len()] == b'='
        {
            if width < 20 && v >= 10u64.pow(width as u32) {
                return false;
            }
            let digits = &mut raw[at + key.len() + 1..end];
            let mut x = v;
            for d in digits.iter_mut().rev() {
                *d = b'0' + (x % 10) as u8;
                x /= 10;
            }
            return true;
        }
        at = end + 1;
    }
    false
}

/// Records the program's absolute path (the loader calls this before arming the runtime).
pub fn set_exe(path: &[u8]) {
    // SAFETY: single-threaded start-up.
    let c = unsafe { &mut *CONFIG.0.get() };
    let n = path.len().min(EXE_CAP);
    c.exe[..n].copy_from_slice(&path[..n]);
    c.exe_len = n;
}

/// Records whether the vsyscall filter is in place (it is inherited by every later image).
pub(crate) fn note_seccomp(on: bool) {
    // SAFETY: single-threaded start-up (called from `arm`).
    unsafe { (*CONFIG.0.get()).seccomp = on };
}

pub fn get() -> &'static Config {
    // SAFETY: read-only after start-up.
    unsafe { &*CONFIG.0.get() }
}

fn strlen(p: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: environment strings are NUL-terminated and readable (the kernel built them).
    unsafe {
        while *p.add(n) != 0 {
            n += 1;
        }
    }
    n
}

fn parse_hex(s: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    if s.is_empty() {
        return None;
    }
    for &c in s {
        let d = (c as char).to_digit(16)?;
        v = v.checked_mul(16)?.checked_add(d as u64)?;
    }
    Some(v)
}

fn parse_dec(s: &[u8]) -> Option<i32> {
    let mut v: i32 = 0;
    if s.is_empty() {
        return None;
    }
    for &c in s {
        let d = (c as char).to_digit(10)?;
        v = v.checked_mul(10)?.checked_add(d as i32)?;
    }
    Some(v)
}

/// Reads and removes the runtime's variables from the environment array `envp` (in place, so
/// that the program never sees them). Returns false if `SYSGATE_CONFIG` is absent.
///
/// # Safety
/// `envp` must be the process's NUL-terminated environment array, single-threaded start-up.
pub unsafe fn init_from_env(envp: *mut *const u8) -> bool {
    // SAFETY: single-threaded start-up (caller contract).
    let c = unsafe { &mut *CONFIG.0.get() };
    let mut found = false;
    let mut read = 0usize;
    let mut write = 0usize;
    loop {
        // SAFETY: envp is NUL-terminated (caller contract); `write <= read`.
        let p = unsafe { *envp.add(read) };
        if p.is_null() {
            // SAFETY: as above.
            unsafe { *envp.add(write) = core::ptr::null() };
            break;
        }
        read += 1;
        // SAFETY: every entry is a NUL-terminated string.
        let s = unsafe { core::slice::from_raw_parts(p, strlen(p)) };
        let mut keep = Some(p);
        if let Some(v) = s.strip_prefix(b"SYSGATE_CONFIG=") {
            let n = v.len().min(RAW_CAP);
            c.raw[..n].copy_from_slice(&v[..n]);
            c.raw_len = n;
            found = true;
            keep = None;
        } else if let Some(v) = s.strip_prefix(b"SYSGATE_FDS=") {
            let mut it = v.split(|&b| b == b',');
            let out = it.next().and_then(parse_dec).unwrap_or(-1);
            let diag = it.next().and_then(parse_dec).unwrap_or(-1);
            (c.out_fd, c.diag_fd) = (out, diag);
            keep = None;
        } else if let Some(v) = s.strip_prefix(b"SYSGATE_ROOT=") {
            c.root_pid = parse_dec(v).unwrap_or(0);
            keep = None;
        } else if s.starts_with(b"SYSGATE_SECCOMP=") {
            c.seccomp = true;
            keep = None;
        } else if s.starts_with(b"SYSGATE_UNTRACED=") {
            c.follow_root = false;
            keep = None;
        } else if let Some(v) = s.strip_prefix(b"SYSGATE_EXECVE=") {
            c.execve_envp = parse_hex(v);
            keep = None;
        } else if s.starts_with(b"SYSGATE_EXEC=") {
            // SAFETY: the value starts 13 bytes into this NUL-terminated string.
            c.exec = unsafe { p.add(13) };
            keep = None;
        }
        if let Some(k) = keep {
            // SAFETY: `write < read`, inside the array.
            unsafe { *envp.add(write) = k };
            write += 1;
        }
    }
    if !found {
        return false;
    }
    c.follow = c.get("follow") == Some("1");
    c.rewrite = c.get("rewrite") != Some("0");
    c.displace = c.get("displace") != Some("0");
    if c.root_pid == 0 {
        c.root_pid = crate::raw::getpid();
    }
    true
}

/// A value set once at start-up (before the runtime is armed) and read-only afterwards: the
/// safe way for tools to keep their configuration in a `static`.
pub struct StartupCell<T> {
    set: AtomicBool,
    value: UnsafeCell<Option<T>>,
}

// SAFETY: the value is written once, before `set` becomes true with release ordering, and only
// read after observing `set` with acquire ordering; it is never written again.
unsafe impl<T: Sync> Sync for StartupCell<T> {}

impl<T> StartupCell<T> {
    pub const fn new() -> Self {
        StartupCell {
            set: AtomicBool::new(false),
            value: UnsafeCell::new(None),
        }
    }

    /// Stores `v` if nothing was stored yet; returns whether it did. Call it during
    /// single-threaded start-up only.
    pub fn set(&self, v: T) -> bool {
        if self.set.load(Ordering::Acquire) {
            return false;
        }
        // SAFETY: start-up is single-threaded and nothing has been published yet, so no reader
        // can hold a reference into the cell.
        unsafe { *self.value.get() = Some(v) };
        self.set.store(true, Ordering::Release);
        true
    }

    pub fn get(&self) -> Option<&T> {
        if !self.set.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: published and never written again (see `set`).
        unsafe { (*self.value.get()).as_ref() }
    }
}

impl<T> Default for StartupCell<T> {
    fn default() -> Self {
        Self::new()
    }
}
