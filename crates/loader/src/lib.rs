//! Starting a program under sysgate, and ending like it.
//!
//! Today the runtime enters the program as a preloaded library: [`launch`] starts the program
//! with `LD_PRELOAD` and the runtime's configuration in its environment, and with the runtime's
//! file descriptors at high numbers. [`resolve`] finds the program the way a shell does, with a
//! shell's exit codes for failures; [`exit_like`] ends sysgate the way the program ended.
#![allow(unsafe_code)]

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// Why a program could not be started; the exit code follows the shell's convention.
#[derive(Debug)]
pub struct StartError {
    pub message: String,
    pub code: i32,
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn check_executable(p: &Path, shown: &OsStr) -> Result<PathBuf, StartError> {
    let md = std::fs::metadata(p).map_err(|e| StartError {
        message: format!("{}: {}", shown.to_string_lossy(), plain(&e)),
        code: 127,
    })?;
    if md.is_dir() {
        return Err(StartError { message: format!("{}: Is a directory", shown.to_string_lossy()), code: 126 });
    }
    if md.permissions().mode() & 0o111 == 0 {
        return Err(StartError { message: format!("{}: Permission denied", shown.to_string_lossy()), code: 126 });
    }
    Ok(p.to_path_buf())
}

fn plain(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Finds `prog` as `execvp` would: a name with a `/` is taken as is, others are looked up in
/// `PATH`. Not found: 127; found but not executable: 126.
pub fn resolve(prog: &OsStr) -> Result<PathBuf, StartError> {
    let bytes = prog.as_encoded_bytes();
    if bytes.is_empty() {
        return Err(StartError { message: "empty program name".into(), code: 127 });
    }
    if bytes.contains(&b'/') {
        return check_executable(Path::new(prog), prog);
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/local/bin:/usr/bin:/bin"));
    let mut denied = None;
    for dir in std::env::split_paths(&path) {
        let cand = if dir.as_os_str().is_empty() { PathBuf::from(".").join(prog) } else { dir.join(prog) };
        if cand.is_file() {
            match check_executable(&cand, prog) {
                Ok(p) => return Ok(p),
                Err(e) => denied = Some(e),
            }
        }
    }
    Err(denied.unwrap_or(StartError {
        message: format!("{}: command not found", prog.to_string_lossy()),
        code: 127,
    }))
}

/// Where the runtime's descriptors go: above the usual soft limit of 1024, so that a program
/// that fills its whole descriptor table (or `dup2`s onto every number below its limit) never
/// meets them, yet low enough to keep the kernel's descriptor table small.
const HIGH_FD: u64 = 4000;

/// Duplicates `fd` to a high number that the program is unlikely to use, without close-on-exec
/// (the runtime in every later image writes to it). Numbers at or above the soft limit are
/// reached by raising the soft limit for the duplication only; the program inherits the
/// original limit.
pub fn dup_high(fd: RawFd) -> std::io::Result<RawFd> {
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) };
    let mut floors = Vec::new();
    if rl.rlim_max > HIGH_FD + 64 {
        floors.push(HIGH_FD);
    }
    floors.extend([rl.rlim_cur.min(1024).saturating_sub(24), 100, 10]);
    for floor in floors {
        if floor <= 2 {
            continue;
        }
        let raised = libc::rlimit { rlim_cur: rl.rlim_max.max(rl.rlim_cur), rlim_max: rl.rlim_max };
        // SAFETY: raising our own soft limit up to the hard limit, then F_DUPFD on a descriptor
        // we own (returns a new descriptor or -1), then the original limit back.
        let r = unsafe {
            libc::setrlimit(libc::RLIMIT_NOFILE, &raised);
            let r = libc::fcntl(fd, libc::F_DUPFD, floor as libc::c_int);
            libc::setrlimit(libc::RLIMIT_NOFILE, &rl);
            r
        };
        if r >= 0 {
            return Ok(r);
        }
    }
    Err(std::io::Error::last_os_error())
}

/// What [`launch`] needs to know.
pub struct Launch<'a> {
    pub program: &'a Path,
    /// argv[0] as the user gave it.
    pub argv0: &'a OsStr,
    pub args: &'a [OsString],
    /// The runtime library to preload.
    pub runtime: &'a Path,
    /// `SYSGATE_CONFIG` (without `lib=`, which is added here).
    pub config: String,
    /// Trace output descriptor (already at a high number), or -1.
    pub out_fd: RawFd,
    /// Diagnostics descriptor (a high copy of stderr).
    pub diag_fd: RawFd,
    /// The tool wants the first `execve` line.
    pub show_execve: bool,
}

/// Starts the program and waits for it; returns its pid and how it ended.
pub fn launch(l: &Launch<'_>) -> std::io::Result<(u32, ExitStatus)> {
    let lib = l.runtime.to_string_lossy().into_owned();
    let preload = match std::env::var_os("LD_PRELOAD") {
        Some(v) if !v.is_empty() => format!("{}:{}", lib, v.to_string_lossy()),
        _ => lib.clone(),
    };
    let mut cmd = Command::new(l.program);
    cmd.arg0(l.argv0)
        .args(l.args)
        .env("LD_PRELOAD", preload)
        .env("SYSGATE_CONFIG", format!("lib={};{}", lib, l.config))
        .env("SYSGATE_FDS", format!("{},{}", l.out_fd, l.diag_fd));
    if l.show_execve {
        cmd.env("SYSGATE_EXECVE", "0");
    }
    let mut child = cmd.spawn()?;
    let pid = child.id();
    // Like a shell waiting for a foreground job: ^C and ^\ are for the program.
    // SAFETY: changing the disposition of two signals in this single-threaded process.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGQUIT, libc::SIG_IGN);
    }
    let status = child.wait();
    // SAFETY: as above, restoring the defaults.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::signal(libc::SIGQUIT, libc::SIG_DFL);
    }
    status.map(|s| (pid, s))
}

/// Ends this process the way `status` says the program ended: the same exit code, or death by
/// the same signal (without leaving a core file of sysgate itself).
pub fn exit_like(status: ExitStatus) -> ! {
    if let Some(code) = status.code() {
        std::process::exit(code);
    }
    let sig = status.signal().unwrap_or(libc::SIGKILL);
    // SAFETY: plain libc calls on our own process: no core of sysgate, default action,
    // unblocked, then the signal itself.
    unsafe {
        let rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        libc::setrlimit(libc::RLIMIT_CORE, &rl);
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::kill(libc::getpid(), sig);
    }
    std::process::exit(128 + sig);
}

/// Opens the trace output file like strace's `-o`: created, truncated, appended to by every
/// process of the tree.
pub fn open_output(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_APPEND)
        .open(path)
}

/// A high, inheritable copy of `f`.
pub fn high_copy(f: &impl AsRawFd) -> std::io::Result<RawFd> {
    dup_high(f.as_raw_fd())
}
