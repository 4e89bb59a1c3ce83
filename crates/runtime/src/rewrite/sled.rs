//! The fast path: the page-0 sled and the lazy rewriter.
//!
//! After a site has trapped once, its `syscall` (`0f 05`) becomes `call *%rax` (`ff d0`): the
//! call lands at address `nr` in page 0, runs down the sled to a tail that jumps through the
//! entry's per-number table (`entry.rs`) with the return address still on the stack.
//!
//! Layout of page 0: a sled over `[0, 512)`, tail at 512; a second sled up to the second tail at
//! 4080. Every real syscall number (< 512) takes the first tail.
//!
//! The sled is not a plain `nop` slide (400 `nop`s cost more than the syscall they lead to): it
//! is a chain of short jumps `eb dd` whose displacement byte `dd` is itself harmless when
//! execution enters on it — a segment-override prefix or a REX prefix without the B bit — so
//! entering at an odd offset runs `dd` as a prefix of the next `jmp` (or `nop`); landing on a
//! displacement byte is the same as entering there. Displacements are below 0x80 (`rel8` is
//! signed). Near the tail, where no jump fits, the bytes are `nop`s. At most 42 instructions
//! from any entry (14 for getppid), verified by `sled_reaches_tail`. Numbers that land inside a tail
//! (512–525, 4080–4095) are not valid syscalls and are not handled; numbers ≥ 4096 fault and
//! the SIGSEGV handler sends them to the entry ([`is_sled_miss`]).
//!
//! # Why rewriting is safe while other threads run the same code
//! - The two bytes are replaced by one `lock cmpxchg` of a 16-bit word, so another CPU fetches
//!   either the old or the new instruction, never a mix. A site whose two bytes straddle a
//!   64-byte line is not rewritten (a locked access across lines is not atomic for instruction
//!   fetch, and is a split lock); it stays on the SIGSYS path.
//! - The page stays executable while it is writable (`mprotect` adds `PROT_WRITE` to its
//!   current protection, read from /proc/self/maps, and restores it afterwards), so a thread
//!   executing that page never faults.
//! - One rewriter at a time (try-lock; a thread that finds it busy leaves the site for the next
//!   trap), so two rewriters never race on `mprotect` of the same page. No thread can wait for the
//!   lock, so a fork child that inherits it locked loses nothing but speed.
//! - A jump straight to the `syscall` byte pair of a rewritten site executes `call *%rax`, which
//!   is exactly the rewritten form of that same instruction: same result.
//!
//! Cost: the `call` writes the return address at `rsp-8`, one word of the caller's red zone.
#![allow(unsafe_code)]

use crate::raw::{self, sys};
use crate::{memory::guest, ways_in::entry};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use linux_raw_sys::btrfs::procmap_query;

const SLED_TAIL_1: usize = 512;
const SLED_TAIL_2: usize = 4080;
const PAGE: u64 = 4096;

static PAGE0: AtomicBool = AtomicBool::new(false);
static LOCK: AtomicBool = AtomicBool::new(false);

/// Whether rewritten sites are in use in this process.
pub fn enabled() -> bool {
    PAGE0.load(Ordering::Relaxed)
}

/// Jump displacements, largest first: each is also a harmless instruction byte (see above).
const DISPS: [u8; 14] = [
    0x65, 0x64, 0x4e, 0x4c, 0x4a, 0x48, 0x46, 0x44, 0x42, 0x40, 0x3e, 0x36, 0x2e, 0x26,
];

/// Fills `page[start..tail]` with the jump sled leading to `tail`.
pub fn fill_sled(page: &mut [u8], start: usize, tail: usize) {
    page[start..tail].fill(0x90);
    let mut p = start;
    while p + 2 <= tail {
        if let Some(&d) = DISPS.iter().find(|&&d| p + 2 + d as usize <= tail) {
            page[p] = 0xeb;
            page[p + 1] = d;
        }
        p += 2;
    }
}

