//! Files: directory descriptors, `open` flags and modes, `AT_*` flags, `stat`,
//! `statx`, `statfs` and directory entries.

use super::flags::{flag_names, flags};
use super::{fmt_str, le_u16, le_u32, le_u64, CHex, Ctx};
use sysgate_abi::flags as f;
use sysgate_abi::x86_64::nr;
use sysgate_runtime as rt;

/// `AT_FDCWD` or the descriptor number.
pub(crate) fn dirfd(c: &mut Ctx, v: u64) {
    let fd = v as u32 as i32;
    if fd == f::AT_FDCWD {
        c.s("AT_FDCWD");
    } else {
        super::fd(c, fd, None);
    }
}

/// `getcwd`'s buffer: a path of the returned length.
pub(crate) fn out_path(c: &mut Ctx, v: u64) {
    if c.ok() {
        fmt_str::path(c, v);
    } else {
        c.ptr(v);
    }
}

/// `O_RDONLY|O_CLOEXEC`.
pub(crate) fn open_flags(c: &mut Ctx, v: u64) {
    let v = u64::from(v as u32);
    let acc = v & 3;
    if let Some(n) = f::name_of(f::O_ACCMODE, acc) {
        c.s(n);
    }
    let rest = v & !3;
    if rest != 0 {
        flag_names(c, f::OPEN, rest, false);
    }
}

/// `%#03o`: `0644`, `022`, `000`.
pub(crate) fn octal(c: &mut Ctx, v: u64) {
    perm_octal(c, v);
}

/// A `mode_t` argument: octal permissions, with the file type when one is set.
pub(crate) fn mode_arg(c: &mut Ctx, v: u64) {
    let v = u64::from(v as u32);
    if v & f::S_IFMT_MASK != 0 {
        mode_symbolic(c, v);
    } else {
        perm_octal(c, v);
    }
}

fn perm_octal(c: &mut Ctx, v: u64) {
    if v == 0 {
        c.s("000");
    } else {
        // `0{:02o}`: two digits at least (`010`, `0644`).
        c.s("0");
        c.out.push_octal(v, 2);
    }
}

/// `S_IFREG|0644`, `S_IFDIR|S_ISVTX|0777`.
pub(crate) fn mode_symbolic(c: &mut Ctx, m: u64) {
    let ty = m & f::S_IFMT_MASK;
    match f::name_of(f::S_IFMT, ty) {
        Some(n) => c.s(n),
        None => c.w(format_args!("{:#o}", ty)),
    }
    for &(bit, name) in f::S_ISXID {
        if m & bit != 0 {
            c.s("|");
            c.s(name);
        }
    }
    c.s("|");
    perm_octal(c, m & 0o777);
}

/// `F_OK` or `R_OK|W_OK|X_OK`.
pub(crate) fn access_mode(c: &mut Ctx, v: u64) {
    let v = u64::from(v as u32);
    if v == 0 {
        c.s("F_OK");
    } else {
        flag_names(c, f::ACCESS, v, true);
    }
}

/// `AT_*` flags; `statx` always shows its sync type first.
pub(crate) fn at_flags(c: &mut Ctx, v: u64) {
    let v = u64::from(v as u32);
    if c.nr == u64::from(nr::STATX) {
        let sync = v & f::AT_STATX_SYNC_TYPE;
        match f::name_of(f::AT_STATX_SYNC, sync) {
            Some(n) => c.s(n),
            None => c.w(format_args!("{:#x}", sync)),
        }
        let rest = v & !f::AT_STATX_SYNC_TYPE;
        if rest != 0 {
            flag_names(c, f::AT, rest, false);
        }
        return;
    }
    flags(c, f::AT, v);
}

/// `makedev(0x1, 0x3)` from a kernel `dev_t`.
fn makedev(c: &mut Ctx, dev: u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    c.w(format_args!("makedev({}, {})", CHex(major), CHex(minor)));
}

fn dev_pair(c: &mut Ctx, major: u32, minor: u32) {
    c.w(format_args!(
        "makedev({}, {})",
        CHex(u64::from(major)),
        CHex(u64::from(minor))
    ));
}

