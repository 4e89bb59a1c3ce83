//! Guest memory: every read or write of a program pointer goes through here (seed 004).
//!
//! The copy routines are tiny assembly functions listed in a fixup table: a fault at one of the
//! listed instructions resumes at its fixup address, which returns `-EFAULT`. A bad pointer
//! therefore gives the handler EFAULT — never a crash of the program or of the runtime.
#![allow(unsafe_code)]

use core::arch::global_asm;

global_asm!(
    r#"
    .pushsection .text.sysgate_guest,"ax",@progbits
    .globl sysgate_guest_copy
    .hidden sysgate_guest_copy
    .type sysgate_guest_copy,@function
    .p2align 4
/* long sysgate_guest_copy(void *dst, const void *src, size_t len): 0 or -EFAULT */
sysgate_guest_copy:
    mov     %rdx, %rcx
    .globl sysgate_guest_copy_insn
    .hidden sysgate_guest_copy_insn
sysgate_guest_copy_insn:
    rep movsb
    xor     %eax, %eax
    ret
    .globl sysgate_guest_copy_fixup
    .hidden sysgate_guest_copy_fixup
sysgate_guest_copy_fixup:
    cld
    mov     $-14, %rax
    ret
    .size sysgate_guest_copy, . - sysgate_guest_copy
    .popsection

    .pushsection sysgate_entry,"ax",@progbits
    .globl sysgate_int80
    .hidden sysgate_int80
    .type sysgate_int80,@function
    .p2align 4
/* long sysgate_int80(const unsigned *regs7): eax, ebx, ecx, edx, esi, edi, ebp */
sysgate_int80:
    push    %rbx
    push    %rbp
    mov     0(%rdi), %eax
    mov     4(%rdi), %ebx
    mov     8(%rdi), %ecx
    mov     12(%rdi), %edx
    mov     16(%rdi), %esi
    mov     24(%rdi), %ebp
    mov     20(%rdi), %edi
    int     $0x80
    pop     %rbp
    pop     %rbx
    ret
    .size sysgate_int80, . - sysgate_int80
    .popsection
"#,
    options(att_syntax)
);

extern "C" {
    fn sysgate_guest_copy(dst: *mut u8, src: *const u8, len: usize) -> i64;
    fn sysgate_guest_copy_insn();
    fn sysgate_guest_copy_fixup();
    fn sysgate_int80(regs: *const u32) -> i64;
}

/// The fixup table: (faulting instruction, where to resume).
pub(crate) fn fixup_for(rip: u64) -> Option<u64> {
    if rip == sysgate_guest_copy_insn as *const () as usize as u64 {
        Some(sysgate_guest_copy_fixup as *const () as usize as u64)
    } else {
        None
    }
}

/// Copies `buf.len()` bytes from guest address `addr`. False if any byte is unreadable.
pub fn read(addr: u64, buf: &mut [u8]) -> bool {
    if buf.is_empty() {
        return true;
    }
    if addr
        .checked_add(buf.len() as u64)
        .is_none_or(|end| end > 0x0000_8000_0000_0000)
    {
        return false;
    }
    // SAFETY: `buf` is ours and writable for its length; the source is guest memory whose
    // faults are caught by the fixup table and turned into -EFAULT.
    unsafe { sysgate_guest_copy(buf.as_mut_ptr(), addr as *const u8, buf.len()) == 0 }
}

/// Copies `data` to guest address `addr`. False if any byte is unwritable.
pub fn write(addr: u64, data: &[u8]) -> bool {
    if data.is_empty() {
        return true;
    }
    if addr
        .checked_add(data.len() as u64)
        .is_none_or(|end| end > 0x0000_8000_0000_0000)
    {
        return false;
    }
    // SAFETY: as in `read`, with the roles swapped.
    unsafe { sysgate_guest_copy(addr as *mut u8, data.as_ptr(), data.len()) == 0 }
}

/// Reads a plain-data value (integers, `#[repr(C)]` structs of integers) from the guest.
pub fn read_struct<T: Copy>(addr: u64, out: &mut T) -> bool {
    // SAFETY: T is plain old data in every use in the runtime (integers and repr(C) structs of
    // integers), so any byte pattern is a valid T.
    let bytes = unsafe {
        core::slice::from_raw_parts_mut(out as *mut T as *mut u8, core::mem::size_of::<T>())
    };
    read(addr, bytes)
}

