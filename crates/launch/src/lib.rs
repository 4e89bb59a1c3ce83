//! The host side of starting a program under sysgate, and ending like it.
//!
//! [`resolve`] finds the program the way a shell does and [`validate`] refuses what cannot run
//! (with a shell's exit codes: 127 not found, 126 cannot execute); [`launch`] starts
//! `sysgate-loader` with the program's own argv, the program in `SYSGATE_EXEC`, the runtime's
//! configuration in the environment and its descriptors at high numbers; the loader maps the
//! program inside the new process ([`exec`]: inside this one). [`exit_like`] ends sysgate the
//! way the program ended.
#![allow(unsafe_code)]

pub mod rings;

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
        return Err(StartError {
            message: format!("{}: Is a directory", shown.to_string_lossy()),
            code: 126,
        });
    }
    if md.permissions().mode() & 0o111 == 0 {
        return Err(StartError {
            message: format!("{}: Permission denied", shown.to_string_lossy()),
            code: 126,
        });
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
        return Err(StartError {
            message: "empty program name".into(),
            code: 127,
        });
    }
    if bytes.contains(&b'/') {
        return check_executable(Path::new(prog), prog);
    }
    let path =
        std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/local/bin:/usr/bin:/bin"));
    let mut denied = None;
    for dir in std::env::split_paths(&path) {
        let cand = if dir.as_os_str().is_empty() {
            PathBuf::from(".").join(prog)
        } else {
            dir.join(prog)
        };
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

/// Where the runtime's descriptors go when the program's limit is lower: above the usual soft
/// limit of 1024, so that a program that fills its whole descriptor table (or `dup2`s onto
/// every number below its limit) never meets them, yet low enough to keep the kernel's
/// descriptor table small.
const HIGH_FD: u64 = 4000;

/// Room above the floor that a raised limit leaves for the runtime's descriptors (the ones
/// passed down, the maps descriptor, per-process trace files).
const ROOM: u64 = 64;

/// Duplicates `fd` to a high number that the program is unlikely to use, without close-on-exec
/// (the runtime in every later image writes to it).
///
/// The number is at or above the program's soft descriptor limit, so that a program that probes
/// every descriptor it may have (`0..sysconf(_SC_OPEN_MAX)` with `fstat`, as CPython's
/// subprocess tests do) never meets ours. `F_DUPFD` only reaches numbers below the soft limit,
/// so the limit is raised for the duplication only and the program inherits the original one:
/// the soft limit can always go up to the hard one; when the hard limit equals the soft one,
/// it is raised too, which needs CAP_SYS_RESOURCE (and `fs.nr_open` room). Without either,
/// the top `ROOM` numbers below the hard limit are taken and the program's soft limit is
/// lowered to below them (the one difference it can see: `getrlimit` reports a soft limit
/// `ROOM` lower than it set). Only for small limits, where that would cost the program a
/// noticeable share of its table, 4000 (when below the hard limit) or low numbers are used.
pub fn dup_high(fd: RawFd) -> std::io::Result<RawFd> {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) };
    // (floor, whether the program's soft limit stays at the floor afterwards)
    let mut floors = vec![(HIGH_FD.max(rl.rlim_cur), false)];
    if rl.rlim_cur >= rl.rlim_max && rl.rlim_max >= 2 * HIGH_FD && rl.rlim_max <= i32::MAX as u64 {
        floors.push((rl.rlim_max - ROOM, true));
    }
    if rl.rlim_max > HIGH_FD.saturating_add(ROOM) {
        floors.push((HIGH_FD, false));
    }
    floors.extend([
        (rl.rlim_cur.min(1024).saturating_sub(24), false),
        (100, false),
        (10, false),
    ]);
    for (floor, lower) in floors {
        if floor <= 2 || floor.saturating_add(ROOM) > i32::MAX as u64 {
            continue;
        }
        let top = floor + ROOM;
        let raised = libc::rlimit {
            rlim_cur: rl.rlim_cur.max(top),
            rlim_max: rl.rlim_max.max(top),
        };
        // SAFETY: raising our own limit (setrlimit fails harmlessly when it may not), then
        // F_DUPFD on a descriptor we own (returns a new descriptor or -1), then the original
        // limit back (lowering always succeeds; descriptors above it stay open).
        let r = unsafe {
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
                continue;
            }
            let r = libc::fcntl(fd, libc::F_DUPFD, floor as libc::c_int);
            let after = if lower && r >= 0 {
                libc::rlimit {
                    rlim_cur: floor,
                    ..rl
                }
            } else {
                rl
            };
            libc::setrlimit(libc::RLIMIT_NOFILE, &after);
            r
        };
        if r >= 0 {
            return Ok(r);
        }
    }
    Err(std::io::Error::last_os_error())
}