/// Follows the sled from `entry` like the CPU would; returns the instructions executed to reach
/// `tail`, or `None` if it would run anything but a jump, a nop or a harmless prefix.
pub fn sled_steps(page: &[u8], entry: usize, tail: usize) -> Option<usize> {
    let harmless_prefix = |b: u8| DISPS.contains(&b);
    let (mut pc, mut n) = (entry, 0);
    while pc != tail {
        if pc > tail || n > 4096 {
            return None;
        }
        let mut b = *page.get(pc)?;
        let mut at = pc;
        if harmless_prefix(b) {
            at += 1;
            b = *page.get(at)?;
        }
        pc = match b {
            0xeb => at + 2 + *page.get(at + 1)? as usize,
            0x90 => at + 1,
            _ if at == tail => tail,
            _ => return None,
        };
        n += 1;
    }
    Some(n)
}

/// Tail for real syscall numbers: `movabs $table, %r11; jmp *(%r11,%rax,8)` (14 bytes).
fn tail_table(at: &mut [u8], table: u64) {
    at[0] = 0x49;
    at[1] = 0xbb;
    at[2..10].copy_from_slice(&table.to_le_bytes());
    at[10..14].copy_from_slice(&[0x41, 0xff, 0x24, 0xc3]);
}

/// Tail for numbers past the table: `movabs $slow, %r11; jmp *%r11` (13 bytes).
fn tail_slow(at: &mut [u8], slow: u64) {
    at[0] = 0x49;
    at[1] = 0xbb;
    at[2..10].copy_from_slice(&slow.to_le_bytes());
    at[10..13].copy_from_slice(&[0x41, 0xff, 0xe3]);
}

/// Maps the sled at address 0. Without page 0 (no CAP_SYS_RAWIO and `vm.mmap_min_addr` > 0)
/// every site stays on the SIGSYS path.
pub(crate) fn init() {
    if std_env_disabled() {
        return;
    }
    if crate::config::get().get("page0") == Some("0") {
        return;
    }
    if crate::rewrite::trampoline::map_fixed(0, PAGE, sys::PROT_READ | sys::PROT_WRITE).is_none() {
        return;
    }
    let mut page = [0x90u8; PAGE as usize];
    fill_sled(&mut page, 0, SLED_TAIL_1);
    fill_sled(&mut page, SLED_TAIL_1 + 14, SLED_TAIL_2);
    tail_table(&mut page[SLED_TAIL_1..], entry::table_address());
    tail_slow(&mut page[SLED_TAIL_2..], entry::slow_address());
    if !guest::write(0, &page) {
        raw::munmap(0, PAGE as usize);
        return;
    }
    // Execute-only, so that reading or writing through a NULL pointer still faults, in the
    // program and in the kernel (EFAULT). x86 enforces that only with protection keys; on a
    // CPU without them (no `pku` in /proc/cpuinfo) PROT_EXEC alone still lets reads through,
    // and a readable page 0 would change what programs see (Go's nil checks and every
    // NULL-pointer EFAULT rely on it faulting): then no page 0, as for a user who cannot map
    // it. The kernel reads the page for us: `access(0)` copies a path from address 0 and says
    // EFAULT exactly when that faults (the runtime's fault handler is not installed yet).
    let exec_only = raw::syscall3(sys::__NR_mprotect, 0, PAGE, sys::PROT_EXEC as u64) == 0
        && raw::syscall3(sys::__NR_access, 0, sys::F_OK as u64, 0) == -(sys::EFAULT as i64);
    if !exec_only {
        raw::munmap(0, PAGE as usize);
        return;
    }
    PAGE0.store(true, Ordering::Relaxed);
}

fn std_env_disabled() -> bool {
    !crate::config::get().rewrite
}

/// Is the word at `rsp` the return address of a rewritten site (the `call *%rax` just
/// before it)? Used for syscall numbers past the sled.
pub(crate) fn is_sled_miss(rsp: u64) -> bool {
    if !enabled() {
        return false;
    }
    let mut ret = 0u64;
    let mut insn = [0u8; 2];
    guest::read_struct(rsp, &mut ret)
        && guest::read(ret.wrapping_sub(2), &mut insn)
        && insn == [0xff, 0xd0]
}

