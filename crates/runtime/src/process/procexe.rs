//! `/proc/self/exe` names the program, as natively — not `sysgate-loader`, which is what the
//! kernel started. `readlink`/`readlinkat` of it (also `/proc/<own pid>/exe` and
//! `/proc/thread-self/exe`) answer with the program's path; `execve` of it runs the program
//! (see `exec.rs`). Opening it still opens the loader.

use crate::config;
use crate::memory::guest;
use crate::raw::{self, sys};

/// Whether `path` names this process's executable link.
pub fn names_own_exe(path: &[u8]) -> bool {
    if path == b"/proc/self/exe" || path == b"/proc/thread-self/exe" {
        return true;
    }
    let Some(rest) = path.strip_prefix(b"/proc/") else {
        return false;
    };
    let Some(num) = rest.strip_suffix(b"/exe") else {
        return false;
    };
    let mut v: i64 = 0;
    for &c in num {
        if !c.is_ascii_digit() || v > i32::MAX as i64 {
            return false;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    !num.is_empty() && (v == raw::getpid() as i64 || v == raw::gettid() as i64)
}

/// `readlink(path, buf, size)` / `readlinkat(dirfd, path, buf, size)`.
pub(crate) fn readlink(nr: u32, a: [u64; 6]) -> i64 {
    let (path_p, buf, size) = if nr == sys::__NR_readlink {
        (a[0], a[1], a[2])
    } else {
        (a[1], a[2], a[3])
    };
    let mut path = [0u8; 64];
    let exe = config::get().exe();
    if let (Some(n), Some(exe)) = (guest::read_cstr(path_p, &mut path), exe) {
        if n < path.len() && names_own_exe(&path[..n]) {
            if (size as i64) <= 0 {
                return -(sys::EINVAL as i64);
            }
            let m = exe.len().min(size as usize);
            return if guest::write(buf, &exe[..m]) {
                m as i64
            } else {
                -(sys::EFAULT as i64)
            };
        }
    }
    raw::syscall6(nr, a)
}