/// Checks that `program` is something sysgate can start: an x86-64 ELF image (static, PIE or
/// dynamic with an interpreter that exists) or a `#!` script whose interpreter is one.
pub fn validate(program: &Path) -> Result<(), StartError> {
    validate_depth(program, program, 0)
}

fn validate_depth(shown: &Path, program: &Path, depth: u32) -> Result<(), StartError> {
    use std::io::Read;
    use sysgate_abi::elf;
    let name = shown.display();
    let fail = |msg: String, code| {
        Err(StartError {
            message: format!("{name}: {msg}"),
            code,
        })
    };
    let mut head = vec![0u8; 64 * 1024];
    let n = match std::fs::File::open(program).and_then(|mut f| {
        let mut n = 0;
        while n < head.len() {
            match f.read(&mut head[n..])? {
                0 => break,
                k => n += k,
            }
        }
        Ok(n)
    }) {
        Ok(n) => n,
        Err(e) => {
            return fail(
                plain(&e),
                if e.kind() == std::io::ErrorKind::NotFound {
                    127
                } else {
                    126
                },
            )
        }
    };
    let head = &head[..n];
    if let Some((interp, _)) = elf::shebang(head) {
        let interp = Path::new(std::ffi::OsStr::from_encoded_bytes_checked(interp));
        if depth >= 4 {
            return fail("Too many levels of symbolic links".into(), 126);
        }
        if let Err(e) = check_executable(interp, interp.as_os_str()) {
            return fail(format!("bad interpreter: {}", e.message), e.code);
        }
        return validate_depth(interp, interp, depth + 1);
    }
    let plan = match elf::plan(head) {
        Ok(p) => p,
        Err(elf::ElfError::NotElf) => return fail("Exec format error".into(), 126),
        Err(e) => return fail(e.to_string(), 126),
    };
    if let Some((off, len)) = plan.interp {
        let (off, len) = (off as usize, len as usize);
        let Some(raw) = head.get(off..off + len) else {
            return fail("corrupt ELF program headers".into(), 126);
        };
        let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
        let interp = Path::new(std::ffi::OsStr::from_encoded_bytes_checked(raw));
        if let Err(e) = std::fs::metadata(interp) {
            return fail(
                format!("interpreter {}: {}", interp.display(), plain(&e)),
                127,
            );
        }
    }
    Ok(())
}

trait FromBytes {
    fn from_encoded_bytes_checked(b: &[u8]) -> &OsStr;
}
impl FromBytes for OsStr {
    fn from_encoded_bytes_checked(b: &[u8]) -> &OsStr {
        use std::os::unix::ffi::OsStrExt;
        OsStr::from_bytes(b)
    }
}

/// Where the loader is.
#[derive(Clone, Copy, Debug)]
pub enum LoaderAt<'a> {
    /// The loader `sysgate` carries, opened (a copy on disk, or a sealed memory file: see
    /// [`loader_memfd`]), at a high descriptor that every image of the program keeps
    /// (configuration key `loaderfd=`): each `execve` of the program re-enters the loader
    /// through it.
    Fd(RawFd),
    /// A loader file (`SYSGATE_LOADER`), by absolute path.
    Path(&'a Path),
}

/// Width of the `loaderfd=` value (rewritten in place when the descriptor has to move).
pub const LOADER_FD_WIDTH: usize = 7;

/// A memory file holding `image`, sealed against every change, executable, at a high number
/// and left open across `execve`: the loader, without a file of its own on disk.
pub fn loader_memfd(image: &[u8]) -> std::io::Result<RawFd> {
    use std::io::Write;
    use std::os::fd::{FromRawFd, OwnedFd};
    const MFD_EXEC: libc::c_uint = 0x10;
    let name = c"sysgate-loader";
    let mut flags = libc::MFD_ALLOW_SEALING | MFD_EXEC;
    let fd = loop {
        // SAFETY: `name` is a NUL-terminated string; the call returns a new descriptor or -1.
        let fd = unsafe { libc::memfd_create(name.as_ptr(), flags) };
        if fd >= 0 {
            break fd;
        }
        let e = std::io::Error::last_os_error();
        // Kernels before 6.3 know no MFD_EXEC (their memory files are executable anyway).
        if e.raw_os_error() == Some(libc::EINVAL) && flags & MFD_EXEC != 0 {
            flags &= !MFD_EXEC;
            continue;
        }
        return Err(e);
    };
    // SAFETY: `fd` was just returned by memfd_create and is owned by nothing else.
    let mut file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    file.write_all(image)?;
    let seals = libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE;
    // SAFETY: fcntl on a descriptor this function owns.
    if unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // `dup_high` duplicates with F_DUPFD: the copy stays open across `execve`.
    dup_high(file.as_raw_fd())
}

