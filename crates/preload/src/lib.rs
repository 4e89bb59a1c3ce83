//! The library sysgate preloads into every program.
//!
//! Its initializer runs before the program's `main`: it reads the configuration sysgate left in
//! the environment (and removes it, so the program sees its own environment), picks the tool,
//! and arms the runtime. Everything after that happens in the runtime's entry.
#![cfg_attr(not(test), no_std)]
#![allow(unsafe_code)]

use sysgate_runtime as rt;
use sysgate_tools::tracer::{self, Settings, Tracer};

/// `sysgate run`: every syscall passes through the entry; nothing is shown.
struct Run;
impl rt::Tool for Run {
    fn subscribe(&self, _wants: &mut [bool; rt::api::NR_MAX]) {}
}
static RUN: Run = Run;

/// Called by the dynamic loader (glibc passes argc, argv, envp to `.init_array` functions).
extern "C" fn sysgate_init(_argc: i32, argv: *const *const u8, envp: *mut *const u8) {
    if envp.is_null() {
        return;
    }
    // The aux vector follows the environment's NULL; find it before the environment shrinks.
    let mut n = 0usize;
    // SAFETY: envp is the NUL-terminated environment array the kernel built.
    unsafe {
        while !(*envp.add(n)).is_null() {
            n += 1;
        }
    }
    // SAFETY: the aux vector starts right after envp's terminating NULL.
    let auxv = unsafe { envp.add(n + 1) } as u64;
    // SAFETY: single-threaded start-up, envp is the process environment.
    if !unsafe { rt::config::init_from_env(envp) } {
        return; // preloaded by someone else than sysgate: stay out of the way
    }
    let cfg = rt::config::get();
    let tracing = cfg.get("tool") == Some("trace");
    let tool: &'static dyn rt::Tool = if tracing { Tracer::init(Settings::from_config(cfg)) } else { &RUN };
    // SAFETY: once, single-threaded, before the program's main.
    if unsafe { rt::arm(tool, auxv) }.is_err() {
        rt::raw::fatal("cannot arm the runtime (syscall user dispatch unavailable?)");
    }
    if let (true, Some(t)) = (tracing, rt::thread::current()) {
        tracer::image_started(t, argv as u64, envp as u64, auxv);
    }
}

#[used]
#[link_section = ".init_array"]
static INIT: extern "C" fn(i32, *const *const u8, *mut *const u8) = sysgate_init;

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    rt::raw::fatal("panic in the runtime")
}

/// Referenced by precompiled `core` even with `panic = "abort"`; never called. Hidden, so that
/// it never interposes on a Rust program's own.
#[no_mangle]
extern "C" fn rust_eh_personality() {}
core::arch::global_asm!(".hidden rust_eh_personality");
