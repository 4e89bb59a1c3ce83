//! `execve`/`execveat`: the new image starts with the runtime again.
//!
//! The program's environment is passed on with the runtime's variables put back in front
//! (`LD_PRELOAD` with our library first, `SYSGATE_CONFIG`, `SYSGATE_FDS`, and for the tool
//! `SYSGATE_UNTRACED`/`SYSGATE_EXECVE`). A statically linked or non-x86-64 image cannot be
//! preloaded: it runs untraced and a `sysgate:` warning says so.

use crate::api::Call;
use crate::config;
use crate::fds;
use crate::guest;
use crate::raw::{self, sys};
use crate::thread::Thread;

const STR_SPACE: usize = 16 * 1024;
const MAX_ENV: usize = 1 << 20;

/// A bump writer over the scratch mapping's string area.
struct Strings {
    base: u64,
    used: usize,
    cap: usize,
}

impl Strings {
    fn push(&mut self, parts: &[&[u8]]) -> Option<u64> {
        let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 1;
        if self.used + len > self.cap {
            return None;
        }
        let start = self.base + self.used as u64;
        let mut at = start;
        for p in parts {
            guest::write(at, p);
            at += p.len() as u64;
        }
        guest::write(at, &[0]);
        self.used += len;
        Some(start)
    }
}

fn hex(v: u64, buf: &mut [u8; 16]) -> &[u8] {
    let mut n = 0;
    let mut tmp = [0u8; 16];
    let mut x = v;
    loop {
        tmp[n] = b"0123456789abcdef"[(x & 15) as usize];
        n += 1;
        x >>= 4;
        if x == 0 {
            break;
        }
    }
    for i in 0..n {
        buf[i] = tmp[n - 1 - i];
    }
    &buf[..n]
}

fn dec(v: i32, buf: &mut [u8; 16]) -> &[u8] {
    let mut h = [0u8; 16];
    let mut n = 0;
    let neg = v < 0;
    let mut x = (v as i64).unsigned_abs();
    loop {
        h[n] = b'0' + (x % 10) as u8;
        n += 1;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    let mut o = 0;
    if neg {
        buf[0] = b'-';
        o = 1;
    }
    for i in 0..n {
        buf[o + i] = h[n - 1 - i];
    }
    &buf[..o + n]
}

fn ensure_scratch(t: &mut Thread, need: usize) -> Option<u64> {
    if t.scratch != 0 && t.scratch_len as usize >= need {
        return Some(t.scratch);
    }
    if t.scratch != 0 {
        raw::munmap(t.scratch, t.scratch_len as usize);
        t.scratch = 0;
    }
    let len = (need + 4095) & !4095;
    let m = raw::mmap_anon(len, sys::PROT_READ | sys::PROT_WRITE, sys::MAP_NORESERVE)?;
    t.scratch = m;
    t.scratch_len = len as u64;
    Some(m)
}

/// Warns when `path` is an ELF image the preloaded runtime cannot enter.
fn check_image(path: u64) {
    let mut name = [0u8; 512];
    let Some(n) = guest::read_cstr(path, &mut name[..511]) else { return };
    let fd = raw::syscall3(sys::__NR_open, name.as_ptr() as u64, (sys::O_RDONLY | sys::O_CLOEXEC) as u64, 0);
    if fd < 0 {
        return;
    }
    let mut eh = [0u8; 64];
    let got = raw::syscall4(sys::__NR_pread64, fd as u64, eh.as_mut_ptr() as u64, 64, 0);
    let mut why: Option<&[u8]> = None;
    if got == 64 && &eh[..4] == b"\x7fELF" {
        let class = eh[4];
        let machine = u16::from_le_bytes([eh[18], eh[19]]);
        if class != 2 || machine != 62 {
            why = Some(b"is not an x86-64 program; it runs untraced");
        } else {
            let phoff = u64::from_le_bytes([eh[32], eh[33], eh[34], eh[35], eh[36], eh[37], eh[38], eh[39]]);
            let phnum = u16::from_le_bytes([eh[56], eh[57]]) as usize;
            let mut ph = [0u8; 56 * 32];
            let n = phnum.min(32) * 56;
            let got = raw::syscall4(sys::__NR_pread64, fd as u64, ph.as_mut_ptr() as u64, n as u64, phoff);
            if got == n as i64 {
                let interp = ph[..n].chunks(56).any(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]]) == 3);
                if !interp {
                    why = Some(b"is statically linked; it runs untraced (static programs are not supported yet)");
                }
            }
        }
    }
    raw::syscall1(sys::__NR_close, fd as u64);
    if let Some(why) = why {
        let d = fds::diag_fd();
        if d >= 0 {
            let mut line = [0u8; 700];
            let mut l = 0;
            for part in [b"sysgate: " as &[u8], &name[..n], b": ", why, b"\n"] {
                let m = part.len().min(line.len() - l);
                line[l..l + m].copy_from_slice(&part[..m]);
                l += m;
            }
            raw::write_all(d, &line[..l]);
        }
    }
}

