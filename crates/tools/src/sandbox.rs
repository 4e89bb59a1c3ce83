//! `sysgate sandbox`: allow/deny rules by syscall, class and (for calls that take paths) path
//! prefix, with an action each — `errno:E` (the call fails with E, the kernel never sees it),
//! `kill` (the process dies), `log` (a line on sysgate's stderr, the call runs) or `allow`.
//!
//! Two layers enforce the rules. In-process, every rule is checked on entry here (first match
//! wins, then the default). In the kernel, the rules that need no argument inspection are also
//! compiled into a seccomp-bpf filter ([`kernel_actions`], installed by the loader before the
//! program's first instruction): a program that gets past the in-process layer — a raw
//! `syscall` whose trap it survived, a jump into the runtime's own `syscall; ret`, a selector
//! byte set to "allow" — still meets the filter. The filter matches on the syscall number
//! only, from any instruction pointer: exempting the runtime's text would exempt every jump
//! into it. The few calls the runtime cannot live without ([`rt::filter::RUNTIME_NEEDS`]) are
//! enforced in-process only, with a warning.
//!
//! Path prefixes are compared after making the path absolute (against the working directory
//! or the directory descriptor) and removing `.`/`..` lexically; symbolic links are not
//! followed, so a path rule is a guard against mistakes rather than a boundary (seccomp cannot
//! see paths). A deny-type rule matches when any path argument lies under one of its prefixes;
//! an allow or log rule when all of them do. `write = true` limits a rule to calls that modify
//! the file system (opening for writing or creating, and the calls that change names,
//! contents, modes, owners or times).
//!
//! A rule with ports matches `connect` and `bind` of an AF_INET or AF_INET6 address with one
//! of those ports (deny-type rules also an address they cannot read).
//!
//! The kernel enforces path and TCP port rules too, by Landlock (`sysgate` applies the ruleset
//! before the loader starts): this layer decides first, with the errno the policy names, and
//! Landlock catches what gets past it (a path changed by another thread after the check, a
//! symbolic link, io_uring), with EACCES (EXDEV for a link or rename across the boundary).
//!
//! Wire form (written by `sysgate`): `sbd=ACT` (default), `sbr=RULE/RULE/…` with RULE
//! `ACT@SET@W@PATH,PATH…@PORT,PORT…` (SET in [`SyscallSet`] words, W `0|1`, paths in hex,
//! ports in decimal), ACT one of
//! `a`, `l`, `k`, `eN`. `sbk=0|1`: whether the kernel filter is in place in this process tree
//! (rewritten to 1 in place once installed).

use crate::{trace, GuestMem, Out, TraceOpts};
use core::fmt::Write;
use sysgate_abi::x86_64::nr;
use sysgate_abi::{Arg, SyscallSet};
use sysgate_runtime as rt;
use sysgate_runtime::api::{Action as RtAction, Arch, StartupCell, NR_MAX};

/// What a rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Allow,
    Log,
    Kill,
    Errno(u16),
}

impl Act {
    fn parse(s: &str) -> Option<Act> {
        Some(match s {
            "a" => Act::Allow,
            "l" => Act::Log,
            "k" => Act::Kill,
            _ => Act::Errno(
                s.strip_prefix('e')?
                    .parse()
                    .ok()
                    .filter(|e| (1..4096).contains(e))?,
            ),
        })
    }

    fn denies(self) -> bool {
        matches!(self, Act::Kill | Act::Errno(_))
    }
}

pub const MAX_RULES: usize = 48;
pub const MAX_PATHS: usize = 64;
pub const MAX_PORTS: usize = 64;
const PATH_CAP: usize = 256;

#[derive(Clone, Copy)]
struct Rule {
    act: Act,
    set: SyscallSet,
    write: bool,
    /// Indices into the path table: `paths[first..first + count]`.
    first: u8,
    count: u8,
    /// Indices into the port table: `ports[port_first..port_first + port_count]`.
    port_first: u8,
    port_count: u8,
}

/// A compiled policy.
#[derive(Clone, Copy)]
pub struct Policy {
    default: Act,
    rules: [Rule; MAX_RULES],
    nrules: usize,
    paths: [[u8; PATH_CAP]; MAX_PATHS],
    path_len: [u16; MAX_PATHS],
    npaths: usize,
    ports: [u16; MAX_PORTS],
    nports: usize,
}

