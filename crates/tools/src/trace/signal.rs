//! Signals: numbers, sigsets (`[INT TERM]`, `~[RTMIN RT_1]`) and `struct sigaction`.

use super::flags::flags;
use super::{le_u64, Ctx};
use sysgate_abi::flags as f;
use sysgate_abi::signal as sig;

/// Kernel sigset size on x86-64, in bytes.
const NSIG_BYTES: u64 = 8;

/// `SIGINT`, or the number.
pub(crate) fn signal(c: &mut Ctx, v: u64) {
    let s = v as u32 as i32;
    match sig::name(s) {
        Some(n) => c.s(n),
        None => c.int(s),
    }
}

/// Prints a 64-signal mask: `[]`, `[INT TERM]`, or `~[...]` when most bits are set.
pub(crate) fn sigmask(c: &mut Ctx, mask: u64) {
    let mut m = mask;
    if m.count_ones() >= 32 {
        c.s("~");
        m = !m;
    }
    c.s("[");
    let mut first = true;
    for bit in 0..64u32 {
        if m & (1 << bit) == 0 {
            continue;
        }
        if !first {
            c.s(" ");
        }
        first = false;
        let s = bit as i32 + 1;
        match sig::short_name(s) {
            Some(n) => c.s(n),
            None => c.int(s),
        }
    }
    c.s("]");
}

/// A sigset argument of `size` bytes; output sets only when the call succeeded.
pub(crate) fn sigset_arg(c: &mut Ctx, addr: u64, size: u64, out: bool) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    if (out && !c.ok()) || size == 0 || size > NSIG_BYTES {
        c.ptr(addr);
        return;
    }
    let mut b = [0u8; 8];
    let n = usize::try_from(size).unwrap_or(8).min(8);
    let Some(dst) = b.get_mut(..n) else { return };
    if !c.mem.read(addr, dst) {
        c.ptr(addr);
        return;
    }
    let mut mask = u64::from_le_bytes(b);
    if n < 8 {
        mask &= (1u64 << (n * 8)) - 1;
    }
    sigmask(c, mask);
}

/// `struct sigaction` (kernel layout: handler, flags, restorer, mask).
/// `{sa_handler=SIG_DFL, sa_mask=[], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f...}`
pub(crate) fn sigaction(c: &mut Ctx, addr: u64, out: bool) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    let Some(b) = c.struct_at::<32>(addr, out) else {
        return;
    };
    let handler = le_u64(&b, 0);
    let fl = le_u64(&b, 8);
    let restorer = le_u64(&b, 16);
    let mask = le_u64(&b, 24);
    c.s("{sa_handler=");
    match f::name_of(f::SIG_HANDLER, handler) {
        Some(n) => c.s(n),
        None => c.hex(handler),
    }
    c.s(", sa_mask=");
    sigmask(c, mask);
    c.s(", sa_flags=");
    flags(c, f::SA, fl);
    if fl & 0x0400_0000 != 0 {
        c.s(", sa_restorer=");
        c.ptr(restorer);
    }
    c.s("}");
}

/// `stack_t`: `{ss_sp=0x7f…, ss_flags=0, ss_size=65536}` (`SS_ONSTACK`, `SS_DISABLE`,
/// `SS_AUTODISARM`); an output one only after success.
pub(crate) fn stack_t(c: &mut Ctx, addr: u64, out: bool) {
    if addr == 0 {
        c.s("NULL");
        return;
    }
    let b = if !out || c.ok() {
        c.read::<24>(addr)
    } else {
        None
    };
    let Some(b) = b else {
        c.ptr(addr);
        return;
    };
    c.s("{ss_sp=");
    c.ptr(le_u64(&b, 0));
    c.s(", ss_flags=");
    flags(c, f::SS_FLAGS, u64::from(super::le_u32(&b, 8)));
    c.w(format_args!(", ss_size={}}}", le_u64(&b, 16)));
}

/// Offset of `uc_sigmask` in the `ucontext` an `rt_sigreturn` finds at the stack pointer
/// (`uc_flags`, `uc_link`, `uc_stack`, then the 256-byte `sigcontext`).
const UC_SIGMASK: u64 = 8 + 8 + 24 + 256;

/// `rt_sigreturn({mask=[CHLD]})`: the mask the signal frame restores.
pub(crate) fn sigreturn(c: &mut Ctx) {
    if c.info.sp == 0 {
        return;
    }
    match c.read_u64(c.info.sp.wrapping_add(UC_SIGMASK)) {
        Some(m) => {
            c.s("{mask=");
            sigmask(c, m);
            c.s("}");
        }
        None => c.ptr(c.info.sp.wrapping_add(UC_SIGMASK)),
    }
}