/// (prot, private, mapping start, file offset) of the mapping containing `addr`.
///
/// Asked of the kernel with `PROCMAP_QUERY` where it has it (Linux 6.11+): one lookup, where
/// reading the text has the kernel format every mapping with its path (the `d_path` and
/// `show_map_vma` work showed in profiles of start-up, once per rewritten site).
fn prot_and_range(addr: u64) -> Option<(u32, bool, u64, u64)> {
    // The runtime's own descriptor for this process's maps (see fds.rs): a descriptor opened
    // here would take the lowest free number, which another thread of the program may close
    // and reuse for a pipe before we read it.
    let fd = crate::process::fds::maps_fd();
    if fd < 0 {
        return None;
    }
    if !NO_PROCMAP_QUERY.load(Ordering::Relaxed) {
        match query_vma(fd, addr) {
            Ok(r) => return r,
            Err(()) => NO_PROCMAP_QUERY.store(true, Ordering::Relaxed),
        }
    }
    scan_maps(fd, addr)
}

/// The kernel has no `PROCMAP_QUERY` (learnt at the first try).
static NO_PROCMAP_QUERY: AtomicBool = AtomicBool::new(false);

/// `PROCMAP_QUERY`: `_IOWR('f', 17, struct procmap_query)` (include/uapi/linux/fs.h;
/// linux-raw-sys has the struct but not the request number).
const PROCMAP_QUERY: u64 =
    (3 << 30) | ((core::mem::size_of::<procmap_query>() as u64) << 16) | ((b'f' as u64) << 8) | 17;
const VMA_READABLE: u64 = 1;
const VMA_WRITABLE: u64 = 2;
const VMA_EXECUTABLE: u64 = 4;
const VMA_SHARED: u64 = 8;

/// `PROCMAP_QUERY` flag: the mapping covering the address, else the next one above it.
const COVERING_OR_NEXT_VMA: u64 = 0x10;

/// One `PROCMAP_QUERY` on the maps descriptor `fd`: `Ok(None)` when no mapping answers,
/// `Err(())` when the kernel does not know the request.
fn procmap_query(fd: i32, addr: u64, flags: u64) -> Result<Option<procmap_query>, ()> {
    let mut q = procmap_query {
        size: core::mem::size_of::<procmap_query>() as u64,
        query_flags: flags,
        query_addr: addr,
        vma_start: 0,
        vma_end: 0,
        vma_flags: 0,
        vma_page_size: 0,
        vma_offset: 0,
        inode: 0,
        dev_major: 0,
        dev_minor: 0,
        vma_name_size: 0, // no name wanted
        build_id_size: 0,
        vma_name_addr: 0,
        build_id_addr: 0,
    };
    let r = raw::syscall3(
        sys::__NR_ioctl,
        fd as u64,
        PROCMAP_QUERY,
        &mut q as *mut procmap_query as u64,
    );
    if r == -(sys::ENOENT as i64) {
        return Ok(None);
    }
    if r < 0 {
        return Err(());
    }
    Ok(Some(q))
}

/// [`prot_and_range`] through `PROCMAP_QUERY` on the maps descriptor `fd`: `Ok(None)` when no
/// mapping covers `addr`, `Err(())` when the kernel does not know the request.
fn query_vma(fd: i32, addr: u64) -> Result<Option<(u32, bool, u64, u64)>, ()> {
    // Flags 0: the mapping covering `addr` exactly, file-backed or not.
    let Some(q) = procmap_query(fd, addr, 0)? else {
        return Ok(None);
    };
    let mut prot = 0;
    for (bit, p) in [
        (VMA_READABLE, sys::PROT_READ),
        (VMA_WRITABLE, sys::PROT_WRITE),
        (VMA_EXECUTABLE, sys::PROT_EXEC),
    ] {
        if q.vma_flags & bit != 0 {
            prot |= p;
        }
    }
    Ok(Some((
        prot,
        q.vma_flags & VMA_SHARED == 0,
        q.vma_start,
        q.vma_offset,
    )))
}

