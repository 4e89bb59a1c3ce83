//! Syscall knowledge as data: the x86-64 and i386 syscall tables (number, name,
//! argument kinds, return kind, trace classes), errno and signal names, the flag
//! tables the tracer prints symbolically, and `-e trace=` set parsing.
//!
//! Everything here is plain data plus small lookups: no allocation, no unsafe code
//! and no panics on any input, so it can be used from inside a signal handler.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod elf;
pub mod errno;
pub mod flags;
pub mod regex;
pub mod ring;
pub mod signal;
mod trace_set;

mod i386_table;
mod x86_64_table;

pub use trace_set::{parse_trace_set, SyscallSet, TraceSetError};

/// How one syscall argument is shown. Kinds that name a struct are read from guest
/// memory when the call has returned (for `*Out` kinds only if it succeeded).
///
/// `len`, `cnt`, `flags`, `size` and `n` fields are the index (0..6) of another
/// argument of the same call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// `int`, decimal (the low 32 bits, sign-extended).
    Int,
    /// A process or thread id: decimal; with `-Y`, a positive one is followed by the
    /// process's name, `1234<cat>`.
    Pid,
    /// `unsigned int`, decimal.
    Uint,
    /// `long` / `off_t`, decimal.
    Long,
    /// `unsigned long` / `size_t`, decimal.
    Ulong,
    /// Hexadecimal (`0x1f`, `0` for zero).
    Hex,
    /// A pointer shown as an address: `NULL` or `0x7ffd...`.
    Ptr,
    /// A file descriptor.
    Fd,
    /// A directory file descriptor: `AT_FDCWD` or a number.
    DirFd,
    /// A NUL-terminated path (not cut at `-s`).
    Path,
    /// A NUL-terminated string cut at `-s`.
    Str,
    /// A path the kernel writes (`getcwd`): its length is the return value.
    OutPath,
    /// Bytes the program passes in; the length is argument `len`.
    InBuf { len: u8 },
    /// Bytes the kernel writes; the length is the return value (at most argument `len`).
    OutBuf { len: u8 },
    /// Bytes the kernel writes that strace shows in hex (`getrandom`); length = return value.
    RandomBuf,
    /// `struct iovec[]` the program passes in; `cnt` is the argument holding the count.
    Iovec { cnt: u8 },
    /// `struct iovec[]` the kernel fills; the total length is the return value.
    IovecOut { cnt: u8 },
    /// A bit set printed with names from a table (`A|B|0x40`).
    Flags(flags::Table),
    /// One value printed with its name from a table, the number otherwise.
    Enum(flags::Table),
    /// `open` flags: access mode plus `O_*` bits.
    OpenFlags,
    /// The mode of `open`/`openat`: shown only when argument `flags` has `O_CREAT` or `O_TMPFILE`.
    OpenMode { flags: u8 },
    /// A `mode_t` in octal, file type bits included as digits (`0644`, `0100744`).
    Mode,
    /// A `mode_t` with the file type by name (`mknod`: `S_IFCHR|0666`).
    FileMode,
    /// The `umask` argument, octal (`022`).
    Umask,
    /// `access` mode: `F_OK` or `R_OK|W_OK|X_OK`.
    AccessMode,
    /// `AT_*` flags (`statx` adds the sync type).
    AtFlags,
    /// `PROT_*`.
    MmapProt,
    /// `MAP_*`.
    MmapFlags,
    /// `CLONE_*` flags (for `clone` also the exit signal in the low byte).
    CloneFlags,
    /// `struct clone_args` of `clone3`.
    Clone3Args,
    /// A signal number: `SIGINT`.
    Signal,
    /// `SIG_BLOCK`, `SIG_UNBLOCK`, `SIG_SETMASK`.
    SigHow,
    /// A sigset the program passes in; `size` is the argument with its size in bytes.
    SigSet { size: u8 },
    /// A sigset the kernel fills in.
    SigSetOut { size: u8 },
    /// `struct sigaction` passed in.
    SigAction,
    /// `struct sigaction` filled in (the old action).
    SigActionOut,
    /// `struct stat` filled in.
    Stat,
    /// `struct statx` filled in.
    Statx,
    /// `struct statfs` filled in.
    Statfs,
    /// `struct timespec` passed in.
    Timespec,
    /// `struct timespec` filled in.
    TimespecOut,
    /// `struct timespec[2]` of `utimensat` (`UTIME_NOW`, `UTIME_OMIT`, dates as comments).
    Utimes,
    /// `stack_t` passed in (`sigaltstack`).
    StackT,
    /// `stack_t` filled in.
    StackTOut,
    /// A CPU set the kernel fills in; its size is the return value.
    CpuSetOut,
    /// `off_t *` the kernel reads and updates (`sendfile`): `[0] => [77]`.
    OffsetInOut,
    /// `struct timeval` passed in.
    Timeval,
    /// `struct timeval` filled in.
    TimevalOut,
    /// `RLIMIT_*`.
    Resource,
    /// `struct rlimit` passed in.
    Rlimit,
    /// `struct rlimit` filled in.
    RlimitOut,
    /// `struct rusage` filled in.
    Rusage,
    /// `struct utsname` filled in.
    Utsname,
    /// `struct sysinfo` filled in.
    Sysinfo,
    /// `int[2]` filled in (`pipe`, `socketpair`).
    PipeFds,
    /// `int *` wait status filled in.
    WaitStatus,
    /// `struct linux_dirent64[]` filled in: shown as address and entry count.
    Dirents,
    /// `char *const argv[]`.
    Argv,
    /// `char *const envp[]`: address and variable count.
    Envp,
    /// `struct sockaddr` passed in; `len` is the argument holding its length.
    Sockaddr { len: u8 },
    /// `struct sockaddr` filled in; `len` is the argument pointing at its length.
    SockaddrOut { len: u8 },
    /// `socklen_t *` (value-result): `[16]`.
    SocklenPtr,
    /// `AF_*`.
    SockDomain,
    /// `SOCK_*` type plus flags.
    SockType,
    /// Protocol (`IPPROTO_*` for inet sockets, a number otherwise).
    SockProto,
    /// `SOL_*`.
    SockLevel,
    /// `SO_*` option name (when the level is `SOL_SOCKET`).
    SockOptName,
    /// `struct msghdr` passed in.
    Msghdr,
    /// `struct msghdr` filled in.
    MsghdrOut,
    /// `struct pollfd[]`; `n` is the argument with the count.
    Pollfds { n: u8 },
    /// `struct epoll_event` passed in.
    EpollEvent,
    /// `struct epoll_event[]` filled in; length = return value.
    EpollEventsOut,
    /// `FUTEX_*` operation.
    FutexOp,
    /// The 4th `futex` argument: a timeout or `val2`, depending on the operation.
    FutexArg4,
    /// `ioctl` request.
    IoctlReq,
    /// `ioctl` argument (decoded for some requests).
    IoctlArg,
    /// `F_*` command.
    FcntlCmd,
    /// `fcntl` argument (absent for commands without one).
    FcntlArg,
    /// `PR_*` option.
    PrctlOption,
    /// `ARCH_*` code.
    ArchPrctlCode,
    /// `arch_prctl` address (written by the kernel for `ARCH_GET_*`).
    ArchPrctlAddr,
    /// `SEEK_*`.
    Whence,
    /// `CLOCK_*`.
    ClockId,
}

