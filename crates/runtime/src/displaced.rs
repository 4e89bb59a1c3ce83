//! The fast path without page 0 for `P; syscall`, where `P` is the instruction right before
//! the `syscall` and is at least 3 bytes of register arithmetic: `P` moves into a trampoline
//! of the site's own, and `P; syscall` becomes a `call rel32` to it.
//!
//! This covers the shapes `trampoline.rs` (the number as an immediate) leaves: a number
//! hoisted into a register (`mov %rsi,%rax; syscall`, what gcc makes of an inline `syscall`
//! in a loop), an argument set up last (`mov %r8,%r10; syscall`, `xor %r10d,%r10d`), Go's
//! `Syscall6` (`mov %rbx,%rdi; syscall`).
//!
//! ```text
//!   site:       call slot            (was: P; syscall — L + 2 bytes, L = length of P)
//!   slot:       P                    (copied as is: registers and immediates only)
//!               [set the return address to site + L + 2, unless L = 3: the call's own]
//!               number in rax below NR_MAX? jmp *table[rax] : jmp slow entry
//!   slot+112:   "sgdispl\0", then the address of the old `syscall` (data, never run)
//! ```
//!
//! # Why this is safe
//! - **Jumps to `P`** reach the `call`, which runs `P` and the syscall: the same.
//! - **Jumps into the middle of `P`** do not exist: `P` is an instruction of the function,
//!   found by decoding it from its start in the unwind tables.
//! - **Jumps to the old `syscall`** (a retry loop with `rax` already set, or a thread that ran
//!   the old `P` just before the swap) must still make the syscall, with the program's `rax`.
//!   The bytes there must therefore trap. With `L >= 5` they are `ud2` (after `int3` filler).
//!   With `L = 3` they are the top two bytes of the call's displacement, and with `L = 4` its
//!   top byte and the byte after the call: the trampoline is placed where the displacement
//!   makes those bytes an undefined instruction (`fe /2-7` or `ff /7` with a register operand,
//!   or `ud2`). The SIGILL handler recognises the address by the slot's record ([`is_trap`])
//!   and makes the syscall as the `syscall` would have, returning after it.
//! - **Other threads.** The trampoline is written first; then the site's bytes change in one
//!   `lock cmpxchg16b` of the aligned 16-byte block holding them (sites that straddle a block
//!   are left to `padding.rs`), so an instruction fetch sees all old or all new bytes.
//! - **What `P` may be.** Registers (32- or 64-bit, never `rsp`) and immediates only, and
//!   `lea` from registers: no memory access (that could fault at another address) and nothing
//!   relative to `rip` or `rsp` (the call moved both). `P` runs before the trampoline touches
//!   `rcx` and `r11`, so it reads the program's values.
#![allow(unsafe_code)]

use crate::raw::sys;
use crate::sites::{self, SLOT};
use crate::{entry, guest};

/// Slots per displaced site: `P` (up to 15 bytes), the return fix and the dispatch fit in
/// 112 bytes; the record follows.
const SLOTS: u64 = 2;
const RECORD_AT: u64 = 112;
const MAGIC: [u8; 8] = *b"sgdispl\0";

/// The address of the old `syscall` recorded in the slot at `at`, if it is a displaced
/// site's slot.
fn recorded_trap(at: u64) -> Option<u64> {
    let mut rec = [0u8; 16];
    if !guest::read(at + RECORD_AT, &mut rec) || rec[..8] != MAGIC {
        return None;
    }
    Some(u64::from_le_bytes(rec[8..].try_into().ok()?))
}

/// Is `at` the start of a displaced site's slot?
pub(crate) fn is_displaced_slot(at: u64) -> bool {
    matches!(sites::region_of(at), Some(b) if (at - b) % SLOT == 0) && recorded_trap(at).is_some()
}

