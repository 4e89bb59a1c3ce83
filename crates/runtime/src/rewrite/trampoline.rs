//! The fast path without page 0: `mov $nr,%eax; syscall` becomes `call rel32; ud2`.
//!
//! Used when page 0 cannot be mapped and `displaced.rs` cannot take the site: the site
//! straddles an aligned 16-byte block, or no trampoline window is free. Both the sled in
//! `sled.rs` and `displaced.rs` are faster: they leave the return address alone.
//!
//! Most syscall sites in libc and static programs are this 7-byte shape. The `call` goes to the
//! trampoline for `nr` in a trampoline region within ±2 GiB of the site (regions are mapped next
//! to the code that needs them, 512 trampolines each, filled once and then read-only):
//!
//! ```text
//!   pop   %r11            ; return address = the ud2
//!   lea   2(%r11), %r11   ; skip it (lea leaves the flags alone)
//!   push  %r11            ; back where the call put it
//!   mov   $nr, %eax
//!   movabs $&table[nr], %r11
//!   jmp   *(%r11)         ; the entry, with [rsp] = return address, as from the sled
//! ```
//!
//! # Why this is safe while other threads run the same code
//! - The 7 bytes are replaced by one `lock cmpxchg16b` of the aligned 16-byte block that holds
//!   them (sites whose bytes straddle such a block are left alone), so an instruction fetch
//!   sees the old pair or the new pair, never a mix.
//! - What used to be the `syscall` is now `ud2`. A thread that executed the old `mov` just
//!   before the swap, or code that jumps straight to the old `syscall` address (say, a retry
//!   loop with `eax` already set), reaches `ud2`; the SIGILL handler recognises a patched site
//!   ([`patched_site`]) and runs the syscall with the program's `rax`, as the `syscall`
//!   would have. Nothing is ever skipped.
//! - The trampoline touches only `r11` (which `syscall` clobbers anyway) and the word the call
//!   pushed (one word of the red zone, as with every call-based rewriter).

use crate::api::NR_MAX;
use crate::memory::guest;
use crate::raw::{self, sys};
use crate::ways_in::entry;
use core::sync::atomic::{AtomicU64, Ordering};

const SLOT: usize = 32;
const REGION_LEN: u64 = (NR_MAX * SLOT) as u64;
const MAX_REGIONS: usize = 64;
const RANGE: i64 = (1 << 31) - (1 << 20);

static REGIONS: [AtomicU64; MAX_REGIONS] = [const { AtomicU64::new(0) }; MAX_REGIONS];

fn slot_code(nr: u32, table_slot: u64) -> [u8; SLOT] {
    let mut c = [0xccu8; SLOT]; // int3 padding
    c[..8].copy_from_slice(&[0x41, 0x5b, 0x4d, 0x8d, 0x5b, 0x02, 0x41, 0x53]);
    c[8] = 0xb8;
    c[9..13].copy_from_slice(&nr.to_le_bytes());
    c[13] = 0x49;
    c[14] = 0xbb;
    c[15..23].copy_from_slice(&table_slot.to_le_bytes());
    c[23..26].copy_from_slice(&[0x41, 0xff, 0x23]);
    c
}

pub(crate) fn in_range(from: u64, to: u64) -> bool {
    let d = to as i64 - from as i64;
    (-RANGE..RANGE).contains(&d)
}

/// Is `addr` inside one of the trampoline regions?
pub fn is_trampoline(addr: u64) -> bool {
    REGIONS.iter().any(|r| {
        let b = r.load(Ordering::Relaxed);
        b != 0 && addr >= b && addr < b + REGION_LEN
    })
}