impl Arg {
    /// Whether strace shows the argument when the call returns, not when it starts: what the
    /// kernel fills in. The arguments before the first of these make a call's entry half.
    pub fn at_exit(self) -> bool {
        use Arg::*;
        matches!(
            self,
            OutPath
                | OutBuf { .. }
                | RandomBuf
                | IovecOut { .. }
                | SigSetOut { .. }
                | SigActionOut
                | Stat
                | Statx
                | Statfs
                | TimespecOut
                | StackTOut
                | CpuSetOut
                | OffsetInOut
                | TimevalOut
                | RlimitOut
                | Rusage
                | Utsname
                | Sysinfo
                | PipeFds
                | WaitStatus
                | Dirents
                | SockaddrOut { .. }
                | SocklenPtr
                | MsghdrOut
                | EpollEventsOut
        )
    }
}

/// How the return value is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// Decimal.
    Int,
    /// A process or thread id (`getpid`, `clone`): decimal, `1234<cat>` with `-Y`.
    Pid,
    /// Hexadecimal (`mmap`, `brk`).
    Hex,
    /// A file descriptor (decimal).
    Fd,
    /// Octal (`umask`).
    Oct,
    /// Does not return (`exit`, `exit_group`): `= ?`.
    None,
}

/// What the tracer knows about one syscall.
#[derive(Clone, Copy, Debug)]
pub struct SyscallDesc {
    /// The kernel's name for it.
    pub name: &'static str,
    /// Its arguments, in order.
    pub args: &'static [Arg],
    /// How its return value is shown.
    pub ret: Ret,
    /// A bit mask of [`class`] constants.
    pub class: u32,
}