/// Is the instruction at `rip` the trapping stand-in for the `syscall` of a displaced site?
pub fn is_trap(rip: u64) -> bool {
    (3..=15u64).any(|l| {
        let site = rip.wrapping_sub(l);
        let mut call = [0u8; 5];
        if !guest::read(site, &mut call) || call[0] != 0xe8 {
            return false;
        }
        let rel = i32::from_le_bytes([call[1], call[2], call[3], call[4]]) as i64;
        let slot = (site as i64 + 5 + rel) as u64;
        is_displaced_slot(slot) && recorded_trap(slot) == Some(rip)
    })
}

/// Whether the instruction `bytes` (exactly `len` bytes) can run in a trampoline instead of
/// at its own address: register arithmetic without `rsp`, memory or `rip`.
fn relocatable(bytes: &[u8; 16], len: usize) -> bool {
    use yaxpeax_arch::{Decoder, LengthedInstruction, U8Reader};
    use yaxpeax_x86::long_mode::{register_class, InstDecoder, Opcode, Operand, RegSpec};
    let mut reader = U8Reader::new(&bytes[..]);
    let Ok(inst) = InstDecoder::default().decode(&mut reader) else { return false };
    if inst.len().to_const() as usize != len || inst.prefixes.lock() {
        return false;
    }
    use Opcode::*;
    let op = inst.opcode();
    if !matches!(op, MOV | MOVZX | MOVSX | MOVSXD | XOR | ADD | SUB | AND | OR | CMP | TEST | INC | DEC | NEG | NOT | LEA) {
        return false;
    }
    let gpr = |r: RegSpec| (r.class() == register_class::Q || r.class() == register_class::D) && r.num() != 4;
    (0..inst.operand_count()).all(|i| match inst.operand(i) {
        Operand::Register { reg } => gpr(reg),
        Operand::ImmediateI8 { .. }
        | Operand::ImmediateU8 { .. }
        | Operand::ImmediateI16 { .. }
        | Operand::ImmediateU16 { .. }
        | Operand::ImmediateI32 { .. }
        | Operand::ImmediateU32 { .. }
        | Operand::ImmediateI64 { .. }
        | Operand::ImmediateU64 { .. } => true,
        // `lea` computes an address without touching memory.
        Operand::MemDeref { base } | Operand::Disp { base, .. } => op == LEA && gpr(base),
        Operand::MemIndexScale { index, .. } | Operand::MemIndexScaleDisp { index, .. } => op == LEA && gpr(index),
        Operand::MemBaseIndexScale { base, index, .. } | Operand::MemBaseIndexScaleDisp { base, index, .. } => {
            op == LEA && gpr(base) && gpr(index)
        }
        _ => false,
    })
}

/// A slot for the site at `site` whose `syscall` is `l` bytes further, and the site's new
/// bytes (`l + 2` of them).
fn place(site: u64, l: u64) -> Option<(u64, [u8; 17])> {
    let mut new = [0xccu8; 17];
    new[0] = 0xe8;
    let call = |new: &mut [u8; 17], slot: u64| -> bool {
        let Ok(rel) = i32::try_from(slot as i64 - (site as i64 + 5)) else { return false };
        new[1..5].copy_from_slice(&rel.to_le_bytes());
        true
    };
    // The window of slots for which the displacement's top bytes read `hi`.
    let window = |shift: u32, hi: i64| -> (u64, u64) {
        let lo = (site as i64 + 5 + (hi << shift)) as u64;
        (lo, lo + (1u64 << shift))
    };
    match l {
        3 => {
            // The displacement's bytes 2 and 3 are the trap: `ff /7` or `fe /2-7` with a
            // register operand (mod = 11), nearest below the site first, else `ud2` above.
            let mut pairs = [(0u8, 0u8); 60];
            let mut n = 0;
            for m in (0xd0..=0xffu8).rev() {
                if m >= 0xf8 {
                    pairs[n] = (0xff, m);
                    n += 1;
                }
                pairs[n] = (0xfe, m);
                n += 1;
            }
            pairs[n] = (0x0f, 0x0b);
            n += 1;
            for &(a, b) in &pairs[..n] {
                let hi = u16::from_le_bytes([a, b]) as i16 as i64;
                if let Some(slot) = sites::alloc(site, SLOTS, Some(window(16, hi))) {
                    if call(&mut new, slot) && new[3..5] == [a, b] {
                        return Some((slot, new));
                    }
                }
            }
            None
        }
        4 => {
            // The displacement's top byte and the byte after the call: `ff ff` or `fe ff`
            // (16 MiB windows below the site), else `ud2` above.
            for (a, b) in [(0xffu8, 0xffu8), (0xfe, 0xff), (0x0f, 0x0b)] {
                if let Some(slot) = sites::alloc(site, SLOTS, Some(window(24, a as i8 as i64))) {
                    new[5] = b;
                    if call(&mut new, slot) && new[4..6] == [a, b] {
                        return Some((slot, new));
                    }
                }
            }
            None
        }
        5..=15 => {
            let slot = sites::alloc(site, SLOTS, None)?;
            new[l as usize..l as usize + 2].copy_from_slice(&[0x0f, 0x0b]);
            call(&mut new, slot).then_some((slot, new))
        }
        _ => None,
    }
}

