//! The tool's output: whole lines, each written with one `write` to the tool's output
//! descriptor (stderr, or `-o FILE`), so lines of different threads and processes never
//! interleave mid-line and a line written is never lost when the program is killed. The
//! descriptor is one of the runtime's own: the program's `close`, `dup2` and `close_range`
//! leave it alone.

use core::fmt::{self, Write};
use sysgate_runtime::output::out;

/// Longest line [`out!`](crate::out!) formats (longer ones are cut, ending in `...`).
pub const LINE_MAX: usize = 1024;

/// Writes `bytes` (one or more whole lines) to the tool's output.
pub fn write(bytes: &[u8]) {
    let fd = out::fd();
    if fd >= 0 {
        out::write(fd, bytes);
    }
}

/// A line being formatted on the stack ([`out!`](crate::out!) uses it).
pub struct Line {
    buf: [u8; LINE_MAX],
    len: usize,
    cut: bool,
}

impl Default for Line {
    fn default() -> Self {
        Line {
            buf: [0; LINE_MAX],
            len: 0,
            cut: false,
        }
    }
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = LINE_MAX - 1 - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        self.cut |= n < s.len();
        Ok(())
    }
}

impl Line {
    /// Appends bytes that may not be UTF-8, printing other bytes as `\xNN` and quotes and
    /// backslashes escaped (as a path in a trace line).
    pub fn push_escaped(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let _ = match b {
                b'"' => self.write_str("\\\""),
                b'\\' => self.write_str("\\\\"),
                b'\n' => self.write_str("\\n"),
                0x20..=0x7e => self.write_char(b as char),
                _ => write!(self, "\\x{b:02x}"),
            };
        }
    }

    /// Ends the line and writes it out.
    pub fn finish(mut self) {
        if self.cut {
            self.len = self.len.min(LINE_MAX - 4);
            self.buf[self.len..self.len + 3].copy_from_slice(b"...");
            self.len += 3;
        }
        if self.len == 0 || self.buf[self.len - 1] != b'\n' {
            self.buf[self.len] = b'\n';
            self.len += 1;
        }
        write(&self.buf[..self.len]);
    }
}

/// Formats one line (as `format!` would, without allocating) and writes it to the tool's
/// output in one `write`. A newline is added.
///
/// ```ignore
/// sysgate_sdk::out!("{}: unlink refused", call.pid());
/// ```
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        let mut l = $crate::out::Line::default();
        let _ = ::core::fmt::Write::write_fmt(&mut l, ::core::format_args!($($arg)*));
        l.finish();
    }};
}
