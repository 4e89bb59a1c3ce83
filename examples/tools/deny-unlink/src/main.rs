//! `deny-unlink [--] PROGRAM [ARGS]`: `unlink` and `unlinkat` (files and, with
//! `AT_REMOVEDIR`, directories) fail with EPERM without reaching the kernel, and each refusal
//! is logged:
//!
//! ```text
//! deny-unlink: pid 4242: unlinkat("/tmp/keep") refused
//! ```
//!
//! `--log=0` refuses without logging.
#![no_std]
#![no_main]
use sysgate_sdk::{errno, nr, out::Line, Action, Calls, Settings, Syscall, Tool};

struct DenyUnlink {
    log: bool,
}

impl Tool for DenyUnlink {
    const NAME: &'static str = "deny-unlink";
    const ABOUT: &'static str =
        "Runs PROGRAM with unlink and unlinkat refused (EPERM), and logs each refusal.";
    const SETTINGS: &'static str = "  --log=0|1  log each refusal (default 1)";

    fn new(s: &Settings) -> Result<Self, &'static str> {
        match s.get("log") {
            None | Some("1") => Ok(DenyUnlink { log: true }),
            Some("0") => Ok(DenyUnlink { log: false }),
            Some(_) => Err("--log takes 0 or 1"),
        }
    }

    fn subscribe(&self, calls: &mut Calls) {
        calls.add(nr::UNLINK).add(nr::UNLINKAT);
    }

    fn enter(&self, call: &mut Syscall) -> Action {
        if self.log {
            let i = if call.is(nr::UNLINKAT) { 1 } else { 0 };
            let mut buf = [0u8; 4096];
            let mut l = Line::default();
            let _ = core::fmt::write(
                &mut l,
                format_args!(
                    "deny-unlink: pid {}: {}(\"",
                    call.pid(),
                    call.name().unwrap_or("?")
                ),
            );
            match call.path(i, &mut buf) {
                Ok(p) => l.push_escaped(p),
                Err(_) => l.push_escaped(b"?"),
            }
            let _ = core::fmt::Write::write_str(&mut l, "\") refused");
            l.finish();
        }
        Action::Return(-errno::EPERM)
    }
}

sysgate_sdk::main!(DenyUnlink);