/// The trampoline for the site at `site` (instruction `p`, `l` bytes, then the `syscall`),
/// placed at `slot`.
fn slot_code(slot: u64, site: u64, p: &[u8], table: u64, slow: u64) -> [u8; (SLOTS * SLOT) as usize] {
    let l = p.len();
    let mut c = [0xccu8; (SLOTS * SLOT) as usize];
    c[..l].copy_from_slice(p);
    let mut at = l;
    if l != 3 {
        // The call returned to site + 5; the program continues after the old syscall.
        c[at..at + 11].copy_from_slice(&sites::set_return(slot + at as u64, site + l as u64 + 2));
        at += 11;
    }
    c[at..at + sites::DISPATCH_LEN].copy_from_slice(&sites::dispatch(table, slow));
    let r = RECORD_AT as usize;
    c[r..r + 8].copy_from_slice(&MAGIC);
    c[r + 8..r + 16].copy_from_slice(&(site + l as u64).to_le_bytes());
    c
}

/// Rewrites `P; syscall` (the `syscall` at `syscall_at`, in the image at `base`, code pages of
/// protection `code_prot`). Called with the rewriter's lock held. Returns whether the site was
/// rewritten.
pub(crate) fn try_rewrite(base: u64, syscall_at: u64, code_prot: u32) -> bool {
    let Some(site) = crate::trampoline::insn_before(base, syscall_at) else { return false };
    let l = syscall_at - site;
    let block = site & !15;
    if !(3..=14).contains(&l) || syscall_at + 2 > block + 16 {
        return false; // too short for a call, or straddles a 16-byte block
    }
    let mut p = [0u8; 16];
    if !guest::read(site, &mut p) || !relocatable(&p, l as usize) {
        return false;
    }
    let Some((slot, new)) = place(site, l) else { return false };
    let code = slot_code(slot, site, &p[..l as usize], entry::table_address(), entry::slow_address());
    if !sites::write_code(slot, &code, sys::PROT_READ | sys::PROT_EXEC) {
        return false;
    }
    let mut old = [0u8; 16];
    if !guest::read(block, &mut old) || old[(syscall_at - block) as usize..][..2] != [0x0f, 0x05] {
        return false;
    }
    let off = (site - block) as usize;
    let mut bytes = old;
    bytes[off..off + l as usize + 2].copy_from_slice(&new[..l as usize + 2]);
    // SAFETY: the block is 16-byte aligned and lies in the site's page, writable (and still
    // executable) inside the closure.
    sites::with_page_writable(site, code_prot, || unsafe { crate::rewrite::cmpxchg16(block, old, bytes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(b: &[u8]) -> [u8; 16] {
        let mut a = [0u8; 16];
        a[..b.len()].copy_from_slice(b);
        a
    }

    #[test]
    fn what_may_move() {
        assert!(relocatable(&bytes(&[0x48, 0x89, 0xf0]), 3)); // mov %rsi,%rax
        assert!(relocatable(&bytes(&[0x45, 0x31, 0xd2]), 3)); // xor %r10d,%r10d
        assert!(relocatable(&bytes(&[0x4d, 0x89, 0xc2]), 3)); // mov %r8,%r10
        assert!(relocatable(&bytes(&[0x48, 0x89, 0xdf]), 3)); // mov %rbx,%rdi
        assert!(relocatable(&bytes(&[0xbe, 1, 0, 0, 0]), 5)); // mov $1,%esi
        assert!(relocatable(&bytes(&[0x48, 0xc7, 0xc0, 0x27, 0, 0, 0]), 7)); // mov $39,%rax
        assert!(relocatable(&bytes(&[0x48, 0x8d, 0x47, 0x01]), 4)); // lea 1(%rdi),%rax
        assert!(!relocatable(&bytes(&[0x48, 0x89, 0xe0]), 3)); // mov %rsp,%rax
        assert!(!relocatable(&bytes(&[0x48, 0x8b, 0x44, 0x24, 0x08]), 5)); // mov 8(%rsp),%rax
        assert!(!relocatable(&bytes(&[0x48, 0x8b, 0x07]), 3)); // mov (%rdi),%rax
        assert!(!relocatable(&bytes(&[0x48, 0x8d, 0x05, 0, 0, 0, 0]), 7)); // lea 0(%rip),%rax
        assert!(!relocatable(&bytes(&[0x89, 0x35, 0, 0, 0, 0]), 6)); // mov %esi,0(%rip)
        assert!(!relocatable(&bytes(&[0x41, 0x5c]), 2)); // pop %r12
        assert!(!relocatable(&bytes(&[0x66, 0x89, 0xf0]), 3)); // mov %si,%ax
        assert!(!relocatable(&bytes(&[0x48, 0x89, 0xf0]), 4)); // length mismatch
    }

    #[test]
    fn trampoline_layout() {
        let slot = 0x7f00_1000_0000u64;
        let site = slot - 0x0100_0000;
        let c = slot_code(slot, site, &[0x48, 0x89, 0xf0], 0x1111, 0x2222);
        assert_eq!(c[..3], [0x48, 0x89, 0xf0]);
        assert_eq!(c[3..3 + sites::DISPATCH_LEN], sites::dispatch(0x1111, 0x2222));
        assert_eq!(c[112..120], MAGIC);
        assert_eq!(u64::from_le_bytes(c[120..128].try_into().unwrap()), site + 3);
        let c = slot_code(slot, site, &[0xbe, 1, 0, 0, 0], 0x1111, 0x2222);
        assert_eq!(c[5..16], sites::set_return(slot + 5, site + 7));
        assert_eq!(c[16..16 + sites::DISPATCH_LEN], sites::dispatch(0x1111, 0x2222));
    }

    /// The trap bytes a 3- or 4-byte `P` leaves at the old `syscall` decode as undefined
    /// instructions (the decoder refuses them) or as `ud2`.
    #[test]
    fn trap_bytes_are_undefined() {
        use yaxpeax_arch::{Decoder, U8Reader};
        use yaxpeax_x86::long_mode::{InstDecoder, Opcode};
        let decodes_as = |b: [u8; 2]| {
            let buf = bytes(&b);
            let mut r = U8Reader::new(&buf[..]);
            InstDecoder::default().decode(&mut r).ok().map(|i| i.opcode())
        };
        for m in 0xd0..=0xffu8 {
            assert_eq!(decodes_as([0xfe, m]), None, "fe {m:02x}");
        }
        for m in 0xf8..=0xffu8 {
            assert_eq!(decodes_as([0xff, m]), None, "ff {m:02x}");
        }
        assert_eq!(decodes_as([0x0f, 0x0b]), Some(Opcode::UD2));
    }
}
