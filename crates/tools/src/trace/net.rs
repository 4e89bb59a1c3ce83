//! Sockets: addresses (`AF_UNIX`, `AF_INET`, `AF_INET6`, `AF_NETLINK`), socket
//! types and protocols, `struct msghdr`, socket options.

use super::flags::{enum_int, flag_names, flags};
use super::{fmt_str, io, le_u16, le_u32, le_u64, Ctx};
use sysgate_abi::flags as f;

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const AF_NETLINK: u16 = 16;
/// Largest address decoded (`sizeof(struct sockaddr_storage)`).
const SOCKADDR_MAX: usize = 128;

/// A `socklen_t *`: `[16]`.
/// strace shows the length on entry and, when the kernel changed it, the new one:
/// `[128 => 16]`; a failed call shows the length on entry.
pub(crate) fn socklen(c: &mut Ctx, addr: u64, index: usize) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    let before = match c.info.entry_value {
        Some((i, v)) if usize::from(i) == index => Some(v as u32),
        _ => None,
    };
    let after = if c.ok() { c.read_u32(addr) } else { None };
    match (before, after) {
        (Some(b), Some(a)) if a != b => c.w(format_args!("[{} => {}]", b, a)),
        (_, Some(v)) | (Some(v), None) => c.w(format_args!("[{}]", v)),
        (None, None) => match c.read_u32(addr) {
            Some(v) => c.w(format_args!("[{}]", v)),
            None => c.ptr(addr),
        },
    }
}

/// `127.0.0.1:8080` / `[::1]:8080` of a `sockaddr_in`/`sockaddr_in6`.
pub(crate) fn endpoint(c: &mut Ctx, sa: &[u8]) {
    let family = le_u16(sa, 0);
    let port = u16::from_be_bytes([
        sa.get(2).copied().unwrap_or(0),
        sa.get(3).copied().unwrap_or(0),
    ]);
    if family == AF_INET6 {
        c.s("[");
        ipv6(c, sa.get(8..24).unwrap_or(&[]));
        c.w(format_args!("]:{}", port));
    } else {
        ipv4(c, sa.get(4..8).unwrap_or(&[]));
        c.w(format_args!(":{}", port));
    }
}

/// An address the program passes in, `len` bytes long.
pub(crate) fn sockaddr(c: &mut Ctx, addr: u64, len: u64, _out: bool) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    let n = usize::try_from(len)
        .unwrap_or(SOCKADDR_MAX)
        .min(SOCKADDR_MAX);
    let mut b = [0u8; SOCKADDR_MAX];
    let Some(dst) = b.get_mut(..n) else { return };
    if n < 2 || !c.mem.read(addr, dst) {
        c.ptr(addr);
        return;
    }
    let bytes = b.get(..n).unwrap_or(&[]);
    print_sockaddr(c, bytes);
}

/// An address the kernel filled in; `lenp` points at its length.
pub(crate) fn sockaddr_out(c: &mut Ctx, addr: u64, lenp: u64) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    if !c.ok() {
        c.ptr(addr);
        return;
    }
    match c.read_u32(lenp) {
        Some(len) => sockaddr(c, addr, u64::from(len), true),
        None => c.ptr(addr),
    }
}

