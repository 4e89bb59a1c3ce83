//! The x86-64 syscall table: one line per number, from the kernel's
//! `arch/x86/entry/syscalls/syscall_64.tbl` (64-bit and common entries; the x32
//! entries at 512 and above are not part of this ABI). Each line lists the kinds of
//! the arguments in order, how the return value is shown, and the trace classes the
//! call belongs to (`-e trace=%file` and friends).

use crate::class::*;
use crate::flags;
use crate::Arg::*;
use crate::{Entry, Ret};

/// Every x86-64 syscall, sorted by number.
pub(crate) static TABLE: &[Entry] = &[
    Entry::new(0, "read", &[Fd, OutBuf { len: 2 }, Ulong], Ret::Int, DESC),
    Entry::new(1, "write", &[Fd, InBuf { len: 2 }, Ulong], Ret::Int, DESC),
    Entry::new(
        2,
        "open",
        &[Path, OpenFlags, OpenMode { flags: 1 }],
        Ret::Fd,
        DESC | FILE,
    ),
    Entry::new(3, "close", &[Fd], Ret::Int, DESC),
    Entry::new(4, "stat", &[Path, Stat], Ret::Int, FILE | STAT | STAT_LIKE),
    Entry::new(5, "fstat", &[Fd, Stat], Ret::Int, DESC | FSTAT | STAT_LIKE),
    Entry::new(
        6,
        "lstat",
        &[Path, Stat],
        Ret::Int,
        FILE | LSTAT | STAT_LIKE,
    ),
    Entry::new(7, "poll", &[Pollfds { n: 1 }, Uint, Int], Ret::Int, DESC),
    Entry::new(8, "lseek", &[Fd, Long, Whence], Ret::Int, DESC),
    Entry::new(
        9,
        "mmap",
        &[Ptr, Ulong, MmapProt, MmapFlags, Fd, Hex],
        Ret::Hex,
        DESC | MEMORY,
    ),
    Entry::new(10, "mprotect", &[Ptr, Ulong, MmapProt], Ret::Int, MEMORY),
    Entry::new(11, "munmap", &[Ptr, Ulong], Ret::Int, MEMORY),
    Entry::new(12, "brk", &[Ptr], Ret::Hex, MEMORY),
    Entry::new(
        13,
        "rt_sigaction",
        &[Signal, SigAction, SigActionOut, Ulong],
        Ret::Int,
        SIGNAL,
    ),
    Entry::new(
        14,
        "rt_sigprocmask",
        &[SigHow, SigSet { size: 3 }, SigSetOut { size: 3 }, Ulong],
        Ret::Int,
        SIGNAL,
    ),
    Entry::new(15, "rt_sigreturn", &[], Ret::Int, SIGNAL),
    Entry::new(16, "ioctl", &[Fd, IoctlReq, IoctlArg], Ret::Int, DESC),
    Entry::new(
        17,
        "pread64",
        &[Fd, OutBuf { len: 2 }, Ulong, Long],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        18,
        "pwrite64",
        &[Fd, InBuf { len: 2 }, Ulong, Long],
        Ret::Int,
        DESC,
    ),
    Entry::new(19, "readv", &[Fd, IovecOut { cnt: 2 }, Int], Ret::Int, DESC),
    Entry::new(20, "writev", &[Fd, Iovec { cnt: 2 }, Int], Ret::Int, DESC),
    Entry::new(21, "access", &[Path, AccessMode], Ret::Int, FILE),
    Entry::new(22, "pipe", &[PipeFds], Ret::Int, DESC),
    Entry::new(23, "select", &[Int, Ptr, Ptr, Ptr, Timeval], Ret::Int, DESC),
    Entry::new(24, "sched_yield", &[], Ret::Int, 0),
    Entry::new(
        25,
        "mremap",
        &[Ptr, Ulong, Ulong, Flags(flags::MREMAP), Ptr],
        Ret::Hex,
        MEMORY,
    ),
    Entry::new(
        26,
        "msync",
        &[Ptr, Ulong, Flags(flags::MSYNC)],
        Ret::Int,
        MEMORY,
    ),
    Entry::new(27, "mincore", &[Ptr, Ulong, Ptr], Ret::Int, MEMORY),
    Entry::new(
        28,
        "madvise",
        &[Ptr, Ulong, Enum(flags::MADV)],
        Ret::Int,
        MEMORY,
    ),
    Entry::new(29, "shmget", &[Hex, Ulong, Hex], Ret::Int, IPC),
    Entry::new(30, "shmat", &[Int, Ptr, Hex], Ret::Hex, IPC | MEMORY),
    Entry::new(31, "shmctl", &[Int, Int, Ptr], Ret::Int, IPC),
    Entry::new(32, "dup", &[Fd], Ret::Fd, DESC),
    Entry::new(33, "dup2", &[Fd, Fd], Ret::Fd, DESC),
    Entry::new(34, "pause", &[], Ret::Int, SIGNAL),
    Entry::new(35, "nanosleep", &[Timespec, TimespecOut], Ret::Int, 0),
    Entry::new(36, "getitimer", &[Enum(flags::ITIMER), Ptr], Ret::Int, 0),
    Entry::new(37, "alarm", &[Uint], Ret::Int, 0),
    Entry::new(
        38,
        "setitimer",
        &[Enum(flags::ITIMER), Ptr, Ptr],
        Ret::Int,
        0,
    ),
    Entry::new(39, "getpid", &[], Ret::Pid, PURE),
    Entry::new(
        40,
        "sendfile",
        &[Fd, Fd, OffsetInOut, Ulong],
        Ret::Int,
        DESC | NETWORK,
    ),
    Entry::new(
        41,
        "socket",
        &[SockDomain, SockType, SockProto],
        Ret::Fd,
        NETWORK,
    ),
    Entry::new(
        42,
        "connect",
        &[Fd, Sockaddr { len: 2 }, Uint],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(
        43,
        "accept",
        &[Fd, SockaddrOut { len: 2 }, SocklenPtr],
        Ret::Fd,
        NETWORK,
    ),
    Entry::new(
        44,
        "sendto",
        &[
            Fd,
            InBuf { len: 2 },
            Ulong,
            Flags(flags::MSG),
            Sockaddr { len: 5 },
            Uint,
        ],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(
        45,
        "recvfrom",
        &[
            Fd,
            OutBuf { len: 2 },
            Ulong,
            Flags(flags::MSG),
            SockaddrOut { len: 5 },
            SocklenPtr,
        ],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(
        46,
        "sendmsg",
        &[Fd, Msghdr, Flags(flags::MSG)],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(
        47,
        "recvmsg",
        &[Fd, MsghdrOut, Flags(flags::MSG)],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(48, "shutdown", &[Fd, Enum(flags::SHUT)], Ret::Int, NETWORK),
    Entry::new(
        49,
        "bind",
        &[Fd, Sockaddr { len: 2 }, Uint],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(50, "listen", &[Fd, Int], Ret::Int, NETWORK),
    Entry::new(
        51,
        "getsockname",
        &[Fd, SockaddrOut { len: 2 }, SocklenPtr],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(
        52,
        "getpeername",
        &[Fd, SockaddrOut { len: 2 }, SocklenPtr],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(
        53,
        "socketpair",
        &[SockDomain, SockType, SockProto, PipeFds],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(
        54,
        "setsockopt",
        &[Fd, SockLevel, SockOptName, Ptr, Uint],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(
        55,
        "getsockopt",
        &[Fd, SockLevel, SockOptName, Ptr, Ptr],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(
        56,
        "clone",
        &[CloneFlags, Ptr, Ptr, Ptr, Hex],
        Ret::Pid,
        PROCESS,
    ),
    Entry::new(57, "fork", &[], Ret::Pid, PROCESS),
    Entry::new(58, "vfork", &[], Ret::Pid, PROCESS),
    Entry::new(59, "execve", &[Path, Argv, Envp], Ret::Int, FILE | PROCESS),
    Entry::new(60, "exit", &[Int], Ret::None, PROCESS),
    Entry::new(
        61,
        "wait4",
        &[Pid, WaitStatus, Flags(flags::WAIT4), Rusage],
        Ret::Int,
        PROCESS,
    ),
    Entry::new(62, "kill", &[Pid, Signal], Ret::Int, SIGNAL | PROCESS),
    Entry::new(63, "uname", &[Utsname], Ret::Int, 0),
    Entry::new(64, "semget", &[Hex, Int, Hex], Ret::Int, IPC),
    Entry::new(65, "semop", &[Int, Ptr, Uint], Ret::Int, IPC),
    Entry::new(66, "semctl", &[Int, Int, Int, Hex], Ret::Int, IPC),
    Entry::new(67, "shmdt", &[Ptr], Ret::Int, IPC | MEMORY),
    Entry::new(68, "msgget", &[Hex, Hex], Ret::Int, IPC),
    Entry::new(69, "msgsnd", &[Int, Ptr, Ulong, Hex], Ret::Int, IPC),
    Entry::new(70, "msgrcv", &[Int, Ptr, Ulong, Long, Hex], Ret::Int, IPC),
    Entry::new(71, "msgctl", &[Int, Int, Ptr], Ret::Int, IPC),
    Entry::new(72, "fcntl", &[Fd, FcntlCmd, FcntlArg], Ret::Int, DESC),
    Entry::new(73, "flock", &[Fd, Flags(flags::LOCK)], Ret::Int, DESC),
    Entry::new(74, "fsync", &[Fd], Ret::Int, DESC),
    Entry::new(75, "fdatasync", &[Fd], Ret::Int, DESC),
    Entry::new(76, "truncate", &[Path, Long], Ret::Int, FILE),
    Entry::new(77, "ftruncate", &[Fd, Long], Ret::Int, DESC),
    Entry::new(78, "getdents", &[Fd, Dirents, Uint], Ret::Int, DESC),
    Entry::new(79, "getcwd", &[OutPath, Ulong], Ret::Int, FILE),
    Entry::new(80, "chdir", &[Path], Ret::Int, FILE),
    Entry::new(81, "fchdir", &[Fd], Ret::Int, DESC),
    Entry::new(82, "rename", &[Path, Path], Ret::Int, FILE),
    Entry::new(83, "mkdir", &[Path, Mode], Ret::Int, FILE),
    Entry::new(84, "rmdir", &[Path], Ret::Int, FILE),
    Entry::new(85, "creat", &[Path, Mode], Ret::Fd, DESC | FILE),
    Entry::new(86, "link", &[Path, Path], Ret::Int, FILE),
    Entry::new(87, "unlink", &[Path], Ret::Int, FILE),
    Entry::new(88, "symlink", &[Path, Path], Ret::Int, FILE),
    Entry::new(
        89,
        "readlink",
        &[Path, OutBuf { len: 2 }, Ulong],
        Ret::Int,
        FILE,
    ),
    Entry::new(90, "chmod", &[Path, Mode], Ret::Int, FILE),
    Entry::new(91, "fchmod", &[Fd, Mode], Ret::Int, DESC),
    Entry::new(92, "chown", &[Path, Int, Int], Ret::Int, FILE),
    Entry::new(93, "fchown", &[Fd, Int, Int], Ret::Int, DESC),
    Entry::new(94, "lchown", &[Path, Int, Int], Ret::Int, FILE),
    Entry::new(95, "umask", &[Umask], Ret::Oct, 0),
    Entry::new(96, "gettimeofday", &[TimevalOut, Ptr], Ret::Int, CLOCK),
    Entry::new(97, "getrlimit", &[Resource, RlimitOut], Ret::Int, 0),
    Entry::new(98, "getrusage", &[Enum(flags::RUSAGE), Rusage], Ret::Int, 0),
    Entry::new(99, "sysinfo", &[Sysinfo], Ret::Int, 0),
    Entry::new(100, "times", &[Ptr], Ret::Int, 0),
    Entry::new(
        101,
        "ptrace",
        &[Enum(flags::PTRACE), Pid, Ptr, Ptr],
        Ret::Int,
        0,
    ),
    Entry::new(102, "getuid", &[], Ret::Int, CREDS | PURE),
    Entry::new(103, "syslog", &[Int, Ptr, Int], Ret::Int, 0),
    Entry::new(104, "getgid", &[], Ret::Int, CREDS | PURE),
    Entry::new(105, "setuid", &[Int], Ret::Int, CREDS),
    Entry::new(106, "setgid", &[Int], Ret::Int, CREDS),
    Entry::new(107, "geteuid", &[], Ret::Int, CREDS | PURE),
    Entry::new(108, "getegid", &[], Ret::Int, CREDS | PURE),
    Entry::new(109, "setpgid", &[Pid, Int], Ret::Int, 0),
    Entry::new(110, "getppid", &[], Ret::Pid, PURE),
    Entry::new(111, "getpgrp", &[], Ret::Int, PURE),
    Entry::new(112, "setsid", &[], Ret::Int, 0),
    Entry::new(113, "setreuid", &[Int, Int], Ret::Int, CREDS),
    Entry::new(114, "setregid", &[Int, Int], Ret::Int, CREDS),
    Entry::new(115, "getgroups", &[Int, Ptr], Ret::Int, CREDS),
    Entry::new(116, "setgroups", &[Int, Ptr], Ret::Int, CREDS),
    Entry::new(117, "setresuid", &[Int, Int, Int], Ret::Int, CREDS),
    Entry::new(118, "getresuid", &[Ptr, Ptr, Ptr], Ret::Int, CREDS),
    Entry::new(119, "setresgid", &[Int, Int, Int], Ret::Int, CREDS),
    Entry::new(120, "getresgid", &[Ptr, Ptr, Ptr], Ret::Int, CREDS),
    Entry::new(121, "getpgid", &[Pid], Ret::Int, 0),
    Entry::new(122, "setfsuid", &[Int], Ret::Int, CREDS),
    Entry::new(123, "setfsgid", &[Int], Ret::Int, CREDS),
    Entry::new(124, "getsid", &[Pid], Ret::Int, 0),
    Entry::new(125, "capget", &[Ptr, Ptr], Ret::Int, CREDS),
    Entry::new(126, "capset", &[Ptr, Ptr], Ret::Int, CREDS),
    Entry::new(
        127,
        "rt_sigpending",
        &[SigSetOut { size: 1 }, Ulong],
        Ret::Int,
        SIGNAL,
    ),
    Entry::new(
        128,
        "rt_sigtimedwait",
        &[SigSet { size: 3 }, Ptr, Timespec, Ulong],
        Ret::Int,
        SIGNAL,
    ),
    Entry::new(
        129,
        "rt_sigqueueinfo",
        &[Pid, Signal, Ptr],
        Ret::Int,
        SIGNAL | PROCESS,
    ),
    Entry::new(
        130,
        "rt_sigsuspend",
        &[SigSet { size: 1 }, Ulong],
        Ret::Int,
        SIGNAL,
    ),
    Entry::new(131, "sigaltstack", &[StackT, StackTOut], Ret::Int, SIGNAL),
    Entry::new(132, "utime", &[Path, Ptr], Ret::Int, FILE),
    Entry::new(133, "mknod", &[Path, FileMode, Hex], Ret::Int, FILE),
    Entry::new(134, "uselib", &[Path], Ret::Int, FILE),
    Entry::new(135, "personality", &[Hex], Ret::Hex, 0),
    Entry::new(136, "ustat", &[Hex, Ptr], Ret::Int, STATFS_LIKE),
    Entry::new(
        137,
        "statfs",
        &[Path, Statfs],
        Ret::Int,
        FILE | STATFS | STATFS_LIKE,
    ),
    Entry::new(
        138,
        "fstatfs",
        &[Fd, Statfs],
        Ret::Int,
        DESC | FSTATFS | STATFS_LIKE,
    ),
    Entry::new(139, "sysfs", &[Int, Hex, Hex], Ret::Int, 0),
    Entry::new(140, "getpriority", &[Enum(flags::PRIO), Int], Ret::Int, 0),
    Entry::new(
        141,
        "setpriority",
        &[Enum(flags::PRIO), Int, Int],
        Ret::Int,
        0,
    ),
    Entry::new(142, "sched_setparam", &[Pid, Ptr], Ret::Int, 0),
    Entry::new(143, "sched_getparam", &[Pid, Ptr], Ret::Int, 0),
    Entry::new(
        144,
        "sched_setscheduler",
        &[Pid, Enum(flags::SCHED), Ptr],
        Ret::Int,
        0,
    ),
    Entry::new(145, "sched_getscheduler", &[Pid], Ret::Int, 0),
    Entry::new(
        146,
        "sched_get_priority_max",
        &[Enum(flags::SCHED)],
        Ret::Int,
        0,
    ),
    Entry::new(
        147,
        "sched_get_priority_min",
        &[Enum(flags::SCHED)],
        Ret::Int,
        0,
    ),
    Entry::new(
        148,
        "sched_rr_get_interval",
        &[Pid, TimespecOut],
        Ret::Int,
        0,
    ),
    Entry::new(149, "mlock", &[Ptr, Ulong], Ret::Int, MEMORY),
    Entry::new(150, "munlock", &[Ptr, Ulong], Ret::Int, MEMORY),
    Entry::new(151, "mlockall", &[Flags(flags::MCL)], Ret::Int, MEMORY),
    Entry::new(152, "munlockall", &[], Ret::Int, MEMORY),
    Entry::new(153, "vhangup", &[], Ret::Int, 0),
    Entry::new(154, "modify_ldt", &[Int, Ptr, Ulong], Ret::Int, 0),
    Entry::new(155, "pivot_root", &[Path, Path], Ret::Int, FILE),
    Entry::new(156, "_sysctl", &[Ptr], Ret::Int, 0),
    Entry::new(
        157,
        "prctl",
        &[PrctlOption, Hex, Hex, Hex, Hex],
        Ret::Int,
        CREDS,
    ),
    Entry::new(
        158,
        "arch_prctl",
        &[ArchPrctlCode, ArchPrctlAddr],
        Ret::Int,
        0,
    ),
    Entry::new(159, "adjtimex", &[Ptr], Ret::Int, CLOCK),
    Entry::new(160, "setrlimit", &[Resource, Rlimit], Ret::Int, 0),
    Entry::new(161, "chroot", &[Path], Ret::Int, FILE),
    Entry::new(162, "sync", &[], Ret::Int, 0),
    Entry::new(163, "acct", &[Path], Ret::Int, FILE),
    Entry::new(164, "settimeofday", &[Timeval, Ptr], Ret::Int, CLOCK),
    Entry::new(165, "mount", &[Path, Path, Str, Hex, Ptr], Ret::Int, FILE),
    Entry::new(
        166,
        "umount2",
        &[Path, Flags(flags::UMOUNT)],
        Ret::Int,
        FILE,
    ),
    Entry::new(167, "swapon", &[Path, Hex], Ret::Int, FILE),
    Entry::new(168, "swapoff", &[Path], Ret::Int, FILE),
    Entry::new(169, "reboot", &[Hex, Hex, Hex, Ptr], Ret::Int, 0),
    Entry::new(170, "sethostname", &[InBuf { len: 1 }, Ulong], Ret::Int, 0),
    Entry::new(
        171,
        "setdomainname",
        &[InBuf { len: 1 }, Ulong],
        Ret::Int,
        0,
    ),
    Entry::new(172, "iopl", &[Int], Ret::Int, 0),
    Entry::new(173, "ioperm", &[Ulong, Ulong, Int], Ret::Int, 0),
    Entry::new(174, "create_module", &[Str, Ulong], Ret::Int, 0),
    Entry::new(175, "init_module", &[Ptr, Ulong, Str], Ret::Int, 0),
    Entry::new(176, "delete_module", &[Str, Hex], Ret::Int, 0),
    Entry::new(177, "get_kernel_syms", &[Ptr], Ret::Int, 0),
    Entry::new(
        178,
        "query_module",
        &[Str, Int, Ptr, Ulong, Ptr],
        Ret::Int,
        0,
    ),
    Entry::new(179, "quotactl", &[Hex, Path, Int, Ptr], Ret::Int, FILE),
    Entry::new(180, "nfsservctl", &[Int, Ptr, Ptr], Ret::Int, 0),
    Entry::new(
        181,
        "getpmsg",
        &[Hex, Hex, Hex, Hex, Hex],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(
        182,
        "putpmsg",
        &[Hex, Hex, Hex, Hex, Hex],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(183, "afs_syscall", &[Hex, Hex, Hex, Hex, Hex], Ret::Int, 0),
    Entry::new(184, "tuxcall", &[Hex, Hex, Hex], Ret::Int, 0),
    Entry::new(185, "security", &[Hex, Hex, Hex], Ret::Int, 0),
    Entry::new(186, "gettid", &[], Ret::Pid, PURE),
    Entry::new(187, "readahead", &[Fd, Long, Ulong], Ret::Int, DESC),
    Entry::new(
        188,
        "setxattr",
        &[Path, Str, InBuf { len: 3 }, Ulong, Flags(flags::XATTR)],
        Ret::Int,
        FILE,
    ),
    Entry::new(
        189,
        "lsetxattr",
        &[Path, Str, InBuf { len: 3 }, Ulong, Flags(flags::XATTR)],
        Ret::Int,
        FILE,
    ),
    Entry::new(
        190,
        "fsetxattr",
        &[Fd, Str, InBuf { len: 3 }, Ulong, Flags(flags::XATTR)],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        191,
        "getxattr",
        &[Path, Str, OutBuf { len: 3 }, Ulong],
        Ret::Int,
        FILE,
    ),
    Entry::new(
        192,
        "lgetxattr",
        &[Path, Str, OutBuf { len: 3 }, Ulong],
        Ret::Int,
        FILE,
    ),
    Entry::new(
        193,
        "fgetxattr",
        &[Fd, Str, OutBuf { len: 3 }, Ulong],
        Ret::Int,
        DESC,
    ),
    Entry::new(194, "listxattr", &[Path, Ptr, Ulong], Ret::Int, FILE),
    Entry::new(195, "llistxattr", &[Path, Ptr, Ulong], Ret::Int, FILE),
    Entry::new(196, "flistxattr", &[Fd, Ptr, Ulong], Ret::Int, DESC),
    Entry::new(197, "removexattr", &[Path, Str], Ret::Int, FILE),
    Entry::new(198, "lremovexattr", &[Path, Str], Ret::Int, FILE),
    Entry::new(199, "fremovexattr", &[Fd, Str], Ret::Int, DESC),
    Entry::new(200, "tkill", &[Pid, Signal], Ret::Int, SIGNAL | PROCESS),
    Entry::new(201, "time", &[Ptr], Ret::Int, CLOCK),
    Entry::new(
        202,
        "futex",
        &[Ptr, FutexOp, Uint, FutexArg4, Ptr, Uint],
        Ret::Int,
        0,
    ),
    Entry::new(203, "sched_setaffinity", &[Pid, Ulong, Ptr], Ret::Int, 0),
    Entry::new(
        204,
        "sched_getaffinity",
        &[Pid, Ulong, CpuSetOut],
        Ret::Int,
        0,
    ),
    Entry::new(205, "set_thread_area", &[Ptr], Ret::Int, 0),
    Entry::new(206, "io_setup", &[Uint, Ptr], Ret::Int, MEMORY),
    Entry::new(207, "io_destroy", &[Hex], Ret::Int, MEMORY),
    Entry::new(
        208,
        "io_getevents",
        &[Hex, Long, Long, Ptr, Timespec],
        Ret::Int,
        0,
    ),
    Entry::new(209, "io_submit", &[Hex, Long, Ptr], Ret::Int, 0),
    Entry::new(210, "io_cancel", &[Hex, Ptr, Ptr], Ret::Int, 0),
    Entry::new(211, "get_thread_area", &[Ptr], Ret::Int, 0),
    Entry::new(212, "lookup_dcookie", &[Hex, Ptr, Ulong], Ret::Int, 0),
    Entry::new(213, "epoll_create", &[Int], Ret::Fd, DESC),
    Entry::new(214, "epoll_ctl_old", &[Hex, Hex, Hex, Hex], Ret::Int, 0),
    Entry::new(215, "epoll_wait_old", &[Hex, Hex, Hex, Hex], Ret::Int, 0),
    Entry::new(
        216,
        "remap_file_pages",
        &[Ptr, Ulong, MmapProt, Ulong, MmapFlags],
        Ret::Int,
        MEMORY,
    ),
    Entry::new(217, "getdents64", &[Fd, Dirents, Uint], Ret::Int, DESC),
    Entry::new(218, "set_tid_address", &[Ptr], Ret::Int, 0),
    Entry::new(219, "restart_syscall", &[], Ret::Int, 0),
    Entry::new(
        220,
        "semtimedop",
        &[Int, Ptr, Uint, Timespec],
        Ret::Int,
        IPC,
    ),
    Entry::new(
        221,
        "fadvise64",
        &[Fd, Long, Long, Enum(flags::FADV)],
        Ret::Int,
        DESC,
    ),
    Entry::new(222, "timer_create", &[ClockId, Ptr, Ptr], Ret::Int, 0),
    Entry::new(
        223,
        "timer_settime",
        &[Int, Flags(flags::TIMER), Ptr, Ptr],
        Ret::Int,
        0,
    ),
    Entry::new(224, "timer_gettime", &[Int, Ptr], Ret::Int, 0),
    Entry::new(225, "timer_getoverrun", &[Int], Ret::Int, 0),
    Entry::new(226, "timer_delete", &[Int], Ret::Int, 0),
    Entry::new(227, "clock_settime", &[ClockId, Timespec], Ret::Int, CLOCK),
    Entry::new(
        228,
        "clock_gettime",
        &[ClockId, TimespecOut],
        Ret::Int,
        CLOCK,
    ),
    Entry::new(
        229,
        "clock_getres",
        &[ClockId, TimespecOut],
        Ret::Int,
        CLOCK,
    ),
    Entry::new(
        230,
        "clock_nanosleep",
        &[ClockId, Flags(flags::TIMER), Timespec, TimespecOut],
        Ret::Int,
        0,
    ),
    Entry::new(231, "exit_group", &[Int], Ret::None, PROCESS),
    Entry::new(
        232,
        "epoll_wait",
        &[Fd, EpollEventsOut, Int, Int],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        233,
        "epoll_ctl",
        &[Fd, Enum(flags::EPOLL_CTL), Fd, EpollEvent],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        234,
        "tgkill",
        &[Pid, Pid, Signal],
        Ret::Int,
        SIGNAL | PROCESS,
    ),
    Entry::new(235, "utimes", &[Path, Ptr], Ret::Int, FILE),
    Entry::new(236, "vserver", &[Hex, Hex, Hex, Hex, Hex], Ret::Int, 0),
    Entry::new(
        237,
        "mbind",
        &[Ptr, Ulong, Int, Ptr, Ulong, Hex],
        Ret::Int,
        MEMORY,
    ),
    Entry::new(238, "set_mempolicy", &[Int, Ptr, Ulong], Ret::Int, MEMORY),
    Entry::new(
        239,
        "get_mempolicy",
        &[Ptr, Ptr, Ulong, Ptr, Hex],
        Ret::Int,
        MEMORY,
    ),
    Entry::new(
        240,
        "mq_open",
        &[Str, OpenFlags, OpenMode { flags: 1 }, Ptr],
        Ret::Fd,
        DESC,
    ),
    Entry::new(241, "mq_unlink", &[Str], Ret::Int, 0),
    Entry::new(
        242,
        "mq_timedsend",
        &[Fd, InBuf { len: 2 }, Ulong, Uint, Timespec],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        243,
        "mq_timedreceive",
        &[Fd, OutBuf { len: 2 }, Ulong, Ptr, Timespec],
        Ret::Int,
        DESC,
    ),
    Entry::new(244, "mq_notify", &[Fd, Ptr], Ret::Int, DESC),
    Entry::new(245, "mq_getsetattr", &[Fd, Ptr, Ptr], Ret::Int, DESC),
    Entry::new(246, "kexec_load", &[Hex, Ulong, Ptr, Hex], Ret::Int, 0),
    Entry::new(
        247,
        "waitid",
        &[Enum(flags::IDTYPE), Int, Ptr, Flags(flags::WAIT), Rusage],
        Ret::Int,
        PROCESS,
    ),
    Entry::new(248, "add_key", &[Str, Str, Ptr, Ulong, Int], Ret::Int, 0),
    Entry::new(249, "request_key", &[Str, Str, Str, Int], Ret::Int, 0),
    Entry::new(250, "keyctl", &[Int, Hex, Hex, Hex, Hex], Ret::Int, 0),
    Entry::new(251, "ioprio_set", &[Int, Int, Int], Ret::Int, 0),
    Entry::new(252, "ioprio_get", &[Int, Int], Ret::Int, 0),
    Entry::new(253, "inotify_init", &[], Ret::Fd, DESC),
    Entry::new(
        254,
        "inotify_add_watch",
        &[Fd, Path, Flags(flags::IN_MASK)],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(255, "inotify_rm_watch", &[Fd, Int], Ret::Int, DESC),
    Entry::new(
        256,
        "migrate_pages",
        &[Pid, Ulong, Ptr, Ptr],
        Ret::Int,
        MEMORY,
    ),
    Entry::new(
        257,
        "openat",
        &[DirFd, Path, OpenFlags, OpenMode { flags: 2 }],
        Ret::Fd,
        DESC | FILE,
    ),
    Entry::new(258, "mkdirat", &[DirFd, Path, Mode], Ret::Int, DESC | FILE),
    Entry::new(
        259,
        "mknodat",
        &[DirFd, Path, FileMode, Hex],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        260,
        "fchownat",
        &[DirFd, Path, Int, Int, AtFlags],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(261, "futimesat", &[DirFd, Path, Ptr], Ret::Int, DESC | FILE),
    Entry::new(
        262,
        "newfstatat",
        &[DirFd, Path, Stat, AtFlags],
        Ret::Int,
        DESC | FILE | FSTAT | STAT_LIKE,
    ),
    Entry::new(
        263,
        "unlinkat",
        &[DirFd, Path, AtFlags],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        264,
        "renameat",
        &[DirFd, Path, DirFd, Path],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        265,
        "linkat",
        &[DirFd, Path, DirFd, Path, AtFlags],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        266,
        "symlinkat",
        &[Path, DirFd, Path],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        267,
        "readlinkat",
        &[DirFd, Path, OutBuf { len: 3 }, Ulong],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(268, "fchmodat", &[DirFd, Path, Mode], Ret::Int, DESC | FILE),
    Entry::new(
        269,
        "faccessat",
        &[DirFd, Path, AccessMode],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        270,
        "pselect6",
        &[Int, Ptr, Ptr, Ptr, Timespec, Ptr],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        271,
        "ppoll",
        &[Pollfds { n: 1 }, Uint, Timespec, SigSet { size: 4 }, Ulong],
        Ret::Int,
        DESC,
    ),
    Entry::new(272, "unshare", &[CloneFlags], Ret::Int, 0),
    Entry::new(273, "set_robust_list", &[Ptr, Ulong], Ret::Int, 0),
    Entry::new(274, "get_robust_list", &[Pid, Ptr, Ptr], Ret::Int, 0),
    Entry::new(
        275,
        "splice",
        &[Fd, Ptr, Fd, Ptr, Ulong, Flags(flags::SPLICE)],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        276,
        "tee",
        &[Fd, Fd, Ulong, Flags(flags::SPLICE)],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        277,
        "sync_file_range",
        &[Fd, Long, Long, Flags(flags::SYNC_FILE_RANGE)],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        278,
        "vmsplice",
        &[Fd, Iovec { cnt: 2 }, Ulong, Flags(flags::SPLICE)],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        279,
        "move_pages",
        &[Pid, Ulong, Ptr, Ptr, Ptr, Hex],
        Ret::Int,
        MEMORY,
    ),
    Entry::new(
        280,
        "utimensat",
        &[DirFd, Path, Utimes, AtFlags],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        281,
        "epoll_pwait",
        &[Fd, EpollEventsOut, Int, Int, SigSet { size: 5 }, Ulong],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        282,
        "signalfd",
        &[Fd, SigSet { size: 2 }, Ulong],
        Ret::Fd,
        DESC | SIGNAL,
    ),
    Entry::new(
        283,
        "timerfd_create",
        &[ClockId, Flags(flags::TFD_FLAGS)],
        Ret::Fd,
        DESC,
    ),
    Entry::new(284, "eventfd", &[Uint], Ret::Fd, DESC),
    Entry::new(
        285,
        "fallocate",
        &[Fd, Flags(flags::FALLOC), Long, Long],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        286,
        "timerfd_settime",
        &[Fd, Flags(flags::TFD_TIMER), Ptr, Ptr],
        Ret::Int,
        DESC,
    ),
    Entry::new(287, "timerfd_gettime", &[Fd, Ptr], Ret::Int, DESC),
    Entry::new(
        288,
        "accept4",
        &[
            Fd,
            SockaddrOut { len: 2 },
            SocklenPtr,
            Flags(flags::SOCK_FLAGS),
        ],
        Ret::Fd,
        NETWORK,
    ),
    Entry::new(
        289,
        "signalfd4",
        &[Fd, SigSet { size: 2 }, Ulong, Flags(flags::SFD_FLAGS)],
        Ret::Fd,
        DESC | SIGNAL,
    ),
    Entry::new(
        290,
        "eventfd2",
        &[Uint, Flags(flags::EFD_FLAGS)],
        Ret::Fd,
        DESC,
    ),
    Entry::new(
        291,
        "epoll_create1",
        &[Flags(flags::EPOLL_FLAGS)],
        Ret::Fd,
        DESC,
    ),
    Entry::new(
        292,
        "dup3",
        &[Fd, Fd, Flags(flags::PIPE_FLAGS)],
        Ret::Fd,
        DESC,
    ),
    Entry::new(
        293,
        "pipe2",
        &[PipeFds, Flags(flags::PIPE_FLAGS)],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        294,
        "inotify_init1",
        &[Flags(flags::IN_FLAGS)],
        Ret::Fd,
        DESC,
    ),
    Entry::new(
        295,
        "preadv",
        &[Fd, IovecOut { cnt: 2 }, Int, Long],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        296,
        "pwritev",
        &[Fd, Iovec { cnt: 2 }, Int, Long],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        297,
        "rt_tgsigqueueinfo",
        &[Pid, Pid, Signal, Ptr],
        Ret::Int,
        SIGNAL | PROCESS,
    ),
    Entry::new(
        298,
        "perf_event_open",
        &[Ptr, Pid, Int, Int, Hex],
        Ret::Fd,
        DESC,
    ),
    Entry::new(
        299,
        "recvmmsg",
        &[Fd, Ptr, Uint, Flags(flags::MSG), Timespec],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(300, "fanotify_init", &[Hex, Hex], Ret::Fd, DESC),
    Entry::new(
        301,
        "fanotify_mark",
        &[Fd, Hex, Hex, DirFd, Path],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        302,
        "prlimit64",
        &[Pid, Resource, Rlimit, RlimitOut],
        Ret::Int,
        0,
    ),
    Entry::new(
        303,
        "name_to_handle_at",
        &[DirFd, Path, Ptr, Ptr, AtFlags],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        304,
        "open_by_handle_at",
        &[Fd, Ptr, OpenFlags],
        Ret::Fd,
        DESC,
    ),
    Entry::new(305, "clock_adjtime", &[ClockId, Ptr], Ret::Int, CLOCK),
    Entry::new(306, "syncfs", &[Fd], Ret::Int, DESC),
    Entry::new(
        307,
        "sendmmsg",
        &[Fd, Ptr, Uint, Flags(flags::MSG)],
        Ret::Int,
        NETWORK,
    ),
    Entry::new(308, "setns", &[Fd, CloneFlags], Ret::Int, DESC),
    Entry::new(309, "getcpu", &[Ptr, Ptr, Ptr], Ret::Int, 0),
    Entry::new(
        310,
        "process_vm_readv",
        &[Pid, Ptr, Ulong, Ptr, Ulong, Hex],
        Ret::Int,
        0,
    ),
    Entry::new(
        311,
        "process_vm_writev",
        &[Pid, Ptr, Ulong, Ptr, Ulong, Hex],
        Ret::Int,
        0,
    ),
    Entry::new(312, "kcmp", &[Pid, Pid, Int, Hex, Hex], Ret::Int, 0),
    Entry::new(313, "finit_module", &[Fd, Str, Hex], Ret::Int, DESC),
    Entry::new(314, "sched_setattr", &[Pid, Ptr, Hex], Ret::Int, 0),
    Entry::new(315, "sched_getattr", &[Pid, Ptr, Uint, Hex], Ret::Int, 0),
    Entry::new(
        316,
        "renameat2",
        &[DirFd, Path, DirFd, Path, Flags(flags::RENAME)],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        317,
        "seccomp",
        &[Enum(flags::SECCOMP_OP), Hex, Ptr],
        Ret::Int,
        0,
    ),
    Entry::new(
        318,
        "getrandom",
        &[RandomBuf, Ulong, Flags(flags::GRND)],
        Ret::Int,
        0,
    ),
    Entry::new(
        319,
        "memfd_create",
        &[Str, Flags(flags::MFD)],
        Ret::Fd,
        DESC,
    ),
    Entry::new(
        320,
        "kexec_file_load",
        &[Fd, Fd, Ulong, Str, Hex],
        Ret::Int,
        DESC,
    ),
    Entry::new(321, "bpf", &[Int, Ptr, Uint], Ret::Int, DESC),
    Entry::new(
        322,
        "execveat",
        &[DirFd, Path, Argv, Envp, AtFlags],
        Ret::Int,
        DESC | FILE | PROCESS,
    ),
    Entry::new(
        323,
        "userfaultfd",
        &[Flags(flags::PIPE_FLAGS)],
        Ret::Fd,
        DESC,
    ),
    Entry::new(324, "membarrier", &[Int, Hex, Int], Ret::Int, 0),
    Entry::new(
        325,
        "mlock2",
        &[Ptr, Ulong, Flags(flags::MLOCK)],
        Ret::Int,
        MEMORY,
    ),
    Entry::new(
        326,
        "copy_file_range",
        &[Fd, Ptr, Fd, Ptr, Ulong, Hex],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        327,
        "preadv2",
        &[Fd, IovecOut { cnt: 2 }, Int, Long, Long, Flags(flags::RWF)],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        328,
        "pwritev2",
        &[Fd, Iovec { cnt: 2 }, Int, Long, Long, Flags(flags::RWF)],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        329,
        "pkey_mprotect",
        &[Ptr, Ulong, MmapProt, Int],
        Ret::Int,
        MEMORY,
    ),
    Entry::new(330, "pkey_alloc", &[Hex, Hex], Ret::Int, 0),
    Entry::new(331, "pkey_free", &[Int], Ret::Int, 0),
    Entry::new(
        332,
        "statx",
        &[DirFd, Path, AtFlags, Flags(flags::STATX_MASK), Statx],
        Ret::Int,
        DESC | FILE | FSTAT | STAT_LIKE,
    ),
    Entry::new(
        333,
        "io_pgetevents",
        &[Hex, Long, Long, Ptr, Timespec, Ptr],
        Ret::Int,
        0,
    ),
    Entry::new(334, "rseq", &[Ptr, Hex, Hex, Hex], Ret::Int, 0),
    Entry::new(335, "uretprobe", &[], Ret::Int, 0),
    Entry::new(336, "uprobe", &[], Ret::Int, 0),
    Entry::new(
        424,
        "pidfd_send_signal",
        &[Fd, Signal, Ptr, Hex],
        Ret::Int,
        DESC | SIGNAL | PROCESS,
    ),
    Entry::new(425, "io_uring_setup", &[Uint, Ptr], Ret::Fd, DESC),
    Entry::new(
        426,
        "io_uring_enter",
        &[Fd, Uint, Uint, Hex, Ptr, Ulong],
        Ret::Int,
        DESC | SIGNAL,
    ),
    Entry::new(
        427,
        "io_uring_register",
        &[Fd, Uint, Ptr, Uint],
        Ret::Int,
        DESC | MEMORY,
    ),
    Entry::new(428, "open_tree", &[DirFd, Path, Hex], Ret::Fd, DESC | FILE),
    Entry::new(
        429,
        "move_mount",
        &[DirFd, Path, DirFd, Path, Hex],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(430, "fsopen", &[Str, Hex], Ret::Fd, DESC),
    Entry::new(
        431,
        "fsconfig",
        &[Fd, Uint, Str, Ptr, Int],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(432, "fsmount", &[Fd, Hex, Hex], Ret::Fd, DESC),
    Entry::new(433, "fspick", &[DirFd, Path, Hex], Ret::Fd, DESC | FILE),
    Entry::new(434, "pidfd_open", &[Pid, Hex], Ret::Fd, DESC),
    Entry::new(435, "clone3", &[Clone3Args, Ulong], Ret::Pid, PROCESS),
    Entry::new(
        436,
        "close_range",
        &[Uint, Uint, Flags(flags::CLOSE_RANGE)],
        Ret::Int,
        0,
    ),
    Entry::new(
        437,
        "openat2",
        &[DirFd, Path, Ptr, Ulong],
        Ret::Fd,
        DESC | FILE,
    ),
    Entry::new(438, "pidfd_getfd", &[Fd, Fd, Hex], Ret::Fd, DESC),
    Entry::new(
        439,
        "faccessat2",
        &[DirFd, Path, AccessMode, AtFlags],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        440,
        "process_madvise",
        &[Fd, Ptr, Ulong, Enum(flags::MADV), Hex],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        441,
        "epoll_pwait2",
        &[Fd, EpollEventsOut, Int, Timespec, SigSet { size: 5 }, Ulong],
        Ret::Int,
        DESC,
    ),
    Entry::new(
        442,
        "mount_setattr",
        &[DirFd, Path, AtFlags, Ptr, Ulong],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(443, "quotactl_fd", &[Fd, Hex, Int, Ptr], Ret::Int, DESC),
    Entry::new(
        444,
        "landlock_create_ruleset",
        &[Ptr, Ulong, Hex],
        Ret::Fd,
        DESC,
    ),
    Entry::new(
        445,
        "landlock_add_rule",
        &[Fd, Int, Ptr, Hex],
        Ret::Int,
        DESC,
    ),
    Entry::new(446, "landlock_restrict_self", &[Fd, Hex], Ret::Int, DESC),
    Entry::new(447, "memfd_secret", &[Hex], Ret::Fd, DESC),
    Entry::new(448, "process_mrelease", &[Fd, Hex], Ret::Int, DESC),
    Entry::new(
        449,
        "futex_waitv",
        &[Ptr, Uint, Hex, Timespec, ClockId],
        Ret::Int,
        0,
    ),
    Entry::new(
        450,
        "set_mempolicy_home_node",
        &[Ptr, Ulong, Ulong, Hex],
        Ret::Int,
        MEMORY,
    ),
    Entry::new(451, "cachestat", &[Fd, Ptr, Ptr, Hex], Ret::Int, DESC),
    Entry::new(
        452,
        "fchmodat2",
        &[DirFd, Path, Mode, AtFlags],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        453,
        "map_shadow_stack",
        &[Ptr, Ulong, Hex],
        Ret::Hex,
        MEMORY,
    ),
    Entry::new(454, "futex_wake", &[Ptr, Hex, Int, Hex], Ret::Int, 0),
    Entry::new(
        455,
        "futex_wait",
        &[Ptr, Hex, Hex, Hex, Timespec, ClockId],
        Ret::Int,
        0,
    ),
    Entry::new(456, "futex_requeue", &[Ptr, Hex, Int, Int], Ret::Int, 0),
    Entry::new(457, "statmount", &[Ptr, Ptr, Ulong, Hex], Ret::Int, 0),
    Entry::new(458, "listmount", &[Ptr, Ptr, Ulong, Hex], Ret::Int, 0),
    Entry::new(
        459,
        "lsm_get_self_attr",
        &[Uint, Ptr, Ptr, Hex],
        Ret::Int,
        0,
    ),
    Entry::new(
        460,
        "lsm_set_self_attr",
        &[Uint, Ptr, Ulong, Hex],
        Ret::Int,
        0,
    ),
    Entry::new(461, "lsm_list_modules", &[Ptr, Ptr, Hex], Ret::Int, 0),
    Entry::new(462, "mseal", &[Ptr, Ulong, Hex], Ret::Int, MEMORY),
    Entry::new(
        463,
        "setxattrat",
        &[DirFd, Path, AtFlags, Str, Ptr, Ulong],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        464,
        "getxattrat",
        &[DirFd, Path, AtFlags, Str, Ptr, Ulong],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        465,
        "listxattrat",
        &[DirFd, Path, AtFlags, Ptr, Ulong],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        466,
        "removexattrat",
        &[DirFd, Path, AtFlags, Str],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        467,
        "open_tree_attr",
        &[DirFd, Path, Hex, Ptr, Ulong],
        Ret::Fd,
        DESC | FILE,
    ),
    Entry::new(
        468,
        "file_getattr",
        &[DirFd, Path, Ptr, Ulong, AtFlags],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(
        469,
        "file_setattr",
        &[DirFd, Path, Ptr, Ulong, AtFlags],
        Ret::Int,
        DESC | FILE,
    ),
    Entry::new(470, "listns", &[Ptr, Ptr, Ulong, Hex], Ret::Int, 0),
];

/// The number of every x86-64 syscall, by its upper-case name.
#[allow(missing_docs)]
pub mod nr {
    pub const READ: u32 = 0;
    pub const WRITE: u32 = 1;
    pub const OPEN: u32 = 2;
    pub const CLOSE: u32 = 3;
    pub const STAT: u32 = 4;
    pub const FSTAT: u32 = 5;
    pub const LSTAT: u32 = 6;
    pub const POLL: u32 = 7;
    pub const LSEEK: u32 = 8;
    pub const MMAP: u32 = 9;
    pub const MPROTECT: u32 = 10;
    pub const MUNMAP: u32 = 11;
    pub const BRK: u32 = 12;
    pub const RT_SIGACTION: u32 = 13;
    pub const RT_SIGPROCMASK: u32 = 14;
    pub const RT_SIGRETURN: u32 = 15;
    pub const IOCTL: u32 = 16;
    pub const PREAD64: u32 = 17;
    pub const PWRITE64: u32 = 18;
    pub const READV: u32 = 19;
    pub const WRITEV: u32 = 20;
    pub const ACCESS: u32 = 21;
    pub const PIPE: u32 = 22;
    pub const SELECT: u32 = 23;
    pub const SCHED_YIELD: u32 = 24;
    pub const MREMAP: u32 = 25;
    pub const MSYNC: u32 = 26;
    pub const MINCORE: u32 = 27;
    pub const MADVISE: u32 = 28;
    pub const SHMGET: u32 = 29;
    pub const SHMAT: u32 = 30;
    pub const SHMCTL: u32 = 31;
    pub const DUP: u32 = 32;
    pub const DUP2: u32 = 33;
    pub const PAUSE: u32 = 34;
    pub const NANOSLEEP: u32 = 35;
    pub const GETITIMER: u32 = 36;
    pub const ALARM: u32 = 37;
    pub const SETITIMER: u32 = 38;
    pub const GETPID: u32 = 39;
    pub const SENDFILE: u32 = 40;
    pub const SOCKET: u32 = 41;
    pub const CONNECT: u32 = 42;
    pub const ACCEPT: u32 = 43;
    pub const SENDTO: u32 = 44;
    pub const RECVFROM: u32 = 45;
    pub const SENDMSG: u32 = 46;
    pub const RECVMSG: u32 = 47;
    pub const SHUTDOWN: u32 = 48;
    pub const BIND: u32 = 49;
    pub const LISTEN: u32 = 50;
    pub const GETSOCKNAME: u32 = 51;
    pub const GETPEERNAME: u32 = 52;
    pub const SOCKETPAIR: u32 = 53;
    pub const SETSOCKOPT: u32 = 54;
    pub const GETSOCKOPT: u32 = 55;
    pub const CLONE: u32 = 56;
    pub const FORK: u32 = 57;
    pub const VFORK: u32 = 58;
    pub const EXECVE: u32 = 59;
    pub const EXIT: u32 = 60;
    pub const WAIT4: u32 = 61;
    pub const KILL: u32 = 62;
    pub const UNAME: u32 = 63;
    pub const SEMGET: u32 = 64;
    pub const SEMOP: u32 = 65;
    pub const SEMCTL: u32 = 66;
    pub const SHMDT: u32 = 67;
    pub const MSGGET: u32 = 68;
    pub const MSGSND: u32 = 69;
    pub const MSGRCV: u32 = 70;
    pub const MSGCTL: u32 = 71;
    pub const FCNTL: u32 = 72;
    pub const FLOCK: u32 = 73;
    pub const FSYNC: u32 = 74;
    pub const FDATASYNC: u32 = 75;
    pub const TRUNCATE: u32 = 76;
    pub const FTRUNCATE: u32 = 77;
    pub const GETDENTS: u32 = 78;
    pub const GETCWD: u32 = 79;
    pub const CHDIR: u32 = 80;
    pub const FCHDIR: u32 = 81;
    pub const RENAME: u32 = 82;
    pub const MKDIR: u32 = 83;
    pub const RMDIR: u32 = 84;
    pub const CREAT: u32 = 85;
    pub const LINK: u32 = 86;
    pub const UNLINK: u32 = 87;
    pub const SYMLINK: u32 = 88;
    pub const READLINK: u32 = 89;
    pub const CHMOD: u32 = 90;
    pub const FCHMOD: u32 = 91;
    pub const CHOWN: u32 = 92;
    pub const FCHOWN: u32 = 93;
    pub const LCHOWN: u32 = 94;
    pub const UMASK: u32 = 95;
    pub const GETTIMEOFDAY: u32 = 96;
    pub const GETRLIMIT: u32 = 97;
    pub const GETRUSAGE: u32 = 98;
    pub const SYSINFO: u32 = 99;
    pub const TIMES: u32 = 100;
    pub const PTRACE: u32 = 101;
    pub const GETUID: u32 = 102;
    pub const SYSLOG: u32 = 103;
    pub const GETGID: u32 = 104;
    pub const SETUID: u32 = 105;
    pub const SETGID: u32 = 106;
    pub const GETEUID: u32 = 107;
    pub const GETEGID: u32 = 108;
    pub const SETPGID: u32 = 109;
    pub const GETPPID: u32 = 110;
    pub const GETPGRP: u32 = 111;
    pub const SETSID: u32 = 112;
    pub const SETREUID: u32 = 113;
    pub const SETREGID: u32 = 114;
    pub const GETGROUPS: u32 = 115;
    pub const SETGROUPS: u32 = 116;
    pub const SETRESUID: u32 = 117;
    pub const GETRESUID: u32 = 118;
    pub const SETRESGID: u32 = 119;
    pub const GETRESGID: u32 = 120;
    pub const GETPGID: u32 = 121;
    pub const SETFSUID: u32 = 122;
    pub const SETFSGID: u32 = 123;
    pub const GETSID: u32 = 124;
    pub const CAPGET: u32 = 125;
    pub const CAPSET: u32 = 126;
    pub const RT_SIGPENDING: u32 = 127;
    pub const RT_SIGTIMEDWAIT: u32 = 128;
    pub const RT_SIGQUEUEINFO: u32 = 129;
    pub const RT_SIGSUSPEND: u32 = 130;
    pub const SIGALTSTACK: u32 = 131;
    pub const UTIME: u32 = 132;
    pub const MKNOD: u32 = 133;
    pub const USELIB: u32 = 134;
    pub const PERSONALITY: u32 = 135;
    pub const USTAT: u32 = 136;
    pub const STATFS: u32 = 137;
    pub const FSTATFS: u32 = 138;
    pub const SYSFS: u32 = 139;
    pub const GETPRIORITY: u32 = 140;
    pub const SETPRIORITY: u32 = 141;
    pub const SCHED_SETPARAM: u32 = 142;
    pub const SCHED_GETPARAM: u32 = 143;
    pub const SCHED_SETSCHEDULER: u32 = 144;
    pub const SCHED_GETSCHEDULER: u32 = 145;
    pub const SCHED_GET_PRIORITY_MAX: u32 = 146;
    pub const SCHED_GET_PRIORITY_MIN: u32 = 147;
    pub const SCHED_RR_GET_INTERVAL: u32 = 148;
    pub const MLOCK: u32 = 149;
    pub const MUNLOCK: u32 = 150;
    pub const MLOCKALL: u32 = 151;
    pub const MUNLOCKALL: u32 = 152;
    pub const VHANGUP: u32 = 153;
    pub const MODIFY_LDT: u32 = 154;
    pub const PIVOT_ROOT: u32 = 155;
    pub const _SYSCTL: u32 = 156;
    pub const PRCTL: u32 = 157;
    pub const ARCH_PRCTL: u32 = 158;
    pub const ADJTIMEX: u32 = 159;
    pub const SETRLIMIT: u32 = 160;
    pub const CHROOT: u32 = 161;
    pub const SYNC: u32 = 162;
    pub const ACCT: u32 = 163;
    pub const SETTIMEOFDAY: u32 = 164;
    pub const MOUNT: u32 = 165;
    pub const UMOUNT2: u32 = 166;
    pub const SWAPON: u32 = 167;
    pub const SWAPOFF: u32 = 168;
    pub const REBOOT: u32 = 169;
    pub const SETHOSTNAME: u32 = 170;
    pub const SETDOMAINNAME: u32 = 171;
    pub const IOPL: u32 = 172;
    pub const IOPERM: u32 = 173;
    pub const CREATE_MODULE: u32 = 174;
    pub const INIT_MODULE: u32 = 175;
    pub const DELETE_MODULE: u32 = 176;
    pub const GET_KERNEL_SYMS: u32 = 177;
    pub const QUERY_MODULE: u32 = 178;
    pub const QUOTACTL: u32 = 179;
    pub const NFSSERVCTL: u32 = 180;
    pub const GETPMSG: u32 = 181;
    pub const PUTPMSG: u32 = 182;
    pub const AFS_SYSCALL: u32 = 183;
    pub const TUXCALL: u32 = 184;
    pub const SECURITY: u32 = 185;
    pub const GETTID: u32 = 186;
    pub const READAHEAD: u32 = 187;
    pub const SETXATTR: u32 = 188;
    pub const LSETXATTR: u32 = 189;
    pub const FSETXATTR: u32 = 190;
    pub const GETXATTR: u32 = 191;
    pub const LGETXATTR: u32 = 192;
    pub const FGETXATTR: u32 = 193;
    pub const LISTXATTR: u32 = 194;
    pub const LLISTXATTR: u32 = 195;
    pub const FLISTXATTR: u32 = 196;
    pub const REMOVEXATTR: u32 = 197;
    pub const LREMOVEXATTR: u32 = 198;
    pub const FREMOVEXATTR: u32 = 199;
    pub const TKILL: u32 = 200;
    pub const TIME: u32 = 201;
    pub const FUTEX: u32 = 202;
    pub const SCHED_SETAFFINITY: u32 = 203;
    pub const SCHED_GETAFFINITY: u32 = 204;
    pub const SET_THREAD_AREA: u32 = 205;
    pub const IO_SETUP: u32 = 206;
    pub const IO_DESTROY: u32 = 207;
    pub const IO_GETEVENTS: u32 = 208;
    pub const IO_SUBMIT: u32 = 209;
    pub const IO_CANCEL: u32 = 210;
    pub const GET_THREAD_AREA: u32 = 211;
    pub const LOOKUP_DCOOKIE: u32 = 212;
    pub const EPOLL_CREATE: u32 = 213;
    pub const EPOLL_CTL_OLD: u32 = 214;
    pub const EPOLL_WAIT_OLD: u32 = 215;
    pub const REMAP_FILE_PAGES: u32 = 216;
    pub const GETDENTS64: u32 = 217;
    pub const SET_TID_ADDRESS: u32 = 218;
    pub const RESTART_SYSCALL: u32 = 219;
    pub const SEMTIMEDOP: u32 = 220;
    pub const FADVISE64: u32 = 221;
    pub const TIMER_CREATE: u32 = 222;
    pub const TIMER_SETTIME: u32 = 223;
    pub const TIMER_GETTIME: u32 = 224;
    pub const TIMER_GETOVERRUN: u32 = 225;
    pub const TIMER_DELETE: u32 = 226;
    pub const CLOCK_SETTIME: u32 = 227;
    pub const CLOCK_GETTIME: u32 = 228;
    pub const CLOCK_GETRES: u32 = 229;
    pub const CLOCK_NANOSLEEP: u32 = 230;
    pub const EXIT_GROUP: u32 = 231;
    pub const EPOLL_WAIT: u32 = 232;
    pub const EPOLL_CTL: u32 = 233;
    pub const TGKILL: u32 = 234;
    pub const UTIMES: u32 = 235;
    pub const VSERVER: u32 = 236;
    pub const MBIND: u32 = 237;
    pub const SET_MEMPOLICY: u32 = 238;
    pub const GET_MEMPOLICY: u32 = 239;
    pub const MQ_OPEN: u32 = 240;
    pub const MQ_UNLINK: u32 = 241;
    pub const MQ_TIMEDSEND: u32 = 242;
    pub const MQ_TIMEDRECEIVE: u32 = 243;
    pub const MQ_NOTIFY: u32 = 244;
    pub const MQ_GETSETATTR: u32 = 245;
    pub const KEXEC_LOAD: u32 = 246;
    pub const WAITID: u32 = 247;
    pub const ADD_KEY: u32 = 248;
    pub const REQUEST_KEY: u32 = 249;
    pub const KEYCTL: u32 = 250;
    pub const IOPRIO_SET: u32 = 251;
    pub const IOPRIO_GET: u32 = 252;
    pub const INOTIFY_INIT: u32 = 253;
    pub const INOTIFY_ADD_WATCH: u32 = 254;
    pub const INOTIFY_RM_WATCH: u32 = 255;
    pub const MIGRATE_PAGES: u32 = 256;
    pub const OPENAT: u32 = 257;
    pub const MKDIRAT: u32 = 258;
    pub const MKNODAT: u32 = 259;
    pub const FCHOWNAT: u32 = 260;
    pub const FUTIMESAT: u32 = 261;
    pub const NEWFSTATAT: u32 = 262;
    pub const UNLINKAT: u32 = 263;
    pub const RENAMEAT: u32 = 264;
    pub const LINKAT: u32 = 265;
    pub const SYMLINKAT: u32 = 266;
    pub const READLINKAT: u32 = 267;
    pub const FCHMODAT: u32 = 268;
    pub const FACCESSAT: u32 = 269;
    pub const PSELECT6: u32 = 270;
    pub const PPOLL: u32 = 271;
    pub const UNSHARE: u32 = 272;
    pub const SET_ROBUST_LIST: u32 = 273;
    pub const GET_ROBUST_LIST: u32 = 274;
    pub const SPLICE: u32 = 275;
    pub const TEE: u32 = 276;
    pub const SYNC_FILE_RANGE: u32 = 277;
    pub const VMSPLICE: u32 = 278;
    pub const MOVE_PAGES: u32 = 279;
    pub const UTIMENSAT: u32 = 280;
    pub const EPOLL_PWAIT: u32 = 281;
    pub const SIGNALFD: u32 = 282;
    pub const TIMERFD_CREATE: u32 = 283;
    pub const EVENTFD: u32 = 284;
    pub const FALLOCATE: u32 = 285;
    pub const TIMERFD_SETTIME: u32 = 286;
    pub const TIMERFD_GETTIME: u32 = 287;
    pub const ACCEPT4: u32 = 288;
    pub const SIGNALFD4: u32 = 289;
    pub const EVENTFD2: u32 = 290;
    pub const EPOLL_CREATE1: u32 = 291;
    pub const DUP3: u32 = 292;
    pub const PIPE2: u32 = 293;
    pub const INOTIFY_INIT1: u32 = 294;
    pub const PREADV: u32 = 295;
    pub const PWRITEV: u32 = 296;
    pub const RT_TGSIGQUEUEINFO: u32 = 297;
    pub const PERF_EVENT_OPEN: u32 = 298;
    pub const RECVMMSG: u32 = 299;
    pub const FANOTIFY_INIT: u32 = 300;
    pub const FANOTIFY_MARK: u32 = 301;
    pub const PRLIMIT64: u32 = 302;
    pub const NAME_TO_HANDLE_AT: u32 = 303;
    pub const OPEN_BY_HANDLE_AT: u32 = 304;
    pub const CLOCK_ADJTIME: u32 = 305;
    pub const SYNCFS: u32 = 306;
    pub const SENDMMSG: u32 = 307;
    pub const SETNS: u32 = 308;
    pub const GETCPU: u32 = 309;
    pub const PROCESS_VM_READV: u32 = 310;
    pub const PROCESS_VM_WRITEV: u32 = 311;
    pub const KCMP: u32 = 312;
    pub const FINIT_MODULE: u32 = 313;
    pub const SCHED_SETATTR: u32 = 314;
    pub const SCHED_GETATTR: u32 = 315;
    pub const RENAMEAT2: u32 = 316;
    pub const SECCOMP: u32 = 317;
    pub const GETRANDOM: u32 = 318;
    pub const MEMFD_CREATE: u32 = 319;
    pub const KEXEC_FILE_LOAD: u32 = 320;
    pub const BPF: u32 = 321;
    pub const EXECVEAT: u32 = 322;
    pub const USERFAULTFD: u32 = 323;
    pub const MEMBARRIER: u32 = 324;
    pub const MLOCK2: u32 = 325;
    pub const COPY_FILE_RANGE: u32 = 326;
    pub const PREADV2: u32 = 327;
    pub const PWRITEV2: u32 = 328;
    pub const PKEY_MPROTECT: u32 = 329;
    pub const PKEY_ALLOC: u32 = 330;
    pub const PKEY_FREE: u32 = 331;
    pub const STATX: u32 = 332;
    pub const IO_PGETEVENTS: u32 = 333;
    pub const RSEQ: u32 = 334;
    pub const URETPROBE: u32 = 335;
    pub const UPROBE: u32 = 336;
    pub const PIDFD_SEND_SIGNAL: u32 = 424;
    pub const IO_URING_SETUP: u32 = 425;
    pub const IO_URING_ENTER: u32 = 426;
    pub const IO_URING_REGISTER: u32 = 427;
    pub const OPEN_TREE: u32 = 428;
    pub const MOVE_MOUNT: u32 = 429;
    pub const FSOPEN: u32 = 430;
    pub const FSCONFIG: u32 = 431;
    pub const FSMOUNT: u32 = 432;
    pub const FSPICK: u32 = 433;
    pub const PIDFD_OPEN: u32 = 434;
    pub const CLONE3: u32 = 435;
    pub const CLOSE_RANGE: u32 = 436;
    pub const OPENAT2: u32 = 437;
    pub const PIDFD_GETFD: u32 = 438;
    pub const FACCESSAT2: u32 = 439;
    pub const PROCESS_MADVISE: u32 = 440;
    pub const EPOLL_PWAIT2: u32 = 441;
    pub const MOUNT_SETATTR: u32 = 442;
    pub const QUOTACTL_FD: u32 = 443;
    pub const LANDLOCK_CREATE_RULESET: u32 = 444;
    pub const LANDLOCK_ADD_RULE: u32 = 445;
    pub const LANDLOCK_RESTRICT_SELF: u32 = 446;
    pub const MEMFD_SECRET: u32 = 447;
    pub const PROCESS_MRELEASE: u32 = 448;
    pub const FUTEX_WAITV: u32 = 449;
    pub const SET_MEMPOLICY_HOME_NODE: u32 = 450;
    pub const CACHESTAT: u32 = 451;
    pub const FCHMODAT2: u32 = 452;
    pub const MAP_SHADOW_STACK: u32 = 453;
    pub const FUTEX_WAKE: u32 = 454;
    pub const FUTEX_WAIT: u32 = 455;
    pub const FUTEX_REQUEUE: u32 = 456;
    pub const STATMOUNT: u32 = 457;
    pub const LISTMOUNT: u32 = 458;
    pub const LSM_GET_SELF_ATTR: u32 = 459;
    pub const LSM_SET_SELF_ATTR: u32 = 460;
    pub const LSM_LIST_MODULES: u32 = 461;
    pub const MSEAL: u32 = 462;
    pub const SETXATTRAT: u32 = 463;
    pub const GETXATTRAT: u32 = 464;
    pub const LISTXATTRAT: u32 = 465;
    pub const REMOVEXATTRAT: u32 = 466;
    pub const OPEN_TREE_ATTR: u32 = 467;
    pub const FILE_GETATTR: u32 = 468;
    pub const FILE_SETATTR: u32 = 469;
    pub const LISTNS: u32 = 470;
}
