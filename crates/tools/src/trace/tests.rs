//! Expected lines are real strace 6.1 output captured on x86-64 (addresses and
//! values replaced by those of the fake memory where they differ).

extern crate std;
use super::*;
use std::string::String;
use std::vec::Vec;
use sysgate_abi::x86_64::nr;

/// A flat region of fake guest memory starting at `BASE`.
struct Mem {
    data: Vec<u8>,
}

const BASE: u64 = 0x10000;

impl Mem {
    fn new() -> Self {
        Mem { data: Vec::new() }
    }
    /// Places `b` (8-byte aligned) and returns its address.
    fn put(&mut self, b: &[u8]) -> u64 {
        while self.data.len() & 7 != 0 {
            self.data.push(0xaa);
        }
        let at = BASE + self.data.len() as u64;
        self.data.extend_from_slice(b);
        at
    }
    fn cstr(&mut self, s: &str) -> u64 {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        self.put(&v)
    }
    fn u64s(&mut self, v: &[u64]) -> u64 {
        let b: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.put(&b)
    }
    fn u32s(&mut self, v: &[u32]) -> u64 {
        let b: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.put(&b)
    }
}

impl GuestMem for Mem {
    fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
        let Some(off) = addr.checked_sub(BASE) else {
            return false;
        };
        let off = off as usize;
        match self.data.get(off..off + buf.len()) {
            Some(src) => {
                buf.copy_from_slice(src);
                true
            }
            None => false,
        }
    }
}

fn fmt_opts(mem: &Mem, opts: &TraceOpts, n: u32, args: [u64; 6], ret: Option<i64>) -> String {
    let mut buf = [0u8; 4096];
    let mut out = Out::new(&mut buf);
    format_syscall(&mut out, mem, opts, u64::from(n), &args, ret);
    String::from_utf8(out.as_bytes().to_vec()).unwrap()
}

fn fmt(mem: &Mem, n: u32, args: [u64; 6], ret: Option<i64>) -> String {
    fmt_opts(mem, &TraceOpts::default(), n, args, ret)
}

/// `call` padded to strace's result column, then ` = result`.
fn padded(call: &str, result: &str) -> String {
    format!("{:<39} = {}\n", call, result)
}

fn a(v: &[u64]) -> [u64; 6] {
    let mut r = [0u64; 6];
    r[..v.len()].copy_from_slice(v);
    r
}

const AT_FDCWD: u64 = -100i64 as u64;
const NEG1: u64 = 0xffff_ffff;

fn stat_buf(mode: u32, size: i64, rdev: u64) -> Vec<u8> {
    let mut b = vec![0u8; 144];
    b[24..28].copy_from_slice(&mode.to_le_bytes());
    b[40..48].copy_from_slice(&rdev.to_le_bytes());
    b[48..56].copy_from_slice(&size.to_le_bytes());
    b
}

#[test]
fn ls_startup_lines() {
    let mut m = Mem::new();
    let p = m.cstr("/etc/ld.so.cache");
    assert_eq!(
        fmt(&m, nr::OPENAT, a(&[AT_FDCWD, p, 0o2000000]), Some(3)),
        "openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3\n"
    );
    let p = m.cstr("/etc/ld.so.preload");
    assert_eq!(
        fmt(&m, nr::ACCESS, a(&[p, 4]), Some(-2)),
        "access(\"/etc/ld.so.preload\", R_OK)      = -1 ENOENT (No such file or directory)\n"
    );
    assert_eq!(
        fmt(&m, nr::BRK, a(&[0]), Some(0x55a6_1d34_d000)),
        "brk(NULL)                               = 0x55a61d34d000\n"
    );
    assert_eq!(
        fmt(&m, nr::MMAP, a(&[0, 8192, 3, 0x22, NEG1, 0]), Some(0x7fe5_c652_0000)),
        "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7fe5c6520000\n"
    );
    assert_eq!(
        fmt(&m, nr::MMAP, a(&[0x7fe5_c64f_0000, 110_592, 5, 0x812, 3, 0x7000]), Some(0x7fe5_c64f_0000)),
        "mmap(0x7fe5c64f0000, 110592, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x7000) = 0x7fe5c64f0000\n"
    );
    assert_eq!(
        fmt(&m, nr::MPROTECT, a(&[0x7fe5_c64d_6000, 16384, 1]), Some(0)),
        "mprotect(0x7fe5c64d6000, 16384, PROT_READ) = 0\n"
    );
    assert_eq!(
        fmt(&m, nr::ARCH_PRCTL, a(&[0x1002, 0x7fe5_c626_bc40]), Some(0)),
        "arch_prctl(ARCH_SET_FS, 0x7fe5c626bc40) = 0\n"
    );
    assert_eq!(
        fmt(&m, nr::SET_TID_ADDRESS, a(&[0x7fe5_c626_bf10]), Some(2745)),
        "set_tid_address(0x7fe5c626bf10)         = 2745\n"
    );
    assert_eq!(
        fmt(&m, nr::SET_ROBUST_LIST, a(&[0x7fe5_c626_bf20, 24]), Some(0)),
        "set_robust_list(0x7fe5c626bf20, 24)     = 0\n"
    );
    assert_eq!(
        fmt(
            &m,
            nr::RSEQ,
            a(&[0x7fe5_c626_c560, 0x20, 0, 0x5305_3053]),
            Some(0)
        ),
        "rseq(0x7fe5c626c560, 0x20, 0, 0x53053053) = 0\n"
    );
    let rl = m.u64s(&[8192 * 1024, u64::MAX]);
    assert_eq!(
        fmt(&m, nr::PRLIMIT64, a(&[0, 3, 0, rl]), Some(0)),
        "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0\n"
    );
    assert_eq!(
        fmt(&m, nr::MUNMAP, a(&[0x7fe5_c651_7000, 33699]), Some(0)),
        "munmap(0x7fe5c6517000, 33699)           = 0\n"
    );
    let r = m.put(&[0xc4, 0x28, 0xdd, 0x09, 0x9c, 0x37, 0x28, 0xf1]);
    assert_eq!(
        fmt(&m, nr::GETRANDOM, a(&[r, 8, 1]), Some(8)),
        "getrandom(\"\\xc4\\x28\\xdd\\x09\\x9c\\x37\\x28\\xf1\", 8, GRND_NONBLOCK) = 8\n"
    );
    assert_eq!(
        fmt(&m, nr::IOCTL, a(&[1, 0x5401, 0x7ffc_5a12_d550]), Some(-25)),
        "ioctl(1, TCGETS, 0x7ffc5a12d550)        = -1 ENOTTY (Inappropriate ioctl for device)\n"
    );
    assert_eq!(
        fmt(&m, nr::CLOSE, a(&[3]), Some(0)),
        "close(3)                                = 0\n"
    );
    assert_eq!(
        fmt(&m, nr::EXIT_GROUP, a(&[0]), None),
        "exit_group(0)                           = ?\n"
    );
    assert_eq!(
        fmt(
            &m,
            nr::FUTEX,
            a(&[0x7fe5_c64d_ba4c, 129, 2_147_483_647]),
            Some(0)
        ),
        "futex(0x7fe5c64dba4c, FUTEX_WAKE_PRIVATE, 2147483647) = 0\n"
    );
}