/// A trampoline region reachable from `site` with a rel32 call, mapping one if needed. The
/// caller holds the rewriter's lock.
fn region_near(site: u64) -> Option<u64> {
    for r in REGIONS.iter() {
        let b = r.load(Ordering::Relaxed);
        if b != 0 && in_range(site, b) && in_range(site, b + REGION_LEN) {
            return Some(b);
        }
    }
    let slot = REGIONS.iter().find(|r| r.load(Ordering::Relaxed) == 0)?;
    let mut code = [0u8; REGION_LEN as usize];
    for nr in 0..NR_MAX {
        let s = slot_code(nr as u32, entry::table_address() + (nr * 8) as u64);
        code[nr * SLOT..(nr + 1) * SLOT].copy_from_slice(&s);
    }
    let base = map_near(site, REGION_LEN, sys::PROT_READ | sys::PROT_WRITE)?;
    if !guest::write(base, &code) {
        raw::munmap(base, REGION_LEN as usize);
        return None;
    }
    raw::syscall3(
        sys::__NR_mprotect,
        base,
        REGION_LEN,
        (sys::PROT_READ | sys::PROT_EXEC) as u64,
    );
    slot.store(base, Ordering::Relaxed);
    Some(base)
}

/// Maps `len` bytes (protection `prot`) that a rel32 call from `site` can reach, at one of
/// a few distances that avoid the libraries and heap around it.
pub(crate) fn map_near(site: u64, len: u64, prot: u32) -> Option<u64> {
    for delta in [
        -(1i64 << 28),
        1 << 28,
        -(1 << 30),
        1 << 30,
        -(1 << 26),
        1 << 26,
        -(1 << 24),
        1 << 24,
    ] {
        let hint = ((site as i64 + delta) as u64) & !0xffff;
        if !(0x10000..0x7fff_0000_0000).contains(&hint) {
            continue;
        }
        if let Some(b) = map_fixed(hint, len, prot) {
            if in_range(site, b) && in_range(site, b + len) {
                return Some(b);
            }
            raw::munmap(b, len as usize);
        }
    }
    None
}

/// Maps `len` bytes (protection `prot`) at exactly `at`, where nothing is mapped yet.
pub(crate) fn map_fixed(at: u64, len: u64, prot: u32) -> Option<u64> {
    let r = raw::syscall6(
        sys::__NR_mmap,
        [
            at,
            len,
            prot as u64,
            (sys::MAP_PRIVATE | sys::MAP_ANONYMOUS | sys::MAP_FIXED_NOREPLACE) as u64,
            u64::MAX,
            0,
        ],
    );
    if r >= 0 && r as u64 != at {
        raw::munmap(r as u64, len as usize); // an old kernel took the address as a hint
        return None;
    }
    (r >= 0).then_some(at)
}

/// The new bytes for the 7-byte site at `site` (which holds `mov $nr,%eax; syscall`), if a
/// trampoline is reachable: `call rel32; ud2`.
pub(crate) fn patch_for(site: u64, nr: u32) -> Option<[u8; 7]> {
    if nr as usize >= NR_MAX {
        return None;
    }
    let region = region_near(site)?;
    let target = region + (nr as usize * SLOT) as u64;
    let rel = target as i64 - (site as i64 + 5);
    let rel = i32::try_from(rel).ok()?;
    let mut p = [0u8; 7];
    p[0] = 0xe8;
    p[1..5].copy_from_slice(&rel.to_le_bytes());
    p[5] = 0x0f;
    p[6] = 0x0b;
    Some(p)
}

/// Length of the x86-64 instruction at the start of `bytes`, if it decodes.
pub(crate) fn insn_len(bytes: &[u8]) -> Option<usize> {
    use yaxpeax_arch::{Decoder, LengthedInstruction, U8Reader};
    let decoder = yaxpeax_x86::long_mode::InstDecoder::default();
    let mut reader = U8Reader::new(bytes);
    let inst = decoder.decode(&mut reader).ok()?;
    Some(inst.len().to_const() as usize)
}

fn rd<T: Copy + Default>(addr: u64) -> Option<T> {
    let mut v = T::default();
    guest::read_struct(addr, &mut v).then_some(v)
}