/// Trace classes, as strace defines them for `-e trace=%NAME`.
pub mod class {
    /// `%file`: takes a file name.
    pub const FILE: u32 = 1 << 0;
    /// `%desc`: takes or returns a file descriptor.
    pub const DESC: u32 = 1 << 1;
    /// `%network`.
    pub const NETWORK: u32 = 1 << 2;
    /// `%process`: process lifecycle.
    pub const PROCESS: u32 = 1 << 3;
    /// `%signal`.
    pub const SIGNAL: u32 = 1 << 4;
    /// `%memory`: memory mapping.
    pub const MEMORY: u32 = 1 << 5;
    /// `%ipc`: SysV IPC.
    pub const IPC: u32 = 1 << 6;
    /// `%clock`: read or change clocks.
    pub const CLOCK: u32 = 1 << 7;
    /// `%creds`: user and group ids, capabilities.
    pub const CREDS: u32 = 1 << 8;
    /// `%stat`: stat by name.
    pub const STAT: u32 = 1 << 9;
    /// `%lstat`.
    pub const LSTAT: u32 = 1 << 10;
    /// `%fstat`: stat of a descriptor (or relative to one).
    pub const FSTAT: u32 = 1 << 11;
    /// `%%stat`: every stat variant.
    pub const STAT_LIKE: u32 = 1 << 12;
    /// `%statfs`.
    pub const STATFS: u32 = 1 << 13;
    /// `%fstatfs`.
    pub const FSTATFS: u32 = 1 << 14;
    /// `%%statfs`: every statfs variant.
    pub const STATFS_LIKE: u32 = 1 << 15;
    /// `%pure`: no arguments, always succeed.
    pub const PURE: u32 = 1 << 16;

    /// Class names accepted after `%` in `-e trace=`, with their bits.
    pub const NAMES: &[(&str, u32)] = &[
        ("file", FILE),
        ("desc", DESC),
        ("network", NETWORK),
        ("net", NETWORK),
        ("process", PROCESS),
        ("signal", SIGNAL),
        ("memory", MEMORY),
        ("ipc", IPC),
        ("clock", CLOCK),
        ("creds", CREDS),
        ("stat", STAT),
        ("lstat", LSTAT),
        ("fstat", FSTAT),
        ("%stat", STAT_LIKE),
        ("statfs", STATFS),
        ("fstatfs", FSTATFS),
        ("%statfs", STATFS_LIKE),
        ("pure", PURE),
    ];
}

/// One line of a syscall table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub(crate) nr: u32,
    pub(crate) desc: SyscallDesc,
}

impl Entry {
    pub(crate) const fn new(
        nr: u32,
        name: &'static str,
        args: &'static [Arg],
        ret: Ret,
        class: u32,
    ) -> Self {
        Entry {
            nr,
            desc: SyscallDesc {
                name,
                args,
                ret,
                class,
            },
        }
    }
}

/// Number of slots in a by-number index; every real x86-64 and i386 number is below it.
const INDEX_LEN: usize = 512;
const NO_ENTRY: u16 = u16::MAX;

/// Builds the number -> table position index at compile time.
const fn build_index(table: &[Entry]) -> [u16; INDEX_LEN] {
    let mut index = [NO_ENTRY; INDEX_LEN];
    let mut i = 0;
    while i < table.len() {
        let nr = table[i].nr as usize;
        if nr < INDEX_LEN {
            index[nr] = i as u16;
        }
        i += 1;
    }
    index
}

