//! Tools built on the runtime's handler API: each is a table of per-syscall handlers plus its
//! own state. This crate holds the `sysgate trace` handler ([`tracer`]), the strace-compatible
//! formatter it uses ([`trace`]) and its machine-readable forms ([`json`]), the counter of
//! `sysgate count` ([`count`]), fault injection ([`inject`]), the virtual clock ([`clock`]),
//! the sandbox ([`sandbox`]), the composition the loader arms ([`gate`]), and the pieces they
//! need: a view of guest memory ([`GuestMem`]) and a fixed-capacity line writer ([`Out`]).
//!
//! Everything here runs inside a signal handler of an arbitrary process: no
//! allocation, no unsafe code, and no panics on any input.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod clock;
pub mod count;
mod dump;
mod fdkind;
pub mod gate;
pub mod inject;
pub mod json;
mod pathtrace;
pub mod sandbox;
mod slots;
mod stack;
pub mod trace;
pub mod tracer;

/// Which `Thread::tool_scratch` words each tool uses (the tracer's own are listed in
/// `tracer.rs`: 0, 1, 2, 3, 5, 7, 12, 13 and 14).
pub(crate) mod scratch {
    /// `count`: the clock reading at the call's entry (+1; 0: none).
    pub const COUNT_ENTRY: usize = 4;
    /// `inject`: the thread's counter slot and what was done to the call in flight.
    pub const INJECT: usize = 6;
    /// `count`: the thread's own counter slot (`count::own_slot`).
    pub const COUNT_SLOT: usize = 8;
    /// `count`: the current gap between timed calls, the weight of the call in flight, and
    /// the state of the generator the gaps come from.
    pub const COUNT_GAP: usize = 9;
    pub const COUNT_WEIGHT: usize = 10;
    pub const COUNT_RNG: usize = 11;
}

use core::fmt;

/// Read access to the traced program's memory, and what else the formatter may ask about the
/// traced process.
pub trait GuestMem {
    /// Copy exactly `buf.len()` bytes from guest address `addr`. Returns false if any
    /// byte is unreadable (the runtime's fixup-protected copy reports EFAULT). Never crashes.
    fn read(&self, addr: u64, buf: &mut [u8]) -> bool;

    /// What descriptor `fd` refers to, as `-y` prints it between `<>` (a path, `pipe:[123]`,
    /// `socket:[456]`; with `detail` a socket's endpoints, `TCP:[127.0.0.1:80->…]`): the
    /// length written into `buf`, or `None` if it is not open or cannot be told.
    fn fd_path(&self, _fd: i32, _detail: bool, _buf: &mut [u8]) -> Option<usize> {
        None
    }
    /// The name of process (or thread) `pid`, as `-Y` prints it between `<>` (its `comm`):
    /// the length written into `buf`, or `None` if there is no such process.
    fn pid_comm(&self, _pid: i32, _buf: &mut [u8]) -> Option<usize> {
        None
    }
}

/// Decodes `s`, bytes in hex (how `sysgate` passes paths in the configuration: the sandbox's
/// prefixes, `trace -P`), into `out`; the number of bytes, or `None` if it is not hex or does
/// not fit.
pub(crate) fn unhex(s: &str, out: &mut [u8]) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() & 1 != 0 || b.len() / 2 > out.len() {
        return None;
    }
    for (i, pair) in b.chunks(2).enumerate() {
        *out.get_mut(i)? = u8::from_str_radix(core::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(b.len() / 2)
}

/// `pid`, and with `mem` (`-Y`) the process's name after it: `1234<cat>` (a pid of no
/// process, or not positive, is the number alone).
pub(crate) fn write_pid(out: &mut Out<'_>, pid: i32, mem: Option<&dyn GuestMem>) {
    out.push_int(pid);
    if let (Some(mem), true) = (mem, pid > 0) {
        write_comm(out, pid, mem);
    }
}

/// `<NAME>` of process `pid`, if it has one; returns whether it was written.
pub(crate) fn write_comm(out: &mut Out<'_>, pid: i32, mem: &dyn GuestMem) -> bool {
    let mut comm = [0u8; 64];
    let Some(n) = mem.pid_comm(pid, &mut comm) else {
        return false;
    };
    out.push(b'<');
    out.push_bytes(&comm[..n]);
    out.push(b'>');
    true
}

/// Fixed-capacity line writer. On overflow it truncates silently (and remembers it);
/// the last byte of the buffer is held back so that a final `"\n"` always fits.
pub struct Out<'a> {
    buf: &'a mut [u8],
    len: usize,
    truncated: bool,
}

