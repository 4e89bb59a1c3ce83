//! Trampolines of one site each, for the rewrites without page 0 (`padding.rs`,
//! `displaced.rs`): 64-byte slots in 64 KiB regions mapped within a rel32 call of the code.
//!
//! A region is mapped executable; slots are handed out in order and written in place, through
//! `/proc/self/mem` (else with the page made writable for the write, and kept executable
//! throughout). Each page of a region is filled with `int3` when its first slot is handed out,
//! so that bytes between and after trampolines trap, and pages no slot uses are never touched
//! (a region is 16 pages; a program uses one or two of most). Without the mem descriptor the
//! whole region is filled once, while it is still writable, and then made executable.
//! Some sites need their trampoline inside a narrow window of addresses (`displaced.rs`: the
//! call's displacement doubles as a trapping instruction); [`alloc`] takes that window.
#![allow(unsafe_code)]

use crate::api::NR_MAX;
use crate::memory::guest;
use crate::raw::{self, sys};
use crate::rewrite::trampoline::{in_range, map_fixed, map_near};
use core::sync::atomic::{AtomicU64, Ordering};

pub(crate) const SLOT: u64 = 64;
const REGION_LEN: u64 = 64 * 1024;
const MAX_REGIONS: usize = 64;
/// Regions: base, and slots used so far (under the rewriter's lock).
static REGIONS: [AtomicU64; MAX_REGIONS] = [const { AtomicU64::new(0) }; MAX_REGIONS];
static USED: [AtomicU64; MAX_REGIONS] = [const { AtomicU64::new(0) }; MAX_REGIONS];
/// Pages of each region filled with `int3` so far, a bit each (under the rewriter's lock).
static FILLED: [AtomicU64; MAX_REGIONS] = [const { AtomicU64::new(0) }; MAX_REGIONS];
const PAGES: u64 = REGION_LEN / 4096;
const _: () = assert!(PAGES <= 64);

/// The region holding `addr`, if any.
pub(crate) fn region_of(addr: u64) -> Option<u64> {
    REGIONS
        .iter()
        .map(|r| r.load(Ordering::Relaxed))
        .take_while(|&b| b != 0)
        .find(|&b| addr >= b && addr < b + REGION_LEN)
}

/// `n` consecutive free slots whose first is reachable by a rel32 call from `from` (and, with
/// `window = (lo, hi)`, lies in `[lo, hi)`), mapping a region if none has room and `map`
/// allows. The caller holds the rewriter's lock.
pub(crate) fn alloc(from: u64, n: u64, window: Option<(u64, u64)>, map: bool) -> Option<u64> {
    let fits = |at: u64| {
        in_range(from, at)
            && in_range(from, at + n * SLOT)
            && window.is_none_or(|(lo, hi)| at >= lo && at < hi)
    };
    if n * SLOT > 4096 {
        return None; // a trampoline is written within one page
    }
    // Regions are taken in order and never given back: the first empty entry ends the list.
    for (i, b) in REGIONS
        .iter()
        .map(|r| r.load(Ordering::Relaxed))
        .take_while(|&b| b != 0)
        .enumerate()
    {
        let mut k = USED[i].load(Ordering::Relaxed);
        if (k * SLOT) % 4096 + n * SLOT > 4096 {
            k = (k * SLOT).next_multiple_of(4096) / SLOT;
        }
        if (k + n) * SLOT <= REGION_LEN && fits(b + k * SLOT) && filled(i, b, b + k * SLOT) {
            USED[i].store(k + n, Ordering::Relaxed);
            return Some(b + k * SLOT);
        }
    }
    if !map {
        return None;
    }
    let i = REGIONS
        .iter()
        .position(|r| r.load(Ordering::Relaxed) == 0)?;
    let lazy = crate::process::fds::mem_fd() >= 0;
    let prot = if lazy {
        sys::PROT_READ | sys::PROT_EXEC
    } else {
        sys::PROT_READ | sys::PROT_WRITE
    };
    let b = match window {
        None => map_near(from, REGION_LEN, prot)?,
        Some((lo, hi)) => map_in(lo, hi, prot)?,
    };
    if !fits(b) {
        raw::munmap(b, REGION_LEN as usize);
        return None;
    }
    if lazy {
        FILLED[i].store(0, Ordering::Relaxed);
        if !filled(i, b, b) {
            raw::munmap(b, REGION_LEN as usize);
            return None;
        }
    } else {
        let fill = [0xccu8; 4096];
        for page in 0..PAGES {
            guest::write(b + page * 4096, &fill);
        }
        raw::syscall3(
            sys::__NR_mprotect,
            b,
            REGION_LEN,
            (sys::PROT_READ | sys::PROT_EXEC) as u64,
        );
        FILLED[i].store(u64::MAX, Ordering::Relaxed);
    }
    REGIONS[i].store(b, Ordering::Relaxed);
    USED[i].store(n, Ordering::Relaxed);
    Some(b)
}

