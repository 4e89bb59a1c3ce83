//! Strings and byte buffers, quoted the way strace quotes them: printable ASCII as
//! is, `\n \t \r \v \f \" \\` escaped, other bytes in the shortest octal escape that
//! cannot run into a following digit (`\0`, `\177`, `\0001`); with `-x` a string
//! that has non-ASCII bytes is printed entirely as `\xHH`, with `-xx` every string.
//! Text longer than `-s` is cut and followed by `...`.

use super::Ctx;
use crate::GuestMem;

/// Longest path printed (`PATH_MAX`).
const PATH_MAX: usize = 4096;
/// Bytes read from the guest at a time (never across a page boundary).
const CHUNK: usize = 256;
const PAGE: u64 = 4096;

/// Reads `len` bytes at `addr` in page-bounded chunks, handing each to `f` until it
/// returns false. Returns false if some byte could not be read.
pub(crate) fn read_chunks(
    mem: &dyn GuestMem,
    addr: u64,
    len: usize,
    f: &mut dyn FnMut(&[u8]) -> bool,
) -> bool {
    let mut buf = [0u8; CHUNK];
    let mut done = 0usize;
    while done < len {
        let at = addr.wrapping_add(done as u64);
        let to_page = (PAGE - at % PAGE) as usize;
        let n = (len - done).min(CHUNK).min(to_page);
        let Some(chunk) = buf.get_mut(..n) else {
            return false;
        };
        if !mem.read(at, chunk) {
            // Hand over whatever leads up to the unreadable byte, then stop.
            let mut got = 0usize;
            while got < n {
                let Some(one) = chunk.get_mut(got..got + 1) else {
                    break;
                };
                if !mem.read(at.wrapping_add(got as u64), one) {
                    break;
                }
                got += 1;
            }
            if let Some(part) = chunk.get(..got) {
                if !part.is_empty() {
                    f(part);
                }
            }
            return false;
        }
        if !f(chunk) {
            return true;
        }
        done += n;
    }
    true
}

/// Finds the length of the NUL-terminated string at `addr`, looking at most at
/// `limit + 1` bytes. Returns `(len, cut)`; `cut` means no NUL within `limit` bytes.
/// `None` if the memory cannot be read before the end of the string.
fn scan_cstr(mem: &dyn GuestMem, addr: u64, limit: usize) -> Option<(usize, bool)> {
    let mut len = 0usize;
    let mut found = false;
    let ok = read_chunks(mem, addr, limit.saturating_add(1), &mut |chunk| match chunk
        .iter()
        .position(|&b| b == 0)
    {
        Some(p) => {
            len += p;
            found = true;
            false
        }
        None => {
            len += chunk.len();
            true
        }
    });
    if found {
        return Some((len.min(limit), len > limit));
    }
    if ok || len >= limit {
        // Either limit + 1 bytes without a NUL, or unreadable only past the limit.
        return Some((limit, true));
    }
    None
}

/// Whether `-x` switches this text to hex: any byte that is not printable ASCII or
/// one of `\t \n \v \f \r`.
fn wants_hex(b: u8) -> bool {
    b > 0x7e || (b < b' ' && !(9..=13).contains(&b))
}

/// Streams bytes out with strace's escaping; holds one byte back to see the next.
struct Quoter {
    hex: bool,
    prev: Option<u8>,
}

impl Quoter {
    fn feed(&mut self, c: &mut Ctx, b: u8) {
        if let Some(p) = self.prev {
            emit(c, p, Some(b), self.hex);
        }
        self.prev = Some(b);
    }