pub(crate) fn handle(call: &mut Call<'_>) -> i64 {
    let a = call.regs.args();
    let nr = call.nr as u32;
    let envp = if nr == sys::__NR_execve { a[2] } else { a[3] };
    let cfg = config::get();
    if nr == sys::__NR_execve {
        check_image(a[0]);
    }

    // Count the program's environment (pointers read through the guest copy).
    let mut count = 0usize;
    if envp != 0 {
        loop {
            let mut p = 0u64;
            if !guest::read_struct(envp + (count * 8) as u64, &mut p) {
                return -(sys::EFAULT as i64);
            }
            if p == 0 {
                break;
            }
            count += 1;
            if count > MAX_ENV {
                return -(sys::E2BIG as i64);
            }
        }
    }
    let ptr_bytes = (count + 8) * 8;
    let Some(base) = ensure_scratch(call.thread, ptr_bytes + STR_SPACE) else {
        return raw::syscall6(nr, a);
    };
    let mut strings = Strings { base: base + ptr_bytes as u64, used: 0, cap: STR_SPACE };
    let mut out = 0usize;
    let put = |p: u64, out: &mut usize| {
        guest::write_struct(base + (*out * 8) as u64, &p);
        *out += 1;
    };

    // The program's own LD_PRELOAD, kept after ours.
    let mut theirs = [0u8; 4096];
    let mut theirs_len = 0usize;
    for i in 0..count {
        let mut p = 0u64;
        guest::read_struct(envp + (i * 8) as u64, &mut p);
        let mut head = [0u8; 16];
        let n = guest::read_cstr(p, &mut head).unwrap_or(0);
        if head[..n].starts_with(b"LD_PRELOAD=") {
            if let Some(m) = guest::read_cstr(p + 11, &mut theirs[..4095]) {
                theirs_len = m;
            }
        } else if head[..n].starts_with(b"SYSGATE_") {
            // stale copies of our variables: replaced below
        } else {
            put(p, &mut out);
        }
    }
    let lib = cfg.lib();
    let mut ok = true;
    let preload = if theirs_len > 0 {
        strings.push(&[b"LD_PRELOAD=", lib, b":", &theirs[..theirs_len]])
    } else {
        strings.push(&[b"LD_PRELOAD=", lib])
    };
    let conf = strings.push(&[b"SYSGATE_CONFIG=", cfg.raw().as_bytes()]);
    let mut b1 = [0u8; 16];
    let mut b2 = [0u8; 16];
    let fdstr = strings.push(&[b"SYSGATE_FDS=", dec(fds::out_fd(), &mut b1), b",", dec(fds::diag_fd(), &mut b2)]);
    let mut b3 = [0u8; 16];
    let root = strings.push(&[b"SYSGATE_ROOT=", dec(cfg.root_pid, &mut b3)]);
    for s in [preload, conf, fdstr, root] {
        match s {
            Some(p) => put(p, &mut out),
            None => ok = false,
        }
    }
    if cfg.seccomp {
        match strings.push(&[b"SYSGATE_SECCOMP=1"]) {
            Some(p) => put(p, &mut out),
            None => ok = false,
        }
    }
    if !call.thread.traced {
        match strings.push(&[b"SYSGATE_UNTRACED=1"]) {
            Some(p) => put(p, &mut out),
            None => ok = false,
        }
    } else {
        let mut hb = [0u8; 16];
        match strings.push(&[b"SYSGATE_EXECVE=", hex(envp, &mut hb)]) {
            Some(p) => put(p, &mut out),
            None => ok = false,
        }
    }
    put(0, &mut out);
    if !ok {
        return raw::syscall6(nr, a);
    }
    let mut b = a;
    if nr == sys::__NR_execve {
        b[2] = base;
    } else {
        b[3] = base;
    }
    raw::syscall6(nr, b)
}