impl Policy {
    /// Reads the wire form (`default`: the `sbd=` value; `rules`: the `sbr=` value).
    pub fn parse(default: &str, rules: &str) -> Option<Policy> {
        let empty = Rule {
            act: Act::Allow,
            set: SyscallSet::empty(),
            write: false,
            first: 0,
            count: 0,
            port_first: 0,
            port_count: 0,
        };
        let mut p = Policy {
            default: Act::parse(default)?,
            rules: [empty; MAX_RULES],
            nrules: 0,
            paths: [[0; PATH_CAP]; MAX_PATHS],
            path_len: [0; MAX_PATHS],
            npaths: 0,
            ports: [0; MAX_PORTS],
            nports: 0,
        };
        if rules.is_empty() {
            return Some(p);
        }
        for text in rules.split('/') {
            let mut f = text.split('@');
            let act = Act::parse(f.next()?)?;
            let set = SyscallSet::from_words(f.next()?)?;
            let write = match f.next()? {
                "0" => false,
                "1" => true,
                _ => return None,
            };
            let paths = f.next()?;
            let ports = f.next()?;
            if f.next().is_some() {
                return None;
            }
            let first = p.npaths;
            for h in paths.split(',').filter(|h| !h.is_empty()) {
                let slot = p.paths.get_mut(p.npaths)?;
                let n = crate::unhex(h, slot)?;
                *p.path_len.get_mut(p.npaths)? = n as u16;
                p.npaths += 1;
            }
            let port_first = p.nports;
            for v in ports.split(',').filter(|v| !v.is_empty()) {
                *p.ports.get_mut(p.nports)? = v.parse().ok().filter(|&v| v > 0)?;
                p.nports += 1;
            }
            let r = p.rules.get_mut(p.nrules)?;
            *r = Rule {
                act,
                set,
                write,
                first: first as u8,
                count: (p.npaths - first) as u8,
                port_first: port_first as u8,
                port_count: (p.nports - port_first) as u8,
            };
            p.nrules += 1;
        }
        Some(p)
    }

    fn rules(&self) -> &[Rule] {
        self.rules.get(..self.nrules).unwrap_or(&[])
    }

    fn prefixes(&self, r: &Rule) -> impl Iterator<Item = &[u8]> {
        let (a, n) = (usize::from(r.first), usize::from(r.count));
        (a..a + n).filter_map(move |i| {
            self.paths
                .get(i)?
                .get(..usize::from(*self.path_len.get(i)?))
        })
    }

    /// The seccomp action of each x86-64 number: what the kernel can enforce without looking
    /// at arguments. A number some conditional rule (paths, `write`) could decide first is left
    /// to the in-process layer, and so are the ones the runtime needs.
    pub fn kernel_actions(&self) -> [Act; NR_MAX] {
        let mut out = [Act::Allow; NR_MAX];
        for (n, slot) in out.iter_mut().enumerate() {
            let mut act = self.default;
            for r in self.rules() {
                if !r.set.contains(n as u64) {
                    continue;
                }
                act = if r.count > 0 || r.write || r.port_count > 0 {
                    Act::Allow
                } else {
                    r.act
                };
                break;
            }
            *slot = match act {
                Act::Log => Act::Allow,
                a => a,
            };
        }
        out
    }
}

static POLICY: StartupCell<Policy> = StartupCell::new();

/// Installs the policy (before the runtime is armed). False if the wire form is malformed.
pub fn init(default: &str, rules: &str) -> bool {
    match Policy::parse(default, rules) {
        Some(p) => POLICY.set(p),
        None => false,
    }
}

pub fn policy() -> Option<&'static Policy> {
    POLICY.get()
}

pub fn subscribe(wants: &mut [bool; NR_MAX]) {
    let Some(p) = POLICY.get() else { return };
    for (n, w) in wants.iter_mut().enumerate() {
        let any = p.rules().iter().any(|r| r.set.contains(n as u64));
        *w |= any || p.default != Act::Allow;
    }
}

/// The x86-64 number an i386 call is checked as (`socketcall` by its sub-call).
fn as_x86_64(n: u64, args: &[u64; 6]) -> Option<u64> {
    const SOCKETCALL: u64 = 102;
    if n == SOCKETCALL {
        const SUB: [u32; 20] = [
            nr::SOCKET,
            nr::BIND,
            nr::CONNECT,
            nr::LISTEN,
            nr::ACCEPT,
            nr::GETSOCKNAME,
            nr::GETPEERNAME,
            nr::SOCKETPAIR,
            nr::SENDTO,
            nr::RECVFROM,
            nr::SENDTO,
            nr::RECVFROM,
            nr::SHUTDOWN,
            nr::SETSOCKOPT,
            nr::GETSOCKOPT,
            nr::SENDMSG,
            nr::RECVMSG,
            nr::ACCEPT4,
            nr::RECVMMSG,
            nr::SENDMMSG,
        ];
        let i = usize::try_from(args[0]).ok()?.checked_sub(1)?;
        return SUB.get(i).map(|&v| u64::from(v));
    }
    let name = sysgate_abi::i386::name(n)?;
    sysgate_abi::x86_64::number(name).map(u64::from)
}

