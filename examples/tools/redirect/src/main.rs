//! `redirect --from=PATH --to=PATH [--] PROGRAM [ARGS]`: every call that names the path FROM
//! (`open`, `openat`, `stat`, `unlink`, `execve`, … — every call whose arguments include a
//! path, by sysgate's syscall table) names TO instead. The program never knows: its registers
//! are as it left them when the call returns.
#![no_std]
#![no_main]
use sysgate_sdk::{Action, Arg, CPath, Calls, Settings, Syscall, Tool};

/// Every call that names the path FROM names TO instead.
struct Redirect {
    from: CPath,
    to: CPath,
}

impl Tool for Redirect {
    const NAME: &'static str = "redirect";
    const ABOUT: &'static str = "Runs PROGRAM with every use of one path redirected to another.";
    const SETTINGS: &'static str =
        "  --from=PATH  the path the program names\n  --to=PATH    the path it gets";

    fn new(s: &Settings) -> Result<Self, &'static str> {
        let from = CPath::new(s.get("from").ok_or("--from=PATH is needed")?)?;
        let to = CPath::new(s.get("to").ok_or("--to=PATH is needed")?)?;
        Ok(Redirect { from, to })
    }

    fn subscribe(&self, calls: &mut Calls) {
        calls.add_where(|d| d.args.contains(&Arg::Path));
    }

    fn enter(&self, call: &mut Syscall) -> Action {
        for i in 0..6 {
            let mut buf = [0u8; 4096];
            if call.path(i, &mut buf) == Ok(self.from.bytes()) {
                call.set_arg(i, self.to.addr());
            }
        }
        Action::Pass
    }
}

sysgate_sdk::main!(Redirect);
