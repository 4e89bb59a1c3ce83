//! sysgate's ELF loader, the part that runs inside the new process: it maps a program as the
//! kernel's `binfmt_elf` would — static, static-PIE or dynamic (then its `PT_INTERP` too) —
//! and builds the initial stack and aux vector the program starts with. The vDSO is sysgate's
//! choice (seed 001): whoever builds the aux vector decides how the program reaches the kernel.
//!
//! The executable around it is `src/main.rs`.
#![cfg_attr(not(test), no_std)]
#![allow(unsafe_code)]

pub mod map;
pub mod stack;
