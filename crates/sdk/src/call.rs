//! One syscall as a tool's handler sees it: its number and name, its arguments typed by
//! sysgate's syscall tables, and the calling thread.

use crate::mem::{self, Fault};
use sysgate_abi::{Arg, SyscallDesc};
use sysgate_runtime::api::{Arch, Call, NR_MAX};

/// Words of the per-thread scratch area the SDK keeps for itself: a mask of the arguments a
/// handler changed, and their original values (put back when the call returns, so that the
/// program finds its registers as the kernel leaves them).
const SAVED_MASK: usize = 0;
const SAVED: usize = 1;
/// The first of the words a tool may use ([`Syscall::thread_words`]).
const FREE: usize = SAVED + 6;

/// What went wrong reading an argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgError {
    /// The program's memory at the argument could not be read (the kernel would say EFAULT).
    Fault,
    /// The string did not fit the buffer.
    TooLong,
    /// This argument of this call is not of the kind asked for (by the syscall table).
    NotThatKind,
}

impl From<Fault> for ArgError {
    fn from(_: Fault) -> ArgError {
        ArgError::Fault
    }
}

/// A syscall on its way into the kernel (in [`crate::Tool::enter`]) or out of it
/// ([`crate::Tool::exit`]).
pub struct Syscall<'a, 'b> {
    call: &'a mut Call<'b>,
}

impl<'a, 'b> Syscall<'a, 'b> {
    pub(crate) fn new(call: &'a mut Call<'b>) -> Self {
        Syscall { call }
    }

    /// Which table the number belongs to: `syscall` from 64-bit code, or `int $0x80`.
    pub fn arch(&self) -> Arch {
        self.call.arch
    }

    /// The syscall number, in [`Syscall::arch`]'s table ([`crate::nr`] for x86-64).
    pub fn nr(&self) -> u64 {
        self.call.nr
    }