/// Calls that change the file system through their path arguments (beyond opening for write).
const WRITING: &[u32] = &[
    nr::CREAT,
    nr::TRUNCATE,
    nr::MKDIR,
    nr::MKDIRAT,
    nr::RMDIR,
    nr::RENAME,
    nr::RENAMEAT,
    nr::RENAMEAT2,
    nr::LINK,
    nr::LINKAT,
    nr::SYMLINK,
    nr::SYMLINKAT,
    nr::UNLINK,
    nr::UNLINKAT,
    nr::CHMOD,
    nr::FCHMODAT,
    nr::CHOWN,
    nr::LCHOWN,
    nr::FCHOWNAT,
    nr::UTIME,
    nr::UTIMES,
    nr::UTIMENSAT,
    nr::FUTIMESAT,
    nr::MKNOD,
    nr::MKNODAT,
    nr::SETXATTR,
    nr::LSETXATTR,
    nr::REMOVEXATTR,
    nr::LREMOVEXATTR,
];

fn writes(n: u64, a: &[u64; 6]) -> bool {
    const WRITE_FLAGS: u64 = 0o1 | 0o2 | 0o100 | 0o1000; // O_WRONLY|O_RDWR|O_CREAT|O_TRUNC
    let Ok(n32) = u32::try_from(n) else {
        return false;
    };
    match n32 {
        nr::OPEN => a[1] & WRITE_FLAGS != 0,
        nr::OPENAT => a[2] & WRITE_FLAGS != 0,
        nr::OPENAT2 => {
            let mut how = [0u8; 8];
            !rt::memory::guest::read(a[2], &mut how) || u64::from_ne_bytes(how) & WRITE_FLAGS != 0
        }
        _ => WRITING.contains(&n32),
    }
}

const AT_FDCWD: i32 = -100;

/// Path argument `i` of the call made absolute and lexically normalised into `out`.
fn absolute(dirfd: Option<u64>, addr: u64, out: &mut [u8; 4200]) -> Option<usize> {
    let mut raw = [0u8; 4097];
    let n = rt::memory::guest::read_cstr(addr, &mut raw)?;
    let path = raw.get(..n)?;
    let mut buf = [0u8; 4200];
    let mut len = 0;
    if path.first() != Some(&b'/') {
        let base = match dirfd.map(|d| d as u32 as i32) {
            Some(fd) if fd != AT_FDCWD => {
                let mut link = [0u8; 32];
                let l = {
                    let mut o = Out::new(&mut link);
                    let _ = write!(o, "/proc/self/fd/{}", fd);
                    o.len()
                };
                *link.get_mut(l)? = 0;
                let r = rt::raw::syscall4(
                    nr::READLINKAT,
                    AT_FDCWD as u64,
                    link.as_ptr() as u64,
                    buf.as_mut_ptr() as u64,
                    4096,
                );
                usize::try_from(r).ok()?
            }
            _ => {
                let r = rt::raw::syscall2(nr::GETCWD, buf.as_mut_ptr() as u64, 4096);
                usize::try_from(r).ok()?.saturating_sub(1) // without its NUL
            }
        };
        len = base;
        *buf.get_mut(len)? = b'/';
        len += 1;
    }
    let end = len + path.len();
    buf.get_mut(len..end)?.copy_from_slice(path);
    Some(normalize(buf.get(..end)?, out))
}

/// `/a/./b/../c//d` → `/a/c/d` (lexically; `..` at the root stays at the root).
pub fn normalize(path: &[u8], out: &mut [u8]) -> usize {
    let mut len = 0;
    for comp in path.split(|&b| b == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                while len > 0 {
                    len -= 1;
                    if out.get(len) == Some(&b'/') {
                        break;
                    }
                }
            }
            c => {
                if len + 1 + c.len() > out.len() {
                    break;
                }
                if let Some(s) = out.get_mut(len) {
                    *s = b'/';
                }
                if let Some(d) = out.get_mut(len + 1..len + 1 + c.len()) {
                    d.copy_from_slice(c);
                }
                len += 1 + c.len();
            }
        }
    }
    if len == 0 {
        if let Some(s) = out.get_mut(0) {
            *s = b'/';
        }
        len = 1;
    }
    len
}