/// `struct stat` (x86-64 layout, 144 bytes):
/// `{st_mode=S_IFREG|0644, st_size=1234, ...}`.
pub(crate) fn stat(c: &mut Ctx, addr: u64) {
    let Some(b) = (if c.ok() { c.read::<144>(addr) } else { None }) else {
        c.ptr(addr);
        return;
    };
    let mode = u64::from(le_u32(&b, 24));
    let ty = mode & f::S_IFMT_MASK;
    let is_dev = ty == 0o20000 || ty == 0o60000;
    if c.opts.verbose {
        c.s("{st_dev=");
        makedev(c, le_u64(&b, 0));
        c.w(format_args!(", st_ino={}, st_mode=", le_u64(&b, 8)));
        mode_symbolic(c, mode);
        c.w(format_args!(
            ", st_nlink={}, st_uid={}, st_gid={}, st_blksize={}, st_blocks={}, ",
            le_u64(&b, 16),
            le_u32(&b, 28),
            le_u32(&b, 32),
            le_u64(&b, 56) as i64,
            le_u64(&b, 64) as i64
        ));
        if is_dev {
            c.s("st_rdev=");
            makedev(c, le_u64(&b, 40));
        } else {
            c.w(format_args!("st_size={}", le_u64(&b, 48) as i64));
        }
        for (name, off) in [("st_atime", 72), ("st_mtime", 88), ("st_ctime", 104)] {
            let (sec, ns) = (le_u64(&b, off) as i64, le_u64(&b, off + 8));
            // strace comments each time with its date (in its local zone; UTC here).
            c.w(format_args!(", {}={} /* ", name, sec));
            super::time::iso_time(c, sec, ns as i64);
            c.w(format_args!(" */, {}_nsec={}", name, ns));
        }
        c.s("}");
        return;
    }
    c.s("{st_mode=");
    mode_symbolic(c, mode);
    if is_dev {
        c.s(", st_rdev=");
        makedev(c, le_u64(&b, 40));
    } else {
        c.s(", st_size=");
        c.out.push_int(le_u64(&b, 48) as i64);
    }
    c.s(", ...}");
}

/// `struct statx`: `{stx_mask=..., stx_attributes=..., stx_mode=S_IFDIR|0755, stx_size=4096, ...}`.
pub(crate) fn statx(c: &mut Ctx, addr: u64) {
    let Some(b) = (if c.ok() { c.read::<144>(addr) } else { None }) else {
        c.ptr(addr);
        return;
    };
    c.s("{stx_mask=");
    flags(c, f::STATX_MASK, u64::from(le_u32(&b, 0)));
    c.s(", stx_attributes=");
    flags(c, f::STATX_ATTR, le_u64(&b, 8));
    c.s(", stx_mode=");
    mode_symbolic(c, u64::from(le_u16(&b, 28)));
    let ty = u64::from(le_u16(&b, 28)) & f::S_IFMT_MASK;
    if c.opts.verbose {
        c.w(format_args!(
            ", stx_blksize={}, stx_nlink={}, stx_uid={}, stx_gid={}, stx_ino={}, stx_size={}, stx_blocks={}",
            le_u32(&b, 4),
            le_u32(&b, 16),
            le_u32(&b, 20),
            le_u32(&b, 24),
            le_u64(&b, 32),
            le_u64(&b, 40),
            le_u64(&b, 48)
        ));
        c.s(", stx_rdev=");
        dev_pair(c, le_u32(&b, 128), le_u32(&b, 132));
        c.s(", stx_dev=");
        dev_pair(c, le_u32(&b, 136), le_u32(&b, 140));
        c.s("}");
        return;
    }
    // Unlike `stat`, strace's short `statx` shows the size of devices too, never the rdev.
    let _ = ty;
    c.w(format_args!(", stx_size={}", le_u64(&b, 40)));
    c.s(", ...}");
}

