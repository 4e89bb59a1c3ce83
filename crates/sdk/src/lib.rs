//! # Write your own sysgate tool
//!
//! A tool is a table of syscall handlers that run **inside** the program, on the path every
//! one of its calls into the kernel takes under sysgate: `syscall` instructions, `int $0x80`,
//! the vDSO, the vsyscall page — in static binaries, JIT code, Go programs and every thread and
//! child process alike. Calls the tool does not subscribe to go straight to the kernel.
//!
//! This crate turns a [`Tool`] into one executable, `my-tool [OPTIONS] [--] PROGRAM [ARGS]`,
//! that runs a program under it as `sysgate run` would: same start-up, every `execve` followed,
//! the program's exit status and signals passed through, one-line errors.
//!
//! ## A whole tool
//!
//! ```ignore
//! // src/main.rs of a crate made with `cargo new redirect`
//! #![no_std]
//! #![no_main]
//! use sysgate_sdk::{Action, Arg, CPath, Calls, Settings, Syscall, Tool};
//!
//! /// Every call that names the path FROM names TO instead.
//! struct Redirect { from: CPath, to: CPath }
//!
//! impl Tool for Redirect {
//!     const NAME: &'static str = "redirect";
//!     const ABOUT: &'static str = "Runs PROGRAM with every use of one path redirected to another.";
//!     const SETTINGS: &'static str = "  --from=PATH  the path the program names\n  --to=PATH    the path it gets";
//!
//!     fn new(s: &Settings) -> Result<Self, &'static str> {
//!         let from = CPath::new(s.get("from").ok_or("--from=PATH is needed")?)?;
//!         let to = CPath::new(s.get("to").ok_or("--to=PATH is needed")?)?;
//!         Ok(Redirect { from, to })
//!     }
//!
//!     fn subscribe(&self, calls: &mut Calls) {
//!         calls.add_where(|d| d.args.contains(&Arg::Path));
//!     }
//!
//!     fn enter(&self, call: &mut Syscall) -> Action {
//!         for i in 0..6 {
//!             let mut buf = [0u8; 4096];
//!             if call.path(i, &mut buf) == Ok(self.from.bytes()) {
//!                 call.set_arg(i, self.to.addr());
//!             }
//!         }
//!         Action::Pass
//!     }
//! }
//!
//! sysgate_sdk::main!(Redirect);
//! ```
//!
//! With, in `Cargo.toml` (the path is where this crate is), and a one-line `build.rs`:
//!
//! ```toml
//! [dependencies]
//! sysgate-sdk = { path = "../sysgate/crates/sdk" }
//!
//! [build-dependencies]
//! sysgate-sdk-build = { path = "../sysgate/crates/sdk-build" }
//!
//! [profile.dev]
//! panic = "abort"
//!
//! [profile.release]
//! panic = "abort"
//! ```
//!
//! ```ignore
//! // build.rs
//! fn main() {
//!     sysgate_sdk_build::link();
//! }
//! ```
//!
//! Then:
//!
//! ```text
//! $ cargo build --release
//! $ target/release/redirect --from=/tmp/x --to=/tmp/y -- python3 -c 'open("/tmp/x","w").write("hi")'
//! $ cat /tmp/y
//! hi
//! ```
//!
//! ## What runs where
//!
//! The executable you build is both halves of a sysgate run:
//!
//! - **Started from a shell**, it is the launcher: it parses its options (`-o FILE`,
//!   `--unprivileged`, `--help`, and your tool's own `--NAME=VALUE` settings, read back with
//!   [`Settings::get`]), finds the program on `PATH`, refuses a set-user-ID program whose
//!   privilege it could not grant (exit 126) and executes itself again as the program's loader.
//!   There is no process besides the program: its pid, exit status and signals are the
//!   program's own.
//! - **Inside the program**, it is the loader and the runtime: it maps the program as the
//!   kernel would, calls [`Tool::new`] (once per image: after every `execve` too), arms the
//!   runtime, and jumps to the program. From then on your handlers run on the program's
//!   threads, synchronously, on each call they subscribed to.
//!
//! ## The rules of the runtime
//!
//! Handlers run inside the program, on a small per-thread entry stack, possibly inside a
//! signal handler, possibly in a `vfork` child that shares the parent's memory:
//!
//! - **No allocation and no `std`.** The crate is `#![no_std]`; the executable links no libc
//!   and has no allocator (a `Vec` would not link, a `Box::new` would abort). Fixed buffers on
//!   the stack (a few KiB) or in your tool's struct.
//! - **No locks.** A signal can interrupt a handler and run another on the same thread. Use
//!   atomics ([`shared::counters`] for counts across processes) and the per-thread words of
//!   [`Syscall::thread_words`].
//! - **No libc, no syscalls of your own except through [`raw`].** Syscall User Dispatch lets
//!   only the runtime's own code range through; [`raw`] is it.
//! - **Never trust the program's pointers.** Read and write its memory with [`mem`], which
//!   returns [`mem::Fault`] where the kernel would return EFAULT.
//! - **Output goes through [`out!`]**: one `write` per line to the tool's output (stderr or
//!   `-o FILE`), a descriptor the program cannot close.
//!
//! Which of these the compiler enforces: `no_std` and the missing allocator (link or abort
//! time); the rest is on you.
//!
//! ## Examples
//!
//! Three tools, each its own crate under `examples/tools/` in sysgate's repository, each with
//! a test that runs real programs under it:
//!
//! - `bytes-written`: bytes written per file descriptor, summed over every process of the
//!   run, printed when the program exits;
//! - `redirect`: the tool above;
//! - `deny-unlink`: `unlink` and `unlinkat` fail with EPERM, and each refusal is logged.
#![no_std]

