//! A loader started by hand is its own launcher: `TOOL [OPTIONS] [--] PROGRAM [ARGS]`.
//!
//! A tool built with `sysgate-sdk` is one executable, this loader with the tool's handlers
//! inside. Started from a shell, it has no `SYSGATE_CONFIG` in its environment; it then does
//! what `sysgate run` does before the loader runs — parse its options, find the program on
//! `PATH`, refuse a program whose privileges the loader could not grant, set up the
//! descriptors and the shared region the runtime uses — and executes itself again, this time
//! as the program's loader (the same process: its pid, its exit status and its signals are the
//! program's). Every `execve` the program makes comes back to the same executable
//! (`loader=`), so the tool follows it into each new image.
//!
//! No libc: everything here is a raw syscall on fixed buffers.
#![allow(unsafe_code)]

use crate::boot::{cbytes, die, warn_line, Errno};
use sysgate_runtime::output::shared::FD_WIDTH;
use sysgate_runtime::raw::{self, sys};

/// How a tool presents itself when started by hand.
pub struct Launcher {
    /// The tool's name, in its usage and messages.
    pub name: &'static str,
    /// One line saying what the tool does (`--help`).
    pub about: &'static str,
    /// The tool's own settings for `--help`, one `  --NAME=VALUE  what` line each (or "").
    pub settings: &'static str,
    /// 64-bit words of the region every process of the run shares (0: no region).
    pub shared_words: usize,
}

/// The first descriptor number tried for the runtime's own descriptors (as `sysgate`'s).
const HIGH_FD: u64 = 4000;

/// Configuration keys of a tool's own settings are `t.NAME` (read with
/// `sysgate_sdk::setting`).
pub const SETTING_PREFIX: &str = "t.";

/// Environment variables the runtime reads; a copy in the caller's environment is dropped.
const RUNTIME_VARS: [&[u8]; 7] = [
    b"SYSGATE_CONFIG=",
    b"SYSGATE_EXEC=",
    b"SYSGATE_FDS=",
    b"SYSGATE_ROOT=",
    b"SYSGATE_SECCOMP=",
    b"SYSGATE_UNTRACED=",
    b"SYSGATE_EXECVE=",
];

/// The new environment: the caller's, then the runtime's variables.
static mut ENV: [u64; 32768] = [0; 32768];
/// The runtime's variables' text (and the resolved program path).
static mut TEXT: [u8; 24 * 1024] = [0; 24 * 1024];

struct Text<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Text<'_> {
    fn push(&mut self, parts: &[&[u8]]) {
        for p in parts {
            if self.len + p.len() + 1 > self.buf.len() {
                die(b"command line", &Errno(-(sys::E2BIG as i64)), 1);
            }
            self.buf[self.len..self.len + p.len()].copy_from_slice(p);
            self.len += p.len();
        }
    }
    /// Ends the current string; returns its address.
    fn end(&mut self, start: usize) -> u64 {
        self.buf[self.len] = 0;
        self.len += 1;
        self.buf[start..].as_ptr() as u64
    }
}

