//! The vDSO in an image sysgate did not load (seed 001): its functions answer `clock_gettime`,
//! `gettimeofday`, `time`, `getcpu` and `clock_getres` without entering the kernel, so nothing
//! would see them. Each exported entry point is overwritten with
//! `movabs $stub, %r11; jmp *%r11`; the stub loads the syscall number and jumps through the
//! entry's table. At a vDSO function's first instruction `[rsp]` is the caller's return address
//! and the arguments are in `rdi, rsi, rdx` — exactly the state a rewritten `call *%rax` site
//! produces — so the call becomes that syscall, seen by every tool, and returns to the caller.
//! (r11 and rcx are call-clobbered in the C ABI.)
//!
//! The whole vDSO mapping must be made writable at once (`mprotect` of a part of it fails).
//! `__vdso_getrandom` is left alone: its calling convention (an opaque per-thread state) is not
//! a syscall's.

use crate::memory::guest;
use crate::raw::{self, sys};
use crate::ways_in::entry;
use core::arch::global_asm;

global_asm!(
    r#"
    .pushsection sysgate_entry,"ax",@progbits
    .p2align 4
sysgate_vdso_clock_gettime:
    mov     $228, %eax
    jmp     *{table}+228*8(%rip)
    .p2align 4
sysgate_vdso_gettimeofday:
    mov     $96, %eax
    jmp     *{table}+96*8(%rip)
    .p2align 4
sysgate_vdso_time:
    mov     $201, %eax
    jmp     *{table}+201*8(%rip)
    .p2align 4
sysgate_vdso_getcpu:
    mov     $309, %eax
    jmp     *{table}+309*8(%rip)
    .p2align 4
sysgate_vdso_clock_getres:
    mov     $229, %eax
    jmp     *{table}+229*8(%rip)
    .popsection
"#,
    table = sym entry::sysgate_table,
    options(att_syntax)
);

extern "C" {
    fn sysgate_vdso_clock_gettime();
    fn sysgate_vdso_gettimeofday();
    fn sysgate_vdso_time();
    fn sysgate_vdso_getcpu();
    fn sysgate_vdso_clock_getres();
}

const AT_SYSINFO_EHDR: u64 = 33;
const PATCH_LEN: usize = 13;

fn stubs() -> [(&'static [u8], u64); 5] {
    [
        (
            b"__vdso_clock_gettime",
            sysgate_vdso_clock_gettime as *const () as usize as u64,
        ),
        (
            b"__vdso_gettimeofday",
            sysgate_vdso_gettimeofday as *const () as usize as u64,
        ),
        (
            b"__vdso_time",
            sysgate_vdso_time as *const () as usize as u64,
        ),
        (
            b"__vdso_getcpu",
            sysgate_vdso_getcpu as *const () as usize as u64,
        ),
        (
            b"__vdso_clock_getres",
            sysgate_vdso_clock_getres as *const () as usize as u64,
        ),
    ]
}

fn rd<T: Copy + Default>(addr: u64) -> Option<T> {
    let mut v = T::default();
    guest::read_struct(addr, &mut v).then_some(v)
}

/// The vDSO's address from the aux vector, if it has one.
pub fn base_from_auxv(auxv: u64) -> Option<u64> {
    for i in 0..128u64 {
        let key: u64 = rd(auxv + i * 16)?;
        if key == 0 {
            return None;
        }
        if key == AT_SYSINFO_EHDR {
            return rd::<u64>(auxv + i * 16 + 8).filter(|v| *v != 0);
        }
    }
    None
}

/// A symbol of the vDSO's dynamic symbol table: (name offset, value, size).
fn for_each_dynsym(base: u64, mut f: impl FnMut(&[u8], u64, u64)) -> Option<u64> {
    // ELF header: e_shoff at 0x28, e_shentsize at 0x3a, e_shnum at 0x3c; PT_LOAD extent.
    let shoff: u64 = rd(base + 0x28)?;
    let shentsize: u16 = rd(base + 0x3a)?;
    let shnum: u16 = rd(base + 0x3c)?;
    let phoff: u64 = rd(base + 0x20)?;
    let phnum: u16 = rd(base + 0x38)?;
    let mut extent = 0u64;
    for i in 0..phnum as u64 {
        let ph = base + phoff + i * 56;
        if rd::<u32>(ph)? == 1 {
            let end = rd::<u64>(ph + 16)? + rd::<u64>(ph + 40)?;
            extent = extent.max(end);
        }
    }
    for i in 0..shnum as u64 {
        let sh = base + shoff + i * shentsize as u64;
        const SHT_DYNSYM: u32 = 11;
        if rd::<u32>(sh + 4)? != SHT_DYNSYM {
            continue;
        }
        let sym_off: u64 = rd(sh + 0x18)?;
        let sym_size: u64 = rd(sh + 0x20)?;
        let link: u32 = rd(sh + 0x28)?;
        let str_sh = base + shoff + link as u64 * shentsize as u64;
        let str_off: u64 = rd(str_sh + 0x18)?;
        for s in 0..sym_size / 24 {
            let sym = base + sym_off + s * 24;
            let name: u32 = rd(sym)?;
            let value: u64 = rd(sym + 8)?;
            let size: u64 = rd(sym + 16)?;
            let mut nb = [0u8; 32];
            let n = guest::read_cstr(base + str_off + name as u64, &mut nb)?;
            f(&nb[..n], value, size);
        }
    }
    Some((extent + 4095) & !4095)
}

/// Patches the vDSO at `base` so its calls reach the entry. Returns how many entry points were
/// redirected.
pub fn patch(base: u64) -> usize {
    let mut todo = [(0u64, 0u64); 5];
    let Some(len) = for_each_dynsym(base, |name, value, size| {
        for (i, (want, stub)) in stubs().iter().enumerate() {
            if name == *want && size as usize >= PATCH_LEN {
                todo[i] = (base + value, *stub);
            }
        }
    }) else {
        return 0;
    };
    if len == 0 {
        return 0;
    }
    let rwx = (sys::PROT_READ | sys::PROT_WRITE | sys::PROT_EXEC) as u64;
    if raw::syscall3(sys::__NR_mprotect, base, len, rwx) != 0 {
        return 0;
    }
    let mut done = 0;
    for (at, stub) in todo {
        if at == 0 {
            continue;
        }
        let mut code = [0u8; PATCH_LEN];
        code[0] = 0x49; // movabs $stub, %r11
        code[1] = 0xbb;
        code[2..10].copy_from_slice(&stub.to_le_bytes());
        code[10..13].copy_from_slice(&[0x41, 0xff, 0xe3]); // jmp *%r11
        if guest::write(at, &code) {
            done += 1;
        }
    }
    raw::syscall3(
        sys::__NR_mprotect,
        base,
        len,
        (sys::PROT_READ | sys::PROT_EXEC) as u64,
    );
    done
}