    /// The kernel's name for the call (`"openat"`), in either table.
    pub fn name(&self) -> Option<&'static str> {
        self.desc().map(|d| d.name)
    }

    /// What sysgate's tables know of the call: its name, its arguments' kinds, its class.
    pub fn desc(&self) -> Option<&'static SyscallDesc> {
        match self.call.arch {
            Arch::X86_64 => sysgate_abi::x86_64::desc(self.call.nr),
            Arch::I386 => sysgate_abi::i386::desc(self.call.nr),
        }
    }

    /// Whether this is the x86-64 call `nr` (a [`crate::nr`] constant).
    pub fn is(&self, nr: u32) -> bool {
        self.call.arch == Arch::X86_64 && self.call.nr == u64::from(nr)
    }

    /// The six raw arguments, in the calling convention's order (32-bit values for `int $0x80`).
    pub fn args(&self) -> [u64; 6] {
        self.call.args()
    }

    /// Argument `i` (0..6), raw.
    pub fn arg(&self, i: usize) -> u64 {
        self.args().get(i).copied().unwrap_or(0)
    }

    /// The kind of argument `i`, from the syscall table (`Arg::Path`, `Arg::Fd`, …).
    pub fn kind(&self, i: usize) -> Option<Arg> {
        self.desc().and_then(|d| d.args.get(i)).copied()
    }

    /// The indexes of the arguments of kind `kind`.
    pub fn args_of_kind(&self, kind: Arg) -> impl Iterator<Item = usize> {
        let args = self.desc().map(|d| d.args).unwrap_or(&[]);
        args.iter()
            .enumerate()
            .filter(move |(_, k)| **k == kind)
            .map(|(i, _)| i)
    }

    /// Argument `i` as a file descriptor, if the table says it is one (`Fd` or `DirFd`).
    pub fn fd(&self, i: usize) -> Result<i32, ArgError> {
        match self.kind(i) {
            Some(Arg::Fd | Arg::DirFd) => Ok(self.arg(i) as i32),
            _ => Err(ArgError::NotThatKind),
        }
    }

    /// Argument `i` as the path it points at, read from the program's memory into `buf`, if
    /// the table says it is a path.
    pub fn path<'p>(&self, i: usize, buf: &'p mut [u8]) -> Result<&'p [u8], ArgError> {
        if self.kind(i) != Some(Arg::Path) {
            return Err(ArgError::NotThatKind);
        }
        let cap = buf.len();
        let s = mem::read_cstr(self.arg(i), buf)?;
        if s.len() == cap {
            return Err(ArgError::TooLong);
        }
        Ok(s)
    }

    /// Sets argument `i` for the kernel. The program's own register is put back when the call
    /// returns, as the kernel leaves argument registers unchanged. A pointer may point at the
    /// tool's own memory (a `static`): the kernel reads it in the same address space.
    pub fn set_arg(&mut self, i: usize, v: u64) {
        if i >= 6 {
            return;
        }
        let old = self.raw_arg(i);
        let s = &mut self.call.thread.tool_scratch;
        if s[SAVED_MASK] & (1 << i) == 0 {
            s[SAVED_MASK] |= 1 << i;
            s[SAVED + i] = old;
        }
        self.write_arg(i, v);
    }

    fn raw_arg(&self, i: usize) -> u64 {
        let r = &*self.call.regs;
        match self.call.arch {
            Arch::X86_64 => r.args()[i],
            Arch::I386 => [r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp][i],
        }
    }

    fn write_arg(&mut self, i: usize, v: u64) {
        let r = &mut *self.call.regs;
        let reg = match (self.call.arch, i) {
            (Arch::X86_64, 0) => &mut r.rdi,
            (Arch::X86_64, 1) => &mut r.rsi,
            (Arch::X86_64, 2) => &mut r.rdx,
            (Arch::X86_64, 3) => &mut r.r10,
            (Arch::X86_64, 4) => &mut r.r8,
            (Arch::X86_64, _) => &mut r.r9,
            (Arch::I386, 0) => &mut r.rbx,
            (Arch::I386, 1) => &mut r.rcx,
            (Arch::I386, 2) => &mut r.rdx,
            (Arch::I386, 3) => &mut r.rsi,
            (Arch::I386, 4) => &mut r.rdi,
            (Arch::I386, _) => &mut r.rbp,
        };
        *reg = v;
    }

    /// Puts back the arguments [`Syscall::set_arg`] changed.
    pub(crate) fn restore_args(&mut self) {
        let mask = self.call.thread.tool_scratch[SAVED_MASK];
        if mask == 0 {
            return;
        }
        for i in 0..6 {
            if mask & (1 << i) != 0 {
                let v = self.call.thread.tool_scratch[SAVED + i];
                self.write_arg(i, v);
            }
        }
        self.call.thread.tool_scratch[SAVED_MASK] = 0;
    }

    /// The calling thread's id.
    pub fn tid(&self) -> i32 {
        self.call.thread.tid
    }

    /// The calling process's id.
    pub fn pid(&self) -> i32 {
        self.call.thread.pid
    }

    /// Words only the calling thread uses, for the tool's per-thread state (zero in a new
    /// thread; a fork child starts with its parent's values).
    pub fn thread_words(&mut self) -> &mut [u64] {
        &mut self.call.thread.tool_scratch[FREE..]
    }
}

/// The calls a tool subscribes to ([`crate::Tool::subscribe`]); every other call goes straight
/// to the kernel without reaching the tool.
pub struct Calls<'a> {
    pub(crate) wants: &'a mut [bool; NR_MAX],
}

impl Calls<'_> {
    /// The x86-64 call `nr` (a [`crate::nr`] constant).
    pub fn add(&mut self, nr: u32) -> &mut Self {
        if let Some(w) = self.wants.get_mut(nr as usize) {
            *w = true;
        }
        self
    }

    /// The call named `name` (`"openat"`); false if there is none.
    pub fn add_name(&mut self, name: &str) -> bool {
        match sysgate_abi::x86_64::number(name) {
            Some(n) => {
                self.add(n);
                true
            }
            None => false,
        }
    }

    /// Every call whose table entry `keep` accepts: for example every call that takes a path,
    /// `calls.add_where(|d| d.args.contains(&Arg::Path))`.
    pub fn add_where(&mut self, keep: impl Fn(&SyscallDesc) -> bool) -> &mut Self {
        for (n, d) in sysgate_abi::x86_64::iter() {
            if keep(d) {
                self.add(n);
            }
        }
        self
    }

    /// Every call.
    pub fn all(&mut self) -> &mut Self {
        self.wants.iter_mut().for_each(|w| *w = true);
        self
    }
}
