//! The fast path without page 0 for `P; syscall`, where `P` is the instruction right before
//! the `syscall` and is at least 3 bytes of register arithmetic: `P` moves into a trampoline
//! of the site's own, and `P; syscall` becomes filler and a `call rel32` to it that ends where
//! the `syscall` ended.
//!
//! This covers `mov $nr,%eax; syscall` (most of glibc's sites) and the shapes with the number
//! elsewhere: hoisted into a register (`mov %rsi,%rax; syscall`, what gcc makes of an inline
//! `syscall` in a loop), an argument set up last (`mov %r8,%r10`, `xor %r10d,%r10d`), Go's
//! `Syscall6` (`mov %rbx,%rdi`).
//!
//! ```text
//!   site:       filler               (L - 3 bytes: mov %rax,%rax / nop)
//!               call slot            (ends at site + L + 2, after the old syscall)
//!   slot:       P                    (copied as is: registers and immediates only)
//!               number in rax below NR_MAX? jmp *table[rax] : jmp slow entry
//!               (for P = mov $nr,%eax: jmp *table[nr])
//!   slot+104:   "sgdispl\0", the site's address, the old `syscall`'s (data, never run)
//! ```
//!
//! The call's return address is its own, where the entry's `jmp *%rcx` goes back to
//! (`trampoline.rs` has to move it past a `ud2`: a pop, a lea and a push more per call).
//!
//! # Why this is safe
//! - **Jumps to `P`** reach the filler and the call, which runs `P` and the syscall.
//! - **Jumps into the middle of `P`** do not exist: `P` is an instruction of the function,
//!   found by decoding it from its start in the unwind tables.
//! - **Jumps to the old `syscall`** (a retry loop with `rax` already set, or a thread that ran
//!   the old `P` just before the swap) must still make the syscall, with the program's `rax`.
//!   Those two bytes are now the top bytes of the call's displacement, so the slot is placed
//!   where they spell an undefined instruction: `ff /7` or `fe /2-7` with a register operand
//!   (64 KiB windows 16–750 MiB below the site), else `ud2` (185 MiB above). The SIGILL
//!   handler recognises the address by the slot's record ([`is_trap`]) and makes the syscall
//!   as the `syscall` would have, returning after it.
//! - **Other threads.** The trampoline is written first; then the site's bytes change in one
//!   `lock cmpxchg16b` of the aligned 16-byte block holding them, so an instruction fetch
//!   sees all old or all new bytes. A site that straddles two blocks changes in steps behind
//!   an `int3` over its first byte ([`try_rewrite`], [`int3_site`]).
//! - **What `P` may be.** Registers (32- or 64-bit, never `rsp`) and immediates only, and
//!   `lea` from registers: no memory access (that could fault at another address) and nothing
//!   relative to `rsp` (the call moved it). `P` runs before the trampoline touches `rcx` and
//!   `r11`, so it reads the program's values. The filler changes no register and no flag.
//! - **Two short instructions.** A `P` of 1 or 2 bytes moves together with the instruction
//!   before it when both are relocatable, and only when no branch of the function lands
//!   between them ([`try_rewrite_pair`]).
//! - **`lea disp(%rip), %reg`** (64-bit) computes an address from where it stands; the
//!   trampoline runs `movabs $address, %reg` instead, the address it would have computed at
//!   the site (no memory access, no flags, either way). glibc's `start_thread` sets up its
//!   `rt_sigprocmask` so, which every new thread runs once.
use crate::raw::sys;
use crate::rewrite::sites::{self, SLOT};
use crate::rewrite::sled::Swap;
use crate::{memory::guest, ways_in::entry};
use core::sync::atomic::{AtomicU64, Ordering};

/// Slots per displaced site: `P` (up to 14 bytes) and the dispatch fit in 104 bytes; the
/// record follows.
const SLOTS: u64 = 2;
const RECORD_AT: u64 = 104;
const MAGIC: [u8; 8] = *b"sgdispl\0";