/// The first mapping that ends above `addr` (covering it or above it), as `[start, end)`:
/// `Some(None)` when there is none, `None` when the kernel cannot tell (no `PROCMAP_QUERY`).
pub(crate) fn mapping_from(addr: u64) -> Option<Option<(u64, u64)>> {
    let fd = crate::process::fds::maps_fd();
    if fd < 0 || NO_PROCMAP_QUERY.load(Ordering::Relaxed) {
        return None;
    }
    match procmap_query(fd, addr, COVERING_OR_NEXT_VMA) {
        Ok(q) => Some(q.map(|q| (q.vma_start, q.vma_end))),
        Err(()) => None,
    }
}

/// [`prot_and_range`] from the text of the maps descriptor `fd`. The caller holds LOCK.
fn scan_maps(fd: i32, addr: u64) -> Option<(u32, bool, u64, u64)> {
    static mut BUF: [u8; 8192] = [0; 8192];
    // SAFETY: BUF is only used under LOCK, which the caller holds.
    let buf = unsafe { &mut *core::ptr::addr_of_mut!(BUF) };
    let mut have = 0usize;
    let mut offset = 0u64;
    let mut result = None;
    'outer: loop {
        let n = raw::syscall4(
            sys::__NR_pread64,
            fd as u64,
            buf[have..].as_mut_ptr() as u64,
            (buf.len() - have) as u64,
            offset,
        );
        if n <= 0 {
            break;
        }
        offset += n as u64;
        have += n as usize;
        let mut start = 0usize;
        while let Some(nl) = buf[start..have].iter().position(|&b| b == b'\n') {
            if let Some(r) = parse_line_full(&buf[start..start + nl], addr) {
                result = Some(r);
                break 'outer;
            }
            start += nl + 1;
        }
        buf.copy_within(start..have, 0);
        have -= start;
        if have == buf.len() {
            break; // a line longer than the buffer: give up
        }
    }
    result
}

fn hexnum(s: &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for &c in s {
        v = v.checked_mul(16)? + (c as char).to_digit(16)? as u64;
    }
    Some(v)
}

#[cfg(test)]
fn parse_line(line: &[u8], addr: u64) -> Option<(u32, bool)> {
    parse_line_full(line, addr).map(|(p, private, _, _)| (p, private))
}

/// (prot, private, mapping start, file offset) of the line if it covers `addr`.
fn parse_line_full(line: &[u8], addr: u64) -> Option<(u32, bool, u64, u64)> {
    let dash = line.iter().position(|&b| b == b'-')?;
    let sp = line.iter().position(|&b| b == b' ')?;
    let lo = hexnum(&line[..dash])?;
    let hi = hexnum(&line[dash + 1..sp])?;
    if addr < lo || addr >= hi {
        return None;
    }
    let perms = line.get(sp + 1..sp + 5)?;
    let rest = line.get(sp + 6..)?;
    let off_end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
    let offset = hexnum(&rest[..off_end]).unwrap_or(0);
    let mut prot = 0;
    if perms[0] == b'r' {
        prot |= sys::PROT_READ;
    }
    if perms[1] == b'w' {
        prot |= sys::PROT_WRITE;
    }
    if perms[2] == b'x' {
        prot |= sys::PROT_EXEC;
    }
    Some((prot, perms[3] == b'p', lo, offset))
}

/// Replaces the 16-byte aligned block at `block` (expected `old`) by `new`, atomically.
///
/// # Safety
/// `block` must be 16-byte aligned, mapped and writable.
unsafe fn cmpxchg16(block: u64, old: [u8; 16], new: [u8; 16]) -> bool {
    let o = u128::from_le_bytes(old);
    let n = u128::from_le_bytes(new);
    let ok: u8;
    // SAFETY: caller contract; rbx is reserved by the compiler, so it is swapped in and out.
    // Every operand has a register of its own: left to the allocator, the block's address
    // once landed in rbx itself, which the first `xchg` then overwrote with code bytes.
    unsafe {
        core::arch::asm!(
            "xchg rsi, rbx",
            "lock cmpxchg16b xmmword ptr [rdi]",
            "sete r8b",
            "xchg rsi, rbx",
            in("rdi") block,
            inout("rsi") n as u64 => _,
            out("r8b") ok,
            in("rcx") (n >> 64) as u64,
            inout("rax") o as u64 => _,
            inout("rdx") (o >> 64) as u64 => _,
            options(nostack)
        );
    }
    ok != 0
}