mod call;
pub mod mem;
pub mod out;
pub mod shared;

pub use call::{ArgError, Calls, Syscall};
pub use sysgate_abi::{Arg, SyscallDesc};
pub use sysgate_runtime::api::{Action, Arch};

/// x86-64 syscall numbers (`nr::OPENAT`), for [`Calls::add`] and [`Syscall::is`].
pub mod nr {
    pub use sysgate_abi::x86_64::nr::*;
}

/// Errno values (`errno::EPERM`), for `Action::Return(-errno::EPERM)`.
pub mod errno {
    macro_rules! errnos {
        ($($n:ident)*) => {$(pub const $n: i64 = sysgate_runtime::raw::sys::$n as i64;)*};
    }
    errnos!(EPERM ENOENT EINTR EIO EBADF EAGAIN ENOMEM EACCES EFAULT EBUSY EEXIST EXDEV ENODEV
        ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOSPC ESPIPE EROFS EMLINK EPIPE ENOSYS ENOTEMPTY
        ELOOP ENAMETOOLONG EOPNOTSUPP ECONNREFUSED ETIMEDOUT);
}

/// The runtime's own raw syscalls: the only ones a handler may make (see the rules above).
pub mod raw {
    pub use sysgate_runtime::raw::{
        getpid, syscall0, syscall1, syscall2, syscall3, syscall4, syscall6, write_all,
    };
}

/// A tool: its name and settings, and its handlers.
///
/// One value of the tool is made per process image ([`Tool::new`]) and shared by all of its
/// threads, so the handlers take `&self`: state that changes is atomics, per-thread words, or
/// [`shared::counters`].
pub trait Tool: Sync + Sized + 'static {
    /// The executable's name in its usage and messages.
    const NAME: &'static str;
    /// One line for `--help`.
    const ABOUT: &'static str = "";
    /// The tool's own settings for `--help`: `  --NAME=VALUE  what it does` lines.
    const SETTINGS: &'static str = "";
    /// How many 64-bit words of [`shared::counters`] the tool uses (0: none).
    const SHARED: usize = 0;

    /// Makes the tool for a new image, from the settings it was started with. An error ends
    /// the program before its first instruction, with `NAME: ERROR` and exit status 127.
    fn new(settings: &Settings) -> Result<Self, &'static str>;

    /// Marks the calls the tool wants to see.
    fn subscribe(&self, calls: &mut Calls<'_>);

    /// Before the kernel runs the call: change its arguments ([`Syscall::set_arg`]) and
    /// [`Action::Pass`] it on, or answer in the kernel's place with [`Action::Return`]
    /// (`-errno` for an error).
    fn enter(&self, _call: &mut Syscall<'_, '_>) -> Action {
        Action::Pass
    }

    /// After the call: `ret` is what the program gets (`-errno` on error).
    fn exit(&self, _call: &mut Syscall<'_, '_>, _ret: i64) {}

    /// The process is about to end with `exit_group` (every thread of it), with the status in
    /// `call.arg(0)`: a place to print what the tool gathered.
    fn exiting(&self, _call: &mut Syscall<'_, '_>) {}
}

/// The settings the tool was started with (`--NAME=VALUE` before the program).
pub struct Settings {
    _private: (),
}

impl Settings {
    /// The value of `--NAME=VALUE`, if it was given (the last one, if given twice).
    pub fn get(&self, name: &str) -> Option<&'static str> {
        setting(name)
    }
}

/// The value of the tool's setting `--NAME=VALUE`, anywhere (also from a handler).
pub fn setting(name: &str) -> Option<&'static str> {
    let raw = sysgate_runtime::config::get().raw();
    let mut found = None;
    for kv in raw.split(';') {
        let Some((k, v)) = kv.split_once('=') else {
            continue;
        };
        if k.strip_prefix(sysgate_loader::selflaunch::SETTING_PREFIX) == Some(name) {
            found = Some(v);
        }
    }
    found
}

/// Whether this process is the first one of the run (the program the tool was started with,
/// whatever it has exec'd since), as opposed to one of its children.
pub fn first_process() -> bool {
    sysgate_runtime::raw::getpid() == sysgate_runtime::config::get().root_pid
}

/// A path as the kernel takes it: NUL-terminated, in memory the tool owns (so that its
/// address can be handed to the kernel in a call's argument).
pub struct CPath {
    buf: [u8; 4096],
    len: usize,
}