fn print_sockaddr(c: &mut Ctx, b: &[u8]) {
    let family = u16::from_le_bytes([
        b.first().copied().unwrap_or(0),
        b.get(1).copied().unwrap_or(0),
    ]);
    c.s("{sa_family=");
    enum_int(c, f::AF, u64::from(family));
    let rest = b.get(2..).unwrap_or(&[]);
    match family {
        AF_UNIX => {
            if rest.is_empty() {
                c.s("}");
                return;
            }
            c.s(", sun_path=");
            if rest.first() == Some(&0) {
                c.s("@");
                fmt_str::quote_slice(c, rest.get(1..).unwrap_or(&[]));
            } else {
                let end = rest.iter().position(|&x| x == 0).unwrap_or(rest.len());
                fmt_str::quote_slice(c, rest.get(..end).unwrap_or(&[]));
            }
        }
        AF_INET if b.len() >= 8 => {
            let port = u16::from_be_bytes([
                b.get(2).copied().unwrap_or(0),
                b.get(3).copied().unwrap_or(0),
            ]);
            c.w(format_args!(
                ", sin_port=htons({}), sin_addr=inet_addr(\"",
                port
            ));
            ipv4(c, b.get(4..8).unwrap_or(&[0; 4]));
            c.s("\")");
        }
        AF_INET6 if b.len() >= 24 => {
            let port = u16::from_be_bytes([
                b.get(2).copied().unwrap_or(0),
                b.get(3).copied().unwrap_or(0),
            ]);
            let flow = u32::from_be_bytes(to4(b.get(4..8)));
            c.w(format_args!(
                ", sin6_port=htons({}), sin6_flowinfo=htonl({}), inet_pton(AF_INET6, \"",
                port, flow
            ));
            ipv6(c, b.get(8..24).unwrap_or(&[0; 16]));
            c.s("\", &sin6_addr)");
            if b.len() >= 28 {
                c.w(format_args!(", sin6_scope_id={}", le_u32(b, 24)));
            }
        }
        AF_NETLINK if b.len() >= 12 => {
            c.w(format_args!(
                ", nl_pid={}, nl_groups={:08x}",
                le_u32(b, 4) as i32,
                le_u32(b, 8)
            ));
        }
        _ => {
            if !rest.is_empty() {
                c.s(", sa_data=");
                fmt_str::quote_slice(c, rest);
            }
        }
    }
    c.s("}");
}

fn to4(s: Option<&[u8]>) -> [u8; 4] {
    match s {
        Some(&[a, b, c, d]) => [a, b, c, d],
        _ => [0; 4],
    }
}

fn ipv4(c: &mut Ctx, a: &[u8]) {
    let q = to4(a.get(..4));
    c.w(format_args!("{}.{}.{}.{}", q[0], q[1], q[2], q[3]));
}

/// IPv6 text form as `inet_ntop` writes it (longest zero run as `::`, embedded IPv4
/// for mapped and compatible addresses).
pub(crate) fn ipv6(c: &mut Ctx, a: &[u8]) {
    let mut w = [0u16; 8];
    for (i, x) in w.iter_mut().enumerate() {
        *x = u16::from_be_bytes([
            a.get(2 * i).copied().unwrap_or(0),
            a.get(2 * i + 1).copied().unwrap_or(0),
        ]);
    }
    // Longest run of zero words (length >= 2).
    let (mut best, mut best_len) = (usize::MAX, 0usize);
    let mut i = 0;
    while i < 8 {
        if w[i] == 0 {
            let start = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best = usize::MAX;
    }
    let mut i = 0;
    while i < 8 {
        if i == best {
            c.s(if i == 0 { "::" } else { ":" });
            i += best_len;
            continue;
        }
        if i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            ipv4(c, a.get(12..16).unwrap_or(&[0; 4]));
            return;
        }
        c.w(format_args!("{:x}", w[i]));
        if i < 7 {
            c.s(":");
        }
        i += 1;
    }
}

/// `SOCK_STREAM|SOCK_CLOEXEC`.
pub(crate) fn sock_type(c: &mut Ctx, v: u64) {
    let v = u64::from(v as u32);
    let ty = v & 0xf;
    match f::name_of(f::SOCK_TYPE, ty) {
        Some(n) => c.s(n),
        None => c.w(format_args!("{:#x}", ty)),
    }
    let rest = v & !0xf;
    if rest != 0 {
        flag_names(c, f::SOCK_FLAGS, rest, false);
    }
}

/// The protocol, named for the socket's domain (argument 0).
pub(crate) fn sock_proto(c: &mut Ctx, v: u64) {
    match c.arg(0) as u32 as u16 {
        AF_INET | AF_INET6 => enum_int(c, f::IPPROTO, v),
        AF_NETLINK => enum_int(c, f::NETLINK, v),
        _ => c.int(v as u32 as i32),
    }
}