/// Known filesystem magic numbers.
const FS_MAGIC: sysgate_abi::flags::Table = &[
    (0xef53, "EXT2_SUPER_MAGIC"),
    (0x0102_1994, "TMPFS_MAGIC"),
    (0x9fa0, "PROC_SUPER_MAGIC"),
    (0x6265_6572, "SYSFS_MAGIC"),
    (0x794c_7630, "OVERLAYFS_SUPER_MAGIC"),
    (0x9123_683e, "BTRFS_SUPER_MAGIC"),
    (0x5846_5342, "XFS_SUPER_MAGIC"),
    (0x6367_7270, "CGROUP2_SUPER_MAGIC"),
    (0x0027_e0eb, "CGROUP_SUPER_MAGIC"),
    (0x1cd1, "DEVPTS_SUPER_MAGIC"),
    (0x6969, "NFS_SUPER_MAGIC"),
    (0x6573_5546, "FUSE_SUPER_MAGIC"),
    (0x0102_1997, "V9FS_MAGIC"),
    (0x7363_6673, "SECURITYFS_MAGIC"),
    (0xf97c_ff8c, "SELINUX_MAGIC"),
    (0x6462_6720, "DEBUGFS_MAGIC"),
    (0x7472_6163, "TRACEFS_MAGIC"),
    (0x9584_58f6, "HUGETLBFS_MAGIC"),
    (0x4d44, "MSDOS_SUPER_MAGIC"),
    (0x2011_bab0, "EXFAT_SUPER_MAGIC"),
    (0x5346_544e, "NTFS_SB_MAGIC"),
    (0x7371_7368, "SQUASHFS_MAGIC"),
    (0x2846_2346, "CRAMFS_MAGIC"),
    (0x0000_9660, "ISOFS_SUPER_MAGIC"),
    (0x6165_676c, "PSTOREFS_MAGIC"),
    (0xcafe_4a11, "BPF_FS_MAGIC"),
    (0x1980_0202, "MQUEUE_MAGIC"),
    (0x4249_4e4d, "BINFMTFS_MAGIC"),
    (0x0187, "AUTOFS_SUPER_MAGIC"),
    (0x5a3c_69f0, "ZONEFS_MAGIC"),
];

/// `statfs` flags.
const ST_FLAGS: sysgate_abi::flags::Table = &[
    (1, "ST_RDONLY"),
    (2, "ST_NOSUID"),
    (4, "ST_NODEV"),
    (8, "ST_NOEXEC"),
    (16, "ST_SYNCHRONOUS"),
    (32, "ST_VALID"),
    (64, "ST_MANDLOCK"),
    (1024, "ST_NOATIME"),
    (2048, "ST_NODIRATIME"),
    (4096, "ST_RELATIME"),
    (8192, "ST_NOSYMFOLLOW"),
];

/// `struct statfs` (x86-64, 120 bytes).
pub(crate) fn statfs(c: &mut Ctx, addr: u64) {
    let Some(b) = (if c.ok() { c.read::<120>(addr) } else { None }) else {
        c.ptr(addr);
        return;
    };
    c.s("{f_type=");
    super::flags::enum_hex(c, FS_MAGIC, le_u64(&b, 0));
    c.w(format_args!(
        ", f_bsize={}, f_blocks={}, f_bfree={}, f_bavail={}, f_files={}, f_ffree={}, f_fsid={{val=[{}, {}]}}, f_namelen={}, f_frsize={}, f_flags=",
        le_u64(&b, 8) as i64,
        le_u64(&b, 16),
        le_u64(&b, 24),
        le_u64(&b, 32),
        le_u64(&b, 40),
        le_u64(&b, 48),
        CHex(u64::from(le_u32(&b, 56))),
        CHex(u64::from(le_u32(&b, 60))),
        le_u64(&b, 64) as i64,
        le_u64(&b, 72) as i64
    ));
    flags(c, ST_FLAGS, le_u64(&b, 80));
    c.s("}");
}

/// `getdents64`: `0x55a6... /* 28 entries */` (counted by walking `d_reclen`).
pub(crate) fn dirents(c: &mut Ctx, addr: u64) {
    c.ptr(addr);
    let Some(total) = c.ok_ret() else { return };
    let total = total as u64;
    let mut off = 0u64;
    let mut count = 0u64;
    // The records are read a window at a time (one guarded copy per 4 KiB, not one per
    // record); where a window cannot be read whole, record by record, so the count stops where
    // it did.
    let mem = c.mem;
    let mut records = rt::memory::guest::Window::with_reader(addr, total, |a, b| mem.read(a, b));
    // Each record is at least 19 bytes; the bound keeps a hostile buffer finite.
    while off < total && count < 1 << 20 {
        let Some(hdr) = records.get(off + 16, 2) else {
            break;
        }; // d_reclen
        let reclen = u64::from(u16::from_le_bytes([hdr[0], hdr[1]]));
        if reclen == 0 {
            break;
        }
        count += 1;
        off += reclen;
    }
    c.s(" /* ");
    c.out.push_int(count);
    c.s(" entries */");
}