impl CPath {
    /// A copy of `s`. Fails on a NUL byte or more than 4095 bytes.
    pub fn new(s: &str) -> Result<CPath, &'static str> {
        let b = s.as_bytes();
        if b.contains(&0) {
            return Err("a path may not contain a NUL byte");
        }
        if b.len() >= 4096 {
            return Err("a path may have 4095 bytes at most");
        }
        let mut buf = [0u8; 4096];
        buf[..b.len()].copy_from_slice(b);
        Ok(CPath { buf, len: b.len() })
    }
    /// The path's bytes, without the NUL.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
    /// The address of the NUL-terminated path, for [`Syscall::set_arg`]. Valid as long as the
    /// `CPath` does not move: take it from the tool's value, which lives for the whole image.
    pub fn addr(&self) -> u64 {
        self.buf.as_ptr() as u64
    }
}

/// What [`main!`] expands to; not part of the API.
#[doc(hidden)]
pub mod __private {
    use super::*;
    use core::sync::atomic::{AtomicBool, Ordering::Relaxed};
    pub use sysgate_loader::boot::{Hooks, Image};
    pub use sysgate_loader::entry;
    pub use sysgate_loader::selflaunch::Launcher;
    use sysgate_runtime::api::{Call, StartupCell, NR_MAX};
    pub use sysgate_runtime::config::Config;
    pub use sysgate_runtime::Tool as RtTool;

    /// The runtime's view of a [`Tool`].
    pub struct Adapter<T> {
        tool: StartupCell<T>,
        /// The tool itself subscribed to `exit_group` (the adapter always does, for
        /// `Tool::exiting`; the tool's `enter` and `exit` see it only if it asked).
        wants_exit_group: AtomicBool,
    }

    impl<T: Tool> Default for Adapter<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T: Tool> Adapter<T> {
        pub const fn new() -> Self {
            Adapter {
                tool: StartupCell::new(),
                wants_exit_group: AtomicBool::new(false),
            }
        }

        pub fn init(
            &'static self,
            _cfg: &'static Config,
        ) -> Result<&'static dyn RtTool, &'static str> {
            let t = T::new(&Settings { _private: () })?;
            self.tool.set(t);
            Ok(self)
        }
    }

    pub const fn launcher<T: Tool>() -> Launcher {
        Launcher {
            name: T::NAME,
            about: T::ABOUT,
            settings: T::SETTINGS,
            shared_words: T::SHARED,
        }
    }

    pub fn armed(_image: Image) {}

    impl<T> Adapter<T> {
        /// Whether the tool subscribed to this call (not only the adapter).
        fn sees(&self, call: &Call<'_>) -> bool {
            !(call.arch == Arch::X86_64
                && call.nr == u64::from(nr::EXIT_GROUP)
                && !self.wants_exit_group.load(Relaxed))
        }
    }

    impl<T: Tool> RtTool for Adapter<T> {
        fn subscribe(&self, wants: &mut [bool; NR_MAX]) {
            if let Some(t) = self.tool.get() {
                t.subscribe(&mut Calls { wants });
            }
            let e = nr::EXIT_GROUP as usize;
            self.wants_exit_group.store(wants[e], Relaxed);
            // exit_group: for `Tool::exiting`.
            wants[e] = true;
        }

        fn enter(&self, call: &mut Call<'_>) -> Action {
            match self.tool.get() {
                Some(t) if self.sees(call) => t.enter(&mut Syscall::new(call)),
                _ => Action::Pass,
            }
        }

        fn exit(&self, call: &mut Call<'_>, ret: i64) {
            let sees = self.sees(call);
            let mut s = Syscall::new(call);
            if let (Some(t), true) = (self.tool.get(), sees) {
                t.exit(&mut s, ret);
            }
            s.restore_args();
        }

        fn noreturn(&self, call: &mut Call<'_>, _ret: Option<i64>) {
            let mut s = Syscall::new(call);
            if s.is(nr::EXIT_GROUP) {
                if let Some(t) = self.tool.get() {
                    t.exiting(&mut s);
                }
            }
        }
    }
}

/// Makes the crate's executable the tool: `sysgate_sdk::main!(MyTool);` in `src/main.rs` of a
/// `#![no_std] #![no_main]` binary crate whose `build.rs` calls `sysgate_sdk_build::link()`.
#[macro_export]
macro_rules! main {
    ($tool:ty) => {
        static __SYSGATE_TOOL: $crate::__private::Adapter<$tool> =
            $crate::__private::Adapter::new();
        static __SYSGATE_LAUNCHER: $crate::__private::Launcher =
            $crate::__private::launcher::<$tool>();
        fn __sysgate_init(
            cfg: &'static $crate::__private::Config,
        ) -> ::core::result::Result<&'static dyn $crate::__private::RtTool, &'static str> {
            __SYSGATE_TOOL.init(cfg)
        }
        $crate::__private::entry!($crate::__private::Hooks {
            name: b"",
            init: __sysgate_init,
            armed: $crate::__private::armed,
            launcher: ::core::option::Option::Some(&__SYSGATE_LAUNCHER),
        });
    };
}