/// `O_NOFOLLOW`, for `OpenOptionsExt::custom_flags`.
pub const O_NOFOLLOW: i32 = libc::O_NOFOLLOW;

/// The effective user id of this process.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// What executing `program` would give a caller who lacks it: set-user-ID or set-group-ID to
/// another owner, or file capabilities (`security.capability`). The loader maps programs
/// itself, so under sysgate the kernel never applies those: the program runs without them.
/// `None` when executing it gives nothing (or `nosuid` takes it away).
pub fn privilege(program: &Path) -> Option<String> {
    // SAFETY: plain queries of this process's ids.
    let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
    privilege_as(program, euid, egid)
}

/// [`privilege`] for a program started as user `euid`, group `egid` (`trace -u`).
pub fn privilege_as(program: &Path, euid: u32, egid: u32) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(program).ok()?;
    let c = std::ffi::CString::new(program.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs fills in a plain struct; `c` is NUL-terminated.
    let nosuid = unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        libc::statvfs(c.as_ptr(), &mut st) == 0 && st.f_flag & libc::ST_NOSUID != 0
    };
    if nosuid {
        return None;
    }
    let mut what = Vec::new();
    if md.mode() & 0o4000 != 0 && md.uid() != euid {
        what.push(format!("set-user-ID (uid {})", md.uid()));
    }
    // Set-group-ID without group execute is mandatory locking, not a privilege.
    if md.mode() & 0o2010 == 0o2010 && md.gid() != egid {
        what.push(format!("set-group-ID (gid {})", md.gid()));
    }
    // SAFETY: asks for the attribute's size only (no buffer).
    let caps = unsafe {
        libc::getxattr(
            c.as_ptr(),
            c"security.capability".as_ptr(),
            std::ptr::null_mut(),
            0,
        )
    };
    if caps > 0 && euid != 0 {
        what.push("file capabilities".to_string());
    }
    (!what.is_empty()).then(|| what.join(" with "))
}

/// Whether the file system holding `path` is mounted `noexec` (false if that cannot be told).
pub fn mounted_noexec(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `st` is a plain struct statvfs fills in; `c` is NUL-terminated.
    unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        libc::statvfs(c.as_ptr(), &mut st) == 0 && st.f_flag & libc::ST_NOEXEC != 0
    }
}

/// What [`launch`] needs to know.
pub struct Launch<'a> {
    pub program: &'a Path,
    /// argv[0] as the user gave it.
    pub argv0: &'a OsStr,
    pub args: &'a [OsString],
    /// `sysgate-loader`.
    pub loader: LoaderAt<'a>,
    /// `SYSGATE_CONFIG` (without `loader=`/`loaderfd=`, which are added here).
    pub config: String,
    /// Trace output descriptor (already at a high number), or -1.
    pub out_fd: RawFd,
    /// Diagnostics descriptor (a high copy of stderr).
    pub diag_fd: RawFd,
    /// The tool wants the first `execve` line.
    pub show_execve: bool,
    /// A Landlock ruleset (close-on-exec) the program's process applies to itself just before
    /// it execs the loader, with no_new_privs set first as Landlock requires.
    pub landlock: Option<RawFd>,
    /// Changes to the program's environment, in order: `(VAR, Some(VALUE))` sets, `(VAR,
    /// None)` removes (strace's `-E`).
    pub env: &'a [(OsString, Option<OsString>)],
    /// The user the program runs as (strace's `-u`).
    pub user: Option<&'a Credentials>,
    /// What a fatal signal sent to `sysgate` does (strace's `-I`).
    pub interrupt: Interrupt,
}

/// A user's ids, as the program is to run with them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups (the primary one among them).
    pub groups: Vec<u32>,
}

