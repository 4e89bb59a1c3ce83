//! The fast path without page 0 for sites of any shape: the 2-byte `syscall` becomes a 2-byte
//! `jmp rel8` into alignment padding of the same function (or the gap after it), where a
//! `call rel32` leads to a trampoline of the site's own.
//!
//! `trampoline.rs` handles the 7-byte `mov $nr,%eax; syscall`. Sites whose number comes from
//! elsewhere — glibc's `read` (`xor %eax,%eax; syscall`: four bytes), a number hoisted into a
//! register — have no room for a 5-byte call. The `syscall` itself has two bytes, enough for a
//! short jump; compilers leave runs of `nop`s after `ret`/`jmp` to align the next branch target,
//! and between functions, and those are often within 127 bytes:
//!
//! ```text
//!   site:     jmp  pad              (was: syscall)
//!   site+2:   ...                   (the caller continues here)
//!   pad:      call trampoline       (was: nops; the rest of the run becomes int3)
//!
//!   trampoline (64 bytes, one per site):
//!     lea  site+2(%rip), %r11 ; mov %r11, (%rsp)      return to after the old syscall
//!     rax < 2^56 and rax < NR_MAX (flag-free: bswap, movzbl, jrcxz)?
//!       yes: jmp *table[rax]     (as from the page-0 sled)
//!       no:  jmp slow entry      (any number)
//! ```
//!
//! # Why this is safe
//! - **Jumps to the old `syscall`** land on the `jmp`, an instruction of the same size at the
//!   same address: every instruction boundary of the function is unchanged.
//! - **Nothing executes the padding.** A run is used only when it follows an unconditional
//!   `ret`/`jmp`/`ud2`/`hlt` (no fall-through into it, decoding the whole function from its
//!   start in the unwind tables) and holds nothing but `nop`/`int3`; no direct branch of the
//!   function targets any byte of it; a run inside the function must end on a 16-byte boundary
//!   (alignment before a label, which assemblers place after the padding), and a function with
//!   an indirect `jmp` (jump tables) only gets the gap after its end, before the next described
//!   function.
//! - **Other threads.** The trampoline and the padding's `call` are written first (nothing can
//!   reach them yet); then the `syscall` becomes the `jmp` in one locked 16-bit
//!   compare-exchange inside a cache line. A thread that fetched the old `syscall` makes its
//!   call through SIGSYS as before.
//! - **Registers.** The trampoline touches `r11` and `rcx` (which `syscall` clobbers) and the
//!   word the call pushed (one word of the red zone, as every call-based rewriter does); the
//!   compare leaves the flags alone.
#![allow(unsafe_code)]

use crate::raw::sys;
use crate::rewrite::sites::{self, SLOT};
use crate::rewrite::trampoline::function_and_next;
use crate::{memory::guest, ways_in::entry};

/// Largest function decoded in search of padding.
const MAX_FUNCTION: u64 = 64 * 1024;

/// The trampoline for the site whose `syscall` ends at `ret_to`, placed at `at`.
fn slot_code(at: u64, ret_to: u64, table: u64, slow: u64) -> [u8; SLOT as usize] {
    let mut c = [0xccu8; SLOT as usize];
    c[..11].copy_from_slice(&sites::set_return(at, ret_to));
    c[11..11 + sites::DISPATCH_LEN].copy_from_slice(&sites::dispatch(table, slow));
    c
}

/// Is `to` the trampoline of a padding call (not that of a displaced site)?
fn is_padding_trampoline(to: u64) -> bool {
    sites::region_of(to).is_some() && !crate::rewrite::displaced::is_displaced_slot(to)
}

/// What the linear decode of a function found near a site.
struct Scan {
    /// Runs of padding `(start, end)` that may be used (at most 8, nearest the site).
    runs: [(u64, u64); 8],
    nruns: usize,
    /// Direct branch targets within reach of the site.
    targets: [u64; 64],
    ntargets: usize,
    /// Too many targets near the site to remember them all: use nothing.
    overflow: bool,
    has_indirect_jmp: bool,
    site_is_boundary: bool,
    /// The function's last instruction cannot fall through.
    ends_unconditional: bool,
}

enum Kind {
    /// `nop` in any form, `int3`, or a padding call of ours: may be part of a run.
    Pad,
    /// Never continues to the next instruction: `ret`, `jmp`, `ud2`, `hlt`.
    Stop,
    Other,
}