fn lookup(
    table: &'static [Entry],
    index: &[u16; INDEX_LEN],
    nr: u64,
) -> Option<&'static SyscallDesc> {
    let slot = *index.get(usize::try_from(nr).ok()?)?;
    table.get(usize::from(slot)).map(|e| &e.desc)
}

fn find_number(table: &[Entry], name: &str) -> Option<u32> {
    table.iter().find(|e| e.desc.name == name).map(|e| e.nr)
}

/// The x86-64 syscall ABI (`syscall` instruction).
pub mod x86_64 {
    use super::{build_index, find_number, lookup, SyscallDesc, INDEX_LEN};
    use crate::x86_64_table::TABLE;

    pub use crate::x86_64_table::nr;

    /// Size of per-number tables; every x86-64 syscall number is below it.
    pub const NR_MAX: usize = 512;
    const _: () = assert!(NR_MAX == INDEX_LEN);

    static INDEX: [u16; INDEX_LEN] = build_index(TABLE);

    /// The name of syscall `nr`, if it is one.
    pub fn name(nr: u64) -> Option<&'static str> {
        desc(nr).map(|d| d.name)
    }

    /// The number of the syscall called `name`.
    pub fn number(name: &str) -> Option<u32> {
        find_number(TABLE, name)
    }

    /// Everything known about syscall `nr`.
    pub fn desc(nr: u64) -> Option<&'static SyscallDesc> {
        lookup(TABLE, &INDEX, nr)
    }

    /// Whether a call of `nr` can wait for something outside the program (a pipe, a child, a
    /// timer, a lock), so that strace's line for it may have to come out in two halves: the
    /// tracer records its entry half when it starts (`<unfinished ...>`/`resumed>`).
    pub fn may_block(nr: u64) -> bool {
        use nr::*;
        let Ok(n) = u32::try_from(nr) else {
            return false;
        };
        matches!(
            n,
            READ | READV
                | WRITE
                | WRITEV
                | PREAD64
                | PWRITE64
                | OPEN
                | OPENAT
                | FLOCK
                | WAIT4
                | WAITID
                | PAUSE
                | RT_SIGSUSPEND
                | RT_SIGTIMEDWAIT
                | POLL
                | PPOLL
                | SELECT
                | PSELECT6
                | EPOLL_WAIT
                | EPOLL_PWAIT
                | EPOLL_PWAIT2
                | NANOSLEEP
                | CLOCK_NANOSLEEP
                | ACCEPT
                | ACCEPT4
                | CONNECT
                | RECVFROM
                | RECVMSG
                | RECVMMSG
                | SENDTO
                | SENDMSG
                | MSGRCV
                | MSGSND
                | SEMOP
                | SEMTIMEDOP
                | FUTEX
                | KILL
                | TKILL
                | TGKILL
                | FSYNC
                | FDATASYNC
        )
    }

    /// All syscalls, in number order: `(nr, desc)`.
    pub fn iter() -> impl Iterator<Item = (u32, &'static SyscallDesc)> {
        TABLE.iter().map(|e| (e.nr, &e.desc))
    }
}

/// The i386 syscall ABI (`int $0x80`, `sysenter`).
pub mod i386 {
    use super::{build_index, find_number, lookup, SyscallDesc, INDEX_LEN};
    use crate::i386_table::TABLE;

    static INDEX: [u16; INDEX_LEN] = build_index(TABLE);