/// This process's real user id.
pub fn real_uid() -> u32 {
    // SAFETY: a plain query of this process's id.
    unsafe { libc::getuid() }
}

/// Looks up `user` (a name, or a number) in `/etc/passwd`, and its groups in `/etc/group`, as
/// `initgroups` would from those files.
pub fn credentials(user: &str) -> Result<Credentials, String> {
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| format!("/etc/passwd: {e}"))?;
    let entry = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .filter(|f| f.len() >= 4)
        .find(|f| f[0] == user)
        .or_else(|| {
            user.parse::<u32>().ok().and_then(|n| {
                passwd
                    .lines()
                    .map(|l| l.split(':').collect::<Vec<_>>())
                    .filter(|f| f.len() >= 4)
                    .find(|f| f[2].parse() == Ok(n))
            })
        });
    let Some(f) = entry else {
        return Err(format!("Cannot find user '{user}'"));
    };
    let (name, uid, gid) = match (f[2].parse::<u32>(), f[3].parse::<u32>()) {
        (Ok(u), Ok(g)) => (f[0].to_string(), u, g),
        _ => return Err(format!("/etc/passwd: a bad entry for '{user}'")),
    };
    let mut groups = vec![gid];
    if let Ok(text) = std::fs::read_to_string("/etc/group") {
        for l in text.lines() {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() >= 4 && f[3].split(',').any(|m| m == name) {
                if let Ok(g) = f[2].parse::<u32>() {
                    if !groups.contains(&g) {
                        groups.push(g);
                    }
                }
            }
        }
    }
    Ok(Credentials {
        name,
        uid,
        gid,
        groups,
    })
}

/// strace's `-I` levels, for the signals another process sends to `sysgate`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Interrupt {
    /// `-I 1`, `-I 2` and the default: SIGHUP, SIGINT, SIGQUIT and SIGTERM go to the program,
    /// whose end then ends `sysgate` (the program is never left running unsupervised).
    #[default]
    PassOn,
    /// `-I 3`: they are blocked: `sysgate` and the program go on.
    Blocked,
    /// `-I 4`: SIGTSTP is blocked too (`sysgate` does not stop on ^Z).
    BlockedWithTstp,
}

/// The loader's command line and environment for the program.
fn command(l: &Launch<'_>) -> Command {
    let (mut cmd, key) = match l.loader {
        // The new process has the descriptor too (it is not close-on-exec).
        LoaderAt::Fd(fd) => (
            Command::new(format!("/proc/self/fd/{fd}")),
            format!("loaderfd={fd:0w$}", w = LOADER_FD_WIDTH),
        ),
        LoaderAt::Path(p) => (Command::new(p), format!("loader={}", p.display())),
    };
    cmd.arg0(l.argv0)
        .args(l.args)
        .env("SYSGATE_EXEC", l.program)
        .env("SYSGATE_CONFIG", format!("{key};{}", l.config))
        .env("SYSGATE_FDS", format!("{},{}", l.out_fd, l.diag_fd));
    if l.show_execve {
        cmd.env("SYSGATE_EXECVE", "1");
    }
    if let Some(mask) = FIRST_MASK.get() {
        let mask = mask.0;
        // SAFETY: runs between fork and exec: one async-signal-safe call on a copied mask.
        unsafe {
            cmd.pre_exec(move || {
                libc::pthread_sigmask(libc::SIG_SETMASK, &mask, std::ptr::null_mut());
                Ok(())
            });
        }
    }
    for (k, v) in l.env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    if let Some(c) = l.user {
        let (uid, gid, groups) = (c.uid, c.gid, c.groups.clone());
        // SAFETY: runs in the new process between fork and exec: three async-signal-safe
        // calls on values copied in before the fork.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    if let Some(fd) = l.landlock {
        // SAFETY: runs in the new process between fork and exec, where only async-signal-safe
        // calls are allowed: two raw syscalls on a descriptor this process owns.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                    || libc::syscall(libc::SYS_landlock_restrict_self, fd, 0) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd
}

/// The kernel's Landlock ABI version: 0 when it has none (not built in, or disabled).
pub fn landlock_abi() -> i32 {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_long = 1;
    // SAFETY: the version query takes no attribute (NULL, size 0) and creates nothing.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    i32::try_from(v).unwrap_or(0).max(0)
}

/// Replaces this process by the program under the loader, for a command with nothing to do
/// once the program has ended: no fork, no wait; the program keeps sysgate's pid, and its
/// parent sees its exit status and signals directly. Returns only if the exec failed.
pub fn exec(l: &Launch<'_>) -> std::io::Error {
    command(l).exec()
}

/// Signals that end a process by default and that `sysgate` passes on to the program instead
/// of dying of them (strace's `-I`: a tracer that leaves its program running unsupervised, or
/// a trace cut short, is worse than one that stays for the program's end).
const PASSED_ON: [libc::c_int; 4] = [libc::SIGHUP, libc::SIGINT, libc::SIGQUIT, libc::SIGTERM];

fn passed_on_set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset fill in a plain sigset_t.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in PASSED_ON {
            libc::sigaddset(&mut set, sig);
        }
        set
    }
}