/// The record in the slot at `at`, if it is a displaced site's slot: where the site starts
/// and where its old `syscall` was.
fn record(at: u64) -> Option<(u64, u64)> {
    if !matches!(sites::region_of(at), Some(b) if (at - b).is_multiple_of(SLOT)) {
        return None;
    }
    let mut rec = [0u8; 24];
    if !guest::read(at + RECORD_AT, &mut rec) || rec[..8] != MAGIC {
        return None;
    }
    Some((
        u64::from_le_bytes(rec[8..16].try_into().ok()?),
        u64::from_le_bytes(rec[16..].try_into().ok()?),
    ))
}

/// Is `at` the start of a displaced site's slot?
pub(crate) fn is_displaced_slot(at: u64) -> bool {
    record(at).is_some()
}

/// The displaced slot a `call rel32` at `call_at` goes to, if it is one: the slot, and its
/// record (the site, the old `syscall`).
fn called_slot(call_at: u64) -> Option<(u64, u64, u64)> {
    let mut call = [0u8; 5];
    if !guest::read(call_at, &mut call) || call[0] != 0xe8 {
        return None;
    }
    let rel = i32::from_le_bytes([call[1], call[2], call[3], call[4]]) as i64;
    let slot = (call_at as i64 + 5 + rel) as u64;
    record(slot).map(|(site, trap)| (slot, site, trap))
}

/// Is the instruction at `rip` the trapping stand-in for the `syscall` of a displaced site
/// (the top bytes of a call's displacement)?
pub fn is_trap(rip: u64) -> bool {
    matches!(called_slot(rip.wrapping_sub(3)), Some((_, _, trap)) if trap == rip)
}

/// Whether the instruction `bytes` (exactly `len` bytes) can run in a trampoline instead of
/// at its own address: register arithmetic without `rsp`, memory or `rip`.
fn relocatable(bytes: &[u8; 16], len: usize) -> bool {
    use yaxpeax_arch::{Decoder, LengthedInstruction, U8Reader};
    use yaxpeax_x86::long_mode::{register_class, InstDecoder, Opcode, Operand, RegSpec};
    let mut reader = U8Reader::new(&bytes[..]);
    let Ok(inst) = InstDecoder::default().decode(&mut reader) else {
        return false;
    };
    if inst.len().to_const() as usize != len || inst.prefixes.lock() {
        return false;
    }
    use Opcode::*;
    let op = inst.opcode();
    if !matches!(
        op,
        MOV | MOVZX
            | MOVSX
            | MOVSXD
            | XOR
            | ADD
            | SUB
            | AND
            | OR
            | CMP
            | TEST
            | INC
            | DEC
            | NEG
            | NOT
            | LEA
    ) {
        return false;
    }
    let gpr = |r: RegSpec| {
        (r.class() == register_class::Q || r.class() == register_class::D) && r.num() != 4
    };
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
        Operand::MemIndexScale { index, .. } | Operand::MemIndexScaleDisp { index, .. } => {
            op == LEA && gpr(index)
        }
        Operand::MemBaseIndexScale { base, index, .. }
        | Operand::MemBaseIndexScaleDisp { base, index, .. } => {
            op == LEA && gpr(base) && gpr(index)
        }
        _ => false,
    })
}

/// What runs in the trampoline for the instruction `bytes` (exactly `len` bytes) found at
/// `at`: the instruction itself if it is [`relocatable`], `movabs $address, %reg` for a
/// 64-bit `lea disp32(%rip), %reg` (not `rsp`), else nothing.
fn moved(bytes: &[u8; 16], len: usize, at: u64) -> Option<([u8; 16], usize)> {
    if relocatable(bytes, len) {
        return Some((*bytes, len));
    }
    // REX.W (with REX.R for r8-r15), 8d, ModRM mod=00 rm=101: rip + disp32.
    let [rex, 0x8d, modrm, d0, d1, d2, d3, ..] = *bytes else {
        return None;
    };
    if len != 7 || rex & 0xfb != 0x48 || modrm & 0xc7 != 0x05 {
        return None;
    }
    let reg = (modrm >> 3) & 7 | if rex & 0x04 != 0 { 8 } else { 0 };
    if reg == 4 {
        return None;
    }
    let address = (at + 7).wrapping_add(i32::from_le_bytes([d0, d1, d2, d3]) as i64 as u64);
    let mut out = [0u8; 16];
    out[0] = 0x48 | (reg >> 3); // REX.W, REX.B for r8-r15
    out[1] = 0xb8 + (reg & 7);
    out[2..10].copy_from_slice(&address.to_le_bytes());
    Some((out, 10))
}

