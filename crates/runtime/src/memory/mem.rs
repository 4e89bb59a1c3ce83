//! The memory primitives the compiler emits calls to (`memcpy`, `memset`, …), defined here with
//! hidden visibility. The runtime must not depend on the program's libc (there may be none),
//! and libc's versions may use AVX/AVX-512 registers that the entry does not save.
//! Hidden symbols bind inside this library only; the program's own `memcpy` is untouched.
#![allow(unsafe_code)]

use core::arch::{asm, global_asm};

global_asm!(
    ".hidden memcpy",
    ".hidden memmove",
    ".hidden memset",
    ".hidden memcmp",
    ".hidden bcmp",
    ".hidden strlen"
);

// memcpy and memset in assembly: word moves for small sizes (`rep movsb` costs tens of cycles
// to start, and formatting makes many copies of a few bytes), the string instructions for
// large ones. Written out so the compiler cannot turn a copy loop back into a call to memcpy.
global_asm!(
    r#"
    .text
    .globl memcpy
    .type memcpy,@function
    .p2align 4
memcpy:
    mov     %rdi, %rax
    cmp     $128, %rdx
    jae     3f
1:  cmp     $8, %rdx
    jb      2f
    mov     (%rsi), %rcx
    mov     %rcx, (%rdi)
    add     $8, %rsi
    add     $8, %rdi
    sub     $8, %rdx
    jmp     1b
2:  test    %rdx, %rdx
    jz      4f
    movb    (%rsi), %cl
    movb    %cl, (%rdi)
    inc     %rsi
    inc     %rdi
    dec     %rdx
    jmp     2b
3:  mov     %rdx, %rcx
    rep movsb
4:  ret
    .size memcpy, . - memcpy

    .globl memset
    .type memset,@function
    .p2align 4
memset:
    mov     %rdi, %r8
    movzbl  %sil, %eax
    cmp     $128, %rdx
    jae     3f
    movabs  $0x0101010101010101, %rcx
    imul    %rcx, %rax
1:  cmp     $8, %rdx
    jb      2f
    mov     %rax, (%rdi)
    add     $8, %rdi
    sub     $8, %rdx
    jmp     1b
2:  test    %rdx, %rdx
    jz      4f
    movb    %al, (%rdi)
    inc     %rdi
    dec     %rdx
    jmp     2b
3:  mov     %rdx, %rcx
    rep stosb
4:  mov     %r8, %rax
    ret
    .size memset, . - memset
"#,
    options(att_syntax)
);

/// # Safety
/// Standard `memmove` contract.
#[no_mangle]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize).wrapping_sub(src as usize) >= n {
        // No harmful overlap for a forward copy.
        // SAFETY: ranges valid (caller); a forward copy is correct when dst is not inside
        // (src, src + n).
        unsafe {
            asm!("rep movsb", inout("rcx") n => _, inout("rdi") dst => _, inout("rsi") src => _, options(nostack, preserves_flags));
        }
    } else {
        // SAFETY: backward copy of overlapping ranges; DF restored before returning.
        unsafe {
            asm!(
                "std",
                "rep movsb",
                "cld",
                inout("rcx") n => _,
                inout("rdi") dst.add(n).wrapping_sub(1) => _,
                inout("rsi") src.add(n).wrapping_sub(1) => _,
                options(nostack)
            );
        }
    }
    dst
}

/// # Safety
/// Standard `memcmp` contract.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: both ranges are valid for n bytes (caller).
        let (x, y) = unsafe {
            (
                core::ptr::read_volatile(a.add(i)),
                core::ptr::read_volatile(b.add(i)),
            )
        };
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

/// # Safety
/// Standard `bcmp` contract.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// Standard `strlen` contract.
#[no_mangle]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: `s` is NUL-terminated (caller).
    unsafe {
        while core::ptr::read_volatile(s.add(n)) != 0 {
            n += 1;
        }
    }
    n
}