/// Writes a plain-data value to the guest.
pub fn write_struct<T: Copy>(addr: u64, v: &T) -> bool {
    // SAFETY: reading the bytes of a plain-data value.
    let bytes = unsafe {
        core::slice::from_raw_parts(v as *const T as *const u8, core::mem::size_of::<T>())
    };
    write(addr, bytes)
}

/// Reads a NUL-terminated string (without the NUL) into `buf`; returns its length, or `None`
/// if unreadable. A string longer than `buf` is cut (`Some(buf.len())`, no NUL seen).
pub fn read_cstr(addr: u64, buf: &mut [u8]) -> Option<usize> {
    let mut done = 0usize;
    while done < buf.len() {
        let at = addr.wrapping_add(done as u64);
        // Never cross a page boundary in one copy: the next page may be unmapped.
        let page_left = 4096 - (at & 4095) as usize;
        let n = page_left.min(buf.len() - done).min(256);
        if !read(at, &mut buf[done..done + n]) {
            return if done == 0 { None } else { Some(done) };
        }
        if let Some(z) = buf[done..done + n].iter().position(|&b| b == 0) {
            return Some(done + z);
        }
        done += n;
    }
    Some(done)
}

/// Reads fields of a guest buffer `[base, base + len)` (records the kernel wrote, such as
/// `getdents64`'s) through 4 KiB windows: one guarded copy per window instead of one per field.
/// Where a window cannot be read whole (the buffer ends in an unmapped page), each field is
/// read on its own from then on. The copies go through [`read`], or through the reader given
/// to [`Window::with_reader`] (the trace formatter's, which its unit tests replace).
pub struct Window<R = fn(u64, &mut [u8]) -> bool> {
    read: R,
    base: u64,
    len: u64,
    at: u64,
    have: usize,
    whole: bool,
    buf: [u8; WINDOW],
}

const WINDOW: usize = 4096;

impl Window {
    pub fn new(base: u64, len: u64) -> Window {
        Window::with_reader(base, len, read)
    }
}

impl<R: FnMut(u64, &mut [u8]) -> bool> Window<R> {
    pub fn with_reader(base: u64, len: u64, read: R) -> Window<R> {
        Window {
            read,
            base,
            len,
            at: 0,
            have: 0,
            whole: true,
            buf: [0; WINDOW],
        }
    }

    /// The `n` bytes at offset `off` of the buffer (`n` at most 4 KiB); `None` past its end or
    /// where they cannot be read.
    pub fn get(&mut self, off: u64, n: usize) -> Option<&[u8]> {
        if n > WINDOW || off.checked_add(n as u64)? > self.len {
            return None;
        }
        if off < self.at || off + n as u64 > self.at + self.have as u64 {
            self.have = 0;
            if self.whole {
                let want = (WINDOW as u64).min(self.len - off) as usize;
                self.whole = (self.read)(self.base.wrapping_add(off), &mut self.buf[..want]);
                if self.whole {
                    (self.at, self.have) = (off, want);
                }
            }
            if self.have == 0 {
                if !(self.read)(self.base.wrapping_add(off), &mut self.buf[..n]) {
                    return None;
                }
                (self.at, self.have) = (off, n);
            }
        }
        let i = (off - self.at) as usize;
        Some(&self.buf[i..i + n])
    }
}

/// `int $0x80` with i386 registers (eax = nr, then ebx, ecx, edx, esi, edi, ebp).
pub(crate) fn int80(nr: u32, a: [u32; 6]) -> i64 {
    let regs = [nr, a[0], a[1], a[2], a[3], a[4], a[5]];
    // SAFETY: the kernel interprets the registers as an i386 syscall; pointer arguments are the
    // program's own and are used exactly as it passed them.
    unsafe { sysgate_int80(regs.as_ptr()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_reads_fields_across_windows_and_stops_at_the_end() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut w = Window::new(data.as_ptr() as u64, data.len() as u64);
        for (off, n) in [
            (0u64, 19usize),
            (4090, 19),
            (4077, 19),
            (8191, 2),
            (9981, 19),
            (5000, 4096),
            (12, 1),
        ] {
            assert_eq!(
                w.get(off, n),
                Some(&data[off as usize..off as usize + n]),
                "at {off}"
            );
        }
        assert_eq!(w.get(9990, 11), None);
        assert_eq!(w.get(0, 4097), None);
    }
}
