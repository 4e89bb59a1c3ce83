//! The handler API: what a tool sees of a syscall, and what it may do with it.
#![allow(unsafe_code)]

use crate::process::thread::Thread;
use crate::regs::Regs;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// Number of entries in the x86-64 dispatch table (all real syscall numbers are below it).
pub const NR_MAX: usize = 512;

/// What a tool decides on entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Issue the syscall (with the arguments as they are now in `call.regs`).
    Pass,
    /// Do not enter the kernel; the program sees this value in `rax` (e.g. `-ENOENT`).
    Return(i64),
}

/// Which syscall table a call uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// `syscall` from 64-bit code: x86-64 numbers and registers.
    X86_64,
    /// `int $0x80` or `sysenter` from 64-bit code: i386 numbers, arguments in ebx, ecx, edx,
    /// esi, edi, ebp, 32-bit values.
    I386,
}

/// `Regs::cs` of a frame that holds an i386 call (the kernel's `__USER32_CS`).
pub const CS_I386: u64 = 0x23;

/// One syscall on its way through the entry.
pub struct Call<'a> {
    pub arch: Arch,
    /// Syscall number (in `arch`'s table).
    pub nr: u64,
    /// The caller's registers; arguments are in `rdi, rsi, rdx, r10, r8, r9`.
    pub regs: &'a mut Regs,
    /// The calling thread's runtime block.
    pub thread: &'a mut Thread,
}

impl Call<'_> {
    /// The six arguments in the order of `arch`'s calling convention.
    #[inline]
    pub fn args(&self) -> [u64; 6] {
        let r = &*self.regs;
        match self.arch {
            Arch::X86_64 => r.args(),
            Arch::I386 => [r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp].map(|v| v & 0xffff_ffff),
        }
    }
}

/// A tool: a table of per-syscall handlers plus its own state. All methods run inside the
/// traced program (entry stack, possibly a signal context): no allocation, no locks, no libc.
pub trait Tool: Sync {
    /// Marks the syscall numbers this tool wants to see (`wants[nr] = true`).
    fn subscribe(&self, wants: &mut [bool; NR_MAX]);
    /// Before the kernel runs the call. May change arguments or return a value instead.
    fn enter(&self, _call: &mut Call<'_>) -> Action {
        Action::Pass
    }
    /// After the call returned `ret` (raw kernel convention: `-errno` on error).
    fn exit(&self, _call: &mut Call<'_>, _ret: i64) {}
    /// Just before a call that does not return when it succeeds (`exit`, `exit_group`,
    /// `execve`, `rt_sigreturn`): `ret` is `None`, except for `rt_sigreturn` where the value the
    /// program will see is known in advance.
    fn noreturn(&self, _call: &mut Call<'_>, _ret: Option<i64>) {}
    /// A new process image has started with the runtime armed (after `execve`).
    fn image_started(&self, _thread: &mut Thread) {}
    /// Whether the tool wants to hear of signals delivered to the program's handlers
    /// ([`Tool::signal`]); the runtime then wraps those handlers.
    fn wants_signals(&self) -> bool {
        false
    }
    /// A signal is about to run the program's handler: `info` is its `siginfo_t` (128 bytes).
    /// Any call of this thread whose kernel part had just completed when the signal arrived
    /// has been reported through [`Tool::exit`] before this.
    fn signal(&self, _thread: &mut Thread, _info: &[u8; 128]) {}
}

struct ToolCell(UnsafeCell<Option<&'static dyn Tool>>);
// SAFETY: written once by `set_tool` before any second thread exists, read-only afterwards.
unsafe impl Sync for ToolCell {}
static TOOL: ToolCell = ToolCell(UnsafeCell::new(None));
static TOOL_SET: AtomicBool = AtomicBool::new(false);

pub(crate) fn set_tool(t: &'static dyn Tool) {
    if TOOL_SET.swap(true, Ordering::AcqRel) {
        return;
    }
    // SAFETY: first and only write, single-threaded start-up (see `arm`).
    unsafe { *TOOL.0.get() = Some(t) };
}

pub(crate) fn tool() -> Option<&'static dyn Tool> {
    if !TOOL_SET.load(Ordering::Acquire) {
        return None;
    }
    // SAFETY: written once before TOOL_SET became true; never written again.
    unsafe { *TOOL.0.get() }
}

/// The cell tools keep their start-up configuration in (defined with the configuration).
pub use crate::config::StartupCell;