/// Locked compare-exchange of one byte.
///
/// # Safety
/// `at` must be mapped and writable.
unsafe fn cmpxchg8(at: u64, old: u8, new: u8) -> bool {
    let ok: u8;
    // SAFETY: caller contract.
    unsafe {
        core::arch::asm!(
            "lock cmpxchg byte ptr [{p}], {n}",
            "sete {ok}",
            p = in(reg) at,
            n = in(reg_byte) new,
            ok = out(reg_byte) ok,
            inout("al") old => _,
            options(nostack)
        );
    }
    ok != 0
}

/// Locked compare-exchange of a 16-bit word (inside one cache line).
///
/// # Safety
/// `at` must be mapped and writable.
unsafe fn cmpxchg16bit(at: u64, old: u16, new: u16) -> bool {
    let ok: u8;
    // SAFETY: caller contract.
    unsafe {
        core::arch::asm!(
            "lock cmpxchg word ptr [{p}], {n:x}",
            "sete {ok}",
            p = in(reg) at,
            n = in(reg) new,
            ok = out(reg_byte) ok,
            inout("ax") old => _,
            options(nostack)
        );
    }
    ok != 0
}

/// How the bytes of a site (`len` bytes from `site`, the last two its `syscall`) can change
/// so that another thread's instruction fetch never sees a mix of old and new instructions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Swap {
    /// Inside one aligned 16-byte block: one `lock cmpxchg16b`.
    Block,
    /// Straddling two blocks: in steps, as the kernel patches its own text (see [`swap_site`]).
    /// With `keep_0f` the `syscall` itself straddles a cache line (and maybe a page): no locked
    /// store covers both its bytes, so the new bytes must keep its `0f` and only the `05`
    /// changes, in one locked byte store (`0f 0b`, `ud2`, is the trap they end with).
    Steps { keep_0f: bool },
}

/// How the site can change.
pub(crate) fn swap_kind(site: u64, len: u64) -> Swap {
    let syscall_at = site + len - 2;
    if site + len <= (site & !15) + 16 {
        Swap::Block
    } else {
        Swap::Steps {
            keep_0f: syscall_at & 63 == 63,
        }
    }
}