/// `dst.copy_from_slice(src)` (same lengths) without a call for the short pieces a line is
/// made of: a name, a bracket, a few digits. `copy_from_slice` of a length only known at run
/// time calls `memcpy` through the GOT, which for a handful of bytes costs more than the
/// copy; two overlapping fixed-size copies (plain loads and stores) do the same for up to 16
/// bytes.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if dst.len() != n {
        return;
    }
    match n {
        0 => {}
        1..=3 => {
            dst[0] = src[0];
            dst[n / 2] = src[n / 2];
            dst[n - 1] = src[n - 1];
        }
        4..=7 => {
            dst[..4].copy_from_slice(&src[..4]);
            dst[n - 4..].copy_from_slice(&src[n - 4..]);
        }
        8..=16 => {
            dst[..8].copy_from_slice(&src[..8]);
            dst[n - 8..].copy_from_slice(&src[n - 8..]);
        }
        _ => dst.copy_from_slice(src),
    }
}

impl<'a> Out<'a> {
    /// A writer over `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Out {
            buf,
            len: 0,
            truncated: false,
        }
    }

    /// What has been written so far.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Number of bytes written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes that can still be written (the one held back for a final newline aside).
    pub fn room(&self) -> usize {
        self.buf.len().saturating_sub(self.len + 1)
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets what was written (and the truncation).
    pub fn clear(&mut self) {
        self.len = 0;
        self.truncated = false;
    }

    /// Whether some output was dropped for lack of room.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Appends `b`, keeping the last byte of the buffer free for a newline.
    pub fn push_bytes(&mut self, b: &[u8]) {
        let limit = self.buf.len().saturating_sub(1);
        let room = limit.saturating_sub(self.len);
        let n = b.len().min(room);
        if n < b.len() {
            self.truncated = true;
        }
        if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..self.len + n), b.get(..n)) {
            copy_short(dst, src);
            self.len += n;
        }
    }

    /// Appends one byte.
    pub fn push(&mut self, c: u8) {
        self.push_bytes(&[c]);
    }

    /// Appends a string.
    pub fn push_str(&mut self, s: &str) {
        self.push_bytes(s.as_bytes());
    }

    /// Ends the line with `"\n"`, using the held-back byte if the line is full.
    pub fn end_line(&mut self) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b'\n';
            self.len += 1;
        }
    }

    /// Shortens the line to `len` bytes (no effect if it is shorter).
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
        }
    }

    /// Pads with spaces up to column `col` (counted from the start of the buffer).
    pub fn pad_to(&mut self, col: usize) {
        const SPACES: [u8; 16] = [b' '; 16];
        while self.len < col && !self.truncated {
            let n = (col - self.len).min(SPACES.len());
            self.push_bytes(&SPACES[..n]);
        }
    }

    /// The free part of the buffer (without the byte held back for the newline), for a writer
    /// that fills it directly and then calls [`Out::commit`].
    pub fn spare_mut(&mut self) -> &mut [u8] {
        let limit = self.buf.len().saturating_sub(1);
        let start = self.len.min(limit);
        &mut self.buf[start..limit]
    }

    /// Takes `n` bytes written into [`Out::spare_mut`] as part of the line.
    pub fn commit(&mut self, n: usize) {
        let limit = self.buf.len().saturating_sub(1);
        self.len = (self.len + n).min(limit);
    }

    /// Appends an integer in decimal (what `{}` prints, without going through `core::fmt`).
    pub fn push_int(&mut self, v: impl itoa::Integer) {
        let mut b = itoa::Buffer::new();
        self.push_str(b.format(v));
    }

    /// Appends `v` in octal with at least `min_digits` digits, zero-padded (what `{:0N$o}`
    /// prints), without going through `core::fmt`.
    pub fn push_octal(&mut self, v: u64, min_digits: usize) {
        let digits = (64 - v.leading_zeros() as usize)
            .div_ceil(3)
            .max(min_digits.clamp(1, 22));
        let mut b = [0u8; 22];
        for (i, d) in b[..digits].iter_mut().enumerate() {
            let shift = 3 * (digits - 1 - i);
            *d = b'0'
                + if shift < 64 {
                    ((v >> shift) & 7) as u8
                } else {
                    0
                };
        }
        self.push_bytes(&b[..digits]);
    }

    /// Appends `0x` and `v` in lower-case hex (what `{:#x}` prints).
    pub fn push_hex(&mut self, v: u64) {
        let digits = (64 - v.leading_zeros() as usize).div_ceil(4).max(1);
        let mut b = [0u8; 18];
        b[0] = b'0';
        b[1] = b'x';
        for i in 0..digits {
            b[2 + i] = b"0123456789abcdef"[((v >> (4 * (digits - 1 - i))) & 0xf) as usize];
        }
        self.push_bytes(&b[..2 + digits]);
    }
}

