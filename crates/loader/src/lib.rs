//! sysgate's ELF loader, the part that runs inside the new process: it maps a program as the
//! kernel's `binfmt_elf` would — static, static-PIE or dynamic (then its `PT_INTERP` too) —
//! and builds the initial stack and aux vector the program starts with. The vDSO is sysgate's
//! choice (seed 001): whoever builds the aux vector decides how the program reaches the kernel.
//!
//! - `boot.rs`: the loader's `main`, whichever tool it carries ([`boot::Hooks`]);
//! - `selflaunch.rs`: a loader started by hand (a tool built with `sysgate-sdk`) launches
//!   itself;
//! - `map.rs`, `stack.rs`: the program's mappings and its initial stack.
//!
//! The executable `sysgate-loader` (the tools `sysgate` ships) is `src/main.rs`: [`entry!`]
//! with the `gate` tool's hooks.
#![cfg_attr(not(test), no_std)]
#![allow(unsafe_code)]

pub mod boot;
pub mod map;
pub mod selflaunch;
pub mod stack;

/// Makes the crate it is used in a loader executable: its `_start` (which applies the image's
/// own relative relocations before any Rust code runs, then calls [`boot::main`] with
/// `$hooks`), an allocator that refuses every request, and the panic handler.
///
/// The executable must be linked freestanding, as a static PIE:
/// `-nostartfiles -nostdlib -static-pie` (`sysgate-sdk`'s `build` module prints them).
#[macro_export]
macro_rules! entry {
    ($hooks:expr) => {
        ::core::arch::global_asm!(
            r#"
    .globl _start
    .type _start,@function
_start:
    xor     %ebp, %ebp
    mov     %rsp, %r12              /* the kernel's initial stack: argc, argv, envp, auxv */
    lea     __ehdr_start(%rip), %rsi
    lea     _DYNAMIC(%rip), %rdx
    /* Apply R_X86_64_RELATIVE relocations (a static PIE has no others) before any Rust. */
    xor     %r8, %r8
    xor     %r9, %r9
1:  mov     (%rdx), %rax
    test    %rax, %rax
    jz      3f
    cmp     $7, %rax                /* DT_RELA */
    jne     2f
    mov     8(%rdx), %r8
2:  cmp     $8, %rax                /* DT_RELASZ */
    jne     4f
    mov     8(%rdx), %r9
4:  add     $16, %rdx
    jmp     1b
3:  test    %r8, %r8
    jz      9f
    add     %rsi, %r8
    lea     (%r8,%r9), %r9
5:  cmp     %r9, %r8
    jae     9f
    cmpl    $8, 8(%r8)              /* ELF64_R_TYPE(r_info) == R_X86_64_RELATIVE */
    jne     6f
    mov     (%r8), %rcx
    mov     16(%r8), %r10
    add     %rsi, %r10
    mov     %r10, (%rsi,%rcx)
6:  add     $24, %r8
    jmp     5b
9:  mov     %r12, %rdi
    sub     ${gap}, %rsp
    and     $-16, %rsp
    call    {main}
    ud2
"#,
            gap = const $crate::boot::GAP,
            main = sym __sysgate_loader_main,
            options(att_syntax)
        );

        extern "C" fn __sysgate_loader_main(sp0: *const u64) -> ! {
            static HOOKS: $crate::boot::Hooks = $hooks;
            // SAFETY: called once by `_start` above, with the kernel's initial stack and the
            // gap below it left free.
            unsafe { $crate::boot::main(sp0, &HOOKS) }
        }

        /// The loader (and the runtime it carries) never allocates; `object`'s ELF reader
        /// links the `alloc` crate all the same. Every request fails, so an allocation would
        /// abort loudly.
        struct __SysgateNoAlloc;
        // SAFETY: never hands out memory; returning null is the documented failure.
        unsafe impl ::core::alloc::GlobalAlloc for __SysgateNoAlloc {
            unsafe fn alloc(&self, _layout: ::core::alloc::Layout) -> *mut u8 {
                ::core::ptr::null_mut()
            }
            unsafe fn dealloc(&self, _ptr: *mut u8, _layout: ::core::alloc::Layout) {}
        }
        #[global_allocator]
        static __SYSGATE_ALLOCATOR: __SysgateNoAlloc = __SysgateNoAlloc;

        #[panic_handler]
        fn __sysgate_panic(_info: &::core::panic::PanicInfo<'_>) -> ! {
            $crate::boot::panicked()
        }

        /// Referenced by precompiled `core` even with `panic = "abort"`; never called.
        #[no_mangle]
        extern "C" fn rust_eh_personality() {}
    };
}