/// Whether `path` is `prefix` or lies below it.
pub fn under(path: &[u8], prefix: &[u8]) -> bool {
    let prefix = if prefix.len() > 1 {
        prefix.strip_suffix(b"/").unwrap_or(prefix)
    } else {
        prefix
    };
    if prefix == b"/" {
        return true;
    }
    path.starts_with(prefix) && matches!(path.get(prefix.len()), None | Some(b'/'))
}

/// Whether a rule with path prefixes matches the call's paths.
fn paths_match(p: &Policy, r: &Rule, n: u64, a: &[u64; 6]) -> bool {
    let Some(desc) = sysgate_abi::x86_64::desc(n) else {
        return false;
    };
    let mut any = false;
    let mut all = true;
    let mut seen = false;
    let mut dirfd = None;
    for (i, kind) in desc.args.iter().enumerate() {
        match kind {
            Arg::DirFd => dirfd = a.get(i).copied(),
            Arg::Path => {
                let Some(&addr) = a.get(i) else { continue };
                let mut abs = [0u8; 4200];
                let hit = match absolute(dirfd.take(), addr, &mut abs) {
                    Some(len) => {
                        let path = abs.get(..len).unwrap_or(&[]);
                        p.prefixes(r).any(|pre| under(path, pre))
                    }
                    // An unreadable path: the kernel will fail the call (EFAULT); match deny
                    // rules, never allow rules.
                    None => r.act.denies(),
                };
                seen = true;
                any |= hit;
                all &= hit;
            }
            _ => {}
        }
    }
    seen && if r.act.denies() { any } else { all }
}

/// Whether a rule with ports matches the call: `connect` or `bind` of an AF_INET or AF_INET6
/// address with one of its ports (a deny-type rule also matches an address it cannot read).
fn ports_match(p: &Policy, r: &Rule, n: u64, a: &[u64; 6]) -> bool {
    const AF_INET: u16 = 2;
    const AF_INET6: u16 = 10;
    if n != u64::from(nr::CONNECT) && n != u64::from(nr::BIND) {
        return false;
    }
    // sockaddr_in and sockaddr_in6: family (u16), then the port in network order.
    let mut head = [0u8; 4];
    if a[2] < 4 || !rt::memory::guest::read(a[1], &mut head) {
        return r.act.denies();
    }
    let family = u16::from_ne_bytes([head[0], head[1]]);
    if family != AF_INET && family != AF_INET6 {
        return false;
    }
    let port = u16::from_be_bytes([head[2], head[3]]);
    let (a0, k) = (usize::from(r.port_first), usize::from(r.port_count));
    p.ports
        .get(a0..a0 + k)
        .is_some_and(|list| list.contains(&port))
}

/// The action for a call.
fn decide(p: &Policy, n: u64, a: &[u64; 6]) -> Act {
    for r in p.rules() {
        if !r.set.contains(n) {
            continue;
        }
        if r.write && !writes(n, a) {
            continue;
        }
        if r.count > 0 && !paths_match(p, r, n, a) {
            continue;
        }
        if r.port_count > 0 && !ports_match(p, r, n, a) {
            continue;
        }
        return r.act;
    }
    p.default
}

struct Mem;
impl GuestMem for Mem {
    fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
        rt::memory::guest::read(addr, buf)
    }
}

/// `sysgate: sandbox: [pid N] WHAT: openat(AT_FDCWD, "/x", O_RDONLY)` on sysgate's stderr.
fn report(call: &rt::Call<'_>, n: u64, a: &[u64; 6], what: &str) {
    let fd = rt::process::fds::diag_fd();
    if fd < 0 {
        return;
    }
    let mut buf = [0u8; 1024];
    let mut o = Out::new(&mut buf);
    let _ = write!(o, "sysgate: sandbox: [pid {}] {}: ", call.thread.tid, what);
    let start = o.len();
    trace::format_syscall(&mut o, &Mem, &TraceOpts::default(), n, a, None);
    // Cut the ` = ?` the formatter adds for a call without a result.
    let end = o
        .as_bytes()
        .get(start..)
        .and_then(|l| l.windows(3).position(|w| w == b" = "))
        .map(|p| start + p);
    let mut end = end.unwrap_or(o.len());
    while end > start && o.as_bytes().get(end - 1) == Some(&b' ') {
        end -= 1;
    }
    o.truncate(end);
    o.end_line();
    rt::raw::write_all(fd, o.as_bytes());
}