impl fmt::Write for Out<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

/// Options that change how a trace line looks (strace's `-s`, `-x`, `-v`, `-y`).
#[derive(Clone, Copy, Debug)]
pub struct TraceOpts {
    /// Maximum string size printed (`-s`, default 32).
    pub strsize: usize,
    /// 0: escape non-printables in octal; 1 (`-x`): strings with non-ASCII in hex; 2 (`-xx`): all strings in hex.
    pub xflag: u8,
    /// Print structures in full (`-v`).
    pub verbose: bool,
    /// 1 (`-y`): descriptors with their paths, `3</etc/passwd>`; 2 (`-yy`): sockets with
    /// their endpoints too.
    pub decode_fds: u8,
    /// The column results are padded to before ` = ` (strace's `-a`, less one: 39).
    pub column: usize,
    /// `-Y`: process ids with the process's name, `1234<cat>`.
    pub decode_pids: bool,
}

impl Default for TraceOpts {
    fn default() -> Self {
        TraceOpts {
            strsize: 32,
            xflag: 0,
            verbose: false,
            decode_fds: 0,
            column: sysgate_abi::ring::RESULT_COLUMN,
            decode_pids: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn short_copies_copy_every_length() {
        let src: Vec<u8> = (1..=40u8).collect();
        for n in 0..=40 {
            let mut dst = vec![0u8; n];
            copy_short(&mut dst, &src[..n]);
            assert_eq!(dst, &src[..n], "length {n}");
        }
    }

    #[test]
    fn out_truncates_and_keeps_newline() {
        let mut b = [0u8; 8];
        let mut o = Out::new(&mut b);
        o.push_str("abc");
        assert_eq!(o.as_bytes(), b"abc");
        write!(o, "{}", 12345).unwrap();
        assert!(o.truncated());
        assert_eq!(o.as_bytes(), b"abc1234");
        o.end_line();
        assert_eq!(o.as_bytes(), b"abc1234\n");
        o.end_line();
        assert_eq!(o.len(), 8);
        o.clear();
        assert!(o.is_empty() && !o.truncated());
        let mut z = [0u8; 0];
        let mut o = Out::new(&mut z);
        o.push_str("x");
        o.end_line();
        assert!(o.is_empty());
    }

    /// The hand-written integer writers print what `{}`, `{:#x}` and `{:<5}` print.
    #[test]
    fn integer_writers_match_core_fmt() {
        let mut b = [0u8; 64];
        for v in [
            0u64,
            1,
            7,
            8,
            0o22,
            0o644,
            0o7777,
            0o100644,
            u64::MAX,
            1 << 63,
        ] {
            for w in [0usize, 1, 2, 4] {
                let mut o = Out::new(&mut b);
                o.push_octal(v, w);
                assert_eq!(
                    o.as_bytes(),
                    std::format!("{v:0w$o}", w = w.max(1)).as_bytes(),
                    "{v:o} {w}"
                );
            }
        }
        for v in [0i64, 1, -1, 9, 10, 1234, -4095, i64::MAX, i64::MIN] {
            let mut o = Out::new(&mut b);
            o.push_int(v);
            assert_eq!(o.as_bytes(), std::format!("{v}").as_bytes());
        }
        let mut b = [0u8; 64];
        for v in [0u64, 1, 0xf, 0x10, 0xdead_beef, 0x7fff_ffff_f000, u64::MAX] {
            let mut o = Out::new(&mut b);
            o.push_hex(v);
            assert_eq!(o.as_bytes(), std::format!("{v:#x}").as_bytes());
        }
        let mut b = [0u8; 64];
        let mut o = Out::new(&mut b);
        o.push_str("ab");
        o.pad_to(40);
        o.push_str("=");
        assert_eq!(o.as_bytes(), std::format!("{:<40}=", "ab").as_bytes());
    }
}