#[test]
fn stat_family() {
    let mut m = Mem::new();
    let e = m.cstr("");
    let st = m.put(&stat_buf(0o100644, 33699, 0));
    assert_eq!(
        fmt(&m, nr::NEWFSTATAT, a(&[3, e, st, 0x1000]), Some(0)),
        "newfstatat(3, \"\", {st_mode=S_IFREG|0644, st_size=33699, ...}, AT_EMPTY_PATH) = 0\n"
    );
    let st = m.put(&stat_buf(0o20666, 0, 0x103));
    assert_eq!(
        fmt(&m, nr::NEWFSTATAT, a(&[1, e, st, 0x1000]), Some(0)),
        "newfstatat(1, \"\", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, AT_EMPTY_PATH) = 0\n"
    );
    // A failed call shows the output pointer.
    assert_eq!(
        fmt(
            &m,
            nr::NEWFSTATAT,
            a(&[AT_FDCWD, e, 0x7ffe_3d78_1120, 0]),
            Some(-2)
        ),
        "newfstatat(AT_FDCWD, \"\", 0x7ffe3d781120, 0) = -1 ENOENT (No such file or directory)\n"
    );
    let root = m.cstr("/");
    let mut sx = vec![0u8; 256];
    sx[0..4].copy_from_slice(&0x173fu32.to_le_bytes());
    sx[8..16].copy_from_slice(&0x2000u64.to_le_bytes());
    sx[28..30].copy_from_slice(&0o40755u16.to_le_bytes());
    sx[40..48].copy_from_slice(&4096u64.to_le_bytes());
    let sx = m.put(&sx);
    assert_eq!(
        fmt(&m, nr::STATX, a(&[AT_FDCWD, root, 0x800, 2, sx]), Some(0)),
        "statx(AT_FDCWD, \"/\", AT_STATX_SYNC_AS_STAT|AT_NO_AUTOMOUNT, STATX_MODE, {stx_mask=STATX_TYPE|STATX_MODE|STATX_NLINK|STATX_UID|STATX_GID|STATX_ATIME|STATX_INO|STATX_SIZE|STATX_BLOCKS|STATX_MNT_ID, stx_attributes=STATX_ATTR_MOUNT_ROOT, stx_mode=S_IFDIR|0755, stx_size=4096, ...}) = 0\n"
    );
    let sel = m.cstr("/sys/fs/selinux");
    assert_eq!(
        fmt(&m, nr::STATFS, a(&[sel, 0x7ffc_5a12_d610]), Some(-2)),
        "statfs(\"/sys/fs/selinux\", 0x7ffc5a12d610) = -1 ENOENT (No such file or directory)\n"
    );
    let mut sf = vec![0u8; 120];
    for (off, v) in [
        (0, 0xef53u64),
        (8, 4096),
        (16, 66_053_021),
        (24, 63_088_596),
        (32, 20_857_047),
        (40, 16_777_216),
        (48, 16_390_145),
        (64, 255),
        (72, 4096),
        (80, 4128),
    ] {
        sf[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    sf[56..60].copy_from_slice(&0x82d0_c8d9u32.to_le_bytes());
    sf[60..64].copy_from_slice(&0x54a9_b2fdu32.to_le_bytes());
    let sf = m.put(&sf);
    assert_eq!(
        fmt(&m, nr::STATFS, a(&[root, sf]), Some(0)),
        "statfs(\"/\", {f_type=EXT2_SUPER_MAGIC, f_bsize=4096, f_blocks=66053021, f_bfree=63088596, f_bavail=20857047, f_files=16777216, f_ffree=16390145, f_fsid={val=[0x82d0c8d9, 0x54a9b2fd]}, f_namelen=255, f_frsize=4096, f_flags=ST_VALID|ST_RELATIME}) = 0\n"
    );
}

#[test]
fn buffers_and_escapes() {
    let mut m = Mem::new();
    let mut elf = vec![
        0x7f, b'E', b'L', b'F', 2, 1, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, b'>', 0, 1, 0, 0, 0,
        0x10, b't', 2, 0, 0, 0, 0, 0,
    ];
    elf.resize(832, 0);
    let b = m.put(&elf);
    assert_eq!(
        fmt(&m, nr::READ, a(&[3, b, 832]), Some(832)),
        "read(3, \"\\177ELF\\2\\1\\1\\3\\0\\0\\0\\0\\0\\0\\0\\0\\3\\0>\\0\\1\\0\\0\\0\\20t\\2\\0\\0\\0\\0\\0\"..., 832) = 832\n"
    );
    assert_eq!(
        fmt(&m, nr::READ, a(&[3, b, 1024]), Some(0)),
        "read(3, \"\", 1024)                       = 0\n"
    );
    assert_eq!(
        fmt(&m, nr::READ, a(&[3, b, 1024]), Some(-9)),
        padded(
            &format!("read(3, {:#x}, 1024)", b),
            "-1 EBADF (Bad file descriptor)"
        )
    );
    let s = m.put(b"a\x01b\n\t\"\\\x7f\xff1\x002\r\x0b\x0c ~");
    assert_eq!(
        fmt(&m, nr::WRITE, a(&[1, s, 17]), Some(17)),
        "write(1, \"a\\1b\\n\\t\\\"\\\\\\177\\3771\\0002\\r\\v\\f ~\", 17) = 17\n"
    );
    let x1 = TraceOpts {
        xflag: 1,
        ..TraceOpts::default()
    };
    assert_eq!(
        fmt_opts(&m, &x1, nr::WRITE, a(&[1, s, 17]), Some(17)),
        "write(1, \"\\x61\\x01\\x62\\x0a\\x09\\x22\\x5c\\x7f\\xff\\x31\\x00\\x32\\x0d\\x0b\\x0c\\x20\\x7e\", 17) = 17\n"
    );
    let s2 = m.put(b"\x0123");
    assert_eq!(
        fmt(&m, nr::WRITE, a(&[1, s2, 3]), Some(3)),
        "write(1, \"\\00123\", 3)                   = 3\n"
    );
    let digits = m.put(b"0123456789012345678901234567890123456789");
    assert_eq!(
        fmt(&m, nr::WRITE, a(&[1, digits, 40]), Some(40)),
        "write(1, \"01234567890123456789012345678901\"..., 40) = 40\n"
    );
    assert_eq!(
        fmt(&m, nr::WRITE, a(&[1, digits, 32]), Some(32)),
        "write(1, \"01234567890123456789012345678901\", 32) = 32\n"
    );
    assert_eq!(
        fmt_opts(&m, &x1, nr::WRITE, a(&[1, digits, 4]), Some(4)),
        "write(1, \"0123\", 4)                     = 4\n"
    );
    let xx = TraceOpts {
        xflag: 2,
        ..TraceOpts::default()
    };
    assert_eq!(
        fmt_opts(&m, &xx, nr::WRITE, a(&[1, digits, 2]), Some(2)),
        padded("write(1, \"\\x30\\x31\", 2)", "2")
    );
    let s5 = TraceOpts {
        strsize: 5,
        ..TraceOpts::default()
    };
    assert_eq!(
        fmt_opts(&m, &s5, nr::WRITE, a(&[1, digits, 40]), Some(40)),
        "write(1, \"01234\"..., 40)                = 40\n"
    );
    let odd = m.cstr("/nonexistent\x01\n");
    assert_eq!(
        fmt(&m, nr::OPENAT, a(&[AT_FDCWD, odd, 0]), Some(-2)),
        "openat(AT_FDCWD, \"/nonexistent\\1\\n\", O_RDONLY) = -1 ENOENT (No such file or directory)\n"
    );
    let tmp = m.cstr("/tmp/x");
    assert_eq!(
        fmt(&m, nr::OPENAT, a(&[AT_FDCWD, tmp, 0o1101, 0o644]), Some(3)),
        "openat(AT_FDCWD, \"/tmp/x\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3\n"
    );
    let ls = m.cstr("/");
    assert_eq!(
        fmt(&m, nr::OPENAT, a(&[AT_FDCWD, ls, 0o2204000]), Some(3)),
        "openat(AT_FDCWD, \"/\", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3\n"
    );
    // Paths are not cut at -s; unreadable pointers print as hex.
    let long = m.cstr("/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache");
    assert_eq!(
        fmt(&m, nr::OPENAT, a(&[AT_FDCWD, long, 0]), Some(3)),
        "openat(AT_FDCWD, \"/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache\", O_RDONLY) = 3\n"
    );
    assert_eq!(
        fmt(&m, nr::OPENAT, a(&[AT_FDCWD, 0xdead_0000, 0]), Some(-14)),
        "openat(AT_FDCWD, 0xdead0000, O_RDONLY)  = -1 EFAULT (Bad address)\n"
    );
    let w = m.put(b"bin\nboot\ncontainer_info.json\ndev and more");
    assert_eq!(
        fmt(&m, nr::WRITE, a(&[1, w, 151]), Some(151)),
        "write(1, \"bin\\nboot\\ncontainer_info.json\\ndev\"..., 151) = 151\n"
    );
    let mut hostname = m.put(b"vm");
    hostname += 0;
    assert_eq!(
        fmt(&m, nr::SETHOSTNAME, a(&[hostname, 2]), Some(0)),
        "sethostname(\"vm\", 2)                    = 0\n"
    );
}

#[test]
fn process_lines() {
    let mut m = Mem::new();
    let path = m.cstr("/usr/bin/ls");
    let a0 = m.cstr("ls");
    let a1 = m.cstr("/");
    let argv = m.u64s(&[a0, a1, 0]);
    let mut envs: Vec<u64> = (0..38).map(|_| a0).collect();
    envs.push(0);
    let envp = m.u64s(&envs);
    let envp_shown = 0x7fff_9e37_2180u64;
    let _ = envp_shown;
    assert_eq!(
        fmt(&m, nr::EXECVE, a(&[path, argv, envp]), Some(0)),
        padded(
            &format!(
                "execve(\"/usr/bin/ls\", [\"ls\", \"/\"], {:#x} /* 38 vars */)",
                envp
            ),
            "0"
        )
    );
    assert_eq!(
        fmt(&m, nr::CLONE, a(&[0x0120_0011, 0, 0, 0x7f2b_07e1_5a10, 0]), Some(2798)),
        "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f2b07e15a10) = 2798\n"
    );
    let mut ca = vec![0u8; 88];
    ca[0..8].copy_from_slice(&0x4100u64.to_le_bytes());
    ca[32..40].copy_from_slice(&17u64.to_le_bytes());
    ca[40..48].copy_from_slice(&0x7f9b_75d6_5000u64.to_le_bytes());
    ca[48..56].copy_from_slice(&0x9000u64.to_le_bytes());
    let ca = m.put(&ca);
    assert_eq!(
        fmt(&m, nr::CLONE3, a(&[ca, 88]), Some(17058)),
        "clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f9b75d65000, stack_size=0x9000}, 88) = 17058\n"
    );
    let st = m.u32s(&[0, 0]);
    assert_eq!(
        fmt(&m, nr::WAIT4, a(&[NEG1, st, 0, 0]), Some(2798)),
        "wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 2798\n"
    );
    let st = m.u32s(&[0x8b, 0]);
    assert_eq!(
        fmt(&m, nr::WAIT4, a(&[NEG1, st, 0, 0]), Some(5)),
        "wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}], 0, NULL) = 5\n"
    );
    let fds = m.u32s(&[3, 4]);
    assert_eq!(
        fmt(&m, nr::PIPE2, a(&[fds, 0]), Some(0)),
        "pipe2([3, 4], 0)                        = 0\n"
    );
    let mut uts = vec![0u8; 390];
    uts[..5].copy_from_slice(b"Linux");
    uts[65..67].copy_from_slice(b"vm");
    let uts = m.put(&uts);
    assert_eq!(
        fmt(&m, nr::UNAME, a(&[uts]), Some(0)),
        "uname({sysname=\"Linux\", nodename=\"vm\", ...}) = 0\n"
    );
    let mut si = vec![0u8; 112];
    for (off, v) in [
        (0usize, 424u64),
        (8, 0),
        (16, 1088),
        (24, 0),
        (32, 25_274_793_984),
        (40, 24_722_112_512),
        (48, 13_082_624),
        (56, 4_542_464),
    ] {
        si[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    si[80..82].copy_from_slice(&82u16.to_le_bytes());
    si[104..108].copy_from_slice(&1u32.to_le_bytes());
    let si = m.put(&si);
    assert_eq!(
        fmt(&m, nr::SYSINFO, a(&[si]), Some(0)),
        "sysinfo({uptime=424, loads=[0, 1088, 0], totalram=25274793984, freeram=24722112512, sharedram=13082624, bufferram=4542464, totalswap=0, freeswap=0, procs=82, totalhigh=0, freehigh=0, mem_unit=1}) = 0\n"
    );
    assert_eq!(
        fmt(&m, nr::GETPGRP, a(&[]), Some(2737)),
        "getpgrp()                               = 2737\n"
    );
    let name = m.cstr("probe");
    assert_eq!(
        fmt(&m, nr::PRCTL, a(&[15, name]), Some(0)),
        "prctl(PR_SET_NAME, \"probe\")             = 0\n"
    );
    assert_eq!(
        fmt(&m, nr::UMASK, a(&[0o22]), Some(0o22)),
        "umask(022)                              = 022\n"
    );
    let d = m.cstr("/nonexistent/x");
    assert_eq!(
        fmt(&m, nr::MKDIR, a(&[d, 0o1755]), Some(-2)),
        "mkdir(\"/nonexistent/x\", 01755)          = -1 ENOENT (No such file or directory)\n"
    );
    assert_eq!(
        fmt(&m, nr::KILL, a(&[999_999, 34]), Some(-3)),
        "kill(999999, SIGRT_2)                   = -1 ESRCH (No such process)\n"
    );
    assert_eq!(
        fmt(&m, nr::KILL, a(&[999_999, 65]), Some(-3)),
        "kill(999999, 65)                        = -1 ESRCH (No such process)\n"
    );
}

#[test]
fn signal_lines() {
    let mut m = Mem::new();
    let act = m.u64s(&[0, 0x1400_0000, 0x7f2b_07e5_4050, 0]);
    let old = m.u64s(&[0, 0, 0, 0]);
    assert_eq!(
        fmt(&m, nr::RT_SIGACTION, a(&[17, act, old, 8]), Some(0)),
        "rt_sigaction(SIGCHLD, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f2b07e54050}, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0\n"
    );
    let set = m.u64s(&[(1 << 1) | (1 << 14) | (1 << 16)]);
    let oldset = m.u64s(&[1 << 16]);
    assert_eq!(
        fmt(&m, nr::RT_SIGPROCMASK, a(&[0, set, oldset, 8]), Some(0)),
        "rt_sigprocmask(SIG_BLOCK, [INT TERM CHLD], [CHLD], 8) = 0\n"
    );
    let set = m.u64s(&[(1 << 31) | (1 << 32) | (1 << 33) | (1 << 63) | (1 << 1)]);
    assert_eq!(
        fmt(&m, nr::RT_SIGPROCMASK, a(&[0, set, 0, 8]), Some(0)),
        "rt_sigprocmask(SIG_BLOCK, [INT RTMIN RT_1 RT_2 RT_32], NULL, 8) = 0\n"
    );
    let set = m.u64s(&[!((1 << 8) | (1 << 9))]);
    assert_eq!(
        fmt(&m, nr::RT_SIGPROCMASK, a(&[0, set, 0, 8]), Some(0)),
        "rt_sigprocmask(SIG_BLOCK, ~[KILL USR1], NULL, 8) = 0\n"
    );
    let full = m.u64s(&[u64::MAX]);
    let empty = m.u64s(&[0]);
    assert_eq!(
        fmt(&m, nr::RT_SIGPROCMASK, a(&[0, full, empty, 8]), Some(0)),
        "rt_sigprocmask(SIG_BLOCK, ~[], [], 8)   = 0\n"
    );
}

#[test]
fn net_lines() {
    let mut m = Mem::new();
    assert_eq!(
        fmt(&m, nr::SOCKET, a(&[1, 0o2000001, 0]), Some(3)),
        "socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3\n"
    );
    assert_eq!(
        fmt(&m, nr::SOCKET, a(&[2, 2, 17]), Some(4)),
        "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = 4\n"
    );
    assert_eq!(
        fmt(&m, nr::SOCKET, a(&[10, 1, 0]), Some(5)),
        "socket(AF_INET6, SOCK_STREAM, IPPROTO_IP) = 5\n"
    );
    let mut un = vec![0u8; 110];
    un[0] = 1;
    un[2..23].copy_from_slice(b"/run/nonexistent.sock");
    let un = m.put(&un);
    assert_eq!(
        fmt(&m, nr::CONNECT, a(&[3, un, 110]), Some(-2)),
        "connect(3, {sa_family=AF_UNIX, sun_path=\"/run/nonexistent.sock\"}, 110) = -1 ENOENT (No such file or directory)\n"
    );
    let sin = m.put(&[2, 0, 0, 53, 127, 0, 0, 53, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        fmt(&m, nr::CONNECT, a(&[4, sin, 16]), Some(0)),
        "connect(4, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr(\"127.0.0.53\")}, 16) = 0\n"
    );
    let mut s6 = vec![10u8, 0, 1, 0xbb, 0, 0, 0, 0];
    s6.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    s6.extend_from_slice(&[0, 0, 0, 0]);
    let s6a = m.put(&s6);
    assert_eq!(
        fmt(&m, nr::CONNECT, a(&[5, s6a, 28]), Some(-113)),
        "connect(5, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"2001:db8::1\", &sin6_addr), sin6_scope_id=0}, 28) = -1 EHOSTUNREACH (No route to host)\n"
    );
    s6[8..24].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
    let s6b = m.put(&s6);
    assert_eq!(
        fmt(&m, nr::CONNECT, a(&[5, s6b, 28]), Some(0)),
        "connect(5, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::ffff:1.2.3.4\", &sin6_addr), sin6_scope_id=0}, 28) = 0\n"
    );
    let one = m.u32s(&[1]);
    assert_eq!(
        fmt(&m, nr::SETSOCKOPT, a(&[4, 1, 2, one, 4]), Some(0)),
        "setsockopt(4, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
    );
    let len = m.u32s(&[16]);
    assert_eq!(
        fmt(
            &m,
            nr::GETPEERNAME,
            a(&[0, 0x7ffe_3d78_18d0, len]),
            Some(-88)
        ),
        "getpeername(0, 0x7ffe3d7818d0, [16])    = -1 ENOTSOCK (Socket operation on non-socket)\n"
    );
    let pair = m.u32s(&[9, 11]);
    assert_eq!(
        fmt(&m, nr::SOCKETPAIR, a(&[1, 2, 0, pair]), Some(0)),
        "socketpair(AF_UNIX, SOCK_DGRAM, 0, [9, 11]) = 0\n"
    );
}

#[test]
fn io_lines() {
    let mut m = Mem::new();
    let pfd = m.put(&[6, 0, 0, 0, 1, 0, 1, 0, 7, 0, 0, 0, 4, 0, 4, 0]);
    assert_eq!(
        fmt(&m, nr::POLL, a(&[pfd, 2, 0]), Some(2)),
        "poll([{fd=6, events=POLLIN}, {fd=7, events=POLLOUT}], 2, 0) = 2 ([{fd=6, revents=POLLIN}, {fd=7, revents=POLLOUT}])\n"
    );
    assert_eq!(
        fmt(&m, nr::EPOLL_CREATE1, a(&[0o2000000]), Some(8)),
        "epoll_create1(EPOLL_CLOEXEC)            = 8\n"
    );
    let ev = m.put(&[1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        fmt(&m, nr::EPOLL_CTL, a(&[8, 1, 6, ev]), Some(0)),
        "epoll_ctl(8, EPOLL_CTL_ADD, 6, {events=EPOLLIN, data={u32=3, u64=3}}) = 0\n"
    );
    assert_eq!(
        fmt(&m, nr::EPOLL_WAIT, a(&[8, ev, 4, 0]), Some(1)),
        "epoll_wait(8, [{events=EPOLLIN, data={u32=3, u64=3}}], 4, 0) = 1\n"
    );
    let ts = m.u64s(&[0, 1000]);
    assert_eq!(
        fmt(&m, nr::CLOCK_NANOSLEEP, a(&[0, 0, ts, 0]), Some(0)),
        "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0\n"
    );
    assert_eq!(
        fmt(&m, nr::FCNTL, a(&[6, 3]), Some(0)),
        "fcntl(6, F_GETFL)                       = 0 (flags O_RDONLY)\n"
    );
    assert_eq!(
        fmt(&m, nr::FCNTL, a(&[6, 2, 1]), Some(0)),
        "fcntl(6, F_SETFD, FD_CLOEXEC)           = 0\n"
    );
    assert_eq!(
        fmt(&m, nr::FCNTL, a(&[6, 1]), Some(1)),
        "fcntl(6, F_GETFD)                       = 0x1 (flags FD_CLOEXEC)\n"
    );
    assert_eq!(
        fmt(&m, nr::FCNTL, a(&[0, 1]), Some(0)),
        "fcntl(0, F_GETFD)                       = 0\n"
    );
    let ab = m.cstr("ab");
    let cde = m.cstr("cde\n");
    let iov = m.u64s(&[ab, 2, cde, 4]);
    assert_eq!(
        fmt(&m, nr::WRITEV, a(&[1, iov, 2]), Some(6)),
        "writev(1, [{iov_base=\"ab\", iov_len=2}, {iov_base=\"cde\\n\", iov_len=4}], 2) = 6\n"
    );
    let x = m.put(b"x....");
    let riov = m.u64s(&[x, 5]);
    assert_eq!(
        fmt(&m, nr::READV, a(&[6, riov, 1]), Some(1)),
        "readv(6, [{iov_base=\"x\", iov_len=5}], 1) = 1\n"
    );
    assert_eq!(
        fmt(&m, nr::LSEEK, a(&[0, 0, 1]), Some(0)),
        "lseek(0, 0, SEEK_CUR)                   = 0\n"
    );
    assert_eq!(
        fmt(&m, nr::DUP2, a(&[6, 10]), Some(10)),
        "dup2(6, 10)                             = 10\n"
    );
    assert_eq!(
        fmt(&m, nr::MADVISE, a(&[0, 0, 4]), Some(0)),
        "madvise(NULL, 0, MADV_DONTNEED)         = 0\n"
    );
    let ws = m.put(&[24, 0, 80, 0, 0, 0, 0, 0]);
    assert_eq!(
        fmt(&m, nr::IOCTL, a(&[1, 0x5413, ws]), Some(0)),
        "ioctl(1, TIOCGWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}) = 0\n"
    );
    assert_eq!(
        fmt(&m, nr::IOCTL, a(&[2, 0x8004_1234, 0]), Some(-25)),
        "ioctl(2, _IOC(_IOC_READ, 0x12, 0x34, 0x4), NULL) = -1 ENOTTY (Inappropriate ioctl for device)\n"
    );
    // getdents64: three records of 24 bytes.
    let mut d = vec![0u8; 72];
    for i in 0..3 {
        d[24 * i + 16] = 24;
    }
    let d = m.put(&d);
    assert_eq!(
        fmt(&m, nr::GETDENTS64, a(&[3, d, 32768]), Some(72)),
        padded(
            &format!("getdents64(3, {:#x} /* 3 entries */, 32768)", d),
            "72"
        )
    );
    // Records past several 4 KiB chunks (read a chunk at a time) and a reclen straddling a
    // chunk's end; then a buffer whose tail is not readable: counted up to where it stops.
    let lens: Vec<u16> = (0..700).map(|i| 24 + 8 * (i % 5) as u16).collect();
    let total: usize = lens.iter().map(|&l| usize::from(l)).sum();
    let mut d = vec![0u8; total];
    let mut off = 0;
    for &l in &lens {
        d[off + 16..off + 18].copy_from_slice(&l.to_le_bytes());
        off += usize::from(l);
    }
    let d = m.put(&d);
    assert_eq!(
        fmt(&m, nr::GETDENTS64, a(&[3, d, 32768]), Some(total as i64)),
        padded(
            &format!("getdents64(3, {:#x} /* 700 entries */, 32768)", d),
            &total.to_string()
        )
    );
    let mut short = Mem::new();
    let mut e = vec![0u8; 24 * 300];
    for i in 0..300 {
        e[24 * i + 16] = 24;
    }
    let e = short.put(&e);
    // The kernel said 400 records' worth; only 300 are in readable memory.
    assert_eq!(
        fmt(&short, nr::GETDENTS64, a(&[3, e, 32768]), Some(24 * 400)),
        padded(
            &format!("getdents64(3, {:#x} /* 300 entries */, 32768)", e),
            "9600"
        )
    );
    let cwd = m.cstr("/tmp");
    assert_eq!(
        fmt(&m, nr::GETCWD, a(&[cwd, 4096]), Some(5)),
        "getcwd(\"/tmp\", 4096)                    = 5\n"
    );
    let ts2 = m.u64s(&[1_700_000_000, 5]);
    assert_eq!(
        fmt(&m, nr::CLOCK_GETTIME, a(&[1, ts2]), Some(0)),
        "clock_gettime(CLOCK_MONOTONIC, {tv_sec=1700000000, tv_nsec=5}) = 0\n"
    );
}

#[test]
fn unknown_and_exit_lines() {
    let m = Mem::new();
    assert_eq!(
        fmt(&m, 0x1ff, [1, 2, 3, 0, 0, 0x7f5c_2209_0a62_0161], Some(-38)),
        "syscall_0x1ff(0x1, 0x2, 0x3, 0, 0, 0x7f5c22090a620161) = -1 ENOSYS (Function not implemented)\n"
    );
    assert_eq!(
        fmt(&m, 100_000, [0; 6], Some(-38)),
        padded(
            "syscall_0x186a0(0, 0, 0, 0, 0, 0)",
            "-1 ENOSYS (Function not implemented)"
        )
    );
    assert_eq!(
        fmt(&m, nr::EXIT, a(&[3]), None),
        "exit(3)                                 = ?\n"
    );
    assert_eq!(fmt(&m, nr::READ, a(&[0, 0, 1]), Some(-512)), "read(0, NULL, 1)                        = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n");
    let mut b = [0u8; 128];
    let mut o = Out::new(&mut b);
    format_exited(&mut o, 0);
    format_killed(&mut o, 11, true);
    format_killed(&mut o, 9, false);
    assert_eq!(o.as_bytes(), b"+++ exited with 0 +++\n+++ killed by SIGSEGV (core dumped) +++\n+++ killed by SIGKILL +++\n");
}

#[test]
fn prefix_column_and_truncation() {
    let m = Mem::new();
    let mut buf = [0u8; 256];
    let mut out = Out::new(&mut buf);
    out.push_str("2745  ");
    format_syscall(
        &mut out,
        &m,
        &TraceOpts::default(),
        u64::from(nr::BRK),
        &a(&[0]),
        Some(0x55a6_1d34_d000),
    );
    assert_eq!(
        out.as_bytes(),
        b"2745  brk(NULL)                         = 0x55a61d34d000\n"
    );
    // A tiny buffer still ends in a newline.
    let mut small = [0u8; 16];
    let mut out = Out::new(&mut small);
    format_syscall(
        &mut out,
        &m,
        &TraceOpts::default(),
        u64::from(nr::BRK),
        &a(&[0]),
        Some(0x55a6_1d34_d000),
    );
    assert!(out.truncated());
    assert_eq!(out.as_bytes(), b"brk(NULL)      \n");
}

/// Every syscall number, with hostile arguments and random memory contents, must
/// format without panicking and end in a newline.
#[test]
fn no_panics_on_any_input() {
    let mut m = Mem::new();
    let junk: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let j = m.put(&junk);
    let vals = [
        0u64,
        1,
        u64::MAX,
        j,
        j + 8000,
        0xffff_ffff,
        0x8000_0000_0000_0000,
        4096,
        j + 1,
    ];
    for opts in [
        TraceOpts::default(),
        TraceOpts {
            strsize: 0,
            xflag: 2,
            verbose: true,
            decode_fds: 2,
            column: 39,
            decode_pids: true,
        },
        TraceOpts {
            strsize: 100_000,
            xflag: 1,
            verbose: false,
            decode_fds: 0,
            column: 39,
            decode_pids: false,
        },
    ] {
        for n in 0..520u64 {
            for (k, &v) in vals.iter().enumerate() {
                let args = [
                    v,
                    vals[(k + 1) % vals.len()],
                    v,
                    vals[(k + 3) % vals.len()],
                    v,
                    v,
                ];
                for ret in [
                    None,
                    Some(0),
                    Some(-14),
                    Some(5),
                    Some(i64::MAX),
                    Some(-4095),
                    Some(-5000),
                ] {
                    let mut buf = [0u8; 512];
                    let mut out = Out::new(&mut buf);
                    format_syscall(&mut out, &m, &opts, n, &args, ret);
                    assert_eq!(out.as_bytes().last(), Some(&b'\n'), "nr {}", n);
                }
            }
        }
    }
}

/// Fake memory that also answers `-y` questions: descriptor 3 is `/etc/hostname`.
struct FdMem(Mem);
impl GuestMem for FdMem {
    fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
        self.0.read(addr, buf)
    }
    fn fd_path(&self, fd: i32, _detail: bool, buf: &mut [u8]) -> Option<usize> {
        let p: &[u8] = match fd {
            3 => b"/etc/hostname",
            1 => b"pipe:[42]",
            _ => return None,
        };
        buf.get_mut(..p.len())?.copy_from_slice(p);
        Some(p.len())
    }
    fn pid_comm(&self, pid: i32, buf: &mut [u8]) -> Option<usize> {
        let p: &[u8] = match pid {
            42 => b"cat",
            _ => return None,
        };
        buf.get_mut(..p.len())?.copy_from_slice(p);
        Some(p.len())
    }
}

fn fmt_info(
    mem: &dyn GuestMem,
    opts: &TraceOpts,
    n: u32,
    args: [u64; 6],
    ret: Option<i64>,
    info: CallInfo<'_>,
) -> String {
    let mut buf = [0u8; 4096];
    let mut out = Out::new(&mut buf);
    format_call(&mut out, mem, opts, u64::from(n), &args, ret, info);
    String::from_utf8(out.as_bytes().to_vec()).unwrap()
}

#[test]
fn descriptors_with_paths() {
    let mut m = Mem::new();
    let p = m.cstr("/etc/hostname");
    let m = FdMem(m);
    let y = TraceOpts {
        decode_fds: 1,
        ..TraceOpts::default()
    };
    let none = CallInfo::default();
    assert_eq!(
        fmt_info(&m, &y, nr::OPENAT, a(&[AT_FDCWD, p, 0]), Some(3), none),
        "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3</etc/hostname>\n"
    );
    assert_eq!(
        fmt_info(&m, &y, nr::CLOSE, a(&[7]), Some(0), none),
        padded("close(7)", "0")
    );
    // close: the path as it was on entry.
    let info = CallInfo {
        entry_fd: Some((0, b"/tmp/x")),
        ..CallInfo::default()
    };
    assert_eq!(
        fmt_info(&m, &y, nr::CLOSE, a(&[3]), Some(0), info),
        padded("close(3</tmp/x>)", "0")
    );
    let info = CallInfo {
        entry_fd: Some((1, b"/dev/null")),
        ..CallInfo::default()
    };
    assert_eq!(
        fmt_info(&m, &y, nr::DUP2, a(&[3, 1]), Some(1), info),
        padded("dup2(3</etc/hostname>, 1</dev/null>)", "1<pipe:[42]>")
    );
    assert_eq!(
        fmt_info(
            &m,
            &y,
            nr::NEWFSTATAT,
            a(&[3, m.0.data.len() as u64 + BASE + 64, 0, 0x1000]),
            Some(-14),
            none
        ),
        format!(
            "newfstatat(3</etc/hostname>, {:#x}, {:#x}, AT_EMPTY_PATH) = -1 EFAULT (Bad address)\n",
            BASE + m.0.data.len() as u64 + 64,
            0
        )
        .replace(", 0x0, ", ", NULL, ")
    );
}

#[test]
fn value_result_lengths_and_offsets() {
    let mut m = Mem::new();
    let len = m.u32s(&[16]);
    let sa = m.put(&[2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    let info = CallInfo {
        entry_value: Some((2, 128)),
        ..CallInfo::default()
    };
    let o = TraceOpts::default();
    assert_eq!(
        fmt_info(&m, &o, nr::GETSOCKNAME, a(&[3, sa, len]), Some(0), info),
        "getsockname(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"127.0.0.1\")}, [128 => 16]) = 0\n"
    );
    assert_eq!(
        fmt_info(
            &m,
            &o,
            nr::GETPEERNAME,
            a(&[3, sa, len]),
            Some(-107),
            CallInfo {
                entry_value: Some((2, 16)),
                ..CallInfo::default()
            }
        ),
        format!(
            "{:<39} = -1 ENOTCONN (Transport endpoint is not connected)\n",
            format!("getpeername(3, {:#x}, [16])", sa)
        )
    );
    let off = m.u64s(&[77]);
    let info = CallInfo {
        entry_value: Some((2, 0)),
        ..CallInfo::default()
    };
    assert_eq!(
        fmt_info(
            &m,
            &o,
            nr::SENDFILE,
            a(&[4, 3, off, 8_388_608]),
            Some(77),
            info
        ),
        padded("sendfile(4, 3, [0] => [77], 8388608)", "77")
    );
    assert_eq!(
        fmt(&m, nr::SENDFILE, a(&[4, 3, 0, 10]), Some(0)),
        padded("sendfile(4, 3, NULL, 10)", "0")
    );
}

#[test]
fn signal_frames_stacks_cpus_and_times() {
    let mut m = Mem::new();
    // A ucontext whose uc_sigmask (offset 296) holds SIGCHLD.
    let mut uc = vec![0u8; 304];
    uc[296..304].copy_from_slice(&(1u64 << 16).to_le_bytes());
    let sp = m.put(&uc);
    let info = CallInfo {
        sp,
        ..CallInfo::default()
    };
    assert_eq!(
        fmt_info(
            &m,
            &TraceOpts::default(),
            nr::RT_SIGRETURN,
            a(&[]),
            Some(4242),
            info
        ),
        padded("rt_sigreturn({mask=[CHLD]})", "4242")
    );
    let st = m.u64s(&[0x7f00_0000_1000, 0, 65536]);
    assert_eq!(
        fmt(&m, nr::SIGALTSTACK, a(&[st, 0]), Some(0)),
        "sigaltstack({ss_sp=0x7f0000001000, ss_flags=0, ss_size=65536}, NULL) = 0\n"
    );
    let old = m.u64s(&[0, 2, 0]);
    assert_eq!(
        fmt(&m, nr::SIGALTSTACK, a(&[0, old]), Some(0)),
        "sigaltstack(NULL, {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}) = 0\n"
    );
    let cpus = m.put(&[0b1011, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        fmt(&m, nr::SCHED_GETAFFINITY, a(&[0, 128, cpus]), Some(8)),
        padded("sched_getaffinity(0, 128, [0 1 3])", "8")
    );
    let times = m.u64s(&[1_000_000_000, 0, 0, (1 << 30) - 2]);
    assert_eq!(
        fmt(&m, nr::UTIMENSAT, a(&[0, 0, times, 0]), Some(0)),
        "utimensat(0, NULL, [{tv_sec=1000000000, tv_nsec=0} /* 2001-09-09T01:46:40+0000 */, UTIME_OMIT], 0) = 0\n"
    );
    let times = m.u64s(&[951_782_400, 5, 0, (1 << 30) - 1]);
    assert_eq!(
        fmt(&m, nr::UTIMENSAT, a(&[0, 0, times, 0]), Some(0)),
        "utimensat(0, NULL, [{tv_sec=951782400, tv_nsec=5} /* 2000-02-29T00:00:00.000000005+0000 */, UTIME_NOW], 0) = 0\n"
    );
}

#[test]
fn modes_numeric_except_mknod() {
    let mut m = Mem::new();
    let p = m.cstr("/x");
    assert_eq!(
        fmt(&m, nr::CHMOD, a(&[p, 0o100744]), Some(0)),
        padded("chmod(\"/x\", 0100744)", "0")
    );
    assert_eq!(
        fmt(&m, nr::MKDIR, a(&[p, 0o755]), Some(0)),
        padded("mkdir(\"/x\", 0755)", "0")
    );
    assert_eq!(
        fmt(&m, nr::MKNOD, a(&[p, 0o20666, 0x103]), Some(0)),
        padded("mknod(\"/x\", S_IFCHR|0666, 0x103)", "0")
    );
    assert_eq!(
        fmt(&m, nr::IOCTL, a(&[4, 0x4004_9409, 3]), Some(-95)),
        "ioctl(4, BTRFS_IOC_CLONE or FICLONE, 3) = -1 EOPNOTSUPP (Operation not supported)\n"
    );
}

#[test]
fn pids_with_their_names() {
    let m = FdMem(Mem::new());
    let y = TraceOpts {
        decode_pids: true,
        ..TraceOpts::default()
    };
    let none = CallInfo::default();
    assert_eq!(
        fmt_info(&m, &y, nr::GETPID, a(&[]), Some(42), none),
        padded("getpid()", "42<cat>")
    );
    assert_eq!(
        fmt_info(&m, &y, nr::KILL, a(&[42, 15]), Some(0), none),
        padded("kill(42<cat>, SIGTERM)", "0")
    );
    // No such process, or not a positive id: the number alone; without -Y, always.
    assert_eq!(
        fmt_info(&m, &y, nr::TGKILL, a(&[43, 42, 0]), Some(0), none),
        padded("tgkill(43, 42<cat>, 0)", "0")
    );
    assert_eq!(
        fmt_info(
            &m,
            &y,
            nr::WAIT4,
            a(&[(-1i64) as u64, 0, 0, 0]),
            Some(42),
            none
        ),
        padded("wait4(-1, NULL, 0, NULL)", "42")
    );
    assert_eq!(
        fmt_info(
            &m,
            &TraceOpts::default(),
            nr::GETPID,
            a(&[]),
            Some(42),
            none
        ),
        padded("getpid()", "42")
    );
    let mut info = [0u8; 128];
    info[0] = 17; // SIGCHLD
    info[8] = 1; // CLD_EXITED
    info[16] = 42;
    let mut buf = [0u8; 512];
    let mut out = Out::new(&mut buf);
    crate::trace::format_signal(&mut out, &info, Some(&m));
    assert_eq!(
        core::str::from_utf8(out.as_bytes()).unwrap(),
        "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=42<cat>, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---\n"
    );
}
