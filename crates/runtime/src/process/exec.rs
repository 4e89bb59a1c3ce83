//! `execve`/`execveat`: the new image starts under sysgate again, from its first instruction.
//!
//! The call becomes `execve(sysgate-loader, same argv, env + SYSGATE_EXEC=<path> + the runtime's
//! variables)`; the loader maps the program in the new image. Once the loader runs, the old
//! image is gone, so everything the kernel would refuse is checked first and reported to the
//! program exactly as the kernel would (ENOENT, EACCES, ENOEXEC, a missing interpreter…).
//! An image the loader cannot run (an ELF for another machine, e.g. i386) is exec'd by the
//! kernel itself and runs untraced, with a `sysgate:` warning; so is the image a traced
//! process (under a debugger) execs (`debugger.rs`). Such an image inherits none of the
//! runtime's descriptors.

use crate::config;
use crate::memory::guest;
use crate::process::thread::Thread;
use crate::process::{debugger, fds};
use crate::raw::{self, sys};
use crate::regs::Regs;
use sysgate_abi::elf;

const STR_SPACE: usize = 16 * 1024;
const MAX_ENV: usize = 1 << 20;
const PATH_MAX: usize = 4096;

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

fn dec(v: i64, buf: &mut [u8; 24]) -> &[u8] {
    let mut n = buf.len();
    let neg = v < 0;
    let mut x = v.unsigned_abs();
    loop {
        n -= 1;
        buf[n] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    if neg {
        n -= 1;
        buf[n] = b'-';
    }
    &buf[n..]
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

fn err(e: u32) -> i64 {
    -(e as i64)
}

/// What the kernel would say about executing the NUL-terminated `path`, one level of `#!`
/// deep: `Ok(true)` if the loader can start it, `Ok(false)` if only the kernel can (another
/// machine), `Err(-errno)` if the exec must fail.
fn check(path: &[u8], depth: u32) -> Result<bool, i64> {
    let p = path.as_ptr() as u64;
    let mut st = [0u64; 18]; // struct stat (144 bytes)
    let r = raw::syscall2(sys::__NR_stat, p, st.as_mut_ptr() as u64);
    if r < 0 {
        return Err(r);
    }
    let mode = st[3] as u32; // st_mode (after st_dev, st_ino, st_nlink)
    if mode & sys::S_IFMT != sys::S_IFREG {
        return Err(err(sys::EACCES));
    }
    let r = raw::syscall2(sys::__NR_access, p, 1 /* X_OK */);
    if r < 0 {
        return Err(r);
    }
    let fd = raw::syscall3(
        sys::__NR_open,
        p,
        (sys::O_RDONLY | sys::O_CLOEXEC) as u64,
        0,
    );
    if fd < 0 {
        return Err(fd);
    }
    let mut head = [0u8; 4096];
    let n = raw::syscall4(
        sys::__NR_pread64,
        fd as u64,
        head.as_mut_ptr() as u64,
        head.len() as u64,
        0,
    );
    let result = (|| {
        let n = usize::try_from(n).map_err(|_| n)?;
        if let Some((interp, _)) = elf::shebang(&head[..n]) {
            if depth >= 4 {
                return Err(err(sys::ELOOP));
            }
            let mut ipath = [0u8; PATH_MAX + 1];
            if interp.len() > PATH_MAX {
                return Err(err(sys::ENAMETOOLONG));
            }
            ipath[..interp.len()].copy_from_slice(interp);
            return check(&ipath[..interp.len() + 1], depth + 1).map(|_| true);
        }
        match elf::plan(&head[..n]) {
            Ok(plan) => {
                if let Some((off, len)) = plan.interp {
                    let mut ipath = [0u8; PATH_MAX + 1];
                    let len = (len as usize).min(PATH_MAX);
                    let got = raw::syscall4(
                        sys::__NR_pread64,
                        fd as u64,
                        ipath.as_mut_ptr() as u64,
                        len as u64,
                        off,
                    );
                    if got != len as i64 {
                        return Err(err(sys::ENOEXEC));
                    }
                    let r = raw::syscall2(sys::__NR_access, ipath.as_ptr() as u64, 0);
                    if r < 0 {
                        return Err(r);
                    }
                }
                Ok(true)
            }
            // The kernel runs other machines' ELF images (i386, with IA-32 emulation).
            Err(elf::ElfError::NotX86_64(_)) => Ok(false),
            Err(elf::ElfError::NotElf) => Err(err(sys::ENOEXEC)),
            Err(_) => Err(err(sys::ENOEXEC)),
        }
    })();
    raw::syscall1(sys::__NR_close, fd as u64);
    result
}

/// What executing the file at `path` (NUL-terminated) would give this process: set-user-ID or
/// set-group-ID to another owner, or file capabilities; `None` when nothing (or the file
/// system is mounted `nosuid`). The loader maps the program itself, so the kernel never
/// grants those under sysgate. The answer is the words of a message (`is set-user-ID to
/// another user`).
pub fn privilege(path: &[u8]) -> Option<&'static [u8]> {
    const S_ISUID: u32 = 0o4000;
    const S_ISGID: u32 = 0o2000;
    const S_IXGRP: u32 = 0o0010;
    const ST_NOSUID: u64 = 2;
    // struct stat: st_mode (u32) at 24, st_uid at 28, st_gid at 32.
    let mut st = [0u8; 144];
    if raw::syscall4(
        sys::__NR_newfstatat,
        sys::AT_FDCWD as u64,
        path.as_ptr() as u64,
        st.as_mut_ptr() as u64,
        0,
    ) != 0
    {
        return None;
    }
    let u32_at = |i: usize| u32::from_le_bytes([st[i], st[i + 1], st[i + 2], st[i + 3]]);
    let (mode, uid, gid) = (u32_at(24), u32_at(28), u32_at(32));
    let euid = raw::syscall0(sys::__NR_geteuid) as u32;
    let egid = raw::syscall0(sys::__NR_getegid) as u32;
    let setuid = mode & S_ISUID != 0 && uid != euid;
    let setgid = mode & (S_ISGID | S_IXGRP) == S_ISGID | S_IXGRP && gid != egid;
    let caps = euid != 0
        && raw::syscall4(
            sys::__NR_getxattr,
            path.as_ptr() as u64,
            c"security.capability".as_ptr() as u64,
            0,
            0,
        ) > 0;
    if !(setuid || setgid || caps) {
        return None;
    }
    // struct statfs: f_flags (u64) at 88.
    let mut fs = [0u8; 120];
    if raw::syscall2(
        sys::__NR_statfs,
        path.as_ptr() as u64,
        fs.as_mut_ptr() as u64,
    ) == 0
    {
        let mut f = [0u8; 8];
        f.copy_from_slice(&fs[88..96]);
        if u64::from_le_bytes(f) & ST_NOSUID != 0 {
            return None;
        }
    }
    Some(match (setuid, setgid) {
        (true, _) => b"is set-user-ID to another user",
        (_, true) => b"is set-group-ID to another group",
        _ => b"has file capabilities",
    })
}

fn warn(path: &[u8], why: &[u8]) {
    warn_parts(path, &[why]);
}

/// `sysgate: PATH: PARTS…` on sysgate's stderr, one line.
fn warn_parts(path: &[u8], why: &[&[u8]]) {
    let d = fds::diag_fd();
    if d < 0 {
        return;
    }
    let mut line = [0u8; 700];
    let mut l = 0;
    let head = [b"sysgate: " as &[u8], path, b": "];
    for part in head.iter().chain(why).chain([b"\n" as &[u8]].iter()) {
        let m = part.len().min(line.len() - l);
        line[l..l + m].copy_from_slice(&part[..m]);
        l += m;
    }
    raw::write_all(d, &line[..l]);
}

/// What becomes of an `execve`.
pub(crate) enum Exec {
    /// The loader was exec'd and it failed, or the call fails before: the call's result.
    Ret(i64),
    /// The kernel is to exec the image itself, outside sysgate ([`outside`]).
    Outside,
    /// The same, because the tool lets go of the process at its exec (`trace -b execve`).
    Detach,
}

/// [`prepare`]'s words for [`Exec::Outside`] and [`Exec::Detach`] (no call returns them).
const OUTSIDE: i64 = i64::MIN;
const DETACH: i64 = i64::MIN + 1;

/// Makes the call as it is, for the kernel to exec outside sysgate: the new image gets none of
/// the runtime's descriptors. Returns only if the exec failed.
pub(crate) fn outside(nr: u32, a: [u64; 6]) -> i64 {
    let was = fds::closing_on_exec();
    fds::close_on_exec(true);
    let r = raw::syscall6(nr, a);
    fds::close_on_exec(was);
    r
}

/// `execve`/`execveat` of the program: re-enters the loader, or says the image is to run
/// outside sysgate (the caller reports the call, then makes it with [`outside`]).
pub(crate) fn handle(nr: u32, regs: &Regs, thread: &mut Thread) -> Exec {
    match prepare(nr, regs, thread) {
        OUTSIDE => Exec::Outside,
        DETACH => Exec::Detach,
        r => Exec::Ret(r),
    }
}

fn prepare(nr: u32, regs: &Regs, thread: &mut Thread) -> i64 {
    let a = regs.args();
    let (path_p, argv, envp) = if nr == sys::__NR_execve {
        (a[0], a[1], a[2])
    } else {
        // execveat: only the forms that name a path the loader can open are re-entered
        // (AT_FDCWD or an absolute path); fd-relative ones are exec'd by the kernel untraced.
        let absolute = {
            let mut c = [0u8; 1];
            guest::read(a[1], &mut c) && c[0] == b'/'
        };
        if !(a[0] as i32 == sys::AT_FDCWD || absolute) || a[4] & sys::AT_EMPTY_PATH as u64 != 0 {
            warn(b"execveat", b"descriptor-relative exec runs untraced");
            return OUTSIDE;
        }
        (a[1], a[2], a[3])
    };
    let mut path = [0u8; PATH_MAX + 1];
    let Some(mut plen) = guest::read_cstr(path_p, &mut path[..PATH_MAX]) else {
        return err(sys::EFAULT);
    };
    if plen == PATH_MAX {
        return err(sys::ENAMETOOLONG);
    }
    if plen == 0 {
        return err(sys::ENOENT);
    }
    // `/proc/self/exe` is the loader; natively it is the program.
    if crate::process::procexe::names_own_exe(&path[..plen]) {
        if let Some(exe) = config::get().exe() {
            let n = exe.len().min(PATH_MAX);
            path[..n].copy_from_slice(&exe[..n]);
            path[n] = 0;
            plen = n;
        }
    }
    // A traced process: its debugger is to meet the program as natively (`debugger.rs`).
    if let Some(tracer) = debugger::exec_leaves() {
        if debugger::tool_is_missed() {
            let mut b = [0u8; 24];
            warn_parts(
                &path[..plen],
                &[
                    b"traced by process ",
                    dec(tracer as i64, &mut b),
                    b" (a debugger): it runs outside sysgate",
                ],
            );
        }
        return OUTSIDE;
    }
    match check(&path[..plen + 1], 0) {
        Err(e) => return e,
        Ok(false) => {
            warn(&path[..plen], b"not an x86-64 program; it runs untraced");
            return OUTSIDE;
        }
        Ok(true) => {}
    }
    // `trace -b execve`: every exec of the program leaves the trace (the kernel's checks
    // above still give the program the error a failing exec would).
    if config::get().get("b") == Some("1") {
        return DETACH;
    }
    // A privilege the kernel would grant at this exec is lost under the loader: never silently.
    if let Some(what) = privilege(&path[..plen + 1]) {
        if config::get().get("unpriv") == Some("1") {
            warn_parts(
                &path[..plen],
                &[what, b": it runs without that privilege (--unprivileged)"],
            );
        } else {
            warn_parts(
                &path[..plen],
                &[
                    what,
                    b": under sysgate it would run without that privilege; refused with EPERM (--unprivileged runs it without)",
                ],
            );
            return err(sys::EPERM);
        }
    }
    let cfg = config::get();
    let loader_fd = fds::loader_fd();
    let loader = cfg.get("loader");
    if loader_fd < 0 && loader.is_none() {
        return OUTSIDE;
    }
    // The loader's image needs the runtime's descriptors (marked close-on-exec after a
    // `PTRACE_TRACEME` of this process, which a fork child inherits untraced).
    fds::close_on_exec(false);

    // Count the program's environment (pointers read through the guest copy).
    let mut count = 0usize;
    if envp != 0 {
        loop {
            let mut p = 0u64;
            if !guest::read_struct(envp + (count * 8) as u64, &mut p) {
                return err(sys::EFAULT);
            }
            if p == 0 {
                break;
            }
            count += 1;
            if count > MAX_ENV {
                return err(sys::E2BIG);
            }
        }
    }
    let ptr_bytes = (count + 12) * 8;
    let Some(base) = ensure_scratch(thread, ptr_bytes + STR_SPACE + PATH_MAX) else {
        return err(sys::ENOMEM);
    };
    let mut strings = Strings {
        base: base + ptr_bytes as u64,
        used: 0,
        cap: STR_SPACE + PATH_MAX,
    };
    let mut out = 0usize;
    let put = |p: u64, out: &mut usize| {
        guest::write_struct(base + (*out * 8) as u64, &p);
        *out += 1;
    };
    for i in 0..count {
        let mut p = 0u64;
        guest::read_struct(envp + (i * 8) as u64, &mut p);
        let mut head = [0u8; 8];
        let n = guest::read_cstr(p, &mut head).unwrap_or(0);
        if !head[..n].starts_with(b"SYSGATE_") {
            put(p, &mut out);
        }
    }
    let (mut b1, mut b2, mut b3) = ([0u8; 24], [0u8; 24], [0u8; 24]);
    let mut ours = [
        strings.push(&[b"SYSGATE_EXEC=", &path[..plen]]),
        strings.push(&[b"SYSGATE_CONFIG=", cfg.raw().as_bytes()]),
        strings.push(&[
            b"SYSGATE_FDS=",
            dec(crate::output::out::fd() as i64, &mut b1),
            b",",
            dec(fds::diag_fd() as i64, &mut b2),
        ]),
        strings.push(&[b"SYSGATE_ROOT=", dec(cfg.root_pid as i64, &mut b3)]),
        if cfg.seccomp {
            strings.push(&[b"SYSGATE_SECCOMP=1"])
        } else {
            Some(0)
        },
        if thread.traced {
            strings.push(&[b"SYSGATE_EXECVE=1"])
        } else {
            strings.push(&[b"SYSGATE_UNTRACED=1"])
        },
    ];
    // The loader's path (`loader=`), or "" with its descriptor (`execveat` of the descriptor
    // itself).
    let loader_p = strings.push(&[if loader_fd >= 0 {
        b""
    } else {
        loader.unwrap_or("").as_bytes()
    }]);
    for s in ours.iter_mut() {
        match s {
            Some(0) => {}
            Some(p) => put(*p, &mut out),
            None => return err(sys::E2BIG),
        }
    }
    put(0, &mut out);
    let Some(loader_p) = loader_p else {
        return err(sys::E2BIG);
    };
    if loader_fd >= 0 {
        raw::syscall6(
            sys::__NR_execveat,
            [
                loader_fd as u64,
                loader_p,
                argv,
                base,
                sys::AT_EMPTY_PATH as u64,
                0,
            ],
        )
    } else {
        raw::syscall3(sys::__NR_execve, loader_p, argv, base)
    }
}