/// The function containing `pc`, from the unwind tables of the ELF image mapped at `base`
/// (`.eh_frame_hdr`'s sorted table, the form GCC and glibc emit: `datarel|sdata4`):
/// `(start, end)`.
fn function_bounds(base: u64, pc: u64) -> Option<(u64, u64)> {
    function_and_next(base, pc).map(|(start, end, _)| (start, end))
}

/// [`function_bounds`], and where the next described function starts (`u64::MAX` if none).
pub(crate) fn function_and_next(base: u64, pc: u64) -> Option<(u64, u64, u64)> {
    const PT_GNU_EH_FRAME: u32 = 0x6474_e550;
    if rd::<u32>(base)? != u32::from_le_bytes(*b"\x7fELF") {
        return None;
    }
    let phoff: u64 = rd(base + 0x20)?;
    let phnum: u16 = rd(base + 0x38)?;
    let etype: u16 = rd(base + 0x10)?;
    let bias = if etype == 3 { base } else { 0 }; // ET_DYN: addresses are relative
    let mut hdr = 0;
    for i in 0..phnum as u64 {
        let ph = base + phoff + i * 56;
        if rd::<u32>(ph)? == PT_GNU_EH_FRAME {
            hdr = bias + rd::<u64>(ph + 16)?;
        }
    }
    if hdr == 0 {
        // Go binaries have no unwind tables, but a function table of their own.
        return crate::rewrite::gofuncs::function_and_next(base, pc);
    }
    let [version, _ptr_enc, count_enc, table_enc]: [u8; 4] = rd(hdr)?;
    if version != 1 || count_enc != 0x03 || table_enc != 0x3b {
        return None; // udata4 count, datarel|sdata4 table: anything else is not handled
    }
    let count: u32 = rd(hdr + 8)?;
    let table = hdr + 12;
    let entry = |i: u32| -> Option<(u64, u64)> {
        let e = table + i as u64 * 8;
        let loc: i32 = rd(e)?;
        let fde: i32 = rd(e + 4)?;
        Some((
            (hdr as i64 + loc as i64) as u64,
            (hdr as i64 + fde as i64) as u64,
        ))
    };
    // The last entry whose start is <= pc.
    let (mut lo, mut hi) = (0u32, count);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if entry(mid)?.0 <= pc {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if lo == 0 {
        return None;
    }
    let (start, fde) = entry(lo - 1)?;
    // FDE: length, CIE pointer, pc_begin (pcrel sdata4), pc_range (sdata4).
    let range: i32 = rd(fde + 12)?;
    let end = start.checked_add(u64::try_from(range).ok()?)?;
    let next = if lo < count { entry(lo)?.0 } else { u64::MAX };
    (pc < end).then_some((start, end, next))
}

/// Decodes the function containing `at` linearly from its first instruction up to `at`:
/// `Some(start of the last instruction before at)` if `at` is an instruction boundary
/// (`Some(None)` when `at` is the function's first byte), `None` if it is not or the function
/// cannot be decoded.
fn decode_up_to(base: u64, at: u64) -> Option<Option<u64>> {
    let (start, _end) = function_bounds(base, at)?;
    if at - start > 256 * 1024 {
        return None;
    }
    let mut pc = start;
    let mut prev = None;
    // The function's bytes a window at a time (one guarded copy per 4 KiB, not one per
    // instruction), 16 at each instruction as before.
    let mut code = guest::Window::new(start, at - start + 16);
    while pc < at {
        let buf = code.get(pc - start, 16)?;
        match insn_len(buf) {
            Some(n) if n > 0 => {
                prev = Some(pc);
                pc += n as u64;
            }
            _ => return None,
        }
    }
    (pc == at).then_some(prev)
}

/// Whether `at` is an instruction boundary of the function containing it.
fn is_boundary(base: u64, at: u64) -> bool {
    decode_up_to(base, at).is_some()
}

/// Where the instruction that ends at `at` starts, if `at` is an instruction boundary of a
/// described function (not its first byte).
pub(crate) fn insn_before(base: u64, at: u64) -> Option<u64> {
    decode_up_to(base, at)?
}

/// Whether the five bytes before the `syscall` at `site` are certainly an instruction of their
/// own. Bytes alone cannot tell: `movl $0,-0x48(%rbp)` (`c7 45 b8 00 00 00 00`) ends in what
/// looks like `mov $0,%eax`. The function's start, from the unwind tables of the image at
/// `base`, can: decode from it and see whether `site - 5` is where an instruction starts.
/// Sites outside any described function are not rewritten.
pub(crate) fn boundary_is_certain(base: u64, site: u64) -> bool {
    is_boundary(base, site - 5)
}

/// The site being rewritten in steps right now (one at a time, under the rewriter's lock) and
/// its syscall number; 0 when none.
static PATCHING: AtomicU64 = AtomicU64::new(0);
static PATCHING_NR: AtomicU64 = AtomicU64::new(0);

pub(crate) fn begin_patch(site: u64, nr: u32) {
    PATCHING_NR.store(nr as u64, Ordering::SeqCst);
    PATCHING.store(site, Ordering::SeqCst);
}

pub(crate) fn end_patch() {
    PATCHING.store(0, Ordering::SeqCst);
}

/// The syscall number of the rewritten (or being-rewritten) site that starts at `site`.
pub fn site_nr(site: u64) -> Option<u64> {
    if site != 0 && PATCHING.load(Ordering::SeqCst) == site {
        return Some(PATCHING_NR.load(Ordering::SeqCst));
    }
    let mut b = [0u8; 7];
    if !guest::read(site, &mut b) || b[0] != 0xe8 || b[5..] != [0x0f, 0x0b] {
        return None;
    }
    let rel = i32::from_le_bytes([b[1], b[2], b[3], b[4]]) as i64;
    let target = (site as i64 + 5 + rel) as u64;
    if !is_trampoline(target) {
        return None;
    }
    let region = REGIONS
        .iter()
        .map(|r| r.load(Ordering::Relaxed))
        .find(|&b| b != 0 && target >= b && target < b + REGION_LEN)?;
    Some((target - region) / SLOT as u64)
}

/// Is the `ud2` at `rip` the tail of a rewritten (or being-rewritten) site, so that reaching
/// it means "the syscall that used to be here"?
pub fn patched_site(rip: u64) -> bool {
    let mut u = [0u8; 2];
    if !guest::read(rip, &mut u) || u != [0x0f, 0x0b] {
        return false;
    }
    site_nr(rip.wrapping_sub(5)).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trampoline_bytes() {
        let c = slot_code(39, 0x1122_3344_5566_7788);
        // pop r11; lea 2(r11),r11; push r11; mov $39,eax; movabs ..., r11; jmp *(r11)
        assert_eq!(
            &c[..9],
            &[0x41, 0x5b, 0x4d, 0x8d, 0x5b, 0x02, 0x41, 0x53, 0xb8]
        );
        assert_eq!(u32::from_le_bytes([c[9], c[10], c[11], c[12]]), 39);
        assert_eq!(&c[13..15], &[0x49, 0xbb]);
        assert_eq!(
            u64::from_le_bytes(c[15..23].try_into().unwrap()),
            0x1122_3344_5566_7788
        );
        assert_eq!(&c[23..26], &[0x41, 0xff, 0x23]);
        assert!(in_range(0x7f00_0000_0000, 0x7f00_7000_0000));
        assert_eq!(insn_len(&[0xb8, 0x27, 0, 0, 0, 0x0f, 0x05]), Some(5));
        assert_eq!(
            insn_len(&[0xc7, 0x45, 0xb8, 0, 0, 0, 0, 0x0f, 0x05]),
            Some(7)
        );
        assert_eq!(insn_len(&[0x0f, 0x05]), Some(2));
        assert!(!in_range(0x5500_0000_0000, 0x7f00_0000_0000));
    }
}
