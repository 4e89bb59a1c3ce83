//! The trace output descriptor of an image that has no rings to hand its lines to (a tool run
//! by the loader without the `sysgate` process, e.g. from a test): lines are written one
//! `write` each, whole, so lines of different threads never interleave mid-line. Under
//! `sysgate` the lines go through `ring.rs` instead and the program writes nothing.

use crate::raw;
use core::sync::atomic::{AtomicI32, Ordering};

/// The trace output descriptor (-1: none): the one sysgate passed, or one a tool chose. It is
/// one of the runtime's guarded descriptors (`process/fds.rs`), which moves it out of the way
/// of the program's `dup2` and tells this module through [`moved_to`].
static FD: AtomicI32 = AtomicI32::new(-1);

/// Where trace output goes (-1: nowhere).
pub fn fd() -> i32 {
    FD.load(Ordering::Relaxed)
}

/// Makes `fd` the output descriptor (the guard in `process/fds.rs` records it first).
pub(crate) fn set_fd(fd: i32) {
    FD.store(fd, Ordering::Relaxed);
}

/// The output descriptor now lives at `new` (moved by the descriptor guard).
pub(crate) fn moved_to(new: i32) {
    FD.store(new, Ordering::Relaxed);
}

/// Writes whole lines `bytes` to `fd`.
pub fn write(fd: i32, bytes: &[u8]) {
    raw::write_all(fd, bytes);
}
