//! `-e read=SET`, `-e write=SET`: the data a call moved, in hex and ASCII after its line, as
//! strace prints it:
//!
//! ```text
//!  | 00000  68 65 6c 6c 6f 20 77 6f  72 6c 64 0a              hello world.     |
//! ```
//!
//! The lines go into the call's own line buffer, so a dump is cut where that buffer ends
//! (about 12 KiB of data; strace has no such bound).

use crate::{GuestMem, Out};

/// Whether descriptor `fd` is in `set` (strace's words: numbers, `all`, `none`, `!` first to
/// negate), as `sysgate` checked it.
pub(crate) fn fd_in(set: &str, fd: i32) -> bool {
    let (negate, body) = match set.strip_prefix('!') {
        Some(b) => (true, b),
        None => (false, set),
    };
    let mut hit = false;
    for w in body.split(',') {
        hit |= match w {
            "all" => true,
            "none" => false,
            _ => w.parse::<i32>() == Ok(fd),
        };
    }
    hit != negate
}

const HEX: &[u8; 16] = b"0123456789abcdef";
/// Bytes of text one line of 16 bytes takes.
const LINE: usize = 77;

/// Appends the dump lines of `len` bytes at `addr` of the program's memory to `out`, which
/// holds a whole line (ending in a newline). Stops where the buffer or the readable memory
/// ends.
pub(crate) fn hex_lines(out: &mut Out<'_>, mem: &dyn GuestMem, addr: u64, len: usize) {
    let mut off = 0usize;
    while off < len {
        if out.room() < LINE + 2 {
            return;
        }
        let n = (len - off).min(16);
        let mut b = [0u8; 16];
        if !mem.read(addr + off as u64, &mut b[..n]) {
            return;
        }
        line(out, off, &b[..n]);
        off += n;
    }
}

/// One line: ` | OFFSET  xx xx … xx  ASCII… |`.
fn line(out: &mut Out<'_>, off: usize, b: &[u8]) {
    out.push_str(" | ");
    for shift in [16u32, 12, 8, 4, 0] {
        out.push(HEX[(off >> shift) & 0xf]);
    }
    out.push_str("  ");
    for i in 0..16 {
        match b.get(i) {
            Some(&c) => {
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 0xf)]);
                out.push(b' ');
            }
            None => out.push_str("   "),
        }
        if i == 7 {
            out.push(b' ');
        }
    }
    out.push(b' ');
    for i in 0..16 {
        out.push(match b.get(i) {
            Some(&c) if (0x20..0x7f).contains(&c) => c,
            Some(_) => b'.',
            None => b' ',
        });
    }
    out.push_str(" |\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Bytes(&'static [u8]);
    impl GuestMem for Bytes {
        fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
            let a = addr as usize;
            match self.0.get(a..a + buf.len()) {
                Some(s) => {
                    buf.copy_from_slice(s);
                    true
                }
                None => false,
            }
        }
    }

    #[test]
    fn lines_as_strace_prints_them() {
        let mem = Bytes(b"hello world, this is a test of the dump\x01\x02");
        let mut buf = [0u8; 4096];
        let mut out = Out::new(&mut buf);
        hex_lines(&mut out, &mem, 0, 41);
        assert_eq!(
            core::str::from_utf8(out.as_bytes()).unwrap(),
            " | 00000  68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 74 68 69  hello world, thi |\n \
             | 00010  73 20 69 73 20 61 20 74  65 73 74 20 6f 66 20 74  s is a test of t |\n \
             | 00020  68 65 20 64 75 6d 70 01  02                       he dump..        |\n"
        );
    }

    #[test]
    fn descriptor_sets() {
        assert!(fd_in("3", 3) && !fd_in("3", 4));
        assert!(fd_in("1,3", 1) && fd_in("all", 9) && !fd_in("none", 0));
        assert!(!fd_in("!3", 3) && fd_in("!3", 4));
    }
}
