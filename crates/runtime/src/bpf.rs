//! Classic BPF for seccomp filters: the instruction layout and the opcodes and return values
//! the runtime's filters use (the vsyscall trap in `vsyscall.rs`, the sandbox in `filter.rs`).

/// `struct sock_filter`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockFilter {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// `struct sock_fprog`.
#[repr(C)]
pub struct SockFprog {
    pub len: u16,
    pub filter: *const SockFilter,
}

/// BPF_LD | BPF_W | BPF_ABS: load a 32-bit word of `struct seccomp_data`.
pub const LD_W_ABS: u16 = 0x20;
/// BPF_JMP | BPF_JEQ | BPF_K
pub const JEQ_K: u16 = 0x15;
/// BPF_JMP | BPF_JSET | BPF_K
pub const JSET_K: u16 = 0x45;
/// BPF_JMP | BPF_JA
pub const JA: u16 = 0x05;
/// BPF_ALU | BPF_AND | BPF_K
pub const AND_K: u16 = 0x54;
/// BPF_RET | BPF_K
pub const RET_K: u16 = 0x06;

pub const RET_ALLOW: u32 = 0x7fff_0000;
pub const RET_ERRNO: u32 = 0x0005_0000;
pub const RET_TRAP: u32 = 0x0003_0000;
pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