/// Replaces the site's bytes by `new` (as many; its last two take the `syscall`'s place), with
/// the site's pages (protection `prot`) writable for the duration. In steps: `int3` over the
/// first byte, the new last two bytes over the `syscall` (they must trap when reached on
/// their own: a restarted call comes back to the `syscall`), the bytes in between (no thread
/// can be at them: behind the `int3`, in front of the trap), then the first byte. The caller
/// tells its SIGTRAP handling which site is being patched in steps, and its SIGILL handling
/// what the trap stands for.
///
/// A site may cross a page boundary (glibc's `__open64_nocancel` here ends with a `syscall`
/// whose `0f` is the last byte of a page): both pages must then be private mappings of
/// protection `prot` at the same offset from one base (the same image, which earlier
/// rewrites' `mprotect`s may have split; anonymous code counts from 0), and are made writable
/// together.
pub(crate) fn swap_site(site: u64, new: &[u8], prot: u32, how: Swap) -> bool {
    let n = new.len();
    let syscall_at = site + n as u64 - 2;
    if site >> 12 != (syscall_at + 1) >> 12 {
        let same = match (prot_and_range(site), prot_and_range(syscall_at + 1)) {
            (Some((p1, true, s1, o1)), Some((p2, true, s2, o2))) => {
                p1 == prot && p2 == prot && s1.wrapping_sub(o1) == s2.wrapping_sub(o2)
            }
            _ => false,
        };
        if !same {
            return false;
        }
    }
    if let Some(done) = swap_alone(site, new) {
        return done;
    }
    if how == Swap::Block {
        let block = site & !15;
        let mut old = [0u8; 16];
        if !guest::read(block, &mut old) {
            return false;
        }
        let off = (site - block) as usize;
        let mut bytes = old;
        bytes[off..off + n].copy_from_slice(new);
        // SAFETY: the block is 16-byte aligned and lies in the site's page, writable (and
        // still executable) inside the closure.
        return crate::rewrite::sites::with_page_writable(site, prot, || unsafe {
            cmpxchg16(block, old, bytes)
        });
    }
    let keep_0f = how == (Swap::Steps { keep_0f: true });
    if keep_0f && new[n - 2] != 0x0f {
        return false;
    }
    let mut first = [0u8; 1];
    if !guest::read(site, &mut first) {
        return false;
    }
    crate::rewrite::sites::with_pages_writable(site, n as u64, prot, || {
        // SAFETY: the site's bytes are mapped and writable inside the closure; each store is
        // a locked byte or word (the word inside one cache line: `swap_kind`), or to bytes no
        // thread can be executing.
        unsafe {
            if !cmpxchg8(site, first[0], 0xcc) {
                return false;
            }
            let trapped = if new[n - 2] == 0x0f {
                cmpxchg8(syscall_at + 1, 0x05, new[n - 1])
            } else {
                cmpxchg16bit(
                    syscall_at,
                    0x050f,
                    u16::from_le_bytes([new[n - 2], new[n - 1]]),
                )
            };
            if !trapped {
                cmpxchg8(site, 0xcc, first[0]);
                return false;
            }
            for (i, byte) in new[1..n - 2].iter().enumerate() {
                core::ptr::write_volatile((site + 1 + i as u64) as *mut u8, *byte);
            }
            cmpxchg8(site, 0xcc, new[0])
        }
    })
}

/// While this is the only thread, nothing else can fetch a site's bytes while they change
/// (the rewriter runs with signals blocked): `new` (up to 16 bytes, the last two over the
/// `syscall`) is written at once through the mem descriptor, without `mprotect`s. `None` when
/// other threads run or there is no mem descriptor (the caller changes the bytes its own way);
/// `Some(false)` when the site no longer ends with its `syscall`.
fn swap_alone(site: u64, new: &[u8]) -> Option<bool> {
    if !crate::process::thread::alone() {
        return None;
    }
    let n = new.len();
    let mut old = [0u8; 16];
    if !guest::read(site, &mut old[..n]) || old[n - 2..n] != [0x0f, 0x05] {
        return Some(false);
    }
    crate::rewrite::sites::poke(site, new).then_some(true)
}

/// Replaces the `syscall` at `site` (in a page of protection `prot`) by the two bytes `new`,
/// with one locked store (the caller checked that both bytes lie in one cache line), or one
/// write through the mem descriptor while this is the only thread.
pub(crate) fn swap_syscall(site: u64, new: [u8; 2], prot: u32) -> bool {
    if let Some(done) = swap_alone(site, &new) {
        return done;
    }
    // SAFETY: `site` is mapped and writable inside the closure; the two bytes lie inside one
    // cache line (the caller's check), so the locked compare-exchange is atomic for instruction
    // fetches on other cores too.
    crate::rewrite::sites::with_page_writable(site, prot, || unsafe {
        cmpxchg16bit(site, 0x050f, u16::from_le_bytes(new))
    })
}

