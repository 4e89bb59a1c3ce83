//! Function bounds in Go binaries, which carry no `.eh_frame_hdr`: Go's own function table.
//!
//! Every Go binary (1.18 and later; stripped or not) keeps `.gopclntab` in its read-only
//! segment, for its runtime's stack walks. It opens with a header (`runtime.pcHeader`): magic
//! `0xfffffff0` (Go 1.18–1.19) or `0xfffffff1` (1.20 and later), two zero bytes, the
//! instruction quantum (1 on x86-64) and the pointer size (8); then `nfunc`, `nfiles`,
//! `textStart` (the address `.text` is loaded at), and offsets from the header to five tables,
//! the last (`pclnOffset`) the function table: `nfunc + 1` pairs of `u32` (function start
//! relative to `textStart`, offset of its `_func`), sorted, the last pair's start being the end
//! of the text. So the function holding `pc` starts at its pair and ends where the next begins
//! (the gap between them is `int3` padding).
//!
//! The header is found by its first eight bytes on a 32-byte boundary (the linker aligns the
//! section so) in the image's non-executable loaded segments, and accepted only if `textStart`
//! lies in an executable segment and the table's first and last entries fit the text. One
//! image is remembered (a Go program is one image); lookups run under the rewrite lock.

#![allow(unsafe_code)]

use crate::memory::guest;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

const MAGICS: [u32; 2] = [0xffff_fff0, 0xffff_fff1];
/// Header fields (byte offsets).
const NFUNC: u64 = 8;
const TEXT_START: u64 = 24;
const PCLN_OFFSET: u64 = 64;
const HEADER: usize = 72;

/// The image last looked up (its ELF header address) and its header's address (0: none).
static IMAGE: AtomicU64 = AtomicU64::new(0);
static HEADER_AT: AtomicU64 = AtomicU64::new(0);

fn rd<T: Copy + Default>(addr: u64) -> Option<T> {
    let mut v = T::default();
    guest::read_struct(addr, &mut v).then_some(v)
}

/// The function containing `pc` in the Go image whose ELF header is at `base`: `(start, end,
/// next function's start)`, as `trampoline::function_and_next` gives from unwind tables.
pub(crate) fn function_and_next(base: u64, pc: u64) -> Option<(u64, u64, u64)> {
    let h = header(base)?;
    let nfunc: u64 = rd(h + NFUNC)?;
    let text: u64 = rd(h + TEXT_START)?;
    let table = h + rd::<u64>(h + PCLN_OFFSET)?;
    let start_of = |i: u64| rd::<u32>(table + i * 8).map(|off| text + u64::from(off));
    // The last function whose start is <= pc.
    let (mut lo, mut hi) = (0u64, nfunc);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if start_of(mid)? <= pc {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if lo == 0 {
        return None;
    }
    let (start, end) = (start_of(lo - 1)?, start_of(lo)?);
    (pc < end).then_some((start, end, end))
}

/// The address of the function table's header in the image at `base`, found once.
fn header(base: u64) -> Option<u64> {
    if IMAGE.load(Relaxed) != base {
        let found = find(base).unwrap_or(0);
        HEADER_AT.store(found, Relaxed);
        IMAGE.store(base, Relaxed);
    }
    Some(HEADER_AT.load(Relaxed)).filter(|&h| h != 0)
}

/// The loaded segments of the ELF image at `base`: `(start, end, executable)` each.
fn segments(base: u64) -> Option<impl Iterator<Item = (u64, u64, bool)>> {
    const PT_LOAD: u32 = 1;
    const PF_X: u32 = 1;
    if rd::<u32>(base)? != u32::from_le_bytes(*b"\x7fELF") {
        return None;
    }
    let phoff: u64 = rd(base + 0x20)?;
    let phnum: u16 = rd(base + 0x38)?;
    let etype: u16 = rd(base + 0x10)?;
    let bias = if etype == 3 { base } else { 0 }; // ET_DYN: addresses are relative
    Some((0..u64::from(phnum)).filter_map(move |i| {
        let ph = base + phoff + i * 56;
        let (kind, flags): (u32, u32) = (rd(ph)?, rd(ph + 4)?);
        let (vaddr, filesz): (u64, u64) = (rd(ph + 16)?, rd(ph + 32)?);
        (kind == PT_LOAD).then_some((bias + vaddr, bias + vaddr + filesz, flags & PF_X != 0))
    }))
}

fn find(base: u64) -> Option<u64> {
    let text = |a: u64| {
        segments(base).is_some_and(|mut s| s.any(|(lo, hi, x)| x && (lo..hi).contains(&a)))
    };
    for (lo, hi, exec) in segments(base)? {
        if exec {
            continue;
        }
        let mut at = (lo + 31) & !31;
        static mut CHUNK: [u8; 4096] = [0; 4096];
        // SAFETY: only used here, under the rewrite lock the caller holds (not on the stack:
        // the SIGSYS handler that gets here may run on a thread's first, small stack).
        let chunk = unsafe { &mut *core::ptr::addr_of_mut!(CHUNK) };
        while at + HEADER as u64 <= hi {
            // Whole 32-byte strides (the chunk's size is one), so `at` stays aligned.
            let n = ((hi - at) as usize).min(chunk.len());
            if !guest::read(at, &mut chunk[..n]) {
                break;
            }
            for off in (0..n.saturating_sub(7)).step_by(32) {
                let b = &chunk[off..off + 8];
                let magic = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                let h = at + off as u64;
                if MAGICS.contains(&magic)
                    && b[4..8] == [0, 0, 1, 8]
                    && plausible(h, hi, &text) == Some(true)
                {
                    return Some(h);
                }
            }
            at += n as u64;
        }
    }
    None
}

/// Does the candidate header at `h` (in a segment ending at `seg_end`) describe this text?
fn plausible(h: u64, seg_end: u64, text: &impl Fn(u64) -> bool) -> Option<bool> {
    let nfunc: u64 = rd(h + NFUNC)?;
    let start: u64 = rd(h + TEXT_START)?;
    let table = h.checked_add(rd::<u64>(h + PCLN_OFFSET)?)?;
    if nfunc == 0
        || nfunc > 1 << 24
        || !text(start)
        || table.checked_add((nfunc + 1) * 8)? > seg_end
    {
        return Some(false);
    }
    let (first, last): (u32, u32) = (rd(table)?, rd(table + nfunc * 8)?);
    Some(first < last && text(start + u64::from(first)) && text(start + u64::from(last) - 1))
}