    /// The name of i386 syscall `nr`, if it is one.
    pub fn name(nr: u64) -> Option<&'static str> {
        desc(nr).map(|d| d.name)
    }

    /// The i386 number of the syscall called `name`.
    pub fn number(name: &str) -> Option<u32> {
        find_number(TABLE, name)
    }

    /// Everything known about i386 syscall `nr` (coarser argument kinds than x86-64).
    pub fn desc(nr: u64) -> Option<&'static SyscallDesc> {
        lookup(TABLE, &INDEX, nr)
    }

    /// All syscalls, in number order: `(nr, desc)`.
    pub fn iter() -> impl Iterator<Item = (u32, &'static SyscallDesc)> {
        TABLE.iter().map(|e| (e.nr, &e.desc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        for t in [x86_64_table::TABLE, i386_table::TABLE] {
            for w in t.windows(2) {
                assert!(w[0].nr < w[1].nr, "{} {}", w[0].desc.name, w[1].desc.name);
            }
            for e in t {
                assert!((e.nr as usize) < INDEX_LEN);
                assert!(e.desc.args.len() <= 6, "{}", e.desc.name);
                for a in e.desc.args {
                    let idx = match *a {
                        Arg::InBuf { len } | Arg::OutBuf { len } => Some(len),
                        Arg::Iovec { cnt } | Arg::IovecOut { cnt } => Some(cnt),
                        Arg::OpenMode { flags } => Some(flags),
                        Arg::SigSet { size } | Arg::SigSetOut { size } => Some(size),
                        Arg::Sockaddr { len } | Arg::SockaddrOut { len } => Some(len),
                        Arg::Pollfds { n } => Some(n),
                        _ => None,
                    };
                    if let Some(i) = idx {
                        assert!((i as usize) < e.desc.args.len(), "{}", e.desc.name);
                    }
                }
            }
        }
    }

    #[test]
    fn x86_64_names_and_numbers() {
        assert_eq!(x86_64::name(0), Some("read"));
        assert_eq!(x86_64::name(257), Some("openat"));
        assert_eq!(x86_64::name(231), Some("exit_group"));
        assert_eq!(x86_64::name(435), Some("clone3"));
        assert_eq!(x86_64::name(462), Some("mseal"));
        assert_eq!(x86_64::name(336), Some("uprobe"));
        assert_eq!(x86_64::name(337), None);
        assert_eq!(x86_64::name(512), None);
        assert_eq!(x86_64::name(u64::MAX), None);
        assert_eq!(x86_64::number("openat"), Some(257));
        assert_eq!(x86_64::number("nope"), None);
        assert_eq!(x86_64::nr::READ, 0);
        assert_eq!(x86_64::nr::EXIT_GROUP, 231);
        assert_eq!(x86_64::nr::RT_SIGRETURN, 15);
        assert_eq!(x86_64::iter().count(), 384);
        assert_eq!(x86_64::desc(9).map(|d| d.ret), Some(Ret::Hex));
        assert_eq!(x86_64::desc(60).map(|d| d.ret), Some(Ret::None));
        for (nr, d) in x86_64::iter() {
            assert_eq!(x86_64::number(d.name), Some(nr));
            assert_eq!(x86_64::name(u64::from(nr)), Some(d.name));
        }
    }

    #[test]
    fn x86_64_matches_linux_raw_sys() {
        use linux_raw_sys::general as g;
        assert_eq!(x86_64::number("getppid"), Some(g::__NR_getppid));
        assert_eq!(x86_64::number("rseq"), Some(g::__NR_rseq));
        assert_eq!(x86_64::number("removexattrat"), Some(g::__NR_removexattrat));
        assert_eq!(x86_64::number("futex_waitv"), Some(g::__NR_futex_waitv));
    }

    #[test]
    fn i386_names_and_numbers() {
        assert_eq!(i386::name(64), Some("getppid"));
        assert_eq!(i386::name(11), Some("execve"));
        assert_eq!(i386::name(252), Some("exit_group"));
        assert_eq!(i386::name(222), None);
        assert_eq!(i386::number("socketcall"), Some(102));
        assert_eq!(i386::number("mmap2"), Some(192));
        assert_eq!(i386::desc(1).map(|d| d.ret), Some(Ret::None));
    }

    #[test]
    fn classes() {
        let d = x86_64::desc(u64::from(x86_64::nr::NEWFSTATAT)).unwrap();
        assert_eq!(
            d.class,
            class::DESC | class::FILE | class::FSTAT | class::STAT_LIKE
        );
        let d = x86_64::desc(u64::from(x86_64::nr::GETPID)).unwrap();
        assert_eq!(d.class, class::PURE);
    }
}