    fn finish(&mut self, c: &mut Ctx) {
        if let Some(p) = self.prev.take() {
            emit(c, p, None, self.hex);
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn emit(c: &mut Ctx, b: u8, next: Option<u8>, hex: bool) {
    if hex {
        let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
        let lo = HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0');
        c.out.push_bytes(&[b'\\', b'x', hi, lo]);
        return;
    }
    match b {
        b'"' => c.s("\\\""),
        b'\\' => c.s("\\\\"),
        b'\n' => c.s("\\n"),
        b'\t' => c.s("\\t"),
        b'\r' => c.s("\\r"),
        0x0b => c.s("\\v"),
        0x0c => c.s("\\f"),
        b' '..=b'~' => c.out.push(b),
        _ => {
            let digits = [b'0' + (b >> 6), b'0' + ((b >> 3) & 7), b'0' + (b & 7)];
            let full = matches!(next, Some(b'0'..=b'9'));
            c.out.push(b'\\');
            let skip = if full || b >= 0o100 {
                0
            } else if b >= 0o10 {
                1
            } else {
                2
            };
            c.out.push_bytes(digits.get(skip..).unwrap_or(&[]));
        }
    }
}

/// Appends the escaped form of `b` (followed by `next`) to `out` at `at`; returns the new end.
/// `out` must have room for 4 more bytes.
fn escape_into(out: &mut [u8], at: usize, b: u8, next: Option<u8>, hex: bool) -> usize {
    let put = |out: &mut [u8], at: usize, s: &[u8]| {
        if let Some(dst) = out.get_mut(at..at + s.len()) {
            dst.copy_from_slice(s);
        }
        at + s.len()
    };
    if hex {
        return put(
            out,
            at,
            &[
                b'\\',
                b'x',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ],
        );
    }
    match b {
        b'"' => put(out, at, b"\\\""),
        b'\\' => put(out, at, b"\\\\"),
        b'\n' => put(out, at, b"\\n"),
        b'\t' => put(out, at, b"\\t"),
        b'\r' => put(out, at, b"\\r"),
        0x0b => put(out, at, b"\\v"),
        0x0c => put(out, at, b"\\f"),
        b' '..=b'~' => put(out, at, &[b]),
        _ => {
            let full = matches!(next, Some(b'0'..=b'9'));
            let digits = [
                b'\\',
                b'0' + (b >> 6),
                b'0' + ((b >> 3) & 7),
                b'0' + (b & 7),
            ];
            let skip = if full || b >= 0o100 {
                0
            } else if b >= 0o10 {
                1
            } else {
                2
            };
            let at = put(out, at, &digits[..1]);
            put(out, at, &digits[1 + skip..])
        }
    }
}

/// Quotes `bytes` in one pass straight into the line (per-byte appends cost more than the
/// escaping itself); where the line has too little room left, byte by byte, which cuts it
/// where the room ends.
fn quote_short(c: &mut Ctx, bytes: &[u8], hex: bool) {
    c.s("\"");
    let spare = c.out.spare_mut();
    if spare.len() > 4 * bytes.len() {
        let mut at = 0;
        for (i, &b) in bytes.iter().enumerate() {
            at = escape_into(spare, at, b, bytes.get(i + 1).copied(), hex);
        }
        c.out.commit(at);
    } else {
        let mut q = Quoter { hex, prev: None };
        for &b in bytes {
            q.feed(c, b);
        }
        q.finish(c);
    }
    c.s("\"");
}

/// Prints `len` readable bytes at `addr` quoted. `force_hex` is `getrandom`'s style.
/// Returns false (printing nothing) if the bytes cannot be read.
fn quoted(c: &mut Ctx, addr: u64, len: usize, force_hex: bool) -> bool {
    let mem = c.mem;
    if len <= CHUNK {
        // The usual case (`-s 32`): one read, one escaping pass, one append.
        let mut b = [0u8; CHUNK];
        let bytes = &mut b[..len];
        if len > 0 && !mem.read(addr, bytes) {
            return false;
        }
        let hex = force_hex
            || c.opts.xflag >= 2
            || (c.opts.xflag == 1 && bytes.iter().any(|&b| wants_hex(b)));
        quote_short(c, bytes, hex);
        return true;
    }
    // First pass: check the bytes are there and decide on hex.
    let mut any_hex = false;
    let readable = read_chunks(mem, addr, len, &mut |chunk| {
        any_hex |= chunk.iter().any(|&b| wants_hex(b));
        true
    });
    if !readable {
        return false;
    }
    let hex = force_hex || c.opts.xflag >= 2 || (c.opts.xflag == 1 && any_hex);
    let mut q = Quoter { hex, prev: None };
    c.s("\"");
    let mut chunks = [0u8; CHUNK];
    let mut done = 0usize;
    while done < len {
        let at = addr.wrapping_add(done as u64);
        let to_page = (PAGE - at % PAGE) as usize;
        let n = (len - done).min(CHUNK).min(to_page);
        let Some(chunk) = chunks.get_mut(..n) else {
            break;
        };
        if !mem.read(at, chunk) {
            break;
        }
        for &b in chunk.iter() {
            q.feed(c, b);
        }
        done += n;
    }
    q.finish(c);
    c.s("\"");
    true
}

/// Quotes bytes already in hand (for names inside structs such as `utsname`).
pub(crate) fn quote_slice(c: &mut Ctx, bytes: &[u8]) {
    let hex = c.opts.xflag >= 2 || (c.opts.xflag == 1 && bytes.iter().any(|&b| wants_hex(b)));
    let mut q = Quoter { hex, prev: None };
    c.s("\"");
    for &b in bytes {
        q.feed(c, b);
    }
    q.finish(c);
    c.s("\"");
}

fn cstring(c: &mut Ctx, addr: u64, limit: usize) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    match scan_cstr(c.mem, addr, limit) {
        Some((len, cut)) => {
            if !quoted(c, addr, len, false) {
                c.ptr(addr);
                return;
            }
            if cut {
                c.s("...");
            }
        }
        None => c.ptr(addr),
    }
}

/// A path: NUL-terminated, printed up to `PATH_MAX`.
pub(crate) fn path(c: &mut Ctx, addr: u64) {
    cstring(c, addr, PATH_MAX);
}

/// A NUL-terminated string, cut at `-s`.
pub(crate) fn cstr(c: &mut Ctx, addr: u64) {
    let max = c.opts.strsize;
    cstring(c, addr, max);
}

/// `len` bytes at `addr`, cut at `-s`.
pub(crate) fn buf(c: &mut Ctx, addr: u64, len: u64) {
    if addr == 0 && len != 0 {
        c.s("NULL");
        return;
    }
    let max = c.opts.strsize;
    let n = usize::try_from(len).unwrap_or(usize::MAX);
    let shown = n.min(max);
    if !quoted(c, addr, shown, false) {
        c.ptr(addr);
        return;
    }
    if n > max {
        c.s("...");
    }
}

/// A buffer the kernel filled: the return value says how many bytes (at most `cap`).
pub(crate) fn out_buf(c: &mut Ctx, addr: u64, cap: u64) {
    match c.ok_ret() {
        Some(r) => {
            let n = (r as u64).min(cap);
            buf(c, addr, n);
        }
        None => c.ptr(addr),
    }
}

/// `getrandom`'s buffer: always hex.
pub(crate) fn random_buf(c: &mut Ctx, addr: u64) {
    let Some(r) = c.ok_ret() else {
        c.ptr(addr);
        return;
    };
    let n = usize::try_from(r).unwrap_or(0);
    let max = c.opts.strsize;
    if !quoted(c, addr, n.min(max), true) {
        c.ptr(addr);
        return;
    }
    if n > max {
        c.s("...");
    }
}

/// The target of a descriptor as `-y` prints it between `<` and `>`: printable ASCII as is,
/// other bytes (and `\`, `"`) as `\xHH`.
pub(crate) fn fd_path_text(c: &mut Ctx, p: &[u8]) {
    for &b in p {
        if (0x20..0x7f).contains(&b) && !matches!(b, b'\\' | b'"') {
            c.out.push(b);
        } else {
            c.w(format_args!("\\x{:02x}", b));
        }
    }
}