/// The signal mask `sysgate` was started with, before [`hold_fatal_signals`]: the program's.
static FIRST_MASK: std::sync::OnceLock<SigMask> = std::sync::OnceLock::new();

struct SigMask(libc::sigset_t);
// SAFETY: a plain bit set, only read after it is set.
unsafe impl Sync for SigMask {}
// SAFETY: as above.
unsafe impl Send for SigMask {}

/// Blocks the signals `sysgate` passes on to the program, in this thread and every thread it
/// starts from now on: call it before any other thread exists. [`launch`] then takes them with
/// `sigwaitinfo`; the program starts with the mask `sysgate` was given.
pub fn hold_fatal_signals(interrupt: Interrupt) {
    let mut set = passed_on_set();
    if interrupt == Interrupt::BlockedWithTstp {
        // Blocked, never waited for: ^Z stops the program (its process group), not sysgate.
        // SAFETY: adds a signal to a plain sigset_t.
        unsafe { libc::sigaddset(&mut set, libc::SIGTSTP) };
    }
    // SAFETY: changes this thread's own mask; `old` is filled in by the call.
    unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
        let _ = FIRST_MASK.set(SigMask(old));
    }
}

/// Starts the program and waits for it; returns its pid and how it ended. A SIGHUP, SIGINT,
/// SIGQUIT or SIGTERM that another process sends to `sysgate` goes to the program (whose end
/// then ends `sysgate` the same way); one the terminal sends went to the program already, with
/// the whole foreground process group, and is dropped here, as a shell does.
pub fn launch(l: &Launch<'_>) -> std::io::Result<(u32, ExitStatus)> {
    let mut child = command(l).spawn()?;
    let pid = child.id();
    let set = passed_on_set();
    let pass_on = l.interrupt == Interrupt::PassOn;
    // The signals are blocked in every thread (`hold_fatal_signals`), so this one gets them.
    std::thread::spawn(move || loop {
        // SAFETY: waits for one of `set`, filling in a plain siginfo_t.
        let (sig, code) = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let sig = libc::sigwaitinfo(&set, &mut info);
            (sig, info.si_code)
        };
        // SI_USER (kill), SI_QUEUE, SI_TKILL: from a process. The kernel's own (a terminal's
        // ^C, ^\\, a hang-up) reached the program's process group itself.
        if pass_on && sig > 0 && code <= 0 {
            // SAFETY: a signal to the program's process.
            unsafe {
                libc::kill(pid as libc::pid_t, sig);
            }
        }
    });
    let status = child.wait();
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
        let rl = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
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
pub fn open_output(path: &Path, append: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(!append)
        .custom_flags(libc::O_APPEND)
        .open(path)
}

/// A high, inheritable copy of `f`.
pub fn high_copy(f: &impl AsRawFd) -> std::io::Result<RawFd> {
    dup_high(f.as_raw_fd())
}

/// The region every process of a run shares (counters of `sysgate count`, injection counts):
/// a memory file of `len` bytes, zero-filled. Returns sysgate's own handle and a high,
/// inheritable descriptor number for the program's processes (configuration key `shm=`).
pub fn shared_region(len: u64) -> std::io::Result<(File, RawFd)> {
    use std::os::fd::FromRawFd;
    // SAFETY: memfd_create with a NUL-terminated name; the result is a new descriptor we own.
    let fd = unsafe { libc::memfd_create(c"sysgate-shared".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor owned by nobody else.
    let file = unsafe { File::from_raw_fd(fd) };
    file.set_len(len)?;
    let high = dup_high(file.as_raw_fd())?;
    Ok((file, high))
}

/// `CLOCK_MONOTONIC` now, in nanoseconds.
pub fn monotonic_ns() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the struct we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}