/// The bytes that fill `[site, site + n)` in front of the call: `mov %rax,%rax` (3 bytes),
/// after one `nop` or `66 nop` for the remainder. No run of them is 5 bytes of padding, so
/// `padding.rs` never takes them for alignment.
fn filler(n: usize, out: &mut [u8]) {
    let mut at = match n % 3 {
        0 => 0,
        1 => {
            out[0] = 0x90;
            1
        }
        _ => {
            out[..2].copy_from_slice(&[0x66, 0x90]);
            2
        }
    };
    while at < n {
        out[at..at + 3].copy_from_slice(&[0x48, 0x89, 0xc0]);
        at += 3;
    }
}

/// The undefined instructions the displacement's two top bytes may spell, nearest window
/// below the call first: `ff /7` and `fe /2-7` with a register operand (mod = 11), then `ud2`
/// (a window 185 MiB above).
fn trap_pairs() -> impl Iterator<Item = (u8, u8)> {
    (0xd0..=0xffu8)
        .rev()
        .flat_map(|m| [(m >= 0xf8).then_some((0xff, m)), Some((0xfe, m))])
        .flatten()
        .chain(core::iter::once((0x0f, 0x0b)))
}

/// A slot for the site at `site` whose `syscall` is `l` bytes further, and the site's new
/// bytes (`l + 2` of them): filler, then a call whose displacement's top two bytes, where the
/// `syscall` was, are a trap; with `keep_0f` (a `syscall` that straddles a cache line, see
/// [`Swap`]) only `ud2`, whose `0f` is already in place.
fn place(site: u64, l: u64, keep_0f: bool) -> Option<(u64, [u8; 16])> {
    let call_at = site + l - 3;
    // Regions already mapped first, for every trap; then a new region.
    let tries = [false, true]
        .into_iter()
        .flat_map(|map| trap_pairs().map(move |p| (map, p)));
    for (map, (a, b)) in tries.filter(|&(_, (a, _))| !keep_0f || a == 0x0f) {
        // The slots for which the displacement reads `xx xx a b`.
        let hi = u16::from_le_bytes([a, b]) as i16 as i64;
        let lo = (call_at as i64 + 5 + (hi << 16)) as u64;
        let Some(slot) = sites::alloc(call_at, SLOTS, Some((lo, lo + 0x10000)), map) else {
            continue;
        };
        let Ok(rel) = i32::try_from(slot as i64 - (call_at as i64 + 5)) else {
            continue;
        };
        let mut new = [0u8; 16];
        let f = (l - 3) as usize;
        filler(f, &mut new);
        new[f] = 0xe8;
        new[f + 1..f + 5].copy_from_slice(&rel.to_le_bytes());
        if new[f + 3..f + 5] == [a, b] {
            return Some((slot, new));
        }
    }
    None
}

/// The trampoline for the site at `site`, whose old `syscall` was at `trap`: `p` (what runs in
/// place of the instructions moved from the site) then the dispatch; for `mov $nr,%eax` with
/// `nr` in the table, straight to its entry.
fn slot_code(
    site: u64,
    trap: u64,
    p: &[u8],
    table: u64,
    slow: u64,
) -> [u8; (SLOTS * SLOT) as usize] {
    let l = p.len();
    let mut c = [0xccu8; (SLOTS * SLOT) as usize];
    c[..l].copy_from_slice(p);
    match p {
        &[0xb8, a, b, c2, d]
            if (u32::from_le_bytes([a, b, c2, d]) as usize) < crate::api::NR_MAX =>
        {
            let nr = u32::from_le_bytes([a, b, c2, d]) as u64;
            c[5..7].copy_from_slice(&[0x49, 0xbb]); // movabs $&table[nr], %r11
            c[7..15].copy_from_slice(&(table + nr * 8).to_le_bytes());
            c[15..18].copy_from_slice(&[0x41, 0xff, 0x23]); // jmp *(%r11)
        }
        _ => c[l..l + sites::DISPATCH_LEN].copy_from_slice(&sites::dispatch(table, slow)),
    }
    let r = RECORD_AT as usize;
    c[r..r + 8].copy_from_slice(&MAGIC);
    c[r + 8..r + 16].copy_from_slice(&site.to_le_bytes());
    c[r + 16..r + 24].copy_from_slice(&trap.to_le_bytes());
    c
}