fn dec(mut v: u64, width: usize, out: &mut [u8; 24]) -> &[u8] {
    let mut i = out.len();
    loop {
        i -= 1;
        out[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 && out.len() - i >= width {
            break;
        }
    }
    &out[i..]
}

fn write_out(fd: i32, parts: &[&[u8]]) {
    for p in parts {
        raw::write_all(fd, p);
    }
}

fn usage(l: &Launcher, fd: i32) {
    write_out(
        fd,
        &[
            b"Usage: ",
            l.name.as_bytes(),
            b" [OPTIONS] [--] PROGRAM [ARGS]\n",
            l.about.as_bytes(),
            b"\n\nOptions:\n  -o FILE, --output=FILE  write the tool's output to FILE (default: stderr)\n  --unprivileged          run a set-user-ID, set-group-ID or file-capability program\n                          without its privilege (default: refuse it)\n  -h, --help              this text\n",
        ],
    );
    if !l.settings.is_empty() {
        write_out(
            fd,
            &[
                b"\nSettings of ",
                l.name.as_bytes(),
                b":\n",
                l.settings.as_bytes(),
            ],
        );
        if !l.settings.ends_with('\n') {
            write_out(fd, &[b"\n"]);
        }
    }
}

fn bad_usage(l: &Launcher, what: &[u8]) -> ! {
    write_out(
        2,
        &[
            l.name.as_bytes(),
            b": ",
            what,
            b"\nTry '",
            l.name.as_bytes(),
            b" --help' for more information.\n",
        ],
    );
    raw::exit_group(1)
}

/// A high descriptor copy of `fd` that the program will not collide with (inherited by the
/// loader's image; the runtime's descriptor guard keeps it from the program afterwards).
fn dup_high(fd: i32) -> i64 {
    let mut rl = [0u64; 2];
    raw::syscall4(
        sys::__NR_prlimit64,
        0,
        sys::RLIMIT_NOFILE as u64,
        0,
        rl.as_mut_ptr() as u64,
    );
    let floor = if rl[0] > HIGH_FD + 64 {
        HIGH_FD
    } else {
        rl[0].saturating_sub(64).max(10)
    };
    raw::syscall3(sys::__NR_fcntl, fd as u64, sys::F_DUPFD as u64, floor)
}

fn starts(s: &[u8], p: &[u8]) -> bool {
    s.len() >= p.len() && &s[..p.len()] == p
}

fn env_get<'a>(envp: *mut *const u8, key: &[u8]) -> Option<&'a [u8]> {
    let mut i = 0;
    loop {
        // SAFETY: envp is the NULL-terminated environment array.
        let p = unsafe { *envp.add(i) };
        if p.is_null() {
            return None;
        }
        let s = cbytes(p);
        if starts(s, key) && s.get(key.len()) == Some(&b'=') {
            return Some(&s[key.len() + 1..]);
        }
        i += 1;
    }
}

/// Finds `prog` as `execvp` would: a name with a `/` is taken as it is; otherwise the first
/// executable regular file of that name in a `PATH` directory.
fn resolve(prog: &[u8], envp: *mut *const u8, text: &mut Text<'_>) -> Option<u64> {
    if prog.contains(&b'/') {
        let start = text.len;
        text.push(&[prog]);
        return Some(text.end(start));
    }
    let path = env_get(envp, b"PATH").unwrap_or(b"/usr/local/bin:/usr/bin:/bin");
    for dir in path.split(|&b| b == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let start = text.len;
        text.push(&[dir, b"/", prog]);
        let p = text.end(start);
        let mut st = [0u8; 144];
        let ok = raw::syscall4(
            sys::__NR_newfstatat,
            sys::AT_FDCWD as u64,
            p,
            st.as_mut_ptr() as u64,
            0,
        ) == 0
            && u32::from_le_bytes([st[24], st[25], st[26], st[27]]) & sys::S_IFMT == sys::S_IFREG
            && raw::syscall4(
                sys::__NR_faccessat2,
                sys::AT_FDCWD as u64,
                p,
                sys::X_OK as u64,
                sys::AT_EACCESS as u64,
            ) == 0;
        if ok {
            return Some(p);
        }
        text.len = start;
    }
    None
}

/// Parses the command line, sets the run up and executes this executable again as the
/// program's loader. Never returns.
///
/// # Safety
/// `argv` and `envp` are the kernel's NULL-terminated arrays of this process; single-threaded.
pub unsafe fn run(l: &'static Launcher, argc: usize, argv: *const u64, envp: *mut *const u8) -> ! {
    // SAFETY: single-threaded start-up; the buffers are only used here.
    let text_buf = unsafe { &mut *core::ptr::addr_of_mut!(TEXT) };
    let mut text = Text {
        buf: text_buf,
        len: 0,
    };
    // SAFETY: as above.
    let env = unsafe { &mut *core::ptr::addr_of_mut!(ENV) };

    let arg = |i: usize| -> &'static [u8] {
        // SAFETY: i < argc: argv[i] is a NUL-terminated string.
        cbytes(unsafe { *argv.add(i) } as *const u8)
    };
    let mut output: Option<&[u8]> = None;
    let mut unprivileged = false;
    let cfg_start = text.len;
    text.push(&[b"SYSGATE_CONFIG=tool=sdk;follow=1"]);
    let mut i = 1;
    while i < argc {
        let a = arg(i);
        if a == b"--" {
            i += 1;
            break;
        }
        if a.first() != Some(&b'-') || a == b"-" {
            break;
        }
        if a == b"-h" || a == b"--help" {
            usage(l, 1);
            raw::exit_group(0);
        } else if a == b"-o" {
            i += 1;
            if i >= argc {
                bad_usage(l, b"option requires an argument -- 'o'");
            }
            output = Some(arg(i));
        } else if let Some(f) = a.strip_prefix(b"--output=") {
            output = Some(f);
        } else if a == b"--unprivileged" {
            unprivileged = true;
        } else if let (Some(kv), true) = (a.strip_prefix(b"--"), a.contains(&b'=')) {
            if kv.contains(&b';') {
                bad_usage(l, b"a setting's value may not contain ';'");
            }
            text.push(&[b";", SETTING_PREFIX.as_bytes(), kv]);
        } else {
            let mut buf = [0u8; 600];
            let mut line = Text {
                buf: &mut buf,
                len: 0,
            };
            line.push(&[b"unrecognized option '", &a[..a.len().min(500)], b"'"]);
            let n = line.len;
            bad_usage(l, &line.buf[..n]);
        }
        i += 1;
    }
    if i >= argc {
        bad_usage(l, b"must have PROGRAM [ARGS]");
    }
    let prog = arg(i);
    if unprivileged {
        text.push(&[b";unpriv=1"]);
    }

    // The descriptors: diagnostics (a copy of stderr) and the tool's output.
    let diag = dup_high(2);
    let out = match output {
        None => dup_high(2),
        Some(f) => {
            // Not in `text`: the configuration string is being built there.
            let mut name = [0u8; 4097];
            if f.len() >= name.len() {
                die(f, &Errno(-(sys::ENAMETOOLONG as i64)), 1);
            }
            name[..f.len()].copy_from_slice(f);
            let p = name.as_ptr() as u64;
            let fd = raw::syscall4(
                sys::__NR_openat,
                sys::AT_FDCWD as u64,
                p,
                (sys::O_WRONLY | sys::O_CREAT | sys::O_TRUNC | sys::O_CLOEXEC) as u64,
                0o666,
            );
            if fd < 0 {
                die(f, &Errno(fd), 1);
            }
            let high = dup_high(fd as i32);
            raw::syscall1(sys::__NR_close, fd as u64);
            high
        }
    };
    if out < 0 && output.is_some() {
        die(b"output", &Errno(out), 1);
    }
    if l.shared_words > 0 {
        let fd = raw::syscall2(sys::__NR_memfd_create, c"sysgate-shared".as_ptr() as u64, 0);
        if fd < 0 {
            die(b"memfd_create", &Errno(fd), 1);
        }
        let r = raw::syscall2(sys::__NR_ftruncate, fd as u64, (l.shared_words * 8) as u64);
        if r < 0 {
            die(b"shared region", &Errno(r), 1);
        }
        let high = dup_high(fd as i32);
        raw::syscall1(sys::__NR_close, fd as u64);
        if high < 0 {
            die(b"shared region", &Errno(high), 1);
        }
        let mut d = [0u8; 24];
        text.push(&[b";shm=", dec(high as u64, FD_WIDTH, &mut d)]);
    }
    // This executable, for every later `execve` of the program.
    let mut exe = [0u8; 4096];
    let n = raw::syscall3(
        sys::__NR_readlink,
        c"/proc/self/exe".as_ptr() as u64,
        exe.as_mut_ptr() as u64,
        exe.len() as u64,
    );
    if n <= 0 || n as usize >= exe.len() {
        die(b"/proc/self/exe", &Errno(n.min(-1)), 1);
    }
    let exe = &exe[..n as usize];
    if exe.contains(&b';') {
        die(exe, &"the tool's own path may not contain ';'", 1);
    }
    text.push(&[b";loader=", exe]);
    let cfg = text.end(cfg_start);

    let Some(path) = resolve(prog, envp, &mut text) else {
        die(prog, &"command not found", 127);
    };
    // A privilege the kernel would grant at exec is lost under the loader: never silently.
    if let Some(what) = sysgate_runtime::process::exec::privilege(cbytes(path as *const u8)) {
        let p = cbytes(path as *const u8);
        if unprivileged {
            warn_line(&[
                l.name.as_bytes(),
                b": ",
                p,
                b": ",
                what,
                b": it runs without that privilege (--unprivileged)\n",
            ]);
        } else {
            warn_line(&[
                l.name.as_bytes(),
                b": ",
                p,
                b": ",
                what,
                b": under the tool it would run without that privilege; refused (--unprivileged runs it without)\n",
            ]);
            raw::exit_group(126);
        }
    }
    let exec_start = text.len;
    text.push(&[b"SYSGATE_EXEC=", cbytes(path as *const u8)]);
    let exec_var = text.end(exec_start);
    let fds_start = text.len;
    let (mut d1, mut d2) = ([0u8; 24], [0u8; 24]);
    let out_s: &[u8] = if out >= 0 {
        dec(out as u64, 1, &mut d1)
    } else {
        b"-1"
    };
    let diag_s: &[u8] = if diag >= 0 {
        dec(diag as u64, 1, &mut d2)
    } else {
        b"-1"
    };
    text.push(&[b"SYSGATE_FDS=", out_s, b",", diag_s]);
    let fds_var = text.end(fds_start);

    let mut n = 0;
    let mut k = 0;
    loop {
        // SAFETY: envp is NULL-terminated.
        let p = unsafe { *envp.add(k) };
        if p.is_null() {
            break;
        }
        k += 1;
        let s = cbytes(p);
        if RUNTIME_VARS.iter().any(|v| starts(s, v)) {
            continue;
        }
        if n + 4 >= env.len() {
            die(prog, &Errno(-(sys::E2BIG as i64)), 126);
        }
        env[n] = p as u64;
        n += 1;
    }
    env[n] = cfg;
    env[n + 1] = exec_var;
    env[n + 2] = fds_var;
    env[n + 3] = 0;
    let e = raw::syscall3(
        sys::__NR_execve,
        c"/proc/self/exe".as_ptr() as u64,
        // SAFETY: i < argc: the program's argv, NULL-terminated as the kernel left it.
        unsafe { argv.add(i) } as u64,
        env.as_ptr() as u64,
    );
    die(exe, &Errno(e), 126)
}
