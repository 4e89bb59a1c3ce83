//! The register frame: `struct pt_regs` of x86-64, in the kernel's own order.
//!
//! The entry builds it on the thread's entry stack; handlers read arguments from it and write
//! the result into `rax`.

/// Saved user registers, laid out exactly as the kernel's `struct pt_regs`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Regs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub orig_rax: u64,
    pub rip: u64,
    pub cs: u64,
    pub eflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// Byte offsets used by the entry's assembly.
pub mod off {
    pub const R15: usize = 0;
    pub const R14: usize = 8;
    pub const R13: usize = 16;
    pub const R12: usize = 24;
    pub const RBP: usize = 32;
    pub const RBX: usize = 40;
    pub const R11: usize = 48;
    pub const R10: usize = 56;
    pub const R9: usize = 64;
    pub const R8: usize = 72;
    pub const RAX: usize = 80;
    pub const RCX: usize = 88;
    pub const RDX: usize = 96;
    pub const RSI: usize = 104;
    pub const RDI: usize = 112;
    pub const ORIG_RAX: usize = 120;
    pub const RIP: usize = 128;
    pub const CS: usize = 136;
    pub const EFLAGS: usize = 144;
    pub const RSP: usize = 152;
    pub const SS: usize = 160;
    pub const SIZE: usize = 168;
}

const _: () = assert!(core::mem::size_of::<Regs>() == off::SIZE);

impl Regs {
    /// The six syscall arguments, in x86-64 syscall order (rdi, rsi, rdx, r10, r8, r9).
    pub fn args(&self) -> [u64; 6] {
        [self.rdi, self.rsi, self.rdx, self.r10, self.r8, self.r9]
    }
    pub fn set_args(&mut self, a: [u64; 6]) {
        self.rdi = a[0];
        self.rsi = a[1];
        self.rdx = a[2];
        self.r10 = a[3];
        self.r8 = a[4];
        self.r9 = a[5];
    }
}
