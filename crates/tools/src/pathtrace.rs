//! `trace -P PATH`: only the calls that touch one of the given paths, as strace decides it at
//! a call's entry: a path argument that is exactly one of them (the string the program
//! passed, not resolved), or a descriptor argument whose file (`/proc/self/fd/N`) is one of
//! them. `sysgate` adds the resolved form of a path that is a symbolic link, as strace does.
//!
//! The paths come in the configuration as `P=HEX,HEX…` (each path's bytes in hex: paths may
//! hold `;` and `,`).

use sysgate_abi::{x86_64, Arg};
use sysgate_runtime as rt;

/// Longest path compared (longer arguments match nothing).
const PATH_CAP: usize = 4096;

/// Whether `bytes` is the path whose hex form is `hex`.
fn same(hex: &str, bytes: &[u8]) -> bool {
    let h = hex.as_bytes();
    if h.len() != 2 * bytes.len() {
        return false;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    h.chunks_exact(2)
        .zip(bytes)
        .all(|(p, &b)| matches!((nib(p[0]), nib(p[1])), (Some(x), Some(y)) if x << 4 | y == b))
}

/// Whether `bytes` is one of the paths in `list` (`HEX,HEX…`).
fn listed(list: &str, bytes: &[u8]) -> bool {
    list.split(',').any(|h| same(h, bytes))
}

/// Whether x86-64 call `nr` with `args` touches a path of `list` (see the module's text).
pub fn touches(list: &str, nr: u64, args: &[u64; 6]) -> bool {
    let Some(desc) = x86_64::desc(nr) else {
        return false;
    };
    let mut buf = [0u8; PATH_CAP];
    for (i, kind) in desc.args.iter().enumerate() {
        let v = args[i];
        match kind {
            Arg::Path => {
                if let Some(n) = rt::memory::guest::read_cstr(v, &mut buf) {
                    if n < PATH_CAP && listed(list, &buf[..n]) {
                        return true;
                    }
                }
            }
            Arg::Fd | Arg::DirFd => {
                let fd = v as u32 as i32;
                if fd >= 0 {
                    if let Some(n) = crate::tracer::fd_link(fd, &mut buf) {
                        if listed(list, &buf[..n]) {
                            return true;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_compared_through_their_hex_form() {
        // "/etc/passwd" and "a;b,c"
        let list = "2f6574632f706173737764,613b622c63";
        assert!(listed(list, b"/etc/passwd"));
        assert!(listed(list, b"a;b,c"));
        assert!(!listed(list, b"/etc/passw"));
        assert!(!listed(list, b"/etc/passwdx"));
        assert!(!listed(list, b""));
    }
}