/// The site being rewritten in steps right now (one at a time, under the rewriter's lock):
/// its address, its slot and where it returns to; 0 when none.
static PATCHING: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];

/// A thread stopped by an `int3` at `site` (`rip - 1`, `si_code` SI_KERNEL) that stands for the
/// first byte of a displaced site, being rewritten in steps or just finished: the site's slot
/// and return address. The handler then makes the call the site now makes: pushes the return
/// address and goes to the slot, which runs `P` and the syscall.
pub fn int3_site(site: u64) -> Option<(u64, u64)> {
    if site != 0 && PATCHING[0].load(Ordering::SeqCst) == site {
        return Some((
            PATCHING[1].load(Ordering::SeqCst),
            PATCHING[2].load(Ordering::SeqCst),
        ));
    }
    (3..=14u64).find_map(|l| match called_slot(site + l - 3) {
        Some((slot, s, trap)) if (s, trap) == (site, site + l) => Some((slot, site + l + 2)),
        _ => None,
    })
}

/// Rewrites `P; syscall` (the `syscall` at `syscall_at`, in the image at `base`, code pages of
/// protection `code_prot`). Called with the rewriter's lock held. Returns whether the site was
/// rewritten.
pub(crate) fn try_rewrite(base: u64, syscall_at: u64, code_prot: u32) -> bool {
    if !crate::config::get().displace {
        return false; // `--no-displace`
    }
    let Some(site) = crate::rewrite::trampoline::insn_before(base, syscall_at) else {
        return false;
    };
    let l = syscall_at - site;
    if !(3..=14).contains(&l) {
        return false; // too short for a call
    }
    let mut p = [0u8; 16];
    if !guest::read(site, &mut p) {
        return false;
    }
    let Some((run, run_len)) = moved(&p, l as usize, site) else {
        return false;
    };
    rewrite_as(site, syscall_at, &run[..run_len], code_prot)
}

/// Rewrites `P1; P2; syscall` where `P2` is shorter than a call needs (1 or 2 bytes: glibc's
/// thread exit is `xor %edi,%edi; mov %edx,%eax; syscall`) and both are relocatable: the pair
/// moves into the trampoline. The call then covers `P2`'s address, so this is done only when
/// no jump can land there: the function decodes cleanly, no direct branch of it targets `P2`
/// and it has no indirect `jmp` (`padding::no_branch_lands_on`). Tried after the other
/// rewrites (a jump into padding leaves `P1` and `P2` in place).
pub(crate) fn try_rewrite_pair(base: u64, syscall_at: u64, code_prot: u32) -> bool {
    if !crate::config::get().displace {
        return false;
    }
    let Some(p2) = crate::rewrite::trampoline::insn_before(base, syscall_at) else {
        return false;
    };
    let Some(p1) = crate::rewrite::trampoline::insn_before(base, p2) else {
        return false;
    };
    let (l1, l2) = (p2 - p1, syscall_at - p2);
    if l2 >= 3 || !(3..=14).contains(&(l1 + l2)) {
        return false;
    }
    let (mut b1, mut b2) = ([0u8; 16], [0u8; 16]);
    if !guest::read(p1, &mut b1) || !guest::read(p2, &mut b2) {
        return false;
    }
    if !relocatable(&b1, l1 as usize) || !relocatable(&b2, l2 as usize) {
        return false;
    }
    if !crate::rewrite::padding::no_branch_lands_on(base, p2) {
        return false;
    }
    let (l1, l2) = (l1 as usize, l2 as usize);
    let mut run = [0u8; 16];
    run[..l1].copy_from_slice(&b1[..l1]);
    run[l1..l1 + l2].copy_from_slice(&b2[..l2]);
    rewrite_as(p1, syscall_at, &run[..l1 + l2], code_prot)
}

