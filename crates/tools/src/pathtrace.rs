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

/// Whether `bytes` is one of the paths in `list` (`HEX,HEX…`).
fn listed(list: &str, bytes: &[u8]) -> bool {
    let mut path = [0u8; PATH_CAP];
    list.split(',')
        .any(|h| crate::unhex(h, &mut path).is_some_and(|n| &path[..n] == bytes))
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