/// `struct msghdr`: name, iovecs (the received length for `recvmsg`), control, flags.
pub(crate) fn msghdr(c: &mut Ctx, addr: u64, out: bool) {
    let Some(b) = c.struct_at::<56>(addr, out) else {
        return;
    };
    let name = le_u64(&b, 0);
    let namelen = le_u32(&b, 8);
    let iov = le_u64(&b, 16);
    let iovlen = le_u64(&b, 24);
    let control = le_u64(&b, 32);
    let controllen = le_u64(&b, 40);
    let mflags = le_u32(&b, 48);
    c.s("{msg_name=");
    sockaddr(c, name, u64::from(namelen), out);
    c.w(format_args!(", msg_namelen={}, msg_iov=", namelen));
    let limit = if out {
        c.ok_ret().map(|r| r as u64)
    } else {
        None
    };
    io::iovec(c, iov, iovlen, limit);
    c.w(format_args!(", msg_iovlen={}", iovlen));
    if controllen != 0 {
        c.s(", msg_control=");
        cmsgs(c, control, controllen);
    }
    c.w(format_args!(", msg_controllen={}, msg_flags=", controllen));
    flags(c, f::MSG, u64::from(mflags));
    c.s("}");
}

/// Control messages: `[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[3]}]`.
fn cmsgs(c: &mut Ctx, addr: u64, len: u64) {
    if c.read::<16>(addr).is_none() {
        c.ptr(addr);
        return;
    }
    c.s("[");
    let mut off = 0u64;
    let mut first = true;
    let mut seen = 0u32;
    while off.saturating_add(16) <= len && seen < 64 {
        seen += 1;
        let Some(h) = c.read::<16>(addr.wrapping_add(off)) else {
            break;
        };
        let clen = le_u64(&h, 0);
        let level = le_u32(&h, 8);
        let ty = le_u32(&h, 12);
        if !first {
            c.s(", ");
        }
        first = false;
        c.w(format_args!("{{cmsg_len={}, cmsg_level=", clen));
        enum_int(c, f::SOL, u64::from(level));
        c.s(", cmsg_type=");
        let data = addr.wrapping_add(off.saturating_add(16));
        let dlen = clen.saturating_sub(16).min(len - off - 16);
        match (level, ty) {
            (1, 1) => {
                c.s("SCM_RIGHTS, cmsg_data=[");
                let n = dlen / 4;
                for i in 0..n.min(64) {
                    if i > 0 {
                        c.s(", ");
                    }
                    match c.read_u32(data.wrapping_add(4 * i)) {
                        Some(fd) => c.int(fd as i32),
                        None => c.s("?"),
                    }
                }
                c.s("]");
            }
            (1, 2) => {
                c.s("SCM_CREDENTIALS");
                if let Some(cr) = c.read::<12>(data) {
                    c.w(format_args!(
                        ", cmsg_data={{pid={}, uid={}, gid={}}}",
                        le_u32(&cr, 0) as i32,
                        le_u32(&cr, 4),
                        le_u32(&cr, 8)
                    ));
                }
            }
            _ => c.w(format_args!("{:#x}", ty)),
        }
        c.s("}");
        if clen < 16 {
            break;
        }
        off = off.saturating_add(clen.saturating_add(7) & !7);
    }
    c.s("]");
}

/// `setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4)` and
/// `getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4])`.
pub(crate) fn sockopt(c: &mut Ctx) {
    let set = c.nr == u64::from(sysgate_abi::x86_64::nr::SETSOCKOPT);
    c.int(c.arg(0) as u32 as i32);
    c.s(", ");
    let level = c.arg(1) as u32;
    enum_int(c, f::SOL, c.arg(1));
    c.s(", ");
    match level {
        1 => enum_int(c, f::SO, c.arg(2)),
        6 => enum_int(c, f::TCP, c.arg(2)),
        _ => c.int(c.arg(2) as u32 as i32),
    }
    c.s(", ");
    let val = c.arg(3);
    if set {
        let len = c.arg(4) as u32;
        match if len == 4 { c.read_u32(val) } else { None } {
            Some(v) => c.w(format_args!("[{}]", v as i32)),
            None if len > 0 && val != 0 => fmt_str::buf(c, val, u64::from(len)),
            None => c.ptr(val),
        }
        c.w(format_args!(", {}", len));
    } else {
        let len = if c.ok() { c.read_u32(c.arg(4)) } else { None };
        match if len == Some(4) {
            c.read_u32(val)
        } else {
            None
        } {
            Some(v) => c.w(format_args!("[{}]", v as i32)),
            None => c.ptr(val),
        }
        c.s(", ");
        socklen(c, c.arg(4), 4);
    }
}