/// Classifies the instruction at `pc` (`bytes` its first 16 bytes): its kind, length, direct
/// branch target, and whether it is an indirect `jmp`.
fn classify(pc: u64, bytes: &[u8; 16]) -> Option<(Kind, u64, Option<u64>, bool)> {
    use yaxpeax_arch::{Decoder, LengthedInstruction, U8Reader};
    use yaxpeax_x86::long_mode::{InstDecoder, Opcode, Operand};
    if bytes[0] == 0xe8 {
        let rel = i32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as i64;
        let to = (pc as i64 + 5 + rel) as u64;
        if is_padding_trampoline(to) {
            return Some((Kind::Pad, 5, None, false));
        }
    }
    let decoder = InstDecoder::default();
    let mut reader = U8Reader::new(&bytes[..]);
    let inst = decoder.decode(&mut reader).ok()?;
    let len = inst.len().to_const();
    let next = pc + len;
    let op = inst.opcode();
    let target = match (inst.operand_count() > 0).then(|| inst.operand(0)) {
        Some(Operand::ImmediateI8 { imm }) => Some((next as i64 + imm as i64) as u64),
        Some(Operand::ImmediateI32 { imm }) => Some((next as i64 + imm as i64) as u64),
        _ => None,
    };
    let branch = op == Opcode::JMP
        || op == Opcode::CALL
        || op.is_jcc()
        || matches!(
            op,
            Opcode::JRCXZ | Opcode::LOOP | Opcode::LOOPZ | Opcode::LOOPNZ
        );
    let target = if branch { target } else { None };
    let indirect_jmp = op == Opcode::JMP && target.is_none();
    let kind = if op == Opcode::NOP || bytes[0] == 0xcc {
        Kind::Pad
    } else if matches!(op, Opcode::RETURN | Opcode::JMP | Opcode::UD2 | Opcode::HLT) {
        Kind::Stop
    } else {
        Kind::Other
    };
    Some((kind, len, target, indirect_jmp))
}

/// Decodes the function `[start, end)` (and the gap up to `next`) around `site`.
fn scan(start: u64, end: u64, next: u64, site: u64) -> Option<Scan> {
    let mut s = Scan {
        runs: [(0, 0); 8],
        nruns: 0,
        targets: [0; 64],
        ntargets: 0,
        overflow: false,
        has_indirect_jmp: false,
        site_is_boundary: false,
        ends_unconditional: false,
    };
    let near = |a: u64| a + 160 >= site && a <= site + 160;
    let mut pc = start;
    let mut after_stop = false;
    let mut run: Option<u64> = None;
    let stop_at = if next != u64::MAX && next > end && next - end < 256 {
        next
    } else {
        end
    };
    // The function's bytes a window at a time (one guarded copy per 4 KiB).
    let mut code = guest::Window::new(start, stop_at - start + 16);
    while pc < stop_at {
        let mut buf = [0u8; 16];
        buf.copy_from_slice(code.get(pc - start, 16)?);
        let in_gap = pc >= end;
        let Some((kind, len, target, indirect)) = classify(pc, &buf) else {
            if in_gap {
                break; // not padding: no run in the gap
            }
            return None;
        };
        if pc == site {
            s.site_is_boundary = true;
        }
        if in_gap && !matches!(kind, Kind::Pad) {
            run = None;
            break;
        }
        s.has_indirect_jmp |= indirect;
        if let Some(t) = target.filter(|&t| near(t)) {
            if s.ntargets < s.targets.len() {
                s.targets[s.ntargets] = t;
                s.ntargets += 1;
            } else {
                s.overflow = true;
            }
        }
        match kind {
            Kind::Pad if after_stop || run.is_some() => {
                run.get_or_insert(pc);
            }
            _ => {
                if let Some(a) = run.take() {
                    // A run inside the function must end where an aligned label begins.
                    if pc & 15 == 0 && near(a) && s.nruns < s.runs.len() {
                        s.runs[s.nruns] = (a, pc);
                        s.nruns += 1;
                    }
                }
            }
        }
        after_stop = matches!(kind, Kind::Stop);
        pc += len;
        if pc == end {
            // Into the gap only when nothing falls through into it.
            s.ends_unconditional = after_stop || run.is_some();
            if !s.ends_unconditional {
                break;
            }
        }
    }
    if pc < end {
        return None; // stopped early inside the function: it does not decode cleanly
    }
    if let Some(a) = run {
        // The run that reached the gap, or the gap itself: up to the next function.
        if pc == stop_at && s.ends_unconditional && near(a) && s.nruns < s.runs.len() {
            s.runs[s.nruns] = (a, pc);
            s.nruns += 1;
        }
    }
    Some(s)
}