/// `mov $nr,%eax; syscall` ending at `end` (the address after the syscall) → `call rel32;
/// ud2` (see `trampoline.rs`). `nr` is the number the trapped call actually had: the `mov`'s
/// immediate must be it. Returns whether the site was rewritten.
///
/// Inside one aligned 16-byte block the seven bytes change in one `lock cmpxchg16b`. A site
/// that straddles such a block is rewritten in steps, as the kernel patches its own text:
/// `int3` over the first byte, `ud2` over the `syscall`, the displacement, then the `call`
/// opcode. A thread that meets the `int3` (SIGTRAP) or, having run the old `mov`, the `ud2`
/// (SIGILL) is recognised through the site being patched and still makes its syscall.
fn try_rewrite_call(base: u64, prot: u32, end: u64, nr: u64) -> bool {
    let site = end.wrapping_sub(7);
    let mut b = [0u8; 7];
    if !guest::read(site, &mut b) || b[0] != 0xb8 || b[5..] != [0x0f, 0x05] {
        return false;
    }
    let imm = u32::from_le_bytes([b[1], b[2], b[3], b[4]]);
    if imm as u64 != nr {
        return false;
    }
    if !crate::rewrite::trampoline::boundary_is_certain(base, end - 2) {
        return false;
    }
    let how = swap_kind(site, 7);
    let Some(patch) = crate::rewrite::trampoline::patch_for(site, imm) else {
        return false;
    };
    if how == Swap::Block {
        return swap_site(site, &patch, prot, how);
    }
    crate::rewrite::trampoline::begin_patch(site, imm);
    let done = swap_site(site, &patch, prot, how);
    crate::rewrite::trampoline::end_patch();
    done
}

/// Sites the rewriter gave up on (without page 0), direct-mapped by address: a collision only
/// costs another attempt.
static GAVE_UP: [AtomicU64; 1024] = [const { AtomicU64::new(0) }; 1024];