/// Whether the page of region `i` (at `base`) that holds `at` is filled with `int3`, filling it
/// now if not (through the mem descriptor: the region is executable, no thread runs any of the
/// page yet).
fn filled(i: usize, base: u64, at: u64) -> bool {
    let bit = 1u64 << ((at - base) / 4096);
    if FILLED[i].load(Ordering::Relaxed) & bit != 0 {
        return true;
    }
    if !poke(at & !4095, &[0xccu8; 4096]) {
        return false;
    }
    FILLED[i].fetch_or(bit, Ordering::Relaxed);
    true
}

/// Maps a region (protection `prot`) starting inside `[lo, hi)`, where nothing is mapped
/// yet: the first free place, found by asking the kernel which mapping lies ahead and
/// skipping past it (`PROCMAP_QUERY`), else trying up to eight evenly spaced places.
fn map_in(lo: u64, hi: u64, prot: u32) -> Option<u64> {
    let first = lo.checked_add(4095)? & !4095;
    let usable = |at: u64| (0x10000..0x7fff_0000_0000).contains(&at);
    if let Some(mut ahead) = crate::rewrite::sled::mapping_from(first) {
        let mut at = first;
        for _ in 0..16 {
            if at >= hi || !usable(at) {
                return None;
            }
            match ahead {
                Some((start, end)) if start < at + REGION_LEN => at = end.max(at + 4096),
                _ => return map_fixed(at, REGION_LEN, prot),
            }
            ahead = crate::rewrite::sled::mapping_from(at)?;
        }
        return None;
    }
    let step = ((hi.saturating_sub(first)) / 8).max(4096) & !4095; // at most 8 tries
    let mut at = first;
    while at < hi {
        if usable(at) {
            if let Some(b) = map_fixed(at, REGION_LEN, prot) {
                return Some(b);
            }
        }
        at += step;
    }
    None
}

/// Runs `f` with the page of `at` (protection `prot`) made writable, and kept executable
/// throughout: other threads may be running other code of the same page.
pub(crate) fn with_page_writable(at: u64, prot: u32, f: impl FnOnce() -> bool) -> bool {
    with_pages_writable(at, 1, prot, f)
}

/// [`with_page_writable`] for the pages of the `len` bytes at `at` (one, or two when they cross
/// a page boundary; the caller knows both pages have protection `prot`).
pub(crate) fn with_pages_writable(at: u64, len: u64, prot: u32, f: impl FnOnce() -> bool) -> bool {
    let page = at & !4095;
    let span = ((at + len.max(1) - 1) & !4095) + 4096 - page;
    let writable = (prot | sys::PROT_WRITE | sys::PROT_EXEC) as u64;
    if raw::syscall3(sys::__NR_mprotect, page, span, writable) != 0 {
        return false;
    }
    let ok = f();
    raw::syscall3(sys::__NR_mprotect, page, span, prot as u64);
    ok
}

/// Writes `code` at `at`, inside one page of protection `prot`, where no thread runs yet (a
/// trampoline before any site calls it, padding no code reaches): through the mem descriptor
/// (`fds.rs`), else with the page made writable around the write.
pub(crate) fn write_code(at: u64, code: &[u8], prot: u32) -> bool {
    if (at + code.len() as u64 - 1) & !4095 != at & !4095 {
        return false;
    }
    poke(at, code) || with_page_writable(at, prot, || guest::write(at, code))
}

/// Writes `bytes` at `at` through the mem descriptor (`fds.rs`), whatever the protection of
/// the pages; false if there is none or the kernel refused. Not atomic: only for bytes no
/// other thread can be running.
pub(crate) fn poke(at: u64, bytes: &[u8]) -> bool {
    let mem = crate::process::fds::mem_fd();
    mem >= 0
        && raw::syscall4(
            sys::__NR_pwrite64,
            mem as u64,
            bytes.as_ptr() as u64,
            bytes.len() as u64,
            at,
        ) == bytes.len() as i64
}

/// Length of [`dispatch`].
pub(crate) const DISPATCH_LEN: usize = 53;