/// Whether no jump can land on `at`, an instruction of a function described in the unwind
/// tables of the image at `base`: the function decodes cleanly from its start with `at` one of
/// its instruction boundaries, none of its direct branches targets `at`, and it has no
/// indirect `jmp` (a jump table could target anything). The same reading of the function as
/// for padding, and the same trust: code outside the function does not jump into it.
pub(crate) fn no_branch_lands_on(base: u64, at: u64) -> bool {
    scan_function(base, at)
        .is_some_and(|(_, s)| !s.has_indirect_jmp && !s.targets[..s.ntargets].contains(&at))
}

/// The function holding `at` in the image at `base` (from its unwind tables), scanned around
/// `at`: its end and the scan, when it decodes cleanly with `at` one of its instruction
/// boundaries and the branch targets near `at` all fit in the scan.
fn scan_function(base: u64, at: u64) -> Option<(u64, Scan)> {
    let (start, end, next) = function_and_next(base, at)?;
    if end - start > MAX_FUNCTION {
        return None;
    }
    let s = scan(start, end, next, at)?;
    (s.site_is_boundary && !s.overflow).then_some((end, s))
}

/// Rewrites the `syscall` at `site` (in the image at `base`) into a jump to padding with a
/// call to the site's trampoline. Called with the rewriter's lock held. Returns whether the
/// site was rewritten.
pub(crate) fn try_rewrite(base: u64, site: u64, code_prot: u32) -> bool {
    if site & 63 == 63 {
        return false; // the 16-bit compare-exchange must stay inside a cache line
    }
    let Some((end, s)) = scan_function(base, site) else {
        return false;
    };
    let from = site + 2;
    let mut buf = [0u8; 16];
    for &(a, b) in &s.runs[..s.nruns] {
        let inside = b <= end;
        if inside && s.has_indirect_jmp {
            continue;
        }
        if s.targets[..s.ntargets].iter().any(|&t| t >= a && t < b) {
            continue;
        }
        // The first place in the run where 5 bytes of whole pad instructions fit, reachable
        // by a short jump from the site and inside one page.
        let mut p = a;
        while p + 5 <= b {
            if !guest::read(p, &mut buf) {
                break;
            }
            let Some((kind, len, _, _)) = classify(p, &buf) else {
                break;
            };
            let ours = buf[0] == 0xe8;
            let rel = p as i64 - from as i64;
            let mut cover = p;
            let mut ok = !ours && matches!(kind, Kind::Pad);
            // Whole pad instructions from p covering at least 5 bytes.
            while ok && cover < p + 5 {
                let mut b2 = [0u8; 16];
                if !guest::read(cover, &mut b2) {
                    ok = false;
                    break;
                }
                match classify(cover, &b2) {
                    Some((Kind::Pad, l, _, _)) if b2[0] != 0xe8 => cover += l,
                    _ => ok = false,
                }
            }
            if ok && cover <= b && (-128..=127).contains(&rel) && p >> 12 == (cover - 1) >> 12 {
                return install(site, p, cover, code_prot);
            }
            p += len;
        }
    }
    false
}

/// Writes the trampoline, the padding's call (the rest of the covered padding `[p, cover)`
/// becomes int3), then the jump over the `syscall`.
fn install(site: u64, p: u64, cover: u64, code_prot: u32) -> bool {
    let Some(slot) = sites::alloc(p, 1, None, true) else {
        return false;
    };
    let code = slot_code(
        slot,
        site + 2,
        entry::table_address(),
        entry::slow_address(),
    );
    if !sites::write_code(slot, &code, sys::PROT_READ | sys::PROT_EXEC) {
        return false;
    }
    let rel = i32::try_from(slot as i64 - (p as i64 + 5)).ok();
    let Some(rel) = rel else { return false };
    let mut pad = [0xccu8; 32];
    let n = (cover - p) as usize;
    if n > pad.len() {
        return false;
    }
    pad[0] = 0xe8;
    pad[1..5].copy_from_slice(&rel.to_le_bytes());
    if !sites::write_code(p, &pad[..n], code_prot) {
        return false;
    }
    // The two bytes lie inside one cache line (checked by the caller).
    crate::rewrite::sled::swap_syscall(
        site,
        [0xeb, (p as i64 - (site as i64 + 2)) as i8 as u8],
        code_prot,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trampoline_is_return_then_dispatch() {
        let at = 0x7f00_1000_0000u64;
        let c = slot_code(
            at,
            at - 0x1000,
            0x1111_2222_3333_4444,
            0x5555_6666_7777_8888,
        );
        assert_eq!(c[..11], sites::set_return(at, at - 0x1000));
        assert_eq!(
            c[11..64],
            sites::dispatch(0x1111_2222_3333_4444, 0x5555_6666_7777_8888)
        );
    }
}