/// Rewrites the `syscall` instruction that ends at `end` (its return address) so that later
/// executions enter directly: `call *%rax` into the page-0 sled when page 0 is mapped, else
/// the instruction before it moved into a trampoline called from its place (`displaced.rs`),
/// else `call rel32; ud2` for `mov $nr,%eax; syscall` (`trampoline.rs`), else a short jump to
/// a call in padding nearby (`padding.rs`).
pub(crate) fn try_rewrite(end: u64, nr: u64) {
    if !crate::config::get().rewrite {
        return;
    }
    let site = end.wrapping_sub(2);
    let (lo, hi) = raw::allowed_range();
    if site >= lo && site < hi {
        return;
    }
    let mut insn = [0u8; 2];
    if !guest::read(site, &mut insn) || insn != [0x0f, 0x05] {
        return;
    }
    if LOCK.swap(true, Ordering::Acquire) {
        return;
    }
    // The image's base and the code's protection, from /proc/self/maps.
    let image = || match prot_and_range(site) {
        Some((prot, true, start, off)) if prot & sys::PROT_EXEC != 0 => {
            start.checked_sub(off).map(|base| (base, prot))
        }
        _ => None,
    };
    if enabled() {
        // The instruction before the `syscall` moved into a trampoline (`displaced.rs`: a
        // number in the `mov` goes straight to its table entry, where the sled runs 14 or
        // more jumps), else the sled (any shape).
        if let Some((base, prot)) = image() {
            if !crate::rewrite::displaced::try_rewrite(base, site, prot) && site & 63 != 63 {
                swap_syscall(site, [0xff, 0xd0], prot);
            }
        }
    } else {
        // A site that could not be rewritten is not looked at again (the search reads
        // /proc/self/maps and decodes the function: tens of microseconds a time).
        let slot = &GAVE_UP[(site as usize >> 1) % GAVE_UP.len()];
        if slot.load(Ordering::Relaxed) != site {
            // The instruction before the `syscall` moved into a trampoline (`displaced.rs`),
            // else `mov $nr,%eax; syscall` straddling a 16-byte block as `call; ud2`
            // (`trampoline.rs`), else a short jump into padding nearby (`padding.rs`), else
            // the two instructions before it moved (`displaced.rs`).
            let done = matches!(image(), Some((base, prot)) if crate::rewrite::displaced::try_rewrite(base, site, prot)
                || try_rewrite_call(base, prot, end, nr)
                || crate::rewrite::padding::try_rewrite(base, site, prot)
                || crate::rewrite::displaced::try_rewrite_pair(base, site, prot));
            if !done {
                slot.store(site, Ordering::Relaxed);
            }
        }
    }
    LOCK.store(false, Ordering::Release);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sled_reaches_tail() {
        let mut page = [0u8; PAGE as usize];
        fill_sled(&mut page, 0, SLED_TAIL_1);
        fill_sled(&mut page, SLED_TAIL_1 + 14, SLED_TAIL_2);
        tail_table(&mut page[SLED_TAIL_1..], 0x1122_3344_5566_7788);
        tail_slow(&mut page[SLED_TAIL_2..], 0x1122_3344_5566_7788);
        let worst = (0..SLED_TAIL_1)
            .map(|k| sled_steps(&page, k, SLED_TAIL_1).expect("decodes to the tail"))
            .max();
        assert_eq!(worst, Some(42));
        assert_eq!(sled_steps(&page, 110, SLED_TAIL_1), Some(14));
        for k in SLED_TAIL_1 + 14..SLED_TAIL_2 {
            assert!(sled_steps(&page, k, SLED_TAIL_2).is_some(), "entry {k}");
        }
        // Every byte is a jump, a displacement or a nop: nothing else can run.
        assert!(page[..SLED_TAIL_1]
            .iter()
            .all(|b| *b == 0xeb || *b == 0x90 || DISPS.contains(b)));
    }

    /// `PROCMAP_QUERY` and the text of /proc/self/maps agree on this process's own mappings
    /// (code, stack, heap, a private and a shared anonymous mapping) and on an unmapped address.
    #[test]
    fn procmap_query_agrees_with_the_maps_text() {
        use std::os::fd::AsRawFd;
        let maps = std::fs::File::open("/proc/self/maps").expect("open /proc/self/maps");
        let fd = maps.as_raw_fd();
        let stack = 0u64;
        let heap = std::boxed::Box::new(0u64);
        let map = |flags: u32| {
            let r = raw::syscall6(
                sys::__NR_mmap,
                [
                    0,
                    8192,
                    (sys::PROT_READ | sys::PROT_WRITE) as u64,
                    (flags | sys::MAP_ANONYMOUS) as u64,
                    u64::MAX,
                    0,
                ],
            );
            assert!(r > 0, "mmap: {r}");
            r as u64
        };
        let (private, shared) = (map(sys::MAP_PRIVATE), map(sys::MAP_SHARED));
        let addrs = [
            procmap_query_agrees_with_the_maps_text as fn() as usize as u64,
            &stack as *const u64 as u64,
            &*heap as *const u64 as u64,
            private + 4096,
            shared,
            0x1000,
        ];
        for a in addrs {
            let queried = match query_vma(fd, a) {
                Ok(r) => r,
                Err(()) => {
                    std::eprintln!("skipped: this kernel has no PROCMAP_QUERY");
                    return;
                }
            };
            let _guard = LockGuard::take();
            assert_eq!(queried, scan_maps(fd, a), "{a:#x}");
        }
        assert_eq!(
            query_vma(fd, private),
            Ok(Some((sys::PROT_READ | sys::PROT_WRITE, true, private, 0)))
        );
        assert!(matches!(query_vma(fd, shared), Ok(Some((_, false, _, _)))));
        assert_eq!(query_vma(fd, 0x1000), Ok(None));
        raw::munmap(private, 8192);
        raw::munmap(shared, 8192);
    }

    /// Holds the rewriter's LOCK (for `scan_maps`' buffer) while tests run in parallel.
    struct LockGuard;
    impl LockGuard {
        fn take() -> Self {
            while LOCK.swap(true, Ordering::Acquire) {
                std::thread::yield_now();
            }
            LockGuard
        }
    }
    impl Drop for LockGuard {
        fn drop(&mut self) {
            LOCK.store(false, Ordering::Release);
        }
    }

    #[test]
    fn maps_line_parsing() {
        let l = b"7f0000001000-7f0000003000 r-xp 00001000 08:01 123 /usr/lib/libc.so.6";
        assert_eq!(
            parse_line(l, 0x7f0000001000),
            Some((sys::PROT_READ | sys::PROT_EXEC, true))
        );
        assert_eq!(parse_line(l, 0x7f0000003000), None);
        let s = b"7f0000001000-7f0000003000 rwxs 00000000 00:05 9 /dev/shm/x";
        assert_eq!(
            parse_line(s, 0x7f0000002fff),
            Some((sys::PROT_READ | sys::PROT_WRITE | sys::PROT_EXEC, false))
        );
    }
}