/// The rewrite of the site at `site`, whose `syscall` is at `syscall_at`, into a call to a
/// trampoline that runs `run` (what stood between them, or its equivalent) and the syscall.
fn rewrite_as(site: u64, syscall_at: u64, run: &[u8], code_prot: u32) -> bool {
    let l = syscall_at - site;
    let how = crate::rewrite::sled::swap_kind(site, l + 2);
    let Some((slot, new)) = place(site, l, how == (Swap::Steps { keep_0f: true })) else {
        return false;
    };
    let code = slot_code(
        site,
        syscall_at,
        run,
        entry::table_address(),
        entry::slow_address(),
    );
    if !sites::write_code(slot, &code, sys::PROT_READ | sys::PROT_EXEC) {
        return false;
    }
    let new = &new[..l as usize + 2];
    if how == Swap::Block {
        return crate::rewrite::sled::swap_site(site, new, code_prot, how);
    }
    // In steps: a thread that meets the `int3` is sent to the slot by the SIGTRAP handler (see
    // [`int3_site`]); one that ran the old `P` meets the trap, and the SIGILL handler makes its
    // syscall.
    PATCHING[1].store(slot, Ordering::SeqCst);
    PATCHING[2].store(syscall_at + 2, Ordering::SeqCst);
    PATCHING[0].store(site, Ordering::SeqCst);
    let done = crate::rewrite::sled::swap_site(site, new, code_prot, how);
    PATCHING[0].store(0, Ordering::SeqCst);
    done
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
    fn rip_relative_lea_becomes_movabs() {
        // lea 0x1178dd(%rip),%rsi at 0x1000: the address of the next instruction plus disp.
        let (b, n) = moved(
            &bytes(&[0x48, 0x8d, 0x35, 0xdd, 0x78, 0x11, 0x00]),
            7,
            0x1000,
        )
        .unwrap();
        assert_eq!(n, 10);
        assert_eq!(b[..2], [0x48, 0xbe]); // movabs $imm64,%rsi
        assert_eq!(
            u64::from_le_bytes(b[2..10].try_into().unwrap()),
            0x1007 + 0x1178dd
        );
        // lea -0x10(%rip),%r9: REX.R becomes REX.B; a negative displacement.
        let (b, _) = moved(
            &bytes(&[0x4c, 0x8d, 0x0d, 0xf0, 0xff, 0xff, 0xff]),
            7,
            0x1000,
        )
        .unwrap();
        assert_eq!(b[..2], [0x49, 0xb9]); // movabs $imm64,%r9
        assert_eq!(
            u64::from_le_bytes(b[2..10].try_into().unwrap()),
            0x1007 - 0x10
        );
        // The movabs decodes as such, with the same register.
        use yaxpeax_arch::{Decoder, U8Reader};
        let mut r = U8Reader::new(&b[..]);
        use yaxpeax_x86::long_mode::{Opcode, Operand, RegSpec};
        let i = yaxpeax_x86::long_mode::InstDecoder::default()
            .decode(&mut r)
            .unwrap();
        assert_eq!(i.opcode(), Opcode::MOV);
        assert!(matches!(i.operand(0), Operand::Register { reg } if reg == RegSpec::r9()));
        assert!(matches!(i.operand(1), Operand::ImmediateI64 { imm } if imm == 0x1007 - 0x10));
        // Not moved: into rsp; a 32-bit lea; a load from rip; a 4-byte lea.
        assert!(moved(&bytes(&[0x48, 0x8d, 0x25, 0, 0, 0, 0]), 7, 0x1000).is_none());
        assert!(moved(&bytes(&[0x8d, 0x35, 0, 0, 0, 0]), 6, 0x1000).is_none());
        assert!(moved(&bytes(&[0x48, 0x8b, 0x35, 0, 0, 0, 0]), 7, 0x1000).is_none());
        // Relocatable instructions move as they are.
        assert_eq!(
            moved(&bytes(&[0x48, 0x89, 0xf0]), 3, 0x1000).map(|(b, n)| (b[..3].to_vec(), n)),
            Some((vec![0x48, 0x89, 0xf0], 3))
        );
    }

    #[test]
    fn trampoline_layout() {
        let c = slot_code(
            0x5555_0000_1000,
            0x5555_0000_1003,
            &[0x48, 0x89, 0xf0],
            0x1111,
            0x2222,
        );
        assert_eq!(c[..3], [0x48, 0x89, 0xf0]);
        assert_eq!(
            c[3..3 + sites::DISPATCH_LEN],
            sites::dispatch(0x1111, 0x2222)
        );
        assert!(14 + sites::DISPATCH_LEN <= RECORD_AT as usize); // the longest P fits
        assert_eq!(c[104..112], MAGIC);
        assert_eq!(
            u64::from_le_bytes(c[112..120].try_into().unwrap()),
            0x5555_0000_1000
        );
        assert_eq!(
            u64::from_le_bytes(c[120..128].try_into().unwrap()),
            0x5555_0000_1003
        );
        // mov $110,%eax: straight to table[110].
        let c = slot_code(
            0x5555_0000_1000,
            0x5555_0000_1005,
            &[0xb8, 110, 0, 0, 0],
            0x1000,
            0x2222,
        );
        assert_eq!(c[5..7], [0x49, 0xbb]);
        assert_eq!(
            u64::from_le_bytes(c[7..15].try_into().unwrap()),
            0x1000 + 110 * 8
        );
        assert_eq!(c[15..18], [0x41, 0xff, 0x23]);
        // A number past the table goes through the dispatch (and the slow entry).
        let c = slot_code(
            0x5555_0000_1000,
            0x5555_0000_1005,
            &[0xb8, 0, 0x10, 0, 0],
            0x1000,
            0x2222,
        );
        assert_eq!(
            c[5..5 + sites::DISPATCH_LEN],
            sites::dispatch(0x1000, 0x2222)
        );
    }

    #[test]
    fn filler_is_harmless_and_no_padding() {
        use yaxpeax_arch::{Decoder, LengthedInstruction, U8Reader};
        use yaxpeax_x86::long_mode::{InstDecoder, Opcode};
        for n in 0..=11usize {
            let mut f = [0u8; 16];
            filler(n, &mut f);
            let (mut at, mut nops) = (0usize, 0usize);
            while at < n {
                let mut r = U8Reader::new(&f[at..]);
                let i = InstDecoder::default().decode(&mut r).expect("decodes");
                assert!(
                    matches!(i.opcode(), Opcode::NOP | Opcode::MOV),
                    "{n}: {:?}",
                    i.opcode()
                );
                nops += (i.opcode() == Opcode::NOP) as usize * i.len().to_const() as usize;
                at += i.len().to_const() as usize;
            }
            assert_eq!(at, n);
            assert!(nops < 5, "{n}");
        }
    }

    #[test]
    fn trap_pair_order() {
        let pairs: Vec<(u8, u8)> = trap_pairs().collect();
        assert_eq!(pairs.first(), Some(&(0xff, 0xff)));
        assert_eq!(pairs.get(1), Some(&(0xfe, 0xff)));
        assert_eq!(pairs.last(), Some(&(0x0f, 0x0b)));
        assert_eq!(pairs.len(), 8 + 48 + 1);
    }

    /// The trap bytes left at the old `syscall` decode as undefined
    /// instructions (the decoder refuses them) or as `ud2`.
    #[test]
    fn trap_bytes_are_undefined() {
        use yaxpeax_arch::{Decoder, U8Reader};
        use yaxpeax_x86::long_mode::{InstDecoder, Opcode};
        let decodes_as = |b: [u8; 2]| {
            let buf = bytes(&b);
            let mut r = U8Reader::new(&buf[..]);
            InstDecoder::default()
                .decode(&mut r)
                .ok()
                .map(|i| i.opcode())
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