/// The end of every site trampoline, with the return address in place: the number in `rax`
/// goes through the entry's table when it is below `NR_MAX`, else to the slow entry (which
/// takes any number). The range check leaves the flags alone (`bswap`, `movzbl`, `jrcxz`);
/// it clobbers `rcx` and `r11`, as `syscall` does. Position-independent.
///
/// ```text
///    0: mov %rax,%rcx; bswap %rcx; movzbl %cl,%ecx; jrcxz 24   rax < 2^56?
///   11: movabs $slow,%r11; jmp *%r11
///   24: lea -NR_MAX(%rax),%rcx; bswap %rcx; movzbl %cl,%ecx; jrcxz 11   rax >= NR_MAX?
///   39: movabs $table,%r11; jmp *(%r11,%rax,8)
/// ```
pub(crate) fn dispatch(table: u64, slow: u64) -> [u8; DISPATCH_LEN] {
    let mut c = [0u8; DISPATCH_LEN];
    c[0..3].copy_from_slice(&[0x48, 0x89, 0xc1]); // mov %rax, %rcx
    c[3..6].copy_from_slice(&[0x48, 0x0f, 0xc9]); // bswap %rcx
    c[6..9].copy_from_slice(&[0x0f, 0xb6, 0xc9]); // movzbl %cl, %ecx: rax's top byte
    c[9..11].copy_from_slice(&[0xe3, 24 - 11]); // jrcxz 24 (rax < 2^56)
    c[11..13].copy_from_slice(&[0x49, 0xbb]); // 11: movabs $slow, %r11
    c[13..21].copy_from_slice(&slow.to_le_bytes());
    c[21..24].copy_from_slice(&[0x41, 0xff, 0xe3]); // jmp *%r11
    c[24..27].copy_from_slice(&[0x48, 0x8d, 0x88]); // 24: lea -NR_MAX(%rax), %rcx
    c[27..31].copy_from_slice(&(-(NR_MAX as i32)).to_le_bytes());
    c[31..34].copy_from_slice(&[0x48, 0x0f, 0xc9]); // bswap %rcx
    c[34..37].copy_from_slice(&[0x0f, 0xb6, 0xc9]); // movzbl %cl, %ecx: 0xff when rax < NR_MAX
    c[37..39].copy_from_slice(&[0xe3, (11i8 - 39) as u8]); // jrcxz 11 (rax >= NR_MAX)
    c[39..41].copy_from_slice(&[0x49, 0xbb]); // 39: movabs $table, %r11
    c[41..49].copy_from_slice(&table.to_le_bytes());
    c[49..53].copy_from_slice(&[0x41, 0xff, 0x24, 0xc3]); // jmp *(%r11,%rax,8)
    c
}

/// `lea ret_to(%rip),%r11; mov %r11,(%rsp)` placed at `at`: the return address becomes
/// `ret_to` (11 bytes).
pub(crate) fn set_return(at: u64, ret_to: u64) -> [u8; 11] {
    let mut c = [0u8; 11];
    let disp = (ret_to as i64 - (at as i64 + 7)) as i32;
    c[0..3].copy_from_slice(&[0x4c, 0x8d, 0x1d]); // lea disp32(%rip), %r11
    c[3..7].copy_from_slice(&disp.to_le_bytes());
    c[7..11].copy_from_slice(&[0x4c, 0x89, 0x1c, 0x24]); // mov %r11, (%rsp)
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrite::trampoline::insn_len;

    #[test]
    fn dispatch_decodes_as_intended() {
        let c = dispatch(0x1111_2222_3333_4444, 0x5555_6666_7777_8888);
        let mut pc = 0usize;
        let mut lens = [0usize; 16];
        let mut n = 0;
        while pc < c.len() {
            let l = insn_len(&c[pc..]).expect("decodes");
            lens[n] = l;
            n += 1;
            pc += l;
        }
        assert_eq!(pc, DISPATCH_LEN);
        assert_eq!(&lens[..n], &[3, 3, 3, 2, 10, 3, 7, 3, 3, 2, 10, 4]);
        // Both jrcxz go where they should: 11 + 13 = 24, 39 - 28 = 11.
        assert_eq!(11 + c[10] as usize, 24);
        assert_eq!(39 + c[38] as i8 as isize, 11);
        assert_eq!(
            i32::from_le_bytes(c[27..31].try_into().unwrap()),
            -(NR_MAX as i32)
        );
        let at = 0x7f00_1000_0000u64;
        let r = set_return(at, at - 0x1000);
        assert_eq!(insn_len(&r), Some(7));
        let disp = i32::from_le_bytes(r[3..7].try_into().unwrap()) as i64;
        assert_eq!((at as i64 + 7 + disp) as u64, at - 0x1000);
    }

    /// The flag-free range check, run on the values it must tell apart.
    #[test]
    fn range_check_without_flags() {
        let check = |rax: u64| -> bool {
            if rax.swap_bytes() as u8 != 0 {
                return false; // top byte set: slow
            }
            (rax.wrapping_sub(NR_MAX as u64)).swap_bytes() as u8 != 0
        };
        for rax in [0u64, 1, 39, 110, NR_MAX as u64 - 1] {
            assert!(check(rax), "{rax}");
        }
        for rax in [
            NR_MAX as u64,
            1000,
            0x4000_0000,
            1 << 40,
            1 << 56,
            u64::MAX,
            (1u64 << 63) | 39,
        ] {
            assert!(!check(rax), "{rax:#x}");
        }
    }
}