/// Decides the call. `Some` when it does not reach the kernel.
pub fn enter(call: &mut rt::Call<'_>) -> Option<RtAction> {
    let p = POLICY.get()?;
    let args = call.args();
    let n = match call.arch {
        Arch::X86_64 => call.nr,
        Arch::I386 => match as_x86_64(call.nr, &args) {
            Some(n) => n,
            // An i386 call with no x86-64 counterpart: only the default applies.
            None => {
                return match p.default {
                    Act::Errno(e) => Some(RtAction::Return(-i64::from(e))),
                    Act::Kill => kill(call, call.nr, &args),
                    _ => None,
                };
            }
        },
    };
    // i386 arguments are not laid out like the x86-64 call's: only number rules apply.
    let act = if call.arch == Arch::X86_64 {
        decide(p, n, &args)
    } else {
        decide_number_only(p, n)
    };
    match act {
        Act::Allow => None,
        Act::Log => {
            report(call, n, &args, "log");
            None
        }
        Act::Errno(e) => {
            let mut what = [0u8; 40];
            let w = {
                let mut o = Out::new(&mut what);
                let _ = write!(
                    o,
                    "denied ({})",
                    sysgate_abi::errno::name(i32::from(e)).unwrap_or("errno")
                );
                o.len()
            };
            report(
                call,
                n,
                &args,
                core::str::from_utf8(what.get(..w).unwrap_or(&[])).unwrap_or("denied"),
            );
            Some(RtAction::Return(-i64::from(e)))
        }
        Act::Kill => kill(call, n, &args),
    }
}

fn decide_number_only(p: &Policy, n: u64) -> Act {
    for r in p.rules() {
        if r.set.contains(n) {
            // A conditional rule cannot be checked on i386 arguments: deny-type ones apply.
            if (r.count > 0 || r.write || r.port_count > 0) && !r.act.denies() {
                continue;
            }
            return r.act;
        }
    }
    p.default
}

fn kill(call: &rt::Call<'_>, n: u64, a: &[u64; 6]) -> Option<RtAction> {
    report(call, n, a, "killed");
    const SIGKILL: u64 = 9;
    rt::raw::syscall2(nr::KILL, call.thread.pid as u64, SIGKILL);
    Some(RtAction::Return(-1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(names: &[&str]) -> String {
        let mut s = SyscallSet::empty();
        for n in names {
            s.insert(sysgate_abi::x86_64::number(n).unwrap());
        }
        let mut w = String::new();
        s.write_words(&mut w).unwrap();
        w
    }

    fn hex(s: &str) -> String {
        s.bytes().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn normalizes_and_matches_prefixes() {
        let mut out = [0u8; 64];
        let n = normalize(b"/a/./b/../c//d/", &mut out);
        assert_eq!(&out[..n], b"/a/c/d");
        let n = normalize(b"/../..", &mut out);
        assert_eq!(&out[..n], b"/");
        assert!(under(b"/tmp", b"/tmp"));
        assert!(under(b"/tmp/x", b"/tmp/"));
        assert!(!under(b"/tmpx", b"/tmp"));
        assert!(under(b"/anything", b"/"));
    }

    #[test]
    fn kernel_actions_follow_first_match() {
        let w_open = words(&["openat"]);
        let w_sock = words(&["socket", "connect"]);
        let rules = format!(
            "a@{w_open}@0@{}@/e13@{w_open}@0@@/e1@{w_sock}@0@@/k@{}@0@@",
            hex("/tmp"),
            words(&["ptrace"])
        );
        let p = Policy::parse("a", &rules).unwrap();
        let k = p.kernel_actions();
        // openat: a path rule decides first, so the kernel cannot deny it.
        assert_eq!(k[nr::OPENAT as usize], Act::Allow);
        assert_eq!(k[nr::SOCKET as usize], Act::Errno(1));
        assert_eq!(k[nr::CONNECT as usize], Act::Errno(1));
        assert_eq!(k[nr::PTRACE as usize], Act::Kill);
        assert_eq!(k[nr::READ as usize], Act::Allow);
        let p = Policy::parse("e1", "").unwrap();
        assert_eq!(p.kernel_actions()[nr::READ as usize], Act::Errno(1));
        assert!(Policy::parse("x", "").is_none());
        assert!(Policy::parse("a", "e0@0,0,0,0,0,0,0,0@0@@").is_none());
    }

    #[test]
    fn i386_socketcall_maps_to_its_sub_call() {
        assert_eq!(
            as_x86_64(102, &[1, 0, 0, 0, 0, 0]),
            Some(u64::from(nr::SOCKET))
        );
        assert_eq!(
            as_x86_64(102, &[3, 0, 0, 0, 0, 0]),
            Some(u64::from(nr::CONNECT))
        );
        assert_eq!(as_x86_64(102, &[0, 0, 0, 0, 0, 0]), None);
        assert_eq!(as_x86_64(359, &[0; 6]), Some(u64::from(nr::SOCKET))); // i386 socket
    }
}
